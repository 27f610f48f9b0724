"""The CPU-heavy half of ingest, run in worker processes: raw bytes -> SHA-256 -> parse ->
understand (originals, attachment text, students, index tokens) -> seal and blind terms. No
database: `writer` writes what this prepares, in the calling process.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from archiver.archive.index_entry import entry_under
from archiver.archive.roster import Roster
from archiver.crypto import blind, sealing
from archiver.crypto.keyring import Keyring
from archiver.domain import IndexEntry, RecordRow
from archiver.settings import IngestSettings
from archiver.sources.arrival import Arrival
from archiver.understand.indexing import attachment_texts, index_tokens
from archiver.understand.parse import ParsedMessage, parse

ARCHIVED = "archived"
DUPLICATE = "duplicate"
QUARANTINED = "quarantined"
FAILED = "failed"
ACTIVE = "active"
QUARANTINE_SENDER = "sender_not_allowed"
NOT_YET = datetime.min.replace(tzinfo=UTC)  # archived_at until the writer commits the record


@dataclass(frozen=True)
class IngestPolicy:
    """What ingest needs from the settings, in a form worker processes can receive."""

    kek_id: str
    kek: bytes
    index_key_id: str
    index_key: bytes
    compression_level: int = 3
    max_message_bytes: int = 150 * 1024 * 1024
    attachment_text_timeout: float = 10.0
    attachment_text_budget: float = 60.0

    @classmethod
    def from_settings(cls, settings: IngestSettings, ring: Keyring) -> IngestPolicy:
        """The policy for these settings: sealing under the current key-encryption key,
        indexing under the current index key."""
        kek_id, kek = ring.current_kek()
        index_id, index_key = ring.index_key()
        return cls(
            kek_id,
            kek,
            index_id,
            index_key,
            settings.compression_level,
            settings.max_message_mb << 20,
            settings.attachment_text_timeout,
            settings.attachment_text_budget,
        )


@dataclass(frozen=True)
class Prepared:
    """The CPU-heavy half of ingesting one message, ready to be written."""

    arrival: Arrival
    sha256: bytes
    size: int
    record: RecordRow | None
    parts: dict[str, bytes]
    data_key: bytes
    locator: bytes
    error: str | None = None
    # Students found (id -> tag source) against the roster at `roster_version`; the writer
    # tags again from the sealed metadata if the roster has changed since.
    students: dict[str, str] | None = None
    roster_version: int = -1
    index: IndexEntry | None = None  # with its digest: the writer only stores it


@dataclass(frozen=True)
class Outcome:
    """What happened to one message (the item of `import --json`)."""

    label: str
    record_id: str | None
    status: str  # archived | duplicate | quarantined | failed
    error: str | None = None
    record_status: str | None = None  # the record's own status (a duplicate's may be quarantined)


def digest(raw: bytes) -> bytes:
    """The SHA-256 that identifies a message's bytes."""
    return hashlib.sha256(raw).digest()


def failed(arrival: Arrival, error: str) -> Prepared:
    """A message that could not be read at all."""
    return Prepared(arrival, b"", 0, None, {}, b"", b"", error)


def already_archived(raw: bytes, arrival: Arrival, sha256: bytes) -> Prepared:
    """A message whose hash is already archived: nothing to parse or seal, just an arrival."""
    return Prepared(arrival, sha256, len(raw), None, {}, b"", b"")


def prepare(
    raw: bytes,
    arrival: Arrival,
    policy: IngestPolicy,
    sha256: bytes = b"",
    roster: Roster | None = None,
) -> Prepared:
    """Hash, understand and seal `raw` (no database: this runs in worker processes). Never
    raises for bad input: the result says what failed."""
    size = len(raw)
    sha256 = sha256 or digest(raw)
    if size == 0:
        return failed(arrival, "empty file: no message in it")
    if size > policy.max_message_bytes:
        limit = policy.max_message_bytes // (1024 * 1024)
        return failed(
            arrival,
            f"message is {size / 1048576:.1f} MB, more than ingest.max_message_mb ({limit})",
        )
    # First understand everything (no keys): the message, its attachments' text, the
    # students, the index tokens. Attachment text comes before sealing, so the decoded
    # attachments are gone before the sealed copies of the message are made.
    parsed = parse(raw)
    _quarantine_outsider(parsed, arrival)
    texts = attachment_texts(
        parsed.extractable, policy.attachment_text_timeout, policy.attachment_text_budget
    )
    parsed.extractable = []
    meta = parsed.metadata(texts.status)
    students = roster.tagger.tag(parsed.tag_input(meta)) if roster else None
    tokens = index_tokens(meta, texts.texts)
    # Then seal, and make blind terms of the tokens.
    sealed = sealing.seal_record(raw, meta, policy.kek_id, policy.kek, policy.compression_level)
    row = RecordRow(
        id=sealed.record_id,
        sha256=sha256,
        size=size,
        archived_at=NOT_YET,  # the writer stamps it with its transaction's time
        source_kind=arrival.source_kind,
        status=QUARANTINED if parsed.quarantine else ACTIVE,
        quarantine_code=parsed.quarantine,
        sent_at=parsed.sent_at,
        kek_id=sealed.kek_id,
        wrapped_key=sealed.wrapped_key,
        seal_version=sealing.SEAL_VERSION,
        stored_size=sum(len(p) for p in sealed.parts.values()),
    )
    locator = sealing.seal_locator(sealed.data_key, sealed.record_id, arrival.label)
    return Prepared(
        arrival,
        sha256,
        size,
        row,
        sealed.parts,
        sealed.data_key,
        locator,
        students=students,
        roster_version=roster.version if roster else -1,
        index=entry_under(
            policy.index_key,
            sealed.record_id,
            blind.for_key(policy.index_key).document(policy.index_key_id, tokens),
            parsed.sent_at,
        ),
    )


def _quarantine_outsider(parsed: ParsedMessage, arrival: Arrival) -> None:
    """The source's rule: a forward from outside its domains is archived quarantined."""
    if parsed.quarantine is not None or not arrival.allowed_domains:
        return
    sender = parsed.sender[0].address.lower() if parsed.sender else ""
    domain = sender.rpartition("@")[2]
    if not any(domain == d or domain.endswith("." + d) for d in arrival.allowed_domains):
        parsed.quarantine = QUARANTINE_SENDER
        parsed.problem = (
            f"forwarder {sender or '(none)'} is not in the source's allowed_forwarder_domains"
        )
