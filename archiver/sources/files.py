"""One-off import sources: .eml files, directories, mbox files and maildirs, read as streams.

Only regular files are read (a symlink to one is followed). A FIFO would block the reader and a
device may never end, so every file is opened without following the open through to anything
else (`O_PATH`, then `fstat` of what was opened, then a reopen of that very inode), and reading
stops one byte past the size limit, whatever size the file claims.

An mbox is split as it is read, so memory holds one message at a time whatever the file's
size. The file's first line, if it starts with `From `, is the first message's envelope. After
that, a message starts at a line that

- follows an empty line,
- looks like an envelope line as mbox writers make them: `From `, a sender token (`-` for
  Thunderbird, an address, `???@???`, or none), then an asctime-style date with a time and a
  year (`Sat Nov  2 12:00:00 2019`; a zone such as `+0000` or `PST` may stand before the year,
  as in Gmail's takeout, and anything may follow it), in printable ASCII, and
- is followed by a header line (`Name:`).

Any other `From ` line is body text and stays in the message's bytes. An accepted envelope
line is not part of the message (the mbox format), and so is kept in the message's arrival
label, sealed with its record. A message is the bytes after its envelope line, without the
blank line that precedes the next envelope; `>From ` quoting is left as it is, as Python's
mailbox module does.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from archiver.errors import NotRegularFile
from archiver.sources.arrival import Arrival, Message, Part

SOURCE_NAME = "import"
_CHUNK = 1 << 20
# A line starting "From " after an empty line: a candidate separator, checked further.
_CANDIDATE = re.compile(rb"\n\r?\n(?=From )")
_SEP_LOOKBACK = 8  # a candidate match spans at most this many bytes
_ENVELOPE_MAX = 998  # no envelope line is longer (RFC 5322's line limit)
_ENVELOPE = re.compile(
    rb"From (?:[\x21-\x7e]+)? +"
    rb"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +"
    rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} +"
    rb"\d{1,2}:\d{2}(?::\d{2})?"
    rb"(?: +(?:[A-Z]{1,5}|[+-]\d{4}))?"
    rb" +\d{4}"
    rb"(?: [\x20-\x7e]*)?"
)
_FIRST_ENVELOPE = re.compile(rb"From [\x20-\x7e\t]*")
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]{1,76}:")
_BLANK = re.compile(rb"\s*")
_HEADER_PEEK = 77  # bytes of a line that tell whether it is a header line
_MBOX_SUFFIXES = {".mbox", ".mbx"}
_EML_SUFFIXES = {".eml", ".msg822", ".email"}

_PROBE = getattr(os, "O_PATH", 0)  # Linux: a handle to the inode that reads nothing
_READ = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_REOPEN = _PROBE != 0 and os.path.isdir("/proc/self/fd")
_KINDS = (
    (stat.S_ISDIR, "directory"),
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
)


def _arrival(kind: str, label: str, part: Part | None = None) -> Arrival:
    return Arrival(source_kind=kind, source_name=SOURCE_NAME, label=label, part=part)


def _refuse(path: Path, what: str) -> NotRegularFile:
    if os.path.islink(path):  # for the message only: what was opened has been checked
        try:
            what = f"a symlink to a {what} ({os.readlink(path)})"
        except OSError:
            what = f"a symlink to a {what}"
    else:
        what = f"a {what}"
    return NotRegularFile(f"{path}: is {what}, not a regular file: not read")


def _what(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "special file")


def _check_regular(path: Path, fd: int) -> None:
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        raise _refuse(path, _what(mode))


def _open(path: Path, flags: int) -> int:
    try:
        return os.open(path, flags)
    except FileNotFoundError:
        if os.path.islink(path):
            raise _refuse(path, "missing file") from None
        raise
    except OSError as exc:
        if exc.errno != errno.ENXIO:
            raise
        try:  # a socket, or a device without a driver: say which
            mode = os.stat(path).st_mode
        except OSError:
            mode = stat.S_IFREG
        if stat.S_ISREG(mode):
            raise
        raise _refuse(path, _what(mode)) from None


def open_regular(path: Path) -> io.FileIO:
    """`path` opened for reading, if it is a regular file or a symlink to one.

    What was opened is checked (fstat), never the path before opening it, so nothing can be
    swapped in between. On Linux a FIFO or device is never even opened for reading: the path
    is opened with O_PATH, checked, and that inode reopened through /proc/self/fd.
    Raises NotRegularFile (naming what it is instead) or another OSError.
    """
    fd = -1
    if _REOPEN:
        probe = _open(path, _PROBE | os.O_CLOEXEC)
        try:
            _check_regular(path, probe)
            with contextlib.suppress(FileNotFoundError):  # /proc hidden: open the path
                fd = os.open(f"/proc/self/fd/{probe}", _READ)
        finally:
            os.close(probe)
    if fd < 0:  # O_NONBLOCK: opening a FIFO cannot block; the check below refuses it
        fd = _open(path, _READ)
    try:
        _check_regular(path, fd)
    except BaseException:
        os.close(fd)
        raise
    return io.FileIO(fd, "rb")


def _cannot(path: Path, exc: OSError) -> str:
    if isinstance(exc, NotRegularFile):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such file or directory"
    return f"{path}: cannot read: {exc.strerror or exc}"


def _read_at_most(f: io.FileIO, size: int, limit: int) -> bytes:
    """The file's bytes, or the first `limit` + 1 of them if it holds more than it said."""
    parts: list[bytes] = []
    total = 0
    want = min(size, limit) + 1  # one read for a file that is as large as it says
    while total <= limit and (data := f.read(want)):
        parts.append(data)
        total += len(data)
        want = min(limit + 1 - total, _CHUNK)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _too_large(path: Path, arrival: Arrival, max_bytes: int, size: int | None) -> Message:
    """`size` is None for a file that holds more than it said (a special file system's)."""
    limit = max_bytes // 1048576
    what = f"is {size / 1048576:.1f} MB," if size is not None else "holds"
    return Message(
        arrival, None, f"{path}: file {what} more than ingest.max_message_mb ({limit})", size or 0
    )


