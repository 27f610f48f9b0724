"""Who acted (`--actor`, $ARCHIVER_ACTOR, sudo, the login name) and `archiver audit log`
as a records officer reads it: filters, JSON, a tampered chain, bad input. Both databases."""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, update

from archiver.archive.actor import from_environment
from archiver.clock import FixedClock
from archiver.store.tables import audit_event
from tests.conftest import Archive
from tests.integration.test_retention import fixed_clock, import_one, message, noon

LOGIN = pwd.getpwuid(os.geteuid()).pw_name
EVENT_KEYS = {"seq", "at", "actor", "action", "target", "details"}


@pytest.fixture(autouse=True)
def _no_actor_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests say who acts; a developer's own environment (run under sudo, or with
    ARCHIVER_ACTOR set) must not."""
    monkeypatch.delenv("ARCHIVER_ACTOR", raising=False)
    monkeypatch.delenv("SUDO_USER", raising=False)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    """Every command's time, from before the archive is made."""
    return fixed_clock(monkeypatch, noon("2026-03-10"))


def events(archive: Archive, *filters: str) -> list[dict[str, Any]]:
    doc = archive.ok("audit", "log", "--json", *filters).json()
    assert doc["broken"] == [] and doc["broken_count"] == 0
    found = doc["events"]
    assert isinstance(found, list)
    return found


def actors(archive: Archive, action: str) -> list[str]:
    return [e["actor"] for e in events(archive, "--action", action)]


