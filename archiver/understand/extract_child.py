"""The sandboxed side of attachment text extraction; `archiver.understand.extract` runs it.

PDFs are read by PDFium (pypdfium2), imported only in the child process (`main`), never when
the parent imports the protocol constants from here. DOCX is read with the standard library
(zipfile, ElementTree): only the parts with text (the document, its headers, footers and
comments), where python-docx parsed every part of the package (the styles alone are often
most of its XML) at 40 times the cost.

The child limits itself before it reads any attachment: it dies with its parent
(PR_SET_PDEATHSIG), cannot be traced by other processes or dump core, cannot write files
(RLIMIT_FSIZE 0), holds few files open at once (RLIMIT_NOFILE), and has an address-space
limit (RLIMIT_AS) and a CPU-time limit (RLIMIT_CPU: per request, and for its whole life).
Doing this in the child rather than in a `preexec_fn` keeps the parent's `Popen` free of
Python code between fork and exec, which is unsafe when the parent has threads; nothing
untrusted reaches the child before it is done. (setrlimit is the prlimit64 system call, which
the service unit's `SystemCallFilter=~@resources` allows; `setrlimit` proper it would not.)

Protocol, over stdin and stdout: each frame is a HEADER (two unsigned 32-bit big-endian
lengths), that many bytes of JSON metadata, then that many bytes of payload. The child first
sends a "ready" frame, then answers each request frame (payload: the attachment) with one
response frame (payload: the text, UTF-8). Before it, for a PDF of several pages, it sends a
progress frame after each page but the last (`pages_read`, `pages`, `bad_pages`; payload: the
text added since the previous frame): PDFium aborts the process when an allocation fails, and
the parent then keeps what came before. The text is the progress frames' and the response's,
one per line. End of input ends the child.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import math
import os
import posixpath
import re
import resource
import signal
import struct
import sys
import time
import warnings
import zipfile
from collections.abc import Callable
from typing import Any, BinaryIO
from xml.etree import ElementTree

from archiver.platform.children import prctl

# Where a PDF's text goes page by page: progress metadata, and the text added since last time.
Report = Callable[[dict[str, int], str], None]

HEADER = struct.Struct("!II")
MAX_META = 64 * 1024  # bytes of JSON metadata in any frame
MAX_DOCX_UNCOMPRESSED = 100 * 1024 * 1024  # declared size of all the parts of a DOCX together
MAX_DOCX_ENTRIES = 10_000
ZIP_STEP = 1024 * 1024  # bytes zipfile may inflate in one step
MAX_FILES = 32  # RLIMIT_NOFILE: the pipes, and the package files of late imports

_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38


@dataclasses.dataclass(frozen=True)
class ChildConfig:
    """What the parent tells the child on its command line (one JSON argument)."""

    parent: int  # the parent's pid: the child exits if it is not its parent any more
    memory_mb: int  # RLIMIT_AS
    cpu_seconds: int  # RLIMIT_CPU hard limit: CPU time for the child's whole life
    max_input: int  # bytes of attachment accepted in one request

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ChildConfig:
        raw = json.loads(text)
        return cls(**{f.name: int(raw[f.name]) for f in dataclasses.fields(cls)})


# ---------------------------------------------------------------------------------------------
# Text


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff]")  # not storable in a text column
_SPACES = re.compile(r"[^\S\n]+")


def normalise(block: str) -> str:
    """Whitespace collapsed to single spaces, lines kept (empty ones dropped), no controls."""
    block = _CONTROL.sub(" ", block.replace("\r\n", "\n").replace("\r", "\n"))
    lines = (_SPACES.sub(" ", line).strip() for line in block.split("\n"))
    return "\n".join(line for line in lines if line)


class _Full(Exception):
    """The text reached its cap, or the time for extraction ran out: stop extracting."""


class _Refused(Exception):
    """The attachment is refused without being parsed (status and a reason)."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Sink:
    """Collects normalised blocks of text, one per line, up to `max_chars` characters, until
    `deadline` (time.monotonic()): a long document gives the text of its beginning rather
    than nothing when the parent's deadline would strike."""

    def __init__(self, max_chars: int, deadline: float = math.inf) -> None:
        self.max_chars = max_chars
        self.deadline = deadline
        self.parts: list[str] = []
        self.size = 0
        self.late = False
        self.taken = 0  # parts already given by `take`

    def add(self, block: str) -> None:
        if time.monotonic() > self.deadline:
            self.late = True
            raise _Full
        text = normalise(block)
        if not text:
            return
        separator = 1 if self.parts else 0
        room = self.max_chars - self.size - separator
        if len(text) > room:
            if room > 0:
                self.parts.append(text[:room])
                self.size += separator + room
            raise _Full
        self.parts.append(text)
        self.size += separator + len(text)

    def take(self) -> str:
        """The text added since the last `take` (all of it, the first time)."""
        new = self.parts[self.taken :]
        self.taken = len(self.parts)
        return "\n".join(new)


