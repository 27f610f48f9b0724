"""The business-day calendar of requests for records (archiver/records/calendar.py).

Every expected date below was counted by hand on a printed calendar, and each test says how:
day 0 is the effective day of receipt, then each business day is numbered, and the days
skipped are named. A district in Boston's zone (America/New_York) unless said otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest

from archiver.clock import District
from archiver.errors import UsageError
from archiver.records.calendar import LEGAL_HOLIDAYS, BusinessCalendar, PublicRecordsDue
from archiver.settings import parse_settings

BOSTON = ZoneInfo("America/New_York")
DISTRICT = District(BOSTON)


def at(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in the district's zone (10:00, office hours, unless said)."""
    return datetime(y, m, d, hour, minute, tzinfo=BOSTON)


@pytest.fixture
def cal() -> BusinessCalendar:
    return BusinessCalendar(DISTRICT)


# What the `holidays` package gives for Massachusetts, checked against the statute
# (G.L. c.4 s.7 cl.18) as the research summarises it.


def test_the_library_names_exactly_the_statutes_holidays_in_a_year() -> None:
    names = set(holidays.country_holidays("US", subdiv="MA", years=2026).values())
    assert names == set(LEGAL_HOLIDAYS)


def test_patriots_day_is_the_third_monday_of_april(cal: BusinessCalendar) -> None:
    # April 2026: Mondays are the 6th, 13th and 20th.
    assert cal.closed_because(date(2026, 4, 20)) == "Patriots' Day"
    # April 2027: Mondays 5, 12, 19.
    assert cal.closed_because(date(2027, 4, 19)) == "Patriots' Day"


def test_juneteenth_counts_from_2021(cal: BusinessCalendar) -> None:
    # 2020-06-19 was a Friday, before the law took effect (signed July 24, 2020): a business day.
    assert cal.is_business_day(date(2020, 6, 19))
    # 2021-06-19 was a Saturday: not moved, so Friday the 18th stayed a business day.
    assert "Juneteenth" in (cal.closed_because(date(2021, 6, 19)) or "")
    assert cal.is_business_day(date(2021, 6, 18))
    # 2022-06-19 was a Sunday: observed on Monday the 20th.
    assert (
        cal.closed_because(date(2022, 6, 20)) == "Juneteenth National Independence Day (observed)"
    )


def test_sunday_holidays_are_observed_on_monday(cal: BusinessCalendar) -> None:
    # Christmas 2022 and New Year's Day 2023 were Sundays.
    assert cal.closed_because(date(2022, 12, 26)) == "Christmas Day (observed)"
    assert cal.closed_because(date(2023, 1, 2)) == "New Year's Day (observed)"
    # Independence Day 2027 is a Sunday: Monday July 5 is the holiday.
    assert cal.closed_because(date(2027, 7, 5)) == "Independence Day (observed)"


def test_saturday_holidays_are_not_moved(cal: BusinessCalendar) -> None:
    # Christmas 2027 and New Year's Day 2028 are Saturdays: the Fridays before them
    # (2027-12-24, 2027-12-31) and the Mondays after (12-27, 2028-01-03) are business days.
    assert cal.closed_because(date(2027, 12, 25)) == "weekend (Saturday); Christmas Day"
    assert cal.closed_because(date(2028, 1, 1)) == "weekend (Saturday); New Year's Day"
    for day in (date(2027, 12, 24), date(2027, 12, 27), date(2027, 12, 31), date(2028, 1, 3)):
        assert cal.is_business_day(day), day
    # Independence Day 2026 is a Saturday: Friday July 3, 2026 is a business day.
    assert cal.is_business_day(date(2026, 7, 3))


# Public-records requests (c.66 s.10): response 10, petition 20, production 25 business days.


def test_a_request_on_the_thursday_before_patriots_day(cal: BusinessCalendar) -> None:
    # Received Thursday 2026-04-16 (day 0). Fri 17 = 1; Sat 18, Sun 19 weekend; Mon 20
    # Patriots' Day; Tue 21 = 2, Wed 22 = 3, Thu 23 = 4, Fri 24 = 5, Mon 27 = 6, Tue 28 = 7,
    # Wed 29 = 8, Thu 30 = 9, Fri May 1 = 10: the response is due Friday May 1 (a day later
    # than without the holiday). Then May 4-8 = 11-15, May 11-15 = 16-20 (petition: Friday
    # May 15), May 18-22 = 21-25 (production: Friday May 22; Memorial Day is May 25).
    due = cal.public_records_due(at(2026, 4, 16))
    assert due == PublicRecordsDue(
        received=date(2026, 4, 16),
        response=date(2026, 5, 1),
        production=date(2026, 5, 22),
        petition=date(2026, 5, 15),
    )
    # The days the clock skipped, as the audit trail records them.
    assert cal.closed_days(date(2026, 4, 17), date(2026, 4, 21)) == [
        (date(2026, 4, 18), "weekend (Saturday)"),
        (date(2026, 4, 19), "weekend (Sunday)"),
        (date(2026, 4, 20), "Patriots' Day"),
    ]


