"""Requests for records (DESIGN.md section 9.3): the Records Access Officer's log of who asked
for what, by when the law wants an answer, which records answer it and what was decided for
each, and why.

Two kinds: a public-records request (G.L. c.66 §10: a written response by the 10th business day
after receipt, production by the 25th for a municipality, a petition to the Supervisor of
Records by the 20th) numbered `PRR-YYYY-NNNN`, and a parent's or eligible student's request for
a student's records (603 CMR 23.07: within 10 days) numbered `SRR-YYYY-NNNN`, each sequential
per year of receipt. Who asked, how to reach them and what they asked for are sealed. The due
dates come from the business-day calendar (`records/calendar.py`); they are kept with a digest
of the calendar's rules, and computed again, audited, when those rules change (a snow day
added to `[requests] closures`, Suffolk County turned on).

An open request, and a closed one until its appeal window has passed, holds its records against
disposition. Every decision on a record tagged with a student is an access to that student's
record, logged with the request's number as its purpose.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from archiver.archive import access, audit, facts
from archiver.archive.actor import current_actor
from archiver.archive.roster import RosterSeal, load_roster
from archiver.clock import District
from archiver.crypto.keyring import Keyring
from archiver.crypto.notes import NoteSeal
from archiver.domain import RequestRecordRow, RequestRow
from archiver.errors import UsageError
from archiver.records.calendar import BusinessCalendar
from archiver.records.exemptions import Exemptions
from archiver.records.fees import FeeEstimate, Task, estimate_fee
from archiver.settings import RequestsSettings
from archiver.store.db import Store, Tx

PUBLIC = "public"
STUDENT = "student"
PREFIXES = {PUBLIC: "PRR", STUDENT: "SRR"}
DECISIONS = ("release", "redact", "withhold", "not-responsive")
NEEDS_EXEMPTION = ("redact", "withhold")
OUTCOMES = ("produced", "partly-produced", "withheld", "no-records", "withdrawn", "abandoned")
OPEN, RESPONDED, EXTENDED, CLOSED = "open", "responded", "extended", "closed"
CHANNELS = ("email", "mail", "web", "in-person", "phone", "fax", "other")


@dataclass(frozen=True)
class Decision:
    """A record in a request, and what was decided for it."""

    record_id: str
    decision: str | None
    exemptions: tuple[str, ...]  # codes, "26a:ferpa" naming the statute 26a rests on
    note: str | None
    decided_at: datetime | None
    decided_by: str | None


@dataclass(frozen=True)
class Request:
    """A request, opened: what the Records Access Officer reads."""

    row: RequestRow
    requester: str
    contact: str
    description: str
    student: str | None  # the roster id of a student-records request
    records: tuple[Decision, ...]
    due: date | None  # the next deadline: the response, then production; None once closed
    days_left: int | None  # business days (calendar days for student records) to `due`
    business_days_left: int | None  # business days to `due`, whatever the kind

    @property
    def number(self) -> str:
        return self.row.number

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


@dataclass(frozen=True)
class Deadline:
    """A request's next deadline, as `status` and the daemon's journal tell it."""

    number: str
    kind: str
    what: str  # written response | production | student records
    due: date
    days_left: int  # business days (calendar days for student records); negative: overdue

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    def describe(self) -> str:
        unit = "business days" if self.kind == PUBLIC else "days"
        if self.overdue:
            return (
                f"request {self.number}: OVERDUE: {self.what} was due {self.due.isoformat()}, "
                f"{-self.days_left} {unit} ago"
            )
        left = f"{self.days_left} {unit} left"
        return f"request {self.number}: {self.what} due {self.due.isoformat()}, {left}"

    def to_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "kind": self.kind,
            "what": self.what,
            "due": self.due.isoformat(),
            "days_left": self.days_left,
            "overdue": self.overdue,
        }


def calendar_digest(calendar: BusinessCalendar) -> str:
    """Names the rules the dates were computed under: a change of rules changes it."""
    return hashlib.sha256(calendar.rules().encode()).hexdigest()[:32]


def _dates(
    calendar: BusinessCalendar, kind: str, received_at: datetime, extension: int | None
) -> dict[str, date | None]:
    if kind == STUDENT:
        return {
            "received_day": calendar.received_on(received_at),
            "respond_by": calendar.student_records_due(received_at),
            "produce_by": None,
            "petition_by": None,
            "extended_to": None,
        }
    due = calendar.public_records_due(received_at)
    return {
        "received_day": due.received,
        "respond_by": due.response,
        "produce_by": due.production,
        "petition_by": due.petition,
        "extended_to": calendar.extended_due(due.production, extension) if extension else None,
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


class RequestDesk:
    """Opening, reading and answering requests."""

    def __init__(
        self,
        db: Store,
        ring: Keyring,
        calendar: BusinessCalendar,
        exemptions: Exemptions,
        district: District,
        settings: RequestsSettings,
    ) -> None:
        self.db = db
        self.ring = ring
        self.calendar = calendar
        self.exemptions = exemptions
        self.district = district
        self.settings = settings
        self.digest = calendar_digest(calendar)

    # Opening.

    def open(
        self,
        kind: str,
        received_at: datetime,
        requester: str,
        contact: str = "",
        description: str = "",
        channel: str = "email",
        student: str | None = None,
    ) -> Request:
        """Log a request; its number and due dates. Refused: a time without a zone or in the
        future, no requester, a student-records request without a student."""
        if received_at.tzinfo is None:
            raise UsageError("--received needs a time zone (it is read in the district's)")
        if not requester.strip():
            raise UsageError("a request needs the requester's name (--requester)")
        if kind == STUDENT and not student:
            raise UsageError("a student-records request needs the student (--student)")
        if channel not in CHANNELS:
            raise UsageError(f"unknown channel {channel!r} (one of {', '.join(CHANNELS)})")
        seal = NoteSeal(self.ring)
        with self.db.transaction() as tx:
            if received_at > tx.now + timedelta(minutes=1):
                raise UsageError(
                    f"--received {received_at.isoformat()} is in the future (now "
                    f"{tx.now.astimezone(self.district.zone):%Y-%m-%d %H:%M})"
                )
            received_at = received_at.astimezone(UTC)  # stored, and authenticated, as UTC
            student_row = self._student_row(tx, student) if student else None
            year = self.district.day_of(received_at).year
            seq = tx.requests.last_seq(year, kind) + 1
            number = f"{PREFIXES[kind]}-{year}-{seq:04d}"
            content = {"requester": requester, "contact": contact, "description": description}
            when = _dates(self.calendar, kind, received_at, None)
            row = RequestRow(
                number=number,
                year=year,
                seq=seq,
                kind=kind,
                state=OPEN,
                received_at=received_at,
                channel=channel,
                student_id=student_row,
                received_day=when["received_day"] or received_at.date(),
                respond_by=when["respond_by"] or received_at.date(),
                produce_by=when["produce_by"],
                petition_by=when["petition_by"],
                extension_days=None,
                extended_to=None,
                calendar=self.digest,
                opened_at=tx.now,
                opened_by=current_actor(),
                key_id=seal.key_id,
                sealed=seal.seal(number, "request", json.dumps(content, ensure_ascii=False)),
            )
            row = facts.seal_request(self.ring, row)
            tx.requests.add(row)
            audit.append(
                tx,
                self.ring,
                "request.open",
                target=number,
                details={
                    "kind": kind,
                    "channel": channel,
                    "received_day": _iso(row.received_day),
                    "respond_by": _iso(row.respond_by),
                    "produce_by": _iso(row.produce_by),
                    "petition_by": _iso(row.petition_by),
                    "calendar": self.digest,
                    "rules": self.calendar.rules(),
                },
            )
            return self._view(tx, row, [])

    def _student_row(self, tx: Tx, student_id: str) -> int:
        row = tx.roster.student_by_lookup(RosterSeal(self.ring).lookup(student_id))
        if row is None:
            load_roster(tx, self.ring)  # its facts are checked before saying "unknown"
            raise UsageError(f"--student {student_id}: no such student in the roster")
        return row.id

    # Reading.

    def _row(self, tx: Tx, number: str) -> RequestRow:
        row = tx.requests.get(number.strip().upper())
        if row is None:
            raise UsageError(f"no request {number} (see `archiver request list`)")
        facts.check(facts.request_problem(self.ring, row))
        return self._current(tx, row)

    def _current(self, tx: Tx, row: RequestRow) -> RequestRow:
        """The row with its due dates under today's calendar rules: computed again, written
        and audited when the rules changed since (closed requests keep theirs)."""
        if row.calendar == self.digest or row.state == CLOSED:
            return row
        when = _dates(self.calendar, row.kind, row.received_at, row.extension_days)
        old = {k: getattr(row, k) for k in when}
        new = replace(row, calendar=self.digest, **when)  # type: ignore[arg-type]
        new = facts.seal_request(self.ring, new)
        tx.requests.put(new)
        changed = {k: [_iso(old[k]), _iso(v)] for k, v in when.items() if old[k] != v}
        audit.append(
            tx,
            self.ring,
            "request.recompute",
            target=row.number,
            details={"changed": changed, "calendar": self.digest, "rules": self.calendar.rules()},
        )
        return new

    def _view(self, tx: Tx, row: RequestRow, members: list[RequestRecordRow]) -> Request:
        seal = NoteSeal(self.ring)
        content = json.loads(seal.open(row.number, "request", row.sealed))
        student = None
        if row.student_id is not None:
            rows = tx.roster.students_by_id([row.student_id])
            student = RosterSeal(self.ring).open(rows[0]).student_id if rows else None
        decisions = []
        for m in members:
            facts.check(facts.request_member_problem(self.ring, m))
            note = seal.open(_owner(m), "note", m.note) if m.note else None
            decisions.append(
                Decision(m.record_id, m.decision, m.exemptions, note, m.decided_at, m.decided_by)
            )
        due = self.next_due(row)
        return Request(
            row=row,
            requester=content["requester"],
            contact=content["contact"],
            description=content["description"],
            student=student,
            records=tuple(decisions),
            due=due,
            days_left=self._days_left(row, due, tx.now),
            business_days_left=self._business_days_left(due, tx.now),
        )

    def next_due(self, row: RequestRow) -> date | None:
        """The next deadline: the written response until it is given, then production
        (extended, if the Supervisor granted more time); none once closed."""
        if row.state == CLOSED:
            return None
        if row.responded_at is None or row.kind == STUDENT:
            return row.respond_by if row.responded_at is None else None
        return row.extended_to or row.produce_by

    def _business_days_left(self, due: date | None, now: datetime) -> int | None:
        if due is None:
            return None
        return self.calendar.business_days_left(due, today=self.district.day_of(now))

    def _days_left(self, row: RequestRow, due: date | None, now: datetime) -> int | None:
        if due is None:
            return None
        today = self.district.day_of(now)
        if row.kind == STUDENT:
            return (due - today).days
        return self.calendar.business_days_left(due, today=today)

    def show(self, number: str) -> Request:
        """A request with its records and decisions. Audited."""
        with self.db.transaction() as tx:
            row = self._row(tx, number)
            members = tx.requests.members(row.number)
            view = self._view(tx, row, members)
            audit.append(tx, self.ring, "request.show", target=row.number)
        return view

    def listed(
        self, open_only: bool = False, due_within: int | None = None, overdue: bool = False
    ) -> list[Request]:
        """Requests, newest first: those not closed; due within so many business (or, for
        student records, calendar) days; overdue. Audited (it discloses requesters)."""
        with self.db.transaction() as tx:
            out = []
            for raw in tx.requests.listed(open_only or due_within is not None or overdue):
                facts.check(facts.request_problem(self.ring, raw))
                view = self._view(tx, self._current(tx, raw), [])
                if overdue and not view.overdue:
                    continue
                if due_within is not None and (
                    view.days_left is None or view.days_left > due_within
                ):
                    continue
                out.append(view)
            audit.append(tx, self.ring, "request.list", details={"requests": len(out)})
        return out

    def deadlines(self) -> list[Deadline]:
        """The requests not closed, soonest due first, with the days left: for `status` and
        the daemon's journal (numbers and dates only: nothing sealed is opened, so not
        audited)."""
        with self.db.transaction() as tx:
            out = []
            for raw in tx.requests.listed(open_only=True):
                facts.check(facts.request_problem(self.ring, raw))
                row = self._current(tx, raw)
                due = self.next_due(row)
                if due is None:
                    continue
                what = "written response" if row.responded_at is None else "production"
                if row.kind == STUDENT:
                    what = "student records"
                left = self._days_left(row, due, tx.now) or 0  # `due` is set: never None
                out.append(Deadline(row.number, row.kind, what, due, left))
        return sorted(out, key=lambda d: (d.due, d.number))

    # Answering.

    def add(self, number: str, record_ids: Sequence[str]) -> int:
        """Put records (ids or unique prefixes) in an open request; how many were new."""
        with self.db.transaction() as tx:
            row = self._open_row(tx, number)
            ids = list(dict.fromkeys(tx.records.get(rid).id for rid in record_ids))
            added = tx.requests.add_members(
                [
                    facts.seal_request_member(self.ring, RequestRecordRow(row.number, rid, tx.now))
                    for rid in ids
                ]
            )
            audit.append(
                tx,
                self.ring,
                "request.add",
                target=row.number,
                details={"records": len(ids), "new": added},
            )
        return added

    def add_matching(self, number: str, find: Callable[[Tx], list[str]]) -> int:
        """Put the records a search finds in an open request; how many were new."""
        with self.db.transaction() as tx:
            ids = find(tx)
        return self.add(number, ids) if ids else 0

    def _open_row(self, tx: Tx, number: str) -> RequestRow:
        row = self._row(tx, number)
        if row.state == CLOSED:
            raise UsageError(f"request {row.number} is closed ({row.outcome})")
        return row

    def check_exemptions(self, decision: str, codes: Sequence[str]) -> tuple[str, ...]:
        """The exemption codes as stored ("26a:ferpa"): each known, statutes only where the
        exemption names them; `withhold` and `redact` need at least one, the others none."""
        if decision not in DECISIONS:
            raise UsageError(f"unknown decision {decision!r} (one of {', '.join(DECISIONS)})")
        if decision in NEEDS_EXEMPTION and not codes:
            raise UsageError(
                f"{decision} needs the exemption it rests on (--exemption CODE; codes: "
                f"{', '.join(self.exemptions.codes)})"
            )
        if decision not in NEEDS_EXEMPTION and codes:
            raise UsageError(f"{decision} takes no exemption: only withhold and redact do")
        out = []
        for given in codes:
            code, _, statute = given.partition(":")
            exemption = self.exemptions.get(code)
            exemption.explain([statute] if statute else [])  # an unknown statute: UsageError
            out.append(f"{exemption.code}:{statute}" if statute else exemption.code)
        return tuple(dict.fromkeys(out))

    def decide(
        self,
        number: str,
        record_id: str,
        decision: str,
        exemptions: Sequence[str] = (),
        note: str | None = None,
    ) -> Decision:
        """Decide what to do with a record of a request (the decision replaces any earlier
        one). An access to every student the record concerns, for this request."""
        codes = self.check_exemptions(decision, exemptions)
        who = current_actor()
        with self.db.transaction() as tx:
            row = self._open_row(tx, number)
            rid = tx.records.get(record_id).id
            member = tx.requests.member(row.number, rid)
            if member is None:
                raise UsageError(
                    f"record {rid} is not in request {row.number} "
                    f"(`archiver request add {row.number} {rid[:8]}` first)"
                )
            facts.check(facts.request_member_problem(self.ring, member))
            sealed = NoteSeal(self.ring).seal(_owner(member), "note", note) if note else None
            member = replace(
                member,
                decision=decision,
                exemptions=codes,
                note=sealed,
                decided_at=tx.now,
                decided_by=who,
            )
            tx.requests.put_member(facts.seal_request_member(self.ring, member))
            seq = audit.append(
                tx,
                self.ring,
                "request.decide",
                target=rid,
                details={"request": row.number, "decision": decision, "exemptions": list(codes)},
            )
            access.log(tx, self.ring, [rid], f"decided: {decision}", seq, row.number)
        return Decision(rid, decision, codes, note, member.decided_at, who)

    def extend(self, number: str, grant: int | date) -> Request:
        """Record the Supervisor of Records' extension of a public-records request: `grant`
        business days after the production date, or the day the grant names."""
        with self.db.transaction() as tx:
            row = self._open_row(tx, number)
            if row.kind != PUBLIC or row.produce_by is None:
                raise UsageError(f"{row.number} is a student-records request: it has no extension")
            extended = self.calendar.extended_due(row.produce_by, grant)
            row = facts.seal_request(
                self.ring,
                replace(
                    row,
                    state=EXTENDED,
                    extension_days=grant if isinstance(grant, int) else None,
                    extended_to=extended,
                ),
            )
            tx.requests.put(row)
            audit.append(
                tx,
                self.ring,
                "request.extend",
                target=row.number,
                details={"extended_to": extended.isoformat(), "grant": str(grant)},
            )
            return self._view(tx, row, tx.requests.members(row.number))

    def responded(self, number: str) -> RequestRow:
        """Mark the written response given (now), once: the letter was sent."""
        with self.db.transaction() as tx:
            row = self._open_row(tx, number)
            if row.responded_at is not None:
                return row
            state = row.state if row.state == EXTENDED else RESPONDED
            row = facts.seal_request(self.ring, replace(row, responded_at=tx.now, state=state))
            tx.requests.put(row)
            late = self.district.day_of(tx.now) > row.respond_by
            audit.append(
                tx,
                self.ring,
                "request.respond",
                target=row.number,
                details={"late": late},
            )
            return row

    # Fees and the written response.

    def late(self, row: RequestRow, now: datetime) -> bool:
        """Whether the written response was (or, not sent yet, is) late: after the 10th
        business day. Then no fee may be charged (950 CMR 32.06(2)(c))."""
        sent = row.responded_at or now
        return self.district.day_of(sent) > row.respond_by

    def _estimate(self, row: RequestRow, doc: dict[str, Any], now: datetime) -> FeeEstimate:
        return estimate_fee(
            [Task(t["task"], t["hours"], t.get("redaction", False)) for t in doc["tasks"]],
            hourly_rate=doc["rate"],
            population=self.settings.municipal_population,
            pages=int(doc["pages"]),
            late=self.late(row, now),
            rate_approved=bool(doc.get("rate_approved")),
            redaction_approved=bool(doc.get("redaction_approved")),
        )

    def set_fees(
        self,
        number: str,
        tasks: Sequence[tuple[str, str, bool]],
        pages: int,
        rate: str | None = None,
        rate_approved: bool = False,
        redaction_approved: bool = False,
    ) -> FeeEstimate:
        """Estimate the fee of a public-records request (tasks as (name, hours, is
        redaction)), kept with it for the letter. Audited with the total."""
        doc = {
            "tasks": [{"task": t, "hours": h, "redaction": r} for t, h, r in tasks],
            "pages": pages,
            "rate": rate or self.settings.hourly_rate,
            "rate_approved": rate_approved,
            "redaction_approved": redaction_approved,
        }
        with self.db.transaction() as tx:
            row = self._open_row(tx, number)
            if row.kind != PUBLIC:
                raise UsageError(f"{row.number} is a student-records request: it has no fee")
            estimate = self._estimate(row, doc, tx.now)  # UsageError for what the law forbids
            row = facts.seal_request(self.ring, replace(row, fees=json.dumps(doc)))
            tx.requests.put(row)
            audit.append(
                tx,
                self.ring,
                "request.fees",
                target=row.number,
                details={"total": str(estimate.total), "late": estimate.late},
            )
        return estimate

    def fee_estimate(self, request: Request) -> FeeEstimate | None:
        """The request's fee estimate as it stands (none set: None)."""
        row = request.row
        if not row.fees:
            return None
        return self._estimate(row, json.loads(row.fees), self.db.clock.now())

    def for_letter(self, number: str, sent: bool) -> tuple[Request, str | None, date]:
        """A request as its written response needs it: the request, the student's name (a
        student-records request) and the district's day it arrived; with `sent`, the
        response is recorded as given now (once; a late one is audited as late). Audited."""
        if sent:
            self.responded(number)
        with self.db.transaction() as tx:
            row = self._row(tx, number)
            view = self._view(tx, row, tx.requests.members(row.number))
            name = None
            if row.student_id is not None:
                rows = tx.roster.students_by_id([row.student_id])
                name = RosterSeal(self.ring).open(rows[0]).name if rows else None
            audit.append(tx, self.ring, "request.letter", target=row.number, details={"sent": sent})
        return view, name, self.district.day_of(row.received_at)

    def close(self, number: str, outcome: str) -> Request:
        """Close a request with its outcome; its records stay held until the appeal window
        has passed."""
        if outcome not in OUTCOMES:
            raise UsageError(f"unknown outcome {outcome!r} (one of {', '.join(OUTCOMES)})")
        with self.db.transaction() as tx:
            row = self._open_row(tx, number)
            row = facts.seal_request(
                self.ring, replace(row, state=CLOSED, closed_at=tx.now, outcome=outcome)
            )
            tx.requests.put(row)
            window = self.calendar.appeal_window_ends(self.district.day_of(tx.now))
            audit.append(
                tx,
                self.ring,
                "request.close",
                target=row.number,
                details={"outcome": outcome, "appeal_window_ends": window.isoformat()},
            )
            return self._view(tx, row, tx.requests.members(row.number))


def _owner(m: RequestRecordRow) -> str:
    return f"{m.number}/{m.record_id}"
