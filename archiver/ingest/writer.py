"""The writing half of ingest, in the one writing process: dedup by SHA-256, then records,
sealed parts, arrivals, tags, index entries and one audit event, in the caller's transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from archiver.archive import audit, facts
from archiver.archive.roster import Roster
from archiver.crypto import sealing
from archiver.crypto.keyring import Keyring
from archiver.domain import DESTROYED, ArrivalRow, NewRecord, RecordRow, TagRow
from archiver.errors import DatabaseError
from archiver.ingest.prepare import ARCHIVED, DUPLICATE, FAILED, QUARANTINED, Outcome, Prepared
from archiver.store.db import Tx
from archiver.understand.parse import tag_input


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


# Records management's part of ingest (classification, holds), given by the composition root.
Intake = Callable[[Tx, list[NewRecord]], None]


def _write(
    tx: Tx, ring: Keyring, batch: list[Prepared], roster: Roster | None, intake: Intake | None
) -> list[Outcome] | None:
    """One attempt at writing `batch`; None if another writer archived one of its hashes first."""
    live = [p for p in batch if p.error is None]
    existing = tx.records.by_sha(list({p.sha256 for p in live}))
    new: dict[bytes, RecordRow] = {}
    parts: list[tuple[str, str, bytes]] = []
    now = tx.now
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
        if rec.status == DESTROYED:  # a copy of a destroyed record: it is not archived again
            outcomes.append(Outcome(label, rec.id, DUPLICATE, record_status=rec.status))
            continue
        if rec.id not in keys:
            keys[rec.id] = sealing.data_key(ring, rec)
        key = keys[rec.id]
        locator = sealing.seal_locator(key, rec.id, label)
        arrivals.append(_arrival_row(ring, p, rec.id, key, locator, now))
        outcomes.append(Outcome(label, rec.id, DUPLICATE, record_status=rec.status))
    tx.records.insert_arrivals(arrivals)
    tx.roster.insert_tags(tags)
    created = {r.id for r in new.values()}
    prepared = [p for p in live if p.record is not None and p.record.id in created]
    terms = _index(tx, prepared)
    if intake is not None and new:
        by_record: dict[str, dict[int, str]] = {}
        for t in tags:
            by_record.setdefault(t.record_id, {})[t.student_id] = t.source
        sources = {p.record.id: p.arrival.source_name for p in prepared if p.record is not None}
        intake(
            tx,
            [
                NewRecord(r, sources[r.id], terms.get(r.id, frozenset()), by_record.get(r.id, {}))
                for r in new.values()
            ],
        )
    return outcomes


def _index(tx: Tx, batch: list[Prepared]) -> dict[str, frozenset[int]]:
    """Index new records in the transaction that stores them, so the index is never stale;
    each one's terms."""
    entries = [p.index for p in batch if p.record is not None and p.index is not None]
    if not entries:
        return {}
    state = tx.index.state()
    terms = tx.index.add(entries, state.generation)
    key_id = state.key_id or entries[0].key_id
    matches = all(e.key_id == key_id and e.tokenizer == state.tokenizer for e in entries)
    complete = state.complete and matches and len(entries) == len(batch)
    if (complete, key_id) != (state.complete, state.key_id):
        tx.index.set_state(replace(state, key_id=key_id, complete=complete), tx.now)
    return {record_id: frozenset(found) for record_id, found in terms.items()}


def store_batch(
    tx: Tx,
    ring: Keyring,
    batch: list[Prepared],
    source: str,
    roster: Roster | None = None,
    intake: Intake | None = None,
) -> list[Outcome]:
    """Write prepared messages in `tx`: new records, or more arrivals of existing ones.

    New records are tagged with the students of `roster`, then given to `intake` (records
    management: classification and holds). One audit event names the records
    created, with their SHA-256 (so `audit verify` knows a record that `reconcile` brought back
    under a new id). Raises DatabaseError (retryable), and
    IntegrityError if an existing record's data key cannot be unwrapped.
    """
    for _attempt in range(5):
        outcomes = _write(tx, ring, batch, roster, intake)
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