def test_the_extension_runs_from_the_production_date(cal: BusinessCalendar) -> None:
    # From production Friday 2026-05-22, 30 business days: Mon May 25 Memorial Day skipped;
    # May 26-29 = 1-4; Jun 1-5 = 5-9; Jun 8-12 = 10-14; Jun 15-18 = 15-18 (Wed 17 is a business
    # day outside Suffolk); Fri Jun 19 Juneteenth skipped; Jun 22-26 = 19-23; Jun 29-Jul 3 =
    # 24-28 (Sat Jul 4 is not moved, so Fri Jul 3 counts); Mon Jul 6 = 29, Tue Jul 7 = 30.
    assert cal.extended_due(date(2026, 5, 22)) == date(2026, 7, 7)
    # A grant of 5 business days: May 26, 27, 28, 29, Jun 1.
    assert cal.extended_due(date(2026, 5, 22), 5) == date(2026, 6, 1)
    # A grant to a named day is that day.
    assert cal.extended_due(date(2026, 5, 22), date(2026, 6, 30)) == date(2026, 6, 30)
    with pytest.raises(UsageError, match="not after the production date 2026-05-22"):
        cal.extended_due(date(2026, 5, 22), date(2026, 5, 22))
    with pytest.raises(UsageError, match="at least 1 business day"):
        cal.extended_due(date(2026, 5, 22), 0)


def test_the_week_of_juneteenth_on_a_thursday_2025(cal: BusinessCalendar) -> None:
    # Received Monday 2025-06-16 (day 0). Tue 17 = 1, Wed 18 = 2, Thu 19 Juneteenth skipped,
    # Fri 20 = 3, Jun 23-27 = 4-8, Mon 30 = 9, Tue Jul 1 = 10.
    assert cal.public_records_due(at(2025, 6, 16)).response == date(2025, 7, 1)


def test_the_week_of_juneteenth_on_a_saturday_2027(cal: BusinessCalendar) -> None:
    # Juneteenth 2027 is a Saturday and is not moved: nothing is skipped but weekends.
    # Received Monday 2027-06-14 (day 0). Jun 15-18 = 1-4 (Thu 17 is a business day outside
    # Suffolk), Jun 21-25 = 5-9, Mon Jun 28 = 10.
    assert cal.public_records_due(at(2027, 6, 14)).response == date(2027, 6, 28)
    assert cal.is_business_day(date(2027, 6, 18)) and cal.is_business_day(date(2027, 6, 21))


def test_sunday_christmas_and_new_year_observed_on_mondays(cal: BusinessCalendar) -> None:
    # Received Friday 2022-12-23 (day 0). Mon Dec 26 Christmas (observed) skipped; Dec 27-30 =
    # 1-4; Mon Jan 2 New Year's Day (observed) skipped; Jan 3-6 = 5-8; Mon Jan 9 = 9,
    # Tue Jan 10 = 10.
    assert cal.public_records_due(at(2022, 12, 23)).response == date(2023, 1, 10)


def test_across_new_year_after_hours_on_christmas_eve(cal: BusinessCalendar) -> None:
    # Received Wednesday 2025-12-24 at 17:30, after closing: the next business day is
    # Friday Dec 26 (Thursday the 25th is Christmas), day 0. Mon 29 = 1, Tue 30 = 2, Wed 31 = 3,
    # Thu Jan 1 2026 New Year's Day skipped, Fri Jan 2 = 4, Jan 5-9 = 5-9, Mon Jan 12 = 10.
    due = cal.public_records_due(at(2025, 12, 24, 17, 30))
    assert due.received == date(2025, 12, 26)
    assert due.response == date(2026, 1, 12)


