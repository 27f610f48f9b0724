"""Parse raw message bytes into the derived facts a record keeps (mail-parser + stdlib email)."""

from __future__ import annotations

import binascii
import email
import email.message
import email.utils
import hashlib
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import mailparser

from archiver.understand.html import html_to_text

# mail-parser logs a warning for every part type it does not render; that is not news.
logging.getLogger("mailparser").setLevel(logging.ERROR)

QUARANTINE_UNPARSEABLE = "unparseable"
QUARANTINE_NO_HEADERS = "no_headers"
_IDENTIFYING_HEADERS = ("from", "to", "date", "subject", "message-id", "sender")


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

    def metadata(self) -> dict[str, Any]:
        """The JSON-able derived data sealed beside the raw bytes (no body text)."""
        out = asdict(self)
        del out["text"], out["html"]
        out["date"] = self.date.isoformat() if self.date else None
        return out


def _addresses(pairs: list[tuple[str, str]] | None) -> list[Address]:
    return [Address(str(name or ""), str(addr or "")) for name, addr in pairs or []]


def _attachment(att: dict[str, Any]) -> Attachment:
    payload = att.get("payload") or ""
    if att.get("binary"):
        try:
            data = binascii.a2b_base64(payload)
        except binascii.Error:
            data = payload.encode("ascii", "replace")
    else:
        data = str(payload).encode("utf-8", "surrogateescape")
    return Attachment(
        filename=str(att.get("filename") or ""),
        content_type=str(att.get("mail_content_type") or "application/octet-stream"),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _header_text(msg: email.message.Message, name: str) -> str | None:
    value = msg.get(name)
    return None if value is None else str(value)


def parse(raw: bytes) -> ParsedMessage:
    """Parse `raw`; never raises for bad input: unusable bytes come back with `quarantine` set."""
    try:
        msg = email.message_from_bytes(raw)
        parsed = mailparser.MailParser(msg)
    except RecursionError:
        return ParsedMessage(
            quarantine=QUARANTINE_UNPARSEABLE, problem="MIME structure nested too deeply"
        )
    except Exception as exc:  # a hostile message must not stop ingest: it is stored, quarantined
        return ParsedMessage(
            quarantine=QUARANTINE_UNPARSEABLE, problem=f"{type(exc).__name__}: {exc}"
        )
    keys = {k.lower() for k in msg}
    out = ParsedMessage()
    if not keys & set(_IDENTIFYING_HEADERS):
        out.quarantine = QUARANTINE_NO_HEADERS
        out.problem = "no From, To, Date, Subject or Message-ID header found"
    try:
        out.sender = _addresses(parsed.from_)
        out.to = _addresses(parsed.to)
        out.cc = _addresses(parsed.cc)
        out.subject = str(parsed.subject or "")
        out.date_text = _header_text(msg, "Date")
        date = parsed.date
        if isinstance(date, datetime):
            out.date = date if date.tzinfo else date.replace(tzinfo=UTC)
        out.message_id = str(parsed.message_id or "") or None
        out.authentication_results = [str(v) for v in msg.get_all("Authentication-Results", [])]
        out.text = "\n".join(parsed.text_plain)
        html = "\n".join(parsed.text_html)
        out.html = html or None
        if not out.text and html:
            out.text = html_to_text(html)
        out.attachments = [_attachment(a) for a in parsed.attachments]
        out.defects = sorted(parsed.defects_categories)
    except Exception as exc:  # partial parse: keep what was found, say what broke
        out.defects.append(f"{type(exc).__name__}: {exc}")
    return out
