"""Public-records fee estimates (c.66 §10(d), 950 CMR 32.07): free hours by population, the $25
cap, $0.05 a page, redaction only with approval, nothing when the response was late, cents."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from archiver.errors import ConfigError, UsageError
from archiver.records.fees import FeeEstimate, Task, estimate_fee, free_hours
from archiver.settings import Settings, parse_settings

SEARCH = Task("Search and retrieval", "3")


def _flat(estimate: FeeEstimate) -> str:
    """The rendered estimate with its wrapped notes joined again."""
    return " ".join(estimate.render().split())


def _adds_up(estimate: FeeEstimate) -> None:
    assert sum((line.amount for line in estimate.lines), estimate.copies) == estimate.total
    for line in estimate.lines:
        assert line.amount == line.amount.quantize(Decimal("0.01"))


def test_over_20000_people_the_first_two_hours_are_free() -> None:
    estimate = estimate_fee([SEARCH], hourly_rate=25, population=20_001)
    [line] = estimate.lines
    assert [line.hours, line.free_hours, line.charged_hours] == [3, 2, 1]
    assert estimate.free_hours == 2 and estimate.total == Decimal("25.00")
    text = estimate.render()
    assert "Search and retrieval: 3 hours, 2 hours free, 1 hour at $25.00 an hour  $25.00" in text
    assert "The first 2 hours of work are free" in text
    _adds_up(estimate)


def test_at_20000_people_or_fewer_no_hour_is_free() -> None:
    estimate = estimate_fee([SEARCH], hourly_rate=25, population=20_000)
    assert estimate.free_hours == 0 and estimate.total == Decimal("75.00")
    assert "No hours of work are free" in estimate.render()
    assert free_hours(20_000) == 0 and free_hours(1) == 0
    assert free_hours(20_001) == 2 and free_hours(None) == 4  # None: an agency


def test_free_hours_are_spent_on_the_tasks_in_order() -> None:
    tasks = [Task("Search", "1.5"), Task("Compiling", "1"), Task("Copying files", "2")]
    estimate = estimate_fee(tasks, hourly_rate=20, population=50_000)
    assert [line.free_hours for line in estimate.lines] == [Decimal("1.5"), Decimal("0.5"), 0]
    assert [line.amount for line in estimate.lines] == [0, Decimal("10.00"), Decimal("40.00")]
    assert estimate.free_hours == 2 and estimate.total == Decimal("50.00")
    assert "Search: 1.5 hours, free" in estimate.render()
    # Less work than the free hours: nothing to pay, and only the hours worked count as used.
    small = estimate_fee([Task("Search", "0.5")], hourly_rate=25, population=None)
    assert [small.free_hours, small.free_allowance, small.total] == [Decimal("0.5"), 4, 0]


def test_the_hourly_rate_is_capped_at_25_dollars_without_approval() -> None:
    assert estimate_fee([SEARCH], hourly_rate="25.00", population=1).total == Decimal("75.00")
    with pytest.raises(UsageError) as err:
        estimate_fee([SEARCH], hourly_rate="25.01", population=1)
    assert err.value.exit_code == 2
    assert "hourly rate: $25.01 is over the $25.00 an hour" in str(err.value)
    assert "Supervisor of Records" in str(err.value)
    approved = estimate_fee([SEARCH], hourly_rate=40, population=1, rate_approved=True)
    assert approved.total == Decimal("120.00")
    assert "above $25.00 an hour with the Supervisor of Records' approval" in _flat(approved)


def test_black_and_white_copies_are_five_cents_a_page() -> None:
    estimate = estimate_fee([], hourly_rate=25, population=1, pages=137)
    assert estimate.copies == Decimal("6.85") and estimate.total == Decimal("6.85")
    assert "Black-and-white copies: 137 pages at $0.05 a page  $6.85" in estimate.render()
    one = estimate_fee([], hourly_rate=25, population=1, pages=1)
    assert one.total == Decimal("0.05") and "1 page at $0.05" in one.render()
    _adds_up(estimate)


def test_redaction_hours_are_refused_without_the_supervisors_approval() -> None:
    redact = Task("Redacting student names", "2", redaction=True)
    with pytest.raises(UsageError) as err:
        estimate_fee([SEARCH, redact], hourly_rate=25, population=1)
    assert "task 'Redacting student names'" in str(err.value)
    assert "only with the Supervisor of Records' approval" in str(err.value)
    approved = estimate_fee([SEARCH, redact], hourly_rate=25, population=1, redaction_approved=True)
    assert approved.total == Decimal("125.00")
    assert "segregating or redacting is charged with the Supervisor" in _flat(approved)


def test_a_late_response_charges_nothing() -> None:
    estimate = estimate_fee([SEARCH], hourly_rate=25, population=1, pages=200, late=True)
    assert estimate.total == 0 and estimate.copies == 0
    assert all(line.amount == 0 for line in estimate.lines)
    text = estimate.render()
    assert "Search and retrieval: 3 hours, not charged" in text
    assert "Total" in text and "$0.00" in text
    assert "not sent within 10 business days" in _flat(estimate) and "32.06(2)(c)" in text
    _adds_up(estimate)


def test_amounts_are_rounded_to_the_cent_and_the_lines_add_up() -> None:
    tasks = [Task("Search", Decimal("0.333")), Task("Review", "1.111"), Task("Compile", "0.1")]
    estimate = estimate_fee(tasks, hourly_rate="22.50", population=1, pages=3)
    # 0.333 h x $22.50 = $7.4925 -> $7.49; 1.111 h = $24.9975 -> $25.00; 0.1 h = $2.25.
    assert [line.amount for line in estimate.lines] == [
        Decimal("7.49"),
        Decimal("25.00"),
        Decimal("2.25"),
    ]
    assert estimate.total == Decimal("34.89")
    half = estimate_fee([Task("Search", "0.5")], hourly_rate="0.05", population=1)
    assert half.total == Decimal("0.03")  # $0.025: half a cent rounds up
    _adds_up(estimate)
    text = estimate.render()
    assert text.splitlines()[5].split() == ["Total", "$34.89"]


def test_bad_amounts_are_clear_errors_and_floats_are_refused() -> None:
    with pytest.raises(UsageError, match=r"hourly rate: 'ten' is not a number"):
        estimate_fee([SEARCH], hourly_rate="ten", population=1)
    with pytest.raises(UsageError, match=r"hourly rate: '22.505' has a fraction of a cent"):
        estimate_fee([SEARCH], hourly_rate="22.505", population=1)
    with pytest.raises(UsageError, match=r"task 'Search': hours: '-1' must be a number"):
        estimate_fee([Task("Search", "-1")], hourly_rate=25, population=1)
    with pytest.raises(UsageError, match=r"pages: -3 must be a whole number"):
        estimate_fee([], hourly_rate=25, population=1, pages=-3)
    with pytest.raises(UsageError, match="a task needs a name"):
        estimate_fee([Task(" ", "1")], hourly_rate=25, population=1)
    with pytest.raises(TypeError, match="not float"):
        estimate_fee([Task("Search", 1.5)], hourly_rate=25, population=1)  # type: ignore[arg-type]


def test_the_population_setting_defaults_above_20000_and_is_checked() -> None:
    assert Settings().requests.municipal_population == 20_001
    assert free_hours(Settings().requests.municipal_population) == 2
    path = Path("/etc/archiver/archiver.toml")
    settings = parse_settings("[requests]\nmunicipal_population = 12000\n", path)
    assert free_hours(settings.requests.municipal_population) == 0
    with pytest.raises(ConfigError) as err:
        parse_settings("[requests]\nmunicipal_population = 0\n", path)
    assert err.value.problems == [
        f"{path}: requests.municipal_population must be a number of people (at least 1)"
    ]
    with pytest.raises(ConfigError, match="must be an integer"):
        parse_settings('[requests]\nmunicipal_population = "big"\n', path)
