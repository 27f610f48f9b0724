"""A record decided `redact`, produced (DESIGN.md section 9.4): never its original bytes.

From the record's text (`records/rendering.py`'s `RecordText`) with one `Redactor` of its
accepted redactions applied to every field, before anything is rendered:
- `records/ID.pdf`: the rendering (headers, bodies, attachment list, the text of PDF and DOCX
  attachments), with no original embedded;
- `records/ID/attachment-N.pdf`: each PDF attachment, rasterised (`understand/pdf_raster.py`)
  with every occurrence of every accepted redaction painted out. Every PDF attachment of a
  redacted record is rasterised, whether or not a redacted string is found in its text
  layer, since its pixels, fonts or metadata may hold what the text layer does not; one that
  cannot be rasterised (a scan, a password, a broken file) is withheld;
- `records/ID/attachment-N.EXT`: each image attachment the Records Access Officer decided
  to release (`redact attachment`), its original bytes (an image cannot be redacted: it is
  released whole or not at all; the release gate still reads it);
- `records/ID.eml`: a new message: the first original's From, To, Cc, Date and Subject as
  redacted text, a text/plain body of the redacted text (the forward, then each original),
  and as attachments the rendering, the rasterised PDFs and the released images.

An attached message is produced as its (redacted) text, an original in the rendering. Other
attachments are not produced: DOCX files are given as their (redacted) text in the
rendering; images not decided `release`, and every other kind of file, cannot be redacted
and are withheld. Each part withheld is listed with why, for the manifest and the letter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from archiver.archive.reading import OpenedRecord
from archiver.records.redaction import Redaction, Redactor
from archiver.records.rendering import (
    DOCX_KIND,
    IMAGE_KIND,
    MESSAGE_KIND,
    PDF_KIND,
    AttachmentText,
    RecordText,
    attachment_kind,
    record_pdf,
    record_text,
)
from archiver.understand.indexing import DEFAULT_TEXT_LIMITS, TextLimits
from archiver.understand.redact_text import find_in, normalised

EML = "message/rfc822"
PDF = "application/pdf"
# A released image's file extension, by its type (any other image: `bin`).
IMAGE_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/pjpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/tiff": "tiff",
    "image/bmp": "bmp",
    "image/x-ms-bmp": "bmp",
    "image/heic": "heic",
    "image/heif": "heif",
    "image/avif": "avif",
    "image/svg+xml": "svg",
}


@dataclass(frozen=True)
class Withheld:
    """An attachment of a redacted record that is not produced, and why."""

    number: int
    content_type: str
    sha256: str
    reason: str

    def line(self) -> str:
        return f"attachment {self.number} ({self.content_type}): {self.reason}"


@dataclass(frozen=True)
class RedactedRecord:
    """What a redacted record produces: files `(path inside data/, bytes, media type)`, the
    parts withheld, and the envelope sender for the mbox (an address the redaction left)."""

    files: list[tuple[str, bytes, str]]
    withheld: list[Withheld]
    eml: bytes
    sender: str


def every_occurrence(redactions: Sequence[Redaction]) -> Sequence[str]:
    """The texts to paint out of a PDF attachment: every accepted redaction's, at every
    occurrence (an occurrence counted in the record's text cannot be told on a page)."""
    return [r.text for r in redactions if r.state == "accepted"]


def image_extension(content_type: str) -> str:
    """The extension a released image's file gets: from its type, else `bin`."""
    return IMAGE_EXTENSIONS.get(content_type.lower(), "bin")


def produce_redacted(
    opened: OpenedRecord,
    redactions: Sequence[Redaction],
    created: datetime,
    limits: TextLimits = DEFAULT_TEXT_LIMITS,
    released: frozenset[int] = frozenset(),
) -> RedactedRecord:
    """The files a redacted record is produced as (see the module's docstring); `released`:
    the numbers of the image attachments decided `release` (any other image is withheld)."""
    from archiver.understand.parse import parse
    from archiver.understand.pdf_raster import raster_redact

    rid = opened.row.id
    plain = record_text(opened, limits)
    rt = plain.map(Redactor(redactions))  # one per rendering
    rendering = record_pdf(rt, rid, created)  # never the original: the names are in it
    files = [(f"records/{rid}.pdf", rendering, PDF)]
    texts = every_occurrence(redactions)

    def find(page: str) -> list[tuple[int, int]]:
        norm = normalised(page)
        return [span for t in texts for span in find_in(norm, t)]

    kinds = {a.number: attachment_kind(a.content_type, a.name) for a in plain.attachments}
    wanted = {
        a.sha256
        for a in rt.attachments
        if kinds[a.number] == PDF_KIND or (kinds[a.number] == IMAGE_KIND and a.number in released)
    }
    found = parse(opened.raw, frozenset(wanted)).found if wanted else {}
    withheld: list[Withheld] = []
    attached: list[tuple[str, bytes, str]] = []  # (name, bytes, type) in the new message
    for a in rt.attachments:
        kind = kinds[a.number]
        if kind == PDF_KIND:
            data = found.get(a.sha256)
            if data is None:
                withheld.append(Withheld(a.number, a.content_type, a.sha256, "could not be read"))
                continue
            out: bytes | None = data  # decided redact with nothing to remove: as it is
            reason: str | None = None
            if texts:
                done = raster_redact(data, find)
                out, reason = done.pdf, done.reason
            if out is None:
                why = f"cannot be redacted ({reason}): withheld"
                withheld.append(Withheld(a.number, a.content_type, a.sha256, why))
                continue
            path = f"records/{rid}/attachment-{a.number}.pdf"
            files.append((path, out, PDF))
            attached.append((_attachment_name(a), out, PDF))
        elif kind == MESSAGE_KIND:
            continue  # an attached message: its text is an original in the rendering
        elif kind == DOCX_KIND:
            why = "a Word document: produced as its redacted text in the rendering"
            withheld.append(Withheld(a.number, a.content_type, a.sha256, why))
        elif kind == IMAGE_KIND and a.number in released:
            image = found.get(a.sha256)
            if image is None:
                withheld.append(Withheld(a.number, a.content_type, a.sha256, "could not be read"))
                continue
            ext = image_extension(a.content_type)
            files.append((f"records/{rid}/attachment-{a.number}.{ext}", image, a.content_type))
            name = " ".join(a.name.split()) or f"attachment-{a.number}.{ext}"
            attached.append((name, image, a.content_type))
        elif kind == IMAGE_KIND:
            why = "an image cannot be redacted: withheld"
            withheld.append(Withheld(a.number, a.content_type, a.sha256, why))
        else:
            why = "a file of this kind cannot be redacted: withheld"
            withheld.append(Withheld(a.number, a.content_type, a.sha256, why))
    eml = _message(rt, rid, rendering, attached, withheld)
    files.insert(0, (f"records/{rid}.eml", eml, EML))
    return RedactedRecord(files, withheld, eml, _address(rt))


def _attachment_name(a: AttachmentText) -> str:
    """The (redacted) name a rasterised attachment carries in the message."""
    name = " ".join(a.name.split()) or f"attachment-{a.number}"
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


def _address(rt: RecordText) -> str:
    """The first original's sender address, if the redaction left it whole; else none."""
    sender = rt.messages[0].sender if rt.messages else ""
    inside = sender.rpartition("<")[2].partition(">")[0] if "<" in sender else sender
    return inside if "@" in inside and "[" not in inside and " " not in inside else ""


def _h(value: str) -> str:
    """A header's value: folded to one line; encoded words (RFC 2047) when not ASCII."""
    value = " ".join(value.split())
    return value if value.isascii() else Header(value, "utf-8").encode()


def _body(rt: RecordText, rid: str, withheld: list[Withheld]) -> str:
    lines = [
        f"Record {rid}, produced with redactions. Each [REDACTED code] replaces text withheld "
        "under that exemption; the attached PDF is the full rendering.",
        "",
    ]
    if rt.forwarder:
        lines += [f"Forwarded to the archive by {rt.forwarder}, {rt.forwarded}."]
        if rt.note.strip():
            lines += ["Note:", rt.note.strip()]
        lines.append("")
    for n, m in enumerate(rt.messages, start=1):
        if len(rt.messages) > 1 or n > 1:
            lines.append(f"---------- Original message {n} of {len(rt.messages)} ----------")
            heads = [("From", m.sender), ("To", m.to), ("Cc", m.cc), ("Date", m.date)]
            lines += [f"{k}: {v}" for k, v in [*heads, ("Subject", m.subject)] if v]
            lines.append("")
        lines += [m.body.rstrip(), ""]
    if withheld:
        lines.append("Attachments not produced:")
        lines += [f"- {w.line()}" for w in withheld]
    return "\n".join(lines).rstrip() + "\n"


def _message(
    rt: RecordText,
    rid: str,
    rendering: bytes,
    attached: list[tuple[str, bytes, str]],
    withheld: list[Withheld],
) -> bytes:
    first = rt.messages[0] if rt.messages else None
    msg = MIMEMultipart("mixed", boundary=f"=_archiver_redacted_{rid}")
    heads = {
        "From": first.sender if first else "",
        "To": first.to if first else "",
        "Cc": first.cc if first else "",
        "Date": first.date if first else "",
        "Subject": (first.subject if first else "") or rt.subject,
    }
    for key, value in heads.items():
        if value.strip():
            msg[key] = _h(value)
    msg["Message-ID"] = f"<{rid}.redacted@archiver.invalid>"
    msg["X-Archiver-Record"] = rid
    msg["X-Archiver-Redacted"] = "yes: a new message made from the redacted text"
    for key in ("MIME-Version", "Content-Type"):  # after the message's own headers
        value = msg[key]
        del msg[key]
        msg[key] = value
    readable = Charset("utf-8")
    readable.body_encoding = QP  # the text stays legible in the file (base64 would not)
    msg.attach(MIMEText(_body(rt, rid, withheld), "plain", readable))  # type: ignore[arg-type]
    for name, data, media_type in [(f"{rid}.pdf", rendering, PDF), *attached]:
        part = _part(data, media_type)
        filename: str | tuple[str, str, str] = name if name.isascii() else ("utf-8", "", name)
        part.add_header("Content-Disposition", "attachment", filename=filename)
        msg.attach(part)
    return msg.as_bytes()


def _part(data: bytes, media_type: str) -> MIMEImage | MIMEApplication:
    """An attachment of the new message, base64, under its type (a released image's own)."""
    main, _, sub = media_type.partition("/")
    if main == "image" and sub:
        return MIMEImage(data, sub)
    return MIMEApplication(data, sub if main == "application" and sub else "octet-stream")
