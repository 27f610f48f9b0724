"""Parse raw message bytes into the derived facts a record keeps.

Speed: the stdlib parser handles a message line by line in Python, so a 300 KB attachment
costs thousands of steps that learn nothing. Long runs of base64 lines are therefore swapped
for one-line placeholders before parsing and put back into the parts that hold them, just
before those parts are decoded. The record's bytes are never touched: this is only how they
are read.

The structure comes from the stdlib `email` package (compat32, which keeps every byte it can);
headers, addresses and dates are decoded with mail-parser's decoders, which recover from the
malformed input real mailboxes hold. `mailparser.MailParser` itself is not used: it builds two
complete header dictionaries per message that nothing here reads, which cost 45% of its time
(measured on the benchmark corpus), and it mixes forwarded messages into the outer body.
"""

from __future__ import annotations

import email
import email.message
import hashlib
import logging
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from mailparser.utils import convert_mail_date, decode_header_part, get_addresses, get_header

from archiver.understand import extract, forwards
from archiver.understand.html import html_to_text
from archiver.understand.students import TagInput

# mail-parser logs an error for every header it has to repair; that is data, not news.
logging.getLogger("mailparser").setLevel(logging.CRITICAL)

QUARANTINE_UNPARSEABLE = "unparseable"
QUARANTINE_NO_HEADERS = "no_headers"
_IDENTIFYING_HEADERS = {"from", "to", "date", "subject", "message-id", "sender"}
MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})  # attached messages
# 40 or more full base64 lines of 60-100 characters (about 2.5 KB and up).
_BASE64_RUN = re.compile(rb"(?:[A-Za-z0-9+/]{60,100}(\r?\n)){40,}")


@dataclass(frozen=True)
class Address:
    name: str
    address: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    sha256: str


PROVENANCE_HEADERS = "headers"  # an attached message/rfc822 part, with its real headers
PROVENANCE_RECONSTRUCTED = "reconstructed"  # read back from an inline forward block
PROVENANCE_NONE = "none"  # not a forward: the original is the message itself
_MAX_DEPTH = 10  # forwards inside forwards


@dataclass
class OriginalMessage:
    """A message the forwarder passed on (or the message itself, when it is not a forward)."""

    sender: Address | None
    to: list[Address]
    cc: list[Address]
    date_text: str | None
    date: datetime | None
    subject: str | None
    body: str
    provenance: str
    attachments: list[Attachment] = field(default_factory=list)  # its own, when it has headers

    def to_json(self) -> dict[str, Any]:
        return {
            "from": asdict(self.sender) if self.sender else None,
            "to": [asdict(a) for a in self.to],
            "cc": [asdict(a) for a in self.cc],
            "date": self.date.isoformat() if self.date else None,
            "date_text": self.date_text,
            "subject": self.subject,
            "body": self.body,
            "provenance": self.provenance,
            "attachments": [asdict(a) for a in self.attachments],
        }