def test_suffolk_county_adds_evacuation_and_bunker_hill_days() -> None:
    off = BusinessCalendar(DISTRICT)
    on = BusinessCalendar(DISTRICT, suffolk_county=True)
    # Received Monday 2026-03-16 (day 0). Outside Suffolk: Tue 17 = 1 ... Fri 20 = 4,
    # Mar 23-27 = 5-9, Mon Mar 30 = 10. In Suffolk, Tue Mar 17 (Evacuation Day) is skipped,
    # so every count moves one day: Tue Mar 31 = 10.
    assert off.public_records_due(at(2026, 3, 16)).response == date(2026, 3, 30)
    assert on.public_records_due(at(2026, 3, 16)).response == date(2026, 3, 31)
    # Bunker Hill Day 2026 is a Wednesday.
    assert off.is_business_day(date(2026, 6, 17))
    assert on.closed_because(date(2026, 6, 17)) == "Bunker Hill Day"
    # Evacuation Day 2024 was a Sunday: observed Monday March 18 in Suffolk only.
    assert on.closed_because(date(2024, 3, 18)) == "Evacuation Day (observed)"
    assert off.is_business_day(date(2024, 3, 18))


def test_after_the_closing_time_on_a_friday(cal: BusinessCalendar) -> None:
    # Friday 2026-10-09 at 17:30 in Boston (21:30 UTC: summer time until Nov 1) is after 17:00:
    # received on the next business day. Mon Oct 12 is Columbus Day, so day 0 is Tue Oct 13.
    # Oct 14-16 = 1-3, Oct 19-23 = 4-8, Mon 26 = 9, Tue 27 = 10.
    late = cal.public_records_due(datetime(2026, 10, 9, 21, 30, tzinfo=UTC))
    assert (late.received, late.response) == (date(2026, 10, 13), date(2026, 10, 27))
    # At 16:59 the same Friday is day 0: Tue 13 = 1 (Mon 12 skipped), Oct 14-16 = 2-4,
    # Oct 19-23 = 5-9, Mon Oct 26 = 10.
    in_time = cal.public_records_due(at(2026, 10, 9, 16, 59))
    assert (in_time.received, in_time.response) == (date(2026, 10, 9), date(2026, 10, 26))
    # 17:00 itself is closing time: the office is closed.
    assert cal.received_on(at(2026, 10, 9, 17, 0)) == date(2026, 10, 13)
    # 01:00 UTC on Saturday Oct 10 is still Friday 21:00 in the district: after hours.
    assert cal.received_on(datetime(2026, 10, 10, 1, 0, tzinfo=UTC)) == date(2026, 10, 13)


def test_a_later_closing_time_is_the_districts_to_set() -> None:
    # An office that closes at 18:00 received the 17:30 request on Friday 2026-10-09.
    late_office = BusinessCalendar(DISTRICT, office_closes=time(18))
    assert late_office.received_on(at(2026, 10, 9, 17, 30)) == date(2026, 10, 9)


def test_received_on_a_saturday(cal: BusinessCalendar) -> None:
    # Saturday 2026-11-07: received Monday Nov 9 (day 0). Tue 10 = 1, Wed 11 Veterans Day
    # skipped, Thu 12 = 2, Fri 13 = 3, Nov 16-20 = 4-8, Mon 23 = 9, Tue 24 = 10.
    due = cal.public_records_due(at(2026, 11, 7))
    assert (due.received, due.response) == (date(2026, 11, 9), date(2026, 11, 24))


def test_receipt_on_the_arrival_day_when_the_district_says_so() -> None:
    # next_business_day_receipt = false: Saturday 2026-11-07 itself is day 0, so the count
    # starts a business day earlier: Mon 9 = 1, Tue 10 = 2, Thu 12 = 3 (Wed 11 Veterans Day),
    # Fri 13 = 4, Nov 16-20 = 5-9, Mon Nov 23 = 10.
    same_day = BusinessCalendar(DISTRICT, next_business_day_receipt=False)
    assert same_day.received_on(at(2026, 11, 7, 23, 0)) == date(2026, 11, 7)
    assert same_day.public_records_due(at(2026, 11, 7)).response == date(2026, 11, 23)


def test_across_a_snow_day() -> None:
    snow = BusinessCalendar(DISTRICT, closures=[date(2026, 2, 2)])
    # Received Friday 2026-01-30 (day 0). Mon Feb 2 closed (snow), Feb 3-6 = 1-4, Feb 9-13 =
    # 5-9, Mon Feb 16 Washington's Birthday skipped, Tue Feb 17 = 10.
    assert snow.public_records_due(at(2026, 1, 30)).response == date(2026, 2, 17)
    # Without the closure: Feb 2-6 = 1-5, Feb 9-13 = 6-10: Friday Feb 13.
    assert BusinessCalendar(DISTRICT).public_records_due(at(2026, 1, 30)).response == date(
        2026, 2, 13
    )
    # A request that arrives on the snow day is received the next day.
    assert snow.received_on(at(2026, 2, 2, 9)) == date(2026, 2, 3)
    assert snow.closed_because(date(2026, 2, 2)) == "district closure"


