"""Every text a person given a produced file could read out of it, for the export's release
gate (`records/gate.py`): pure, no keys, no database.

A file is read as a requester's tools would read it, in every way we know of, so a redacted
string hiding in any of them is found:
- a message (`.eml`, and each message of an mbox): every header decoded (RFC 2047 words),
  every part's file name, every text part decoded by its transfer encoding and charset, and
  each attached PDF or message read in turn;
- a PDF: its text layer by two independent extractors, PDFium (Chrome's PDF engine) and
  poppler's `pdftotext` (when installed; the engine of most other viewers), its document
  information (title, author, subject, keywords...), its XMP metadata, its outline
  (bookmarks), its annotations' texts and links, and each embedded file (read by pypdf),
  read in turn;
- anything else: its bytes as UTF-8.

A PDF or a message is read once: `known`, given, holds the digests of those read already (the
rendering in `records/ID.pdf`, again in `records/ID.eml`, again in the mbox), and the same bytes
met again give no more texts (they have none the first reading did not give).

The files are the archiver's own (renderings it has just made, messages it has just written),
so PDFium and pypdf parse them in this process; the sandboxed extractor (`extract.py`) is for
archived attachments from outside. This module is pypdf's one importer; PDFium's are this
module, `pdf_raster.py` and `extract_child.py`. pypdf's own text extraction is not used:
pure Python, it took two thirds of the gate's time (a rendering's page in ~70 ms, PDFium's in
~1 ms), and it garbles a font WeasyPrint writes with a custom encoding.
"""

from __future__ import annotations

import email
import email.header
import email.message
import hashlib
import io
import logging
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pypdfium2
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from archiver.understand.mbox import unquote

UNREADABLE = "unreadable"  # `where` of a file (or part) that could not be read: its reason
MAX_DEPTH = 4  # a PDF in a message in a PDF...: deeper than anything the export writes
PDFTOTEXT_TIMEOUT = 120  # seconds for one file


def pdftotext_available() -> bool:
    """Whether poppler's `pdftotext` is installed (the second PDF text extractor)."""
    return _pdftotext_path() is not None


def _pdftotext_path() -> str | None:
    return shutil.which("pdftotext")


def texts(
    name: str, data: bytes, depth: int = 0, known: set[bytes] | None = None
) -> Iterator[tuple[str, str]]:
    """`(where, text)` for every text in the file `name` holding `data`: its name first, then
    what its kind holds (see the module's docstring). `where` says which part ("PDF text
    (pdftotext)", "attachment 2 > PDF metadata /Title"). With `known`, a PDF or message
    whose bytes are in it is not read again, and each one read is added."""
    yield "file name", name
    if depth > MAX_DEPTH:
        return
    lower = name.lower()
    if data.startswith(b"%PDF") or lower.endswith(".pdf"):
        yield from pdf_texts(data, depth, known)
    elif lower.endswith(".mbox"):
        yield from _mbox_texts(data.splitlines(keepends=True), depth, known)
    elif lower.endswith(".eml"):
        yield from message_texts(data, depth, known)
    else:
        yield "bytes as UTF-8", data.decode("utf-8", "replace")


def _first_reading(kind: bytes, data: bytes, known: set[bytes] | None) -> bool:
    """Whether `data` (a PDF or a message) is to be read: always without `known`; else only
    the first time its bytes are met."""
    if known is None:
        return True
    digest = hashlib.sha256(kind + data).digest()
    if digest in known:
        return False
    known.add(digest)
    return True


def _mbox_messages(lines: Iterable[bytes]) -> Iterator[bytes]:
    """An mboxrd file's messages, from its lines (the export writes it: every `From ` line
    that starts a line is an envelope line; one inside a body is quoted `>From `), without
    the empty line that separates each from the next (so a message reads as the bytes of
    its own file). One message in memory at a time."""
    message: list[bytes] | None = None
    for line in lines:
        if line.startswith(b"From "):
            if message is not None:
                yield _unboxed(message)
            message = []
        elif message is not None:
            message.append(line)
    if message is not None:
        yield _unboxed(message)


def _unboxed(lines: list[bytes]) -> bytes:
    body = b"".join(lines)
    return unquote(body[:-1] if body.endswith(b"\n\n") else body)


def mbox_file_texts(
    name: str, path: Path, known: set[bytes] | None = None
) -> Iterator[tuple[str, str]]:
    """`texts` of an mbox file on disk, read message by message (an export's mbox holds
    every record: it is never read whole)."""
    yield "file name", name
    with path.open("rb") as f:
        yield from _mbox_texts(f, 0, known)


def _mbox_texts(
    lines: Iterable[bytes], depth: int, known: set[bytes] | None
) -> Iterator[tuple[str, str]]:
    """Each message's texts of an mbox given by its lines, one message at a time."""
    for n, message in enumerate(_mbox_messages(lines), start=1):
        for where, text in message_texts(message, depth, known):
            yield f"message {n} > {where}", text


def _header(value: Any) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(str(value))))
    except (ValueError, LookupError, UnicodeError):
        return str(value)


