"""A record as text a person reads, and as a PDF rendering of that text.

`record_text` gathers every readable part of an opened record as plain strings
(`RecordText`): each original's headers and body, the forwarder and note, the attachments
listed with their sizes and SHA-256, and the text of PDF and DOCX attachments (read by the
search index's sandboxed extractor). Redaction works on this text before anything is
rendered (DESIGN.md section 9.4: removal, never an overlay): `RecordText.map` applies one
str -> str function to every field, and `record_document` lays out whatever text it is given.

Bodies are already text: the parser reduced an HTML-only body with `understand/html.py`'s
`html_to_text` when the record was archived (an older record's body is read again the same
way), so no markup from a message reaches the rendering.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from archiver.archive.reading import OpenedRecord, listed
from archiver.domain import PROVENANCE_HEADERS, PROVENANCE_NONE, Original, Party, RecordMeta
from archiver.render.document import (
    Block,
    Document,
    EmbeddedFile,
    Heading,
    ItemList,
    KeyValueTable,
    Paragraph,
    paragraphs,
)
from archiver.understand.indexing import DEFAULT_TEXT_LIMITS, TextLimits

if TYPE_CHECKING:
    from archiver.understand.parse import ParsedMessage


@dataclass(frozen=True)
class MessageText:
    """One message of the record (an original, or the message itself) as text. `provenance`
    (headers, reconstructed, none: how it was found) is a fact about it, not its text."""

    sender: str
    to: str
    cc: str
    date: str
    subject: str
    body: str
    provenance: str

    def map(self, fn: Callable[[str], str]) -> MessageText:
        return replace(
            self,
            sender=fn(self.sender),
            to=fn(self.to),
            cc=fn(self.cc),
            date=fn(self.date),
            subject=fn(self.subject),
            body=fn(self.body),
        )


# How a redacted record's attachment is produced (`records/production.py`), by kind.
PDF_KIND, MESSAGE_KIND, DOCX_KIND = "pdf", "message", "docx"
IMAGE_KIND, OTHER_KIND = "image", "other"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def attachment_kind(content_type: str, name: str) -> str:
    """An attachment's kind, as redacted production treats it: a PDF (by type or a `.pdf`
    name: rasterised), an attached message (an original in the rendering), a Word document
    (by type or a `.docx` name: its text in the rendering), an image (`image/*`: released or
    withheld by decision), or any other file (withheld). Told from the archived name, never a
    redacted one, so a decision and the export agree."""
    lower = name.lower()
    if content_type == "application/pdf" or lower.endswith(".pdf"):
        return PDF_KIND
    if content_type == "message/rfc822":
        return MESSAGE_KIND
    if content_type == _DOCX or lower.endswith(".docx"):
        return DOCX_KIND
    if content_type.startswith("image/"):
        return IMAGE_KIND
    return OTHER_KIND


@dataclass(frozen=True)
class AttachmentText:
    """An attachment as `show` numbers it (`number`, from 1; `original`: None for the
    message's own, N for the Nth original's), with `text` for a PDF or DOCX whose text was
    read (None otherwise) and `problem`: why it was not, or only partly (a truncated text).
    Its type, size and SHA-256 are facts of the archived file, never redacted."""

    number: int
    name: str
    content_type: str
    size: int
    sha256: str
    original: int | None
    text: str | None
    problem: str | None

    def map(self, fn: Callable[[str], str]) -> AttachmentText:
        return replace(self, name=fn(self.name), text=None if self.text is None else fn(self.text))


@dataclass(frozen=True)
class RecordText:
    """A record's readable parts as plain strings.

    `subject` and `forwarded` (its Date header) are the record's own message's; `forwarder`
    and `note` say who passed the originals on and what they wrote ("" when the record is not
    a forward); `messages` are the originals, outermost first (the message itself when it is
    not a forward); `attachments` every attachment at any depth.
    """

    subject: str
    forwarder: str
    forwarded: str
    note: str
    messages: tuple[MessageText, ...]
    attachments: tuple[AttachmentText, ...]

    def map(self, fn: Callable[[str], str]) -> RecordText:
        """The same record with `fn` applied to every text field (how redaction is applied:
        before anything is rendered)."""
        return RecordText(
            subject=fn(self.subject),
            forwarder=fn(self.forwarder),
            forwarded=fn(self.forwarded),
            note=fn(self.note),
            messages=tuple(m.map(fn) for m in self.messages),
            attachments=tuple(a.map(fn) for a in self.attachments),
        )

    def texts(self) -> Iterator[str]:
        """Every text field, in the order `map` visits them (what a search for a name in the
        record must look through)."""
        seen: list[str] = []

        def note(value: str) -> str:
            seen.append(value)
            return value

        self.map(note)
        yield from (value for value in seen if value)


def _who(parties: tuple[Party, ...] | list[Party]) -> str:
    return ", ".join(p.label() for p in parties)


def _message(o: Original) -> MessageText:
    return MessageText(
        sender=o.sender.label() if o.sender else "",
        to=_who(o.to),
        cc=_who(o.cc),
        date=o.date_text or "",
        subject=o.subject or "",
        body=o.body or "",
        provenance=o.provenance,
    )


def record_text(opened: OpenedRecord, limits: TextLimits = DEFAULT_TEXT_LIMITS) -> RecordText:
    """The readable parts of an opened record (`archive/reading.py`'s `open_record`, which
    audits the access). PDF and DOCX attachments are read again from the original bytes by
    the sandboxed extractor, within `limits`; one it cannot read has no text and a problem."""
    meta = opened.meta
    parsed: list[ParsedMessage] = []

    def parse_once() -> ParsedMessage:
        if not parsed:
            from archiver.understand.parse import parse

            parsed.append(parse(opened.raw))
        return parsed[0]

    originals = tuple(meta.originals or ())
    if originals:
        messages = tuple(_message(o) for o in originals)
    else:  # archived before forwards were understood, or quarantined: the message itself
        body = meta.body if meta.body is not None else parse_once().text
        messages = (_outer(meta, body),)
    forward = any(o.provenance != PROVENANCE_NONE for o in originals)
    forwarder = meta.forwarder.label() if meta.forwarder else ""
    if not forward and (not meta.forwarder or meta.forwarder in meta.sender):
        forwarder = ""  # sent straight to the archive: its sender is in its headers
    return RecordText(
        subject=meta.subject,
        forwarder=forwarder,
        forwarded=(meta.date_text or "") if forwarder else "",
        note=meta.note if forward else "",
        messages=messages,
        attachments=_attachments(meta, parse_once, limits),
    )


def _outer(meta: RecordMeta, body: str) -> MessageText:
    return MessageText(
        sender=_who(meta.sender),
        to=_who(meta.to),
        cc=_who(meta.cc),
        date=meta.date_text or "",
        subject=meta.subject,
        body=body,
        provenance=PROVENANCE_NONE,
    )


def _attachments(
    meta: RecordMeta, parse_once: Callable[[], ParsedMessage], limits: TextLimits
) -> tuple[AttachmentText, ...]:
    from archiver.understand.extract import supported

    items = listed(meta)
    texts: dict[str, tuple[str | None, str | None]] = {}
    if any(supported(i.info.content_type, i.info.filename) for i in items):
        from archiver.understand.indexing import attachment_texts

        for file in parse_once().extractable:
            if file.sha256 not in texts:  # the same file attached twice is read once
                read = attachment_texts([file], limits.timeout, limits.budget)
                status, problem = read.status.get(file.sha256, ("failed", None))
                text = read.texts[0] if read.texts else None
                why = problem or (None if status == "ok" else status)
                texts[file.sha256] = (text, why)
    out = []
    for item in items:
        info = item.info
        text, problem = texts.get(info.sha256, (None, None))
        if text is None and problem is None and supported(info.content_type, info.filename):
            problem = "its text could not be read again from the original bytes"
        out.append(
            AttachmentText(
                number=item.index,
                name=info.filename,
                content_type=info.content_type,
                size=info.size,
                sha256=info.sha256,
                original=item.original,
                text=text,
                problem=problem,
            )
        )
    return tuple(out)


def _size(n: int) -> str:
    return f"{n:,} byte" + ("" if n == 1 else "s")


def record_document(rt: RecordText, record_id: str, created: datetime) -> Document:
    """The record as a document a person reads: the forward (who, when, the note), each
    original's headers (From, To, Cc, Date, Subject) and body, the attachments with their
    sizes and SHA-256, then the text read from each PDF and DOCX attachment. The footer
    carries the record id (the PDF adds "page N of M")."""
    first = rt.messages[0] if rt.messages else None
    title = (first.subject if first else "") or rt.subject or "(no subject)"
    blocks: list[Block] = [KeyValueTable((("Record", record_id),))]
    if rt.forwarder:
        blocks.append(Heading("Forwarded to the archive", 2))
        rows = [("By", rt.forwarder), ("Date", rt.forwarded), ("Subject", rt.subject)]
        blocks.append(KeyValueTable(tuple((k, v) for k, v in rows if v)))
        if rt.note.strip():
            blocks += [Heading("Note", 3), *paragraphs(rt.note)]
    attached_before = False  # an attached message's body holds any forward found inside it
    for n, m in enumerate(rt.messages, start=1):
        if m.provenance == PROVENANCE_NONE:
            heading = "Message"
        elif len(rt.messages) == 1:
            heading = "Original message"
        else:
            heading = f"Original message {n} of {len(rt.messages)}"
        blocks.append(Heading(heading, 2))
        rows = [("From", m.sender), ("To", m.to), ("Cc", m.cc), ("Date", m.date)]
        rows.append(("Subject", m.subject))
        blocks.append(KeyValueTable(tuple((k, v) for k, v in rows if v)))
        if attached_before and m.provenance != PROVENANCE_HEADERS:
            blocks.append(Paragraph("(Its text is in the body of the attached message above.)"))
        else:
            blocks += list(paragraphs(m.body)) or [Paragraph("(no text)")]
        attached_before = attached_before or m.provenance == PROVENANCE_HEADERS
    if rt.attachments:
        blocks.append(Heading("Attachments", 2))
        blocks.append(ItemList(tuple(_listed(a) for a in rt.attachments)))
    for a in rt.attachments:
        if a.text is not None and a.text.strip():
            blocks.append(Heading(f"Text of attachment {a.number}: {a.name}", 2))
            if a.problem:
                blocks.append(Paragraph(f"(Only part of its text: {a.problem}.)"))
            blocks += paragraphs(a.text)
    return Document(title=title, blocks=tuple(blocks), footer=record_id, created=created)


def _listed(a: AttachmentText) -> str:
    where = f", in original message {a.original}" if a.original else ""
    line = f"{a.number}. {a.name} ({a.content_type}, {_size(a.size)}{where}) SHA-256 {a.sha256}"
    if a.text is None and a.problem:
        line += f" (its text could not be read: {a.problem})"
    return line


def record_pdf(
    rt: RecordText, record_id: str, created: datetime, original: bytes | None = None
) -> bytes:
    """The rendering as a PDF/A-3 file; with `original` (the record's EML bytes) embedded as
    its source. A redacted rendering must not be given the original: the names are in it."""
    from archiver.render.pdf import render_pdf

    files = []
    if original is not None:
        files.append(
            EmbeddedFile(
                name=f"{record_id}.eml",
                data=original,
                mime_type="message/rfc822",
                description=f"The original message of record {record_id}, as archived",
            )
        )
    return render_pdf(record_document(rt, record_id, created), attachments=files, pdf_a=True)
