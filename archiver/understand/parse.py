"""Parse raw message bytes into the derived facts a record keeps.

Speed and memory: the stdlib parser handles a message line by line in Python, so a 300 KB
attachment costs thousands of steps that learn nothing, and a long line costs four bytes a
character in its buffers. Runs of lines the parser only ever keeps as content (base64, text)
are therefore swapped for one-line placeholders before parsing, and read back from the
original bytes by the parts that hold them when those are decoded. The record's bytes are
never touched: this is only how they are read.

The structure comes from the stdlib `email` package (compat32, which keeps every byte it can);
headers, addresses and dates are decoded with mail-parser's decoders, which recover from the
malformed input real mailboxes hold. `mailparser.MailParser` itself is not used: it builds two
complete header dictionaries per message that nothing here reads, which cost 45% of its time
(measured on the benchmark corpus), and it mixes forwarded messages into the outer body.
"""

from __future__ import annotations

import binascii
import email
import email.errors
import email.feedparser
import email.message
import email.parser
import functools
import hashlib
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import NamedTuple

import pybase64
from mailparser.utils import convert_mail_date, decode_header_part, get_addresses, get_header

from archiver.domain import (
    MESSAGE_TYPES,
    PROVENANCE_HEADERS,
    PROVENANCE_NONE,
    PROVENANCE_RECONSTRUCTED,
    AttachmentInfo,
    Original,
    Party,
    RecordMeta,
)
from archiver.understand import boundaries, extract, forwards
from archiver.understand.html import html_to_text
from archiver.understand.students import TagInput

boundaries.install()  # multipart boundaries without a regex compiled for each (boundaries.py)
# mail-parser logs an error for every header it has to repair; that is data, not news.
logging.getLogger("mailparser").setLevel(logging.CRITICAL)

QUARANTINE_UNPARSEABLE = "unparseable"
QUARANTINE_NO_HEADERS = "no_headers"
_IDENTIFYING_HEADERS = {"from", "to", "date", "subject", "message-id", "sender"}
# Runs of lines the stdlib parser only ever keeps as content. The first line of a run may be
# where the parser expects headers, so it must be no header (printable characters up to a
# colon), no header's continuation (a leading space or tab), no boundary ("--..."), no mbox
# "From " line and not empty: then it ends any header block, and the lines after it are body
# lines, which only a boundary or an empty line (a delivery-status block's end) can change.
# Base64 lines are tried first: they are most of the bytes, and the cheaper test. Runs are
# found from line starts only (the leading newline is a literal the regex engine scans for
# fast) and each line is read once (possessive repeats): linear time, 100-400 MB/s.
_B64_LINE = rb"[A-Za-z0-9+/]{60,100}+\r?\n"
_FIRST_LINE = (
    rb"(?!From )[\x21-\x2c\x2e-\x39\x3b-\x7e][\x21-\x39\x3b-\x7e]*+(?:[^:\r\n][^\r\n]*+)?\r?\n"
)
_BODY_LINE = rb"(?!--)[^\r\n]++\r?\n"
_CONTENT_RUN = re.compile(
    rb"\n((?:%s|%s)(?:%s|%s)*+)" % (_B64_LINE, _FIRST_LINE, _B64_LINE, _BODY_LINE)
)
_MIN_RUN_BYTES = 2048  # a shorter run is not worth a placeholder
# A placeholder: a word, the parse's random nonce, the run's number, and the line end after it
# unless the parser gave that to a boundary. One pattern for every parse (a pattern per nonce
# cost more to compile than the rest of parsing a small message); a placeholder with another
# nonce is left as text. The nonce's hex digits cannot start a match: no two overlap.
_PLACEHOLDER_WORD = "ARCHIVER-RUN-"
_PLACEHOLDER = re.compile(_PLACEHOLDER_WORD + r"([0-9a-f]{12})-(\d{8})(\r?\n)?")
_UUENCODED = frozenset({"x-uuencode", "uuencode", "uue", "x-uue"})
_FEED_BYTES = 1 << 20  # the parser is fed this much at a time, never the whole text at once
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MAX_HEADER_BYTES = 1 << 20  # headers read back from an unparseable message, at most
# What the stdlib's email package and mail-parser's decoders raise on malformed input
# (RecursionError is a RuntimeError, UnicodeError a ValueError, HeaderParseError a
# MessageError): the message is kept and the defect named. MemoryError is not among them.
MALFORMED: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    ArithmeticError,
    AssertionError,
    RuntimeError,
    email.errors.MessageError,
)


