"""Public-records fees: the itemised, good-faith estimate a written response gives.

The rules (G.L. c.66, §10(d); 950 CMR 32.07; records-law.md 1.5):
- black-and-white copies cost $0.05 a page;
- work is charged by the hour at the rate of the lowest-paid employee able to do it, at most
  $25 an hour unless the Supervisor of Records has approved more;
- the first hours of work are free: 2 for a municipality of more than 20,000 people, none for a
  smaller one, 4 for an agency (`[requests] municipal_population` says which applies);
- time spent segregating or redacting is chargeable only with the Supervisor's approval;
- no fee at all may be charged when the written response was late, that is not sent within 10
  business days (950 CMR 32.06(2)(c)).

Money is Decimal, never float, and every amount is rounded to the cent (half up) before it is
added, so the lines always add up to the total the letter shows. Pure: no database, no clock.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from archiver.errors import UsageError

PAGE_RATE = Decimal("0.05")  # a black-and-white copy, per page
RATE_CAP = Decimal(25)  # dollars an hour, unless the Supervisor of Records approves more
LARGE_MUNICIPALITY = 20_000  # more people than this: the first 2 hours are free
MUNICIPAL_FREE_HOURS = Decimal(2)
AGENCY_FREE_HOURS = Decimal(4)
CENT = Decimal("0.01")
AUTHORITY = "G.L. c.66, §10(d); 950 CMR 32.07"
LATE_RULE = "950 CMR 32.06(2)(c)"
_WIDTH = 88  # the notes under the lines are wrapped to this many characters

Amount = Decimal | int | str  # a str is parsed (as a command line gives it); never a float


def _amount(value: Amount, what: str) -> Decimal:
    """`value` as a finite, non-negative Decimal; UsageError naming `what` if it is not one.

    A float is refused (TypeError): binary fractions are not cents.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"{what}: give a Decimal, an int or a str, not {type(value).__name__}")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise UsageError(f"{what}: {value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise UsageError(f"{what}: {value!r} must be a number of at least 0")
    return number


def free_hours(population: int | None) -> Decimal:
    """The hours of work that are free: `population` is the municipality's; None is an agency."""
    if population is None:
        return AGENCY_FREE_HOURS
    return MUNICIPAL_FREE_HOURS if population > LARGE_MUNICIPALITY else Decimal(0)


@dataclass(frozen=True)
class Task:
    """A piece of work the request needs: what it is, and how many hours it will take.

    `redaction` marks segregating or redacting, chargeable only with the Supervisor's approval.
    """

    name: str
    hours: Amount
    redaction: bool = False


@dataclass(frozen=True)
class FeeLine:
    """One task in the estimate: its hours, how many of them are free, the hourly rate and the
    amount charged (rounded to the cent)."""

    task: str
    hours: Decimal
    free_hours: Decimal
    rate: Decimal
    amount: Decimal
    redaction: bool = False

    @property
    def charged_hours(self) -> Decimal:
        return self.hours - self.free_hours


@dataclass(frozen=True)
class FeeEstimate:
    """An itemised estimate: `lines` (work), `pages` of copies at `page_rate`, and `total`,
    which is exactly the sum of the lines' amounts and `copies`. `late`: the written response
    was late, so every amount is zero."""

    lines: tuple[FeeLine, ...]
    free_hours: Decimal  # free hours used by the lines (at most `free_allowance`)
    free_allowance: Decimal
    population: int | None
    pages: int
    page_rate: Decimal
    copies: Decimal
    total: Decimal
    late: bool
    rate_approved: bool

    def render(self) -> str:
        """The estimate as plain text, for the written response."""
        return render(self)


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def estimate_fee(
    tasks: Sequence[Task],
    *,
    hourly_rate: Amount,
    population: int | None,
    pages: int = 0,
    late: bool = False,
    rate_approved: bool = False,
    redaction_approved: bool = False,
) -> FeeEstimate:
    """The fee estimate for `tasks` and `pages` of black-and-white copies.

    `population`: the municipality's (`[requests] municipal_population`), or None for an
    agency; the free hours it allows are applied to the tasks in the order given. An hourly
    rate over $25 needs `rate_approved`, and a redaction task `redaction_approved` (both the
    Supervisor of Records'); without them, UsageError. `late`: the written response was not
    sent within 10 business days, so nothing is charged.
    """
    rate = _amount(hourly_rate, "hourly rate")
    if rate != rate.quantize(CENT):
        raise UsageError(f"hourly rate: {hourly_rate!r} has a fraction of a cent")
    if rate > RATE_CAP and not rate_approved:
        raise UsageError(
            f"hourly rate: ${rate:,.2f} is over the ${RATE_CAP:.2f} an hour the law allows "
            f"({AUTHORITY}) unless the Supervisor of Records has approved a higher rate"
        )
    if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
        raise UsageError(f"pages: {pages!r} must be a whole number of at least 0")
    allowance = free_hours(population)
    left = allowance
    lines: list[FeeLine] = []
    for task in tasks:
        name = task.name.strip()
        if not name:
            raise UsageError("a task needs a name (what the work is)")
        hours = _amount(task.hours, f"task {name!r}: hours")
        if task.redaction and not redaction_approved:
            raise UsageError(
                f"task {name!r}: time spent segregating or redacting can be charged only with "
                f"the Supervisor of Records' approval ({AUTHORITY}); leave it out of the "
                "estimate, or say the Supervisor approved it"
            )
        free = min(hours, left)
        left -= free
        amount = Decimal(0) if late else _cents((hours - free) * rate)
        lines.append(FeeLine(name, hours, free, rate, amount, task.redaction))
    copies = Decimal(0) if late else _cents(pages * PAGE_RATE)
    total = sum((line.amount for line in lines), copies)
    return FeeEstimate(
        lines=tuple(lines),
        free_hours=allowance - left,
        free_allowance=allowance,
        population=population,
        pages=pages,
        page_rate=PAGE_RATE,
        copies=copies,
        total=total,
        late=late,
        rate_approved=rate_approved,
    )


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _hours(hours: Decimal) -> str:
    text = format(hours.normalize(), "f")
    return f"{text} hour" if hours == 1 else f"{text} hours"


def _describe(line: FeeLine, late: bool) -> str:
    what = line.task
    if late:
        return f"{what}: {_hours(line.hours)}, not charged"
    if line.free_hours == 0:
        return f"{what}: {_hours(line.hours)} at {_money(line.rate)} an hour"
    if line.charged_hours == 0:
        return f"{what}: {_hours(line.hours)}, free"
    return (
        f"{what}: {_hours(line.hours)}, {_hours(line.free_hours)} free, "
        f"{_hours(line.charged_hours)} at {_money(line.rate)} an hour"
    )


def _free_note(estimate: FeeEstimate) -> str:
    if estimate.population is None:
        return f"The first {_hours(estimate.free_allowance)} of work are free (an agency)."
    if estimate.free_allowance:
        return (
            f"The first {_hours(estimate.free_allowance)} of work are free: the district "
            f"serves a municipality of more than {LARGE_MUNICIPALITY:,} people."
        )
    return (
        "No hours of work are free: the district serves a municipality of "
        f"{LARGE_MUNICIPALITY:,} people or fewer."
    )


def render(estimate: FeeEstimate) -> str:
    """The itemised estimate as plain text: one line per task and for copies, the total, and
    the rules that shaped it."""
    rows = [(_describe(line, estimate.late), line.amount) for line in estimate.lines]
    if estimate.pages:
        pages = f"{estimate.pages:,} page" + ("" if estimate.pages == 1 else "s")
        copies = f"Black-and-white copies: {pages} at {_money(estimate.page_rate)} a page"
        rows.append((copies + (", not charged" if estimate.late else ""), estimate.copies))
    rows.append(("Total", estimate.total))
    width = max(len(text) for text, _ in rows)
    amounts = max(len(_money(amount)) for _, amount in rows)
    out = [f"Fee estimate ({AUTHORITY})"]
    out += [f"  {text:<{width}}  {_money(amount):>{amounts}}" for text, amount in rows]
    notes: list[str] = []
    if estimate.late:
        notes.append(
            "No fee is charged: the written response was not sent within 10 business days "
            f"of receiving the request ({LATE_RULE})."
        )
    elif estimate.lines:
        above_cap = any(line.rate > RATE_CAP for line in estimate.lines)
        notes.append(
            "Work is charged at the hourly rate of the lowest-paid employee able to do it, "
            + (
                f"above {_money(RATE_CAP)} an hour with the Supervisor of Records' approval."
                if above_cap
                else f"at most {_money(RATE_CAP)} an hour."
            )
        )
        notes.append(_free_note(estimate))
        if any(line.redaction for line in estimate.lines):
            notes.append(
                "Time spent segregating or redacting is charged with the Supervisor of "
                "Records' approval."
            )
    out += [textwrap.fill(note, _WIDTH) for note in notes]
    return "\n".join(out) + "\n"