# ---------------------------------------------------------------------------------------------
# PDF


# PDFium's document-loading errors that mean a password is needed (or an unknown handler).
_ERR_PASSWORD, _ERR_SECURITY = 4, 5


def _pdf(data: bytes, sink: Sink, report: Report | None) -> str | None:
    """Each page's text in order, as PDFium lays it out (every character of the page, on or
    off its visible area), reporting the text after each page but the last: PDFium aborts
    the process when an allocation fails (a decompression bomb under the memory limit), and
    then the parent keeps the pages read before."""
    import pypdfium2

    try:  # a PDF encrypted with an empty user password (to restrict printing) opens
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        if exc.err_code in (_ERR_PASSWORD, _ERR_SECURITY):
            raise _Refused("failed", "encrypted") from None
        raise _Refused("failed", "not a readable PDF") from None
    try:
        total = len(document)
        bad = 0
        first: Exception | None = None
        for index in range(total):
            try:
                page = document[index]
                try:
                    textpage = page.get_textpage()
                    text = textpage.get_text_range()
                    textpage.close()
                finally:
                    page.close()
            except MemoryError:
                raise
            except Exception as exc:  # noqa: BLE001 -- one bad page, whatever PDFium's
                # bindings raised, does not lose the others (the child is there to contain it)
                bad += 1
                first = first or exc
            else:
                sink.add(text)
            if report is not None and index + 1 < total:
                report({"pages_read": index + 1, "pages": total, "bad_pages": bad}, sink.take())
    finally:
        document.close()
    if first is not None:
        if bad == total:
            raise first
        return unreadable_pages(bad, total, reason(first))
    return None


def unreadable_pages(bad: int, total: int, why: str) -> str:
    """The note of a PDF some pages of which could not be read."""
    return f"{bad} of {total} pages unreadable ({why})"


# ---------------------------------------------------------------------------------------------
# DOCX

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_WORD_TYPES = frozenset(
    f"application/vnd.{kind}.main+xml"
    for kind in (
        "openxmlformats-officedocument.wordprocessingml.document",
        "openxmlformats-officedocument.wordprocessingml.template",
        "ms-word.document.macroEnabled",
        "ms-word.template.macroEnabledTemplate",
    )
)
_P, _T, _TAB, _BR, _CR = _W + "p", _W + "t", _W + "tab", _W + "br", _W + "cr"
_NO_BREAK_HYPHEN = _W + "noBreakHyphen"
# Properties hold no text; mc:Fallback repeats mc:Choice (a text box drawn the old way).
_NO_TEXT = frozenset(
    _W + tag
    for tag in ("pPr", "rPr", "sectPr", "tblPr", "tblGrid", "trPr", "tcPr", "sdtPr", "sdtEndPr")
) | {_MC + "Fallback"}


