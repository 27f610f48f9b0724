"""Reading and writing archive rows. Services get a `StoreTx` and never see SQLAlchemy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, Table, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from archiver.crypto.blind import unpack
from archiver.errors import DatabaseError, UsageError
from archiver.store import postings, schema, tables
from archiver.store.engine import describe, make_engine
from archiver.store.tables import (
    arrival,
    audit_event,
    audit_head,
    key_registry,
    mailbox_state,
    metadata,
    record,
    record_tag,
    roster_state,
    sealed_part,
    search_doc,
    search_state,
    search_term,
    source_lease,
    source_state,
    student,
    tag_override,
)

MIN_ID_PREFIX = 6


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RecordRow:
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

    @classmethod
    def from_row(cls, row: Row[Any]) -> RecordRow:
        m = row._mapping
        values = {f.name: m[f.name] for f in fields(cls)}
        values["archived_at"] = _utc(values["archived_at"])
        values["sent_at"] = _utc(values["sent_at"])
        values["facts"] = _bytes(values["facts"])
        return cls(**values)


@dataclass(frozen=True)
class ArrivalRow:
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
    """A record's tag with a student (row id), its source, and the tags authenticating it."""

    record_id: str
    student_id: int
    source: str
    tagged_at: datetime
    facts: bytes | None = None


@dataclass(frozen=True)
class SourceStateRow:
    source_name: str
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    waiting: int | None = None
    last_cycle: str | None = None


@dataclass(frozen=True)
class StudentRow:
    id: int  # 0 until stored
    lookup: bytes
    key_id: str
    sealed: bytes
    exit_date: date | None
    facts: bytes | None = None


def _student(r: Row[Any]) -> StudentRow:
    return StudentRow(
        r.id, bytes(r.lookup), r.key_id, bytes(r.sealed), r.exit_date, _bytes(r.facts)
    )


@dataclass(frozen=True)
class KeyRow:
    id: str
    kind: str
    created_at: datetime
    check_value: bytes
    state: str


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    actor: str
    action: str
    target: str | None
    details: str
    key_id: str
    prev_hash: bytes
    hash: bytes


@dataclass(frozen=True)
class SearchState:
    """What every index entry must have been made with; `complete` if they all were."""

    generation: int
    key_id: str | None
    tokenizer: int
    complete: bool


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