@dataclass
class ParsedMessage:
    """What parsing found. `quarantine` is a code when the bytes are not a usable message."""

    quarantine: str | None = None
    problem: str | None = None
    sender: list[Address] = field(default_factory=list)
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    subject: str = ""
    date_text: str | None = None
    date: datetime | None = None
    message_id: str | None = None
    authentication_results: list[str] = field(default_factory=list)
    text: str = ""
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    forwarder: Address | None = None
    note: str = ""
    originals: list[OriginalMessage] = field(default_factory=list)  # outermost first
    # PDF and DOCX attachments at any depth, (filename, content type, bytes), for the search
    # index's text extraction; not part of the metadata.
    extractable: list[tuple[str, str, bytes]] = field(default_factory=list)

    @property
    def sent_at(self) -> datetime | None:
        """When the original was sent, if known, else when this message was."""
        first = self.originals[0] if self.originals else None
        return (first.date if first else None) or self.date

    def tag_input(self, meta: dict[str, Any] | None = None) -> TagInput:
        """What student tagging looks at: the note, the originals, everyone in them (from
        `meta`, this message's metadata, when the caller already has it)."""
        meta = dict(meta or self.metadata())
        if not self.originals:  # unparseable: whatever text there is
            meta["originals"] = [_itself(self, PROVENANCE_NONE).to_json()]
        return tag_input_from_metadata(meta)

    def metadata(self) -> dict[str, Any]:
        """The JSON-able derived data sealed beside the raw bytes (the note and the originals'
        text included: they are what a records officer reads)."""
        return {
            "quarantine": self.quarantine,
            "problem": self.problem,
            "sender": [asdict(a) for a in self.sender],
            "to": [asdict(a) for a in self.to],
            "cc": [asdict(a) for a in self.cc],
            "subject": self.subject,
            "date_text": self.date_text,
            "date": self.date.isoformat() if self.date else None,
            "message_id": self.message_id,
            "authentication_results": self.authentication_results,
            "attachments": [asdict(a) for a in self.attachments],
            "defects": self.defects,
            "forwarder": asdict(self.forwarder) if self.forwarder else None,
            "note": self.note,
            "originals": [o.to_json() for o in self.originals],
        }


def tag_input_from_metadata(meta: dict[str, Any]) -> TagInput:
    """What student tagging looks at, from a record's sealed metadata: the note, the originals'
    subjects and bodies, and everyone in the message and in the originals."""
    people: list[dict[str, str]] = [
        *meta.get("sender", []),
        *meta.get("to", []),
        *meta.get("cc", []),
    ]
    texts: list[str] = []
    for o in meta.get("originals", []):
        people += [*([o["from"]] if o.get("from") else []), *o.get("to", []), *o.get("cc", [])]
        texts += [o.get("subject") or "", o.get("body") or ""]
    return TagInput(
        meta.get("note") or "",
        tuple(texts),
        tuple(p.get("address", "") for p in people),
        tuple(p.get("name", "") for p in people),
    )


class _Runs:
    """What one parse keeps on the side: base64 runs taken out of the message before parsing
    (keyed by their placeholder), and the attached messages found."""

    def __init__(self) -> None:
        self.prefix = f"ARCHIVER-RUN-{os.urandom(6).hex()}-"
        self.runs: dict[str, str] = {}
        self.embedded: list[email.message.Message] = []  # attached messages, as found
        self.extractable: list[tuple[str, str, bytes]] = []

    def shrink(self, raw: bytes) -> bytes:
        if len(raw) < 8192:
            return raw

        def swap(m: re.Match[bytes]) -> bytes:
            token = f"{self.prefix}{len(self.runs)}"
            self.runs[token] = m.group(0).decode("ascii")
            return token.encode("ascii") + m.group(1)

        return _BASE64_RUN.sub(swap, raw)

    def restore(self, part: email.message.Message) -> None:
        """Put the original lines back into a leaf part, or into an embedded message."""
        if not self.runs:
            return
        for leaf in part.walk():
            payload = leaf.get_payload()
            if isinstance(payload, str) and self.prefix in payload:
                for token, text in self.runs.items():
                    if token in payload:
                        # The placeholder line ends as the run did, unless the parser gave that
                        # line ending to a following boundary.
                        eol = "\r\n" if text.endswith("\r\n") else "\n"
                        payload = payload.replace(token + eol, text)
                        payload = payload.replace(token, text[: -len(eol)])
                leaf.set_payload(payload)


def _addresses(msg: email.message.Message, name: str, defects: list[str]) -> list[Address]:
    found: list[Address] = []
    for value in msg.get_all(name) or []:
        for display, addr in get_addresses(value, defects=defects, decode_names=True):
            if display or addr:
                found.append(Address(str(display or ""), str(addr or "")))
    return found


def _header(msg: email.message.Message, name: str) -> str:
    """The first `name` header, decoded (RFC 2047 words and raw 8-bit UTF-8 alike)."""
    value = get_header(msg, name)
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "")