class Extractable(NamedTuple):
    """A PDF or DOCX attachment (at any depth) whose text the search index wants."""

    filename: str
    content_type: str
    data: bytes
    sha256: str  # which attachment it is: how its reading is noted in the metadata


TextStatus = dict[str, tuple[str, str | None]]  # attachment SHA-256 -> (status, problem)
_MAX_DEPTH = 10  # forwards inside forwards


def _with_text(atts: list[AttachmentInfo], text: TextStatus | None) -> tuple[AttachmentInfo, ...]:
    """Attachments with how reading each PDF's or DOCX's text went."""
    if not text:
        return tuple(atts)
    return tuple(
        replace(a, text=text[a.sha256][0], text_problem=text[a.sha256][1])
        if a.sha256 in text
        else a
        for a in atts
    )


def _with_texts(o: Original, text: TextStatus | None) -> Original:
    return replace(o, attachments=_with_text(list(o.attachments), text))


@dataclass
class ParsedMessage:
    """What parsing found. `quarantine` is a code when the bytes are not a usable message."""

    quarantine: str | None = None
    problem: str | None = None
    sender: list[Party] = field(default_factory=list)
    to: list[Party] = field(default_factory=list)
    cc: list[Party] = field(default_factory=list)
    subject: str = ""
    date_text: str | None = None
    date: datetime | None = None
    message_id: str | None = None
    authentication_results: list[str] = field(default_factory=list)
    text: str = ""
    html: str | None = None
    text_from_html: bool = False  # no text part: `text` is the HTML's, one line per block
    attachments: list[AttachmentInfo] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    forwarder: Party | None = None
    note: str = ""
    originals: list[Original] = field(default_factory=list)  # outermost first
    # PDF and DOCX attachments at any depth, for the search index's text extraction; not
    # part of the metadata.
    extractable: list[Extractable] = field(default_factory=list)
    # Attachments' decoded bytes by SHA-256, when `parse` was asked for them.
    found: dict[str, bytes] = field(default_factory=dict)

    @property
    def sent_at(self) -> datetime | None:
        """When the original was sent, if known, else when this message was."""
        first = self.originals[0] if self.originals else None
        return (first.date if first else None) or self.date

    def metadata(self, text: TextStatus | None = None) -> RecordMeta:
        """What is sealed beside the raw bytes (the note, the originals' text and the
        message's own text included: they are what a records officer reads); `text` says how
        reading each PDF and DOCX attachment's text went."""
        return RecordMeta(
            quarantine=self.quarantine,
            problem=self.problem,
            sender=tuple(self.sender),
            to=tuple(self.to),
            cc=tuple(self.cc),
            subject=self.subject,
            date_text=self.date_text,
            date=self.date,
            message_id=self.message_id,
            authentication_results=tuple(self.authentication_results),
            attachments=_with_text(self.attachments, text),
            defects=tuple(self.defects),
            forwarder=self.forwarder,
            note=self.note,
            originals=tuple(_with_texts(o, text) for o in self.originals),
            body=self.text,
        )

    def tag_input(self, meta: RecordMeta | None = None) -> TagInput:
        """What student tagging looks at (from `meta`, this message's metadata, when the
        caller already has it); an unparseable message is its own original."""
        meta = meta or self.metadata()
        if not self.originals:  # unparseable: whatever text there is
            meta = replace(meta, originals=(_itself(self, PROVENANCE_NONE),))
        return tag_input(meta)


def tag_input(meta: RecordMeta) -> TagInput:
    """What student tagging looks at, from a record's metadata: the note, the originals'
    subjects and bodies, and everyone in the message and in the originals."""
    texts: list[str] = []
    for o in meta.originals or ():
        texts += [o.subject or "", o.body or ""]
    people = meta.people()
    direct = all(o.provenance == PROVENANCE_NONE for o in meta.originals or ())
    forwarder = meta.forwarder.name if meta.forwarder and not direct else ""
    return TagInput(
        meta.note or "",
        tuple(texts),
        tuple(p.address for p in people),
        tuple(p.name for p in people),
        direct=direct,
        forwarder=forwarder or "",
    )


