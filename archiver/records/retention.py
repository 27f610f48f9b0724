"""Retention (DESIGN.md section 9.1): every record knows its series and how long it is kept.

The schedule's rules are tried in order and the first that matches places a record in a
series; the series' trigger and period give the day its retention ends. Classification runs
at ingest (in the record's transaction), when a record's tags change, when the roster brings
or changes a student's exit date, and for the whole archive by `retention apply` (after the
schedule changed, or to classify an archive written before retention existed). A series chosen
by hand is kept: rules never overwrite it, though its dates follow its students' exits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from archiver.archive import audit, cohorts, facts
from archiver.archive.roster import RosterSeal
from archiver.clock import District
from archiver.crypto.keyring import Keyring
from archiver.crypto.notes import NoteSeal
from archiver.domain import NewRecord, RecordRow, RetentionRow, SearchRequest
from archiver.errors import UsageError
from archiver.records.holds import holds_of
from archiver.records.schedule import MANUAL, Rule, Schedule, Series, retain_until, trigger_day
from archiver.store.db import Store, Tx
from archiver.store.retention import ApplyState, SeriesCounts

if TYPE_CHECKING:
    from archiver.store.search import TermQuery

PAGE = 2000  # records classified per transaction by `retention apply`


@dataclass(frozen=True)
class RecordFacts:
    """What a rule can look at: plaintext facts of a record (its words are matched apart)."""

    record_id: str
    status: str
    sent_day: date  # the district's day it was sent (archived, when it has no date)
    sources: frozenset[str]
    tags: dict[int, str]  # student row id -> tag source


def _facts_of(
    row: RecordRow, district: District, sources: Iterable[str], tags: dict[int, str]
) -> RecordFacts:
    when = row.sent_at or row.archived_at
    return RecordFacts(row.id, row.status, district.day_of(when), frozenset(sources), tags)


@dataclass(frozen=True)
class _TermCondition:
    """A rule's conditions on words and addresses, in index terms: all of `words`, and one of
    each of `forwarder` and `participant` when given."""

    words: TermQuery | None
    forwarder: tuple[TermQuery, ...]
    participant: tuple[TermQuery, ...]

    def matches(self, terms: frozenset[int]) -> bool:
        def one(q: TermQuery) -> bool:
            return set(q.required) <= terms and not set(q.excluded) & terms

        if self.words is not None and not one(self.words):
            return False
        if self.forwarder and not any(one(q) for q in self.forwarder):
            return False
        return not (self.participant and not any(one(q) for q in self.participant))

    def ids(self, tx: Tx) -> set[str]:
        """Every record that meets these conditions."""
        found: set[str] | None = None
        if self.words is not None:
            found = set(tx.index.find(self.words, 0, None).ids)
        for group in (self.forwarder, self.participant):
            if group:
                union = {rid for q in group for rid in tx.index.find(q, 0, None).ids}
                found = union if found is None else found & union
        return found or set()


class Classifier:
    """A schedule ready to classify records: its rules' word and address conditions made into
    index terms under the current index key."""

    def __init__(
        self,
        tx: Tx,
        ring: Keyring,
        schedule: Schedule,
        district: District,
        school_year_end: tuple[int, int],
    ) -> None:
        self.schedule = schedule
        self.district = district
        self.school_year_end = school_year_end
        # Search loads here, not with the module: `show` reads retention without classifying.
        from archiver.archive.search import term_query

        self.key_id = ring.index_key()[0]
        self._terms: dict[str, _TermCondition] = {}
        for rule in schedule.rules:
            w = rule.when
            if not (w.words or w.forwarder or w.participant):
                continue

            def query(req: SearchRequest) -> TermQuery:
                return term_query(tx, ring, req, district)

            self._terms[rule.name] = _TermCondition(
                words=query(SearchRequest(query=w.words)) if w.words else None,
                forwarder=tuple(query(SearchRequest(forwarder=a)) for a in w.forwarder),
                participant=tuple(query(SearchRequest(participant=a)) for a in w.participant),
            )

    @property
    def has_term_rules(self) -> bool:
        return bool(self._terms)

    def term_hits(self, tx: Tx) -> dict[str, set[str]]:
        """For each rule with word or address conditions, every record meeting them."""
        return {name: cond.ids(tx) for name, cond in self._terms.items()}

    def _rule(
        self, rec: RecordFacts, terms: frozenset[int] | None, hits: dict[str, set[str]] | None
    ) -> Rule:
        for rule in self.schedule.rules:
            w = rule.when
            if w.status is not None and rec.status != w.status:
                continue
            if w.students == "any" and not rec.tags:
                continue
            if w.students == "none" and rec.tags:
                continue
            if w.tag_sources and not set(rec.tags.values()) & set(w.tag_sources):
                continue
            if w.sources and not rec.sources & set(w.sources):
                continue
            cond = self._terms.get(rule.name)
            if cond is not None:
                if terms is not None:
                    if not cond.matches(terms):
                        continue
                elif hits is None or rec.record_id not in hits.get(rule.name, set()):
                    continue
            return rule
        return self.schedule.rules[-1]  # the default (a schedule's last rule has no conditions)

    def dates(
        self, series: Series, rec: RecordFacts, exits: dict[int, date | None]
    ) -> tuple[date | None, date | None]:
        """A record's trigger day and retain-until day in a series."""
        trigger = trigger_day(
            series, rec.sent_day, [exits.get(s) for s in rec.tags], self.school_year_end
        )
        return trigger, retain_until(series, trigger)

    def classify(
        self,
        rec: RecordFacts,
        exits: dict[int, date | None],
        now: datetime,
        old: RetentionRow | None = None,
        terms: frozenset[int] | None = None,
        hits: dict[str, set[str]] | None = None,
    ) -> RetentionRow:
        """The retention a record gets now (unsealed). A series chosen by hand stays; only its
        dates follow the facts."""
        if old is not None and old.rule == MANUAL and old.series in self.schedule.series:
            series = self.schedule.get(old.series)
            trigger, until = self.dates(series, rec, exits)
            return replace(
                old,
                trigger_date=trigger,
                retain_until=until,
                limit=series.limit,
                disposition=series.disposition,
            )
        rule = self._rule(rec, terms, hits)
        series = self.schedule.get(rule.series)
        trigger, until = self.dates(series, rec, exits)
        return RetentionRow(
            record_id=rec.record_id,
            series=series.code,
            rule=rule.name,
            trigger_date=trigger,
            retain_until=until,
            limit=series.limit,
            disposition=series.disposition,
            classified_at=now,
        )


