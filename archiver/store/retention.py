"""Retention: each record's series and dates, the queries a records officer asks of them
(per-series report, what is due by a day), and the state of `retention apply`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    update,
)

from archiver.domain import DESTROYED, RetentionRow
from archiver.store.requests import request_held_ids
from archiver.store.rows import as_bytes, aware, chunks, utc
from archiver.store.tables import (
    arrival,
    hold,
    hold_record,
    record,
    record_tag,
    retention,
    retention_state,
)


def held_ids() -> Select[Any]:
    """The ids of records any open hold covers (a subquery for the other queries)."""
    return (
        select(hold_record.c.record_id)
        .join(hold, hold.c.id == hold_record.c.hold_id)
        .where(hold.c.released_at.is_(None), hold_record.c.how != "removed")
    )


def kept_ids(requests_since: datetime) -> CompoundSelect[Any]:
    """The ids of records that may not be destroyed now: an open hold covers them, or a
    request holds them (not closed, or closed at or after `requests_since`: its appeal window
    is open). A subquery."""
    return held_ids().union(request_held_ids(requests_since))


def _row(r: Any) -> RetentionRow:
    return RetentionRow(
        record_id=r.record_id,
        series=r.series,
        rule=r.rule,
        trigger_date=r.trigger_date,
        retain_until=r.retain_until,
        limit=r.limit_kind,
        disposition=r.disposition,
        classified_at=aware(r.classified_at),
        classified_by=r.classified_by,
        note=as_bytes(r.note),
        facts=as_bytes(r.facts),
    )


def _values(row: RetentionRow) -> dict[str, Any]:
    return {
        "record_id": row.record_id,
        "series": row.series,
        "rule": row.rule,
        "trigger_date": row.trigger_date,
        "retain_until": row.retain_until,
        "limit_kind": row.limit,
        "disposition": row.disposition,
        "classified_at": row.classified_at,
        "classified_by": row.classified_by,
        "note": row.note,
        "facts": row.facts,
    }


@dataclass(frozen=True)
class SeriesCounts:
    """A retention series' records: how many, waiting for their trigger, eligible."""

    series: str
    records: int
    pending: int  # waiting for their trigger event (a student's exit)
    eligible: int  # retention passed, not held
    held: int
    next_eligible: date | None  # the earliest retain-until date still to come
    overdue: int  # past retain-until, still here and not held (`maximum` series: must be destroyed)


@dataclass(frozen=True)
class Placement:
    """How many classified records with this series, retain-until day and disposition are
    wrapped by key `key_id`."""

    series: str
    retain_until: date | None
    disposition: str
    key_id: str
    records: int


@dataclass(frozen=True)
class ApplyState:
    """The schedule last applied, and where an interrupted `retention apply` resumes."""

    schedule_digest: str | None
    applied_at: datetime | None
    apply_digest: str | None
    apply_after: str | None