def message_texts(
    data: bytes, depth: int = 0, known: set[bytes] | None = None
) -> Iterator[tuple[str, str]]:
    """A message's headers decoded, each part's file name and headers, every text part
    decoded, attached PDFs and messages read in turn; and the raw bytes of a part that is
    neither (as UTF-8). Nothing for a message in `known` (see `texts`)."""
    if not _first_reading(b"message\0", data, known):
        return
    msg = email.message_from_bytes(data)
    for n, part in enumerate(msg.walk()):
        where = "message" if n == 0 else f"part {n}"
        for key, value in part.items():
            if n == 0 or key.lower().startswith("content-"):
                yield f"{where} header {key}", _header(value)
        filename = part.get_filename()
        if filename:
            yield f"{where} file name", _header(filename)
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        ctype = part.get_content_type()
        if ctype == "message/rfc822" or ctype.startswith("multipart/"):
            inner = message_texts(payload, depth + 1, known)
            yield from ((f"{where} > {w}", t) for w, t in inner)
        elif ctype == "application/pdf" or payload.startswith(b"%PDF"):
            yield from ((f"{where} > {w}", t) for w, t in pdf_texts(payload, depth + 1, known))
        elif ctype.startswith("text/"):
            charset = part.get_content_charset() or "utf-8"
            try:
                yield f"{where} text", payload.decode(charset, "replace")
            except LookupError:  # an unknown charset: read it as UTF-8
                yield f"{where} text", payload.decode("utf-8", "replace")
        elif not ctype.startswith("image/"):
            yield f"{where} bytes as UTF-8", payload.decode("utf-8", "replace")


def pdf_texts(
    data: bytes, depth: int = 0, known: set[bytes] | None = None
) -> Iterator[tuple[str, str]]:
    """A PDF's text by PDFium and by pdftotext, its metadata, XMP, outline, annotations and
    embedded files (each read in turn). Never raises: a file an extractor cannot read yields
    `(UNREADABLE, why)`, and the gate treats it as failing (it cannot be shown clean). Nothing
    for a PDF in `known` (see `texts`)."""
    if not _first_reading(b"pdf\0", data, known):
        return
    yield from _pdftotext(data)
    yield from _pdfium_text(data)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # an oddity is not a failure here
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = list(reader.pages)
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds; the gate must know
        yield UNREADABLE, f"pypdf cannot read it: {type(exc).__name__}: {exc}"
        return
    info: dict[str, Any] = dict(reader.metadata or {})
    for key, value in info.items():
        yield f"PDF metadata {key}", str(value)
    root = reader.trailer["/Root"].get_object()
    metadata = root.get("/Metadata") if isinstance(root, DictionaryObject) else None
    if metadata is not None:
        yield "PDF XMP metadata", metadata.get_object().get_data().decode("utf-8", "replace")
    yield from _outline(reader.outline)
    for n, page in enumerate(pages, start=1):
        for annotation in _objects(page.get("/Annots")):
            for key in ("/Contents", "/T", "/TU", "/V"):
                if key in annotation:
                    yield f"page {n} annotation {key}", str(annotation[key])
            action = annotation.get("/A")
            if isinstance(action, DictionaryObject) and "/URI" in action:
                yield f"page {n} link", str(action["/URI"])
    for name, contents in reader.attachments.items():
        for k, content in enumerate(contents, start=1):
            where = f"embedded file {name}" + (f" ({k})" if len(contents) > 1 else "")
            yield f"{where} name", name
            for w, text in texts(name, content, depth + 1, known):
                yield f"{where} > {w}", text


def _objects(value: Any) -> Iterator[DictionaryObject]:
    if isinstance(value, IndirectObject):
        value = value.get_object()
    if isinstance(value, ArrayObject):
        for item in value:
            obj = item.get_object() if isinstance(item, IndirectObject) else item
            if isinstance(obj, DictionaryObject):
                yield obj


def _outline(items: Any) -> Iterator[tuple[str, str]]:
    for item in items or ():
        if isinstance(item, list):
            yield from _outline(item)
        else:
            title = getattr(item, "title", None)
            if title:
                yield "PDF outline", str(title)


def _pdfium_text(data: bytes) -> Iterator[tuple[str, str]]:
    """Every page's text as PDFium reads it (full Unicode: `get_text_bounded`), or why not."""
    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        yield UNREADABLE, f"PDFium cannot open it: {exc}"
        return
    try:
        pages = []
        for page in pdf:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
    except pypdfium2.PdfiumError as exc:
        yield UNREADABLE, f"PDFium cannot read it: {exc}"
        return
    finally:
        pdf.close()
    yield "PDF text (PDFium)", "\n".join(pages)


def _pdftotext(data: bytes) -> Iterator[tuple[str, str]]:
    program = _pdftotext_path()
    if program is None:
        return
    try:
        done = subprocess.run(  # noqa: S603 -- poppler found on PATH, fixed arguments, no shell
            [program, "-q", "-enc", "UTF-8", "-", "-"],
            input=data,
            capture_output=True,
            timeout=PDFTOTEXT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        yield UNREADABLE, f"pdftotext took over {PDFTOTEXT_TIMEOUT} s"
        return
    if done.returncode != 0:
        yield UNREADABLE, f"pdftotext cannot read it (exit {done.returncode})"
        return
    yield "PDF text (pdftotext)", done.stdout.decode("utf-8", "replace")
