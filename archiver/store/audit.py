"""The audit log's events, the records each is about, and its one-row head."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, or_, select, update

from archiver.domain import AuditQuery, AuditRow
from archiver.store.rows import aware
from archiver.store.tables import audit_event, audit_head, audit_mention

# Every search appends an event: its statements are built once, not per event.
_HEAD = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
_LOCK_HEAD = _HEAD.with_for_update()
_INSERT_EVENT = insert(audit_event)
_INSERT_MENTIONS = insert(audit_mention)
_INSERT_HEAD = insert(audit_head)
_MOVE_HEAD = (
    update(audit_head)
    .where(audit_head.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


class AuditRepo:
    """The audit log's events and its head."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.appended: tuple[int, bytes] | None = None  # the head this transaction made
        # The head this transaction found and chained its first event onto (None: none yet,
        # or the log was empty): proof, once committed, that that event was in the log.
        self.chained_onto: tuple[int, bytes] | None = None

    def lock_head(self) -> tuple[int, bytes] | None:
        """The chain head (seq, hash), locked until commit so appends are serialised."""
        row = self._conn.execute(_LOCK_HEAD).first()
        found = (int(row[0]), bytes(row[1])) if row else None
        if self.appended is None:
            self.chained_onto = found
        return found

    def append(self, row: AuditRow, first: bool) -> None:
        """Add event `row` and the records it is about; move the head to it."""
        self.appended = (row.seq, row.hash)
        self._conn.execute(_INSERT_EVENT, row.__dict__)
        named = [{"record_id": rid, "seq": row.seq} for rid in sorted(row.mentions())]
        if named:
            self._conn.execute(_INSERT_MENTIONS, named)
        if first:
            self._conn.execute(_INSERT_HEAD, {"id": 1, "seq": row.seq, "hash": row.hash})
        else:
            self._conn.execute(_MOVE_HEAD, {"new_seq": row.seq, "new_hash": row.hash})

    def head(self) -> tuple[int, bytes] | None:
        row = self._conn.execute(_HEAD).first()
        return (int(row[0]), bytes(row[1])) if row else None

    def mentions(self, first_seq: int, last_seq: int) -> dict[int, set[str]]:
        """The records the index lists each of events `first_seq` to `last_seq` under (an
        event under none is left out), read as one row per event rather than per record."""
        m = audit_mention
        rows = self._conn.execute(
            select(m.c.seq, func.aggregate_strings(m.c.record_id, " "))
            .where(m.c.seq >= first_seq, m.c.seq <= last_seq)
            .group_by(m.c.seq)
        ).all()
        return {int(seq): set(ids.split(" ")) for seq, ids in rows}

    def events(self, after_seq: int, limit: int) -> list[AuditRow]:
        rows = self._conn.execute(
            select(audit_event)
            .where(audit_event.c.seq > after_seq)
            .order_by(audit_event.c.seq)
            .limit(limit)
        ).all()
        return [_event(r) for r in rows]

    def matching(
        self, query: AuditQuery, after_seq: int, limit: int, newest_first: bool = False
    ) -> list[tuple[AuditRow, bytes | None]]:
        """Up to `limit` events after `after_seq` that match `query`, in order (or the newest
        of them, newest first), each with the hash of the event numbered just before it (None
        if there is no such event). Every filter is on plaintext columns, so the database
        does the filtering; a record's events are read through the index of the records each
        event is about."""
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
            named = select(audit_mention.c.seq).where(
                audit_mention.c.record_id == query.record, audit_mention.c.seq > after_seq
            )
            q = q.where(ev.c.seq.in_(named))
        order = ev.c.seq.desc() if newest_first else ev.c.seq
        rows = self._conn.execute(q.order_by(order).limit(limit)).all()
        return [(_event(r), None if r.before_hash is None else bytes(r.before_hash)) for r in rows]

    def count_about(self, record_id: str) -> int:
        """How many events are about a record (its target, or named in their details)."""
        found = self._conn.execute(
            select(func.count()).where(audit_mention.c.record_id == record_id)
        ).scalar_one()
        return int(found)


def _event(row: Row[Any]) -> AuditRow:
    m = {c.name: row._mapping[c] for c in audit_event.c}
    m["at"] = aware(m["at"])
    return AuditRow(**m)