def _read_open(f: io.FileIO, path: Path, arrival: Arrival, max_bytes: int) -> Message:
    """One message from an open regular file."""
    try:
        size = os.fstat(f.fileno()).st_size
        if size > max_bytes:
            return _too_large(path, arrival, max_bytes, size)
        raw = _read_at_most(f, size, max_bytes)
    except OSError as exc:
        return Message(arrival, None, _cannot(path, exc))
    if len(raw) > max_bytes:
        return _too_large(path, arrival, max_bytes, None)
    if not raw:
        return Message(arrival, None, f"{path}: empty file: no message in it")
    return Message(arrival, raw, None, len(raw))


def is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def read_message(path: Path, arrival: Arrival, max_bytes: int) -> Message | None:
    """One message file, or why it cannot be archived; None if the file is gone."""
    try:
        f = open_regular(path)
    except NotRegularFile as exc:
        return Message(arrival, None, str(exc))
    except FileNotFoundError:
        return None
    except OSError as exc:
        return Message(arrival, None, _cannot(path, exc))
    with f:
        return _read_open(f, path, arrival, max_bytes)


def _read_one(path: Path, max_bytes: int, kind: str = "file") -> Message:
    arrival = _arrival(kind, str(path))
    found = read_message(path, arrival, max_bytes)
    return found or Message(arrival, None, f"{path}: no such file or directory")


