"""Requests, their records and decisions, and the students' access log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, func, insert, or_, select, update

from archiver.domain import AccessRow, RequestRecordRow, RequestRow
from archiver.store.rows import as_bytes, aware, chunks, utc
from archiver.store.tables import request, request_record, student_access


def _request(r: Any) -> RequestRow:
    return RequestRow(
        number=r.number,
        year=int(r.year),
        seq=int(r.seq),
        kind=r.kind,
        state=r.state,
        received_at=aware(r.received_at),
        channel=r.channel,
        student_id=None if r.student_id is None else int(r.student_id),
        received_day=r.received_day,
        respond_by=r.respond_by,
        produce_by=r.produce_by,
        petition_by=r.petition_by,
        extension_days=None if r.extension_days is None else int(r.extension_days),
        extended_to=r.extended_to,
        calendar=r.calendar,
        opened_at=aware(r.opened_at),
        opened_by=r.opened_by,
        key_id=r.key_id,
        sealed=bytes(r.sealed),
        responded_at=utc(r.responded_at),
        closed_at=utc(r.closed_at),
        outcome=r.outcome,
        fees=r.fees,
        facts=as_bytes(r.facts),
    )


def _member(r: Any) -> RequestRecordRow:
    return RequestRecordRow(
        number=r.number,
        record_id=r.record_id,
        added_at=aware(r.added_at),
        decision=r.decision,
        exemptions=tuple((r.exemptions or "").split()),
        note=as_bytes(r.note),
        decided_at=utc(r.decided_at),
        decided_by=r.decided_by,
        facts=as_bytes(r.facts),
    )


def _member_values(m: RequestRecordRow) -> dict[str, Any]:
    return {
        "number": m.number,
        "record_id": m.record_id,
        "added_at": m.added_at,
        "decision": m.decision,
        "exemptions": " ".join(m.exemptions) or None,
        "note": m.note,
        "decided_at": m.decided_at,
        "decided_by": m.decided_by,
        "facts": m.facts,
    }


class RequestRepo:
    """Requests, their records, and the access log."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def last_seq(self, year: int, kind: str) -> int:
        found = self._conn.execute(
            select(func.max(request.c.seq)).where(request.c.year == year, request.c.kind == kind)
        ).scalar_one_or_none()
        return int(found or 0)

    def add(self, row: RequestRow) -> None:
        self._conn.execute(insert(request).values(**row.__dict__))

    def put(self, row: RequestRow) -> None:
        """Write a request's row anew (state, dates, facts)."""
        values = dict(row.__dict__)
        del values["number"]
        self._conn.execute(update(request).where(request.c.number == row.number).values(values))

    def get(self, number: str) -> RequestRow | None:
        r = self._conn.execute(select(request).where(request.c.number == number)).first()
        return _request(r) if r else None

    def listed(self, open_only: bool = False) -> list[RequestRow]:
        """Requests, newest first (a district has hundreds a year, not millions): those not
        closed only, when asked."""
        query = select(request)
        if open_only:
            query = query.where(request.c.state != "closed")
        return [
            _request(r)
            for r in self._conn.execute(
                query.order_by(request.c.opened_at.desc(), request.c.number.desc())
            )
        ]

    def live_numbers(self) -> list[str]:
        rows = self._conn.execute(
            select(request.c.number).where(request.c.state != "closed").order_by(request.c.number)
        )
        return [r[0] for r in rows]

    def members(self, number: str) -> list[RequestRecordRow]:
        rows = self._conn.execute(
            select(request_record)
            .where(request_record.c.number == number)
            .order_by(request_record.c.added_at, request_record.c.record_id)
        )
        return [_member(r) for r in rows]

    def member(self, number: str, record_id: str) -> RequestRecordRow | None:
        r = self._conn.execute(
            select(request_record).where(
                request_record.c.number == number, request_record.c.record_id == record_id
            )
        ).first()
        return _member(r) if r else None

    def add_members(self, rows: list[RequestRecordRow]) -> int:
        """Add records to a request (those already in it are left as they are); how many."""
        if not rows:
            return 0
        number = rows[0].number
        have: set[str] = set()
        for part in chunks([m.record_id for m in rows]):
            have |= {
                r[0]
                for r in self._conn.execute(
                    select(request_record.c.record_id).where(
                        request_record.c.number == number, request_record.c.record_id.in_(part)
                    )
                )
            }
        new = [_member_values(m) for m in rows if m.record_id not in have]
        if new:
            self._conn.execute(insert(request_record), new)
        return len(new)

    def put_member(self, m: RequestRecordRow) -> None:
        values = _member_values(m)
        self._conn.execute(
            update(request_record)
            .where(request_record.c.number == m.number, request_record.c.record_id == m.record_id)
            .values(values)
        )

    def numbers_of(self, record_ids: list[str]) -> dict[str, list[str]]:
        """Record id -> the requests it is in."""
        out: dict[str, list[str]] = {}
        for part in chunks(record_ids):
            rows = self._conn.execute(
                select(request_record.c.record_id, request_record.c.number)
                .where(request_record.c.record_id.in_(part))
                .order_by(request_record.c.number)
            )
            for rid, number in rows:
                out.setdefault(rid, []).append(number)
        return out

    def log_access(self, rows: list[AccessRow]) -> None:
        if rows:
            self._conn.execute(insert(student_access), [r.__dict__ for r in rows])

    def accesses(self, student_id: int, since: datetime | None = None) -> list[AccessRow]:
        query = select(student_access).where(student_access.c.student_id == student_id)
        if since is not None:
            query = query.where(student_access.c.at >= since)
        rows = self._conn.execute(query.order_by(student_access.c.at, student_access.c.id))
        return [
            AccessRow(
                int(r.student_id),
                aware(r.at),
                r.actor,
                r.action,
                r.record_id,
                int(r.audit_seq),
                as_bytes(r.purpose),
            )
            for r in rows
        ]


def request_held_ids(closed_since: datetime) -> Select[Any]:
    """The ids of records a request keeps from disposition: its request is not closed, or was
    closed at or after `closed_since` (its appeal window is still open). A subquery."""
    return (
        select(request_record.c.record_id)
        .join(request, request.c.number == request_record.c.number)
        .where(
            or_(
                request.c.state != "closed",
                and_(request.c.closed_at.is_not(None), request.c.closed_at >= closed_since),
            )
        )
    )
