"""Issue 13: requests on the Massachusetts clock, decisions, the written response, fees, the
access log, and records a request keeps from disposition. Both databases, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from pypdf import PdfReader

from archiver.cli.context import Context
from archiver.clock import FixedClock
from tests.conftest import Archive, make_archive

OFFICER = """
[requests]
district_name = "Milton Public Schools"
officer_name = "Dana Reyes"
officer_contact = "25 Gile Road, Milton MA 02186"
"""
ROSTER = (
    "student_id,first_name,last_name,preferred_name,email,grade,enrollment_status,exit_date\n"
    "104233,Liam,Doherty,,ldoherty28@students.milton.k12.example.org,7,active,\n"
    "102486,Isabela,Mendes,Izzy,,10,active,\n"
)


def at(text: str) -> datetime:
    """A time in Massachusetts (America/New_York), as the clock tells it (UTC)."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    fixed = FixedClock(at("2026-04-16T12:00"))
    monkeypatch.setattr(Context, "clock", fixed)
    return fixed


def archive_with(tmp_path: Path, database_url: str, extra: str = "") -> Archive:
    return make_archive(tmp_path / "archive", database_url, OFFICER + extra)


@pytest.fixture
def archive(tmp_path: Path, database_url: str) -> Archive:
    return archive_with(tmp_path, database_url)


def opened(archive: Archive, received: str, kind: str = "public", *more: str) -> dict[str, str]:
    doc = archive.ok(
        "request", "open", "--kind", kind, "--received", received,
        "--requester", "Jo Reporter", "--json", *more,
    ).json()  # fmt: skip
    assert isinstance(doc, dict)
    return doc


# The days that trip people up. Each expected date was counted on a calendar by hand.
DUE = [
    # Thursday 2026-04-16, the week of Patriots' Day (Monday 04-20): day 0 Thu; business
    # days 04-17, 04-21..24 (5 with Fri), 04-27..05-01 -> the 10th is Friday 05-01.
    ("2026-04-16 10:00", "", "2026-04-16", "2026-05-01", "2026-05-22", "2026-05-15"),
    # Juneteenth 2025 is a Thursday: received Monday 06-16, the 10th is Tuesday 07-01
    # (06-17, 18, 20, 23-27, 30, 07-01).
    ("2025-06-16 09:00", "", "2025-06-16", "2025-07-01", "2025-07-23", "2025-07-16"),
    # Christmas 2022 falls on a Sunday: Monday 12-26 is the holiday. Received Thursday 12-22:
    # 12-23, 27, 28, 29, 30, 01-03 (01-02 observed New Year), 04, 05, 06, 09 -> 2023-01-09;
    # the 20th skips MLK Day (01-16): 01-24; the 25th: 01-31.
    ("2022-12-22 10:00", "", "2022-12-22", "2023-01-09", "2023-01-31", "2023-01-24"),
    # Christmas 2027 falls on a Saturday and is not moved: Friday 12-24 counts. Received
    # Monday 12-20: 21, 22, 23, 24, 27, 28, 29, 30, 31, 2028-01-03 (New Year 2028 is a
    # Saturday, not moved) -> Monday 2028-01-03; MLK Day 01-17: the 20th 01-18, the 25th 01-25.
    ("2027-12-20 10:00", "", "2027-12-20", "2028-01-03", "2028-01-25", "2028-01-18"),
    # After closing on a Friday: received Monday 2026-03-09 (day 0); Suffolk off, so Tuesday
    # 03-17 counts: 03-10..13, 16..20 -> the 10th is Monday 03-23.
    ("2026-03-06 17:30", "", "2026-03-09", "2026-03-23", "2026-04-13", "2026-04-06"),
    # The same with Suffolk County on: Evacuation Day (Tuesday 03-17) is not a business day.
    (
        "2026-03-06 17:30",
        "suffolk_county = true\n",
        "2026-03-09",
        "2026-03-24",
        "2026-04-14",
        "2026-04-07",
    ),
    # On a Saturday: received Monday 2026-02-09; Presidents' Day Monday 02-16 is a holiday:
    # 02-10..13, 17..20, 23, 24 -> Tuesday 02-24.
    ("2026-02-07 11:00", "", "2026-02-09", "2026-02-24", "2026-03-17", "2026-03-10"),
    # Across a snow day (Thursday 2026-02-12 closed): one day later, Wednesday 02-25.
    (
        "2026-02-07 11:00",
        'closures = ["2026-02-12"]\n',
        "2026-02-09",
        "2026-02-25",
        "2026-03-18",
        "2026-03-11",
    ),
    # Across New Year: received Tuesday 2025-12-30: 12-31, 2026-01-02, 05..09, 12, 13, and
    # 01-14 -> Wednesday 2026-01-14; MLK Day (01-19) skipped: the 20th is 01-29.
    ("2025-12-30 09:00", "", "2025-12-30", "2026-01-14", "2026-02-05", "2026-01-29"),
]


