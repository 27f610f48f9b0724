"""Time, injected: the clock every service reads (a fixed one in tests), and the district's
days (a day is always a day in the district's time zone; storage is UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Where "now" comes from."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that says what it is told (tests): `advance` moves it on."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a FixedClock needs a timezone-aware time")
        self.at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


@dataclass(frozen=True)
class District:
    """The district's days: which day a moment falls on, and when a day begins, in its time
    zone (`[archive] timezone`)."""

    zone: ZoneInfo

    @classmethod
    def named(cls, name: str) -> District:
        """The district of IANA zone `name`; raises ValueError (ZoneInfoNotFoundError) if
        there is no such zone."""
        return cls(ZoneInfo(name))

    def day_of(self, when: datetime) -> date:
        """The district's day at moment `when`."""
        return when.astimezone(self.zone).date()

    def start(self, day: date) -> datetime:
        """When `day` begins in the district, in UTC."""
        return datetime.combine(day, time(0), self.zone).astimezone(UTC)

    def today(self, clock: Clock) -> date:
        return self.day_of(clock.now())
