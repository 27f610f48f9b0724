"""Export bundles (DESIGN.md section 9.4): what is handed to a requester, in a form anyone can
check without the archiver.

A bundle is a BagIt bag (RFC 8493), as a directory or the same bag zipped:

    bagit.txt, bag-info.txt          the bag's declaration; Source-Organization, Bagging-Date,
                                     Request-Number, Payload-Oxum, Signing-Key-Id
    data/...                         the produced files (the payload)
    manifest-sha256.txt              SHA-256 of every payload file (`sha256sum -c` reads it)
    manifest.json, manifest.csv      per record: id, decision, exemption codes, the original's
                                     SHA-256, each produced file with its SHA-256
    signature.ed25519                Ed25519 signature (64 raw bytes) of manifest.json's bytes
    signing-key.pub                  the public key that made it (PEM)
    response-letter.txt, .pdf        the written response, when the bundle answers a request
    tagmanifest-sha256.txt           SHA-256 of every file above outside data/

manifest.json names every payload and letter file with its SHA-256, so its signature covers
the whole bundle; the BagIt manifests let anyone check the files with standard tools.

Pure apart from the files it writes and reads: no database, no keys of its own (the caller
hands over the signing key).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from archiver.crypto import signing
from archiver.errors import IntegrityError, UsageError

FORMAT = "archiver-export-bundle/1"
PAYLOAD = "data/"
BAGIT = "bagit.txt"
BAG_INFO = "bag-info.txt"
MANIFEST = "manifest-sha256.txt"
TAGMANIFEST = "tagmanifest-sha256.txt"
MANIFEST_JSON = "manifest.json"
MANIFEST_CSV = "manifest.csv"
SIGNATURE = "signature.ed25519"
PUBLIC_KEY = "signing-key.pub"
LETTER_TEXT = "response-letter.txt"
LETTER_PDF = "response-letter.pdf"
_BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
_SAFE_PATH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Produced:
    """A file given to the requester: its path inside `data/`, SHA-256, size, media type."""

    path: str
    sha256: str
    size: int
    media_type: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": PAYLOAD + self.path,
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
        }


@dataclass
class _Record:
    record_id: str
    decision: str
    exemptions: tuple[str, ...]
    original_sha256: str
    files: list[Produced] = field(default_factory=list)
    withheld: list[dict[str, Any]] = field(default_factory=list)  # parts of it not produced


@dataclass(frozen=True)
class Written:
    """A bundle written: where, how many records and payload files, the SHA-256 of its
    manifest.json (what the audit log keeps) and the key that signed it."""

    path: Path
    records: int
    files: int
    manifest_sha256: str
    key_id: str


class Bundle:
    """A bundle being assembled for `out`: records with their decisions, the files produced
    from them, the response letter; `write` signs it and puts it at `out`.

    Each file goes to disk as it is added, into a hidden staging directory beside `out`
    (`.NAME.XXXX.partial`), so a bundle of any size is assembled in the memory of one file;
    `write` renames it into place (or zips it), and a bundle not written (an error, the
    release gate, Ctrl-C) is removed with its staging directory: use it as a context manager.
    UsageError, before anything is made, for an `out` that exists (`check_target`)."""

    def __init__(
        self, organization: str, request: str | None, created: datetime, day: date, out: Path
    ) -> None:
        check_target(out)
        self.organization = " ".join(organization.split())
        self.request = request
        self.created = created
        self.day = day  # the district's day it is made: Bagging-Date
        self.out = out
        self._records: dict[str, _Record] = {}
        self._files: dict[str, Produced] = {}
        self._letter: list[tuple[str, bytes, str]] = []
        self._staging: Path | None = Path(
            tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
        )
        (self._staging / PAYLOAD).mkdir()  # a bag has data/, even when all is withheld

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *_: object) -> None:
        self.discard()

    def discard(self) -> None:
        """Remove what was staged, unless written (then there is nothing left to remove)."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None

    def _stage(self) -> Path:
        if self._staging is None:
            raise ValueError("the bundle is written or discarded already")
        return self._staging

    def staged(self, path: str) -> Path:
        """Where produced file `path` (inside data/) is staged until the bundle is written."""
        return self._stage() / PAYLOAD / path

    def add_record(
        self, record_id: str, decision: str, exemptions: Sequence[str], original_sha256: str
    ) -> None:
        """A record of the export with its decision; a record withheld gets no file."""
        if record_id in self._records:
            raise ValueError(f"record {record_id} is in the bundle twice")
        self._records[record_id] = _Record(record_id, decision, tuple(exemptions), original_sha256)

    def add_file(self, path: str, data: bytes, media_type: str, records: Sequence[str]) -> None:
        """A produced file (`path` inside data/) holding `records` (each added before): a
        record's EML or rendering, or one file of several records (the mbox)."""
        self.add_stream(path, (data,), media_type, records)

    def add_stream(
        self, path: str, chunks: Iterable[bytes], media_type: str, records: Sequence[str]
    ) -> None:
        """`add_file` for a file given in pieces (the mbox, message after message)."""
        if not _SAFE_PATH.fullmatch(path) or ".." in path.split("/"):
            raise ValueError(f"{path!r}: not a safe relative path for a produced file")
        if path in self._files:
            raise ValueError(f"{path}: produced twice")
        target = self.staged(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with target.open("xb") as f:
            for chunk in chunks:
                f.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        produced = Produced(path, digest.hexdigest(), size, media_type)
        self._files[path] = produced
        for rid in records:
            self._records[rid].files.append(produced)

    def withhold_part(
        self, record_id: str, attachment: int, media_type: str, sha256: str, reason: str
    ) -> None:
        """A part of a produced record that is not produced (an attachment of a redacted
        record that cannot be redacted), and why: listed in the manifests."""
        self._records[record_id].withheld.append(
            {"attachment": attachment, "media_type": media_type, "sha256": sha256, "reason": reason}
        )

    def produced(self) -> list[str]:
        """The records that have files so far, in the bundle's order."""
        return [r.record_id for r in self._records.values() if r.files]

    def withheld(self, record_id: str) -> list[str]:
        """The parts of a record not produced, each as a line naming the attachment and why."""
        return [
            f"attachment {w['attachment']} ({w['media_type']}): {w['reason']}"
            for w in self._records[record_id].withheld
        ]

    def set_letter(self, text: str, pdf: bytes | None) -> None:
        """The written response, as text and (when given) as PDF."""
        self._letter = [(LETTER_TEXT, text.encode("utf-8"), "text/plain; charset=utf-8")]
        if pdf is not None:
            self._letter.append((LETTER_PDF, pdf, "application/pdf"))

    def manifest(self, key_id: str, public: bytes) -> bytes:
        """manifest.json's exact bytes (what the signature is made over)."""
        doc = {
            "format": FORMAT,
            "organization": self.organization,
            "request": self.request,
            "created": self.created.astimezone(UTC).isoformat(),
            "signing_key": {"id": key_id, "algorithm": "Ed25519", "public_key": public.hex()},
            "records": [
                {
                    "id": r.record_id,
                    "decision": r.decision,
                    "exemptions": list(r.exemptions),
                    "original_sha256": r.original_sha256,
                    "files": [{"path": PAYLOAD + f.path, "sha256": f.sha256} for f in r.files],
                    "withheld_parts": r.withheld,
                }
                for r in self._records.values()
            ],
            "payload": [f.to_json() for f in self._files.values()],
            "letter": [_tag_json(name, data, media) for name, data, media in self._letter],
        }
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def _csv(self) -> bytes:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(
            [
                "record_id",
                "decision",
                "exemptions",
                "original_sha256",
                "file",
                "file_sha256",
                "note",
            ]
        )
        for r in self._records.values():
            first = [r.record_id, r.decision, ";".join(r.exemptions), r.original_sha256]
            cells = [[PAYLOAD + f.path, f.sha256, ""] for f in r.files]
            cells += [
                ["", w["sha256"], f"attachment {w['attachment']} not produced: {w['reason']}"]
                for w in r.withheld
            ]
            cells = cells or [["", "", ""]]
            for more in cells:
                w.writerow(first + more)
        return out.getvalue().encode("utf-8")

    def _tags(self, key_id: str, private: bytes) -> list[tuple[str, bytes]]:
        """Every file of the bag outside data/, signed with `private` (key `key_id`), in the
        order written: the tag manifest last."""
        public = signing.public_key(private)
        manifest = self.manifest(key_id, public)
        payload = list(self._files.values())
        oxum = f"{sum(f.size for f in payload)}.{len(payload)}"
        info = [
            ("Source-Organization", self.organization),
            ("Bagging-Date", self.day.isoformat()),
            ("Request-Number", self.request or ""),
            ("Payload-Oxum", oxum),
            ("Signing-Key-Id", key_id),
            ("Bag-Software-Agent", "archiver"),
        ]
        tags = [
            (BAGIT, _BAGIT_TXT),
            (BAG_INFO, "".join(f"{k}: {v}\n" for k, v in info if v).encode("utf-8")),
            (MANIFEST, _manifest_lines((PAYLOAD + f.path, f.sha256) for f in payload)),
            (MANIFEST_JSON, manifest),
            (MANIFEST_CSV, self._csv()),
            (SIGNATURE, signing.sign(private, manifest)),
            (PUBLIC_KEY, signing.public_pem(public)),
            *[(name, data) for name, data, _ in self._letter],
        ]
        digests = ((name, hashlib.sha256(data).hexdigest()) for name, data in tags)
        return [*tags, (TAGMANIFEST, _manifest_lines(digests))]

    def write(
        self,
        key_id: str,
        private: bytes,
        gate: Callable[[list[tuple[str, Path]]], object] | None = None,
    ) -> Written:
        """Sign the bundle and put it at `out`: a directory, or a zip if `out` ends in .zip.
        `gate` is given every payload file (`data/...` and where it is staged) first, and may
        raise to stop the export: then nothing is written. Never over an existing file or
        non-empty directory (UsageError); anything that fails leaves nothing."""
        try:
            staging = self._stage()
            check_target(self.out)
            if gate is not None:
                gate([(PAYLOAD + path, self.staged(path)) for path in self._files])
            tags = self._tags(key_id, private)
            for name, data in tags:
                (staging / name).write_bytes(data)
            names = [*(PAYLOAD + path for path in self._files), *(name for name, _ in tags)]
            if self.out.suffix.lower() == ".zip":
                _write_zip(self.out, staging, names, self.created)
            else:
                _write_dir(self.out, staging, names)
                self._staging = None  # it is `out` now
        finally:
            self.discard()
        return Written(
            self.out,
            len(self._records),
            len(self._files),
            hashlib.sha256(dict(tags)[MANIFEST_JSON]).hexdigest(),
            key_id,
        )


def _tag_json(name: str, data: bytes, media_type: str) -> dict[str, Any]:
    return {
        "path": name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "media_type": media_type,
    }


def _manifest_lines(digests: Iterable[tuple[str, str]]) -> bytes:
    # Two spaces, as sha256sum writes it, so `sha256sum -c` reads the manifest as it is.
    return "".join(f"{digest}  {name}\n" for name, digest in digests).encode("utf-8")


def check_target(out: Path) -> None:
    """Refuse an `out` that exists (other than an empty directory for a directory bundle) or
    whose directory does not: before anything is opened or written."""
    if not out.parent.is_dir():
        raise UsageError(f"{out}: its directory {out.parent} does not exist")
    if out.is_symlink() or (out.exists() and (out.suffix.lower() == ".zip" or not out.is_dir())):
        raise UsageError(f"{out} already exists: an export never writes over a file")
    if out.is_dir() and any(out.iterdir()):
        raise UsageError(f"{out} is a directory that is not empty: give a new or empty one")


def _write_dir(out: Path, staging: Path, names: list[str]) -> None:
    """The staged bag made `out`: every file flushed to disk first (once, at the end: the
    kernel has written most of them back by then), then renamed into place."""
    for name in names:
        fd = os.open(staging / name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for directory in {(staging / name).parent for name in names}:
        _fsync_dir(directory)
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it 0700 whatever the umask
    os.rename(staging, out)  # onto an empty directory, or fails if `out` appeared meanwhile
    _fsync_dir(out.parent)


def _write_zip(out: Path, staging: Path, names: list[str], created: datetime) -> None:
    """The staged bag zipped at `out`, one file at a time, in the order of the names (so the
    same bag is the same bytes), every entry dated `created`."""
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    tmp = Path(name)
    top = out.name[: -len(out.suffix)]  # the bag's directory inside the zip
    stamp = created.astimezone(UTC).timetuple()[:6]
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w") as z:
                for path in sorted([*names, PAYLOAD]):  # data/ even if empty
                    info = zipfile.ZipInfo(f"{top}/{path}", date_time=stamp)
                    info.create_system = 3  # unix: the modes below are read
                    if path == PAYLOAD:
                        info.external_attr = (0o40755 << 16) | 0x10  # a directory (MS-DOS too)
                        z.writestr(info, b"")
                        continue
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o100644 << 16
                    source = staging / path
                    info.file_size = source.stat().st_size  # zip64 when it needs it
                    with source.open("rb") as src, z.open(info, "w") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it 0600 whatever the umask
        os.link(tmp, out)  # fails, rather than replacing, if `out` appeared meanwhile
    except FileExistsError:
        raise UsageError(f"{out} already exists: an export never writes over a file") from None
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(out.parent)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Verifying.


@dataclass(frozen=True)
class Checked:
    """What `check` found: the problems (none: the bundle is intact and its signature good),
    the key id and public key it claims to be signed with, how many records and files."""

    problems: list[str]
    key_id: str | None
    public_key: bytes | None
    signed: bool  # manifest.json's signature is good, by `public_key`
    records: int
    files: int


class _Files:
    """A bag's files, from a directory or a zip: names relative to the bag, and bytes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []
        self._data: dict[str, bytes] = {}
        if path.is_dir():
            for name, full in _walk(path):
                self._data[name] = full.read_bytes()
        elif path.is_file() and zipfile.is_zipfile(path):
            self._read_zip(path)
        elif not path.exists():
            raise UsageError(f"{path}: no such bundle")
        else:
            raise UsageError(f"{path}: not a bundle (a directory or a .zip file)")

    def _read_zip(self, path: Path) -> None:
        with zipfile.ZipFile(path) as z:
            infos = [i for i in z.infolist() if not i.is_dir()]
            tops = {i.filename.split("/", 1)[0] for i in infos}
            strip = len(tops) == 1 and all("/" in i.filename for i in infos)
            for info in infos:
                name = info.filename.split("/", 1)[1] if strip else info.filename
                if name in self._data:
                    self.problems.append(f"{name}: in the zip twice")
                try:
                    self._data[name] = z.read(info)
                except (zipfile.BadZipFile, ValueError, OSError) as exc:
                    self.problems.append(f"{name}: cannot be read from the zip ({exc})")

    def names(self) -> list[str]:
        return sorted(self._data)

    def get(self, name: str) -> bytes | None:
        return self._data.get(name)


def _walk(root: Path) -> Iterator[tuple[str, Path]]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            full = Path(dirpath) / fn
            yield full.relative_to(root).as_posix(), full


def verify(path: Path) -> list[str]:
    """Every problem of the bundle at `path` (none: intact, and signed by the key it holds),
    each naming the file. UsageError if `path` is not a bundle at all."""
    return check(path).problems


def check(path: Path) -> Checked:
    """Check a bundle: each payload and tag file against the manifests, no file missing or
    extra, Payload-Oxum, manifest.json's signature by the bundle's key, and manifest.json's
    list of files against the files. Says which key signed it: whether that key is one an
    archive knows is the caller's question."""
    bag = _Files(path)
    problems = list(bag.problems)
    sha = {name: hashlib.sha256(bag.get(name) or b"").hexdigest() for name in bag.names()}
    payload = [n for n in bag.names() if n.startswith(PAYLOAD)]
    tags = [n for n in bag.names() if not n.startswith(PAYLOAD) and n != TAGMANIFEST]
    if bag.get(BAGIT) is None:
        problems.append(f"{BAGIT}: missing (not a BagIt bag)")
    problems += _against(bag, sha, MANIFEST, payload, under_payload=True)
    problems += _against(bag, sha, TAGMANIFEST, tags, under_payload=False)
    info = _bag_info(bag.get(BAG_INFO) or b"")
    oxum = f"{sum(len(bag.get(n) or b'') for n in payload)}.{len(payload)}"
    if info.get("Payload-Oxum") != oxum:
        problems.append(
            f"{BAG_INFO}: Payload-Oxum {info.get('Payload-Oxum', '(none)')} but the payload "
            f"is {oxum} (bytes.files)"
        )
    manifest = bag.get(MANIFEST_JSON)
    if manifest is None:
        problems.append(f"{MANIFEST_JSON}: missing")
        return Checked(problems, None, None, False, 0, len(payload))
    try:
        doc = json.loads(manifest)
        key = doc["signing_key"]
        key_id, claimed = str(key["id"]), bytes.fromhex(key["public_key"])
        records, listed, letter = doc["records"], doc["payload"], doc["letter"]
        for f in [*records, *listed, *letter, *(f for r in records for f in r["files"])]:
            if not isinstance(f, dict):
                raise TypeError(f)
    except (ValueError, KeyError, TypeError):
        problems.append(f"{MANIFEST_JSON}: not an export manifest")
        return Checked(problems, None, None, False, 0, len(payload))
    before = len(problems)
    public = _signature_problems(bag, manifest, claimed, key_id, info, problems)
    signed = public is not None and len(problems) == before
    problems += _listed_problems(listed, payload, sha, "payload")
    problems += _listed_problems(
        letter, [n for n in (LETTER_TEXT, LETTER_PDF) if bag.get(n)], sha, "letter"
    )
    for r in records:
        for f in r["files"]:
            if sha.get(f.get("path")) != f.get("sha256"):
                problems.append(
                    f"{f.get('path')}: record {r.get('id')}'s file differs from {MANIFEST_JSON}"
                )
    return Checked(_first_per_file(problems), key_id, public, signed, len(records), len(payload))


def _first_per_file(problems: list[str]) -> list[str]:
    """One problem per file named (a changed file differs from every list that names it)."""
    seen, out = set(), []
    for p in problems:
        name = p.partition(": ")[0]
        if name not in seen:
            seen.add(name)
            out.append(p)
    return out


def _against(
    bag: _Files, sha: dict[str, str], manifest: str, present: list[str], under_payload: bool
) -> list[str]:
    """The files of `present` checked against `manifest`'s lines, and the other way round."""
    text = bag.get(manifest)
    if text is None:
        return [f"{manifest}: missing"]
    problems, listed = [], set()
    for n, line in enumerate(text.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.partition(" ")
        name = _unescape(name.strip().removeprefix("*"))
        if not _HEX64.fullmatch(digest) or not name:
            problems.append(f"{manifest} line {n}: not `SHA-256  path`")
            continue
        if name.startswith(PAYLOAD) != under_payload:
            problems.append(f"{manifest} line {n}: {name} does not belong in this manifest")
            continue
        listed.add(name)
        if name not in sha:
            problems.append(f"{name}: missing (listed in {manifest})")
        elif sha[name] != digest:
            problems.append(f"{name}: SHA-256 differs from {manifest} (changed since export)")
    for name in present:
        if name not in listed:
            problems.append(f"{name}: not in {manifest} (added since export)")
    return problems


def _unescape(name: str) -> str:
    # RFC 8493 2.1.3: CR, LF and % in a manifest's paths are percent-encoded.
    return name.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _bag_info(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        label, sep, value = line.partition(":")
        if sep and not line[:1].isspace():
            out[label.strip()] = value.strip()
    return out


def _signature_problems(
    bag: _Files,
    manifest: bytes,
    claimed: bytes,
    key_id: str,
    info: dict[str, str],
    problems: list[str],
) -> bytes | None:
    """Check the signature with the bundle's key; the key (None if unreadable)."""
    pem, signature = bag.get(PUBLIC_KEY), bag.get(SIGNATURE)
    if pem is None:
        problems.append(f"{PUBLIC_KEY}: missing")
        return None
    try:
        public = signing.read_public_pem(pem, PUBLIC_KEY)
    except IntegrityError as exc:
        problems.append(str(exc))
        return None
    if public != claimed:
        problems.append(f"{PUBLIC_KEY}: not the key {MANIFEST_JSON} names ({key_id})")
    if info.get("Signing-Key-Id", key_id) != key_id:
        problems.append(f"{BAG_INFO}: Signing-Key-Id is not the key {MANIFEST_JSON} names")
    if signature is None:
        problems.append(f"{SIGNATURE}: missing")
    elif not signing.valid(public, signature, manifest):
        problems.append(
            f"{SIGNATURE}: not a valid signature of {MANIFEST_JSON} by the key in {PUBLIC_KEY}"
        )
    return public


def _listed_problems(
    listed: list[dict[str, Any]], present: list[str], sha: dict[str, str], what: str
) -> list[str]:
    """manifest.json's list of files (`what`) against the files there."""
    problems, names = [], set()
    for f in listed:
        name = f.get("path")
        names.add(name)
        if name not in sha:
            problems.append(f"{name}: missing (listed in {MANIFEST_JSON})")
        elif sha[name] != f.get("sha256"):
            problems.append(f"{name}: SHA-256 differs from {MANIFEST_JSON}")
    for name in present:
        if name not in names:
            problems.append(f"{name}: not in {MANIFEST_JSON}'s {what}")
    return problems