@pytest.mark.parametrize(("received", "settings", "day0", "respond", "produce", "petition"), DUE)
def test_due_dates_for_the_days_that_trip_people_up(
    tmp_path: Path,
    database_url: str,
    clock: FixedClock,
    received: str,
    settings: str,
    day0: str,
    respond: str,
    produce: str,
    petition: str,
) -> None:
    clock.at = at("2028-02-01T12:00")
    archive = archive_with(tmp_path, database_url, settings)
    doc = opened(archive, received)
    assert (doc["received"], doc["respond_by"], doc["produce_by"], doc["petition_by"]) == (
        day0,
        respond,
        produce,
        petition,
    )


def test_a_changed_calendar_recomputes_open_requests_and_says_so(
    tmp_path: Path, database_url: str, clock: FixedClock
) -> None:
    archive = archive_with(tmp_path, database_url)
    clock.at = at("2026-02-09T12:00")
    number = opened(archive, "2026-02-09 09:00")["number"]
    assert archive.ok("request", "show", "--json", number).json()["respond_by"] == "2026-02-24"
    config = archive.config.read_text().replace(
        "[requests]\n", '[requests]\nclosures = ["2026-02-12"]\n'
    )
    archive.config.write_text(config)
    shown = archive.ok("request", "show", "--json", number).json()
    assert shown["respond_by"] == "2026-02-25"
    assert shown["business_days_left"] == 10  # 02-10, 11, 13, 17..20, 23..25
    log = archive.ok("audit", "log", "--action", "request.recompute", "--json").json()
    [event] = log["events"]
    assert event["target"] == number
    assert event["details"]["changed"]["respond_by"] == ["2026-02-24", "2026-02-25"]


def _import(archive: Archive, tmp_path: Path, n: int, body: str) -> str:
    msg = EmailMessage()
    msg["From"] = "Ms. Ruiz <mruiz@milton.k12.example.org>"
    msg["To"] = "records-archive@milton.k12.example.org"
    msg["Subject"] = f"Bus incident {n}"
    msg["Date"] = "Tue, 14 Oct 2025 07:52:11 -0400"
    msg["Message-ID"] = f"<bus-{n}@milton.k12.example.org>"
    msg.set_content(body)
    path = tmp_path / f"m{n}.eml"
    path.write_bytes(msg.as_bytes())
    rid = archive.ok("import", "--json", str(path)).json()["items"][0]["id"]
    assert isinstance(rid, str)
    return rid


def test_a_student_records_request_from_open_to_letter_with_its_access_log(
    archive: Archive, tmp_path: Path, clock: FixedClock
) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text(ROSTER)
    archive.ok("students", "import", str(roster))
    liam = [_import(archive, tmp_path, n, f"Liam Doherty missed the bus, day {n}.") for n in (1, 2)]
    other = _import(archive, tmp_path, 3, "Izzy Mendes was late.")
    # Friday 2026-04-17 after closing: received Tuesday 04-21 (Patriots' Day), due 10 days later
    clock.at = at("2026-04-20T09:00")
    doc = archive.ok(
        "request", "open", "--kind", "student", "--received", "2026-04-17 18:10",
        "--requester", "Patricia Doherty", "--contact", "pdoherty74@gmail.example",
        "--student", "Liam Doherty", "--json", "--actor", "Dana Reyes",
    ).json()  # fmt: skip
    number = doc["number"]
    assert number == "SRR-2026-0001"
    assert (doc["received"], doc["respond_by"]) == ("2026-04-21", "2026-05-01")
    added = archive.ok("request", "add", number, "--student", "104233", "--actor", "Dana Reyes")
    assert "2 records added" in added.text
    for rid in liam:
        archive.ok("request", "decide", number, rid[:10], "release", "--actor", "Dana Reyes")
    shown = archive.ok("request", "show", "--json", number).json()
    assert shown["student"] == "104233" and shown["state"] == "open"
    assert sorted(r["id"] for r in shown["records"]) == sorted(liam)
    assert {r["decision"] for r in shown["records"]} == {"release"}
    # Monday 04-20: 11 calendar days to Friday 05-01; 9 business days (04-21..24, 27..05-01)
    assert shown["days_left"] == 11 and shown["business_days_left"] == 9
    letter = archive.ok("request", "letter", number, "--sent", "--actor", "Dana Reyes").text
    for element in (
        "Dear Patricia Doherty:",
        "student record of Liam Doherty",
        "April 17, 2026",
        "May 1, 2026",
        "603 CMR 23.07",
        "603 CMR 23.09",
        "Dana Reyes",
        "Records Access Officer, Milton Public Schools",
        "25 Gile Road, Milton MA 02186",
    ):
        assert element in letter, element
    assert other[:8] not in letter
    # the access log: who saw Liam's records, when and what for
    archive.ok("show", liam[0], "--actor", "Sam Ortiz", "--purpose", "IEP meeting")
    log = archive.ok("students", "access-log", "--json", "Liam Doherty").json()
    assert log["student"] == "104233"
    entries = [
        (e["actor"], e["action"], sorted(e["records"]), e["purpose"]) for e in log["entries"]
    ]
    assert entries == [
        ("Dana Reyes", "decided: release", [liam[0]], number),
        ("Dana Reyes", "decided: release", [liam[1]], number),
        ("Sam Ortiz", "viewed", [liam[0]], "IEP meeting"),
    ]
    csv = archive.ok("students", "access-log", "--csv", "104233").text.splitlines()
    assert csv[0] == "at,actor,action,records,purpose" and len(csv) == 4
    izzy = archive.ok("students", "access-log", "--json", "102486").json()
    assert izzy["entries"] == []