def test_business_days_left(cal: BusinessCalendar) -> None:
    # The request of Thursday 2026-04-16 is due Friday May 1 (counted above).
    due = date(2026, 5, 1)
    assert cal.business_days_left(due, today=date(2026, 4, 16)) == 10  # day 0
    # Saturday Apr 18 to Patriots' Day Apr 20: Friday the 17th is behind us, 9 remain.
    for today in (date(2026, 4, 18), date(2026, 4, 19), date(2026, 4, 20)):
        assert cal.business_days_left(due, today=today) == 9
    assert cal.business_days_left(due, today=date(2026, 4, 30)) == 1
    assert cal.business_days_left(due, today=due) == 0
    # Overdue: Saturday May 2 and Monday May 4 are one business day late, Tuesday May 5 two.
    assert cal.business_days_left(due, today=date(2026, 5, 2)) == -1
    assert cal.business_days_left(due, today=date(2026, 5, 4)) == -1
    assert cal.business_days_left(due, today=date(2026, 5, 5)) == -2


def test_a_student_record_request_is_due_in_ten_calendar_days(cal: BusinessCalendar) -> None:
    # Received Thursday 2026-04-16 at 10:00: due 10 calendar days later, Sunday April 26
    # (Patriots' Day and the weekends count: these are calendar days).
    assert cal.student_records_due(at(2026, 4, 16)) == date(2026, 4, 26)
    # Receipt is counted as for public records: Friday 2026-10-09 at 17:30 is received
    # Tuesday Oct 13 (after hours, then Columbus Day), due Friday Oct 23.
    assert cal.student_records_due(at(2026, 10, 9, 17, 30)) == date(2026, 10, 23)


def test_the_appeal_window_is_ninety_calendar_days(cal: BusinessCalendar) -> None:
    # Closed Friday 2026-05-22: 90 days later is Thursday August 20 (9 days left in May,
    # 30 in June, 31 in July: 70; then 20 in August).
    assert cal.appeal_window_ends(date(2026, 5, 22)) == date(2026, 8, 20)


def test_a_naive_time_of_receipt_is_refused(cal: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.received_on(datetime(2026, 4, 16, 10, 0))  # noqa: DTZ001 -- the point of the test


def test_counting_starts_at_zero(cal: BusinessCalendar) -> None:
    assert cal.add_business_days(date(2026, 4, 18), 0) == date(2026, 4, 18)
    assert cal.next_business_day(date(2026, 4, 17)) == date(2026, 4, 21)
    with pytest.raises(ValueError, match="starts at 0"):
        cal.add_business_days(date(2026, 4, 16), -1)


def test_the_calendar_is_built_from_the_settings() -> None:
    text = (
        '[archive]\ntimezone = "America/Chicago"\n'
        '[requests]\nsuffolk_county = true\nclosures = ["2026-02-03", "2026-02-02"]\n'
        'office_closes = "16:30"\nproduction_days = 15\nappeal_window_days = 60\n'
    )
    cal = BusinessCalendar.from_settings(parse_settings(text, Path("a.toml")))
    assert cal.suffolk_county and cal.production_days == 15
    assert cal.closures == {date(2026, 2, 2), date(2026, 2, 3)}
    # 16:45 in Chicago on Thursday 2026-04-16 is after 16:30 there: received Friday the 17th.
    assert cal.received_on(datetime(2026, 4, 16, 16, 45, tzinfo=ZoneInfo("America/Chicago"))) == (
        date(2026, 4, 17)
    )
    # 60 days after January 1: January 31 is day 30, February 28 day 58, March 2 day 60.
    assert cal.appeal_window_ends(date(2026, 1, 1)) == date(2026, 3, 2)


def test_the_rules_say_what_was_applied() -> None:
    cal = BusinessCalendar(
        DISTRICT, suffolk_county=True, closures=[date(2026, 2, 3), date(2026, 2, 2)]
    )
    rules = cal.rules()
    assert "Patriots' Day" in rules and "Juneteenth" in rules
    assert "Suffolk County: yes: Evacuation Day (March 17) and Bunker Hill Day" in rules
    assert "2026-02-02, 2026-02-03" in rules
    assert "(America/New_York); one that arrived at 17:00 or later" in rules
    assert "production on the 25th" in rules
    assert "90 calendar days" in rules and "603 CMR 23.07" in rules
    assert rules.count("[unverified") == 5
    plain = BusinessCalendar(DISTRICT, next_business_day_receipt=False).rules()
    assert "Suffolk County: no" in plain and "closures (not business days)" in plain
    assert ": none." in plain and "whatever the hour" in plain
