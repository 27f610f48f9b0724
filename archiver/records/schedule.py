"""The retention schedule: record series, classification rules and the dates they give.

The schedule is data (DESIGN.md section 9.1): a TOML file of `[[series]]` (how long a kind of
record is kept, from which event, and what happens then) and ordered `[[rules]]` (which series a
record belongs to; first match wins, the last rule is the default). The archiver ships
`config/retention/massachusetts-schools.toml` (package data `archiver.schedules`); a district
names its own with `[retention] schedule`.

Pure: no database, no keys. Loading checks everything at once, so `config validate` can list
every problem with its file and line or key, and the rest of the code can trust a `Schedule`.
Rules are only read here; matching them against records (words through the blind index) is done
where records are.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from archiver.errors import ConfigError
from archiver.records.datafile import built_in_label, parse_toml, read_data_file, text_problem

TRIGGERS = ("sent", "calendar-year-end", "fiscal-year-end", "school-year-end", "student-exit")
LIMITS = ("minimum", "maximum")
DISPOSITIONS = ("destroy", "review", "permanent")
APPROVALS = ("rmu-2", "none")
STATUSES = ("active", "quarantined")
STUDENTS = ("any", "none")
TAG_SOURCES = ("explicit", "address", "name", "context", "manual")
MANUAL = "manual"  # what a record names instead of a rule when its series was set by hand
BUILT_IN = "massachusetts-schools"
BUILT_IN_SOURCE = built_in_label(BUILT_IN)
_PACKAGE = "archiver.schedules"  # config/retention, installed as package data

_PERIOD = re.compile(r"^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)d)?$")
_PERIOD_HINT = "use e.g. 7y, 18m, 30d, 1y6m or permanent"
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^@[^@\s]+\.[^@\s]+$")
# Caps keep every date the schedule can produce inside `date` (year 9999).
_MAX_YEARS, _MAX_MONTHS, _MAX_DAYS = 1000, 12000, 366000

_SERIES_KEYS = (
    "code",
    "title",
    "citation",
    "period",
    "trigger",
    "limit",
    "disposition",
    "approval",
    "verified",
)
_CONDITION_KEYS = (
    "status",
    "students",
    "tag_sources",
    "forwarder",
    "participant",
    "words",
    "sources",
)
_RULE_KEYS = ("name", "series", *_CONDITION_KEYS)


@dataclass(frozen=True)
class Period:
    """How long a series is kept: years, months and days after its trigger, or for ever."""

    years: int = 0
    months: int = 0
    days: int = 0
    permanent: bool = False

    def __post_init__(self) -> None:
        if min(self.years, self.months, self.days) < 0:
            raise ValueError("a period cannot be negative")
        if self.permanent and (self.years or self.months or self.days):
            raise ValueError("a permanent period has no years, months or days")

    def after(self, day: date) -> date | None:
        """The day this period ends when it starts on `day`; None if permanent.

        Years and months are added first, as calendar months: a day the target month lacks
        becomes its last day (Feb 29 + 1y is Feb 28, Jan 31 + 1m is Feb 28 or 29), so a period
        never ends later than the law's reading of "N years after". Days are added last.
        """
        if self.permanent:
            return None
        return date.fromordinal(
            _add_months(day, self.years * 12 + self.months).toordinal() + self.days
        )

    def __str__(self) -> str:
        if self.permanent:
            return "permanent"
        parts = [f"{n}{unit}" for n, unit in ((self.years, "y"), (self.months, "m")) if n]
        if self.days or not parts:
            parts.append(f"{self.days}d")
        return "".join(parts)


def _add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_period(text: str) -> Period:
    """A period from its text: "7y", "18m", "30d", "1y6m", "0d" or "permanent".

    Raises ValueError saying what is accepted.
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a period ({_PERIOD_HINT})")
    clean = text.strip().lower()
    if clean == "permanent":
        return Period(permanent=True)
    m = _PERIOD.match(clean)
    if not clean or not m:
        raise ValueError(f"{text!r} is not a period ({_PERIOD_HINT})")
    years, months, days = (int(g or 0) for g in m.groups())
    if years > _MAX_YEARS or months > _MAX_MONTHS or days > _MAX_DAYS:
        raise ValueError(f"{text!r} is too long a period (at most {_MAX_YEARS} years)")
    return Period(years, months, days)


