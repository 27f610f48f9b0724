"""Redactions of the records of requests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from archiver.domain import RedactionRow
from archiver.errors import DatabaseError
from archiver.store.rows import as_bytes, aware, utc
from archiver.store.tables import redaction


def _row(r: Any) -> RedactionRow:
    return RedactionRow(
        id=int(r.id),
        number=r.number,
        record_id=r.record_id,
        exemption=r.exemption,
        occurrence=None if r.occurrence is None else int(r.occurrence),
        source=r.source,
        state=r.state,
        created_at=aware(r.created_at),
        created_by=r.created_by,
        sealed=bytes(r.sealed),
        decided_at=utc(r.decided_at),
        decided_by=r.decided_by,
        facts=as_bytes(r.facts),
    )


class RedactionRepo:
    """Redactions, by request and record."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, row: RedactionRow) -> int:
        """Insert a redaction; its id (its facts are set afterwards: they name the id)."""
        values = dict(row.__dict__)
        del values["id"]
        result = self._conn.execute(insert(redaction).values(**values))
        key = result.inserted_primary_key
        if key is None:
            raise DatabaseError("the database did not say which id the new redaction got")
        return int(key[0])

    def put(self, row: RedactionRow) -> None:
        """Write a redaction's state, who decided it and its facts."""
        self._conn.execute(
            update(redaction)
            .where(redaction.c.id == row.id)
            .values(
                state=row.state,
                decided_at=row.decided_at,
                decided_by=row.decided_by,
                facts=row.facts,
            )
        )

    def get(self, redaction_id: int) -> RedactionRow | None:
        r = self._conn.execute(select(redaction).where(redaction.c.id == redaction_id)).first()
        return _row(r) if r else None

    def of_request(self, number: str, record_id: str | None = None) -> list[RedactionRow]:
        """A request's redactions (of one record), by record then id."""
        query = select(redaction).where(redaction.c.number == number)
        if record_id is not None:
            query = query.where(redaction.c.record_id == record_id)
        rows = self._conn.execute(query.order_by(redaction.c.record_id, redaction.c.id))
        return [_row(r) for r in rows]

    def delete(self, redaction_id: int) -> None:
        self._conn.execute(delete(redaction).where(redaction.c.id == redaction_id))