class _Runs:
    """What one parse keeps on the side: where the runs of content lines taken out of the
    message before parsing were (each replaced by a numbered placeholder line), and the
    attached messages found.

    Placeholders are all the same length, so none is a prefix of another, and a part's
    payload is put back together in one pass from views of the original bytes.
    """

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.nonce = os.urandom(6).hex()
        self.prefix = f"{_PLACEHOLDER_WORD}{self.nonce}-"
        self.spans: list[tuple[int, int]] = []  # each run's place in `raw`, its last line end too
        self.embedded: list[email.message.Message] = []  # attached messages, as found
        self.extractable: list[Extractable] = []
        self.root: email.message.Message | None = None  # the parsed message
        self.wanted: frozenset[str] = frozenset()  # SHA-256s of attachments whose bytes to keep
        self.found: dict[str, bytes] = {}  # SHA-256 -> the attachment's decoded bytes
        self._paths: dict[int, tuple[int, ...]] | None = None  # id(part) -> its MIME path
        self._children: dict[tuple[int, ...], list[memoryview]] = {}  # path -> its parts' bytes

    def keep(self, digest: str, data: bytes) -> None:
        """Keep an attachment's bytes if they are wanted."""
        if digest in self.wanted:
            self.found[digest] = data

    def path(self, part: email.message.Message) -> tuple[int, ...] | None:
        """Where `part` is in the parsed tree: the index of each child from the root down (an
        attached message is its message/rfc822 part's child 0)."""
        if self._paths is None:
            self._paths = {}
            stack: list[tuple[email.message.Message, tuple[int, ...]]] = []
            if self.root is not None:
                stack.append((self.root, ()))
            while stack:
                node, where = stack.pop()
                self._paths[id(node)] = where
                children = _stored(node)
                if isinstance(children, list):
                    stack += [
                        (c, (*where, i))
                        for i, c in enumerate(children)
                        if isinstance(c, email.message.Message)
                    ]
        return self._paths.get(id(part))

    def entity(self, path: tuple[int, ...]) -> memoryview | None:
        """The bytes of the MIME entity at `path` (its headers and body) as they are in the
        original message; None where the original's boundaries do not lead there."""
        node = memoryview(self.raw)
        for depth in range(len(path)):
            children = self._children.get(path[:depth])
            if children is None:
                children = self._children[path[:depth]] = _child_entities(node)
            if path[depth] >= len(children):
                return None
            node = children[path[depth]]
        return node

    def shrink(self) -> bytes:
        """`raw` with each run of content lines of `_MIN_RUN_BYTES` or more swapped for a
        placeholder line: a content line too, so the parser takes the same path."""
        raw = self.raw
        if len(raw) < 8192:
            return raw

        def swap(m: re.Match[bytes]) -> bytes:
            start, end = m.span(1)
            if end - start < _MIN_RUN_BYTES:
                return m.group(0)
            self.spans.append((start, end))
            eol = b"\r\n" if raw[end - 2 : end] == b"\r\n" else b"\n"
            return b"\n" + f"{self.prefix}{len(self.spans) - 1:08d}".encode() + eol

        return _CONTENT_RUN.sub(swap, raw)

    def _pieces(self, payload: str) -> list[bytes | memoryview]:
        """A payload's bytes, with its runs put back (as views of `raw`), in pieces."""
        view = memoryview(self.raw)
        pieces: list[bytes | memoryview] = []
        last = 0
        for m in _PLACEHOLDER.finditer(payload):
            if m[1] != self.nonce:
                continue  # written in the message itself, or another parse's: text as it is
            pieces.append(payload[last : m.start()].encode("ascii", "surrogateescape"))
            start, end = self.spans[int(m[2])]
            end -= 2 if self.raw[end - 2 : end] == b"\r\n" else 1  # its line end is the token's
            pieces += [view[start:end], (m[3] or "").encode("ascii")]
            last = m.end()
        pieces.append(payload[last:].encode("ascii", "surrogateescape"))
        return pieces

    def held(self, part: email.message.Message) -> str | None:
        """A leaf's payload, if it holds placeholders."""
        payload = _stored(part)
        if self.spans and isinstance(payload, str) and self.prefix in payload:
            return payload
        return None

    def restore(self, part: email.message.Message) -> None:
        """Put the original lines back into a leaf part."""
        payload = self.held(part)
        if payload is not None:
            data = b"".join(self._pieces(payload))
            part.set_payload(data.decode("ascii", "surrogateescape"))

    def decoded(self, part: email.message.Message) -> bytes:
        """What `part.get_payload(decode=True)` gives for a leaf, its runs put back. It is
        decoded straight from the original bytes: the stdlib would first make the whole text,
        and for base64 two more copies of it and an object per line."""
        payload = _stored(part)
        cte = str(part.get("content-transfer-encoding", "")).lower()
        if isinstance(payload, str) and cte not in _UUENCODED:
            held = self.held(part)
            try:
                pieces = (
                    self._pieces(held) if held else [payload.encode("ascii", "surrogateescape")]
                )
            except UnicodeEncodeError:  # not text parsed from bytes: left to the stdlib
                pieces = []
            data = b"".join(pieces)  # one piece is joined without a copy
            if pieces and cte == "quoted-printable":
                return binascii.a2b_qp(data)  # what quopri.decodestring does
            if pieces and cte != "base64":
                return data
            fast = _b64decode(data) if pieces else None
            if fast is not None:
                return fast
        self.restore(part)
        decoded = part.get_payload(decode=True)
        return decoded if isinstance(decoded, bytes) else b""