def test_a_public_request_decisions_fees_and_the_letters_elements(
    archive: Archive, tmp_path: Path, clock: FixedClock
) -> None:
    ids = [_import(archive, tmp_path, n, f"The route {n} bus was late.") for n in range(4)]
    clock.at = at("2026-04-16T12:00")
    number = opened(archive, "2026-04-16 10:00", "public", "--description", "bus emails")["number"]
    assert number == "PRR-2026-0001"
    assert opened(archive, "2026-04-16 11:00")["number"] == "PRR-2026-0002"
    archive.ok("request", "add", number, *ids)
    archive.ok("request", "decide", number, ids[0], "release")
    archive.ok("request", "decide", number, ids[1], "withhold", "--exemption", "26a:ferpa")
    archive.ok("request", "decide", number, ids[2], "redact", "--exemption", "10B")
    archive.ok("request", "decide", number, ids[3], "not-responsive")
    fee = archive.ok("request", "fees", number, "--hours", "3.5", "--pages", "40").text
    assert "$37.50" in fee and "$2.00" in fee and "$39.50" in fee  # 2 free hours, 1.5 x $25
    letter = archive.ok("request", "letter", number, "--not-held", "text messages").text
    for element in (
        "received your request on April 16, 2026",  # receipt
        "does not have in its possession, custody or control",  # records not held
        "text messages",
        "G.L. c.4, §7(26)(a)",  # the specific exemption, and the statute
        "Family Educational Rights and Privacy Act",
        ids[1][:8],
        "c.66, §10B",
        ids[2][:8],
        "will produce 2 records",  # records produced
        "May 22, 2026",  # the timeframe: 25 business days
        "$39.50",  # the fee estimate
        "Supervisor of Records",  # the right to appeal
        "Superior Court",
        "Dana Reyes",
    ):
        assert element in letter, element
    pdf = tmp_path / "letter.pdf"
    archive.ok("request", "letter", number, "--not-held", "text messages", "--out", str(pdf))
    pages = PdfReader(pdf).pages
    rendered = " ".join(" ".join(page.extract_text().split()) for page in pages)
    for element in ("7. Your right to appeal", "Superior Court", "$39.50", ids[1][:8]):
        assert element in rendered, element
    assert f"{number}, written response of April 16, 2026" in rendered  # every page's footer
    # sent on the 11th business day: late, so no fee at all
    clock.at = at("2026-05-04T09:00")
    archive.ok("request", "letter", number, "--sent")
    late = archive.ok("request", "fees", number, "--hours", "3.5", "--pages", "40").text
    assert "Total" in late and "$0.00" in late and "950 CMR 32.06(2)(c)" in late
    extended = archive.ok("request", "extend", number, "--days", "30").text
    assert "2026-07-07" in extended
    listed = archive.ok("request", "list", "--json").json()["requests"]
    assert [r["number"] for r in listed] == ["PRR-2026-0002", "PRR-2026-0001"]
    overdue = archive.ok("request", "list", "--overdue", "--json").json()["requests"]
    assert [r["number"] for r in overdue] == ["PRR-2026-0002"]  # never answered
    assert overdue[0]["business_days_left"] < 0


