"""The Massachusetts business-day calendar that times requests for records (DESIGN.md 9.3).

Pure: no database, no clock of its own (the caller passes today). A business day is Monday to
Friday, except the Massachusetts legal holidays (G.L. c.4 s.7 cl.18; a Sunday holiday is
observed on the Monday, a Saturday one is not moved), Evacuation Day and Bunker Hill Day in
Suffolk County, and the district's own closures. The legal holidays come from the `holidays`
package (`UnitedStates(subdiv="MA")`), which this module alone imports; the Suffolk County
days it lacks are added here.

Counting: the day of receipt is day 0 and a deadline is the n-th business day after it
(c.66 s.10(b)). Whether a request that arrives after hours or on a day off counts from the
next business day, and whether a closure stops the clock, are unverified: settings decide
(`[requests]`), and `rules()` says which way they were set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import holidays

from archiver.clock import District
from archiver.errors import UsageError
from archiver.settings import Settings

RESPONSE_DAYS = 10  # c.66 s.10(b): the written response, in business days
PETITION_DAYS = 20  # c.66 s.10(c): the last day to petition the Supervisor for more time
MUNICIPAL_PRODUCTION_DAYS = 25  # c.66 s.10(b)(vi), a municipality
MUNICIPAL_EXTENSION_DAYS = 30  # the most the Supervisor grants a municipality, once
STUDENT_RECORD_DAYS = 10  # 603 CMR 23.07: calendar days
APPEAL_WINDOW_DAYS = 90  # 950 CMR 32.08, unverified: calendar days to appeal to the Supervisor
DISTRICT_CLOSURE = "district closure"

# The statewide legal holidays, as the `holidays` package names them (a test keeps the two in
# step); Juneteenth is one from 2021.
LEGAL_HOLIDAYS = (
    "New Year's Day",
    "Martin Luther King Jr. Day",
    "Washington's Birthday",
    "Patriots' Day",
    "Memorial Day",
    "Juneteenth National Independence Day",
    "Independence Day",
    "Labor Day",
    "Columbus Day",
    "Veterans Day",
    "Thanksgiving Day",
    "Christmas Day",
)
# Public offices close on these only in Suffolk County; statewide they are business days.
SUFFOLK_HOLIDAYS = ((3, 17, "Evacuation Day"), (6, 17, "Bunker Hill Day"))
_SATURDAY, _SUNDAY = 5, 6
_WEEKEND = {_SATURDAY: "weekend (Saturday)", _SUNDAY: "weekend (Sunday)"}


@dataclass(frozen=True)
class PublicRecordsDue:
    """The due dates of a public-records request (G.L. c.66 s.10), all business days."""

    received: date  # the effective day of receipt: day 0
    response: date  # the written response: the 10th business day after receipt
    production: date  # records produced: the 25th for a municipality (`production_days`)
    petition: date  # the last day to petition the Supervisor for more time: the 20th


class BusinessCalendar:
    """The district's business days, and the due dates of its requests."""

    def __init__(
        self,
        district: District,
        *,
        suffolk_county: bool = False,
        closures: Iterable[date] = (),
        office_closes: time = time(17),
        next_business_day_receipt: bool = True,
        production_days: int = MUNICIPAL_PRODUCTION_DAYS,
        appeal_window_days: int = APPEAL_WINDOW_DAYS,
    ) -> None:
        self.district = district
        self.suffolk_county = suffolk_county
        self.closures = frozenset(closures)
        self.office_closes = office_closes
        self.next_business_day_receipt = next_business_day_receipt
        self.production_days = production_days
        self.appeal_window_days = appeal_window_days
        self._years: dict[int, dict[date, str]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> BusinessCalendar:
        """The calendar `[requests]` and `[archive] timezone` describe."""
        r = settings.requests
        return cls(
            settings.district,
            suffolk_county=r.suffolk_county,
            closures=settings.closures,
            office_closes=settings.office_closes,
            next_business_day_receipt=r.next_business_day_receipt,
            production_days=r.production_days,
            appeal_window_days=r.appeal_window_days,
        )

    # Which days are business days, and why not.

    def holiday(self, day: date) -> str | None:
        """The name of the legal holiday on `day` (observed days included: "Christmas Day
        (observed)"), or None."""
        year = self._years.get(day.year)
        if year is None:
            year = self._years[day.year] = self._holidays_of(day.year)
        return year.get(day)

    def _holidays_of(self, year: int) -> dict[date, str]:
        found = dict(holidays.country_holidays("US", subdiv="MA", years=year).items())
        if self.suffolk_county:
            for month, dom, name in SUFFOLK_HOLIDAYS:
                day = date(year, month, dom)
                _add(found, day, name)
                if day.weekday() == _SUNDAY:
                    _add(found, day + timedelta(days=1), f"{name} (observed)")
        return found

    def closed_because(self, day: date) -> str | None:
        """Why `day` is not a business day ("weekend (Saturday)", a holiday's name, "district
        closure", joined by "; " when several hold), or None if it is one."""
        reasons = [r for r in (_WEEKEND.get(day.weekday()), self.holiday(day)) if r is not None]
        if day in self.closures:
            reasons.append(DISTRICT_CLOSURE)
        return "; ".join(reasons) or None

    def is_business_day(self, day: date) -> bool:
        return self.closed_because(day) is None

    def closed_days(self, first: date, last: date) -> list[tuple[date, str]]:
        """Each day from `first` to `last` (both included) that is not a business day, with
        why: what a request's audit trail records of the days its clock skipped."""
        out = []
        day = first
        while day <= last:
            reason = self.closed_because(day)
            if reason is not None:
                out.append((day, reason))
            day += timedelta(days=1)
        return out

    # Counting.

    def next_business_day(self, day: date) -> date:
        """The first business day after `day`."""
        return self.add_business_days(day, 1)

    def add_business_days(self, day: date, n: int) -> date:
        """The n-th business day after `day` (`day` itself is day 0, whatever it is)."""
        if n < 0:
            raise ValueError(f"cannot count {n} business days: the count starts at 0")
        while n:
            day += timedelta(days=1)
            if self.is_business_day(day):
                n -= 1
        return day

    def business_days_left(self, due: date, *, today: date) -> int:
        """Business days from `today` to `due`: those after today up to and including the due
        day, so 0 on the due day (or on a day off just before it, when no business day is
        left in between). Once the due day has passed, minus the business days since it, and
        never 0: the day after a Friday due date is -1, as is the Monday."""
        if today <= due:
            return self._count(today, due)
        return -max(1, self._count(due, today))

    def _count(self, after: date, through: date) -> int:
        """Business days after `after`, up to and including `through`."""
        return sum(
            self.is_business_day(after + timedelta(days=i))
            for i in range(1, (through - after).days + 1)
        )

    # Requests.

    def received_on(self, at: datetime) -> date:
        """The effective day of receipt (day 0) of a request that arrived at `at` (aware): the
        district's day it arrived, or the next business day when it arrived at or after the
        office's closing time or on a day that is not a business day (if
        `next_business_day_receipt`, the default)."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"a request's time of receipt must be timezone-aware, got {at}")
        local = at.astimezone(self.district.zone)
        day = local.date()
        if not self.next_business_day_receipt:
            return day
        if not self.is_business_day(day) or local.time() >= self.office_closes:
            return self.next_business_day(day)
        return day

    def public_records_due(self, received_at: datetime) -> PublicRecordsDue:
        """The due dates of a public-records request that arrived at `received_at`."""
        day0 = self.received_on(received_at)
        return PublicRecordsDue(
            received=day0,
            response=self.add_business_days(day0, RESPONSE_DAYS),
            production=self.add_business_days(day0, self.production_days),
            petition=self.add_business_days(day0, PETITION_DAYS),
        )

    def extended_due(self, production: date, grant: int | date = MUNICIPAL_EXTENSION_DAYS) -> date:
        """The production date after the Supervisor's extension: `grant` business days after
        the original production date `production` (30, the most a municipality gets, unless
        told otherwise), or the day the grant names."""
        if isinstance(grant, date):
            if grant <= production:
                raise UsageError(
                    f"an extension to {grant.isoformat()} is not after the production date "
                    f"{production.isoformat()}"
                )
            return grant
        if grant < 1:
            raise UsageError(f"an extension must be at least 1 business day, got {grant}")
        return self.add_business_days(production, grant)

    def student_records_due(self, received_at: datetime) -> date:
        """When a parent's or eligible student's request to see the student record is due
        (603 CMR 23.07): 10 calendar days after the effective day of receipt, receipt counted
        as for a public-records request (unverified for student records)."""
        return self.received_on(received_at) + timedelta(days=STUDENT_RECORD_DAYS)

    def appeal_window_ends(self, closed: date) -> date:
        """The last day a requester may appeal to the Supervisor of Records about a request
        closed (finally answered) on `closed`: `appeal_window_days` calendar days later (90,
        unverified). Its records are kept at least until then."""
        return closed + timedelta(days=self.appeal_window_days)

    def rules(self) -> str:
        """The rules this calendar applies, in plain text, for a request's audit trail."""
        if self.suffolk_county:
            suffolk = (
                "Suffolk County: yes: Evacuation Day (March 17) and Bunker Hill Day (June 17) "
                "are not business days; on a Sunday, the Monday after is not [unverified]."
            )
        else:
            suffolk = "Suffolk County: no: Evacuation Day and Bunker Hill Day are business days."
        closures = ", ".join(d.isoformat() for d in sorted(self.closures)) or "none"
        closes = self.office_closes.strftime("%H:%M")
        zone = self.district.zone.key
        if self.next_business_day_receipt:
            receipt = (
                f"Receipt: day 0 is the day the request arrived ({zone}); one that arrived at "
                f"{closes} or later, or on a day that is not a business day, is received on "
                "the next business day [unverified]."
            )
        else:
            receipt = (
                f"Receipt: day 0 is the day the request arrived ({zone}), whatever the hour "
                "or the day [unverified]."
            )
        return "\n".join(
            [
                "Business days: Monday to Friday, except Massachusetts legal holidays "
                "(G.L. c.4 s.7 cl.18) and the district's closures.",
                "Legal holidays: "
                + ", ".join(LEGAL_HOLIDAYS)
                + " (Juneteenth from 2021); one on a Sunday is observed on the Monday after, "
                "one on a Saturday is not moved.",
                suffolk,
                f"District closures (not business days) [unverified: whether a closure "
                f"stops the clock]: {closures}.",
                receipt,
                f"Public records (G.L. c.66 s.10): the written response is due on the "
                f"{RESPONSE_DAYS}th business day after receipt, production on the "
                f"{self.production_days}th, a petition to the Supervisor of Records for more "
                f"time by the {PETITION_DAYS}th; an extension runs from the production date "
                f"(at most {MUNICIPAL_EXTENSION_DAYS} business days for a municipality, once).",
                f"Appeals: a requester may appeal to the Supervisor of Records until "
                f"{self.appeal_window_days} calendar days after the request is closed "
                "[unverified: 950 CMR 32.08].",
                f"Student records (603 CMR 23.07): due {STUDENT_RECORD_DAYS} calendar days "
                "after receipt, counted as above [unverified: whether after-hours and "
                "weekend receipt, or a due day that is not a business day, change it].",
            ]
        )


def _add(found: dict[date, str], day: date, name: str) -> None:
    found[day] = f"{found[day]}; {name}" if day in found else name
