"""Legal holds: the sealed holds, the records each covers, and the version that tells
long-running processes to reload the open ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from archiver.domain import HoldMemberRow, HoldRow
from archiver.errors import DatabaseError
from archiver.store.rows import as_bytes, aware, chunks, insert_new, utc
from archiver.store.tables import hold, hold_record, hold_state


def _hold(r: Any) -> HoldRow:
    return HoldRow(
        id=int(r.id),
        lookup=bytes(r.lookup),
        key_id=r.key_id,
        sealed=bytes(r.sealed),
        created_at=aware(r.created_at),
        created_by=r.created_by,
        released_at=utc(r.released_at),
        released_by=r.released_by,
        release_note=as_bytes(r.release_note),
        facts=as_bytes(r.facts),
    )


def _member(r: Any) -> HoldMemberRow:
    return HoldMemberRow(int(r.hold_id), r.record_id, r.how, aware(r.at), as_bytes(r.facts))


class HoldRepo:
    """Holds and the records they cover."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def version(self) -> int:
        v = self._conn.execute(
            select(hold_state.c.version).where(hold_state.c.id == 1)
        ).scalar_one_or_none()
        return int(v or 0)

    def bump_version(self, now: datetime) -> None:
        version = self.version() + 1
        self._conn.execute(delete(hold_state).where(hold_state.c.id == 1))
        self._conn.execute(insert(hold_state).values(id=1, version=version, updated_at=now))

    def add(self, row: HoldRow) -> int:
        """Insert a hold; its id (its facts are set afterwards: they name the id)."""
        result = self._conn.execute(
            insert(hold).values(
                lookup=row.lookup,
                key_id=row.key_id,
                sealed=row.sealed,
                created_at=row.created_at,
                created_by=row.created_by,
            )
        )
        key = result.inserted_primary_key
        if key is None:
            raise DatabaseError("the database did not say which id the new hold got")
        return int(key[0])

    def update(self, row: HoldRow) -> None:
        self._conn.execute(
            update(hold)
            .where(hold.c.id == row.id)
            .values(
                released_at=row.released_at,
                released_by=row.released_by,
                release_note=row.release_note,
                facts=row.facts,
            )
        )

    def by_lookup(self, lookup: bytes) -> HoldRow | None:
        r = self._conn.execute(select(hold).where(hold.c.lookup == lookup)).first()
        return _hold(r) if r else None

    def all(self, open_only: bool = False) -> list[HoldRow]:
        stmt = select(hold).order_by(hold.c.id)
        if open_only:
            stmt = stmt.where(hold.c.released_at.is_(None))
        return [_hold(r) for r in self._conn.execute(stmt)]

    def by_ids(self, ids: list[int]) -> list[HoldRow]:
        if not ids:
            return []
        return [_hold(r) for r in self._conn.execute(select(hold).where(hold.c.id.in_(ids)))]

    def counts(self) -> dict[int, int]:
        """Hold id -> records it covers (taken-out ones not counted)."""
        stmt = (
            select(hold_record.c.hold_id, func.count())
            .where(hold_record.c.how != "removed")
            .group_by(hold_record.c.hold_id)
        )
        return {int(h): int(n) for h, n in self._conn.execute(stmt)}

    def members(self, hold_id: int) -> list[HoldMemberRow]:
        """Every record row of a hold, the taken-out ones too, in record id order."""
        stmt = (
            select(hold_record)
            .where(hold_record.c.hold_id == hold_id)
            .order_by(hold_record.c.record_id)
        )
        return [_member(r) for r in self._conn.execute(stmt)]

    def member_ids(self, hold_id: int) -> set[str]:
        """Ids of the records this hold has a row for (covered or taken out)."""
        stmt = select(hold_record.c.record_id).where(hold_record.c.hold_id == hold_id)
        return {str(r) for r in self._conn.execute(stmt).scalars()}

    def of_records(self, record_ids: list[str]) -> list[HoldMemberRow]:
        """The hold rows of these records."""
        out: list[HoldMemberRow] = []
        for page in chunks(record_ids):
            stmt = select(hold_record).where(hold_record.c.record_id.in_(page))
            out += [_member(r) for r in self._conn.execute(stmt)]
        return out

    def insert_members(self, rows: list[HoldMemberRow]) -> None:
        """Add these rows; a record the hold already has a row for keeps it (a record taken
        out by hand is not caught again)."""
        if not rows:
            return
        self._conn.execute(
            insert_new(self._conn, hold_record),
            [
                {
                    "hold_id": r.hold_id,
                    "record_id": r.record_id,
                    "how": r.how,
                    "at": r.at,
                    "facts": r.facts,
                }
                for r in rows
            ],
        )

    def set_member(self, row: HoldMemberRow) -> None:
        """Put or replace one record's row in a hold (a hand-made add or removal)."""
        self._conn.execute(
            delete(hold_record).where(
                hold_record.c.hold_id == row.hold_id, hold_record.c.record_id == row.record_id
            )
        )
        self.insert_members([row])