def _stored(part: email.message.Message) -> object:
    """A part's payload as the parser stored it: `get_payload()` decodes again, with
    replacement characters, text that has raw 8-bit bytes in it."""
    return getattr(part, "_payload", None)


def _b64decode(data: bytes) -> bytes | None:
    """`data` decoded as compat32 decodes a base64 payload (its lines joined, then decoded),
    when the joined text is well formed base64 (its characters only, padding right); None
    otherwise, for the stdlib to do (it repairs what it can, and says so in the part's defects).

    The stdlib splits the text into lines and joins them before decoding: two more copies of
    it, and a Python object per line; binascii then decodes about 500 MB/s. Here the line ends
    go in one pass and pybase64 checks and decodes the rest with the processor's vector
    instructions: base64 was a fifth of parsing a message on the benchmark corpus.
    """
    try:
        return pybase64.b64decode(data.translate(None, b"\r\n"), validate=True)
    except binascii.Error:
        return None


def _split_entity(entity: memoryview) -> tuple[email.message.Message, memoryview]:
    """An entity's headers (parsed) and its body's bytes."""
    first = bytes(entity[:2])
    if first[:1] == b"\n" or first == b"\r\n":  # no headers
        start = 1 if first[:1] == b"\n" else 2
        return email.message.Message(), entity[start:]
    end = _HEADER_END.search(entity)
    head = entity[: end.end()] if end else entity
    parsed = email.parser.BytesParser().parsebytes(bytes(head), headersonly=True)
    return parsed, entity[end.end() :] if end else entity[len(entity) :]


def _child_entities(entity: memoryview) -> list[memoryview]:
    """The entities directly inside `entity`: a multipart's parts (by its boundary lines), or
    an attached message (a message/* part's body)."""
    headers, body = _split_entity(entity)
    if headers.get_content_maintype() == "message":
        return [body]
    boundary = headers.get_boundary() if headers.get_content_maintype() == "multipart" else None
    if not boundary:
        return []
    parts: list[memoryview] = []
    start: int | None = None
    for at, after, closing in _delimiters(
        body, b"--" + boundary.encode("utf-8", "surrogateescape")
    ):
        if start is not None:
            end = at
            tail = bytes(body[max(start, end - 2) : end])  # its line end is the delimiter's
            end -= 2 if tail == b"\r\n" else 1 if tail.endswith(b"\n") else 0
            parts.append(body[start:end])
        if closing:
            return parts
        start = after
    if start is not None:  # no closing boundary: the last part runs to the end
        parts.append(body[start:])
    return parts


# The stdlib's reading of a boundary line: at a line's start, "--" and the boundary, maybe "--",
# blanks, the line end (or the end of the text).
_LINE_DASHES = re.compile(rb"\n--")
_DELIMITER_TAIL = re.compile(rb"(--)?[ \t]*(?:\r?\n|\Z)")


