"""Records, their sealed parts and their arrivals."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, update

from archiver.domain import DESTROYED, ArrivalRow, RecordRow
from archiver.errors import DestroyedError, UsageError
from archiver.store.rows import chunks, insert_new, record_row, utc
from archiver.store.tables import arrival, record, sealed_part

MIN_ID_PREFIX = 6
# Records a disposition destroyed keep their row (id, hash, dates) and nothing readable: the
# scans of every record (verify, rotation, reindex, apply) pass them by.
LIVE = record.c.status != DESTROYED
# What a search page reads, built once (every search runs them).
_BY_ID = select(record).where(record.c.id.in_(bindparam("ids", expanding=True)))
_PARTS = select(sealed_part.c.record_id, sealed_part.c.data).where(
    sealed_part.c.record_id.in_(bindparam("ids", expanding=True)),
    sealed_part.c.part == bindparam("part"),
)


class RecordRepo:
    """Records, their sealed parts and their arrivals."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def by_sha(self, digests: list[bytes]) -> dict[bytes, RecordRow]:
        """The archived records among `digests`, by hash."""
        if not digests:
            return {}
        rows = self._conn.execute(select(record).where(record.c.sha256.in_(digests))).all()
        return {bytes(r.sha256): record_row(r) for r in rows}

    def known_hashes(self, digests: list[bytes]) -> set[bytes]:
        """Which of `digests` are already archived (any number: asked 1,000 at a time)."""
        found: set[bytes] = set()
        for chunk in chunks(digests, 1000):
            rows = self._conn.execute(select(record.c.sha256).where(record.c.sha256.in_(chunk)))
            found.update(bytes(r[0]) for r in rows)
        return found

    def destroyed_hashes(self, digests: list[bytes]) -> set[bytes]:
        """Which of `digests` are records a disposition destroyed."""
        found: set[bytes] = set()
        for chunk in chunks(digests, 1000):
            rows = self._conn.execute(
                select(record.c.sha256).where(
                    record.c.sha256.in_(chunk), record.c.status == DESTROYED
                )
            )
            found.update(bytes(r[0]) for r in rows)
        return found

    def insert(self, rows: list[RecordRow], parts: list[tuple[str, str, bytes]]) -> bool:
        """Insert records and their sealed parts; False (nothing written) if a hash exists."""
        if not rows:
            return True
        done = self._conn.execute(
            insert_new(self._conn, record).returning(record.c.id), [r.__dict__ for r in rows]
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
            self._conn.execute(insert_new(self._conn, arrival), [r.__dict__ for r in rows])

    def get(self, id_or_prefix: str, destroyed: bool = False) -> RecordRow:
        """The record with this id or unique id prefix; raises UsageError (also for a
        destroyed record, unless `destroyed`: only its tombstone is left)."""
        key = id_or_prefix.strip().lower()
        if not all(c in "0123456789abcdef" for c in key):
            raise UsageError(
                f"record id {id_or_prefix!r}: not a record id (ids are hex digits, 0-9 and a-f)"
            )
        if len(key) < MIN_ID_PREFIX:
            raise UsageError(
                f"record id {id_or_prefix!r}: give at least {MIN_ID_PREFIX} hex digits"
            )
        # A range on the primary key, not LIKE 'key%': SQLite scans the whole table for a
        # LIKE (it is case-insensitive there), which costs tens of ms a look-up at 100,000
        # records. Ids are lower-case hex, and "g" sorts after every hex digit.
        rows = self._conn.execute(
            select(record).where(record.c.id >= key, record.c.id < key + "g").limit(2)
        ).all()
        if not rows:
            raise UsageError(f"no record {id_or_prefix}")
        if len(rows) > 1:
            raise UsageError(f"record id prefix {id_or_prefix} is ambiguous: give more digits")
        found = record_row(rows[0])
        if found.status == DESTROYED and not destroyed:
            raise DestroyedError(
                found.id,
                f"record {found.id} was destroyed by a disposition batch: only its tombstone "
                f"is left (`archiver show {found.id}`)",
            )
        return found

    def part(self, record_id: str, part: str) -> bytes | None:
        return self._conn.execute(
            select(sealed_part.c.data).where(
                sealed_part.c.record_id == record_id, sealed_part.c.part == part
            )
        ).scalar_one_or_none()

    def after(
        self,
        after_id: str,
        limit: int,
        wrapped_by: Collection[str] | None = None,
        unauthenticated: bool = False,
    ) -> list[RecordRow]:
        """Records not destroyed, in id order after `after_id` (optionally only those wrapped
        by one of the keys `wrapped_by`, or only those whose facts are not authenticated yet)."""
        q = select(record).where(record.c.id > after_id, LIVE)
        if wrapped_by is not None:
            q = q.where(record.c.kek_id.in_(list(wrapped_by)))
        if unauthenticated:
            q = q.where(record.c.facts.is_(None))
        rows = self._conn.execute(q.order_by(record.c.id).limit(limit)).all()
        return [record_row(r) for r in rows]

    def existing_ids(self, ids: list[str]) -> set[str]:
        """Which of `ids` are records (any number of them: asked 1,000 at a time)."""
        found: set[str] = set()
        for chunk in chunks(ids, 1000):
            found.update(
                self._conn.execute(select(record.c.id).where(record.c.id.in_(chunk))).scalars()
            )
        return found

    def by_id(self, ids: list[str]) -> dict[str, RecordRow]:
        if not ids:
            return {}
        rows = self._conn.execute(_BY_ID, {"ids": ids}).all()
        return {r[0]: record_row(r) for r in rows}

    def parts(self, ids: list[str], part: str) -> dict[str, bytes]:
        """One sealed part of several records, by record id."""
        if not ids:
            return {}
        rows = self._conn.execute(_PARTS, {"ids": ids, "part": part}).all()
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

    def set_wrapped_key(self, record_id: str, kek_id: str, wrapped: bytes) -> None:
        self.set_wrapped_keys([(record_id, kek_id, wrapped)])

    def set_wrapped_keys(self, rows: list[tuple[str, str, bytes]]) -> None:
        """Re-wrapped data keys, in one statement: (record id, key id, wrapped key) each."""
        if not rows:
            return
        stmt = (
            update(record)
            .where(record.c.id == bindparam("b_id"))
            .values(kek_id=bindparam("b_key"), wrapped_key=bindparam("b_wrapped"))
        )
        self._conn.execute(
            stmt, [{"b_id": rid, "b_key": key, "b_wrapped": wrapped} for rid, key, wrapped in rows]
        )

    def wrapped_by(self, key_id: str, among: Collection[str] | None = None) -> list[RecordRow]:
        """The records not destroyed whose data key `key_id` wraps (only those in `among`, if
        given)."""
        q = select(record).where(record.c.kek_id == key_id, LIVE)
        if among is None:
            return [record_row(r) for r in self._conn.execute(q.order_by(record.c.id))]
        out: list[RecordRow] = []
        for chunk in chunks(sorted(set(among))):
            out += [record_row(r) for r in self._conn.execute(q.where(record.c.id.in_(chunk)))]
        return out

    def count_wrapped(self, key_id: str) -> int:
        """How many records not destroyed `key_id` wraps."""
        q = select(func.count()).select_from(record).where(record.c.kek_id == key_id, LIVE)
        return int(self._conn.execute(q).scalar_one())

    def key_ids_of(self, ids: Collection[str]) -> set[str]:
        """The ids of the keys that wrap (or, for a destroyed record, wrapped) these records'
        data keys."""
        found: set[str] = set()
        for chunk in chunks(sorted(set(ids))):
            rows = self._conn.execute(
                select(record.c.kek_id).where(record.c.id.in_(chunk)).distinct()
            )
            found.update(str(k) for k in rows.scalars())
        return found

    def count(self, wrapped_by: Collection[str] | None = None) -> int:
        """Records not destroyed (only those wrapped by one of the keys `wrapped_by`)."""
        q = select(func.count()).select_from(record).where(LIVE)
        if wrapped_by is not None:
            q = q.where(record.c.kek_id.in_(list(wrapped_by)))
        return int(self._conn.execute(q).scalar_one())

    def count_by_kek(self) -> dict[str, int]:
        """How many records not destroyed each key wraps."""
        rows = self._conn.execute(
            select(record.c.kek_id, func.count()).where(LIVE).group_by(record.c.kek_id)
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
            m["arrived_at"] = utc(m["arrived_at"])
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
            m["arrived_at"] = utc(m["arrived_at"])
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

    def archived_since(self, source: str, since: datetime) -> dict[str, int]:
        """Records created at or after `since` that arrived from `source`, by status (active,
        quarantined): what `poll` counts as archived and as quarantined."""
        q = (
            select(record.c.status, func.count(func.distinct(record.c.id)))
            .select_from(record.join(arrival, arrival.c.record_id == record.c.id))
            .where(arrival.c.source_name == source, record.c.archived_at >= since)
            .group_by(record.c.status)
        )
        return {str(status): int(n) for status, n in self._conn.execute(q).all()}

    def set_facts(self, rows: list[tuple[str, bytes]]) -> None:
        """Set records' facts: (record id, facts) each."""
        for rid, blob in rows:
            self._conn.execute(update(record).where(record.c.id == rid).values(facts=blob))

    def set_arrival_places(self, rows: list[tuple[int, bytes, bytes]]) -> None:
        """Set arrivals' position and facts: (arrival row id, position, facts) each."""
        for row_id, position, blob in rows:
            self._conn.execute(
                update(arrival).where(arrival.c.id == row_id).values(position=position, facts=blob)
            )

    def delete(self, record_id: str) -> None:
        """Delete a record row; its parts, arrivals and tags go with it (foreign keys)."""
        self._conn.execute(delete(record).where(record.c.id == record_id))
