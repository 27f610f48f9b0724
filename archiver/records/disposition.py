"""Disposition (DESIGN.md 9.6): destroying records whose retention has passed, in batches a
second person approves, leaving a tombstone per record and a signed certificate per batch.

A batch (`D-2027-003`: the year of the district's day it was planned, then its number in the
year) takes the records whose retention has passed by a day, of the series the schedule
destroys (`disposition = "destroy"`; a `review` series only when `plan --series` names it: the
records officer reviews those), that no open hold and no request keeps and that no other live
batch holds. The planner's summary per series (citation, approval, date ranges, counts,
volume) is what Form RMU-2 asks. Someone other than the planner approves it (`[disposition]
require_second_person`), with the Supervisor of Records' permit number where a series needs
RMU-2 approval.

Execution checks every record again (a hold or a request placed since planning, or a
retention that changed: the record is skipped, and the certificate says why), then destroys
the rest in transactions of `CHUNK` records: each record's sealed parts, wrapped data key,
index entry and postings, tags, arrivals (their sealed locators), retention and redacted text
go, its row says "destroyed", and a tombstone (id, SHA-256, size, series, sent and archived
dates, batch, destroyed at) is written, all in the transaction that marks it destroyed. A
process killed at any moment leaves every record either intact or destroyed, and the batch
"executing": running `execute` again finishes it. Then the copies the sources still hold
(each message polling filed in a source's archived or quarantine folder) are removed by their
SHA-256 (`ingest/copies.py`, given as `remove_copies`); those a source could not remove yet
are kept in the database and each poll cycle of that source tries again (`PendingStore`).
Then the keys are destroyed (the hook `_destroy_keys`) and the certificate is made (with what
was removed from each source and what is pending), signed with the archive's signing key, and
kept in the database.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from archiver.archive import audit, cohorts, facts
from archiver.clock import District
from archiver.crypto import signing
from archiver.crypto.keyring import Keyring
from archiver.crypto.notes import NoteSeal
from archiver.domain import (
    DESTROYED,
    BatchMemberRow,
    BatchRow,
    RecordRow,
    RetentionRow,
    TombstoneRow,
)
from archiver.errors import IntegrityError, UsageError
from archiver.records.schedule import Schedule, Series
from archiver.store.db import Store, Tx
from archiver.store.disposition import SeriesSummary

if TYPE_CHECKING:
    from archiver.ingest.copies import CopyReport

RemoveCopies = Callable[[Mapping[bytes, int]], "Sequence[CopyReport]"]

PLANNED = "planned"
APPROVED = "approved"
EXECUTING = "executing"
EXECUTED = "executed"
CANCELLED = "cancelled"
SKIPPED = "skipped"
METHOD = "cryptographic erasure"
FORMAT = "archiver-disposition-certificate/2"
# How the certificate names its tombstones: it is signed over a count and a SHA-256 of this
# listing (rebuilt from the database whenever it is written), so nothing that grows with the
# batch is held to sign it.
LISTING = (
    "one JSON object per destroyed record and line, in record id order, UTF-8, each line "
    "ending in a newline: id, sha256, size, series, sent_at, archived_at, batch, destroyed_at"
)
PAGE = 2000  # candidates read, checked and planned at a time
CHUNK = 250  # records destroyed per transaction
COPIES_PAGE = 5000  # destroyed records whose copies are looked for in one pass of each source
_NUMBER = re.compile(r"^D-(\d{4})-(\d{3,})$")
_PERMIT = re.compile(r"^[\w./:#() -]{1,64}$")

# Why a record is skipped at execution.
HOLD = "hold"
REQUEST = "request"
RETENTION = "retention"


def _same_person(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _destroy_keys(tx: Tx, ring: Keyring, key_ids: list[str]) -> list[str]:
    """Destroy, in `tx`, the disposal-cohort keys that wrapped the destroyed records' data keys
    (`key_ids`: the keys that wrapped them), and the retired keys of the same cohorts; the ids
    destroyed. A record of such a cohort that is not destroyed (held, skipped, in another
    batch) is first re-wrapped under its proper key, so it stays readable here; in a database
    backup made before, every record of a destroyed key is unreadable (DESIGN.md section 5).
    The key files are removed once `tx` has committed (`cohorts.finish_destroyed`). Records
    wrapped by the KEK (no retain-until day yet when they were destroyed) have no cohort key:
    nothing to destroy for them, and the certificate names no key."""
    doomed = sorted(cohorts.cohort_keys_among(tx, key_ids))
    for key_id in doomed:
        live = [r.id for r in tx.records.wrapped_by(key_id)]
        cohorts.rewrap_elsewhere(tx, ring, key_id, keep=live)
        cohorts.destroy_cohort_key(tx, ring, key_id)
    return doomed


@dataclass(frozen=True)
class SeriesView:
    """A batch's records of one series, with what the schedule says of the series."""

    summary: SeriesSummary
    series: Series | None  # None: a series the schedule no longer has

    @property
    def approval(self) -> str:
        """ "rmu-2", "none", or "rmu-2" for a series the schedule no longer has (the safe
        reading: the Supervisor's approval is the default, G.L. c.66 section 8)."""
        return self.series.approval if self.series else "rmu-2"

    def to_json(self) -> dict[str, object]:
        s = self.summary
        return {
            "code": s.series,
            "title": self.series.title if self.series else None,
            "citation": self.series.citation if self.series else None,
            "approval": self.approval,
            "disposition": self.series.disposition if self.series else None,
            "records": s.records,
            "bytes": s.size,
            "sent": {"first": _iso(s.first_sent), "last": _iso(s.last_sent)},
            "archived": {"first": _iso(s.first_archived), "last": _iso(s.last_archived)},
        }


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat() if when else None