def _delimiters(body: memoryview, marker: bytes) -> Iterator[tuple[int, int, bool]]:
    """The boundary lines in `body` (`marker` is "--" and the boundary), in order: where each
    starts and ends, and whether it closes the multipart. Candidates are found by their line
    start and dashes, a literal the regex engine scans for fast, with no pattern to compile per
    boundary."""
    size = len(marker)
    at: int | None = 0 if body[:size] == marker else None
    pos = 0
    while True:
        if at is None:
            found = _LINE_DASHES.search(body, pos)
            if found is None:
                return
            at = found.start() + 1
        tail = _DELIMITER_TAIL.match(body, at + size) if body[at : at + size] == marker else None
        if tail is None:
            pos, at = at, None
            continue
        yield at, tail.end(), bool(tail[1])
        # The next boundary line may start right after this one's line end.
        pos, at = tail.end() - 1, None


def _message_bytes(part: email.message.Message, runs: _Runs) -> bytes:
    """An attached message's bytes: its part's body in the original message, decoded if the
    part says it is encoded; what the parser read, regenerated, where the original's
    boundaries do not lead to it."""
    path = runs.path(part)
    entity = runs.entity((*path, 0)) if path is not None else None
    if entity is None:
        inner = part.get_payload(0)
        for leaf in inner.walk() if isinstance(inner, email.message.Message) else ():
            runs.restore(leaf)
        return inner.as_bytes() if isinstance(inner, email.message.Message) else b""
    data = bytes(entity)
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    try:
        if cte == "base64":
            return binascii.a2b_base64(data)
        if cte == "quoted-printable":
            return binascii.a2b_qp(data)
    except (binascii.Error, ValueError):
        pass  # not what it says it is: the bytes as they are
    return data


def _addresses(msg: email.message.Message, name: str, defects: list[str]) -> list[Party]:
    """Everyone in the `name` headers. A value whose display names cannot be decoded keeps its
    addresses (with the names as written); a value that cannot be read at all is left out.
    Either is a defect naming the header; mail-parser's repairs are an AddressHeaderDefect."""
    found: list[Party] = []
    repaired = False
    for value in msg.get_all(name) or []:
        try:
            pairs, repairs = _mailboxes(value)
            repaired = repaired or repairs
        except MALFORMED as exc:  # one bad encoded word must not cost the other headers
            defects.append(_header_defect(name, exc))
            try:
                pairs = [
                    (decode_header_part(display), addr)
                    for display, addr in get_addresses(value, decode_names=False)
                ]
            except MALFORMED:
                continue  # the defect is noted: this header gives nothing
        found += [Party(str(d or ""), str(a or "")) for d, a in pairs if d or a]
    if repaired:
        defects.append("AddressHeaderDefect")
    return found


def _mailboxes(value: object) -> tuple[list[tuple[str, str]], bool]:
    """mail-parser's reading of an address header's value (names decoded), and whether it had
    to repair it. The same values come again and again (the archive's address, each school's
    staff): a text value's reading is remembered."""
    if type(value) is str:
        pairs, repaired = _text_mailboxes(value)
        return list(pairs), repaired
    repairs: list[object] = []
    return get_addresses(value, defects=repairs, decode_names=True), bool(repairs)


@functools.lru_cache(maxsize=4096)
def _text_mailboxes(value: str) -> tuple[tuple[tuple[str, str], ...], bool]:
    repairs: list[object] = []
    pairs = get_addresses(value, defects=repairs, decode_names=True)
    return tuple(pairs), bool(repairs)


def _header_defect(name: str, exc: BaseException) -> str:
    return f"HeaderDefect: {name}: {type(exc).__name__}"


def _header(msg: email.message.Message, name: str, defects: list[str]) -> str:
    """The first `name` header, decoded (RFC 2047 words and raw 8-bit UTF-8 alike); "" and a
    defect if it cannot be."""
    try:
        value = get_header(msg, name)
        if isinstance(value, list):
            value = value[0] if value else ""
        return str(value or "")
    except MALFORMED as exc:
        defects.append(_header_defect(name, exc))
        return ""


def _text(value: object) -> str:
    return decode_header_part(str(value)) if value is not None else ""


def _decode_text(part: email.message.Message, defects: list[str], runs: _Runs) -> str:
    payload = runs.decoded(part)
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        defects.append("CharsetDecodeDefect")
        return payload.decode("utf-8", "replace")