def _same(a: RetentionRow, b: RetentionRow) -> bool:
    """Whether two classifications say the same (when and who aside)."""
    keys = ("series", "rule", "trigger_date", "retain_until", "limit", "disposition")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def earlier(old: RetentionRow | None, new: RetentionRow) -> bool:
    """Whether `new` lets a record go sooner than `old` did (a first classification does not)."""
    if old is None or new.retain_until is None:
        return False
    return old.retain_until is None or new.retain_until < old.retain_until


def _exits(tx: Tx, tags: Iterable[dict[int, str]]) -> dict[int, date | None]:
    ids = sorted({s for t in tags for s in t})
    return tx.roster.exit_dates(ids)


def _tags(tx: Tx, ids: list[str]) -> dict[str, dict[int, str]]:
    out: dict[str, dict[int, str]] = {rid: {} for rid in ids}
    for t in tx.roster.tag_rows(ids):
        out[t.record_id][t.student_id] = t.source
    return out


def _changes(
    tx: Tx,
    c: Classifier,
    rows: list[RecordRow],
    hits: dict[str, set[str]] | None,
) -> list[tuple[RetentionRow | None, RetentionRow]]:
    """Each of these records whose classification is new or differs now: (old, new)."""
    ids = [r.id for r in rows]
    tags = _tags(tx, ids)
    sources = tx.retention.sources_of(ids)
    exits = _exits(tx, tags.values())
    old = tx.retention.rows(ids)
    out = []
    for row in rows:
        rec = _facts_of(row, c.district, sources.get(row.id, ()), tags[row.id])
        before = old.get(row.id)
        new = c.classify(rec, exits, tx.now, before, hits=hits)
        if before is None or not _same(before, new):
            out.append((before, new))
    return out


def _put(tx: Tx, ring: Keyring, rows: list[RetentionRow]) -> None:
    """Store records' new retention and, in the same transaction, wrap their data keys by
    the key it calls for (their disposal cohort's, or the KEK)."""
    tx.retention.put(rows)
    cohorts.place(tx, ring, rows)


# --- Ingest ---------------------------------------------------------------------------------