class RetentionRepo:
    """Retention rows, the retention queries, and `retention apply`'s progress."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, record_id: str) -> RetentionRow | None:
        r = self._conn.execute(select(retention).where(retention.c.record_id == record_id)).first()
        return _row(r) if r else None

    def rows(self, record_ids: Iterable[str]) -> dict[str, RetentionRow]:
        ids = list(record_ids)
        out: dict[str, RetentionRow] = {}
        for page in chunks(ids):
            for r in self._conn.execute(select(retention).where(retention.c.record_id.in_(page))):
                out[r.record_id] = _row(r)
        return out

    def insert(self, rows: list[RetentionRow]) -> None:
        """Insert the retention of records that have none (new ones, at ingest)."""
        if rows:
            self._conn.execute(insert(retention), [_values(r) for r in rows])

    def put(self, rows: list[RetentionRow]) -> None:
        """Insert or replace these records' retention."""
        if not rows:
            return
        have = set(self.rows(r.record_id for r in rows))
        new = [_values(r) for r in rows if r.record_id not in have]
        old = [_values(r) for r in rows if r.record_id in have]
        if new:
            self._conn.execute(insert(retention), new)
        if old:
            stmt = (
                update(retention)
                .where(retention.c.record_id == bindparam("b_id"))
                .values({k: bindparam(k) for k in _values(rows[0]) if k != "record_id"})
            )
            self._conn.execute(stmt, [{**v, "b_id": v.pop("record_id")} for v in old])

    def unclassified(self, after: str | None, limit: int) -> list[str]:
        """Ids of records with no retention yet, in id order after `after`."""
        stmt = (
            select(record.c.id)
            .outerjoin(retention, retention.c.record_id == record.c.id)
            .where(retention.c.record_id.is_(None), record.c.status != DESTROYED)
            .order_by(record.c.id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(record.c.id > after)
        return [str(i) for i in self._conn.execute(stmt).scalars()]

    def count_classified(self) -> int:
        return int(self._conn.execute(select(func.count()).select_from(retention)).scalar_one())

    def count_unclassified(self) -> int:
        stmt = (
            select(func.count())
            .select_from(record.outerjoin(retention, retention.c.record_id == record.c.id))
            .where(retention.c.record_id.is_(None), record.c.status != DESTROYED)
        )
        return int(self._conn.execute(stmt).scalar_one())

    def sources_of(self, record_ids: list[str]) -> dict[str, set[str]]:
        """The names of the sources each record arrived from."""
        out: dict[str, set[str]] = {}
        for page in chunks(record_ids):
            stmt = (
                select(arrival.c.record_id, arrival.c.source_name)
                .where(arrival.c.record_id.in_(page))
                .distinct()
            )
            for rid, name in self._conn.execute(stmt):
                out.setdefault(str(rid), set()).add(str(name))
        return out

    def tagged_with(self, student_ids: list[int]) -> list[str]:
        """Ids of records tagged with any of these students."""
        out: set[str] = set()
        for page in chunks(student_ids):
            stmt = select(record_tag.c.record_id).where(record_tag.c.student_id.in_(page))
            out.update(str(r) for r in self._conn.execute(stmt).scalars())
        return sorted(out)

    def report(self, today: date, requests_since: datetime) -> list[SeriesCounts]:
        """Per series: records, pending, eligible (passed and not held), held (by a hold or a
        request, see `kept_ids`), the next eligible day after today, and overdue (passed
        before today, still here, not held: a held record must not be destroyed, so it is not
        overdue)."""
        held = retention.c.record_id.in_(kept_ids(requests_since))
        passed = and_(retention.c.retain_until.is_not(None), retention.c.retain_until <= today)
        stmt = select(
            retention.c.series,
            func.count(),
            func.sum(case((retention.c.trigger_date.is_(None), 1), else_=0)),
            func.sum(case((and_(passed, ~held), 1), else_=0)),
            func.sum(case((held, 1), else_=0)),
            func.min(case((retention.c.retain_until > today, retention.c.retain_until))),
            func.sum(case((and_(retention.c.retain_until < today, ~held), 1), else_=0)),
        ).group_by(retention.c.series)
        return [
            SeriesCounts(
                series=r[0],
                records=int(r[1]),
                pending=int(r[2] or 0),
                eligible=int(r[3] or 0),
                held=int(r[4] or 0),
                next_eligible=_day(r[5]),
                overdue=int(r[6] or 0),
            )
            for r in self._conn.execute(stmt)
        ]

    def overdue_maximum(self, today: date, requests_since: datetime) -> int:
        """Records of a maximum-period series (temporary student records) past the day they
        had to be destroyed by, still here, and that no hold or request keeps."""
        stmt = (
            select(func.count())
            .select_from(retention)
            .where(
                retention.c.limit_kind == "maximum",
                retention.c.retain_until.is_not(None),
                retention.c.retain_until < today,
                retention.c.record_id.not_in(kept_ids(requests_since)),
            )
        )
        return int(self._conn.execute(stmt).scalar_one())

    def due(
        self, by: date, series: str | None, limit: int, offset: int, requests_since: datetime
    ) -> tuple[int, list[RetentionRow]]:
        """Records whose retention has passed by `by` and that no hold or request keeps
        (`kept_ids`), earliest first: how many in all, and one page."""
        where = [
            retention.c.retain_until.is_not(None),
            retention.c.retain_until <= by,
            retention.c.record_id.not_in(kept_ids(requests_since)),
        ]
        if series is not None:
            where.append(retention.c.series == series)
        total = int(
            self._conn.execute(
                select(func.count()).select_from(retention).where(*where)
            ).scalar_one()
        )
        page = self._conn.execute(
            select(retention)
            .where(*where)
            .order_by(retention.c.retain_until, retention.c.record_id)
            .limit(limit)
            .offset(offset)
        )
        return total, [_row(r) for r in page]

    def page(self, after: str | None, limit: int) -> list[RetentionRow]:
        """Retention rows in record id order after `after`."""
        stmt = select(retention).order_by(retention.c.record_id).limit(limit)
        if after is not None:
            stmt = stmt.where(retention.c.record_id > after)
        return [_row(r) for r in self._conn.execute(stmt)]

    def placement(self) -> list[Placement]:
        """Classified records grouped by series, retain-until day, disposition and the key
        that wraps them: what tells records not under their cohort's key yet."""
        cols = (retention.c.series, retention.c.retain_until, retention.c.disposition)
        stmt = (
            select(*cols, record.c.kek_id, func.count())
            .select_from(retention.join(record, record.c.id == retention.c.record_id))
            .group_by(*cols, record.c.kek_id)
        )
        return [
            Placement(str(r[0]), _day(r[1]), str(r[2]), str(r[3]), int(r[4]))
            for r in self._conn.execute(stmt)
        ]

    def state(self) -> ApplyState:
        r = self._conn.execute(select(retention_state).where(retention_state.c.id == 1)).first()
        if r is None:
            return ApplyState(None, None, None, None)
        return ApplyState(r.schedule_digest, utc(r.applied_at), r.apply_digest, r.apply_after)

    def set_state(self, state: ApplyState) -> None:
        values = {
            "schedule_digest": state.schedule_digest,
            "applied_at": state.applied_at,
            "apply_digest": state.apply_digest,
            "apply_after": state.apply_after,
        }
        self._conn.execute(delete(retention_state).where(retention_state.c.id == 1))
        self._conn.execute(insert(retention_state).values(id=1, **values))


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))  # SQLite's MIN over a CASE loses the Date type