def _attachment(
    part: email.message.Message, ctype: str, filename: str | None, defects: list[str], runs: _Runs
) -> AttachmentInfo:
    """An attachment's facts (`ctype` and `filename` as the part gives them: the walk has
    them already, and each reading parses the header again)."""
    if ctype in MESSAGE_TYPES and part.is_multipart():
        # An attached message is read as an original; its bytes are the part's body as it is
        # in the original message (the parser does not keep them: regenerating them would
        # not give the same bytes, and cost more than parsing the whole outer message).
        inner = part.get_payload(0)
        subject = inner.get("Subject") if isinstance(inner, email.message.Message) else None
        name = filename or _text(subject) + ".eml"
        data = _message_bytes(part, runs)
        digest = hashlib.sha256(data).hexdigest()
        runs.keep(digest, data)
        return AttachmentInfo(_filename(name, defects), ctype, len(data), digest)
    data = runs.decoded(part)
    name = _filename(filename or "", defects)
    digest = hashlib.sha256(data).hexdigest()
    runs.keep(digest, data)
    if data and extract.supported(ctype, name):
        runs.extractable.append(Extractable(name, ctype, data, digest))
    return AttachmentInfo(name, ctype, len(data), digest)


def _filename(name: str, defects: list[str]) -> str:
    try:
        return str(decode_header_part(name))
    except MALFORMED:  # a filename must not stop the message being archived
        defects.append("FilenameDecodeDefect")
        return str(name)


def _walk(part: email.message.Message, out: ParsedMessage, html: list[str], runs: _Runs) -> None:
    """Collect body text, attachments and defects; embedded messages are attachments."""
    out.defects.extend(type(d).__name__ for d in part.defects)
    ctype = part.get_content_type()
    if ctype in MESSAGE_TYPES:
        out.attachments.append(_attachment(part, ctype, part.get_filename(), out.defects, runs))
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
    filename = part.get_filename()
    named = bool(filename)
    if (
        ctype in ("text/plain", "text/html")
        and disposition != "attachment"
        and (not named or disposition == "inline")
    ):
        text = _decode_text(part, out.defects, runs)
        if ctype == "text/plain":
            out.text = f"{out.text}\n{text}" if out.text else text
        else:
            html.append(text)
        if not named:
            return
    # named inline text is both
    out.attachments.append(_attachment(part, ctype, filename, out.defects, runs))


def parse(raw: bytes, want: frozenset[str] = frozenset()) -> ParsedMessage:
    """Parse `raw`; never raises for bad input: unusable bytes come back with `quarantine` set.
    The decoded bytes of the attachments whose SHA-256 is in `want` come back in `found`."""
    runs = _Runs(raw)
    runs.wanted = want
    try:
        msg = _message(runs.shrink())
    except RecursionError:
        return _unparseable(raw, "MIME structure nested too deeply")
    except MALFORMED as exc:  # a hostile message must not stop ingest: it is stored, quarantined
        return _unparseable(raw, f"{type(exc).__name__}: {exc}")
    runs.root = msg
    out, attached = _read(msg, runs)
    if not {k.lower() for k in msg} & _IDENTIFYING_HEADERS:
        out.quarantine = QUARANTINE_NO_HEADERS
        out.problem = "no From, To, Date, Subject or Message-ID header found"
    try:
        _find_originals(msg, out, attached, runs, 0)
    except RecursionError:
        out.defects.append("NestingTooDeepDefect")
    except MALFORMED as exc:  # a forward we cannot read is still archived as it is
        out.defects.append(f"ForwardDefect: {type(exc).__name__}")
    out.defects = sorted(set(out.defects))
    out.extractable = runs.extractable
    out.found = runs.found
    return out


def _message(data: bytes) -> email.message.Message:
    """`email.message_from_bytes(data)`, fed a piece at a time: it would make the whole text
    and a buffer of four bytes a character of it."""
    parser = email.feedparser.BytesFeedParser()
    for start in range(0, len(data), _FEED_BYTES):
        parser.feed(data[start : start + _FEED_BYTES])
    return parser.close()


def _unparseable(raw: bytes, problem: str) -> ParsedMessage:
    """Bytes the parser cannot take apart: quarantined with the reason, and with the headers
    they start with when those can be read, so the record still says who sent what."""
    out = ParsedMessage(quarantine=QUARANTINE_UNPARSEABLE, problem=problem)
    end = _HEADER_END.search(raw, 0, _MAX_HEADER_BYTES)
    try:
        head = email.parser.BytesParser().parsebytes(
            raw[: end.end() if end else _MAX_HEADER_BYTES], headersonly=True
        )
    except MALFORMED:  # the headers are beyond reading too: the reason is all there is
        return out
    _read_headers(head, out)
    out.defects = sorted(set(out.defects))
    return out


