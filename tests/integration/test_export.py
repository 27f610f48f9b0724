"""Issue 14: signed export bundles (BagIt), `export verify`, and the signing key. Both
databases, a fixed clock."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import mailbox
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import create_engine, delete

from archiver.cli.context import Context
from archiver.clock import FixedClock
from archiver.crypto import signing
from archiver.store.tables import key_registry
from archiver.understand.mbox import unquote
from tests.conftest import Archive, make_archive

OFFICER = """
[requests]
district_name = "Milton Public Schools"
officer_name = "Dana Reyes"
officer_contact = "25 Gile Road, Milton MA 02186"
"""
ROSTER = (
    "student_id,first_name,last_name,preferred_name,email,grade,enrollment_status,exit_date\n"
    "104233,Liam,Doherty,,ldoherty28@students.milton.k12.example.org,7,active,\n"
)
# The commands docs/records-management.md gives a requester, run in the bag's directory.
REQUESTER_CHECKS = (
    "openssl pkeyutl -verify -pubin -inkey signing-key.pub -rawin"
    " -in manifest.json -sigfile signature.ed25519",
    "jq -r '.payload[], .letter[] | \"\\(.sha256)  \\(.path)\"' manifest.json | sha256sum -c",
    "sha256sum -c manifest-sha256.txt tagmanifest-sha256.txt",
)
NOW = datetime(2026, 4, 16, 12, 0, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    fixed = FixedClock(NOW)
    monkeypatch.setattr(Context, "clock", fixed)
    return fixed


@pytest.fixture
def archive(tmp_path: Path, database_url: str) -> Archive:
    return make_archive(tmp_path / "archive", database_url, OFFICER)


def _import(archive: Archive, tmp_path: Path, n: int, body: str) -> str:
    msg = EmailMessage()
    msg["From"] = "Ms. Ruiz <mruiz@milton.k12.example.org>"
    msg["To"] = "records-archive@milton.k12.example.org"
    msg["Subject"] = f"Bus incident {n}"
    msg["Date"] = "Tue, 14 Oct 2025 07:52:11 -0400"
    msg["Message-ID"] = f"<bus-{n}@milton.k12.example.org>"
    msg.set_content(body)
    path = tmp_path / f"m{n}.eml"
    path.write_bytes(msg.as_bytes())
    rid = archive.ok("import", "--json", str(path)).json()["items"][0]["id"]
    assert isinstance(rid, str)
    return rid


def _request(archive: Archive, tmp_path: Path) -> tuple[str, list[str], str]:
    """A student-records request for Liam: two records released (one with a `From ` line in
    its body), one withheld. Its number, the released ids and the withheld one."""
    roster = tmp_path / "r.csv"
    roster.write_text(ROSTER)
    archive.ok("students", "import", str(roster))
    released = [
        _import(archive, tmp_path, 1, "Liam Doherty missed the bus.\nFrom the driver: twice.\n"),
        _import(archive, tmp_path, 2, "Liam Doherty was on time."),
    ]
    withheld = _import(archive, tmp_path, 3, "Liam Doherty and another child.")
    number = archive.ok(
        "request", "open", "--kind", "student", "--received", "2026-04-15 10:00",
        "--requester", "Patricia Doherty", "--student", "104233", "--json",
    ).json()["number"]  # fmt: skip
    archive.ok("request", "add", number, *released, withheld)
    for rid in released:
        archive.ok("request", "decide", number, rid, "release")
    archive.ok("request", "decide", number, withheld, "withhold", "--exemption", "26a:ferpa")
    return number, released, withheld


def test_a_requests_bundle_holds_its_records_exactly_and_verifies(
    archive: Archive, tmp_path: Path
) -> None:
    number, released, withheld = _request(archive, tmp_path)
    out = tmp_path / "bundle"
    doc = archive.ok(
        "export", "--request", number, str(out), "--json", "--actor", "Dana Reyes"
    ).json()
    assert doc == {"path": str(out), "records": 3, "files": 5}  # EMLs, PDFs and the mbox
    raws = [archive.ok("show", "--raw", rid).out for rid in released]
    for n, (rid, raw) in enumerate(zip(released, raws, strict=True), start=1):
        assert (out / "data" / "records" / f"{rid}.eml").read_bytes() == raw
        rendering = PdfReader(out / "data" / "records" / f"{rid}.pdf")
        assert f"Bus incident {n}" in rendering.pages[0].extract_text()
        assert rendering.attachments[f"{rid}.eml"] == [raw]  # the original, embedded
    assert not (out / "data" / "records" / f"{withheld}.eml").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    order = [r["id"] for r in manifest["records"] if r["decision"] == "release"]
    box = mailbox.mbox(str(out / "data" / "records.mbox"))  # in the manifest's order
    assert [unquote(box.get_bytes(k)) for k in box.iterkeys()] == [
        raws[released.index(rid)] for rid in order
    ]
    assert b"\n>From the driver" in (out / "data" / "records.mbox").read_bytes()
    assert manifest["request"] == number
    assert manifest["organization"] == "Milton Public Schools"
    by_id = {r["id"]: r for r in manifest["records"]}
    assert by_id[withheld]["decision"] == "withhold"
    assert by_id[withheld]["exemptions"] == ["26a:ferpa"] and by_id[withheld]["files"] == []
    assert by_id[released[0]]["decision"] == "release"
    assert (
        by_id[released[0]]["original_sha256"]
        == archive.ok("show", "--json", released[0]).json()["sha256"]
    )
    rows = list(csv.DictReader(io.StringIO((out / "manifest.csv").read_text())))
    assert [r["file"] for r in rows if r["record_id"] == withheld] == [""]
    info = (out / "bag-info.txt").read_text()
    assert "Source-Organization: Milton Public Schools\n" in info
    assert f"Request-Number: {number}\n" in info and "Bagging-Date: 2026-04-16\n" in info
    letter = (out / "response-letter.txt").read_text()
    assert "Dear Patricia Doherty:" in letter and withheld[:8] in letter
    pdf = " ".join(p.extract_text() for p in PdfReader(out / "response-letter.pdf").pages)
    assert "Patricia Doherty" in pdf
    _requester_checks(out)
    verified = archive.cli("export", "verify", str(out))
    assert verified.code == 0, verified.err
    key = manifest["signing_key"]["id"]
    assert key.startswith("signing-") and f"signed by this archive's key {key}" in verified.text
    # the student's access log names the export and the request it answered
    log = archive.ok("students", "access-log", "--json", "104233").json()["entries"]
    exported = [e for e in log if e["action"] == "exported"]
    assert sorted(r for e in exported for r in e["records"]) == sorted(released)
    assert {e["purpose"] for e in exported} == {number} and {e["actor"] for e in exported} == {
        "Dana Reyes"
    }
    [event] = archive.ok("audit", "log", "--action", "export", "--json").json()["events"]
    assert event["target"] == number
    assert event["details"]["manifest_sha256"] == _sha256(out / "manifest.json")


def _requester_checks(bag: Path) -> None:
    """Run what docs/records-management.md tells a requester to run; then change manifest.json
    and see the signature check fail."""
    for command in REQUESTER_CHECKS:
        if any(t in command and not shutil.which(t) for t in ("openssl", "jq", "sha256sum")):
            continue  # pragma: no cover (CI has openssl and jq)
        ok = subprocess.run(["sh", "-c", command], cwd=bag, capture_output=True, text=True)
        assert ok.returncode == 0, (command, ok.stdout, ok.stderr)
        if command.startswith("openssl"):
            assert "Signature Verified Successfully" in ok.stdout
            copy = bag.parent / f"{bag.name}-changed"
            shutil.copytree(bag, copy)
            _flip(copy / "manifest.json")
            forged = subprocess.run(["sh", "-c", command], cwd=copy, capture_output=True)
            assert forged.returncode != 0


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_every_change_to_a_bundle_fails_verify_naming_the_file(
    archive: Archive, tmp_path: Path
) -> None:
    rid = _import(archive, tmp_path, 1, "Bus notes.")
    other = _import(archive, tmp_path, 2, "More bus notes.")
    out = tmp_path / "bundle"
    archive.ok("export", rid, other, str(out), "--purpose", "press request by phone")
    eml = f"data/records/{rid}.eml"
    changes: dict[str, Callable[[Path], object]] = {
        eml: lambda b: _flip(b / eml),
        "manifest.json": lambda b: _flip(b / "manifest.json"),
        "signature.ed25519": lambda b: _flip(b / "signature.ed25519"),
        "data/extra.txt": lambda b: (b / "data" / "extra.txt").write_text("added"),
        "notes.txt": lambda b: (b / "notes.txt").write_text("added"),
        f"data/records/{other}.eml": lambda b: (b / "data" / "records" / f"{other}.eml").unlink(),
        "bag-info.txt": lambda b: (b / "bag-info.txt").unlink(),
    }
    for name, change in changes.items():
        copy = tmp_path / f"copy-{name.replace('/', '_')}"
        shutil.copytree(out, copy)
        change(copy)
        result = archive.cli("export", "verify", str(copy))
        assert result.code == 3, (name, result.err)
        assert result.err.startswith(f"error: {name}: "), (name, result.err)
        doc = archive.cli("export", "verify", "--json", str(copy)).json()
        assert doc["ok"] is False and any(p.startswith(f"{name}: ") for p in doc["problems"])
    # the same bytes with the BagIt manifests made to agree: the signature still catches it
    copy = tmp_path / "rehashed"
    shutil.copytree(out, copy)
    _flip(copy / eml)
    _rehash(copy, "manifest-sha256.txt")
    _rehash(copy, "tagmanifest-sha256.txt")
    result = archive.cli("export", "verify", str(copy))
    assert result.code == 3 and f"error: {eml}: SHA-256 differs from manifest.json" in result.err


def test_the_zip_form_verifies_and_so_do_standard_tools(archive: Archive, tmp_path: Path) -> None:
    rid = _import(archive, tmp_path, 1, "Bus notes.")
    zipped = tmp_path / "bundle.zip"
    doc = archive.ok("export", rid, str(zipped), "--purpose", "press", "--json").json()
    assert doc == {"path": str(zipped), "records": 1, "files": 3}
    with zipfile.ZipFile(zipped) as z:
        names = z.namelist()
        assert names == sorted(names) and all(n.startswith("bundle/") for n in names)
        z.extractall(tmp_path / "unzipped")
    assert archive.ok("export", "verify", str(zipped)).code == 0
    bag = tmp_path / "unzipped" / "bundle"
    assert archive.ok("export", "verify", str(bag)).code == 0
    _requester_checks(bag)
    # a changed zip fails too
    with zipfile.ZipFile(zipped) as z:
        info = z.getinfo(f"bundle/data/records/{rid}.eml")
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(zipped) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            dst.writestr(item, body + b"x" if item.filename == info.filename else body)
    result = archive.cli("export", "verify", str(tampered))
    assert result.code == 3 and f"data/records/{rid}.eml: SHA-256 differs" in result.err


def test_an_export_never_writes_over_anything_and_refuses_what_it_cannot_produce(
    archive: Archive, tmp_path: Path
) -> None:
    rid = _import(archive, tmp_path, 1, "Bus notes.")
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    file = tmp_path / "taken.zip"
    file.write_bytes(b"mine")
    for target, says in ((full, "not empty"), (file, "already exists")):
        result = archive.cli("export", rid, str(target), "--purpose", "press")
        assert result.code == 2 and says in result.err, result.err
    assert (full / "keep.txt").read_text() == "mine" and file.read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert archive.ok("audit", "log", "--action", "show", "--json").json()["events"] == []
    empty = tmp_path / "empty"
    empty.mkdir()
    archive.ok("export", rid, str(empty), "--purpose", "press")  # an empty directory is fine
    assert archive.cli("export", rid, str(tmp_path / "x")).code == 2  # no --purpose
    # a record decided `redact` is produced from its text, never as the original bytes
    number = archive.ok(
        "request", "open", "--kind", "public", "--received", "2026-04-15 10:00",
        "--requester", "Jo Reporter", "--json",
    ).json()["number"]  # fmt: skip
    archive.ok("request", "add", number, rid)
    undecided = archive.cli("export", "--request", number, str(tmp_path / "r1"))
    assert undecided.code == 2 and "no decision yet" in undecided.err
    archive.ok("request", "decide", number, rid, "redact", "--exemption", "26c")
    archive.ok("export", "--request", number, str(tmp_path / "r2"))
    produced = (tmp_path / "r2" / "data" / "records" / f"{rid}.eml").read_bytes()
    assert produced != archive.ok("show", "--raw", rid).out and b"Bus notes." in produced
    events = archive.ok("audit", "log", "--action", "export", "--json").json()["events"]
    assert len(events) == 2  # only the ones that were written


def test_export_by_search_and_the_keys_that_sign(
    archive: Archive, tmp_path: Path, database_url: str
) -> None:
    first = _import(archive, tmp_path, 1, "The route 9 bus was late.")
    _import(archive, tmp_path, 2, "Cafeteria menu.")
    out = tmp_path / "found"
    doc = archive.ok("export", "--search", "route", "--purpose", "press", str(out), "--json")
    assert doc.json()["records"] == 1
    assert [r["id"] for r in json.loads((out / "manifest.json").read_text())["records"]] == [first]
    old_key = json.loads((out / "manifest.json").read_text())["signing_key"]["id"]
    # a bundle signed before a rotation is still this archive's
    assert "created signing key" in archive.ok("keys", "rotate", "--signing").text
    assert (
        f"signed by this archive's key {old_key}" in archive.ok("export", "verify", str(out)).text
    )
    # one signed by another archive verifies, and says the key is not this archive's
    stranger = make_archive(tmp_path / "other", f"sqlite:///{tmp_path / 'other.db'}")
    theirs = tmp_path / "theirs"
    stranger.ok(
        "export", _import(stranger, tmp_path, 5, "Elsewhere."), str(theirs), "--purpose", "x"
    )
    result = archive.ok("export", "verify", str(theirs))
    assert "signed by a key this archive does not know" in result.text
    # ... and one that names this archive's key but is signed by another is refused
    ours = json.loads((out / "manifest.json").read_text())["signing_key"]["id"]
    manifest = json.loads((theirs / "manifest.json").read_text())
    manifest["signing_key"]["id"] = ours
    forged = json.dumps(manifest).encode()
    (theirs / "manifest.json").write_bytes(forged)
    [key_file] = stranger.keys_dir.glob("signing-*.key")
    private = base64.b64decode(key_file.read_bytes())
    (theirs / "signature.ed25519").write_bytes(signing.sign(private, forged))
    info = (theirs / "bag-info.txt").read_text().splitlines()
    info = [f"Signing-Key-Id: {ours}" if x.startswith("Signing-Key-Id") else x for x in info]
    (theirs / "bag-info.txt").write_text("\n".join(info) + "\n")
    _rehash(theirs, "tagmanifest-sha256.txt")
    assert stranger.ok("export", "verify", str(theirs)).code == 0  # intact, as a bag
    refused = archive.cli("export", "verify", str(theirs))
    assert refused.code == 3 and f"not this archive's key {ours}" in refused.err


def _rehash(bag: Path, manifest: str) -> None:
    """Make a BagIt manifest agree with the files as they are now."""
    lines = []
    for line in (bag / manifest).read_text().splitlines():
        _, name = line.split("  ", 1)
        lines.append(f"{_sha256(bag / name)}  {name}\n")
    (bag / manifest).write_text("".join(lines))


def test_keys_generate_gives_an_older_archive_its_signing_key(
    archive: Archive, tmp_path: Path
) -> None:
    rid = _import(archive, tmp_path, 1, "Bus notes.")
    # an archive made before signing keys: only a KEK and an index key are registered
    [signing] = archive.keys_dir.glob("signing-*.key")
    signing.unlink()
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:
        conn.execute(delete(key_registry).where(key_registry.c.kind == "signing"))
    engine.dispose()
    refused = archive.cli("export", rid, str(tmp_path / "b"), "--purpose", "press")
    assert refused.code == 2 and "no current signing key" in refused.err
    assert "keys generate" in refused.err
    made = archive.ok("keys", "generate").text
    [line] = made.splitlines()
    assert "signing-" in line
    listed = archive.ok("keys", "list", "--json").json()["keys"]
    kinds = sorted(k["kind"] for k in listed if k["kind"] != "cohort")  # its record's cohort
    assert kinds == ["index", "kek", "signing"]
    archive.ok("export", rid, str(tmp_path / "b"), "--purpose", "press")
    assert archive.ok("export", "verify", str(tmp_path / "b")).code == 0


def test_a_preview_is_the_pdf_the_export_produces_of_one_record(
    archive: Archive, tmp_path: Path
) -> None:
    """What the web workspace previews: a released record's rendering; a redacted one's
    without its redacted words; nothing of a withheld one."""
    from archiver.app import App
    from archiver.errors import UsageError

    number, released, withheld = _request(archive, tmp_path)
    archive.ok("request", "decide", number, released[1], "redact", "--exemption", "26c")
    archive.ok("redact", "add", number, released[1], "--text", "on time", "--exemption", "26c")
    app = App.from_config(archive.config)
    try:
        exporter = app.exporter(workers=1)
        full = exporter.preview(app.requests(), number, released[0][:10])
        cut = exporter.preview(app.requests(), number, released[1])
        with pytest.raises(UsageError, match="withhold: no PDF is produced"):
            exporter.preview(app.requests(), number, withheld)
    finally:
        app.close()
    assert "Liam Doherty missed the bus" in PdfReader(io.BytesIO(full)).pages[0].extract_text()
    text = PdfReader(io.BytesIO(cut)).pages[0].extract_text()
    assert "Liam Doherty was" in text and "on time" not in text and "[REDACTED 26c]" in text