def test_the_actor_is_the_person_named_in_order_of_precedence(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert os.geteuid() == 0, "these tests run as root, as sudo leaves a command"
    rid = import_one(archive, message("Field trip", "Permission slips are due."))
    # The login name of the effective user, not $USER or $LOGNAME (which anyone can set).
    monkeypatch.setenv("USER", "someone-else")
    monkeypatch.setenv("LOGNAME", "someone-else")
    archive.ok("show", rid)
    # Behind sudo: the user who ran sudo, not root.
    monkeypatch.setenv("SUDO_USER", "kim")
    archive.ok("show", rid)
    # sudo from root itself names nobody else: the login name.
    monkeypatch.setenv("SUDO_USER", "root")
    archive.ok("show", rid)
    # $ARCHIVER_ACTOR (a front end, or the officer's profile) comes before sudo.
    monkeypatch.setenv("SUDO_USER", "kim")
    monkeypatch.setenv("ARCHIVER_ACTOR", "Ms. Lee")
    archive.ok("show", rid)
    # --actor before everything, white space around it dropped.
    archive.ok("show", "--actor", "  Dana Reyes ", rid)
    monkeypatch.setenv("ARCHIVER_ACTOR", "")  # empty counts as unset
    archive.ok("show", rid)
    assert actors(archive, "show") == [LOGIN, "kim", LOGIN, "Ms. Lee", "Dana Reyes", "kim"]


def _as_nobody(task: Callable[[], str]) -> str:
    """What `task` returns in a child process whose effective user is `nobody`."""
    nobody = pwd.getpwnam("nobody").pw_uid
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns to pytest
        code = 1
        try:
            os.seteuid(nobody)
            os.write(write, task().encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        out = pipe.read().decode()
    assert os.waitpid(pid, 0)[1] == 0, out
    return out


def test_sudo_user_counts_only_when_running_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUDO_USER", "kim")
    assert from_environment() == "kim"
    assert _as_nobody(from_environment) == "nobody"  # `sudo -u nobody`: nobody acts


def test_every_audited_command_names_its_actor(archive: Archive) -> None:
    rid = import_one(archive, message("Field trip", "Permission slips are due."))
    officer = ("--actor", "Dana Reyes")
    archive.ok("search", "Permission", *officer)
    archive.ok("retention", "show", rid, *officer)
    archive.ok("hold", "create", "Audit", "--record", rid, "--reason", "state audit", *officer)
    archive.ok("verify", *officer)
    for action in ("search", "retention.show", "hold.create", "verify"):
        assert actors(archive, action) == ["Dana Reyes"], action


@pytest.mark.parametrize(
    ("given", "env", "named"),
    [
        (["--actor", ""], {}, "--actor: the actor is empty"),
        (["--actor", "   "], {}, "--actor: the actor is empty"),
        (["--actor", "Dana\nReyes"], {}, "U+000A"),
        (["--actor", "Dana\x1b[2JReyes"], {}, "U+001B"),
        (["--actor", "x" * 129], {}, "longer than 128"),
        ([], {"ARCHIVER_ACTOR": " \t "}, "$ARCHIVER_ACTOR: the actor is empty"),
        ([], {"ARCHIVER_ACTOR": "Dana\rReyes"}, "$ARCHIVER_ACTOR: the actor 'Dana\\rReyes'"),
        ([], {"SUDO_USER": "kim\x07"}, "$SUDO_USER"),
    ],
)
def test_a_bad_actor_is_refused_before_anything_happens(
    archive: Archive,
    monkeypatch: pytest.MonkeyPatch,
    given: list[str],
    env: dict[str, str],
    named: str,
) -> None:
    rid = import_one(archive, message("Field trip", "Permission slips are due."))
    before = events(archive)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = archive.cli("show", *given, rid)
    assert result.code == 2 and result.out == b""
    assert result.err.startswith("error: ") and named in result.err, result.err
    assert events(archive) == before  # nothing read, nothing audited


@pytest.fixture
def history(archive: Archive, clock: FixedClock) -> dict[str, Any]:
    """Two days of work: imports, reads and a search on 10 March (the last read at 23:30 in
    the district, already 11 March in UTC), a hold on 11 March."""
    first = import_one(archive, message("Field trip", "Permission slips are due."))
    second = import_one(archive, message("Budget", "The budget meeting moved."))
    archive.ok("show", "--actor", "Dana Reyes", first)
    archive.ok("search", "budget", "--actor", "Kim Park")
    clock.at = noon("2026-03-10") + timedelta(hours=11, minutes=30)  # 23:30 EDT, 03:30 UTC
    archive.ok("show", "--actor", "Kim Park", second)
    clock.at = noon("2026-03-11")
    archive.ok("hold", "create", "Audit", "--record", first, "--reason", "x", "--actor", "Rao")
    clock.advance(timedelta(minutes=1))
    archive.ok("hold", "add", "Audit", second, "--reason", "y", "--actor", "Rao")
    clock.advance(timedelta(minutes=1))
    archive.ok("show", "--actor", "Dana Reyes", second, "--json")
    return {"first": first, "second": second, "all": events(archive)}


def test_the_log_is_every_event_in_order_with_the_documented_json(
    archive: Archive, history: dict[str, Any]
) -> None:
    found = history["all"]
    assert [e["seq"] for e in found] == list(range(1, len(found) + 1))
    assert all(set(e) == EVENT_KEYS for e in found)
    assert [e["action"] for e in found][-6:] == [
        "show",
        "search",
        "show",
        "hold.create",
        "hold.add",
        "show",
    ]
    last = found[-1]
    assert last["at"] == "2026-03-11T16:02:00+00:00"  # UTC, with its offset
    assert last["actor"] == "Dana Reyes" and last["target"] == history["second"]
    assert last["details"] == {"view": "json"}  # JSON values, not a string
    search = next(e for e in found if e["action"] == "search")
    assert search["details"]["records"] == [history["second"]] and search["target"] is None


def test_the_text_log_is_one_line_per_event_in_the_districts_time(
    archive: Archive, history: dict[str, Any]
) -> None:
    lines = archive.ok("audit", "log", "--actor", "Kim Park").text.splitlines()
    assert len(lines) == 2
    search, late = (line.strip().split("  ") for line in lines)
    assert search[2:5] == ["Kim Park", "search", "-"]
    assert "filters=words" in search[5] and "total=1" in search[5]
    assert late[1] == "2026-03-10 23:30:00 EDT"  # the district's evening, not UTC's morning
    assert late[2:5] == ["Kim Park", "show", history["second"]]


def test_each_filter_narrows_the_log(archive: Archive, history: dict[str, Any]) -> None:
    first, second = history["first"], history["second"]

    def seen(*filters: str) -> list[tuple[str, str]]:
        return [(e["actor"], e["action"]) for e in events(archive, *filters)]

    assert seen("--actor", "Dana Reyes") == [("Dana Reyes", "show")] * 2
    assert seen("--actor", "Dana") == []  # the exact name
    shows = [("Dana Reyes", "show"), ("Kim Park", "show"), ("Dana Reyes", "show")]
    assert seen("--action", "show") == shows
    assert seen("--action", "hold") == [("Rao", "hold.create"), ("Rao", "hold.add")]  # family
    assert seen("--action", "hold.create") == [("Rao", "hold.create")]
    assert seen("--action", "ho") == []  # not any prefix
    assert seen("--action", "no.such.action") == []  # no error: nothing to show
    # A record's events: those aimed at it and those naming it (its ingest, a search that
    # listed it, a hold it was added to), by a prefix of its id as `show` takes it.
    about_first = events(archive, "--record", first[:8])
    assert [e["action"] for e in about_first] == ["ingest", "show"]
    about_second = events(archive, "--record", second)
    assert [e["action"] for e in about_second] == ["ingest", "search", "show", "hold.add", "show"]
    # Days are the district's, whole: 23:30 on 10 March is on 10 March.
    day_one = events(archive, "--until", "2026-03-10")
    assert [e["action"] for e in day_one][-3:] == ["show", "search", "show"]
    day_two = events(archive, "--since", "2026-03-11")
    assert [e["action"] for e in day_two] == ["hold.create", "hold.add", "show"]
    assert events(archive, "--since", "2026-03-10", "--until", "2026-03-10") == day_one
    # Times: at or after, at or before; without an offset, the district's.
    assert seen("--since", "2026-03-10T23:30", "--until", "2026-03-11T03:30:00+00:00") == [
        ("Kim Park", "show")
    ]
    assert seen("--since", "2026-03-11T16:02:00Z") == [("Dana Reyes", "show")]
    assert seen("--until", "2026-03-09") == []
    # Together, and at most N.
    assert seen("--actor", "Dana Reyes", "--since", "2026-03-11") == [("Dana Reyes", "show")]
    assert seen("--action", "show", "--limit", "2") == seen("--action", "show")[:2]
    assert len(events(archive, "--limit", "1")) == 1


def test_reading_the_log_is_not_audited(archive: Archive, history: dict[str, Any]) -> None:
    archive.ok("audit", "log")
    archive.ok("audit", "log", "--json", "--record", history["first"])
    assert events(archive) == history["all"]


def test_the_log_of_a_record_that_is_gone_is_still_readable(
    archive: Archive, history: dict[str, Any]
) -> None:
    gone = "0123456789abcdef0123456789abcdef"
    assert events(archive, "--record", gone) == []
    unknown = archive.cli("audit", "log", "--record", "0123456789ab")
    assert unknown.code == 2 and "no record 0123456789ab" in unknown.err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--since", "2026-13-01"], "--since"),
        (["--until", "yesterday"], "--until"),
        (["--since", "2026-03-10T25:00"], "--since"),
        (["--since", "2026-03-11", "--until", "2026-03-10"], "--until 2026-03-10 is before"),
        (["--limit", "0"], "--limit"),
        (["--record", "xyz123"], "not a record id"),
    ],
)
def test_bad_filters_are_usage_errors(
    archive: Archive, history: dict[str, Any], args: list[str], named: str
) -> None:
    result = archive.cli("audit", "log", "--json", *args)
    assert result.code == 2 and result.out == b""
    assert result.err.startswith("error: ") and named in result.err, result.err


