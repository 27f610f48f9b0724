"""Ingest: raw bytes -> SHA-256 -> dedup -> parse -> seal -> store, for every source.

Two halves, so the CPU work can run in other processes: `prepare` (hash, parse, seal; no
database) and `store_batch` (dedup and write, inside the caller's transaction). The pipeline
(`pipeline.py`) runs them for every source.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from archiver import sealing
from archiver.crypto import blind
from archiver.domain import ArrivalRow, IndexDoc, RecordRow, TagRow
from archiver.errors import DatabaseError
from archiver.keys import Keyring
from archiver.records import audit, facts
from archiver.records.roster import Roster
from archiver.records.search import index_entry
from archiver.settings import IngestSettings
from archiver.sources.arrival import Arrival
from archiver.store.db import Tx
from archiver.understand.indexing import attachment_texts, index_tokens
from archiver.understand.parse import parse, tag_input

ARCHIVED = "archived"
DUPLICATE = "duplicate"
QUARANTINED = "quarantined"
FAILED = "failed"
ACTIVE = "active"
QUARANTINE_SENDER = "sender_not_allowed"


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
    index: IndexDoc | None = None


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
    """Hash, parse and seal `raw`. Never raises for bad input: the result says what failed."""
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
    parsed = parse(raw)
    if parsed.quarantine is None and arrival.allowed_domains:
        sender = parsed.sender[0].address.lower() if parsed.sender else ""
        domain = sender.rpartition("@")[2]
        if not any(domain == d or domain.endswith("." + d) for d in arrival.allowed_domains):
            parsed.quarantine = QUARANTINE_SENDER
            parsed.problem = (
                f"forwarder {sender or '(none)'} is not in the source's allowed_forwarder_domains"
            )
    # Attachment text before sealing, so the decoded attachments are gone before the sealed
    # copies of the message are made, and how reading each went is sealed with the record.
    texts = attachment_texts(
        parsed.extractable, policy.attachment_text_timeout, policy.attachment_text_budget
    )
    parsed.extractable = []
    meta = parsed.metadata(texts.status)
    sealed = sealing.seal_record(raw, meta, policy.kek_id, policy.kek, policy.compression_level)
    row = RecordRow(
        id=sealed.record_id,
        sha256=sha256,
        size=size,
        archived_at=datetime.now(UTC),
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
        students=roster.tagger.tag(parsed.tag_input(meta)) if roster else None,
        roster_version=roster.version if roster else -1,
        index=blind.for_key(policy.index_key).document(
            policy.index_key_id, index_tokens(meta, texts.texts)
        ),
    )


def _arrival_row(
    ring: Keyring, prep: Prepared, record_id: str, key: bytes, locator: bytes, now: datetime
) -> ArrivalRow:
    """An arrival of record `record_id` (data key `key`), placed and authenticated."""
    a = prep.arrival
    row = ArrivalRow(
        record_id=record_id,
        arrived_at=now,
        source_kind=a.source_kind,
        source_name=a.source_name,
        mailbox=a.mailbox,
        uidvalidity=a.uidvalidity,
        uid=a.uid,
        locator=locator,
        position=sealing.arrival_position(
            key, record_id, f"{a.source_kind}:{a.source_name}", a.label, a.uidvalidity
        ),
    )
    return facts.seal_arrival(ring, row)


def _write(
    tx: Tx, ring: Keyring, batch: list[Prepared], roster: Roster | None
) -> list[Outcome] | None:
    """One attempt at writing `batch`; None if another writer archived one of its hashes first."""
    live = [p for p in batch if p.error is None]
    existing = tx.records.by_sha(list({p.sha256 for p in live}))
    new: dict[bytes, RecordRow] = {}
    parts: list[tuple[str, str, bytes]] = []
    now = datetime.now(UTC)
    for p in live:
        if p.record is not None and p.sha256 not in existing and p.sha256 not in new:
            new[p.sha256] = facts.seal_record(ring, dataclasses.replace(p.record, archived_at=now))
            parts += [(p.record.id, name, data) for name, data in p.parts.items()]
    if not tx.records.insert(list(new.values()), parts):
        return None
    outcomes: list[Outcome] = []
    arrivals: list[ArrivalRow] = []
    keys = {p.record.id: p.data_key for p in live if p.record is not None}
    tags: list[TagRow] = []  # a new record has no tags yet: only inserts
    for p in batch:
        label = p.arrival.label
        if p.error is not None:
            outcomes.append(Outcome(label, None, FAILED, p.error))
            continue
        rec = new.get(p.sha256)
        if rec is not None and p.record is not None and rec.id == p.record.id:
            arrivals.append(_arrival_row(ring, p, rec.id, p.data_key, p.locator, now))
            if roster is not None and roster.students:
                found = p.students if p.roster_version == roster.version else None
                if found is None:  # tagged against an older roster, or not at all
                    meta = sealing.open_meta(p.data_key, rec, p.parts[sealing.META])
                    found = roster.tagger.tag(tag_input(meta))
                tags += [
                    facts.seal_tag(ring, TagRow(rec.id, roster.row_ids[sid], src, now))
                    for sid, src in found.items()
                ]
            outcomes.append(
                Outcome(
                    label,
                    rec.id,
                    QUARANTINED if rec.quarantine_code else ARCHIVED,
                    record_status=rec.status,
                )
            )
            continue
        rec = existing.get(p.sha256) or rec
        if rec is None:  # known when the importer looked, gone now: a disposal raced us
            raise DatabaseError("a record disappeared while importing: run the import again")
        if rec.id not in keys:
            keys[rec.id] = sealing.data_key(ring, rec)
        key = keys[rec.id]
        locator = sealing.seal_locator(key, rec.id, label)
        arrivals.append(_arrival_row(ring, p, rec.id, key, locator, now))
        outcomes.append(Outcome(label, rec.id, DUPLICATE, record_status=rec.status))
    tx.records.insert_arrivals(arrivals)
    tx.roster.insert_tags(tags)
    created = {r.id for r in new.values()}
    _index(tx, ring, [p for p in live if p.record is not None and p.record.id in created])
    return outcomes


def _index(tx: Tx, ring: Keyring, batch: list[Prepared]) -> None:
    """Index new records in the transaction that stores them, so the index is never stale."""
    entries = [
        index_entry(ring, p.record.id, p.index, p.record.sent_at)
        for p in batch
        if p.record is not None and p.index is not None
    ]
    if not entries:
        return
    state = tx.index.state()
    tx.index.add(entries, state.generation)
    key_id = state.key_id or entries[0].key_id
    matches = all(e.key_id == key_id and e.tokenizer == state.tokenizer for e in entries)
    complete = state.complete and matches and len(entries) == len(batch)
    if (complete, key_id) != (state.complete, state.key_id):
        tx.index.set_state(replace(state, key_id=key_id, complete=complete), datetime.now(UTC))


def store_batch(
    tx: Tx, ring: Keyring, batch: list[Prepared], source: str, roster: Roster | None = None
) -> list[Outcome]:
    """Write prepared messages in `tx`: new records, or more arrivals of existing ones.

    New records are tagged with the students of `roster`. One audit event names the records
    created, with their SHA-256 (so `audit verify` knows a record that `reconcile` brought back
    under a new id). Raises DatabaseError (retryable), and
    IntegrityError if an existing record's data key cannot be unwrapped.
    """
    for _attempt in range(5):
        outcomes = _write(tx, ring, batch, roster)
        if outcomes is not None:
            break
    else:
        raise DatabaseError("other writers kept archiving the same messages: try again")
    created = [o.record_id for o in outcomes if o.status in (ARCHIVED, QUARANTINED)]
    digests = {p.record.id: p.sha256.hex() for p in batch if p.record is not None}
    if created or any(o.status == DUPLICATE for o in outcomes):
        audit.append(
            tx,
            ring,
            "ingest",
            details={
                "source": source,
                "records": created,
                "sha256": [digests[rid] for rid in created if rid is not None],
                "quarantined": sum(o.status == QUARANTINED for o in outcomes),
                "duplicates": sum(o.status == DUPLICATE for o in outcomes),
            },
        )
    return outcomes