def _text(value: object) -> str:
    return decode_header_part(str(value)) if value is not None else ""


def _decode_text(part: email.message.Message, defects: list[str]) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        defects.append("CharsetDecodeDefect")
        return payload.decode("utf-8", "replace")


def _attachment(part: email.message.Message, defects: list[str], runs: _Runs) -> Attachment:
    runs.restore(part)
    ctype = part.get_content_type()
    if ctype in MESSAGE_TYPES and part.is_multipart():
        # An attached message is read as an original, not hashed: regenerating its bytes to
        # hash them cost more than parsing the whole outer message. Its size is what its parts
        # take as sent.
        inner = part.get_payload(0)
        subject, size = None, 0
        if isinstance(inner, email.message.Message):
            subject = inner.get("Subject")
            size = sum(
                len(str(leaf.get_payload())) for leaf in inner.walk() if not leaf.is_multipart()
            )
        name = part.get_filename() or _text(subject) + ".eml"
        return Attachment(_filename(name, defects), ctype, size, "")
    raw = part.get_payload(decode=True)
    data = raw if isinstance(raw, bytes) else b""
    name = _filename(part.get_filename() or "", defects)
    if data and extract.supported(ctype, name):
        runs.extractable.append((name, ctype, data))
    return Attachment(name, ctype, len(data), hashlib.sha256(data).hexdigest())


def _filename(name: str, defects: list[str]) -> str:
    try:
        return str(decode_header_part(name))
    except Exception:  # a filename must not stop the message being archived
        defects.append("FilenameDecodeDefect")
        return str(name)


def _walk(part: email.message.Message, out: ParsedMessage, html: list[str], runs: _Runs) -> None:
    """Collect body text, attachments and defects; embedded messages are attachments."""
    out.defects.extend(type(d).__name__ for d in part.defects)
    ctype = part.get_content_type()
    if ctype in MESSAGE_TYPES:
        out.attachments.append(_attachment(part, out.defects, runs))
        inner = part.get_payload(0) if part.is_multipart() else None
        if isinstance(inner, email.message.Message):
            runs.embedded.append(inner)
        return
    if part.is_multipart():
        for child in part.get_payload():
            if isinstance(child, email.message.Message):
                _walk(child, out, html, runs)
        return
    disposition = (part.get_content_disposition() or "").lower()
    named = bool(part.get_filename())
    if (
        ctype in ("text/plain", "text/html")
        and disposition != "attachment"
        and (not named or disposition == "inline")
    ):
        runs.restore(part)
        text = _decode_text(part, out.defects)
        if ctype == "text/plain":
            out.text = f"{out.text}\n{text}" if out.text else text
        else:
            html.append(text)
        if not named:
            return
    out.attachments.append(_attachment(part, out.defects, runs))  # named inline text is both


def parse(raw: bytes) -> ParsedMessage:
    """Parse `raw`; never raises for bad input: unusable bytes come back with `quarantine` set."""
    runs = _Runs()
    try:
        msg = email.message_from_bytes(runs.shrink(raw))
    except RecursionError:
        return ParsedMessage(
            quarantine=QUARANTINE_UNPARSEABLE, problem="MIME structure nested too deeply"
        )
    except Exception as exc:  # a hostile message must not stop ingest: it is stored, quarantined
        return ParsedMessage(
            quarantine=QUARANTINE_UNPARSEABLE, problem=f"{type(exc).__name__}: {exc}"
        )
    out, attached = _read(msg, runs)
    if not {k.lower() for k in msg} & _IDENTIFYING_HEADERS:
        out.quarantine = QUARANTINE_NO_HEADERS
        out.problem = "no From, To, Date, Subject or Message-ID header found"
    try:
        _find_originals(msg, out, attached, runs, 0)
    except RecursionError:
        out.defects.append("NestingTooDeepDefect")
    except Exception as exc:  # a forward we cannot read is still archived as it is
        out.defects.append(f"ForwardDefect: {type(exc).__name__}")
    out.defects = sorted(set(out.defects))
    out.extractable = runs.extractable
    return out


