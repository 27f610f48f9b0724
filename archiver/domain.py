"""Typed values that cross layers: what a record says (its sealed metadata: parties,
attachments, originals) and the rows the store hands to services. Nothing here does I/O.

The sealed metadata is JSON; `RecordMeta.from_json` is the one place it is read, and it reads
every version written so far (older records lack `originals` until `archiver rederive`, and
`body` until then too), so old records open without being re-derived.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# How a record id is written (`crypto.sealing.new_record_id`: 32 lower-case hex digits), and
# one as a string in JSON text.
_RECORD_ID = re.compile(r"[0-9a-f]{32}")
_QUOTED_RECORD_ID = re.compile(f'"({_RECORD_ID.pattern})"')
MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})  # attached messages
PROVENANCE_HEADERS = "headers"  # an attached message/rfc822 part, with its real headers
PROVENANCE_RECONSTRUCTED = "reconstructed"  # read back from an inline forward block
PROVENANCE_NONE = "none"  # not a forward: the original is the message itself


# What a record says -----------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """Someone in a message: a display name and an address (either may be empty)."""

    name: str
    address: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "address": self.address}

    @classmethod
    def from_json(cls, doc: dict[str, Any] | None) -> Party | None:
        if not doc:
            return None
        return cls(str(doc.get("name") or ""), str(doc.get("address") or ""))

    def label(self) -> str:
        """How a person reads it: `Name <address>`, or the address alone."""
        return f"{self.name} <{self.address}>" if self.name else self.address


def _parties(docs: list[dict[str, Any]] | None) -> tuple[Party, ...]:
    return tuple(p for d in docs or [] if (p := Party.from_json(d)) is not None)


@dataclass(frozen=True)
class AttachmentInfo:
    """A file attached to a message. For a PDF or DOCX, `text` says how reading its text for
    the search index went (ok, truncated, timeout, failed, too_large, skipped) and
    `text_problem` why, when it is not ok; None for other files and older records."""

    filename: str
    content_type: str
    size: int
    sha256: str
    text: str | None = None
    text_problem: str | None = None

    @property
    def is_message(self) -> bool:
        """An attached message: an original, not a file."""
        return self.content_type in MESSAGE_TYPES

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }
        if self.text is not None:
            out["text"], out["text_problem"] = self.text, self.text_problem
        return out

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> AttachmentInfo:
        return cls(
            str(doc.get("filename") or ""),
            str(doc.get("content_type") or ""),
            int(doc.get("size") or 0),
            str(doc.get("sha256") or ""),
            doc.get("text"),
            doc.get("text_problem"),
        )


def _date(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Original:
    """A message the forwarder passed on (or the message itself, when it is not a forward):
    `provenance` says whether it has its real headers, was read back from an inline forward
    block, or is the message itself."""

    sender: Party | None
    to: tuple[Party, ...]
    cc: tuple[Party, ...]
    date_text: str | None
    date: datetime | None
    subject: str | None
    body: str
    provenance: str
    attachments: tuple[AttachmentInfo, ...] = ()  # its own, when it has headers

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.sender.to_json() if self.sender else None,
            "to": [p.to_json() for p in self.to],
            "cc": [p.to_json() for p in self.cc],
            "date": self.date.isoformat() if self.date else None,
            "date_text": self.date_text,
            "subject": self.subject,
            "body": self.body,
            "provenance": self.provenance,
            "attachments": [a.to_json() for a in self.attachments],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Original:
        return cls(
            Party.from_json(doc.get("from")),
            _parties(doc.get("to")),
            _parties(doc.get("cc")),
            doc.get("date_text"),
            _date(doc.get("date")),
            doc.get("subject"),
            str(doc.get("body") or ""),
            str(doc.get("provenance") or PROVENANCE_NONE),
            tuple(AttachmentInfo.from_json(a) for a in doc.get("attachments") or []),
        )


@dataclass(frozen=True)
class RecordMeta:
    """Everything parsing derived from a record's bytes, sealed beside them: the outer
    message's headers, the forwarder and their note, the originals (outermost first), the
    attachments, what was wrong with the message, and its text.

    `originals` is None for a record sealed before forwards were understood, and `body` None
    for one sealed before the text was kept: `archiver rederive` fills both in.
    """

    quarantine: str | None = None
    problem: str | None = None
    sender: tuple[Party, ...] = ()
    to: tuple[Party, ...] = ()
    cc: tuple[Party, ...] = ()
    subject: str = ""
    date_text: str | None = None
    date: datetime | None = None
    message_id: str | None = None
    authentication_results: tuple[str, ...] = ()
    attachments: tuple[AttachmentInfo, ...] = ()
    defects: tuple[str, ...] = ()
    forwarder: Party | None = None
    note: str = ""
    originals: tuple[Original, ...] | None = ()
    body: str | None = None

    @property
    def original(self) -> Original | None:
        """The original the forwarder passed on (outermost), if known."""
        return self.originals[0] if self.originals else None

    def files(self) -> list[AttachmentInfo]:
        """The files attached to the message or to the originals in it (forwarded messages are
        originals, not files)."""
        every = [*self.attachments, *(a for o in self.originals or () for a in o.attachments)]
        return [a for a in every if not a.is_message]

    def people(self) -> list[Party]:
        """Everyone in the message and in its originals."""
        out = [*self.sender, *self.to, *self.cc]
        for o in self.originals or ():
            out += [*([o.sender] if o.sender else []), *o.to, *o.cc]
        return out

    def to_json(self) -> dict[str, Any]:
        """The sealed form (seal version 1's JSON)."""
        out: dict[str, Any] = {
            "quarantine": self.quarantine,
            "problem": self.problem,
            "sender": [p.to_json() for p in self.sender],
            "to": [p.to_json() for p in self.to],
            "cc": [p.to_json() for p in self.cc],
            "subject": self.subject,
            "date_text": self.date_text,
            "date": self.date.isoformat() if self.date else None,
            "message_id": self.message_id,
            "authentication_results": list(self.authentication_results),
            "attachments": [a.to_json() for a in self.attachments],
            "defects": list(self.defects),
            "forwarder": self.forwarder.to_json() if self.forwarder else None,
            "note": self.note,
        }
        if self.originals is not None:
            out["originals"] = [o.to_json() for o in self.originals]
        if self.body is not None:
            out["body"] = self.body
        return out

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> RecordMeta:
        """Read sealed metadata of any version."""
        originals = doc.get("originals")
        return cls(
            quarantine=doc.get("quarantine"),
            problem=doc.get("problem"),
            sender=_parties(doc.get("sender")),
            to=_parties(doc.get("to")),
            cc=_parties(doc.get("cc")),
            subject=str(doc.get("subject") or ""),
            date_text=doc.get("date_text"),
            date=_date(doc.get("date")),
            message_id=doc.get("message_id"),
            authentication_results=tuple(doc.get("authentication_results") or ()),
            attachments=tuple(AttachmentInfo.from_json(a) for a in doc.get("attachments") or []),
            defects=tuple(doc.get("defects") or ()),
            forwarder=Party.from_json(doc.get("forwarder")),
            note=str(doc.get("note") or ""),
            originals=(
                None if originals is None else tuple(Original.from_json(o) for o in originals)
            ),
            body=doc.get("body"),
        )


# What the store holds ---------------------------------------------------------------------


STATUSES = ("active", "quarantined")  # what a record can be; search filters on it
# What a record is once a disposition batch destroyed it: its row stays, nothing readable does.
DESTROYED = "destroyed"
MAX_LIMIT = 10_000  # records on one page of search results


@dataclass(frozen=True)
class SearchRequest:
    """A search: words, "phrases" and -words (`query`) and filters; every given part must hold.

    Address filters take an address (`pat@example.org`), a domain (`@example.org`) or name
    words (`Pat Doe`). `student` is a student id from the roster. `since` and `until` are
    inclusive days (in the district's time zone) of the original message's date.
    """

    query: str = ""
    sender: str | None = None
    to: str | None = None
    participant: str | None = None
    forwarder: str | None = None
    student: str | None = None
    since: date | None = None
    until: date | None = None
    status: str | None = None
    has_attachment: bool | None = None
    limit: int = 50
    offset: int = 0
    series: str | None = None  # retention series
    eligible_by: date | None = None  # retention passed by this day (the district's)
    held: bool | None = None  # covered by an open legal hold, or not


@dataclass(frozen=True)
class RecordRow:
    """A record as stored: its hash and size, origin, status, and its wrapped data key."""

    id: str
    sha256: bytes
    size: int
    archived_at: datetime
    source_kind: str
    status: str
    quarantine_code: str | None
    sent_at: datetime | None
    kek_id: str
    wrapped_key: bytes
    seal_version: int
    stored_size: int
    facts: bytes | None = None  # tags authenticating the columns above (crypto/facts.py)


@dataclass(frozen=True)
class ArrivalRow:
    """One arrival of a record's bytes, as stored: when, from which source and where in it."""

    record_id: str
    arrived_at: datetime
    source_kind: str
    source_name: str
    mailbox: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None
    locator: bytes | None = None
    position: bytes | None = None  # keyed hash of where it came from: one row per place
    facts: bytes | None = None


@dataclass(frozen=True)
class TagRow:
    """A record's tag with a student (row id), its source, and the tags authenticating it;
    source "removed" for a tag removed by hand (`tagged_at` is then when)."""

    record_id: str
    student_id: int
    source: str
    tagged_at: datetime
    facts: bytes | None = None


@dataclass(frozen=True)
class SourceStateRow:
    """What a source's last poll cycles did: attempts, successes, the last error."""

    source_name: str
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    waiting: int | None = None
    last_cycle: str | None = None


@dataclass(frozen=True)
class StudentRow:
    """A sealed student of the roster, as stored, with the day the student left."""

    id: int  # 0 until stored
    lookup: bytes
    key_id: str
    sealed: bytes
    exit_date: date | None
    facts: bytes | None = None


@dataclass(frozen=True)
class StaffRow:
    """A sealed member of the staff directory, as stored."""

    id: int  # 0 until stored
    lookup: bytes
    key_id: str
    sealed: bytes


@dataclass(frozen=True)
class KeyRow:
    """A registered key, as stored: its kind, state and check value (never the key)."""

    id: str
    kind: str
    created_at: datetime
    check_value: bytes
    state: str
    # A cohort key's retention series and month of eligibility ("2027-03"); None for others.
    series: str | None = None
    month: str | None = None
    destroyed_at: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    """One event of the audit log, as stored, with its links in the hash chain."""

    seq: int
    at: datetime
    actor: str
    action: str
    target: str | None
    details: str
    key_id: str
    prev_hash: bytes
    hash: bytes

    def mentions(self) -> set[str]:
        """The records this event is about: its target if that is a record id, and every
        record id quoted in the JSON text of its details (each string in it that is one, at
        any depth, a key too: JSON escapes no hex digit). So for a record id X, X is here
        exactly when `target == X` or the details hold `"X"`."""
        found = set(_QUOTED_RECORD_ID.findall(self.details))
        if self.target is not None and is_record_id(self.target):
            found.add(self.target)
        return found


def is_record_id(text: str) -> bool:
    """Whether `text` is written as a record id is, whether or not there is such a record."""
    return _RECORD_ID.fullmatch(text) is not None


@dataclass(frozen=True)
class AuditQuery:
    """Which audit events to read: those matching every filter given (all of them if none)."""

    since: datetime | None = None  # at or after this moment
    before: datetime | None = None  # strictly before this moment
    actor: str | None = None  # exactly this actor
    action: str | None = None  # this action, or one of its family ("hold": "hold.add", ...)
    record: str | None = None  # a full record id: the event's target, or named in its details


@dataclass(frozen=True)
class SearchState:
    """What every index entry must have been made with; `complete` if they all were."""

    generation: int
    key_id: str | None
    tokenizer: int
    complete: bool


@dataclass(frozen=True)
class IndexTokens:
    """What a record is found by: per field, its tokens (plaintext, never stored), and how
    many files it has attached; made by tokenizer version `tokenizer`."""

    tokenizer: int
    fields: dict[str, set[str]]
    attachments: int


def pack_terms(terms: Iterable[int]) -> bytes:
    """Blind terms as an index entry keeps them: sorted, unique signed 64-bit integers in
    native byte order."""
    return array("q", sorted(set(terms))).tobytes()


def unpack_terms(data: bytes) -> list[int]:
    """The terms of `pack_terms`."""
    out = array("q")
    out.frombytes(data)
    return out.tolist()


@dataclass(frozen=True)
class IndexDoc:
    """One record's index entry: its blind terms (sorted, unique) and its attachment count."""

    key_id: str
    tokenizer: int
    terms: bytes  # packed signed 64-bit integers, native order
    attachments: int


@dataclass(frozen=True)
class IndexEntry:
    """One record's search document: its terms (packed 64-bit integers) and attachments."""

    record_id: str
    key_id: str
    tokenizer: int
    terms: bytes
    attachments: int
    sent_at: datetime | None
    digest: bytes | None = None  # keyed hash of all of the above (crypto/blind.py)

    @property
    def sent(self) -> int | None:
        """The sent date as the index keeps it: seconds since 1970, UTC."""
        return int(self.sent_at.timestamp()) if self.sent_at else None


@dataclass(frozen=True)
class IndexedDoc:
    """A stored index entry (without its terms, which live in the postings)."""

    seq: int
    record_id: str
    key_id: str
    tokenizer: int
    attachments: int
    sent: int | None
    digest: bytes | None


@dataclass(frozen=True)
class IndexCheck:
    """Where `verify --index` stands: an unfinished pass (the next block, when it began, what
    it found so far) and the last finished check."""

    next_block: int | None
    started_at: datetime | None
    problems: int
    verified_at: datetime | None
    scope: str | None
    verified_problems: int | None


@dataclass(frozen=True)
class Hits:
    """A search's answer from the index: every matching record counted, one page of ids."""

    total: int
    ids: list[str] = field(default_factory=list)  # newest first


# --- Records management ---------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionRow:
    """A record's retention: its series, the rule that placed it (or "manual"), the event date
    that starts its clock and the day it may (or, for a `maximum` series, must) be destroyed;
    both empty while the event has not happened, `retain_until` also for a permanent series."""

    record_id: str
    series: str
    rule: str
    trigger_date: date | None
    retain_until: date | None
    limit: str  # minimum | maximum
    disposition: str  # destroy | review | permanent
    classified_at: datetime
    classified_by: str | None = None  # who chose the series by hand
    note: bytes | None = None  # sealed reason of a manual classification
    facts: bytes | None = None


@dataclass(frozen=True)
class HoldRow:
    """A legal hold as stored: its name, reason and criteria sealed in `sealed`."""

    id: int  # 0 until stored
    lookup: bytes
    key_id: str
    sealed: bytes
    created_at: datetime
    created_by: str
    released_at: datetime | None = None
    released_by: str | None = None
    release_note: bytes | None = None
    facts: bytes | None = None


@dataclass(frozen=True)
class HoldMemberRow:
    """A record a hold covers (`how`: criteria or manual), or one taken out of it by hand
    (`how` "removed", so its criteria do not catch it again)."""

    hold_id: int
    record_id: str
    how: str
    at: datetime
    facts: bytes | None = None


@dataclass(frozen=True)
class NewRecord:
    """What records management needs of a record ingest has just written, in the same
    transaction: classification and holds see it before it is committed."""

    row: RecordRow
    source_name: str
    terms: frozenset[int]  # its blind index terms (empty if it was not indexed)
    tags: dict[int, str]  # student row id -> how it was tagged


@dataclass(frozen=True)
class RequestRow:
    """A request as stored: who asked, how to reach them and what for sealed in `sealed`; the
    due dates as last computed, under the calendar rules whose digest is `calendar`."""

    number: str
    year: int
    seq: int
    kind: str  # public | student
    state: str  # open | responded | extended | closed | appealed
    received_at: datetime
    channel: str
    student_id: int | None  # the roster row of a student-records request
    received_day: date
    respond_by: date
    produce_by: date | None
    petition_by: date | None
    extension_days: int | None
    extended_to: date | None
    calendar: str
    opened_at: datetime
    opened_by: str
    key_id: str
    sealed: bytes
    responded_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = None
    fees: str | None = None  # the fee estimate's inputs, JSON
    facts: bytes | None = None


@dataclass(frozen=True)
class RequestRecordRow:
    """A record in a request, and what was decided for it (`note`, sealed: why)."""

    number: str
    record_id: str
    added_at: datetime
    decision: str | None = None
    exemptions: tuple[str, ...] = ()
    note: bytes | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    facts: bytes | None = None


@dataclass(frozen=True)
class RedactionRow:
    """A redaction of a record in a request: the text (sealed) removed from what is produced,
    under an exemption; `occurrence` None for every occurrence, else the Nth (from 1)."""

    id: int
    number: str
    record_id: str
    exemption: str  # the code as a decision stores it ("26a:ferpa")
    occurrence: int | None
    source: str  # suggested | manual
    state: str  # proposed | accepted | rejected
    created_at: datetime
    created_by: str
    sealed: bytes  # the text
    decided_at: datetime | None = None  # accepted or rejected, last
    decided_by: str | None = None
    facts: bytes | None = None


@dataclass(frozen=True)
class AttachmentDecisionRow:
    """Whether an image attachment (`attachment`: its number as `show` gives it) of a record
    decided `redact` in a request is released as it is or withheld."""

    number: str
    record_id: str
    attachment: int
    decision: str  # release | withhold
    decided_at: datetime
    decided_by: str
    facts: bytes | None = None


@dataclass(frozen=True)
class AccessRow:
    """One access to a student's record (603 CMR 23.07(1)): `purpose` sealed."""

    student_id: int
    at: datetime
    actor: str
    action: str
    record_id: str
    audit_seq: int
    purpose: bytes | None = None


@dataclass(frozen=True)
class BatchRow:
    """A disposition batch as stored (DESIGN.md 9.6): who planned and approved it, its permit,
    its state, and once executed its signed certificate."""

    number: str  # D-2027-003
    year: int
    seq: int
    state: str  # planned | approved | executing | executed | cancelled
    by_day: date
    series: str | None
    planned_at: datetime
    planned_by: str
    approved_at: datetime | None = None
    approved_by: str | None = None
    permit: str | None = None
    started_at: datetime | None = None
    executed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    cancel_note: bytes | None = None  # sealed
    certificate: bytes | None = None  # the signed JSON
    signature: bytes | None = None
    signing_key: str | None = None
    facts: bytes | None = None


@dataclass(frozen=True)
class BatchMemberRow:
    """A record of a batch: planned, destroyed, or skipped (`reason`: hold, request or
    retention, `detail` saying more)."""

    batch: str
    record_id: str
    series: str
    state: str
    reason: str | None = None
    detail: str | None = None
    facts: bytes | None = None


@dataclass(frozen=True)
class TombstoneRow:
    """What remains of a destroyed record."""

    record_id: str
    sha256: bytes
    size: int
    series: str
    sent_at: datetime | None
    archived_at: datetime
    batch: str
    destroyed_at: datetime
    facts: bytes | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.record_id,
            "sha256": self.sha256.hex(),
            "size": self.size,
            "series": self.series,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "archived_at": self.archived_at.isoformat(),
            "batch": self.batch,
            "destroyed_at": self.destroyed_at.isoformat(),
        }