class Intake:
    """Records management's part of ingest, in the transaction that writes new records: each
    is classified, and caught by every open hold whose criteria it matches."""

    def __init__(
        self,
        ring: Keyring,
        schedule: Schedule,
        district: District,
        school_year_end: tuple[int, int],
        holds: Callable[[Tx, list[NewRecord]], int],
    ) -> None:
        self.ring = ring
        self.schedule = schedule
        self.district = district
        self.school_year_end = school_year_end
        self.catch = holds
        self._classifier: Classifier | None = None

    def classifier(self, tx: Tx) -> Classifier:
        if self._classifier is None or self._classifier.key_id != self.ring.index_key()[0]:
            self._classifier = Classifier(
                tx, self.ring, self.schedule, self.district, self.school_year_end
            )
        return self._classifier

    def __call__(self, tx: Tx, new: list[NewRecord]) -> None:
        if not new:
            return
        c = self.classifier(tx)
        exits = _exits(tx, (n.tags for n in new))
        rows = [
            facts.seal_retention(
                self.ring,
                c.classify(
                    _facts_of(n.row, self.district, (n.source_name,), n.tags),
                    exits,
                    tx.now,
                    terms=n.terms,
                ),
            )
            for n in new
        ]
        tx.retention.insert(rows)
        self.catch(tx, new)  # first: a record a hold catches is not put in a cohort
        cohorts.place(tx, self.ring, rows, {n.row.id: n.row for n in new})


# --- Changes: tags, exit dates ----------------------------------------------------------------


def reclassify(
    tx: Tx,
    ring: Keyring,
    schedule: Schedule,
    district: District,
    school_year_end: tuple[int, int],
    record_ids: list[str],
) -> int:
    """Classify these records again (their tags or their students' exit dates changed), in
    `tx`; how many changed. A record never classified is classified now."""
    if not record_ids:
        return 0
    c = Classifier(tx, ring, schedule, district, school_year_end)
    hits = c.term_hits(tx) if c.has_term_rules else None
    changed = 0
    for i in range(0, len(record_ids), PAGE):
        rows = list(tx.records.by_id(record_ids[i : i + PAGE]).values())
        out = [facts.seal_retention(ring, new) for _, new in _changes(tx, c, rows, hits)]
        _put(tx, ring, out)
        changed += len(out)
    return changed


# --- retention apply --------------------------------------------------------------------------


@dataclass
class Move:
    """Records moving from one series to another (or staying, with new dates)."""

    before: str | None  # None: not classified before
    after: str
    records: int = 0
    earlier: int = 0  # of them, eligible sooner than before


@dataclass
class ApplyReport:
    schedule: str
    checked: int = 0
    changed: int = 0
    classified: int = 0  # records that had no retention before
    earlier: int = 0
    moves: dict[tuple[str | None, str], Move] = field(default_factory=dict)
    written: bool = False
    resumed: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "schedule": self.schedule,
            "checked": self.checked,
            "changed": self.changed,
            "classified": self.classified,
            "earlier": self.earlier,
            "applied": self.written,
            "resumed": self.resumed,
            "moves": [
                {"from": m.before, "to": m.after, "records": m.records, "earlier": m.earlier}
                for m in sorted(self.moves.values(), key=lambda m: (m.before or "", m.after))
            ],
        }


def _pages(db: Store, after: str | None) -> Iterable[tuple[Tx, list[RecordRow]]]:
    """The archive in pages of records (id order after `after`), each in its transaction."""
    while True:
        with db.transaction() as tx:
            rows = tx.records.after(after or "", PAGE)
            if not rows:
                return
            yield tx, rows
        after = rows[-1].id


def apply(
    db: Store,
    ring: Keyring,
    schedule: Schedule,
    district: District,
    school_year_end: tuple[int, int],
    yes: bool,
    actor: str,
    progress: Callable[[int], None] | None = None,
) -> ApplyReport:
    """Classify every record by `schedule` again. First every record is compared and the moves
    counted; if any record would become eligible sooner and `yes` is not given, nothing is
    written. Otherwise the changes are written page by page; an interrupted run resumes where
    it stopped when run again with the same schedule."""
    report = ApplyReport(schedule.source)
    with db.transaction() as tx:
        state = tx.retention.state()
        c = Classifier(tx, ring, schedule, district, school_year_end)
        hits = c.term_hits(tx) if c.has_term_rules else None
    resume = state.apply_digest == schedule.digest and state.apply_after is not None
    report.resumed = resume
    start = state.apply_after if resume else None

    if not resume:
        for tx, rows in _pages(db, None):
            for old, new in _changes(tx, c, rows, hits):
                report.changed += 1
                report.classified += old is None
                move = report.moves.setdefault(
                    (old.series if old else None, new.series),
                    Move(old.series if old else None, new.series),
                )
                move.records += 1
                if earlier(old, new):
                    move.earlier += 1
                    report.earlier += 1
            report.checked += len(rows)
        if report.earlier and not yes:
            return report
        if not report.changed:
            with db.transaction() as tx:
                tx.retention.set_state(ApplyState(schedule.digest, tx.now, None, None))
                _audit_apply(tx, ring, schedule, report, actor)
            report.written = True
            return report
    done = 0
    for tx, rows in _pages(db, start):
        changes = _changes(tx, c, rows, hits)
        _put(tx, ring, [facts.seal_retention(ring, new) for _, new in changes])
        tx.retention.set_state(
            ApplyState(state.schedule_digest, state.applied_at, schedule.digest, rows[-1].id)
        )
        if resume:
            report.checked += len(rows)
            report.changed += len(changes)
        done += len(rows)
        if progress:
            progress(done)
    with db.transaction() as tx:
        tx.retention.set_state(ApplyState(schedule.digest, tx.now, None, None))
        _audit_apply(tx, ring, schedule, report, actor)
    report.written = True
    return report