def _tamper(archive: Archive, seq: int, remove: bool = False, actor: str = "Dana Reyes") -> None:
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:
        if remove:
            conn.execute(delete(audit_event).where(audit_event.c.seq == seq))
        else:
            conn.execute(update(audit_event).where(audit_event.c.seq == seq).values(actor=actor))
    engine.dispose()


def test_an_altered_event_is_named_with_exit_3(archive: Archive, history: dict[str, Any]) -> None:
    altered = next(e["seq"] for e in history["all"] if e["actor"] == "Kim Park")
    _tamper(archive, altered)  # someone hides who searched
    result = archive.cli("audit", "log")
    assert result.code == 3
    assert len(result.text.splitlines()) == len(history["all"])  # printed, then reported
    assert f"audit chain BROKEN at event {altered}: " in result.err
    assert "altered" in result.err and "1 of the" in result.err
    as_json = archive.cli("audit", "log", "--json", "--actor", "Dana Reyes")
    assert as_json.code == 3
    doc = as_json.json()
    assert [b["seq"] for b in doc["broken"]] == [altered] and doc["broken_count"] == 1
    assert altered in [e["seq"] for e in doc["events"]]
    # Where the log is read away from it, what is read verifies.
    assert archive.cli("audit", "log", "--action", "hold").code == 0


def test_a_removed_event_is_named_by_the_event_after_it(
    archive: Archive, history: dict[str, Any]
) -> None:
    hold = next(e["seq"] for e in history["all"] if e["action"] == "hold.create")
    _tamper(archive, hold - 1, remove=True)
    result = archive.cli("audit", "log", "--action", "hold")
    assert result.code == 3 and "Rao" in result.text
    assert f"event {hold - 1}, the one before event {hold}, is missing" in result.err


def test_an_altered_event_cannot_write_to_the_terminal(
    archive: Archive, history: dict[str, Any]
) -> None:
    _tamper(archive, 3, actor="Kim\x1b[2J\x1b]0;owned\x07Park")
    result = archive.cli("audit", "log")
    assert result.code == 3 and "BROKEN at event 3" in result.err
    assert not {"\x1b", "\x07"} & set(result.text + result.err)
    assert "Kim\\x1b[2J\\x1b]0;owned\\x07Park" in result.text  # shown, escaped
    verified = archive.cli("audit", "verify")
    assert verified.code == 3 and "\x1b" not in verified.err
