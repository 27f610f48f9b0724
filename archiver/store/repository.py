"""Reading and writing archive rows. Services get a `StoreTx` and never see SQLAlchemy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from archiver.crypto.blind import unpack
from archiver.errors import DatabaseError, UsageError
from archiver.store import postings, schema
from archiver.store.engine import make_engine
from archiver.store.tables import (
    arrival,
    audit_event,
    audit_head,
    key_registry,
    mailbox_state,
    record,
    record_tag,
    roster_state,
    sealed_part,
    search_doc,
    search_state,
    source_lease,
    source_state,
    student,
    tag_override,
)

MIN_ID_PREFIX = 6


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

    @classmethod
    def from_row(cls, row: Row[Any]) -> RecordRow:
        m = row._mapping
        values = {f.name: m[f.name] for f in fields(cls)}
        values["archived_at"] = _utc(values["archived_at"])
        values["sent_at"] = _utc(values["sent_at"])
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


def _student(r: Row[Any]) -> StudentRow:
    return StudentRow(r.id, bytes(r.lookup), r.key_id, bytes(r.sealed), r.exit_date)


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


class StoreTx:
    """One database transaction's worth of operations."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # records -------------------------------------------------------------------------------
    def records_by_sha(self, digests: list[bytes]) -> dict[bytes, RecordRow]:
        """The archived records among `digests`, by hash."""
        if not digests:
            return {}
        rows = self._conn.execute(select(record).where(record.c.sha256.in_(digests))).all()
        return {bytes(r.sha256): RecordRow.from_row(r) for r in rows}

    def known_hashes(self, digests: list[bytes]) -> set[bytes]:
        """Which of `digests` are already archived."""
        if not digests:
            return set()
        rows = self._conn.execute(select(record.c.sha256).where(record.c.sha256.in_(digests)))
        return {bytes(r[0]) for r in rows}

    def insert_records(self, rows: list[RecordRow], parts: list[tuple[str, str, bytes]]) -> bool:
        """Insert records and their sealed parts; False (nothing written) if a hash exists."""
        if not rows:
            return True
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(record), [r.__dict__ for r in rows])
                self._conn.execute(
                    insert(sealed_part),
                    [{"record_id": rid, "part": name, "data": data} for rid, name, data in parts],
                )
        except SAIntegrityError:
            if not self.known_hashes([r.sha256 for r in rows]):
                raise  # not a race with another writer: a real constraint violation
            return False
        return True

    def insert_arrivals(self, rows: list[ArrivalRow]) -> None:
        """Record arrivals, skipping any mailbox message (source, folder, UID) already recorded."""
        if not rows:
            return
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(arrival), [r.__dict__ for r in rows])
        except SAIntegrityError:
            for row in rows:
                try:
                    with self._conn.begin_nested():
                        self._conn.execute(insert(arrival).values(**row.__dict__))
                except SAIntegrityError:
                    pass

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
        self, after_id: str, limit: int, not_kek: str | None = None
    ) -> list[RecordRow]:
        """Records in id order after `after_id` (optionally only those not wrapped by `not_kek`)."""
        q = select(record).where(record.c.id > after_id)
        if not_kek is not None:
            q = q.where(record.c.kek_id != not_kek)
        rows = self._conn.execute(q.order_by(record.c.id).limit(limit)).all()
        return [RecordRow.from_row(r) for r in rows]

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

    def set_sent_at(self, record_id: str, sent_at: datetime | None) -> None:
        self._conn.execute(update(record).where(record.c.id == record_id).values(sent_at=sent_at))

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
                    "sent": int(e.sent_at.timestamp()) if e.sent_at else None,
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
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    insert(source_lease).values(
                        source_name=source, owner=owner, expires_at=until, token=1
                    )
                )
        except SAIntegrityError:
            return False  # the row exists and is someone else's, unexpired
        return True

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
                updated_at=now,
            )
        )

    def tags(self, record_id: str) -> dict[int, str]:
        """Student row id -> tag source, for one record."""
        rows = self._conn.execute(
            select(record_tag.c.student_id, record_tag.c.source).where(
                record_tag.c.record_id == record_id
            )
        ).all()
        return {int(r[0]): str(r[1]) for r in rows}

    def tags_of(self, record_ids: list[str]) -> dict[str, dict[int, str]]:
        """Student row id -> tag source, for several records."""
        out: dict[str, dict[int, str]] = {}
        if record_ids:
            for r in self._conn.execute(
                select(record_tag.c.record_id, record_tag.c.student_id, record_tag.c.source).where(
                    record_tag.c.record_id.in_(record_ids)
                )
            ):
                out.setdefault(str(r[0]), {})[int(r[1])] = str(r[2])
        return out

    def students_by_id(self, ids: list[int]) -> list[StudentRow]:
        if not ids:
            return []
        rows = self._conn.execute(select(student).where(student.c.id.in_(ids))).all()
        return [_student(r) for r in rows]

    def insert_tags(self, tags: list[tuple[str, int, str]], now: datetime) -> None:
        """Tag new records: (record id, student row id, source) each."""
        if tags:
            self._conn.execute(
                insert(record_tag),
                [
                    {"record_id": r, "student_id": s, "source": src, "tagged_at": now}
                    for r, s, src in tags
                ],
            )

    def set_automatic_tags(self, record_id: str, tags: dict[int, str], now: datetime) -> None:
        """Replace a record's automatic tags; manual tags and manual removals are kept."""
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
            {"record_id": record_id, "student_id": sid, "source": source, "tagged_at": now}
            for sid, source in tags.items()
            if sid not in manual and sid not in removed
        ]
        if rows:
            self._conn.execute(insert(record_tag), rows)

    def add_manual_tag(self, record_id: str, student_id: int, now: datetime) -> None:
        self._conn.execute(
            tag_override.delete().where(
                tag_override.c.record_id == record_id, tag_override.c.student_id == student_id
            )
        )
        self._conn.execute(
            record_tag.delete().where(
                record_tag.c.record_id == record_id, record_tag.c.student_id == student_id
            )
        )
        self._conn.execute(
            insert(record_tag).values(
                record_id=record_id, student_id=student_id, source="manual", tagged_at=now
            )
        )

    def remove_tag(self, record_id: str, student_id: int, now: datetime) -> bool:
        """Remove a tag and keep automatic tagging from restoring it; False if there was none."""
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
                insert(tag_override).values(record_id=record_id, student_id=student_id, at=now)
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
                yield StoreTx(conn)
        except OperationalError as exc:
            raise DatabaseError(f"database unavailable: {exc.orig}") from None
        except SQLAlchemyError as exc:
            raise DatabaseError(f"database error: {exc.__class__.__name__}: {exc}") from None

    def close(self) -> None:
        self.engine.dispose()