def _bound_zip_reads() -> None:
    """Make zipfile inflate at most 1 MB per step when reading a whole member (the default
    is 2 GB in one step, before it cuts the result at the member's declared size)."""
    if isinstance(getattr(zipfile.ZipExtFile, "MAX_N", None), int):
        zipfile.ZipExtFile.MAX_N = ZIP_STEP


def _check_zip(data: bytes) -> None:
    """Refuse a zip bomb before opening it. zipfile stops a member at its declared size
    (and then fails its CRC if it lied), and with `_bound_zip_reads` gets there in small
    steps, so the declared sizes bound what a document can be made to inflate."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
        raise _Refused("failed", "not a zip file") from None
    if len(members) > MAX_DOCX_ENTRIES:
        raise _Refused("too_large", f"{len(members)} zip entries (limit {MAX_DOCX_ENTRIES})")
    declared = sum(member.file_size for member in members)
    if declared > MAX_DOCX_UNCOMPRESSED:
        raise _Refused(
            "too_large",
            f"declares {declared >> 20} MB uncompressed (limit {MAX_DOCX_UNCOMPRESSED >> 20} MB)",
        )


def _paragraph(element: Any, out: list[str]) -> None:
    """The text of a w:p in document order: runs, hyperlinks, fields' results, content
    controls, tracked insertions, and text boxes (whose paragraphs become lines)."""
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _NO_TEXT:
            continue
        if tag == _T:
            out.append(child.text or "")
        elif tag == _TAB:
            out.append("\t")
        elif tag in (_BR, _CR):
            out.append("\n")
        elif tag == _NO_BREAK_HYPHEN:
            out.append("-")
        elif tag == _P:
            out.append("\n")
            _paragraph(child, out)
            out.append("\n")
        else:  # w:r, w:hyperlink, w:ins, w:smartTag, w:sdt, drawings, ... (not w:delText)
            _paragraph(child, out)


def _blocks(element: Any, sink: Sink) -> None:
    """Each paragraph of a story (body, table cell, header, ...) in order, one per line;
    tables row by row, content controls and custom XML included."""
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _NO_TEXT:
            continue
        if tag == _P:
            out: list[str] = []
            _paragraph(child, out)
            sink.add("".join(out))
        else:  # w:tbl, w:tr, w:tc, w:sdt, w:sdtContent, w:customXml, mc:AlternateContent, ...
            _blocks(child, sink)


# "<!DOCTYPE" in each encoding expat reads (ASCII, Latin-1 and UTF-8 share the first).
_DOCTYPE = tuple("<!DOCTYPE".encode(codec) for codec in ("ascii", "utf-16-le", "utf-16-be"))


class _NoDtd(ElementTree.TreeBuilder):
    """Refuses a document type declaration: its entities could expand without bound, and
    Word never writes one. (ElementTree hears of it only once expat has parsed the whole
    input it was fed, entities expanded: `_xml` looks for one in the bytes first.)"""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _Refused("failed", "XML with a document type declaration")


def _xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    """The root of the part `name`; KeyError when the package has no such part."""
    # What defusedxml guards against is entities, declared in a DTD: `_NoDtd` refuses it.
    parser = ElementTree.XMLParser(target=_NoDtd())  # noqa: S314
    try:
        raw = archive.read(name)
        if any(mark in raw for mark in _DOCTYPE):
            raise _Refused("failed", "XML with a document type declaration")
        parser.feed(raw)
        return parser.close()
    except zipfile.BadZipFile:  # a member's CRC or size is wrong
        raise _Refused("failed", "damaged zip member") from None
    except ElementTree.ParseError:
        raise _Refused("failed", "malformed XML") from None


def _related(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """The internal relationships of `part` ("" for the package's): {id: (type, part name)}."""
    folder, _, base = part.rpartition("/")
    rels = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
    try:
        root = _xml(archive, rels)
    except KeyError:
        return {}
    found = {}
    for rel in root.iter(_RELATIONSHIP):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or not target:
            continue
        name = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        found[rel.get("Id", "")] = (rel.get("Type", ""), posixpath.normpath(name))
    return found


def _main_part(archive: zipfile.ZipFile) -> str:
    """The name of the package's Word document part; refused if it has none."""
    for kind, name in _related(archive, "").values():
        if kind.endswith("/officeDocument"):
            types = _xml(archive, "[Content_Types].xml")
            extension = name.rpartition(".")[2].lower()
            by_extension = {
                default.get("Extension", "").lower(): default.get("ContentType")
                for default in types.iter(_CT + "Default")
            }
            declared = by_extension.get(extension)
            for override in types.iter(_CT + "Override"):
                if override.get("PartName", "").lstrip("/") == name:
                    declared = override.get("ContentType")
            if declared in _WORD_TYPES:
                return name
    raise _Refused("failed", "not a Word document")


def _docx(data: bytes, sink: Sink) -> None:
    """The text of the headers, the body, the footers and the comments, in that order, each
    header and footer once (each section's first-page, default and even-page one)."""
    _check_zip(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        main = _main_part(archive)
        try:
            document = _xml(archive, main)
        except KeyError:
            raise _Refused("failed", "not a Word document") from None
        body = document.find(_W + "body")
        related = _related(archive, main)
        sections = [] if body is None else [*body.iterfind(f"{_P}/{_W}pPr/{_W}sectPr")]
        if body is not None:
            sections += body.findall(_W + "sectPr")
        stories: dict[str, list[str]] = {"header": [], "footer": []}
        for kind, found in stories.items():
            for section in sections:
                for which in ("first", "default", "even"):
                    for reference in section.iterfind(f"{_W}{kind}Reference"):
                        if reference.get(_W + "type", "default") != which:
                            continue
                        rel = related.get(reference.get(_R_ID, ""))
                        if rel is not None and rel[1] not in found:
                            found.append(rel[1])
        comments = [name for kind, name in related.values() if kind.endswith("/comments")]
        for name in stories["header"]:
            _story(archive, name, sink)
        if body is not None:
            _blocks(body, sink)
        for name in stories["footer"] + comments[:1]:
            _story(archive, name, sink)


def _story(archive: zipfile.ZipFile, name: str, sink: Sink) -> None:
    """The paragraphs of a header, footer or the comments part (each comment's lines)."""
    try:
        root = _xml(archive, name)
    except KeyError:  # a relationship to a part the package lacks
        return
    _blocks(root, sink)


# ---------------------------------------------------------------------------------------------
# Requests


_REASONS = {
    "BadZipFile": "not a zip file",
    "PackageNotFoundError": "not a Word document",
    "FileNotDecryptedError": "encrypted",
    "LimitReachedError": "a decompression or parsing limit was reached",
    "RecursionError": "nested too deeply",
    "XMLSyntaxError": "malformed XML",
    "PdfiumError": "PDFium could not read it",
}


def reason(exc: BaseException) -> str:
    """A short reason for an exception: its type, never its message (which may quote the
    document)."""
    name = type(exc).__name__
    return _REASONS.get(name, name)


def extract(
    kind: str,
    data: bytes,
    max_chars: int,
    seconds: float = math.inf,
    report: Report | None = None,
) -> tuple[str, str, str | None]:
    """(status, text, error) for one attachment, whose text extraction stops after about
    `seconds` (status "truncated"). With `report`, a PDF's text is given to it page by page as
    it is read, and the text returned is the rest. Raises MemoryError only."""
    sink = Sink(max_chars, time.monotonic() + seconds)
    try:
        if kind == "pdf":
            note = _pdf(data, sink, report)
        elif kind == "docx":
            _docx(data, sink)
            note = None
        else:
            return "unsupported", "", None
    except _Full:
        return "truncated", sink.take(), "time limit reached" if sink.late else None
    except _Refused as refused:
        return refused.status, "", refused.reason
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 -- contained and reported: the child's purpose
        return "failed", "", reason(exc)
    return "ok", sink.take(), note


def _sandbox(config: ChildConfig) -> None:
    """Limit this process before it sees any input. Raises OSError if a limit cannot be set."""
    prctl(_PR_SET_NO_NEW_PRIVS, 1)
    prctl(_PR_SET_DUMPABLE, 0)  # no ptrace by others of this user, no core
    limits = [
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_FSIZE, 0),
        (resource.RLIMIT_NOFILE, MAX_FILES),
        (resource.RLIMIT_AS, config.memory_mb * 1024 * 1024),
        (resource.RLIMIT_CPU, config.cpu_seconds),
    ]
    for which, wanted in limits:
        hard = resource.getrlimit(which)[1]
        value = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(which, (value, value))


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss() -> int:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size) if size else b""
    return data if len(data) == size else None


