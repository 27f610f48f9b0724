"""The audit log's events and its one-row head."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from archiver.domain import AuditRow
from archiver.store.rows import aware
from archiver.store.tables import audit_event, audit_head


class AuditRepo:
    """The audit log's events and its head."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.appended: tuple[int, bytes] | None = None  # the head this transaction made

    def lock_head(self) -> tuple[int, bytes] | None:
        """The chain head (seq, hash), locked until commit so appends are serialised."""
        row = self._conn.execute(
            select(audit_head.c.seq, audit_head.c.hash)
            .where(audit_head.c.id == 1)
            .with_for_update()
        ).first()
        return (int(row.seq), bytes(row.hash)) if row else None

    def append(self, row: AuditRow, first: bool) -> None:
        self.appended = (row.seq, row.hash)
        self._conn.execute(insert(audit_event).values(**row.__dict__))
        if first:
            self._conn.execute(insert(audit_head).values(id=1, seq=row.seq, hash=row.hash))
        else:
            self._conn.execute(
                update(audit_head).where(audit_head.c.id == 1).values(seq=row.seq, hash=row.hash)
            )

    def head(self) -> tuple[int, bytes] | None:
        row = self._conn.execute(
            select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
        ).first()
        return (int(row.seq), bytes(row.hash)) if row else None

    def events(self, after_seq: int, limit: int) -> list[AuditRow]:
        rows = self._conn.execute(
            select(audit_event)
            .where(audit_event.c.seq > after_seq)
            .order_by(audit_event.c.seq)
            .limit(limit)
        ).all()
        out = []
        for r in rows:
            m = dict(r._mapping)
            m["at"] = aware(m["at"])
            out.append(AuditRow(**m))
        return out
