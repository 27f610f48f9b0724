"""The audit log's events and its one-row head."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import Connection, Row, insert, or_, select, update

from archiver.domain import AuditQuery, AuditRow
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
        return [_event(r) for r in rows]

    def matching(
        self, query: AuditQuery, after_seq: int, limit: int
    ) -> list[tuple[AuditRow, bytes | None]]:
        """Up to `limit` events after `after_seq` that match `query`, in order, each with the
        hash of the event numbered just before it (None if there is no such event). Every
        filter is on plaintext columns, so the database does the filtering."""
        ev, before = audit_event, audit_event.alias("before")
        q = (
            select(ev, before.c.hash.label("before_hash"))
            .outerjoin(before, before.c.seq == ev.c.seq - 1)
            .where(ev.c.seq > after_seq)
        )
        if query.since is not None:
            q = q.where(ev.c.at >= query.since.astimezone(UTC))  # SQLite compares UTC text
        if query.before is not None:
            q = q.where(ev.c.at < query.before.astimezone(UTC))
        if query.actor is not None:
            q = q.where(ev.c.actor == query.actor)
        if query.action is not None:
            family = ev.c.action.startswith(query.action + ".", autoescape=True)
            q = q.where(or_(ev.c.action == query.action, family))
        if query.record is not None:
            # Details are compact JSON: a record they name is the quoted id.
            named = ev.c.details.contains(f'"{query.record}"', autoescape=True)
            q = q.where(or_(ev.c.target == query.record, named))
        rows = self._conn.execute(q.order_by(ev.c.seq).limit(limit)).all()
        return [(_event(r), None if r.before_hash is None else bytes(r.before_hash)) for r in rows]


def _event(row: Row[Any]) -> AuditRow:
    m = {c.name: row._mapping[c] for c in audit_event.c}
    m["at"] = aware(m["at"])
    return AuditRow(**m)