@dataclass(frozen=True)
class BatchView:
    """A batch as `dispose show` tells it."""

    row: BatchRow
    counts: dict[str, int]  # records by state: planned, destroyed, skipped
    series: list[SeriesView]
    held: int | None = None  # planned records an open hold covers now (a live batch)
    requested: int | None = None  # ... and those a request keeps
    checked_on: date | None = None  # the day `held` and `requested` were counted
    skipped: list[BatchMemberRow] = field(default_factory=list)

    @property
    def needs_permit(self) -> list[str]:
        """The series of the batch whose destruction needs the Supervisor's approval."""
        return [s.summary.series for s in self.series if s.approval == "rmu-2"]

    @property
    def records(self) -> int:
        return sum(s.summary.records for s in self.series)

    @property
    def size(self) -> int:
        return sum(s.summary.size for s in self.series)

    def certifiable(self) -> bool:
        """Whether nothing is pending for the batch's planned records: no hold, no request."""
        return not self.held and not self.requested

    def to_json(self) -> dict[str, object]:
        r = self.row
        out: dict[str, object] = {
            "batch": r.number,
            "state": r.state,
            "by": r.by_day.isoformat(),
            "series_asked": r.series,
            "planned_at": r.planned_at.isoformat(),
            "planned_by": r.planned_by,
            "approved_at": _iso(r.approved_at),
            "approved_by": r.approved_by,
            "permit": r.permit,
            "started_at": _iso(r.started_at),
            "executed_at": _iso(r.executed_at),
            "cancelled_at": _iso(r.cancelled_at),
            "cancelled_by": r.cancelled_by,
            "records": self.records,
            "bytes": self.size,
            "counts": {k: self.counts.get(k, 0) for k in (PLANNED, DESTROYED, SKIPPED)},
            "series": [s.to_json() for s in self.series],
            "needs_permit": self.needs_permit,
            "skipped": [
                {"id": m.record_id, "reason": m.reason, "detail": m.detail} for m in self.skipped
            ],
        }
        if self.checked_on is not None:
            out["certification"] = {
                "checked_on": self.checked_on.isoformat(),
                "held": self.held,
                "requested": self.requested,
                "nothing_pending": self.certifiable(),
            }
        return out


@dataclass(frozen=True)
class Executed:
    """What `dispose execute` did (or, run again, had done)."""

    batch: str
    destroyed: int
    skipped: list[BatchMemberRow]
    certificate_sha256: str
    already: bool = False  # executed before this run: nothing was done now

    def to_json(self) -> dict[str, object]:
        return {
            "batch": self.batch,
            "destroyed": self.destroyed,
            "skipped": [
                {"id": m.record_id, "reason": m.reason, "detail": m.detail} for m in self.skipped
            ],
            "certificate_sha256": self.certificate_sha256,
            "already_executed": self.already,
        }


