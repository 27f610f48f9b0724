"""Retention as a records officer sees it (issue 11): a fixed clock, both databases."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, update

from archiver.archive import facts
from archiver.cli.context import Context
from archiver.clock import FixedClock
from archiver.records import retention as retention_module
from archiver.store.tables import retention
from tests.conftest import Archive

SHIPPED = Path(__file__).parents[2] / "config" / "retention" / "massachusetts-schools.toml"
ROSTER_HEADER = (
    "student_id,first_name,last_name,preferred_name,email,grade,enrollment_status,exit_date\n"
)
STUDENTS = {  # id -> the row without its exit date
    "104233": "104233,Liam,Doherty,,ldoherty31@students.milton.k12.example.org,7,{status},",
    "102486": "102486,Isabela,Mendes,,imendes28@students.milton.k12.example.org,10,{status},",
    "106240": "106240,Jayden,Pierre,,jpierre30@students.milton.k12.example.org,8,{status},",
    "107204": "107204,Ana,Sousa,,asousa33@students.milton.k12.example.org,5,{status},",
}
NAMES = {"104233": "Liam Doherty", "102486": "Isabela Mendes", "106240": "Jayden Pierre"}
NAMES["107204"] = "Ana Sousa"
SENT_2025 = "Tue, 14 Oct 2025 07:52:11 -0400"  # CORR-GEN: until 2027-12-31


def fixed_clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> FixedClock:
    """Every in-process command reads this clock (move it with `.at = ...`)."""
    clock = FixedClock(at)
    monkeypatch.setattr(Context, "clock", clock)
    return clock


def noon(day: str) -> datetime:
    """Noon in Massachusetts (EDT) on `day`, as the clock tells it."""
    return datetime.fromisoformat(f"{day}T16:00:00").replace(tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    return fixed_clock(monkeypatch, noon("2026-03-10"))


def message(subject: str, body: str, sent: str = SENT_2025, n: int = 0) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ms. Ruiz <mruiz@milton.k12.example.org>"
    msg["To"] = "records-archive@milton.k12.example.org"
    msg["Subject"] = subject
    msg["Date"] = sent
    digest = hashlib.sha256(f"{subject}|{body}|{sent}|{n}".encode()).hexdigest()[:16]
    msg["Message-ID"] = f"<{digest}@milton.k12.example.org>"
    msg.set_content(body)
    return msg.as_bytes()


def import_one(archive: Archive, raw: bytes) -> str:
    """Import one message (or anything); its record id."""
    folder = archive.root / "incoming"
    folder.mkdir(exist_ok=True)
    path = folder / f"m{len(list(folder.iterdir()))}.eml"
    path.write_bytes(raw)
    rid = archive.ok("import", "--json", str(path)).json()["items"][0]["id"]
    assert isinstance(rid, str)
    return rid


def about(archive: Archive, *student_ids: str, sent: str = SENT_2025, n: int = 0) -> str:
    """A record naming these students (tagged with them by name when they are on the roster)."""
    names = " and ".join(NAMES[s] for s in student_ids)
    return import_one(archive, message(f"Meeting {n}", f"{names} met the counselor.", sent, n))


def roster(archive: Archive, exits: dict[str, str | None]) -> dict[str, Any]:
    """Import a roster of these students (exit date or None: still enrolled)."""
    lines = [
        STUDENTS[sid].format(status="withdrawn" if day else "active") + (day or "")
        for sid, day in exits.items()
    ]
    path = archive.root / "roster.csv"
    path.write_text(ROSTER_HEADER + "\n".join(lines) + "\n")
    doc = archive.ok("students", "import", "--json", str(path)).json()
    assert isinstance(doc, dict)
    return doc


def kept(archive: Archive, rid: str) -> dict[str, Any]:
    doc = archive.ok("retention", "show", "--json", rid).json()
    assert isinstance(doc, dict)
    return doc


STORED = ("series", "rule", "trigger_date", "retain_until", "limit", "disposition", "reason")


def stored(archive: Archive, rid: str) -> dict[str, Any]:
    """What a record's retention says (not the schedule's current text about its series)."""
    doc = kept(archive, rid)
    return {k: doc[k] for k in STORED}


def until(archive: Archive, rid: str) -> str | None:
    value = kept(archive, rid)["retain_until"]
    assert value is None or isinstance(value, str)
    return value


def due_ids(archive: Archive, *args: str) -> set[str]:
    doc = archive.ok("retention", "due", "--json", "--limit", "1000", *args).json()
    assert doc["total"] == len(doc["records"])
    return {r["id"] for r in doc["records"]}


def report(archive: Archive) -> dict[str, dict[str, Any]]:
    doc = archive.ok("retention", "report", "--json").json()
    return {s["code"]: s for s in doc["series"]}


def counts(row: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("records", "pending", "eligible", "held", "next_eligible", "overdue")
    return tuple(row[k] for k in keys)


def search_ids(archive: Archive, *args: str) -> set[str]:
    doc = archive.ok("search", "--json", "--limit", "500", *args).json()
    return {r["id"] for r in doc["results"]}


def use_schedule(archive: Archive, text: str, name: str = "district-schedule.toml") -> Path:
    """Write a district schedule next to the config and point `[retention] schedule` at it."""
    path = archive.root / name
    path.write_text(text)
    config = archive.config.read_text()
    if "[retention]" not in config:
        archive.config.write_text(config + f'\n[retention]\nschedule = "{name}"\n')
    return path


def corr_gen_period(period: str) -> str:
    old = 'code = "CORR-GEN"'
    text = SHIPPED.read_text()
    head, tail = text.split(old, 1)
    changed = tail.replace('period = "2y"', f'period = "{period}"', 1)
    assert changed != tail
    return head + old + changed


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# --- A student's exit -------------------------------------------------------------------------


def test_exit_date_makes_records_eligible_seven_years_later_and_reenrolment_pends_them(
    archive: Archive, clock: FixedClock
) -> None:
    roster(archive, {"104233": None, "102486": None})
    rid = about(archive, "104233")
    other = import_one(archive, message("Budget", "The budget for 2026."))
    pending = kept(archive, rid)
    assert [pending[k] for k in ("series", "rule", "limit")] == ["SR-TMP", "student", "maximum"]
    assert (pending["trigger_date"], pending["retain_until"]) == (None, None)
    assert rid not in due_ids(archive, "--by", "2100-01-01")

    roster(archive, {"104233": "2026-06-30", "102486": None})
    doc = kept(archive, rid)
    assert (doc["trigger_date"], doc["retain_until"]) == ("2026-06-30", "2033-06-30")
    assert rid in due_ids(archive, "--by", "2033-07-01")
    assert rid in due_ids(archive, "--by", "2033-06-30")
    assert rid not in due_ids(archive, "--by", "2033-06-29")
    assert due_ids(archive, "--by", "2033-07-01", "--series", "SR-TMP") == {rid}
    assert other in due_ids(archive, "--by", "2033-06-29")  # CORR-GEN, until 2027-12-31
    assert due_ids(archive, "--by", "2027-12-30") == set()
    shown = archive.ok("show", rid).text
    assert "Series:   SR-TMP" in shown and "destroy by 2033-06-30" in shown
    assert archive.ok("show", "--json", rid).json()["retention"]["retain_until"] == "2033-06-30"
    assert search_ids(archive, "--eligible-by", "2033-07-01", "--series", "SR-TMP") == {rid}
    assert search_ids(archive, "--eligible-by", "2033-06-29", "--series", "SR-TMP") == set()

    roster(archive, {"104233": None, "102486": None})  # re-enrolled: the exit date is cleared
    doc = kept(archive, rid)
    assert (doc["series"], doc["trigger_date"], doc["retain_until"]) == ("SR-TMP", None, None)
    assert rid not in due_ids(archive, "--by", "2100-01-01")
    assert "pending" in archive.ok("show", rid).text

    roster(archive, {"104233": "2027-01-15", "102486": None})  # leaves again, later
    assert until(archive, rid) == "2034-01-15"


def test_the_latest_exit_of_a_records_students_governs(archive: Archive, clock: FixedClock) -> None:
    exits: dict[str, str | None] = {
        "104233": "2026-06-30",
        "102486": "2028-06-30",
        "106240": None,
        "107204": "2025-06-20",
    }
    roster(archive, exits)
    both_left = about(archive, "104233", "102486", n=1)
    one_enrolled = about(archive, "104233", "106240", n=2)
    alone = about(archive, "107204", n=3)
    assert until(archive, both_left) == "2035-06-30"  # the later exit, not 2033-06-30
    assert until(archive, one_enrolled) is None  # Jayden is still enrolled: pending
    assert until(archive, alone) == "2032-06-20"
    assert due_ids(archive, "--by", "2099-01-01") == {both_left, alone}
    assert due_ids(archive, "--by", "2035-06-29") == {alone}

    roster(archive, {**exits, "106240": "2027-06-30"})  # Jayden leaves: Liam's exit is earlier
    assert until(archive, one_enrolled) == "2034-06-30"
    assert until(archive, both_left) == "2035-06-30"  # not tagged with Jayden: unchanged

    archive.ok("tag", "remove", both_left, "102486")  # a tag removed reclassifies the record
    assert until(archive, both_left) == "2033-06-30"
    archive.ok("tag", "add", alone, "102486")  # and one added
    assert until(archive, alone) == "2035-06-30"
    archive.ok("tag", "remove", both_left, "104233")  # no student left: general correspondence
    doc = kept(archive, both_left)
    assert [doc[k] for k in ("series", "rule", "retain_until")] == [
        "CORR-GEN",
        "default",
        "2027-12-31",
    ]


# --- The report -----------------------------------------------------------------------------


def test_report_counts_follow_the_clock_and_count_overdue_student_records(
    archive: Archive, clock: FixedClock
) -> None:
    roster(archive, {"104233": "2026-06-30", "102486": None})
    left = about(archive, "104233", n=1)
    enrolled = about(archive, "102486", n=2)
    gen_2025 = import_one(archive, message("Budget", "Budget 2025."))
    gen_2026 = import_one(
        archive, message("Budget", "Budget 2026.", sent="Mon, 02 Feb 2026 09:00:00 -0500")
    )
    junk = import_one(archive, b"not an email at all\x00")  # quarantined, sent = archived day
    assert kept(archive, junk)["series"] == "UNSCHED"
    assert until(archive, junk) == "2033-03-10"

    rows = report(archive)
    assert set(rows) == {"SR-TMP", "CORR-GEN", "UNSCHED"}
    assert counts(rows["SR-TMP"]) == (2, 1, 0, 0, "2033-06-30", 0)
    assert counts(rows["CORR-GEN"]) == (2, 0, 0, 0, "2027-12-31", 0)
    assert counts(rows["UNSCHED"]) == (1, 0, 0, 0, "2033-03-10", 0)
    assert archive.ok("retention", "report", "--json").json()["today"] == "2026-03-10"

    clock.at = noon("2027-12-31")  # the last day of CORR-GEN's two years: eligible that day
    rows = report(archive)
    assert counts(rows["CORR-GEN"]) == (2, 0, 1, 0, "2028-12-31", 0)
    assert archive.ok("retention", "due", "--json").json()["by"] == "2027-12-31"
    assert due_ids(archive) == {gen_2025}  # --by defaults to the clock's day

    clock.at = noon("2033-06-30")  # destroy by 2033-06-30: on the day, not yet overdue
    rows = report(archive)
    assert counts(rows["SR-TMP"]) == (2, 1, 1, 0, None, 0)
    assert counts(rows["CORR-GEN"]) == (2, 0, 2, 0, None, 0)
    assert counts(rows["UNSCHED"]) == (1, 0, 1, 0, None, 0)

    clock.at = noon("2033-07-01")
    rows = report(archive)
    assert counts(rows["SR-TMP"]) == (2, 1, 1, 0, None, 1)  # overdue mandatory destruction
    assert counts(rows["CORR-GEN"]) == (2, 0, 2, 0, None, 0)  # a minimum is never overdue
    text = archive.ok("retention", "report").text
    [line] = [x for x in text.splitlines() if x.startswith("SR-TMP")]
    assert line.split()[1:5] == ["2", "1", "1", "0"] and line.split()[-1] == "1"
    assert due_ids(archive) == {left, gen_2025, gen_2026, junk}

    archive.ok("hold", "create", "Doherty appeal", "--record", left, "--reason", "appeal")
    rows = report(archive)
    assert counts(rows["SR-TMP"]) == (2, 1, 0, 1, None, 0)  # held: neither eligible nor overdue
    assert due_ids(archive) == {gen_2025, gen_2026, junk}
    assert enrolled not in due_ids(archive, "--by", "2100-01-01")


# --- retention apply --------------------------------------------------------------------------


def test_apply_wants_yes_before_anything_becomes_eligible_sooner(
    archive: Archive, clock: FixedClock
) -> None:
    roster(archive, {"104233": "2026-06-30"})
    student = about(archive, "104233")
    general = [import_one(archive, message("Budget", f"Budget line {n}.", n=n)) for n in range(3)]
    by_hand = general[2]
    archive.ok("retention", "set", by_hand, "PERS", "--reason", "the principal's personnel file")
    before = {rid: stored(archive, rid) for rid in [student, *general]}
    assert [until(archive, r) for r in general] == ["2027-12-31", "2027-12-31", "2085-12-31"]

    use_schedule(archive, corr_gen_period("1y"))
    refused = archive.cli("retention", "apply", "--json")
    assert refused.code == 1
    plan = refused.json()
    assert plan["applied"] is False
    assert (plan["checked"], plan["changed"], plan["earlier"]) == (4, 2, 2)
    assert plan["moves"] == [{"from": "CORR-GEN", "to": "CORR-GEN", "records": 2, "earlier": 2}]
    assert "--yes" in refused.err
    text = archive.cli("retention", "apply")
    assert text.code == 1 and "CORR-GEN -> CORR-GEN: 2 records, 2 eligible sooner" in text.text
    for rid, doc in before.items():  # nothing written
        assert stored(archive, rid) == doc
    assert due_ids(archive, "--by", "2026-12-31") == set()

    done = archive.ok("retention", "apply", "--yes", "--json").json()
    assert done["applied"] is True
    assert done["moves"] == plan["moves"] and done["earlier"] == plan["earlier"]
    assert due_ids(archive, "--by", "2026-12-31") == set(general[:2])  # the 2 it printed
    assert [until(archive, r) for r in general] == ["2026-12-31", "2026-12-31", "2085-12-31"]
    hand = kept(archive, by_hand)  # a series chosen by hand is kept
    assert (hand["series"], hand["rule"]) == ("PERS", "manual")
    assert hand["reason"] == "the principal's personnel file"
    assert stored(archive, student) == before[student]

    use_schedule(archive, corr_gen_period("3y"))  # only longer: no --yes needed
    longer = archive.ok("retention", "apply", "--json").json()
    assert longer["applied"] is True and longer["earlier"] == 0
    assert longer["moves"] == [{"from": "CORR-GEN", "to": "CORR-GEN", "records": 2, "earlier": 0}]
    assert [until(archive, r) for r in general] == ["2028-12-31", "2028-12-31", "2085-12-31"]
    again = archive.ok("retention", "apply", "--json").json()
    assert (again["changed"], again["moves"]) == (0, [])


def test_apply_classifies_an_archive_from_before_retention_and_resumes(
    archive: Archive, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster(archive, {"104233": "2026-06-30", "102486": None})
    ids = [about(archive, "104233", n=1), about(archive, "102486", n=2)]
    ids += [import_one(archive, message("Budget", f"Budget line {n}.", n=n)) for n in range(3)]
    ids.append(import_one(archive, b"\x00 not mail"))
    before = {rid: stored(archive, rid) for rid in ids}
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:
        conn.execute(delete(retention))
    engine.dispose()

    assert archive.ok("retention", "report", "--json").json()["unclassified"] == len(ids)
    missing = archive.cli("retention", "show", ids[0])
    assert missing.code == 1 and "retention apply" in missing.err
    assert due_ids(archive, "--by", "2100-01-01") == set()

    monkeypatch.setattr(retention_module, "PAGE", 2)  # three pages; stop in the second
    real, calls = facts.seal_retention, []

    def seal(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(facts, "seal_retention", seal)
    stopped = archive.cli("retention", "apply")  # as if Ctrl-C in its second page
    assert stopped.code in (1, 130), stopped.err
    monkeypatch.setattr(facts, "seal_retention", real)
    assert archive.ok("retention", "report", "--json").json()["unclassified"] == len(ids) - 2

    doc = archive.ok("retention", "apply", "--json").json()  # first classifications: no --yes
    assert doc["resumed"] is True and doc["applied"] is True
    assert archive.ok("retention", "report", "--json").json()["unclassified"] == 0
    assert {rid: stored(archive, rid) for rid in ids} == before
    assert archive.ok("verify", "--json").json()["failed"] == []


def test_apply_on_a_fresh_pre_retention_archive_reports_first_classifications(
    archive: Archive, clock: FixedClock
) -> None:
    ids = [import_one(archive, message("Budget", f"Budget line {n}.", n=n)) for n in range(3)]
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:
        conn.execute(delete(retention))
    engine.dispose()
    doc = archive.ok("retention", "apply", "--json").json()
    assert (doc["checked"], doc["changed"], doc["classified"], doc["earlier"]) == (3, 3, 3, 0)
    assert doc["moves"] == [{"from": None, "to": "CORR-GEN", "records": 3, "earlier": 0}]
    assert {until(archive, r) for r in ids} == {"2027-12-31"}


# --- Refusals ---------------------------------------------------------------------------------


def test_a_series_chosen_by_hand_is_kept_and_an_unknown_one_refused(
    archive: Archive, clock: FixedClock
) -> None:
    roster(archive, {"104233": "2026-06-30"})
    rid = import_one(archive, message("Budget", "Budget."))
    before = kept(archive, rid)
    bad = archive.cli("retention", "set", rid, "CORR-NOPE", "--reason", "a guess")
    assert bad.code == 2
    assert "CORR-NOPE" in one_line(bad.err)
    assert kept(archive, rid) == before
    bad = archive.cli("retention", "due", "--series", "CORR-NOPE")
    assert bad.code == 2 and "CORR-NOPE" in one_line(bad.err)
    no_reason = archive.cli("retention", "set", rid, "PERS", "--reason", " ")
    assert no_reason.code == 2 and kept(archive, rid) == before
    archive.ok("retention", "set", rid, "PERS", "--reason", "personnel", "--actor", "rao")
    shown = archive.ok("retention", "show", rid).text
    assert "chosen by hand" in shown and "by rao: personnel" in shown
    archive.ok("tag", "add", rid, "104233")  # the rule would say SR-TMP: the choice stays
    doc = kept(archive, rid)
    assert (doc["series"], doc["rule"], doc["retain_until"]) == ("PERS", "manual", "2085-12-31")
    archive.ok("retention", "set", rid, "SR-TMP", "--reason", "a student's file")
    assert until(archive, rid) == "2033-06-30"  # its dates follow its student's exit
    roster(archive, {"104233": None})
    doc = kept(archive, rid)
    assert (doc["series"], doc["rule"], doc["retain_until"]) == ("SR-TMP", "manual", None)
    assert archive.ok("retention", "apply", "--json").json()["changed"] == 0
    assert kept(archive, rid)["reason"] == "a student's file"


BAD_SCHEDULES = {
    "bad-period": corr_gen_period("2 years"),
    "unknown-series": SHIPPED.read_text().replace(
        'series = "CORR-GEN"\n', 'series = "CORR-GENERAL"\n'
    ),
    "unknown-trigger": SHIPPED.read_text().replace(
        'trigger = "calendar-year-end"', 'trigger = "end-of-days"', 1
    ),
    "not-toml": "[[series]\ncode = \n",
}


@pytest.mark.parametrize("kind", sorted(BAD_SCHEDULES))
def test_a_bad_schedule_stops_every_command_that_needs_it(
    archive: Archive, clock: FixedClock, kind: str
) -> None:
    roster(archive, {"104233": None})
    rid = import_one(archive, message("Budget", "Budget."))
    before = kept(archive, rid)
    path = use_schedule(archive, BAD_SCHEDULES[kind], name=f"{kind}.toml")
    new = archive.root / "new.eml"
    new.write_bytes(message("Other", "Something else."))
    roster_path = archive.root / "roster.csv"
    roster_path.write_text(
        ROSTER_HEADER + STUDENTS["104233"].format(status="withdrawn") + "2026-06-30\n"
    )
    for args in [
        ("config", "validate"),
        ("retention", "report"),
        ("retention", "apply", "--yes"),
        ("retention", "show", rid),
        ("retention", "set", rid, "PERS", "--reason", "x"),
        ("retention", "notices", "--exited-since", "2020-01-01"),
        ("show", rid),
        ("import", str(new)),
        ("tag", "add", rid, "104233"),
        ("students", "import", str(roster_path)),
    ]:
        result = archive.cli(*args)
        assert result.code == 2, (args, result.code, result.err)
        assert path.name in result.err, (args, result.err)
    path.write_text(SHIPPED.read_text())  # put right: nothing had changed
    assert kept(archive, rid) == before
    assert archive.ok("search", "--json", "--status", "active").json()["total"] == 1
    assert archive.ok("show", "--json", rid).json()["students"] == []
    assert archive.ok("students", "list", "--json").json()["students"][0]["exit_date"] is None


# --- Tampering --------------------------------------------------------------------------------


def test_verify_catches_an_edited_retain_until(archive: Archive, clock: FixedClock) -> None:
    rid = import_one(archive, message("Budget", "Budget."))
    other = import_one(archive, message("Budget", "Budget two.", n=2))
    assert archive.ok("verify", "--json").json()["failed"] == []
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:  # someone makes it eligible at once
        conn.execute(
            update(retention)
            .where(retention.c.record_id == rid)
            .values(retain_until=date(2026, 1, 1))
        )
    engine.dispose()
    result = archive.cli("verify", "--json")
    assert result.code == 3
    [failed] = result.json()["failed"]
    assert failed["id"] == rid and "retain_until" in failed["error"]
    assert other not in result.text
    shown = archive.cli("retention", "show", rid)
    assert shown.code == 3 and "retain_until" in shown.err
    assert archive.cli("retention", "due", "--by", "2026-06-01").code == 3


# --- Exit notices -----------------------------------------------------------------------------


def _csv_rows(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.strip().splitlines()]


def test_exit_notices_list_who_left_in_the_period(archive: Archive, clock: FixedClock) -> None:
    exits: dict[str, str | None] = {
        "104233": "2026-06-30",  # in the window, two records
        "102486": "2025-06-15",  # left before the window
        "106240": None,  # still enrolled
        "107204": "2027-02-01",  # after the window
    }
    roster(archive, exits)
    about(archive, "104233", n=1)
    about(archive, "104233", "106240", n=2)
    about(archive, "102486", n=3)
    about(archive, "107204", n=4)
    import_one(archive, message("Budget", "Budget."))
    out = archive.ok(
        "retention", "notices", "--exited-since", "2026-01-01", "--until", "2026-12-31", "--csv"
    )
    assert _csv_rows(out.text) == [
        ["student_id", "name", "exit_date", "destroy_by", "records"],
        ["104233", "Liam Doherty", "2026-06-30", "2033-06-30", "2"],
    ]
    doc = archive.ok(
        "retention", "notices", "--exited-since", "2025-01-01", "--until", "2026-12-31", "--json"
    ).json()
    assert [(s["student"], s["destroy_by"], s["records"]) for s in doc["students"]] == [
        ("102486", "2032-06-15", 1),
        ("104233", "2033-06-30", 2),
    ]
    clock.at = noon("2027-03-01")  # --until defaults to the clock's day
    doc = archive.ok("retention", "notices", "--exited-since", "2026-07-01", "--json").json()
    assert doc["until"] == "2027-03-01"
    assert [(s["student"], s["exit_date"]) for s in doc["students"]] == [("107204", "2027-02-01")]
    text = archive.ok("retention", "notices", "--exited-since", "2026-07-01").text
    assert "Ana Sousa" in text and "destroy by 2034-02-01" in text and "Liam" not in text
