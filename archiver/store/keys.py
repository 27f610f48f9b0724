"""The key registry: which keys exist, which is current, and their check values (the keys
themselves are files, never in the database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from archiver.domain import KeyRow
from archiver.store.rows import aware, utc
from archiver.store.tables import key_registry


def _row(r: Any) -> KeyRow:
    return KeyRow(
        id=r.id,
        kind=r.kind,
        created_at=aware(r.created_at),
        check_value=bytes(r.check_value),
        state=r.state,
        series=r.series,
        month=r.month,
        destroyed_at=utc(r.destroyed_at),
    )


class KeyRepo:
    """The key registry (the keys themselves are files, never here)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def registered(self) -> list[KeyRow]:
        rows = self._conn.execute(
            select(key_registry).order_by(key_registry.c.created_at, key_registry.c.id)
        ).all()
        return [_row(r) for r in rows]

    def get(self, key_id: str) -> KeyRow | None:
        r = self._conn.execute(select(key_registry).where(key_registry.c.id == key_id)).first()
        return _row(r) if r else None

    def of_kind(self, kind: str, state: str | None = None) -> list[KeyRow]:
        """The keys of one kind (in one state, if given), oldest first."""
        q = select(key_registry).where(key_registry.c.kind == kind)
        if state is not None:
            q = q.where(key_registry.c.state == state)
        rows = self._conn.execute(q.order_by(key_registry.c.created_at, key_registry.c.id))
        return [_row(r) for r in rows]

    def add(self, row: KeyRow) -> None:
        self._conn.execute(insert(key_registry).values(**row.__dict__))

    def set_state(self, key_id: str, state: str) -> None:
        self._conn.execute(
            update(key_registry).where(key_registry.c.id == key_id).values(state=state)
        )

    def mark_destroyed(self, key_id: str, state: str, at: datetime) -> None:
        self._conn.execute(
            update(key_registry)
            .where(key_registry.c.id == key_id)
            .values(state=state, destroyed_at=at)
        )