def _send(fd: int, meta: dict[str, Any], payload: bytes = b"") -> None:
    head = json.dumps(meta).encode()
    view = memoryview(HEADER.pack(len(head), len(payload)) + head + payload)
    while view:
        view = view[os.write(fd, view) :]


def _serve(config: ChildConfig, stream: BinaryIO, out: int) -> None:
    while True:
        header = _read_exact(stream, HEADER.size)
        if header is None:
            return  # the parent closed our input: done
        meta_size, data_size = HEADER.unpack(header)
        if meta_size > MAX_META or data_size > config.max_input:
            return
        raw_meta = _read_exact(stream, meta_size)
        data = _read_exact(stream, data_size)
        if raw_meta is None or data is None:
            return
        request = json.loads(raw_meta)
        # This request's CPU budget; the hard limit bounds the child's whole life.
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        budget = int(_cpu_used()) + int(request.get("cpu", 60))
        resource.setrlimit(resource.RLIMIT_CPU, (min(budget, hard), hard))
        retire = False
        try:
            kind, max_chars = str(request.get("kind")), int(request["max_chars"])
            seconds = float(request.get("seconds", math.inf))

            def report(meta: dict[str, int], text: str) -> None:
                _send(out, meta, text.encode("utf-8", "replace"))

            status, text, error = extract(kind, data, max_chars, seconds, report)
        except MemoryError:
            status, text, error = "failed", "", "memory limit exceeded"
            retire = True  # the heap may be in a poor state: let the parent start another
        del data
        payload = text.encode("utf-8", "replace")
        del text
        meta = {"status": status, "error": error, "cpu": _cpu_used(), "rss": _rss()}
        _send(out, {**meta, "retire": retire}, payload)
        if retire:
            return


def _quiet() -> None:
    logging.disable(logging.CRITICAL)  # parsers log warnings for every oddity in a file
    warnings.simplefilter("ignore")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    config = ChildConfig.from_json(args[0])
    # Die with the parent; if it already died, the kernel will not tell us.
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != config.parent:
        return 1
    # The protocol owns the real stdout; anything a library prints goes to stderr (/dev/null).
    out = os.dup(1)
    os.dup2(2, 1)
    _quiet()
    versions: dict[str, str | None] = {}
    try:  # imported before the limits, so that they need not allow for it
        versions["pypdfium2"] = _load_pdfium()
    except ImportError:  # missing from this installation: PDFs fail
        versions["pypdfium2"] = None
    _bound_zip_reads()
    try:
        _sandbox(config)
    except (OSError, ValueError) as exc:
        _send(out, {"ready": False, "error": f"cannot limit the extractor ({exc})"})
        return 1
    _send(out, {"ready": True, "versions": versions})
    _serve(config, sys.stdin.buffer, out)
    return 0


def _load_pdfium() -> str:
    import pypdfium2  # loads and initialises PDFium

    return str(pypdfium2.version.PYPDFIUM_INFO)


if __name__ == "__main__":
    sys.exit(main())
