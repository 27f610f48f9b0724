"""Decisions on the image attachments of requests' redacted records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from archiver.domain import AttachmentDecisionRow
from archiver.store.rows import as_bytes, aware
from archiver.store.tables import attachment_decision as table


def _row(r: Any) -> AttachmentDecisionRow:
    return AttachmentDecisionRow(
        number=r.number,
        record_id=r.record_id,
        attachment=int(r.attachment),
        decision=r.decision,
        decided_at=aware(r.decided_at),
        decided_by=r.decided_by,
        facts=as_bytes(r.facts),
    )


class AttachmentDecisionRepo:
    """Attachment decisions, by request, record and attachment number."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _key(self, number: str, record_id: str, attachment: int) -> Any:
        return (
            (table.c.number == number)
            & (table.c.record_id == record_id)
            & (table.c.attachment == attachment)
        )

    def get(self, number: str, record_id: str, attachment: int) -> AttachmentDecisionRow | None:
        r = self._conn.execute(
            select(table).where(self._key(number, record_id, attachment))
        ).first()
        return _row(r) if r else None

    def put(self, row: AttachmentDecisionRow) -> None:
        """Write an attachment's decision (its facts sealed), replacing any before it."""
        values = {
            "decision": row.decision,
            "decided_at": row.decided_at,
            "decided_by": row.decided_by,
            "facts": row.facts,
        }
        key = self._key(row.number, row.record_id, row.attachment)
        if self._conn.execute(update(table).where(key).values(**values)).rowcount == 0:
            self._conn.execute(insert(table).values(**row.__dict__))

    def of_request(self, number: str, record_id: str | None = None) -> list[AttachmentDecisionRow]:
        """A request's attachment decisions (of one record), by record then attachment."""
        query = select(table).where(table.c.number == number)
        if record_id is not None:
            query = query.where(table.c.record_id == record_id)
        rows = self._conn.execute(query.order_by(table.c.record_id, table.c.attachment))
        return [_row(r) for r in rows]