@dataclass(frozen=True)
class Certificate:
    """An executed batch's certificate: the signed JSON, its signature and the public key."""

    batch: str
    data: bytes
    signature: bytes
    key_id: str
    public_key: bytes
    # The tombstone listing the certificate is signed over, read from the database a page at
    # a time (`Disposal.tombstone_lines`): each call reads it again.
    listing: Callable[[], Iterator[bytes]]

    def listed(self) -> tuple[int, str]:
        """The count and SHA-256 (hex) of the tombstone listing the certificate names."""
        stones = self.document().get("tombstones")
        if not isinstance(stones, dict):
            raise IntegrityError(f"batch {self.batch}: its certificate names no tombstone listing")
        return int(stones["count"]), str(stones["sha256"])

    def document(self) -> dict[str, Any]:
        doc = json.loads(self.data)
        if not isinstance(doc, dict):
            raise IntegrityError(f"batch {self.batch}: its certificate is not a JSON object")
        return doc


class Disposal:
    """Disposition batches of one archive: plan, show, approve, cancel, execute, certify."""

    def __init__(
        self,
        db: Store,
        ring: Keyring,
        schedule: Schedule,
        district: District,
        requests_since: Callable[[date], datetime],
        require_second_person: bool,
        organization: str,
        remove_copies: RemoveCopies | None = None,
    ) -> None:
        self.db = db
        self.ring = ring
        self.schedule = schedule
        self.district = district
        self.requests_since = requests_since
        self.require_second_person = require_second_person
        self.organization = " ".join(organization.split())
        self.remove_copies = remove_copies  # None: no source to clean (an archive of imports)

    # --- plan ------------------------------------------------------------------------------

    def _scope(self, code: str | None) -> tuple[list[str], tuple[str, ...]]:
        """The series and dispositions a batch takes: every series the schedule destroys, or
        the one asked for (a review series too: naming it is the officer's review)."""
        if code is None:
            codes = [s.code for s in self.schedule.series.values() if s.disposition == "destroy"]
            return codes, ("destroy",)
        series = self.schedule.series.get(code)
        if series is None:
            known = ", ".join(self.schedule.series)
            raise UsageError(f"--series {code}: not in the schedule ({known})")
        if series.disposition == "permanent":
            raise UsageError(f"--series {code}: the schedule keeps it permanently")
        return [code], ("destroy", "review")

    def plan(self, by: date | None, code: str | None, actor: str) -> tuple[str | None, int]:
        """Make a batch of the records eligible by `by` (default: today); its number and how
        many records it holds ((None, 0): nothing is eligible, no batch is made). Each
        record's retention is checked (IntegrityError, exit 3, if altered)."""
        codes, dispositions = self._scope(code)
        with self.db.transaction() as tx:
            today = self.district.day_of(tx.now)
            day = by or today
            year = today.year
            seq = tx.disposition.last_seq(year) + 1
            number = f"D-{year}-{seq:03d}"
            row = BatchRow(number, year, seq, PLANNED, day, code, tx.now, actor)
            tx.disposition.add(facts.seal_batch(self.ring, row))
            since = self.requests_since(today)
            total, after = 0, ""
            while True:
                page = tx.disposition.candidates(
                    day, codes, dispositions, since, after, PAGE, number
                )
                if not page:
                    break
                members = []
                for kept in page:
                    # Its dates decide: an edited one must not plan a record early. (The
                    # record's own facts are checked when it is destroyed.)
                    facts.check(facts.retention_problem(self.ring, kept))
                    members.append(
                        facts.seal_batch_member(
                            self.ring, BatchMemberRow(number, kept.record_id, kept.series, PLANNED)
                        )
                    )
                tx.disposition.add_members(members)
                total += len(page)
                after = page[-1].record_id
            if not total:
                tx.disposition.remove(number)
                audit.append(
                    tx,
                    self.ring,
                    "dispose.plan",
                    details={"batch": None, "records": 0, "by": day.isoformat(), "series": code},
                    actor=actor,
                )
                return None, 0
            audit.append(
                tx,
                self.ring,
                "dispose.plan",
                target=number,
                details={"records": total, "by": day.isoformat(), "series": code},
                actor=actor,
            )
        return number, total

    # --- reading ---------------------------------------------------------------------------

    def _batch(self, tx: Tx, number: str, lock: bool = False) -> BatchRow:
        """The batch `number` (facts checked); UsageError if there is none."""
        clean = number.strip().upper()
        if not _NUMBER.match(clean):
            raise UsageError(f"{number!r} is not a batch number (they read like D-2027-003)")
        row = tx.disposition.get(clean, lock)
        if row is None:
            raise UsageError(f"no disposition batch {clean} (see `archiver dispose list`)")
        facts.check(facts.batch_problem(self.ring, row))
        return row

    def _view(self, tx: Tx, row: BatchRow) -> BatchView:
        series = [
            SeriesView(s, self.schedule.series.get(s.series))
            for s in tx.disposition.summary(row.number)
        ]
        counts = tx.disposition.member_counts(row.number)
        skipped = tx.disposition.members(row.number, SKIPPED)
        for m in skipped:
            facts.check(facts.batch_member_problem(self.ring, m))
        if row.state in (PLANNED, APPROVED, EXECUTING):
            today = self.district.day_of(tx.now)
            held, requested = tx.disposition.kept_among(row.number, self.requests_since(today))
            return BatchView(row, counts, series, held, requested, today, skipped)
        return BatchView(row, counts, series, skipped=skipped)

    def show(self, number: str, actor: str) -> BatchView:
        """A batch with its summary per series and, while it is not executed, how many of its
        records a hold or a request keeps now. Audited."""
        with self.db.transaction() as tx:
            row = self._batch(tx, number)
            view = self._view(tx, row)
            audit.append(tx, self.ring, "dispose.show", target=row.number, actor=actor)
        return view

    def listed(self, actor: str) -> list[tuple[BatchRow, dict[str, int]]]:
        """Every batch, newest first, with its records by state. Audited."""
        with self.db.transaction() as tx:
            rows = tx.disposition.listed()
            out = [(r, tx.disposition.member_counts(r.number)) for r in rows]
            audit.append(tx, self.ring, "dispose.list", details={"batches": len(out)}, actor=actor)
        return out

    # --- approve, cancel -------------------------------------------------------------------

    def approve(self, number: str, permit: str | None, actor: str) -> BatchView:
        """Approve a planned batch: by someone other than its planner (unless `[disposition]
        require_second_person = false`), with the permit number when a series needs RMU-2
        approval. UsageError (exit 2) naming what is wrong."""
        permit = " ".join((permit or "").split()) or None
        if permit is not None and not _PERMIT.match(permit):
            raise UsageError(
                f"--permit {permit!r}: a permit number is at most 64 letters, digits, spaces "
                "and . / : # ( ) -"
            )
        with self.db.transaction() as tx:
            row = self._batch(tx, number, lock=True)
            if row.state != PLANNED:
                raise UsageError(_not_plannable(row))
            if self.require_second_person and _same_person(actor, row.planned_by):
                raise UsageError(
                    f"batch {row.number} was planned by {row.planned_by}: another person must "
                    "approve it ([disposition] require_second_person = true)"
                )
            view = self._view(tx, row)
            if view.needs_permit and permit is None:
                raise UsageError(
                    f"batch {row.number} holds series whose destruction needs the Supervisor "
                    f"of Records' approval (Form RMU-2): {', '.join(view.needs_permit)}: give "
                    "the permit number (--permit NUMBER)"
                )
            row = facts.seal_batch(
                self.ring,
                replace(row, state=APPROVED, approved_at=tx.now, approved_by=actor, permit=permit),
            )
            tx.disposition.put(row)
            audit.append(
                tx,
                self.ring,
                "dispose.approve",
                target=row.number,
                details={"permit": permit, "records": view.records, "rmu2": view.needs_permit},
                actor=actor,
            )
            return replace(view, row=row)

    def cancel(self, number: str, reason: str, actor: str) -> BatchRow:
        """Cancel a batch not yet executing (the Supervisor refused it, or it was planned
        wrong): its records are free for another batch. The reason is kept sealed."""
        if not reason.strip():
            raise UsageError("say why (--reason)")
        with self.db.transaction() as tx:
            row = self._batch(tx, number, lock=True)
            if row.state not in (PLANNED, APPROVED):
                raise UsageError(f"batch {row.number} is {row.state}: it cannot be cancelled")
            note = NoteSeal(self.ring).seal(f"batch {row.number}", "cancel", reason)
            row = facts.seal_batch(
                self.ring,
                replace(
                    row, state=CANCELLED, cancelled_at=tx.now, cancelled_by=actor, cancel_note=note
                ),
            )
            tx.disposition.put(row)
            audit.append(tx, self.ring, "dispose.cancel", target=row.number, actor=actor)
        return row

    # --- execute ---------------------------------------------------------------------------

    def execute(
        self, number: str, actor: str, progress: Callable[[int], None] | None = None
    ) -> Executed:
        """Destroy an approved batch's records (see the module's docstring); resumes an
        execution that was interrupted; run on an executed batch, changes nothing and says
        what it did. UsageError for a batch not approved, or before its day."""
        key_id, _ = self.ring.signing_key()  # no signing key: refused before anything goes
        with self.db.transaction() as tx:
            row = self._batch(tx, number, lock=True)
            if row.state == EXECUTED:
                already = self._executed(tx, row, already=True)
            else:
                row = self._start(tx, row, actor, key_id)
                already = None
        if already is not None:  # a run killed after its commit left key files: remove them
            cohorts.finish_destroyed(self.db, self.ring.keys_dir)
            return already
        done = 0
        after: tuple[int | None, str] = (0, "")
        while True:  # a page of planned ids at a time: nothing held grows with the batch
            with self.db.transaction() as tx:
                page = tx.disposition.planned_page(row.number, after, PAGE)
            if not page:
                break
            after = (page[-1][1], page[-1][0])
            ids = [rid for rid, _ in page]
            for start in range(0, len(ids), CHUNK):
                with self.db.transaction() as tx:
                    self._destroy_chunk(tx, row, ids[start : start + CHUNK])
                done += len(ids[start : start + CHUNK])
                if progress:
                    progress(done)
        copies = self._copies(row.number)
        listed = _digest(self.tombstone_lines(row.number))  # every chunk is committed
        with self.db.transaction() as tx:
            result = self._finish(tx, row.number, actor, listed, copies)
        cohorts.finish_destroyed(self.db, self.ring.keys_dir)  # the key files, once committed
        return result

    def _start(self, tx: Tx, row: BatchRow, actor: str, key_id: str) -> BatchRow:
        """Mark an approved batch executing (or say an execution resumes), as it now is:
        UsageError for a batch not approved, or before its day."""
        if row.state not in (APPROVED, EXECUTING):
            raise UsageError(_not_executable(row))
        today = self.district.day_of(tx.now)
        if today < row.by_day:
            raise UsageError(
                f"batch {row.number} takes records whose retention passes by {row.by_day}: "
                f"execute it on or after that day"
            )
        resumed = row.state == EXECUTING
        if not resumed:
            row = facts.seal_batch(self.ring, replace(row, state=EXECUTING, started_at=tx.now))
            tx.disposition.put(row)
        audit.append(
            tx,
            self.ring,
            "dispose.execute.start",
            target=row.number,
            details={"resumed": resumed, "signing_key": key_id},
            actor=actor,
        )
        return row

    def _scope_of(self, row: BatchRow) -> tuple[list[str], tuple[str, ...]]:
        """The series and dispositions the batch still takes at execution (the schedule may
        have changed since planning: a series it keeps now is not destroyed)."""
        try:
            return self._scope(row.series)
        except UsageError:
            return [], ()

    def _destroy_chunk(self, tx: Tx, batch: BatchRow, ids: list[str]) -> None:
        """Check these planned records again and destroy those still eligible, in `tx`."""
        # The batch row locked first: two runs of one batch on PostgreSQL take its chunks in
        # turn, and the second finds them done (SQLite's write lock does this already).
        tx.disposition.get(batch.number, lock=True)
        members = {
            m.record_id: m
            for m in tx.disposition.members_of(batch.number, ids)
            if m.state == PLANNED  # done by a run that was killed after committing it
        }
        if not members:
            return
        for m in members.values():
            facts.check(facts.batch_member_problem(self.ring, m))
        wanted = sorted(members)
        records = tx.records.by_id(wanted)
        kept = tx.retention.rows(wanted)
        today = self.district.day_of(tx.now)
        held = tx.disposition.held_among(wanted)
        requested = tx.disposition.requested_among(wanted, self.requests_since(today))
        codes, dispositions = self._scope_of(batch)
        done: list[BatchMemberRow] = []
        doomed: list[tuple[RecordRow, RetentionRow]] = []
        for rid in wanted:
            rec = records[rid]
            facts.check(facts.record_problem(self.ring, rec))
            retention = kept.get(rid)
            if retention is not None:
                facts.check(facts.retention_problem(self.ring, retention))
            why = _skip(rec, retention, rid in held, rid in requested, today, codes, dispositions)
            m = members[rid]
            if why is not None:
                done.append(replace(m, state=SKIPPED, reason=why[0], detail=why[1]))
            elif retention is not None:
                done.append(replace(m, state=DESTROYED))
                doomed.append((rec, retention))
        self._erase(tx, batch.number, doomed)
        tx.disposition.set_members([facts.seal_batch_member(self.ring, m) for m in done])

    def _erase(self, tx: Tx, number: str, doomed: list[tuple[RecordRow, RetentionRow]]) -> None:
        """Destroy these records in `tx`: everything readable of them goes, a tombstone and
        their row (status destroyed, no wrapped key) stay."""
        if not doomed:
            return
        ids = [rec.id for rec, _ in doomed]
        tx.index.remove(ids)
        for number_of, rid in tx.disposition.request_notes(ids):
            m = tx.requests.member(number_of, rid)
            if m is not None:  # its decision stays in the request; why (sealed) does not
                tx.requests.put_member(facts.seal_request_member(self.ring, replace(m, note=None)))
        tx.disposition.erase(ids)
        tx.disposition.add_tombstones(
            [
                facts.seal_tombstone(
                    self.ring,
                    TombstoneRow(
                        rec.id,
                        rec.sha256,
                        rec.size,
                        kept.series,
                        rec.sent_at,
                        rec.archived_at,
                        number,
                        tx.now,
                    ),
                )
                for rec, kept in doomed
            ]
        )
        tx.disposition.mark_destroyed(
            [
                facts.seal_record(
                    self.ring, replace(rec, status=DESTROYED, wrapped_key=b"", stored_size=0)
                )
                for rec, _ in doomed
            ]
        )

    def _copies(self, number: str) -> list[dict[str, object]] | None:
        """Remove the copies the sources hold of a batch's destroyed records; keep those a
        source still holds (each poll cycle tries again); per source, what was removed and
        what is pending, for the certificate. None without sources to clean."""
        if self.remove_copies is None:
            return None
        # A page of hashes at a time (each page one pass over each source): what is held does
        # not grow with the batch.
        totals: dict[str, tuple[int, int, str | None]] = {}
        after = ""
        while True:
            with self.db.transaction() as tx:
                page = tx.disposition.wanted(number, after, COPIES_PAGE)
            if not page:
                break
            after = page[-1][0]
            wanted = {sha: size for _, sha, size in page}
            reports = self.remove_copies(wanted)
            with self.db.transaction() as tx:
                for r in reports:
                    pending = {sha: wanted[sha] for sha in r.pending if sha in wanted}
                    tx.disposition.note_copies(number, r.source, pending, r.reason, tx.now)
                    removed, waiting, reason = totals.get(r.source, (0, 0, None))
                    totals[r.source] = (
                        removed + r.removed_count,
                        waiting + len(pending),
                        (r.reason if pending else None) or reason,
                    )
        return [
            {"source": name, "removed": removed, "pending": waiting, "reason": reason}
            for name, (removed, waiting, reason) in totals.items()
        ]

    def _finish(
        self,
        tx: Tx,
        number: str,
        actor: str,
        listed: tuple[int, str],
        copies: list[dict[str, object]] | None = None,
    ) -> Executed:
        """Destroy the keys, make and sign the certificate, mark the batch executed."""
        row = self._batch(tx, number, lock=True)
        if row.state == EXECUTED:  # another run finished it meanwhile
            return self._executed(tx, row, already=True)
        destroyed_keys = _destroy_keys(tx, self.ring, tx.disposition.key_ids(row.number))
        key_id, private = self.ring.signing_key()
        row = replace(row, state=EXECUTED, executed_at=tx.now)
        data = self._certificate(
            tx, row, key_id, signing.public_key(private), destroyed_keys, listed, copies
        )
        row = facts.seal_batch(
            self.ring,
            replace(
                row, certificate=data, signature=signing.sign(private, data), signing_key=key_id
            ),
        )
        tx.disposition.put(row)
        result = self._executed(tx, row)
        audit.append(
            tx,
            self.ring,
            "dispose.execute",
            target=row.number,
            details={
                "destroyed": result.destroyed,
                "skipped": len(result.skipped),
                "certificate_sha256": result.certificate_sha256,
                "signing_key": key_id,
                "keys_destroyed": destroyed_keys,
            },
            actor=actor,
        )
        return result

    def _executed(self, tx: Tx, row: BatchRow, already: bool = False) -> Executed:
        counts = tx.disposition.member_counts(row.number)
        skipped = tx.disposition.members(row.number, SKIPPED)
        digest = hashlib.sha256(row.certificate or b"").hexdigest()
        return Executed(row.number, counts.get(DESTROYED, 0), skipped, digest, already)

    def _certificate(
        self,
        tx: Tx,
        row: BatchRow,
        key_id: str,
        public: bytes,
        keys: list[str],
        listed: tuple[int, str],
        copies: list[dict[str, object]] | None = None,
    ) -> bytes:
        """The certificate's JSON: what the batch was, who planned and approved it, the
        method, the counts, the summary per series, every record skipped and why, and the
        count and SHA-256 of the tombstone listing (a batch can hold 100,000 of them)."""
        view = self._view(tx, row)
        head: dict[str, object] = {
            "format": FORMAT,
            "organization": self.organization,
            "batch": row.number,
            "eligible_by": row.by_day.isoformat(),
            "series_asked": row.series,
            "planned": {"at": _iso(row.planned_at), "by": row.planned_by},
            "approved": {"at": _iso(row.approved_at), "by": row.approved_by, "permit": row.permit},
            "executed": {"started_at": _iso(row.started_at), "finished_at": _iso(row.executed_at)},
            "method": METHOD,
            "method_detail": (
                "each record's sealed parts (the encrypted message and its metadata) and its "
                "wrapped data key were deleted, with its search index entry and postings, "
                "student tags, arrivals (sealed locators), retention and redacted text"
            ),
            "keys_destroyed": keys,
            # Copies polling had filed in the sources: per source, removed now, and pending
            # (the source could not be reached or refused: each poll cycle tries again).
            "source_copies": copies,
            "signing_key": {"id": key_id, "algorithm": "Ed25519", "public_key": public.hex()},
            "counts": {
                "planned": view.counts.get(DESTROYED, 0) + view.counts.get(SKIPPED, 0),
                "destroyed": view.counts.get(DESTROYED, 0),
                "skipped": view.counts.get(SKIPPED, 0),
                "bytes": view.size,
            },
            "series": [s.to_json() for s in view.series],
            "skipped": [
                {"id": m.record_id, "reason": m.reason, "detail": m.detail} for m in view.skipped
            ],
            "tombstones": {"count": listed[0], "sha256": listed[1], "listing": LISTING},
        }
        return (json.dumps(head, indent=2, ensure_ascii=False) + "\n").encode()

    def tombstone_lines(self, number: str) -> Iterator[bytes]:
        """An executed batch's tombstone listing (`LISTING`), each tombstone's facts checked
        (IntegrityError if one was altered); a page per transaction, nothing held."""
        after = ""
        while True:
            with self.db.transaction() as tx:
                page = tx.disposition.tombstones(number, after, PAGE)
            if not page:
                return
            for stone in page:
                facts.check(facts.tombstone_problem(self.ring, stone))
                yield json.dumps(stone.to_json(), ensure_ascii=False).encode() + b"\n"
            after = page[-1].record_id

    # --- the certificate -------------------------------------------------------------------

    def certificate(self, number: str, actor: str, written: str | None = None) -> Certificate:
        """An executed batch's certificate, its signature checked against the key that made
        it and the tombstone listing it names read again (IntegrityError if either was
        altered). Audited (`written`: where it is being written, if it is)."""
        with self.db.transaction() as tx:
            row = self._batch(tx, number)
        if row.state != EXECUTED or row.certificate is None:
            raise UsageError(
                f"batch {row.number} is {row.state}: a certificate is made when it is executed"
            )
        key_id = row.signing_key or ""
        public = signing.public_key(self.ring.material(key_id))
        if not signing.valid(public, row.signature or b"", row.certificate):
            raise IntegrityError(
                f"batch {row.number}: its certificate does not match its signature by key "
                f"{key_id} (changed outside the archiver)"
            )
        cert = Certificate(
            row.number,
            row.certificate,
            row.signature or b"",
            key_id,
            public,
            lambda: self.tombstone_lines(row.number),
        )
        check_listing(cert, _digest(cert.listing()))
        with self.db.transaction() as tx:
            audit.append(
                tx,
                self.ring,
                "dispose.certificate",
                target=row.number,
                details={
                    "certificate_sha256": hashlib.sha256(row.certificate).hexdigest(),
                    "written": written,
                },
                actor=actor,
            )
        return cert

    # --- destroyed records -----------------------------------------------------------------

    def tombstone(self, record_id: str, actor: str) -> TombstoneRow:
        """The tombstone of a destroyed record (its facts checked); UsageError if the record
        is not destroyed or unknown. Audited as a `show` of the tombstone."""
        with self.db.transaction() as tx:
            rec = tx.records.get(record_id, destroyed=True)
            stone = tx.disposition.tombstone(rec.id)
            if rec.status != DESTROYED or stone is None:
                if rec.status != DESTROYED:
                    raise UsageError(f"record {rec.id} is not destroyed")
                raise IntegrityError(
                    f"record {rec.id} is marked destroyed but has no tombstone (changed outside "
                    "the archiver)"
                )
            facts.check(facts.record_problem(self.ring, rec))
            facts.check(facts.tombstone_problem(self.ring, stone))
            audit.append(
                tx, self.ring, "show", target=rec.id, details={"view": "tombstone"}, actor=actor
            )
        return stone