class StoreTx:
    """One database transaction's worth of operations."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.audit_appended: tuple[int, bytes] | None = None  # the head this transaction made

    # records -------------------------------------------------------------------------------
    def records_by_sha(self, digests: list[bytes]) -> dict[bytes, RecordRow]:
        """The archived records among `digests`, by hash."""
        if not digests:
            return {}
        rows = self._conn.execute(select(record).where(record.c.sha256.in_(digests))).all()
        return {bytes(r.sha256): RecordRow.from_row(r) for r in rows}

    def known_hashes(self, digests: list[bytes]) -> set[bytes]:
        """Which of `digests` are already archived (any number: asked 1,000 at a time)."""
        found: set[bytes] = set()
        for i in range(0, len(digests), 1000):
            chunk = digests[i : i + 1000]
            rows = self._conn.execute(select(record.c.sha256).where(record.c.sha256.in_(chunk)))
            found.update(bytes(r[0]) for r in rows)
        return found

    def _insert_new(self, table: Table) -> Any:
        """An INSERT that skips rows a unique key already holds (no savepoint: a savepoint's
        rollback after a failed write hid the real error, "no such savepoint")."""
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing()

    def insert_records(self, rows: list[RecordRow], parts: list[tuple[str, str, bytes]]) -> bool:
        """Insert records and their sealed parts; False (nothing written) if a hash exists."""
        if not rows:
            return True
        done = self._conn.execute(
            self._insert_new(record).returning(record.c.id), [r.__dict__ for r in rows]
        )
        inserted = {str(r[0]) for r in done}
        if len(inserted) < len(rows):  # another writer archived one of these hashes first
            if inserted:
                self._conn.execute(delete(record).where(record.c.id.in_(inserted)))
            return False
        self._conn.execute(
            insert(sealed_part),
            [{"record_id": rid, "part": name, "data": data} for rid, name, data in parts],
        )
        return True

    def insert_arrivals(self, rows: list[ArrivalRow]) -> None:
        """Record arrivals, skipping any already recorded: the same mailbox message (source,
        folder, UIDVALIDITY, UID) or the same place (`position`) of the same record."""
        if rows:
            self._conn.execute(self._insert_new(arrival), [r.__dict__ for r in rows])

    def get_record(self, id_or_prefix: str) -> RecordRow:
        """The record with this id or unique id prefix; raises UsageError."""
        key = id_or_prefix.strip().lower()
        if len(key) < MIN_ID_PREFIX or not all(c in "0123456789abcdef" for c in key):
            raise UsageError(
                f"record id {id_or_prefix!r}: give at least {MIN_ID_PREFIX} hex digits"
            )
        rows = self._conn.execute(
            select(record).where(record.c.id.startswith(key, autoescape=True)).limit(2)
        ).all()
        if not rows:
            raise UsageError(f"no record {id_or_prefix}")
        if len(rows) > 1:
            raise UsageError(f"record id prefix {id_or_prefix} is ambiguous: give more digits")
        return RecordRow.from_row(rows[0])

    def get_part(self, record_id: str, part: str) -> bytes | None:
        return self._conn.execute(
            select(sealed_part.c.data).where(
                sealed_part.c.record_id == record_id, sealed_part.c.part == part
            )
        ).scalar_one_or_none()

    def records_after(
        self,
        after_id: str,
        limit: int,
        not_kek: str | None = None,
        unauthenticated: bool = False,
    ) -> list[RecordRow]:
        """Records in id order after `after_id` (optionally only those not wrapped by `not_kek`,
        or only those whose facts are not authenticated yet)."""
        q = select(record).where(record.c.id > after_id)
        if not_kek is not None:
            q = q.where(record.c.kek_id != not_kek)
        if unauthenticated:
            q = q.where(record.c.facts.is_(None))
        rows = self._conn.execute(q.order_by(record.c.id).limit(limit)).all()
        return [RecordRow.from_row(r) for r in rows]

    def existing_ids(self, ids: list[str]) -> set[str]:
        """Which of `ids` are records (any number of them: asked 1,000 at a time)."""
        found: set[str] = set()
        for i in range(0, len(ids), 1000):
            chunk = ids[i : i + 1000]
            found.update(
                self._conn.execute(select(record.c.id).where(record.c.id.in_(chunk))).scalars()
            )
        return found

    def records_by_id(self, ids: list[str]) -> dict[str, RecordRow]:
        if not ids:
            return {}
        rows = self._conn.execute(select(record).where(record.c.id.in_(ids))).all()
        return {r.id: RecordRow.from_row(r) for r in rows}

    def parts(self, ids: list[str], part: str) -> dict[str, bytes]:
        """One sealed part of several records, by record id."""
        if not ids:
            return {}
        rows = self._conn.execute(
            select(sealed_part.c.record_id, sealed_part.c.data).where(
                sealed_part.c.record_id.in_(ids), sealed_part.c.part == part
            )
        ).all()
        return {r[0]: bytes(r[1]) for r in rows}

    def set_part(self, record_id: str, part: str, data: bytes) -> None:
        self._conn.execute(
            update(sealed_part)
            .where(sealed_part.c.record_id == record_id, sealed_part.c.part == part)
            .values(data=data)
        )

    def set_sent_at(self, row: RecordRow) -> None:
        """Store a record's new `sent_at` (and the facts that authenticate it)."""
        self._conn.execute(
            update(record).where(record.c.id == row.id).values(sent_at=row.sent_at, facts=row.facts)
        )

    def set_facts(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Set the `facts` of rows of `table` ("record", "arrival", "student", "record_tag",
        "tag_override"): each dict has the row's key columns and `facts` (arrivals may set
        `position` too, keyed by their `id`)."""
        keys = {
            "record": ("id",),
            "arrival": ("id",),
            "student": ("id",),
            "record_tag": ("record_id", "student_id"),
            "tag_override": ("record_id", "student_id"),
        }[table]
        t = metadata.tables[table]
        for values in rows:
            self._conn.execute(
                update(t)
                .where(*(t.c[k] == values[k] for k in keys))
                .values(**{k: v for k, v in values.items() if k not in keys})
            )

    def set_wrapped_key(self, record_id: str, kek_id: str, wrapped: bytes) -> None:
        self._conn.execute(
            update(record)
            .where(record.c.id == record_id)
            .values(kek_id=kek_id, wrapped_key=wrapped)
        )

    def count_records(self, kek_id: str | None = None) -> int:
        q = select(func.count()).select_from(record)
        if kek_id is not None:
            q = q.where(record.c.kek_id == kek_id)
        return int(self._conn.execute(q).scalar_one())

    def count_by_kek(self) -> dict[str, int]:
        rows = self._conn.execute(
            select(record.c.kek_id, func.count()).group_by(record.c.kek_id)
        ).all()
        return {r[0]: int(r[1]) for r in rows}

    def arrivals(self, record_id: str) -> list[ArrivalRow]:
        rows = self._conn.execute(
            select(arrival).where(arrival.c.record_id == record_id).order_by(arrival.c.id)
        ).all()
        out = []
        for r in rows:
            m = dict(r._mapping)
            del m["id"]
            m["arrived_at"] = _utc(m["arrived_at"])
            out.append(ArrivalRow(**m))
        return out

    def unauthenticated_arrivals(self, after: int, limit: int) -> list[tuple[int, ArrivalRow]]:
        """Arrivals (with their row ids, in id order after `after`) written before arrivals had
        a position and authenticated facts."""
        rows = self._conn.execute(
            select(arrival)
            .where(
                arrival.c.id > after, or_(arrival.c.position.is_(None), arrival.c.facts.is_(None))
            )
            .order_by(arrival.c.id)
            .limit(limit)
        ).all()
        out = []
        for r in rows:
            m = dict(r._mapping)
            row_id = int(m.pop("id"))
            m["arrived_at"] = _utc(m["arrived_at"])
            out.append((row_id, ArrivalRow(**m)))
        return out

    def positions_of(self, record_ids: list[str]) -> set[tuple[str, bytes]]:
        """The (record id, position) of every placed arrival of these records."""
        if not record_ids:
            return set()
        rows = self._conn.execute(
            select(arrival.c.record_id, arrival.c.position).where(
                arrival.c.record_id.in_(record_ids), arrival.c.position.is_not(None)
            )
        )
        return {(str(r[0]), bytes(r[1])) for r in rows}

    def delete_arrivals(self, ids: list[int]) -> None:
        if ids:
            self._conn.execute(delete(arrival).where(arrival.c.id.in_(ids)))

    def unauthenticated_tags(self, limit: int) -> list[TagRow]:
        """Tags, then removals (source "removed"), whose facts are not authenticated yet."""
        out = [
            TagRow(r.record_id, int(r.student_id), r.source, _aware(r.tagged_at))
            for r in self._conn.execute(
                select(record_tag).where(record_tag.c.facts.is_(None)).limit(limit)
            )
        ]
        if len(out) < limit:
            out += [
                TagRow(r.record_id, int(r.student_id), "removed", _aware(r.at))
                for r in self._conn.execute(
                    select(tag_override)
                    .where(tag_override.c.facts.is_(None))
                    .limit(limit - len(out))
                )
            ]
        return out

    def delete_record(self, record_id: str) -> None:
        """Delete a record with everything it has: index entries, parts, arrivals, tags."""
        self.unindex([record_id])
        self._conn.execute(delete(record).where(record.c.id == record_id))

    # search index --------------------------------------------------------------------------
    def search_state(self) -> SearchState:
        r = self._conn.execute(select(search_state).where(search_state.c.id == 1)).one()
        return SearchState(int(r.generation), r.key_id, int(r.tokenizer), bool(r.complete))

    def set_search_state(self, state: SearchState, now: datetime) -> None:
        self._conn.execute(
            update(search_state)
            .where(search_state.c.id == 1)
            .values(
                generation=state.generation,
                key_id=state.key_id,
                tokenizer=state.tokenizer,
                complete=state.complete,
                updated_at=now,
            )
        )

    def index(self, entries: list[IndexEntry], generation: int) -> None:
        """Add search documents and their postings (records not indexed before)."""
        if not entries:
            return
        self._conn.execute(
            insert(search_doc),
            [
                {
                    "record_id": e.record_id,
                    "key_id": e.key_id,
                    "tokenizer": e.tokenizer,
                    "generation": generation,
                    "attachments": e.attachments,
                    "sent": e.sent,
                    "digest": e.digest,
                }
                for e in entries
            ],
        )
        seqs = dict(
            self._conn.execute(
                select(search_doc.c.record_id, search_doc.c.seq).where(
                    search_doc.c.record_id.in_([e.record_id for e in entries])
                )
            ).all()
        )
        postings.add(self._conn, [(t, seqs[e.record_id]) for e in entries for t in unpack(e.terms)])
        postings.pack_full_blocks(self._conn, postings.PACK_PER_INGEST)

    def index_block(self, block: int) -> tuple[list[IndexedDoc], dict[int, set[int]]]:
        """A block's index entries, and the terms of every live document in its postings."""
        start = block * tables.POSTING_BLOCK
        rows = self._conn.execute(
            select(search_doc)
            .where(search_doc.c.seq >= start, search_doc.c.seq < start + tables.POSTING_BLOCK)
            .order_by(search_doc.c.seq)
        ).all()
        docs = [
            IndexedDoc(
                int(r.seq),
                r.record_id,
                r.key_id,
                int(r.tokenizer),
                int(r.attachments),
                None if r.sent is None else int(r.sent),
                _bytes(r.digest),
            )
            for r in rows
        ]
        return docs, postings.block_terms(self._conn, block)

    def index_blocks(self, missing_digest: bool = False) -> list[int]:
        """The blocks holding index entries or postings (only entries without a digest, if
        `missing_digest`), ascending."""
        if missing_digest:
            block = search_doc.c.seq // tables.POSTING_BLOCK
            q = select(func.distinct(block)).where(search_doc.c.digest.is_(None))
            return sorted(int(b) for b in self._conn.execute(q).scalars())
        last = max(postings.last_seq(self._conn), self._last_posting())
        return list(range(last // tables.POSTING_BLOCK + 1)) if last else []

    def _last_posting(self) -> int:
        return int(self._conn.execute(select(func.max(search_term.c.doc))).scalar() or 0)

    def sample_docs(self, n: int) -> dict[int, set[int]]:
        """Up to `n` random index entries: their document numbers, by block."""
        q = select(search_doc.c.seq).order_by(func.random()).limit(n)
        out: dict[int, set[int]] = {}
        for seq in self._conn.execute(q).scalars():
            out.setdefault(int(seq) // tables.POSTING_BLOCK, set()).add(int(seq))
        return out

    def set_digest(self, seq: int, digest: bytes) -> None:
        self._conn.execute(update(search_doc).where(search_doc.c.seq == seq).values(digest=digest))

    def remove_postings(self, seqs: list[int]) -> None:
        """Remove the postings of documents (that have no entry: `reindex --repair`)."""
        postings.remove(self._conn, seqs)

    def index_check(self) -> IndexCheck:
        r = self._conn.execute(select(search_state).where(search_state.c.id == 1)).one()
        return IndexCheck(
            r.verify_next_block,
            _utc(r.verify_started_at),
            int(r.verify_problems),
            _utc(r.verified_at),
            r.verified_scope,
            r.verified_problems,
        )

    def set_index_check(self, check: IndexCheck) -> None:
        self._conn.execute(
            update(search_state)
            .where(search_state.c.id == 1)
            .values(
                verify_next_block=check.next_block,
                verify_started_at=check.started_at,
                verify_problems=check.problems,
                verified_at=check.verified_at,
                verified_scope=check.scope,
                verified_problems=check.verified_problems,
            )
        )

    def pack_postings(self, limit: int) -> int:
        """Pack up to `limit` full blocks' common terms; how many were packed (`reindex`
        catches up after an upgrade)."""
        return postings.pack_full_blocks(self._conn, limit)

    def unindex(self, record_ids: list[str]) -> None:
        """Remove records' search documents and postings."""
        if not record_ids:
            return
        seqs = self._conn.execute(
            select(search_doc.c.seq).where(search_doc.c.record_id.in_(record_ids))
        ).scalars()
        postings.remove(self._conn, [int(s) for s in seqs])
        self._conn.execute(delete(search_doc).where(search_doc.c.record_id.in_(record_ids)))

    def _stale(self, state: SearchState, generation: bool = True) -> Any:
        stale = [
            search_doc.c.seq.is_(None),
            search_doc.c.key_id != state.key_id,
            search_doc.c.tokenizer != state.tokenizer,
        ]
        if generation:
            stale.append(search_doc.c.generation != state.generation)
        return or_(*stale)

    def unindexed_after(self, after_id: str, limit: int, state: SearchState) -> list[RecordRow]:
        """Records in id order after `after_id` without an index entry made as `state` says
        (its key, tokenizer and generation)."""
        rows = self._conn.execute(
            select(record)
            .select_from(record.outerjoin(search_doc, search_doc.c.record_id == record.c.id))
            .where(record.c.id > after_id, self._stale(state))
            .order_by(record.c.id)
            .limit(limit)
        ).all()
        return [RecordRow.from_row(r) for r in rows]

    def count_unindexed(self, state: SearchState, generation: bool = True) -> int:
        """Records without an index entry made as `state` says (ignoring its generation if
        not `generation`: an entry of an older generation still answers searches)."""
        return int(
            self._conn.execute(
                select(func.count())
                .select_from(record.outerjoin(search_doc, search_doc.c.record_id == record.c.id))
                .where(self._stale(state, generation))
            ).scalar_one()
        )

    # collection ----------------------------------------------------------------------------
    def claim_lease(self, source: str, owner: str, now: datetime, until: datetime) -> bool:
        """Take or renew the lease on `source` for `owner`; False if someone else holds it."""
        taken = self._conn.execute(
            update(source_lease)
            .where(
                source_lease.c.source_name == source,
                or_(source_lease.c.expires_at < now, source_lease.c.owner == owner),
            )
            .values(owner=owner, expires_at=until, token=source_lease.c.token + 1)
        )
        if taken.rowcount == 1:
            return True
        made = self._conn.execute(
            self._insert_new(source_lease)
            .values(source_name=source, owner=owner, expires_at=until, token=1)
            .returning(source_lease.c.source_name)
        )
        return made.first() is not None  # None: the row is someone else's, unexpired

    def take_over_lease(self, source: str, old_owner: str, owner: str, until: datetime) -> bool:
        """Take the lease from `old_owner` (known to be gone); False if it changed meanwhile."""
        taken = self._conn.execute(
            update(source_lease)
            .where(source_lease.c.source_name == source, source_lease.c.owner == old_owner)
            .values(owner=owner, expires_at=until, token=source_lease.c.token + 1)
        )
        return taken.rowcount == 1

    def release_lease(self, source: str, owner: str, now: datetime) -> None:
        self._conn.execute(
            update(source_lease)
            .where(source_lease.c.source_name == source, source_lease.c.owner == owner)
            .values(expires_at=now)
        )

    def lease(self, source: str) -> tuple[str, datetime] | None:
        """Who holds the lease on `source`, and until when."""
        row = self._conn.execute(
            select(source_lease.c.owner, source_lease.c.expires_at).where(
                source_lease.c.source_name == source
            )
        ).first()
        return (row.owner, _utc(row.expires_at) or row.expires_at) if row else None

    def uidvalidity(self, source: str, folder: str) -> int | None:
        return self._conn.execute(
            select(mailbox_state.c.uidvalidity).where(
                mailbox_state.c.source_name == source, mailbox_state.c.folder == folder
            )
        ).scalar_one_or_none()

    def set_uidvalidity(self, source: str, folder: str, value: int, now: datetime) -> None:
        done = self._conn.execute(
            update(mailbox_state)
            .where(mailbox_state.c.source_name == source, mailbox_state.c.folder == folder)
            .values(uidvalidity=value, updated_at=now)
        )
        if done.rowcount == 0:
            self._conn.execute(
                insert(mailbox_state).values(
                    source_name=source, folder=folder, uidvalidity=value, updated_at=now
                )
            )

    def save_source_state(self, row: SourceStateRow) -> None:
        """Record how a source's latest cycle went (fields left None keep their value)."""
        values = {k: v for k, v in row.__dict__.items() if v is not None}
        done = self._conn.execute(
            update(source_state)
            .where(source_state.c.source_name == row.source_name)
            .values(**values)
        )
        if done.rowcount == 0:
            self._conn.execute(insert(source_state).values(**values))

    def source_states(self) -> dict[str, SourceStateRow]:
        out = {}
        for r in self._conn.execute(select(source_state)).all():
            m = dict(r._mapping)
            for k in ("last_attempt_at", "last_success_at", "last_error_at"):
                m[k] = _utc(m[k])
            out[m["source_name"]] = SourceStateRow(**m)
        return out

    def archived_since(self, source: str, since: datetime) -> int:
        """Records created at or after `since` that arrived from `source`."""
        q = (
            select(func.count(func.distinct(record.c.id)))
            .select_from(record.join(arrival, arrival.c.record_id == record.c.id))
            .where(arrival.c.source_name == source, record.c.archived_at >= since)
        )
        return int(self._conn.execute(q).scalar_one())

    # students and tags ---------------------------------------------------------------------
    def roster_version(self) -> int:
        version = self._conn.execute(
            select(roster_state.c.version).where(roster_state.c.id == 1)
        ).scalar_one_or_none()
        return int(version or 0)

    def bump_roster_version(self, now: datetime) -> int:
        version = self.roster_version() + 1
        if version == 1:
            self._conn.execute(insert(roster_state).values(id=1, version=1, updated_at=now))
        else:
            self._conn.execute(
                update(roster_state)
                .where(roster_state.c.id == 1)
                .values(version=version, updated_at=now)
            )
        return version

    def students(self) -> list[StudentRow]:
        rows = self._conn.execute(select(student).order_by(student.c.id)).all()
        return [_student(r) for r in rows]

    def student_by_lookup(self, lookup: bytes) -> StudentRow | None:
        r = self._conn.execute(select(student).where(student.c.lookup == lookup)).first()
        return _student(r) if r else None

    def add_student(self, row: StudentRow, now: datetime) -> int:
        """Insert a student; its row id (its facts are set afterwards: they name the id)."""
        result = self._conn.execute(
            insert(student).values(
                lookup=row.lookup,
                key_id=row.key_id,
                sealed=row.sealed,
                exit_date=row.exit_date,
                updated_at=now,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def update_student(self, row: StudentRow, now: datetime) -> None:
        self._conn.execute(
            update(student)
            .where(student.c.id == row.id)
            .values(
                lookup=row.lookup,
                key_id=row.key_id,
                sealed=row.sealed,
                exit_date=row.exit_date,
                facts=row.facts,
                updated_at=now,
            )
        )

    def set_student_facts(self, student_id: int, facts: bytes) -> None:
        self._conn.execute(update(student).where(student.c.id == student_id).values(facts=facts))

    def tag_rows(self, record_ids: list[str]) -> list[TagRow]:
        """Every tag of these records, with its authenticating facts."""
        if not record_ids:
            return []
        rows = self._conn.execute(
            select(record_tag).where(record_tag.c.record_id.in_(record_ids))
        ).all()
        return [
            TagRow(r.record_id, int(r.student_id), r.source, _aware(r.tagged_at), _bytes(r.facts))
            for r in rows
        ]

    def overrides(self, record_ids: list[str]) -> list[TagRow]:
        """Tags removed by hand (source "removed"; `tagged_at` is when)."""
        if not record_ids:
            return []
        rows = self._conn.execute(
            select(tag_override).where(tag_override.c.record_id.in_(record_ids))
        ).all()
        return [
            TagRow(r.record_id, int(r.student_id), "removed", _aware(r.at), _bytes(r.facts))
            for r in rows
        ]

    def tags(self, record_id: str) -> dict[int, str]:
        """Student row id -> tag source, for one record."""
        rows = self._conn.execute(
            select(record_tag.c.student_id, record_tag.c.source).where(
                record_tag.c.record_id == record_id
            )
        ).all()
        return {int(r[0]): str(r[1]) for r in rows}

    def students_by_id(self, ids: list[int]) -> list[StudentRow]:
        if not ids:
            return []
        rows = self._conn.execute(select(student).where(student.c.id.in_(ids))).all()
        return [_student(r) for r in rows]

    def insert_tags(self, tags: list[TagRow]) -> None:
        """Tag new records."""
        if tags:
            self._conn.execute(insert(record_tag), [t.__dict__ for t in tags])

    def set_automatic_tags(
        self,
        record_id: str,
        tags: dict[int, str],
        now: datetime,
        seal: Callable[[TagRow], TagRow],
    ) -> None:
        """Replace a record's automatic tags (each authenticated by `seal`); manual tags and
        manual removals are kept."""
        manual = {
            int(r[0])
            for r in self._conn.execute(
                select(record_tag.c.student_id).where(
                    record_tag.c.record_id == record_id, record_tag.c.source == "manual"
                )
            )
        }
        removed = {
            int(r[0])
            for r in self._conn.execute(
                select(tag_override.c.student_id).where(tag_override.c.record_id == record_id)
            )
        }
        self._conn.execute(
            record_tag.delete().where(
                record_tag.c.record_id == record_id, record_tag.c.source != "manual"
            )
        )
        rows = [
            seal(TagRow(record_id, sid, source, now)).__dict__
            for sid, source in tags.items()
            if sid not in manual and sid not in removed
        ]
        if rows:
            self._conn.execute(insert(record_tag), rows)

    def add_manual_tag(self, tag: TagRow) -> None:
        """Tag by hand (source "manual"), replacing any tag or removal of that student."""
        self._conn.execute(
            tag_override.delete().where(
                tag_override.c.record_id == tag.record_id,
                tag_override.c.student_id == tag.student_id,
            )
        )
        self._conn.execute(
            record_tag.delete().where(
                record_tag.c.record_id == tag.record_id, record_tag.c.student_id == tag.student_id
            )
        )
        self._conn.execute(insert(record_tag).values(**tag.__dict__))

    def remove_tag(self, removal: TagRow) -> bool:
        """Remove a tag and keep automatic tagging from restoring it (`removal`: the override
        row, `tagged_at` its time); False if there was no tag."""
        record_id, student_id = removal.record_id, removal.student_id
        gone = self._conn.execute(
            record_tag.delete().where(
                record_tag.c.record_id == record_id, record_tag.c.student_id == student_id
            )
        )
        exists = self._conn.execute(
            select(tag_override.c.at).where(
                tag_override.c.record_id == record_id, tag_override.c.student_id == student_id
            )
        ).first()
        if exists is None:
            self._conn.execute(
                insert(tag_override).values(
                    record_id=record_id,
                    student_id=student_id,
                    at=removal.tagged_at,
                    facts=removal.facts,
                )
            )
        return gone.rowcount > 0

    # keys ----------------------------------------------------------------------------------
    def registered_keys(self) -> list[KeyRow]:
        rows = self._conn.execute(select(key_registry).order_by(key_registry.c.created_at)).all()
        return [
            KeyRow(
                id=r.id,
                kind=r.kind,
                created_at=_utc(r.created_at) or r.created_at,
                check_value=r.check_value,
                state=r.state,
            )
            for r in rows
        ]

    def add_key(self, row: KeyRow) -> None:
        self._conn.execute(insert(key_registry).values(**row.__dict__))

    def set_key_state(self, key_id: str, state: str) -> None:
        self._conn.execute(
            update(key_registry).where(key_registry.c.id == key_id).values(state=state)
        )

    # audit ---------------------------------------------------------------------------------
    def lock_audit_head(self) -> tuple[int, bytes] | None:
        """The chain head (seq, hash), locked until commit so appends are serialised."""
        row = self._conn.execute(
            select(audit_head.c.seq, audit_head.c.hash)
            .where(audit_head.c.id == 1)
            .with_for_update()
        ).first()
        return (int(row.seq), bytes(row.hash)) if row else None

    def append_audit(self, row: AuditRow, first: bool) -> None:
        self.audit_appended = (row.seq, row.hash)
        self._conn.execute(insert(audit_event).values(**row.__dict__))
        if first:
            self._conn.execute(insert(audit_head).values(id=1, seq=row.seq, hash=row.hash))
        else:
            self._conn.execute(
                update(audit_head).where(audit_head.c.id == 1).values(seq=row.seq, hash=row.hash)
            )

    def audit_head(self) -> tuple[int, bytes] | None:
        row = self._conn.execute(
            select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
        ).first()
        return (int(row.seq), bytes(row.hash)) if row else None

    def audit_events(self, after_seq: int, limit: int) -> list[AuditRow]:
        rows = self._conn.execute(
            select(audit_event)
            .where(audit_event.c.seq > after_seq)
            .order_by(audit_event.c.seq)
            .limit(limit)
        ).all()
        out = []
        for r in rows:
            m = dict(r._mapping)
            m["at"] = _utc(m["at"])
            out.append(AuditRow(**m))
        return out


class Store:
    """The archive database: opens transactions, checks the schema."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Told the audit head (sequence, hash) after each commit that appended events.
        self.on_audit: Callable[[int, bytes], None] | None = None

    @classmethod
    def open(cls, url: str, check_schema: bool = True, lock_timeout: int = 30) -> Store:
        """Connect to `url`; raises SchemaError if the schema is not current, DatabaseError."""
        store = cls(make_engine(url, lock_timeout))
        if check_schema:
            schema.require_current(store.engine)
        return store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[StoreTx]:
        """A transaction, committed when the block ends without an exception."""
        try:
            with self.engine.begin() as conn:
                tx = StoreTx(conn)
                yield tx
        except SQLAlchemyError as exc:
            raise DatabaseError(describe(exc, self.engine)) from None
        if tx.audit_appended is not None and self.on_audit is not None:
            self.on_audit(*tx.audit_appended)

    def close(self) -> None:
        self.engine.dispose()