def test_a_request_keeps_its_records_from_disposition_until_the_appeal_window_passes(
    archive: Archive, tmp_path: Path, clock: FixedClock
) -> None:
    rid = _import(archive, tmp_path, 7, "Old transitory note.")
    archive.ok("retention", "set", rid, "CORR-TRN", "--reason", "transitory")
    clock.at = at("2030-03-02T12:00")
    due = archive.ok("retention", "due", "--json").json()
    assert [r["id"] for r in due["records"]] == [rid]
    number = opened(archive, "2030-03-01 10:00")["number"]
    archive.ok("request", "add", number, rid)
    assert archive.ok("retention", "due", "--json").json()["total"] == 0
    assert archive.ok("retention", "show", "--json", rid).json()["requests"] == [number]
    archive.ok("request", "close", number, "--outcome", "produced")
    clock.at = at("2030-05-30T12:00")  # 89 days after closing: the appeal window is open
    assert archive.ok("retention", "due", "--json").json()["total"] == 0
    clock.at = at("2030-06-01T12:00")  # 91 days
    assert archive.ok("retention", "due", "--json").json()["total"] == 1


def test_bad_request_input_is_one_clear_error(
    archive: Archive, tmp_path: Path, clock: FixedClock
) -> None:
    rid = _import(archive, tmp_path, 9, "A note.")
    number = opened(archive, "2026-04-15 10:00")["number"]
    archive.ok("request", "add", number, rid)
    cases = [
        (("request", "show", "PRR-2026-0999"), "no request PRR-2026-0999"),
        (("request", "decide", number, rid, "withhold", "--exemption", "99z"), "99z"),
        (("request", "decide", number, rid, "withhold"), "needs the exemption"),
        (("request", "decide", number, rid, "release", "--exemption", "26c"), "takes no"),
        (
            ("request", "decide", number, rid, "withhold", "--exemption", "26a:nope"),
            "no statute",
        ),
        (
            (
                "request",
                "open",
                "--kind",
                "public",
                "--received",
                "2026-04-17 10:00",
                "--requester",
                "X",
            ),
            "in the future",
        ),
        (
            ("request", "open", "--kind", "public", "--received", "yesterday", "--requester", "X"),
            "--received",
        ),
        (
            ("request", "open", "--kind", "student", "--requester", "X"),
            "needs the student",
        ),
        (("request", "decide", "PRR-2026-0999", rid, "release"), "no request"),
        (("request", "fees", number, "--hours", "2", "--rate", "30"), "$25.00"),
    ]
    for args, says in cases:
        result = archive.cli(*args)
        assert result.code == 2, (args, result.code, result.err)
        assert says in result.err, (args, result.err)
        assert result.err.startswith("error: ") and result.err.count("\n") == 1, result.err
    shown = archive.ok("request", "show", "--json", number).json()
    assert [r["decision"] for r in shown["records"]] == [None]  # nothing half-done


def test_a_letter_needs_the_officer(tmp_path: Path, database_url: str, clock: FixedClock) -> None:
    archive = make_archive(tmp_path / "bare", database_url)
    number = opened(archive, "2026-04-15 10:00")["number"]
    result = archive.cli("request", "letter", number, "--sent")
    assert result.code == 2 and "[requests] officer_name" in result.err
    shown = archive.ok("request", "show", "--json", number).json()
    assert shown["responded_at"] is None  # not recorded as sent


def test_open_requests_clock_moves_with_the_days(archive: Archive, clock: FixedClock) -> None:
    clock.at = at("2026-04-16T12:00")
    number = opened(archive, "2026-04-16 10:00")["number"]
    assert archive.ok("request", "show", "--json", number).json()["business_days_left"] == 10
    clock.at += timedelta(days=15)  # Friday 05-01, the due day
    assert archive.ok("request", "show", "--json", number).json()["business_days_left"] == 0
    clock.at += timedelta(days=3)  # Monday 05-04
    shown = archive.ok("request", "show", "--json", number).json()
    assert shown["business_days_left"] == -1 and shown["overdue"] is True
    text = archive.ok("request", "list").text
    assert "OVERDUE by 1 business days" in text


def test_status_shows_open_requests_and_warns_of_overdue_ones(
    archive: Archive, clock: FixedClock
) -> None:
    clock.at = at("2026-04-16T12:00")
    first = opened(archive, "2026-04-01 10:00")["number"]  # due 04-15: overdue
    second = opened(archive, "2026-04-16 10:00")["number"]
    result = archive.cli("status", "--json")
    requests = result.json()["requests"]
    assert [(r["number"], r["overdue"]) for r in requests] == [(first, True), (second, False)]
    assert requests[0]["due"] == "2026-04-15" and requests[0]["days_left"] == -1
    text = archive.cli("status")
    assert f"warning: request {first}: OVERDUE: written response was due 2026-04-15" in text.err
    assert f"request {second}: written response due 2026-05-01, 10 business days left" in (
        text.text
    )
    assert "Jo Reporter" not in text.text + text.err  # numbers and dates only
