"""The key registry: which keys exist, which is current, and their check values (the keys
themselves are files, never in the database)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from archiver.domain import KeyRow
from archiver.store.rows import aware
from archiver.store.tables import key_registry


class KeyRepo:
    """The key registry (the keys themselves are files, never here)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def registered(self) -> list[KeyRow]:
        rows = self._conn.execute(select(key_registry).order_by(key_registry.c.created_at)).all()
        return [
            KeyRow(
                id=r.id,
                kind=r.kind,
                created_at=aware(r.created_at),
                check_value=r.check_value,
                state=r.state,
            )
            for r in rows
        ]

    def add(self, row: KeyRow) -> None:
        self._conn.execute(insert(key_registry).values(**row.__dict__))

    def set_state(self, key_id: str, state: str) -> None:
        self._conn.execute(
            update(key_registry).where(key_registry.c.id == key_id).values(state=state)
        )