class _MboxSplitter:
    """Splits an open mbox file into messages (the module docstring has the rule).

    `buf` holds the current message from its start (after `skip` bytes: its envelope's line
    end), unless it grew past the limit, when all but its last bytes are dropped as read.
    """

    def __init__(self, f: io.FileIO, path: Path, max_bytes: int, chunk: int) -> None:
        self.f = f
        self.path = path
        self.max_bytes = max_bytes
        self.chunk = chunk
        self.buf = bytearray()
        self.eof = False
        self.skip = 0  # bytes at buf's start that precede the message
        self.dropped = 0  # bytes of the current message thrown away: it is too large
        self.line = 1  # the file's line that holds buf[0]
        self.offset = 0  # the file's offset of buf[0]
        self.reported = 0  # bytes of the file already counted in a message's read_bytes
        self.number = 0
        self.start = 1  # the file's line where the current message starts
        self.envelope: str | None = None  # the current message's envelope line

    def messages(self) -> Iterator[Message]:
        self._first_envelope()
        scan = 0  # where the search for the next candidate resumes
        while True:
            m = _CANDIDATE.search(self.buf, scan)
            if m is None:
                if self.eof:
                    break
                scan = self._more(max(scan, len(self.buf) - _SEP_LOOKBACK))
                continue
            verdict = self._separator_at(m.end())
            if verdict is None:  # more bytes are needed to tell
                scan = self._more(m.start())
            elif verdict:
                yield self._cut(m.start() + 1, m.end())
                scan = 0
            else:
                scan = m.start() + 1  # body text: the line stays in the message
        if self.envelope is not None or self.dropped or not _blank(self.buf, self.skip):
            yield self._tail()

    def _more(self, keep: int) -> int:
        """Read another chunk, first dropping what precedes `keep` if the message is too large;
        returns where `keep` is now."""
        if len(self.buf) + self.dropped > self.max_bytes + self.chunk:
            cut = min(keep, len(self.buf) - _SEP_LOOKBACK)
            if cut > 0:
                self._forget(cut)
                self.dropped += cut
                keep -= cut
        data = self.f.read(self.chunk) or b""
        self.eof = not data
        self.buf += data
        return keep

    def _forget(self, n: int) -> None:
        """Drop buf's first `n` bytes, keeping count of lines and offsets."""
        self.line += self.buf.count(b"\n", 0, n)
        self.offset += n
        self.skip = max(0, self.skip - n)
        del self.buf[:n]

    def _line_end(self, at: int, limit: int) -> int | None:
        """The end of the line starting at `at` (its newline, or the end of the file); None if
        more must be read to find it; -1 if it is longer than `limit`."""
        end = self.buf.find(b"\n", at, at + limit + 1)
        if end >= 0:
            return end
        if len(self.buf) > at + limit:
            return -1
        return len(self.buf) if self.eof else None

    def _first_envelope(self) -> None:
        """Take the file's first line as the first message's envelope, if it is one."""
        while (end := self._line_end(0, _ENVELOPE_MAX)) is None:
            self._more(0)
        if end < 0 or end == len(self.buf):
            return  # too long, or no line end: the file holds no message after it anyway
        text = bytes(self.buf[:end]).removesuffix(b"\r")
        if _FIRST_ENVELOPE.fullmatch(text):
            self.envelope = text.decode("ascii")
            self._forget(end)
            self.skip = 1

    def _separator_at(self, at: int) -> bool | None:
        """Whether the `From ` line at `at` starts a message; None until enough is read."""
        end = self._line_end(at, _ENVELOPE_MAX)
        if end is None:
            return None
        if end < 0 or end == len(self.buf):
            return False
        text_end = end - 1 if self.buf[end - 1] == 0x0D else end
        if not _ENVELOPE.fullmatch(self.buf, at, text_end):
            return False
        following = end + 1
        peek = self._line_end(following, _HEADER_PEEK)
        if peek is None:
            return None
        return _HEADER_LINE.match(self.buf, following) is not None

    def _cut(self, end: int, at: int) -> Message:
        """The current message, which ends before `end`; the next one's envelope is at `at`."""
        eol = self.buf.index(b"\n", at)
        msg = self._finish(end, self.offset + at)
        self.envelope = bytes(self.buf[at:eol]).removesuffix(b"\r").decode("ascii")
        self._forget(eol)  # buf[0] is now the envelope's line end, on the envelope's line
        self.skip, self.dropped, self.start = 1, 0, self.line
        return msg

    def _tail(self) -> Message:
        end = len(self.buf)
        if self.buf.endswith(b"\r\n\r\n"):
            end -= 2
        elif self.buf.endswith(b"\n\n"):
            end -= 1
        return self._finish(max(end, self.skip), self.offset + len(self.buf))

    def _finish(self, end: int, consumed: int) -> Message:
        """The current message (buf[skip:end]), its input having reached `consumed`."""
        self.number += 1
        name = f"{self.path}#{self.number}"
        where = f"{name} (line {self.start})"
        arrival = _arrival(
            "mbox",
            f"{where}: {self.envelope}" if self.envelope else where,
            Part(name, self.start, self.envelope),
        )
        span, self.reported = consumed - self.reported, consumed
        if self.dropped:
            limit = self.max_bytes // 1048576
            return Message(
                arrival,
                None,
                f"{where}: message is more than ingest.max_message_mb ({limit})",
                span,
            )
        with memoryview(self.buf) as view:
            raw = bytes(view[self.skip : end])
        if _blank(raw):
            return Message(arrival, None, f"{arrival.label}: empty message", span)
        return Message(arrival, raw, None, span)


