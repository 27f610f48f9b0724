"""The web application's saved searches, per account."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from archiver.domain import SavedSearchRow
from archiver.errors import DatabaseError
from archiver.store.rows import aware
from archiver.store.tables import saved_search


class SavedSearchRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, row: SavedSearchRow) -> int:
        """Insert a saved search; its id."""
        result = self._conn.execute(
            insert(saved_search).values(
                user_id=row.user_id, name=row.name, query=row.query, created_at=row.created_at
            )
        )
        key = result.inserted_primary_key
        if key is None:
            raise DatabaseError("the database did not say which id the new saved search got")
        return int(key[0])

    def of_user(self, user_id: int) -> list[SavedSearchRow]:
        """An account's saved searches, oldest first."""
        rows = self._conn.execute(
            select(saved_search)
            .where(saved_search.c.user_id == user_id)
            .order_by(saved_search.c.id)
        ).all()
        return [
            SavedSearchRow(
                int(r.id), int(r.user_id), bytes(r.name), bytes(r.query), aware(r.created_at)
            )
            for r in rows
        ]

    def delete(self, user_id: int, search_id: int) -> bool:
        """Delete one of an account's saved searches; whether it was there."""
        result = self._conn.execute(
            delete(saved_search).where(
                saved_search.c.id == search_id, saved_search.c.user_id == user_id
            )
        )
        return bool(result.rowcount)