def _read(
    msg: email.message.Message, runs: _Runs
) -> tuple[ParsedMessage, list[email.message.Message]]:
    """Headers, text and attachments of one message (an outer or an embedded one), and the
    messages attached to it."""
    first = len(runs.embedded)
    out = ParsedMessage()
    header_defects: list[str] = []
    try:
        out.sender = _addresses(msg, "From", header_defects)
        out.to = _addresses(msg, "To", header_defects)
        out.cc = _addresses(msg, "Cc", header_defects)
        out.subject = _header(msg, "Subject")
        out.message_id = _header(msg, "Message-ID") or None
        out.authentication_results = [str(v) for v in msg.get_all("Authentication-Results", [])]
        date_value = msg.get("Date")
        if date_value is not None:
            out.date_text = str(date_value)
            try:
                when, _offset = convert_mail_date(out.date_text)
                out.date = when if when.tzinfo else when.replace(tzinfo=UTC)
            except (ValueError, TypeError, OverflowError):
                out.defects.append("DateHeaderDefect")
        html: list[str] = []
        _walk(msg, out, html, runs)
        out.html = "\n".join(html) or None
        if not out.text and out.html:
            out.text = html_to_text(out.html)
    except RecursionError:
        out.defects.append("NestingTooDeepDefect")
    except Exception as exc:  # partial parse: keep what was found, say what broke
        out.defects.append(f"{type(exc).__name__}: {exc}")
    if header_defects:
        out.defects.append("AddressHeaderDefect")
    return out, runs.embedded[first:]


def _party(p: forwards.Party | None) -> Address | None:
    return Address(p.name, p.address) if p else None


def _itself(m: ParsedMessage, provenance: str) -> OriginalMessage:
    return OriginalMessage(
        m.sender[0] if m.sender else None,
        m.to,
        m.cc,
        m.date_text,
        m.date,
        m.subject or None,
        m.text.strip(),
        provenance,
        m.attachments if provenance == PROVENANCE_HEADERS else [],
    )


def _find_originals(
    msg: email.message.Message,
    out: ParsedMessage,
    attached: list[email.message.Message],
    runs: _Runs,
    depth: int,
) -> None:
    """Fill in the forwarder, the note and the chain of originals, outermost first.

    An attached message (message/rfc822) is the most faithful original: it has its real
    headers. Failing that, an inline forward block is read back from the text (not for a
    reply that merely quotes). Otherwise the message is its own original, forwarded by an
    auto-forward rule (X-Forwarded-For) or sent straight to the archive.
    """
    out.forwarder = out.sender[0] if out.sender else None
    if attached and depth < _MAX_DEPTH:
        inner, inner_attached = _read(attached[0], runs)
        _find_originals(attached[0], inner, inner_attached, runs, depth + 1)
        out.note = out.text.strip()
        out.originals = [_itself(inner, PROVENANCE_HEADERS)]
        if inner.originals and inner.originals[0].provenance != PROVENANCE_NONE:
            out.originals += inner.originals
        return
    replying = forwards.is_reply_subject(out.subject) and not forwards.is_forward_subject(
        out.subject
    )
    split = None if replying else forwards.split_forward(out.text, out.html)
    if split is not None and split.chain:
        out.note = split.note
        out.originals = [
            OriginalMessage(
                _party(o.sender),
                [Address(p.name, p.address) for p in o.to],
                [Address(p.name, p.address) for p in o.cc],
                o.date_text,
                o.date,
                o.subject,
                o.body,
                PROVENANCE_RECONSTRUCTED,
            )
            for o in split.chain
        ]
        return
    forwarded_for = msg.get("X-Forwarded-For") or msg.get("Resent-From")
    if forwarded_for:
        first = str(forwarded_for).replace(",", " ").split()
        if first:
            out.forwarder = Address("", first[0].strip("<>"))
    out.originals = [_itself(out, PROVENANCE_NONE)]
