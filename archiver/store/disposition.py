"""Disposition: batches, their records, the tombstones of destroyed records, and erasing
what a destroyed record leaves in the other tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from archiver.domain import (
    DESTROYED,
    BatchMemberRow,
    BatchRow,
    RecordRow,
    RetentionRow,
    TombstoneRow,
)
from archiver.store.requests import request_held_ids
from archiver.store.retention import _row as retention_row
from archiver.store.retention import kept_ids
from archiver.store.rows import as_bytes, aware, chunks, utc
from archiver.store.tables import (
    arrival,
    disposition_batch,
    disposition_copy,
    disposition_record,
    hold,
    hold_record,
    record,
    record_tag,
    redaction,
    request_record,
    retention,
    sealed_part,
    search_doc,
    tag_override,
    tombstone,
)

LIVE_STATES = ("planned", "approved", "executing")  # a batch that still holds its records


def _batch(r: Any) -> BatchRow:
    return BatchRow(
        number=r.number,
        year=int(r.year),
        seq=int(r.seq),
        state=r.state,
        by_day=_day(r.by_day),
        series=r.series,
        planned_at=aware(r.planned_at),
        planned_by=r.planned_by,
        approved_at=utc(r.approved_at),
        approved_by=r.approved_by,
        permit=r.permit,
        started_at=utc(r.started_at),
        executed_at=utc(r.executed_at),
        cancelled_at=utc(r.cancelled_at),
        cancelled_by=r.cancelled_by,
        cancel_note=as_bytes(r.cancel_note),
        certificate=as_bytes(r.certificate),
        signature=as_bytes(r.signature),
        signing_key=r.signing_key,
        facts=as_bytes(r.facts),
    )


def _member(r: Any) -> BatchMemberRow:
    return BatchMemberRow(
        r.batch, r.record_id, r.series, r.state, r.reason, r.detail, as_bytes(r.facts)
    )


def _tombstone(r: Any) -> TombstoneRow:
    return TombstoneRow(
        record_id=r.record_id,
        sha256=bytes(r.sha256),
        size=int(r.size),
        series=r.series,
        sent_at=utc(r.sent_at),
        archived_at=aware(r.archived_at),
        batch=r.batch,
        destroyed_at=aware(r.destroyed_at),
        facts=as_bytes(r.facts),
    )


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass(frozen=True)
class SeriesSummary:
    """A batch's records of one series: how many, their bytes, and the first and last days
    they were sent and archived (what Form RMU-2 asks: inclusive dates and volume)."""

    series: str
    records: int
    size: int
    first_sent: datetime | None
    last_sent: datetime | None
    first_archived: datetime | None
    last_archived: datetime | None


def busy_ids(but: str | None = None) -> Select[Any]:
    """The ids of records planned in a batch that is not executed or cancelled yet, other
    than batch `but` (a subquery): another batch may not take them."""
    stmt = (
        select(disposition_record.c.record_id)
        .join(disposition_batch, disposition_batch.c.number == disposition_record.c.batch)
        .where(
            disposition_batch.c.state.in_(LIVE_STATES),
            disposition_record.c.state == "planned",
        )
    )
    return stmt if but is None else stmt.where(disposition_record.c.batch != but)


class DispositionRepo:
    """Disposition batches, their records and the tombstones."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # --- batches --------------------------------------------------------------------------

    def last_seq(self, year: int) -> int:
        found = self._conn.execute(
            select(func.max(disposition_batch.c.seq)).where(disposition_batch.c.year == year)
        ).scalar_one_or_none()
        return int(found or 0)

    def add(self, row: BatchRow) -> None:
        self._conn.execute(insert(disposition_batch).values(**row.__dict__))

    def put(self, row: BatchRow) -> None:
        """Write a batch's row anew (state, who, when, certificate, facts)."""
        values = dict(row.__dict__)
        del values["number"]
        self._conn.execute(
            update(disposition_batch).where(disposition_batch.c.number == row.number).values(values)
        )

    def remove(self, number: str) -> None:
        """Delete a batch and its records (a plan that found nothing, in its transaction)."""
        self._conn.execute(delete(disposition_record).where(disposition_record.c.batch == number))
        self._conn.execute(delete(disposition_batch).where(disposition_batch.c.number == number))

    def get(self, number: str, lock: bool = False) -> BatchRow | None:
        """A batch; with `lock`, its row locked for the transaction (PostgreSQL: two
        approvals or executions of one batch wait for each other)."""
        stmt = select(disposition_batch).where(disposition_batch.c.number == number)
        if lock and self._conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        r = self._conn.execute(stmt).first()
        return _batch(r) if r else None

    def listed(self) -> list[BatchRow]:
        """Every batch (a district makes a few a year), newest first; without certificates."""
        cols = [c for c in disposition_batch.c if c.name != "certificate"]
        rows = self._conn.execute(
            select(*cols).order_by(disposition_batch.c.year.desc(), disposition_batch.c.seq.desc())
        )
        return [_batch(_WithCertificate(r)) for r in rows]

    def executing(self) -> list[str]:
        """The numbers of batches whose execution began and did not finish."""
        stmt = select(disposition_batch.c.number).where(disposition_batch.c.state == "executing")
        return [str(n) for n in self._conn.execute(stmt).scalars()]

    def count_by_state(self) -> dict[str, int]:
        stmt = select(disposition_batch.c.state, func.count()).group_by(disposition_batch.c.state)
        return {str(s): int(n) for s, n in self._conn.execute(stmt)}

    # --- planning -------------------------------------------------------------------------

    def candidates(
        self,
        by: date,
        codes: Sequence[str],
        dispositions: Sequence[str],
        requests_since: datetime,
        after: str,
        limit: int,
        planning: str,
    ) -> list[RetentionRow]:
        """Retention rows (in record id order after `after`) of records that batch `planning`
        may take: retention passed by `by`, of one of these series and dispositions, not
        destroyed, no hold or request keeping them (`kept_ids`), in no other live batch (those
        it took already are before `after`)."""
        stmt = (
            select(retention)
            .join(record, record.c.id == retention.c.record_id)
            .where(
                retention.c.record_id > after,
                retention.c.retain_until.is_not(None),
                retention.c.retain_until <= by,
                retention.c.series.in_(list(codes)),
                retention.c.disposition.in_(list(dispositions)),
                record.c.status != DESTROYED,
                retention.c.record_id.not_in(kept_ids(requests_since)),
                retention.c.record_id.not_in(busy_ids(but=planning)),
            )
            .order_by(retention.c.record_id)
            .limit(limit)
        )
        return [retention_row(r) for r in self._conn.execute(stmt)]

    def add_members(self, rows: list[BatchMemberRow]) -> None:
        if rows:
            self._conn.execute(insert(disposition_record), [r.__dict__ for r in rows])

    def set_members(self, rows: list[BatchMemberRow]) -> None:
        """Write members' new state, reason and facts."""
        if not rows:
            return
        stmt = (
            update(disposition_record)
            .where(
                disposition_record.c.batch == bindparam("b_batch"),
                disposition_record.c.record_id == bindparam("b_record"),
            )
            .values(
                state=bindparam("state"),
                reason=bindparam("reason"),
                detail=bindparam("detail"),
                facts=bindparam("facts"),
            )
        )
        self._conn.execute(
            stmt,
            [
                {
                    "b_batch": r.batch,
                    "b_record": r.record_id,
                    "state": r.state,
                    "reason": r.reason,
                    "detail": r.detail,
                    "facts": r.facts,
                }
                for r in rows
            ],
        )

    def members(
        self, number: str, state: str | None = None, after: str = "", limit: int | None = None
    ) -> list[BatchMemberRow]:
        """A batch's records (in one state), in record id order after `after`."""
        stmt = select(disposition_record).where(
            disposition_record.c.batch == number, disposition_record.c.record_id > after
        )
        if state is not None:
            stmt = stmt.where(disposition_record.c.state == state)
        stmt = stmt.order_by(disposition_record.c.record_id).limit(limit)
        return [_member(r) for r in self._conn.execute(stmt)]

    def members_of(self, number: str, record_ids: Sequence[str]) -> list[BatchMemberRow]:
        out: list[BatchMemberRow] = []
        for page in chunks(record_ids):
            stmt = select(disposition_record).where(
                disposition_record.c.batch == number, disposition_record.c.record_id.in_(page)
            )
            out += [_member(r) for r in self._conn.execute(stmt)]
        return out

    def batches_of(self, record_ids: Sequence[str]) -> dict[str, list[str]]:
        """Record id -> the live batches (not executed or cancelled) it is planned in."""
        out: dict[str, list[str]] = {}
        for page in chunks(record_ids):
            stmt = (
                select(disposition_record.c.record_id, disposition_record.c.batch)
                .join(disposition_batch, disposition_batch.c.number == disposition_record.c.batch)
                .where(
                    disposition_record.c.record_id.in_(page),
                    disposition_record.c.state == "planned",
                    disposition_batch.c.state.in_(LIVE_STATES),
                )
            )
            for rid, number in self._conn.execute(stmt):
                out.setdefault(str(rid), []).append(str(number))
        return out

    def planned_page(
        self, number: str, after: tuple[int | None, str], limit: int
    ) -> list[tuple[str, int | None]]:
        """The next `limit` records of a batch still planned, as (id, search document seq),
        in the order of their search documents (a transaction then erases postings from a few
        blocks, not from all of them), those never indexed last in id order; `after` is where
        the previous page ended ((0, "") to start; (None, id) once in the unindexed ones).
        Paged, so a batch of 100,000 is never held whole."""
        seq = search_doc.c.seq
        base = (
            select(disposition_record.c.record_id, seq)
            .outerjoin(search_doc, search_doc.c.record_id == disposition_record.c.record_id)
            .where(disposition_record.c.batch == number, disposition_record.c.state == "planned")
        )
        last_seq, last_id = after
        rows: list[tuple[str, int | None]] = []
        if last_seq is not None:
            stmt = base.where(seq > last_seq).order_by(seq).limit(limit)
            rows = [(str(r[0]), int(r[1])) for r in self._conn.execute(stmt)]
            last_id = ""
        if len(rows) < limit:
            stmt = (
                base.where(seq.is_(None), disposition_record.c.record_id > last_id)
                .order_by(disposition_record.c.record_id)
                .limit(limit - len(rows))
            )
            rows += [(str(r[0]), None) for r in self._conn.execute(stmt)]
        return rows

    def member_counts(self, number: str) -> dict[str, int]:
        stmt = (
            select(disposition_record.c.state, func.count())
            .where(disposition_record.c.batch == number)
            .group_by(disposition_record.c.state)
        )
        return {str(s): int(n) for s, n in self._conn.execute(stmt)}

    def summary(self, number: str) -> list[SeriesSummary]:
        """Per series, the batch's records that are planned or destroyed (not skipped)."""
        stmt = (
            select(
                disposition_record.c.series,
                func.count(),
                func.sum(record.c.size),
                func.min(record.c.sent_at),
                func.max(record.c.sent_at),
                func.min(record.c.archived_at),
                func.max(record.c.archived_at),
            )
            .join(record, record.c.id == disposition_record.c.record_id)
            .where(disposition_record.c.batch == number, disposition_record.c.state != "skipped")
            .group_by(disposition_record.c.series)
            .order_by(disposition_record.c.series)
        )
        return [
            SeriesSummary(
                str(r[0]),
                int(r[1]),
                int(r[2] or 0),
                _when(r[3]),
                _when(r[4]),
                _when(r[5]),
                _when(r[6]),
            )
            for r in self._conn.execute(stmt)
        ]

    def kept_among(self, number: str, requests_since: datetime) -> tuple[int, int]:
        """How many of a batch's planned records an open hold covers, and how many a request
        keeps (RMU-2's certification that none is pending)."""
        planned = and_planned(number)
        held = (
            select(func.count())
            .select_from(disposition_record)
            .where(
                *planned,
                disposition_record.c.record_id.in_(
                    select(hold_record.c.record_id)
                    .join(hold, hold.c.id == hold_record.c.hold_id)
                    .where(hold.c.released_at.is_(None), hold_record.c.how != "removed")
                ),
            )
        )
        requested = (
            select(func.count())
            .select_from(disposition_record)
            .where(*planned, disposition_record.c.record_id.in_(request_held_ids(requests_since)))
        )
        return (
            int(self._conn.execute(held).scalar_one()),
            int(self._conn.execute(requested).scalar_one()),
        )

    # --- execution ------------------------------------------------------------------------

    def held_among(self, record_ids: Sequence[str]) -> set[str]:
        """Which of these records an open hold covers."""
        out: set[str] = set()
        for page in chunks(record_ids):
            stmt = (
                select(hold_record.c.record_id)
                .join(hold, hold.c.id == hold_record.c.hold_id)
                .where(
                    hold.c.released_at.is_(None),
                    hold_record.c.how != "removed",
                    hold_record.c.record_id.in_(page),
                )
            )
            out.update(str(r) for r in self._conn.execute(stmt).scalars())
        return out

    def requested_among(self, record_ids: Sequence[str], requests_since: datetime) -> set[str]:
        """Which of these records a request keeps (`request_held_ids`)."""
        out: set[str] = set()
        for page in chunks(record_ids):
            stmt = request_held_ids(requests_since).where(request_record.c.record_id.in_(page))
            out.update(str(r) for r in self._conn.execute(stmt).scalars())
        return out

    def erase(self, record_ids: Sequence[str]) -> None:
        """Delete everything of these records that holds sealed or identifying data: sealed
        parts, arrivals (their sealed locators), tags and tag removals, retention, and the
        redactions of their text. (Their index entries go through the index repository.)"""
        for page in chunks(record_ids):
            ids = list(page)
            for table in (sealed_part, arrival, record_tag, tag_override, retention):
                self._conn.execute(delete(table).where(table.c.record_id.in_(ids)))
            self._conn.execute(delete(redaction).where(redaction.c.record_id.in_(ids)))

    def request_notes(self, record_ids: Sequence[str]) -> list[tuple[str, str]]:
        """(request number, record id) of these records' places in requests that keep a
        sealed note (why the decision was made)."""
        out: list[tuple[str, str]] = []
        for page in chunks(record_ids):
            stmt = select(request_record.c.number, request_record.c.record_id).where(
                request_record.c.record_id.in_(page), request_record.c.note.is_not(None)
            )
            out += [(str(n), str(r)) for n, r in self._conn.execute(stmt)]
        return out

    def mark_destroyed(self, rows: list[RecordRow]) -> None:
        """Write destroyed records' rows: status, no wrapped key, no stored bytes, facts."""
        if not rows:
            return
        stmt = (
            update(record)
            .where(record.c.id == bindparam("b_id"))
            .values(
                status=bindparam("status"),
                wrapped_key=bindparam("wrapped_key"),
                stored_size=bindparam("stored_size"),
                facts=bindparam("facts"),
            )
        )
        self._conn.execute(
            stmt,
            [
                {
                    "b_id": r.id,
                    "status": r.status,
                    "wrapped_key": r.wrapped_key,
                    "stored_size": r.stored_size,
                    "facts": r.facts,
                }
                for r in rows
            ],
        )

    def key_ids(self, number: str) -> list[str]:
        """The keys that wrapped the data keys of a batch's destroyed records."""
        stmt = (
            select(record.c.kek_id)
            .join(disposition_record, disposition_record.c.record_id == record.c.id)
            .where(disposition_record.c.batch == number, disposition_record.c.state == "destroyed")
            .distinct()
        )
        return sorted(str(k) for k in self._conn.execute(stmt).scalars())

    # --- tombstones -----------------------------------------------------------------------

    def add_tombstones(self, rows: list[TombstoneRow]) -> None:
        if rows:
            self._conn.execute(insert(tombstone), [r.__dict__ for r in rows])

    def tombstone(self, record_id: str) -> TombstoneRow | None:
        r = self._conn.execute(select(tombstone).where(tombstone.c.record_id == record_id)).first()
        return _tombstone(r) if r else None

    def tombstones(self, number: str, after: str, limit: int) -> list[TombstoneRow]:
        """A batch's tombstones in record id order after `after`."""
        stmt = (
            select(tombstone)
            .where(tombstone.c.batch == number, tombstone.c.record_id > after)
            .order_by(tombstone.c.record_id)
            .limit(limit)
        )
        return [_tombstone(r) for r in self._conn.execute(stmt)]

    def destroyed_after(
        self, after: str, limit: int
    ) -> list[tuple[RecordRow, TombstoneRow | None]]:
        """Destroyed records in id order after `after`, each with its tombstone (None: it
        has none, which `verify` reports)."""
        from archiver.store.rows import record_row

        rows = self._conn.execute(
            select(record)
            .where(record.c.status == DESTROYED, record.c.id > after)
            .order_by(record.c.id)
            .limit(limit)
        ).all()
        recs = [record_row(r) for r in rows]
        stones: dict[str, TombstoneRow] = {}
        ids = [r.id for r in recs]
        for page in chunks(ids):
            for t in self._conn.execute(select(tombstone).where(tombstone.c.record_id.in_(page))):
                stones[t.record_id] = _tombstone(t)
        return [(r, stones.get(r.id)) for r in recs]

    def wanted(self, number: str, after: str, limit: int) -> list[tuple[str, bytes, int]]:
        """A batch's destroyed records in id order after `after`: (id, SHA-256, size), what
        the sources' copies of them are found by."""
        stmt = (
            select(tombstone.c.record_id, tombstone.c.sha256, tombstone.c.size)
            .where(tombstone.c.batch == number, tombstone.c.record_id > after)
            .order_by(tombstone.c.record_id)
            .limit(limit)
        )
        return [(str(r[0]), bytes(r[1]), int(r[2])) for r in self._conn.execute(stmt)]

    # --- copies the sources still hold --------------------------------------------------

    def note_copies(
        self, number: str, source: str, pending: dict[bytes, int], reason: str | None, now: datetime
    ) -> None:
        """Copies of a batch's records that `source` still holds: kept until `copies_done`."""
        if not pending:
            return
        self.copies_done(source, list(pending))  # noted again: the newest reason
        self._conn.execute(
            insert(disposition_copy),
            [
                {
                    "source": source,
                    "sha256": sha,
                    "size": size,
                    "batch": number,
                    "reason": (reason or "")[:300] or None,
                    "noted_at": now,
                }
                for sha, size in pending.items()
            ],
        )

    def pending_copies(self, source: str) -> dict[bytes, int]:
        """The copies `source` is still to remove: SHA-256 -> size."""
        rows = self._conn.execute(
            select(disposition_copy.c.sha256, disposition_copy.c.size).where(
                disposition_copy.c.source == source
            )
        )
        return {bytes(r[0]): int(r[1]) for r in rows}

    def copies_done(self, source: str, sha256s: Sequence[bytes]) -> None:
        for page in chunks(list(sha256s)):
            self._conn.execute(
                delete(disposition_copy).where(
                    disposition_copy.c.source == source, disposition_copy.c.sha256.in_(page)
                )
            )

    def copies_pending(self) -> dict[str, int]:
        """Per source, how many copies of destroyed records it still holds."""
        rows = self._conn.execute(
            select(disposition_copy.c.source, func.count()).group_by(disposition_copy.c.source)
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def remains(self, record_ids: Sequence[str]) -> dict[str, list[str]]:
        """What is still stored of these (destroyed) records that could be read or names
        someone: each record's list of what, empty if nothing."""
        out: dict[str, list[str]] = {rid: [] for rid in record_ids}
        what = (
            (sealed_part, "sealed parts"),
            (search_doc, "an index entry"),
            (record_tag, "student tags"),
            (tag_override, "tag removals"),
            (arrival, "arrivals (sealed locators)"),
            (retention, "a retention row"),
            (redaction, "redacted text"),
        )
        for page in chunks(record_ids):
            for table, label in what:
                stmt = select(table.c.record_id).where(table.c.record_id.in_(page)).distinct()
                for rid in self._conn.execute(stmt).scalars():
                    out[str(rid)].append(label)
        return out


def and_planned(number: str) -> list[Any]:
    """The conditions selecting a batch's planned records."""
    return [disposition_record.c.batch == number, disposition_record.c.state == "planned"]


class _WithCertificate:
    """A batch row read without its certificate (it can be megabytes), as `_batch` takes it."""

    def __init__(self, row: Any) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        if name == "certificate":
            return None
        return getattr(self._row, name)


def _when(value: Any) -> datetime | None:
    """A MIN/MAX of a time column (SQLite hands back text for aggregates)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return aware(value)
    return aware(datetime.fromisoformat(str(value)))