def _read(
    msg: email.message.Message, runs: _Runs
) -> tuple[ParsedMessage, list[email.message.Message]]:
    """Headers, text and attachments of one message (an outer or an embedded one), and the
    messages attached to it."""
    first = len(runs.embedded)
    out = ParsedMessage()
    _read_headers(msg, out)
    try:  # the body's own guard: a part that breaks the walk costs the parts after it
        html: list[str] = []
        _walk(msg, out, html, runs)
        out.html = "\n".join(html) or None
        if not out.text and out.html:
            out.text = html_to_text(out.html)
            out.text_from_html = True
    except RecursionError:
        out.defects.append("NestingTooDeepDefect")
    except MALFORMED as exc:  # partial parse: keep what was found, say what broke
        out.defects.append(f"{type(exc).__name__}: {exc}")
    return out, runs.embedded[first:]


def _read_headers(msg: email.message.Message, out: ParsedMessage) -> None:
    """The headers a record keeps. Each is read on its own: one that cannot be decoded is
    a defect naming it, and costs only its own value."""
    out.sender = _addresses(msg, "From", out.defects)
    out.to = _addresses(msg, "To", out.defects)
    out.cc = _addresses(msg, "Cc", out.defects)
    out.subject = _header(msg, "Subject", out.defects)
    out.message_id = _header(msg, "Message-ID", out.defects) or None
    try:
        out.authentication_results = [str(v) for v in msg.get_all("Authentication-Results", [])]
    except MALFORMED as exc:
        out.defects.append(_header_defect("Authentication-Results", exc))
    try:
        date_value = msg.get("Date")
        if date_value is not None:
            out.date_text = str(date_value)
            when, _offset = convert_mail_date(out.date_text)
            out.date = when if when.tzinfo else when.replace(tzinfo=UTC)
    except (ValueError, TypeError, OverflowError):
        out.defects.append("DateHeaderDefect")
    except MALFORMED as exc:
        out.defects.append(_header_defect("Date", exc))


def _party(p: forwards.Party | None) -> Party | None:
    return Party(p.name, p.address) if p else None


def _itself(m: ParsedMessage, provenance: str) -> Original:
    return Original(
        m.sender[0] if m.sender else None,
        tuple(m.to),
        tuple(m.cc),
        m.date_text,
        m.date,
        m.subject or None,
        m.text.strip(),
        provenance,
        tuple(m.attachments) if provenance == PROVENANCE_HEADERS else (),
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
    reply, "Re: Fwd: …" included, that merely quotes). Otherwise the message is its own
    original, forwarded by an auto-forward rule (X-Forwarded-For) or sent straight to the
    archive.
    """
    out.forwarder = out.sender[0] if out.sender else None
    if attached and depth < _MAX_DEPTH:
        inner, inner_attached = _read(attached[0], runs)
        _find_originals(attached[0], inner, inner_attached, runs, depth + 1)
        out.note = out.text.strip()
        out.originals = [_itself(inner, PROVENANCE_HEADERS)]
        if inner.originals and inner.originals[0].provenance != PROVENANCE_NONE:
            # An attached forward: its body is its own text, down to the forward it made in
            # turn (the next original of the chain), as for an inline forward of a forward.
            out.originals = [replace(out.originals[0], body=inner.note), *inner.originals]
        return
    # The outermost prefix says what the sender did: "Re: Fwd: …" replies to a forward, and the
    # forward it quotes is the reply's history, as any quoted message is.
    replying = forwards.is_reply_subject(out.subject)
    split = (
        None
        if replying
        else forwards.split_forward(out.text, out.html, out.subject, from_html=out.text_from_html)
    )
    if split is not None and split.chain:
        out.note = split.note
        out.originals = [
            Original(
                _party(o.sender),
                tuple(Party(p.name, p.address) for p in o.to),
                tuple(Party(p.name, p.address) for p in o.cc),
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
            out.forwarder = Party("", first[0].strip("<>"))
    out.originals = [_itself(out, PROVENANCE_NONE)]
