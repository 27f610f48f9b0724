"""The retention schedule: the shipped file, period and trigger arithmetic, and every problem a
district's own file can have, each named with its file and line or key."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from archiver.errors import ConfigError
from archiver.records.schedule import (
    TRIGGERS,
    Conditions,
    Period,
    Schedule,
    Series,
    load_schedule,
    parse_period,
    retain_until,
    schedule_problems,
    school_year_end_of,
    trigger_day,
)

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "config" / "retention" / "massachusetts-schools.toml"

GOOD_SERIES = """
[[series]]
code = "A"
title = "Anything"
citation = "G.L. c.66 section 8"
period = "7y"
trigger = "sent"
limit = "minimum"
disposition = "destroy"
approval = "rmu-2"
verified = true
"""
DEFAULT_RULE = '\n[[rules]]\nname = "default"\nseries = "A"\n'


def _series(period: str = "7y", trigger: str = "sent") -> Series:
    return Series("X", "x", "c", parse_period(period), trigger, "minimum", "destroy", "rmu-2", True)


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "district.toml"
    path.write_text(text)
    problems = schedule_problems(path)
    with pytest.raises(ConfigError) as err:
        load_schedule(path)
    assert err.value.problems == problems and err.value.exit_code == 2
    assert all(p.startswith(f"{path}: ") for p in problems), problems
    return problems


def test_the_shipped_schedule_loads_from_the_package() -> None:
    schedule = load_schedule(None)
    assert schedule.source == "built-in massachusetts-schools"
    assert schedule_problems(None) == []
    assert schedule.digest == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    assert list(schedule.series) == [
        "SR-TRN",
        "SR-TMP",
        "CORR-GEN",
        "CORR-POL",
        "CORR-TRN",
        "SC-MIN",
        "PERS",
        "PRR",
        "FED-GRANT",
        "UNSCHED",
        "AUDIT",
    ]
    # Loading the file by path gives the same schedule.
    by_path = load_schedule(SHIPPED)
    assert (by_path.series, by_path.rules, by_path.digest) == (
        schedule.series,
        schedule.rules,
        schedule.digest,
    )


def test_temporary_student_records_are_destroyed_within_seven_years_of_exit() -> None:
    tmp = load_schedule(None).get("SR-TMP")
    assert (str(tmp.period), tmp.trigger, tmp.limit) == ("7y", "student-exit", "maximum")
    assert tmp.disposition == "destroy"
    trn = load_schedule(None).get("SR-TRN")
    assert (str(trn.period), trn.trigger, trn.limit) == ("60y", "student-exit", "minimum")
    unsched = load_schedule(None).get("UNSCHED")
    assert (str(unsched.period), unsched.approval, unsched.verified) == ("7y", "rmu-2", True)


def test_unverified_series_are_marked_and_commented() -> None:
    schedule = load_schedule(None)
    unverified = {s.code for s in schedule.series.values() if not s.verified}
    assert {"CORR-GEN", "CORR-POL", "CORR-TRN", "SC-MIN", "PERS", "PRR", "AUDIT"} <= unverified
    # The comment just above each unverified series says what is unverified.
    blocks = SHIPPED.read_text().split("[[series]]")
    for code in unverified:
        before = next(i for i, b in enumerate(blocks) if f'code = "{code}"' in b) - 1
        assert "[U]" in blocks[before].rsplit("\n\n", 1)[-1], code
    # Permanent series are never destroyed.
    for s in schedule.series.values():
        assert s.period.permanent == (s.disposition == "permanent"), s.code


def test_default_rules_quarantine_then_students_then_general_correspondence() -> None:
    schedule = load_schedule(None)
    assert [(r.name, r.series) for r in schedule.rules] == [
        ("quarantined", "UNSCHED"),
        ("student", "SR-TMP"),
        ("default", "CORR-GEN"),
    ]
    assert schedule.rule("quarantined").when == Conditions(status="quarantined")
    assert schedule.rule("student").when == Conditions(students="any")
    assert schedule.rules[-1].when.empty()
    assert not schedule.rules[0].when.empty()


def test_unknown_series_and_rules_are_clear_key_errors() -> None:
    schedule = load_schedule(None)
    with pytest.raises(KeyError, match=r"no series 'NOPE'.*SR-TMP"):
        schedule.get("NOPE")
    with pytest.raises(KeyError, match=r"no rule 'nope'.*default"):
        schedule.rule("nope")


def test_periods_parse_and_print() -> None:
    assert parse_period("7y") == Period(years=7)
    assert parse_period("1y6m") == Period(years=1, months=6)
    assert parse_period("18m") == Period(months=18)
    assert parse_period("30d") == Period(days=30)
    assert parse_period("2y3m10d") == Period(2, 3, 10)
    assert parse_period("permanent") == Period(permanent=True)
    for text in ("7y", "1y6m", "18m", "30d", "permanent", "0d"):
        assert str(parse_period(text)) == text
    for bad in ("", "seven years", "7", "y", "6m1y", "-1y", "7 y", "1.5y", "5000y"):
        with pytest.raises(ValueError, match="period"):
            parse_period(bad)
    with pytest.raises(ValueError):
        Period(years=1, permanent=True)


def test_period_arithmetic_clamps_to_the_end_of_a_shorter_month() -> None:
    assert Period(years=1).after(date(2024, 2, 29)) == date(2025, 2, 28)
    assert Period(years=4).after(date(2024, 2, 29)) == date(2028, 2, 29)
    assert Period(months=1).after(date(2025, 1, 31)) == date(2025, 2, 28)
    assert Period(months=1).after(date(2024, 1, 31)) == date(2024, 2, 29)
    assert Period(months=13).after(date(2025, 12, 15)) == date(2027, 1, 15)
    assert Period(years=1, months=6).after(date(2025, 8, 31)) == date(2027, 2, 28)
    # Days come after months: Jan 31 + 1m1d is Feb 28 + 1 day.
    assert Period(months=1, days=1).after(date(2025, 1, 31)) == date(2025, 3, 1)
    assert Period(days=30).after(date(2024, 2, 15)) == date(2024, 3, 16)
    assert Period(years=7).after(date(2025, 12, 31)) == date(2032, 12, 31)
    assert Period(permanent=True).after(date(2025, 1, 1)) is None


def test_trigger_day_for_each_trigger() -> None:
    june = (6, 30)
    sent = date(2025, 3, 14)
    assert trigger_day(_series(trigger="sent"), sent, [], june) == sent
    assert trigger_day(_series(trigger="calendar-year-end"), sent, [], june) == date(2025, 12, 31)
    fiscal = _series(trigger="fiscal-year-end")
    assert trigger_day(fiscal, sent, [], june) == date(2025, 6, 30)
    assert trigger_day(fiscal, date(2025, 6, 30), [], june) == date(2025, 6, 30)
    assert trigger_day(fiscal, date(2025, 7, 1), [], june) == date(2026, 6, 30)
    school = _series(trigger="school-year-end")
    assert trigger_day(school, sent, [], (6, 20)) == date(2025, 6, 20)
    assert trigger_day(school, date(2025, 6, 21), [], (6, 20)) == date(2026, 6, 20)
    assert trigger_day(school, date(2025, 8, 1), [], (8, 1)) == date(2025, 8, 1)
    assert set(TRIGGERS) == {"sent", "calendar-year-end", "fiscal-year-end"} | {
        "school-year-end",
        "student-exit",
    }


def test_this_school_year_ends_on_its_last_day_or_next_year_after_it() -> None:
    assert school_year_end_of(date(2026, 3, 10), (6, 30)) == date(2026, 6, 30)
    assert school_year_end_of(date(2026, 6, 30), (6, 30)) == date(2026, 6, 30)
    assert school_year_end_of(date(2026, 7, 1), (6, 30)) == date(2027, 6, 30)


def test_student_exit_waits_for_every_student_and_takes_the_latest_exit() -> None:
    exit_series = _series(trigger="student-exit")
    sent = date(2020, 9, 1)
    june = (6, 30)
    assert trigger_day(exit_series, sent, [], june) is None  # no student: nothing to wait for
    assert trigger_day(exit_series, sent, [None], june) is None  # still enrolled
    assert trigger_day(exit_series, sent, [date(2024, 6, 10), None], june) is None
    exits = [date(2024, 6, 10), date(2026, 6, 12), date(2022, 1, 5)]
    assert trigger_day(exit_series, sent, exits, june) == date(2026, 6, 12)


def test_retain_until() -> None:
    seven = _series("7y", "student-exit")
    assert retain_until(seven, None) is None
    assert retain_until(seven, date(2026, 6, 12)) == date(2033, 6, 12)
    assert retain_until(_series("permanent"), date(2026, 6, 12)) is None
    general = load_schedule(None).get("CORR-GEN")
    start = trigger_day(general, date(2025, 3, 14), [], (6, 30))
    assert retain_until(general, start) == date(2027, 12, 31)


def test_a_good_file_loads_with_its_digest(tmp_path: Path) -> None:
    text = GOOD_SERIES + (
        '\n[[rules]]\nname = "board"\nseries = "A"\nforwarder = ["Clerk@District.ORG", '
        '"@board.example.org"]\nwords = \'"school committee" minutes\'\n'
        'tag_sources = ["explicit", "manual"]\nsources = ["records-archive"]\n'
    )
    path = tmp_path / "s.toml"
    path.write_bytes((text + DEFAULT_RULE).encode())
    schedule = load_schedule(path)
    assert isinstance(schedule, Schedule) and schedule.source == str(path)
    assert schedule.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    when = schedule.rule("board").when
    assert when.forwarder == ("clerk@district.org", "@board.example.org")
    assert when.words == '"school committee" minutes'
    assert when.tag_sources == ("explicit", "manual") and when.sources == ("records-archive",)
    assert schedule.get("A").period == Period(years=7)


def test_context_is_a_tag_source_the_schedule_knows() -> None:
    # Issue 12: the tagger's weaker source can be a rule's condition, and is the tagger's own
    from archiver.records.schedule import TAG_SOURCES
    from archiver.understand.students import SOURCES

    assert "context" in TAG_SOURCES and set(TAG_SOURCES) == set(SOURCES)


def test_a_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path, GOOD_SERIES + '\n[[rules]\nname = "x"\n')
    assert "line 13:" in problem and "not valid TOML" in problem
    [problem] = _problems(tmp_path, GOOD_SERIES + 'title = "again"\n')
    assert "line 12:" in problem
    [problem] = _problems(tmp_path, GOOD_SERIES + DEFAULT_RULE + 'x = "unterminated')
    assert "line 16:" in problem and "end of the file" in problem


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('period = "7y"', 'period = "seven years"'), "series[0] (A).period: 'seven years' is not"),
        (('trigger = "sent"', 'trigger = "birthday"'), "series[0] (A).trigger: 'birthday'"),
        (('limit = "minimum"', 'limit = "at least"'), "series[0] (A).limit: 'at least'"),
        (('disposition = "destroy"', 'disposition = "burn"'), "series[0] (A).disposition:"),
        (('approval = "rmu-2"', 'approval = "yes"'), "series[0] (A).approval: 'yes'"),
        (("verified = true", 'verified = "yes"'), "series[0] (A).verified: must be true or false"),
        (("verified = true", ""), "series[0] (A).verified: missing"),
        (("verified = true", "verified = true\ncolour = 1"), "series[0] (A): unknown key 'colour'"),
        (('title = "Anything"', 'title = ""'), "series[0] (A).title: must be a non-empty"),
        (('period = "7y"', 'period = "permanent"'), "series[0] (A).disposition: a permanent"),
        (('series = "A"', 'series = "X"'), "rules[0] (default).series: unknown series 'X'"),
        (('name = "default"', 'name = "manual"'), "rules[0] (manual).name: 'manual' is reserved"),
    ],
)
def test_each_bad_value_is_one_problem_naming_its_key(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    text = (GOOD_SERIES + DEFAULT_RULE).replace(*change)
    [problem] = _problems(tmp_path, text)
    assert expected in problem, problem


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ('status = "archived"', "rules[0] (r).status: 'archived' is not one of active"),
        ('students = "some"', "rules[0] (r).students: 'some' is not one of any, none"),
        ('tag_sources = ["guess"]', "rules[0] (r).tag_sources: 'guess' is not one of explicit"),
        ('tag_sources = "explicit"', "rules[0] (r).tag_sources: must be a non-empty list"),
        ('forwarder = ["nobody"]', "rules[0] (r).forwarder: 'nobody' is not an address"),
        ("participant = []", "rules[0] (r).participant: must be a non-empty list"),
        ('words = ""', "rules[0] (r).words: must be a search query"),
        ("sources = [1]", "rules[0] (r).sources: must be a non-empty list of strings"),
        ('subject = "x"', "rules[0] (r): unknown key 'subject'"),
    ],
)
def test_each_bad_condition_is_one_problem_naming_its_rule(
    tmp_path: Path, rule: str, expected: str
) -> None:
    text = GOOD_SERIES + f'\n[[rules]]\nname = "r"\nseries = "A"\n{rule}\n' + DEFAULT_RULE
    [problem] = _problems(tmp_path, text)
    assert expected in problem, problem


def test_whole_file_problems(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path, GOOD_SERIES)
    assert "no rules" in problem
    [problem] = _problems(
        tmp_path, GOOD_SERIES + '\n[[rules]]\nname = "r"\nseries = "A"\nstudents = "any"\n'
    )
    assert "rules[0] (r): the last rule is the default and must have no conditions" in problem
    [problem] = _problems(tmp_path, GOOD_SERIES + GOOD_SERIES + DEFAULT_RULE)
    assert "series[1] (A).code: 'A' is used by another series" in problem
    [problem] = _problems(tmp_path, GOOD_SERIES + DEFAULT_RULE + DEFAULT_RULE)
    assert "rules[1] (default).name: 'default' is used by another rule" in problem
    [problem] = _problems(tmp_path, "version = 2\n" + GOOD_SERIES + DEFAULT_RULE)
    assert "unknown top-level key 'version'" in problem
    [problem] = _problems(tmp_path, 'series = "A"\n' + DEFAULT_RULE)
    assert "series: must be tables ([[series]])" in problem
    [problem] = _problems(tmp_path, 'rules = "default"\n' + GOOD_SERIES)
    assert "rules: must be tables ([[rules]])" in problem
    bad_code = _problems(tmp_path, GOOD_SERIES.replace('code = "A"', 'code = "A B"') + DEFAULT_RULE)
    assert "series[0] (A B).code: 'A B' is not a code" in bad_code[0]
    problems = _problems(tmp_path, DEFAULT_RULE)
    assert len(problems) == 2 and "no series" in problems[0]
    assert "unknown series 'A'" in problems[1]


def test_every_problem_is_reported_together(tmp_path: Path) -> None:
    text = (GOOD_SERIES + DEFAULT_RULE).replace('period = "7y"', 'period = "7 years"')
    text = text.replace('trigger = "sent"', 'trigger = "never"')
    text = text.replace('series = "A"', 'series = "A"\nstatus = "lost"')
    problems = _problems(tmp_path, text)
    assert len(problems) == 4, problems  # period, trigger, status, and no default rule


def test_a_missing_or_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert schedule_problems(missing) == [f"{missing}: schedule file not found"]
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe")
    [problem] = schedule_problems(binary)
    assert problem.startswith(f"{binary}: not UTF-8")