def _audit_apply(
    tx: Tx, ring: Keyring, schedule: Schedule, report: ApplyReport, actor: str
) -> None:
    audit.append(
        tx,
        ring,
        "retention.apply",
        details={
            "schedule": schedule.digest,
            "checked": report.checked,
            "changed": report.changed,
            "earlier": report.earlier,
        },
        actor=actor,
    )


# --- What a records officer asks ------------------------------------------------------------


@dataclass(frozen=True)
class Retention:
    """One record's retention, as `retention show` tells it."""

    row: RetentionRow
    series: Series | None  # None: a series the schedule no longer has
    holds: list[str]
    note: str | None  # why it was classified by hand
    requests: list[str] = field(default_factory=list)  # the requests it is in

    def _period(self) -> str | None:
        """The series' period, if the stored dates follow it (after a schedule change they
        do not until `retention apply` has run)."""
        r, s = self.row, self.series
        if s is None or (
            r.trigger_date is not None and s.period.after(r.trigger_date) != r.retain_until
        ):
            return None
        return str(s.period)

    def to_json(self) -> dict[str, object]:
        r = self.row
        return {
            "id": r.record_id,
            "series": r.series,
            "title": self.series.title if self.series else None,
            "period": self._period(),
            "rule": r.rule,
            "trigger_date": r.trigger_date.isoformat() if r.trigger_date else None,
            "retain_until": r.retain_until.isoformat() if r.retain_until else None,
            "limit": r.limit,
            "disposition": r.disposition,
            "classified_at": r.classified_at.isoformat(),
            "classified_by": r.classified_by,
            "reason": self.note,
            "holds": self.holds,
            "requests": self.requests,
        }


def of_record(tx: Tx, ring: Keyring, schedule: Schedule, record_id: str) -> Retention | None:
    """A record's retention (its facts checked), with the open holds and the requests that
    cover it, or None if it is not classified yet."""

    row = tx.retention.get(record_id)
    if row is None:
        return None
    facts.check(facts.retention_problem(ring, row))
    note = (
        NoteSeal(ring).open(f"record {row.record_id}", "retention", row.note) if row.note else None
    )
    series = schedule.series.get(row.series)
    requests = tx.requests.numbers_of([record_id]).get(record_id, [])
    return Retention(row, series, holds_of(tx, ring, record_id), note, requests)


def set_series(
    db: Store,
    ring: Keyring,
    schedule: Schedule,
    district: District,
    school_year_end: tuple[int, int],
    record_id: str,
    code: str,
    reason: str,
    actor: str,
) -> RetentionRow:
    """Classify a record by hand (audited, with a reason); rules never overwrite it."""
    if code not in schedule.series:
        raise UsageError(
            f"unknown series {code!r}: the schedule ({schedule.source}) has "
            + ", ".join(schedule.series)
        )
    if not reason.strip():
        raise UsageError("say why (--reason): a series chosen by hand is kept for good")
    with db.transaction() as tx:
        row = tx.records.get(record_id)
        ids = [row.id]
        tags = _tags(tx, ids)[row.id]
        rec = _facts_of(row, district, tx.retention.sources_of(ids).get(row.id, ()), tags)
        c = Classifier(tx, ring, schedule, district, school_year_end)
        series = schedule.get(code)
        trigger, until = c.dates(series, rec, _exits(tx, [tags]))
        old = tx.retention.get(row.id)
        new = RetentionRow(
            record_id=row.id,
            series=code,
            rule=MANUAL,
            trigger_date=trigger,
            retain_until=until,
            limit=series.limit,
            disposition=series.disposition,
            classified_at=tx.now,
            classified_by=actor,
            note=NoteSeal(ring).seal(f"record {row.id}", "retention", reason),
        )
        _put(tx, ring, [facts.seal_retention(ring, new)])
        audit.append(
            tx,
            ring,
            "retention.set",
            target=row.id,
            details={
                "series": code,
                "from": old.series if old else None,
                "earlier": earlier(old, new),
            },
            actor=actor,
        )
    return new


