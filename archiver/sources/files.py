"""One-off import sources: .eml files, directories, mbox files and maildirs, read as streams.

An mbox is split as it is read, so memory holds one message at a time whatever the file's
size. A message is the bytes between separator lines, without the `From ` line and without
the blank line that precedes the next separator; `>From ` quoting is left as it is, as
Python's mailbox module does.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from archiver.sources.arrival import Arrival, Message

SOURCE_NAME = "import"
_CHUNK = 1 << 20
# A separator is a line starting "From " that follows an empty line.
_SEPARATOR = re.compile(rb"\n\r?\n(?=From )")
_SEP_LOOKBACK = 8  # a separator match spans at most this many bytes
_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]{1,76}:")
_MBOX_SUFFIXES = {".mbox", ".mbx"}
_EML_SUFFIXES = {".eml", ".msg822", ".email"}


def _arrival(kind: str, label: str) -> Arrival:
    return Arrival(source_kind=kind, source_name=SOURCE_NAME, label=label)


def _head(path: Path, n: int = 256) -> bytes:
    with path.open("rb") as f:
        return f.read(n)


def is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def read_message(path: Path, arrival: Arrival, max_bytes: int) -> Message | None:
    """One message file, or why it cannot be archived; None if the file is gone."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return Message(
                arrival,
                None,
                f"{path}: file is {size / 1048576:.1f} MB, more than "
                f"ingest.max_message_mb ({max_bytes // 1048576})",
                size,
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return Message(arrival, None, f"{path}: cannot read: {exc.strerror}")
    if not raw:
        return Message(arrival, None, f"{path}: empty file: no message in it")
    return Message(arrival, raw, None, len(raw))


def _read_one(path: Path, max_bytes: int, kind: str = "file") -> Message:
    arrival = _arrival(kind, str(path))
    found = read_message(path, arrival, max_bytes)
    return found or Message(arrival, None, f"{path}: no such file or directory")


def read_mbox(path: Path, max_bytes: int) -> Iterator[Message]:
    """The messages of an mbox file, one at a time."""
    number = 0

    def finish(chunk: bytes, dropped: int, span: int) -> Message:
        nonlocal number
        number += 1
        label = f"{path}#{number}"
        arrival = _arrival("mbox", label)
        if dropped:
            limit = max_bytes // 1048576
            return Message(
                arrival,
                None,
                f"{label}: message is more than ingest.max_message_mb ({limit})",
                span,
            )
        nl = chunk.find(b"\n")
        body = chunk[nl + 1 :] if nl >= 0 else b""
        if not body.strip():
            return Message(arrival, None, f"{label}: empty message", span)
        return Message(arrival, body, None, span)

    try:
        f = path.open("rb")
    except OSError as exc:
        yield Message(_arrival("mbox", str(path)), None, f"{path}: cannot read: {exc.strerror}")
        return
    with f:
        buf = bytearray()
        scan_from = 0
        dropped = 0  # bytes of the current message thrown away because it is too large
        eof = False
        while not eof:
            try:
                data = f.read(_CHUNK)
            except OSError as exc:
                yield Message(
                    _arrival("mbox", str(path)), None, f"{path}: read failed: {exc.strerror}"
                )
                return
            eof = not data
            buf += data
            while (m := _SEPARATOR.search(buf, scan_from)) is not None:
                # The message keeps its own last line ending; the blank line is the separator's.
                yield finish(bytes(buf[: m.start() + 1]), dropped, m.end() + dropped)
                del buf[: m.end()]
                scan_from = dropped = 0
            if len(buf) + dropped > max_bytes + _CHUNK:
                dropped += max(0, len(buf) - _SEP_LOOKBACK)
                del buf[:-_SEP_LOOKBACK]
            scan_from = max(0, len(buf) - _SEP_LOOKBACK)
        if buf.strip() or dropped:
            tail = bytes(buf)
            if tail.endswith(b"\r\n\r\n"):
                tail = tail[:-2]
            elif tail.endswith(b"\n\n"):
                tail = tail[:-1]
            yield finish(tail, dropped, len(buf) + dropped)


def read_maildir(path: Path, max_bytes: int) -> Iterator[Message]:
    """The messages in a maildir's new/ and cur/ folders (tmp/ holds unfinished deliveries)."""
    for sub in ("new", "cur"):
        try:
            names = sorted(os.listdir(path / sub))
        except OSError as exc:
            yield Message(
                _arrival("maildir", str(path / sub)),
                None,
                f"{path / sub}: cannot list: {exc.strerror}",
            )
            continue
        for name in names:
            if name.startswith("."):
                continue
            yield _read_one(path / sub / name, max_bytes, "maildir")


def _looks_like_mbox(path: Path) -> bool:
    try:
        return _head(path, 5) == b"From "
    except OSError:
        return False


def _classify(path: Path) -> str | None:
    """'eml', 'mbox' or None (not a message file) for a file met while walking a directory.

    A .eml file is one message even when it starts with an mbox `From ` line, as saved
    single messages often do: the file's bytes are the record.
    """
    suffix = path.suffix.lower()
    if suffix in _EML_SUFFIXES:
        return "eml"
    if suffix in _MBOX_SUFFIXES or _looks_like_mbox(path):
        return "mbox"
    try:
        first = _head(path)
    except OSError:
        return "eml"  # reading it will report the error
    return "eml" if _HEADER_LINE.match(first) else None


@dataclass
class Scan:
    """What a walk over the inputs found, filled in as messages are read."""

    skipped: list[str]


def read_paths(paths: list[Path], max_bytes: int, scan: Scan) -> Iterator[Message]:
    """Every message under `paths`, in a stable order; files that are not mail go in `skipped`."""
    for path in paths:
        if path.is_dir():
            yield from _read_dir(path, max_bytes, scan)
        elif not path.exists():
            yield Message(_arrival("file", str(path)), None, f"{path}: no such file or directory")
        elif _classify(path) == "mbox":
            yield from read_mbox(path, max_bytes)
        else:
            yield _read_one(path, max_bytes)


def _read_dir(root: Path, max_bytes: int, scan: Scan) -> Iterator[Message]:
    if is_maildir(root):
        yield from read_maildir(root, max_bytes)
        return
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        yield Message(_arrival("file", str(root)), None, f"{root}: cannot list: {exc.strerror}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            yield from _read_dir(path, max_bytes, scan)
        elif entry.is_file():
            kind = _classify(path)
            if kind == "mbox":
                yield from read_mbox(path, max_bytes)
            elif kind == "eml":
                yield _read_one(path, max_bytes)
            else:
                scan.skipped.append(str(path))


def total_size(paths: list[Path]) -> int:
    """Bytes under `paths` (for a progress bar)."""
    total = 0
    for path in paths:
        if path.is_dir():
            for dirpath, _dirs, files in os.walk(path):
                for name in files:
                    with contextlib.suppress(OSError):
                        total += os.stat(os.path.join(dirpath, name)).st_size
        elif path.exists():
            total += path.stat().st_size
    return total
