"""Issue 14 (redaction): suggesting, adding, accepting, rejecting, removing and listing a
request's redactions; the spans the export removes. Both databases, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from archiver.app import App
from archiver.cli.context import Context
from archiver.clock import FixedClock
from archiver.records.redaction import Redactor, accepted, accepted_spans, record_texts
from archiver.records.rendering import record_text
from archiver.understand.redact_text import redact
from tests.conftest import Archive, make_archive

ROSTER = (
    "student_id,first_name,last_name,preferred_name,email,grade,enrollment_status,exit_date\n"
    "104233,Liam,Doherty,,ldoherty28@students.milton.k12.example.org,7,active,\n"
    "102486,Isabela,Mendes,Izzy,,7,active,\n"
)
STAFF = (
    "staff_id,first_name,last_name,email,personal_email,title\n"
    "E1,Maria,Ruiz,mruiz@milton.k12.example.org,maria.ruiz.home@yahoo.example,Teacher\n"
)
BODY = (
    "Liam Doherty and Izzy Mendes missed the bus again. Liam cried.\n"
    "Call me at 617-555-0138 or write to maria.ruiz.home@yahoo.example.\n"
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    fixed = FixedClock(at("2026-04-16T12:00"))
    monkeypatch.setattr(Context, "clock", fixed)
    return fixed


@pytest.fixture
def archive(tmp_path: Path, database_url: str, clock: FixedClock) -> Archive:
    archive = make_archive(tmp_path / "archive", database_url)
    (tmp_path / "roster.csv").write_text(ROSTER)
    (tmp_path / "staff.csv").write_text(STAFF)
    archive.ok("students", "import", str(tmp_path / "roster.csv"))
    archive.ok("staff", "import", str(tmp_path / "staff.csv"))
    return archive


def _import(archive: Archive, tmp_path: Path, n: int, body: str = BODY) -> str:
    msg = EmailMessage()
    msg["From"] = "Maria Ruiz <mruiz@milton.k12.example.org>"
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


def _open(archive: Archive, kind: str = "public", *more: str) -> str:
    number = archive.ok(
        "request", "open", "--kind", kind, "--received", "2026-04-16 10:00",
        "--requester", "Jo Reporter", "--json", *more,
    ).json()["number"]  # fmt: skip
    assert isinstance(number, str)
    return number


def _listed(archive: Archive, number: str, *rid: str) -> dict[str, dict[str, object]]:
    doc = archive.ok("redact", "list", number, *rid, "--json").json()
    return {r["text"]: r for r in doc["redactions"]}


def test_suggest_review_and_the_spans_the_export_removes(archive: Archive, tmp_path: Path) -> None:
    rid = _import(archive, tmp_path, 1)
    number = _open(archive)
    archive.ok("request", "add", number, rid)
    doc = archive.ok("redact", "suggest", number, "--json", "--actor", "Dana Reyes").json()
    assert doc["records"] == 1
    proposed = {(r["text"], r["exemption"], r["occurrences"]) for r in doc["redactions"]}
    assert proposed == {
        ("Liam Doherty", "26a:ferpa", 1),
        ("Liam", "26a:ferpa", 2),
        ("Izzy Mendes", "26a:ferpa", 1),
        ("Izzy", "26a:ferpa", 1),
        ("maria.ruiz.home@yahoo.example", "10B", 1),
        ("617-555-0138", "10B", 1),
    }
    assert {r["state"] for r in doc["redactions"]} == {"proposed"}
    assert {r["source"] for r in doc["redactions"]} == {"suggested"}
    again = archive.ok("redact", "suggest", number, rid[:10], "--json").json()
    assert again["proposed"] == 0  # nothing proposed twice
    ids = {r["text"]: r["id"] for r in doc["redactions"]}

    out = archive.ok("redact", "accept", number, str(ids["Liam Doherty"])).text
    assert "accepted" in out and "decided redact under 26a:ferpa" in out
    archive.ok("redact", "accept", number, str(ids["maria.ruiz.home@yahoo.example"]))
    archive.ok("redact", "reject", number, str(ids["617-555-0138"]))
    removed = archive.ok("redact", "remove", number, str(ids["Izzy"])).text
    assert "removed" in removed
    added = archive.ok(
        "redact", "add", number, rid, "--text", "the bus", "--exemption", "26c",
        "--occurrence", "1", "--json",
    ).json()  # fmt: skip
    assert (added["state"], added["source"], added["occurrences"]) == ("accepted", "manual", 1)
    shown = archive.ok("request", "show", "--json", number).json()
    [decision] = shown["records"]
    assert decision["decision"] == "redact"
    assert decision["exemptions"] == ["26a:ferpa", "10B", "26c"]  # the letter cites each

    listed = _listed(archive, number)
    assert {t: r["state"] for t, r in listed.items()} == {
        "Liam Doherty": "accepted",
        "Liam": "proposed",
        "Izzy Mendes": "proposed",
        "maria.ruiz.home@yahoo.example": "accepted",
        "617-555-0138": "rejected",
        "the bus": "accepted",
    }
    assert listed["Liam"]["occurrences"] == 2 and listed["the bus"]["occurrence"] == 1
    text = archive.ok("redact", "list", number).text
    assert "Liam Doherty" in text and "rejected" in text
    # a rejected suggestion stays out; a removed one comes back
    back = archive.ok("redact", "suggest", number, "--json").json()
    assert [r["text"] for r in back["redactions"]] == ["Izzy"]

    app = App.from_config(archive.config)
    try:
        ring = app.keyring  # loaded (in its own transaction) before ours
        with app.store.transaction() as tx:
            spans = accepted_spans(tx, ring, number, rid, BODY)
            every = accepted(tx, ring, number, rid)
        assert {r.text for r in every} == {
            "Liam Doherty",
            "maria.ruiz.home@yahoo.example",
            "the bus",
        }
        assert redact(BODY, spans) == (
            "[REDACTED 26a] and Izzy Mendes missed [REDACTED 26c] again. Liam cried.\n"
            "Call me at 617-555-0138 or write to [REDACTED 10B].\n"
        )
        from archiver.archive.reading import open_record

        rec = open_record(app.store, ring, rid, "text", purpose=number)
        produced = list(record_text(rec).map(Redactor(every)).texts())
        assert not any("Liam Doherty" in t or "maria.ruiz.home" in t for t in produced)
        assert any("[REDACTED 26a] and Izzy Mendes" in t for t in produced)
        assert len(record_texts(rec)) == len(produced)
    finally:
        app.close()
    # every change is audited, and suggestions read the record for the request
    log = archive.ok("audit", "log", "--json").json()["events"]
    actions = [e["action"] for e in log]
    for action in ("redact.suggest", "redact.accept", "redact.reject", "redact.remove"):
        assert action in actions, action
    assert "redact.add" in actions and "redact.list" in actions
    access = archive.ok("students", "access-log", "--json", "104233").json()["entries"]
    assert {"viewed", "decided: redact"} <= {e["action"] for e in access}
    assert {e["purpose"] for e in access} == {number}


def test_a_student_records_request_keeps_the_childs_own_information(
    archive: Archive, tmp_path: Path
) -> None:
    rid = _import(archive, tmp_path, 2)
    number = _open(archive, "student", "--student", "104233")
    archive.ok("request", "add", number, rid)
    doc = archive.ok("redact", "suggest", number, "--json").json()
    texts = {r["text"] for r in doc["redactions"]}
    assert {"Izzy Mendes", "Izzy"} <= texts
    assert not any("Liam" in t or "Doherty" in t or "104233" in t for t in texts)


def test_redactions_need_a_record_that_may_be_redacted(archive: Archive, tmp_path: Path) -> None:
    released, withheld = _import(archive, tmp_path, 3), _import(archive, tmp_path, 4)
    number = _open(archive)
    archive.ok("request", "add", number, released, withheld)
    archive.ok("request", "decide", number, released, "release")
    archive.ok("request", "decide", number, withheld, "withhold", "--exemption", "26c")
    result = archive.cli("redact", "add", number, released, "--text", "Liam", "--exemption", "26c")
    assert result.code == 2 and "decided 'release'" in result.err
    assert "request decide" in result.err
    doc = archive.ok("redact", "suggest", number, "--json").json()
    assert doc["records"] == 1  # a withheld record produces nothing: nothing to redact
    assert {r["record"] for r in doc["redactions"]} == {released}
    liam = next(r["id"] for r in doc["redactions"] if r["text"] == "Liam Doherty")
    refused = archive.cli("redact", "accept", number, str(liam))
    assert refused.code == 2 and "decided 'release'" in refused.err
    assert _listed(archive, number)["Liam Doherty"]["state"] == "proposed"


def test_bad_redaction_input_is_one_clear_error(archive: Archive, tmp_path: Path) -> None:
    rid, outside = _import(archive, tmp_path, 5), _import(archive, tmp_path, 6)
    number = _open(archive)
    archive.ok("request", "add", number, rid)
    made = archive.ok(
        "redact", "add", number, rid, "--text", "Liam", "--exemption", "26a:ferpa", "--json"
    ).json()
    cases = [
        (("redact", "suggest", "PRR-2026-0999"), "no request PRR-2026-0999"),
        (("redact", "list", "PRR-2026-0999"), "no request PRR-2026-0999"),
        (
            ("redact", "add", "PRR-2026-0999", rid, "--text", "x", "--exemption", "26c"),
            "no request",
        ),
        (("redact", "add", number, outside, "--text", "x", "--exemption", "26c"), "not in request"),
        (("redact", "suggest", number, outside), "not in request"),
        (("redact", "add", number, rid, "--text", "x", "--exemption", "99z"), "99z"),
        (("redact", "add", number, rid, "--text", "x", "--exemption", "26a:nope"), "no statute"),
        (("redact", "add", number, rid, "--text", "  ", "--exemption", "26c"), "--text is empty"),
        (("redact", "add", number, "zz", "--text", "x", "--exemption", "26c"), "not a record id"),
        (
            ("redact", "add", number, rid, "--text", "LIAM", "--exemption", "26c"),
            f"already has redaction {made['id']}",
        ),
        (("redact", "accept", number, "999"), "has no redaction 999"),
        (("redact", "remove", number, "999"), "has no redaction 999"),
    ]
    for args, says in cases:
        result = archive.cli(*args)
        assert result.code == 2, (args, result.code, result.err)
        assert says in result.err, (args, result.err)
        assert result.err.startswith("error: ") and result.err.count("\n") == 1, result.err
    assert list(_listed(archive, number)) == ["Liam"]  # nothing half-done
    missing = archive.cli("redact", "add", number, rid, "--text", "Zebedee", "--exemption", "26c")
    assert missing.code == 0 and "not found" in missing.err  # a warning, not a refusal
    archive.ok("request", "close", number, "--outcome", "produced")
    closed = archive.cli("redact", "accept", number, str(made["id"]))
    assert closed.code == 2 and "is closed" in closed.err
    assert "Liam" in _listed(archive, number)  # still readable once closed


def test_a_redaction_changed_outside_the_archiver_is_detected(
    archive: Archive, tmp_path: Path
) -> None:
    from sqlalchemy import create_engine, update

    from archiver.store.tables import redaction

    rid = _import(archive, tmp_path, 7)
    number = _open(archive)
    archive.ok("request", "add", number, rid)
    archive.ok("redact", "suggest", number)
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:  # a proposal made "accepted" behind the officer's back
        conn.execute(update(redaction).values(state="accepted"))
    engine.dispose()
    result = archive.cli("redact", "list", number)
    assert result.code == 3 and "state does not match" in result.err
    from archiver.store.tables import request_record

    checked = archive.cli("verify", "--json")  # `verify` names it too, and the decision
    assert checked.code == 3
    assert any(f["id"].startswith("redaction:") for f in checked.json()["failed"]), checked.out
    with engine.begin() as conn:  # a decision turned into a release
        conn.execute(update(request_record).values(decision="release"))
    engine.dispose()
    again = archive.cli("verify")
    assert again.code == 3 and f"FAILED request:{number} record:{rid}" in again.err, again.err


def test_a_record_marked_for_review_shows_each_redaction_where_it_is(
    archive: Archive, tmp_path: Path
) -> None:
    """What the web workspace highlights: every redaction's spans in the record's text, the
    longest where two start together, an occurrence-limited one only where it applies."""
    from archiver.archive.actor import acting_as

    rid = _import(archive, tmp_path, 1)
    number = _open(archive)
    archive.ok("request", "add", number, rid)
    archive.ok("redact", "suggest", number)
    archive.ok(
        "redact", "add", number, rid, "--text", "bus", "--exemption", "26c", "--occurrence", "2"
    )
    app = App.from_config(archive.config)
    try:
        with acting_as("Dana Reyes"):
            marked = app.redactions().marked(number, rid[:10])
    finally:
        app.close()
    assert {r.text: r.occurrences for r in marked.redactions}["Liam"] == 2
    spans = [(text, x.text, x.state) for segments in marked.texts for text, x in segments if x]
    assert ("Liam Doherty", "Liam Doherty", "proposed") in spans  # not "Liam" inside it
    assert ("Liam", "Liam", "proposed") in spans  # "Liam cried"
    limited = [s for s in spans if s[1] == "bus"]  # the 2nd occurrence only, as Redactor counts
    assert len(limited) == 1 and limited[0][0].casefold() == "bus" and limited[0][2] == "accepted"
    whole = ["".join(text for text, _ in segments) for segments in marked.texts]
    assert any(BODY.strip() in t for t in whole)  # the text is all there, cut, not changed
    log = archive.ok("students", "access-log", "--json", "104233").json()["entries"]
    assert any(e["actor"] == "Dana Reyes" and e["purpose"] == number for e in log)