def _blank(data: bytes | bytearray, start: int = 0) -> bool:
    """Whether `data[start:]` is only whitespace (without copying it)."""
    return _BLANK.fullmatch(data, start) is not None


def read_mbox(path: Path, max_bytes: int, chunk: int | None = None) -> Iterator[Message]:
    """The messages of an mbox file, one at a time (reading `chunk` bytes at a time)."""
    try:
        f = open_regular(path)
    except OSError as exc:
        yield Message(_arrival("mbox", str(path)), None, _cannot(path, exc))
        return
    with f:
        yield from _split(f, path, max_bytes, chunk)


def _split(f: io.FileIO, path: Path, max_bytes: int, chunk: int | None) -> Iterator[Message]:
    try:
        yield from _MboxSplitter(f, path, max_bytes, chunk or _CHUNK).messages()
    except OSError as exc:
        yield Message(_arrival("mbox", str(path)), None, f"{path}: read failed: {exc.strerror}")


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


def _classify(path: Path, f: io.FileIO) -> str | None:
    """'eml', 'mbox' or None (not a message file) for an open file; leaves it at its start.

    A .eml file is one message even when it starts with an mbox `From ` line, as saved
    single messages often do: the file's bytes are the record.
    """
    suffix = path.suffix.lower()
    if suffix in _EML_SUFFIXES:
        return "eml"
    if suffix in _MBOX_SUFFIXES:
        return "mbox"
    try:
        first = f.read(256) or b""
        f.seek(0)
    except OSError:
        return "eml"  # reading it will report the error
    if first.startswith(b"From "):
        return "mbox"
    return "eml" if _HEADER_LINE.match(first) else None


@dataclass
class Scan:
    """What a walk over the inputs found, filled in as messages are read."""

    skipped: list[str]


def read_paths(paths: list[Path], max_bytes: int, scan: Scan) -> Iterator[Message]:
    """Every message under `paths`, in a stable order; files that are not mail go in `skipped`.

    A path given here is read as a message even if it does not look like one.
    """
    for path in paths:
        if path.is_dir():
            yield from _read_dir(path, max_bytes, scan)
        else:
            yield from _read_file(path, max_bytes, scan, walking=False)


def _read_file(path: Path, max_bytes: int, scan: Scan, walking: bool) -> Iterator[Message]:
    """The messages of one file: an mbox's, or the file as one message."""
    try:
        f = open_regular(path)
    except OSError as exc:
        yield Message(_arrival("file", str(path)), None, _cannot(path, exc))
        return
    with f:
        kind = _classify(path, f)
        if kind == "mbox":
            yield from _split(f, path, max_bytes, None)
        elif kind == "eml" or not walking:
            yield _read_open(f, path, _arrival("file", str(path)), max_bytes)
        else:
            scan.skipped.append(str(path))


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
        else:  # anything but a regular file (or a symlink to one) is an error, not skipped
            yield from _read_file(path, max_bytes, scan, walking=True)


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