@dataclass(frozen=True)
class SeriesReport:
    series: Series | None
    code: str
    counts: SeriesCounts

    def to_json(self) -> dict[str, object]:
        c = self.counts
        maximum = self.series is not None and self.series.limit == "maximum"
        return {
            "code": self.code,
            "title": self.series.title if self.series else None,
            "limit": self.series.limit if self.series else None,
            "records": c.records,
            "pending": c.pending,
            "eligible": c.eligible,
            "held": c.held,
            "next_eligible": c.next_eligible.isoformat() if c.next_eligible else None,
            "overdue": c.overdue if maximum else 0,
        }


def report(
    db: Store, ring: Keyring, schedule: Schedule, today: date, requests_since: datetime
) -> tuple[list[SeriesReport], int]:
    """Per series: records, pending, eligible now, held (by a hold, or a request closed at or
    after `requests_since`, or open), next eligible day and overdue mandatory destruction;
    and how many records are not classified yet. Audited."""
    with db.transaction() as tx:
        counts = {c.series: c for c in tx.retention.report(today, requests_since)}
        unclassified = tx.retention.count_unclassified()
        audit.append(tx, ring, "retention.report", details={"series": len(counts)})
    codes = [c for c in schedule.series if c in counts] + sorted(set(counts) - set(schedule.series))
    return [SeriesReport(schedule.series.get(c), c, counts[c]) for c in codes], unclassified


def due(
    db: Store,
    ring: Keyring,
    by: date,
    series: str | None,
    limit: int,
    offset: int,
    requests_since: datetime,
) -> tuple[int, list[RetentionRow]]:
    """Records whose retention has passed by `by` and no hold or request keeps (a request
    closed before `requests_since` no longer does): the total, one page. Audited."""
    with db.transaction() as tx:
        total, rows = tx.retention.due(by, series, limit, offset, requests_since)
        for r in rows:
            facts.check(facts.retention_problem(ring, r))
        audit.append(
            tx,
            ring,
            "retention.due",
            details={"by": by.isoformat(), "series": series, "total": total},
        )
    return total, rows


# --- Exit notices (603 CMR 23.06) ----------------------------------------------------------


@dataclass(frozen=True)
class ExitNotice:
    """A student who left, and when their temporary records will be destroyed."""

    student_id: str
    name: str
    exit_date: date
    destroy_by: date | None
    records: int  # records tagged with them in a series that ends at their exit

    def to_json(self) -> dict[str, object]:
        return {
            "student": self.student_id,
            "name": self.name,
            "exit_date": self.exit_date.isoformat(),
            "destroy_by": self.destroy_by.isoformat() if self.destroy_by else None,
            "records": self.records,
        }


def _exit_series(schedule: Schedule) -> Series | None:
    """The series the schedule gives records about students (its first rule on students)."""
    for rule in schedule.rules:
        if rule.when.students == "any" or rule.when.tag_sources:
            series = schedule.get(rule.series)
            if series.trigger == "student-exit":
                return series
    return None


def notices(
    db: Store, ring: Keyring, schedule: Schedule, since: date, until: date
) -> list[ExitNotice]:
    """Students whose exit date falls in [since, until], with the day their temporary records
    will be destroyed (the exit date plus the student series' period) and how many records
    that concerns. Audited: it discloses names."""
    default = _exit_series(schedule)
    out: list[ExitNotice] = []
    with db.transaction() as tx:
        seal = RosterSeal(ring)
        left = [s for s in tx.roster.students() if s.exit_date and since <= s.exit_date <= until]
        for row in left:
            facts.check(facts.student_problem(ring, row))
            student = seal.open(row)
            exit_day = row.exit_date
            if exit_day is None:  # filtered above; the type checker cannot know
                continue
            ids = tx.retention.tagged_with([row.id])
            kept = tx.retention.rows(ids).values()
            series = [
                schedule.series[r.series]
                for r in kept
                if r.series in schedule.series
                and schedule.series[r.series].trigger == "student-exit"
            ]
            days = [d for s in series if (d := s.period.after(exit_day)) is not None]
            if not days and default is not None:
                days = [d for d in [default.period.after(exit_day)] if d is not None]
            out.append(
                ExitNotice(
                    student.student_id,
                    student.name,
                    exit_day,
                    min(days) if days else None,
                    len(series),
                )
            )
        audit.append(
            tx,
            ring,
            "retention.notices",
            details={"since": since.isoformat(), "until": until.isoformat(), "students": len(out)},
        )
    return sorted(out, key=lambda n: (n.exit_date, n.name.casefold()))