@dataclass(frozen=True)
class Series:
    """A record series: what it is, the authority for it, and how long it is kept.

    `limit` is "minimum" (keep at least `period`) or "maximum" (destroy no later than that, as
    603 CMR 23.06 says of temporary student records). `verified` is false where the period or
    trigger rests on a fact not yet checked against its source (records-law.md's [U]).
    """

    code: str
    title: str
    citation: str
    period: Period
    trigger: str
    limit: str
    disposition: str
    approval: str
    verified: bool


@dataclass(frozen=True)
class Conditions:
    """What a rule asks of a record. Every condition given must hold; in a list, any item.

    `students`: "any" (tagged with at least one student) or "none"; `tag_sources`: tagged by
    at least one of these sources; `forwarder` and `participant`: lowercased addresses or
    "@domain"s; `words`: a search query as `archiver search` takes it; `sources`: source names.
    """

    status: str | None = None
    students: str | None = None
    tag_sources: tuple[str, ...] = ()
    forwarder: tuple[str, ...] = ()
    participant: tuple[str, ...] = ()
    words: str = ""
    sources: tuple[str, ...] = ()

    def empty(self) -> bool:
        """True for the default rule: it matches every record."""
        return self == Conditions()


@dataclass(frozen=True)
class Rule:
    """A classification rule: records matching `when` belong to series `series`."""

    name: str
    series: str
    when: Conditions


@dataclass(frozen=True)
class Schedule:
    """A loaded, checked schedule. `digest` (SHA-256 of the file's bytes) lets the archive see
    that the schedule it classified records with has changed."""

    source: str
    series: dict[str, Series]
    rules: tuple[Rule, ...]
    digest: str

    def get(self, code: str) -> Series:
        """The series `code`; KeyError naming the known codes."""
        try:
            return self.series[code]
        except KeyError:
            known = ", ".join(self.series)
            raise KeyError(f"no series {code!r} in {self.source} (series: {known})") from None

    def rule(self, name: str) -> Rule:
        """The rule called `name`; KeyError naming the known rules."""
        for r in self.rules:
            if r.name == name:
                return r
        known = ", ".join(r.name for r in self.rules)
        raise KeyError(f"no rule {name!r} in {self.source} (rules: {known})")


def _choice(value: Any, allowed: tuple[str, ...]) -> str | None:
    """The problem with `value` as one of `allowed`, or None."""
    if value in allowed:
        return None
    return f"{value!r} is not one of " + ", ".join(allowed)


def _series(i: int, raw: Any, problems: list[str]) -> Series | None:
    """Series number `i` from its table, appending every problem; None if it has any."""
    code = raw.get("code") if isinstance(raw, dict) else None
    key = f"series[{i}]" + (f" ({code})" if isinstance(code, str) and code else "")
    if not isinstance(raw, dict):
        problems.append(f"{key}: must be a table ([[series]])")
        return None
    found: list[str] = []
    found += [f"{key}: unknown key {k!r}" for k in raw if k not in _SERIES_KEYS]
    found += [f"{key}.{k}: missing" for k in _SERIES_KEYS if k not in raw]
    if "code" in raw and not (isinstance(code, str) and _CODE.match(code)):
        found.append(f"{key}.code: {code!r} is not a code (letters, digits, '.', '_', '-')")
    for k in ("title", "citation"):
        problem = text_problem(raw[k]) if k in raw else None
        if problem:
            found.append(f"{key}.{k}: {problem}")
    period: Period | None = None
    if "period" in raw:
        try:
            period = parse_period(raw["period"])
        except ValueError as exc:
            found.append(f"{key}.period: {exc}")
    for k, allowed in (
        ("trigger", TRIGGERS),
        ("limit", LIMITS),
        ("disposition", DISPOSITIONS),
        ("approval", APPROVALS),
    ):
        problem = _choice(raw[k], allowed) if k in raw else None
        if problem:
            found.append(f"{key}.{k}: {problem}")
    if "verified" in raw and not isinstance(raw["verified"], bool):
        found.append(f"{key}.verified: must be true or false, got {raw['verified']!r}")
    if period is not None and raw.get("disposition") in DISPOSITIONS:
        if period.permanent != (raw["disposition"] == "permanent"):
            found.append(
                f"{key}.disposition: a permanent period goes with disposition 'permanent', "
                "and only it"
            )
        elif period.permanent and raw.get("limit") == "maximum":
            found.append(f"{key}.limit: a permanent period cannot be a maximum")
    problems += found
    if found or period is None:
        return None
    return Series(
        code=raw["code"],
        title=raw["title"],
        citation=raw["citation"],
        period=period,
        trigger=raw["trigger"],
        limit=raw["limit"],
        disposition=raw["disposition"],
        approval=raw["approval"],
        verified=raw["verified"],
    )