def check_listing(cert: Certificate, found: tuple[int, str]) -> None:
    """IntegrityError unless `found` (the count and SHA-256 of a tombstone listing read) is
    the listing the certificate names."""
    if found != cert.listed():
        raise IntegrityError(
            f"batch {cert.batch}: its tombstones ({found[0]}, SHA-256 {found[1]}) are not the "
            f"{cert.listed()[0]} its certificate names (changed outside the archiver)"
        )


def _digest(lines: Iterator[bytes]) -> tuple[int, str]:
    """The count and SHA-256 (hex) of a listing's lines."""
    h, n = hashlib.sha256(), 0
    for line in lines:
        h.update(line)
        n += 1
    return n, h.hexdigest()


def _skip(
    rec: RecordRow,
    kept: RetentionRow | None,
    held: bool,
    requested: bool,
    today: date,
    codes: list[str],
    dispositions: tuple[str, ...],
) -> tuple[str, str] | None:
    """Why a planned record is not destroyed now ((reason, detail)), or None."""
    if rec.status == DESTROYED:
        return RETENTION, "destroyed already"
    if held:
        return HOLD, "an open legal hold covers it"
    if requested:
        return REQUEST, "a request keeps it (open, or closed within its appeal window)"
    if kept is None:
        return RETENTION, "it has no retention now (run `archiver retention apply`)"
    if kept.retain_until is None:
        what = "permanent" if kept.disposition == "permanent" else "pending an event"
        return RETENTION, f"its retention is {what} now"
    if kept.retain_until > today:
        return RETENTION, f"its retention now runs until {kept.retain_until}"
    if kept.series not in codes or kept.disposition not in dispositions:
        return RETENTION, f"it is in series {kept.series} ({kept.disposition}) now"
    return None


def _not_plannable(row: BatchRow) -> str:
    if row.state == APPROVED:
        return (
            f"batch {row.number} was approved already, by {row.approved_by} on "
            f"{row.approved_at:%Y-%m-%d}"
        )
    return f"batch {row.number} is {row.state}: only a planned batch is approved"


def _not_executable(row: BatchRow) -> str:
    if row.state == PLANNED:
        return (
            f"batch {row.number} is not approved yet: `archiver dispose approve {row.number}` "
            "(by another person, with --permit where RMU-2 approval is needed)"
        )
    return f"batch {row.number} is {row.state}: it cannot be executed"


class PendingStore:
    """The copies of destroyed records a source still holds, kept in the database: what each
    poll cycle of that source tries again to remove (`ingest.copies.PendingCopies`)."""

    def __init__(self, db: Store) -> None:
        self.db = db

    def pending(self, source: str) -> Mapping[bytes, int]:
        with self.db.transaction() as tx:
            return tx.disposition.pending_copies(source)

    def done(self, source: str, sha256s: Collection[bytes]) -> None:
        with self.db.transaction() as tx:
            tx.disposition.copies_done(source, list(sha256s))
