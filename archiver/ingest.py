"""Ingest: raw bytes -> SHA-256 -> parse -> seal -> dedup -> store, for every source.

It has two halves so the CPU work can run in other processes: `prepare` (hash, parse, seal;
no database) and `store` (dedup and write, inside the caller's transaction). `ingest` runs
both in one transaction for sources that take one message at a time.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from archiver import sealing
from archiver.errors import DatabaseError
from archiver.keys import Keyring
from archiver.records import audit
from archiver.sources.arrival import Arrival
from archiver.store.repository import ArrivalRow, RecordRow, Store, StoreTx
from archiver.understand.parse import parse

ARCHIVED = "archived"
DUPLICATE = "duplicate"
QUARANTINED = "quarantined"
FAILED = "failed"
ACTIVE = "active"


@dataclass(frozen=True)
class IngestPolicy:
    """What ingest needs from the settings, in a form worker processes can receive."""

    kek_id: str
    kek: bytes
    compression_level: int = 3
    max_message_bytes: int = 150 * 1024 * 1024


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


@dataclass(frozen=True)
class Outcome:
    """What happened to one message (the item of `import --json`)."""

    label: str
    record_id: str | None
    status: str  # archived | duplicate | quarantined | failed
    error: str | None = None


def digest(raw: bytes) -> bytes:
    """The SHA-256 that identifies a message's bytes."""
    return hashlib.sha256(raw).digest()


def failed(arrival: Arrival, error: str) -> Prepared:
    """A message that could not be read at all."""
    return Prepared(arrival, b"", 0, None, {}, b"", b"", error)


def already_archived(raw: bytes, arrival: Arrival, sha256: bytes) -> Prepared:
    """A message whose hash is already archived: nothing to parse or seal, just an arrival."""
    return Prepared(arrival, sha256, len(raw), None, {}, b"", b"")


def prepare(raw: bytes, arrival: Arrival, policy: IngestPolicy, sha256: bytes = b"") -> Prepared:
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
    sealed = sealing.seal_record(
        raw, parsed.metadata(), policy.kek_id, policy.kek, policy.compression_level
    )
    row = RecordRow(
        id=sealed.record_id,
        sha256=sha256,
        size=size,
        archived_at=datetime.now(UTC),
        source_kind=arrival.source_kind,
        status=QUARANTINED if parsed.quarantine else ACTIVE,
        quarantine_code=parsed.quarantine,
        sent_at=parsed.date,
        kek_id=sealed.kek_id,
        wrapped_key=sealed.wrapped_key,
        seal_version=sealing.SEAL_VERSION,
        stored_size=sum(len(p) for p in sealed.parts.values()),
    )
    locator = sealing.seal_locator(sealed.data_key, sealed.record_id, arrival.label)
    return Prepared(arrival, sha256, size, row, sealed.parts, sealed.data_key, locator)


def _arrival_row(prep: Prepared, record_id: str, locator: bytes) -> ArrivalRow:
    a = prep.arrival
    return ArrivalRow(
        record_id=record_id,
        arrived_at=datetime.now(UTC),
        source_kind=a.source_kind,
        source_name=a.source_name,
        mailbox=a.mailbox,
        uidvalidity=a.uidvalidity,
        uid=a.uid,
        locator=locator,
    )


def store(tx: StoreTx, ring: Keyring, prep: Prepared) -> Outcome:
    """Write a prepared message in `tx`: a new record, or one more arrival of an existing one.

    Raises DatabaseError (retryable) and IntegrityError if an existing record's key is bad.
    """
    label = prep.arrival.label
    if prep.error is not None:
        return Outcome(label, None, FAILED, prep.error)
    rec = prep.record
    if rec is not None:
        rec = dataclasses.replace(rec, archived_at=datetime.now(UTC))
    if rec is not None and tx.insert_record(rec, prep.parts):
        tx.insert_arrival(_arrival_row(prep, rec.id, prep.locator))
        return Outcome(label, rec.id, QUARANTINED if rec.quarantine_code else ARCHIVED)
    existing = tx.record_by_sha(prep.sha256)
    if existing is None:  # it was known when checked, and is gone now: archive it anew
        raise DatabaseError("record vanished while importing: run the import again")
    key = sealing.data_key(ring, existing)
    locator = sealing.seal_locator(key, existing.id, label)
    tx.insert_arrival(_arrival_row(prep, existing.id, locator))
    return Outcome(label, existing.id, DUPLICATE)


def store_batch(tx: StoreTx, ring: Keyring, batch: list[Prepared], source: str) -> list[Outcome]:
    """Write prepared messages in `tx`, with one audit event naming the records created."""
    outcomes = [store(tx, ring, prep) for prep in batch]
    created = [o.record_id for o in outcomes if o.status in (ARCHIVED, QUARANTINED)]
    if created or any(o.status == DUPLICATE for o in outcomes):
        audit.append(
            tx,
            ring,
            "ingest",
            details={
                "source": source,
                "records": created,
                "quarantined": sum(o.status == QUARANTINED for o in outcomes),
                "duplicates": sum(o.status == DUPLICATE for o in outcomes),
            },
        )
    return outcomes


def ingest(db: Store, ring: Keyring, raw: bytes, arrival: Arrival, policy: IngestPolicy) -> Outcome:
    """Archive one message in one transaction; committed when this returns."""
    prep = prepare(raw, arrival, policy)
    with db.transaction() as tx:
        return store_batch(tx, ring, [prep], arrival.source_name)[0]