def _strings(
    key: str, value: Any, check: Callable[[str], str | None], problems: list[str]
) -> tuple[str, ...]:
    """A condition's list of strings, each passing `check` (returns a problem or None)."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.append(f"{key}: must be a non-empty list of strings, got {value!r}")
        return ()
    out = []
    for v in value:
        problem = check(v)
        if problem:
            problems.append(f"{key}: {problem}")
        out.append(v)
    return tuple(out)


def _address(value: str) -> str | None:
    if _ADDRESS.match(value) or _DOMAIN.match(value):
        return None
    return f"{value!r} is not an address or an @domain"


def _source_name(value: str) -> str | None:
    return None if value.strip() else "a source name cannot be empty"


def _conditions(key: str, raw: dict[str, Any], problems: list[str]) -> Conditions:
    found: list[str] = []
    for k, allowed in (("status", STATUSES), ("students", STUDENTS)):
        problem = _choice(raw[k], allowed) if k in raw else None
        if problem:
            found.append(f"{key}.{k}: {problem}")
    empty: tuple[str, ...] = ()
    tag_sources = forwarder = participant = sources = empty
    if "tag_sources" in raw:
        tag_sources = _strings(
            f"{key}.tag_sources", raw["tag_sources"], lambda v: _choice(v, TAG_SOURCES), found
        )
    if "forwarder" in raw:
        forwarder = _strings(f"{key}.forwarder", raw["forwarder"], _address, found)
    if "participant" in raw:
        participant = _strings(f"{key}.participant", raw["participant"], _address, found)
    if "sources" in raw:
        sources = _strings(f"{key}.sources", raw["sources"], _source_name, found)
    if "words" in raw and text_problem(raw["words"]):
        found.append(f"{key}.words: must be a search query (a non-empty string)")
    problems += found
    if found:
        return Conditions()
    return Conditions(
        status=raw.get("status"),
        students=raw.get("students"),
        tag_sources=tag_sources,
        forwarder=tuple(a.lower() for a in forwarder),
        participant=tuple(a.lower() for a in participant),
        words=raw.get("words", "").strip(),
        sources=sources,
    )


def _rule(i: int, raw: Any, codes: list[str] | None, problems: list[str]) -> Rule | None:
    """Rule number `i`, appending every problem; `codes` None: the series could not be read."""
    name = raw.get("name") if isinstance(raw, dict) else None
    key = f"rules[{i}]" + (f" ({name})" if isinstance(name, str) and name else "")
    if not isinstance(raw, dict):
        problems.append(f"{key}: must be a table ([[rules]])")
        return None
    found: list[str] = []
    found += [
        f"{key}: unknown key {k!r} (a rule has name, series and conditions: "
        + ", ".join(_CONDITION_KEYS)
        + ")"
        for k in raw
        if k not in _RULE_KEYS
    ]
    if "name" not in raw:
        found.append(f"{key}.name: missing")
    elif text_problem(name):
        found.append(f"{key}.name: {text_problem(name)}")
    elif name == MANUAL:
        found.append(f"{key}.name: {MANUAL!r} is reserved for series set by hand")
    series = raw.get("series")
    if "series" not in raw:
        found.append(f"{key}.series: missing")
    elif codes is not None and series not in codes:
        found.append(f"{key}.series: unknown series {series!r} (series: {', '.join(codes)})")
    when = _conditions(key, raw, found)
    problems += found
    if found:
        return None
    return Rule(name=str(name), series=str(series), when=when)


def _parse(label: str, data: bytes) -> tuple[Schedule | None, list[str]]:
    """The schedule in `data`, or None and every problem (each prefixed with `label`)."""
    doc, problems = parse_toml(label, data)
    if doc is None:
        return None, problems
    for k in doc:
        if k not in ("series", "rules"):
            problems.append(f"unknown top-level key {k!r} (a schedule has [[series]], [[rules]])")
    raw_series = doc.get("series", [])
    raw_rules = doc.get("rules", [])
    for k, raw in (("series", raw_series), ("rules", raw_rules)):
        if not isinstance(raw, list):
            problems.append(f"{k}: must be tables ([[{k}]])")
    series_readable = isinstance(raw_series, list)
    if not series_readable:
        raw_series = []
    elif not raw_series:
        problems.append("no series: a schedule needs at least one [[series]]")
    rules_readable = isinstance(raw_rules, list)
    if not rules_readable:
        raw_rules = []
    series: dict[str, Series] = {}
    codes: list[str] = []
    for i, raw in enumerate(raw_series):
        s = _series(i, raw, problems)
        code = raw.get("code") if isinstance(raw, dict) else None
        if isinstance(code, str):
            if code in codes:
                problems.append(f"series[{i}] ({code}).code: {code!r} is used by another series")
            codes.append(code)
        if s is not None and s.code not in series:
            series[s.code] = s
    rules: list[Rule] = []
    names: list[str] = []
    for i, raw in enumerate(raw_rules):
        r = _rule(i, raw, codes if series_readable else None, problems)
        name = raw.get("name") if isinstance(raw, dict) else None
        if isinstance(name, str) and name:
            if name in names:
                problems.append(f"rules[{i}] ({name}).name: {name!r} is used by another rule")
            names.append(name)
        if r is not None:
            rules.append(r)
    if rules_readable and not raw_rules:
        problems.append("no rules: a schedule needs [[rules]], the last one with no conditions")
    elif raw_rules and isinstance(raw_rules[-1], dict):
        last = raw_rules[-1]
        conditions = [k for k in last if k in _CONDITION_KEYS]
        if conditions:
            name = last.get("name")
            key = f"rules[{len(raw_rules) - 1}]" + (f" ({name})" if isinstance(name, str) else "")
            problems.append(
                f"{key}: the last rule is the default and must have no conditions "
                f"(it has {', '.join(conditions)}); add a last rule with only name and series"
            )
    if problems:
        return None, [f"{label}: {p}" for p in problems]
    digest = hashlib.sha256(data).hexdigest()
    return Schedule(source=label, series=series, rules=tuple(rules), digest=digest), []


def schedule_problems(path: Path | None) -> list[str]:
    """Every problem with the schedule at `path` (None: the shipped one); empty if it loads.

    Each names the file and the line (TOML syntax) or the key, e.g.
    "s.toml: series[3] (PERS).period: 'seven years' is not a period (...)".
    """
    label, data, problems = read_data_file(path, _PACKAGE, BUILT_IN, "schedule")
    if data is None:
        return problems
    return _parse(label, data)[1]


def load_schedule(path: Path | None) -> Schedule:
    """The schedule at `path`, or the shipped Massachusetts schools schedule if None.

    Raises ConfigError listing every problem (exit code 2).
    """
    label, data, problems = read_data_file(path, _PACKAGE, BUILT_IN, "schedule")
    if data is None:
        raise ConfigError(problems)
    schedule, problems = _parse(label, data)
    if schedule is None:
        raise ConfigError(problems)
    return schedule


def _on_or_after(day: date, month: int, dom: int) -> date:
    """The first (month, dom) on or after `day`; Feb 29 is Feb 28 in a common year."""
    candidate = date(day.year, month, min(dom, calendar.monthrange(day.year, month)[1]))
    if candidate >= day:
        return candidate
    year = day.year + 1
    return date(year, month, min(dom, calendar.monthrange(year, month)[1]))


def school_year_end_of(day: date, school_year_end: tuple[int, int]) -> date:
    """The last day of the school year `day` is in (`[retention] school_year_end`, as (month,
    day)): the day "this school year's" due list runs to."""
    return _on_or_after(day, *school_year_end)


def trigger_day(
    series: Series,
    sent_day: date,
    exit_dates: Sequence[date | None],
    school_year_end: tuple[int, int],
) -> date | None:
    """The day `series`'s clock starts for a record sent on `sent_day` (a district day).

    `exit_dates` are those of the students the record is tagged with (None: still enrolled);
    `school_year_end` is (month, day), from `[retention] school_year_end`. For student-exit the
    clock waits (None) until every tagged student has left, and then starts at the latest exit:
    the record concerns all of them, and it may be kept no shorter for one than for another.
    """
    trigger = series.trigger
    if trigger == "sent":
        return sent_day
    if trigger == "calendar-year-end":
        return date(sent_day.year, 12, 31)
    if trigger == "fiscal-year-end":
        return _on_or_after(sent_day, 6, 30)
    if trigger == "school-year-end":
        return school_year_end_of(sent_day, school_year_end)
    if trigger == "student-exit":
        if not exit_dates:
            return None
        days = [d for d in exit_dates if d is not None]
        return max(days) if len(days) == len(exit_dates) else None
    raise ValueError(f"series {series.code}: unknown trigger {trigger!r}")


def retain_until(series: Series, trigger: date | None) -> date | None:
    """The day `series`'s period is over, counted from `trigger`: None while the trigger is
    pending or if the series is permanent. For a minimum series the record is eligible from
    that day; for a maximum series it must be destroyed by then."""
    if trigger is None:
        return None
    return series.period.after(trigger)