# The web application's roles (DESIGN.md section 13): records-officer does everything,
# reviewer reads and decides on requests, approver approves disposition, auditor reads the
# audit and access logs, admin manages accounts, sources and status.
ROLES = ("records-officer", "reviewer", "approver", "auditor", "admin")


@dataclass(frozen=True)
class WebUserRow:
    """A web application account as stored: `name` casefolded, `password_hash` an argon2id
    string, `totp_secret` sealed, `totp_step` the last TOTP time step accepted (a code is
    never accepted twice)."""

    id: int  # 0 until stored
    name: str
    display_name: str
    role: str
    password_hash: str | None
    totp_secret: bytes | None
    sso: bool
    disabled: bool
    created_at: datetime
    totp_step: int | None = None
    sso_subject: str | None = None  # "ISSUER SUBJECT" its OpenID Connect sign-ins must be
    facts: bytes | None = None


@dataclass(frozen=True)
class WebSessionRow:
    """A signed-in session: `token_hash` is the SHA-256 of the token the browser holds."""

    token_hash: bytes
    user_id: int
    created_at: datetime
    last_seen: datetime
    remote: str
    ended_at: datetime | None = None
    facts: bytes | None = None


@dataclass(frozen=True)
class SavedSearchRow:
    """A saved search as stored: its name and query string sealed (`crypto/notes.py`)."""

    id: int
    user_id: int
    name: bytes
    query: bytes
    created_at: datetime


def size_text(n: int) -> str:
    """A size as people read it: bytes under 1 KB, else KB, MB, GB or TB (one decimal)."""
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}"
