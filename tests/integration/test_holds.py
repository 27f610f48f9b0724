"""Legal holds as a records officer uses them (issue 11): a fixed clock, both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, update

from archiver.clock import FixedClock
from archiver.store.tables import audit_event, hold_record
from tests.conftest import Archive
from tests.integration.dovecot import Dovecot
from tests.integration.test_imap_collect import imap_archive
from tests.integration.test_retention import (
    ROSTER_HEADER,
    STUDENTS,
    about,
    corr_gen_period,
    fixed_clock,
    import_one,
    kept,
    message,
    noon,
    report,
    roster,
    search_ids,
    use_schedule,
)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    return fixed_clock(monkeypatch, noon("2026-03-10"))


def held_by(archive: Archive, rid: str) -> list[str]:
    holds = kept(archive, rid)["holds"]
    assert isinstance(holds, list)
    return holds


def hold_ids(archive: Archive, name: str) -> set[str]:
    doc = archive.ok("hold", "show", name, "--json").json()
    assert doc["records"] == len(doc["ids"])
    return set(doc["ids"])


def due(archive: Archive, by: str = "2100-01-01") -> set[str]:
    doc = archive.ok("retention", "due", "--json", "--by", by, "--limit", "1000").json()
    return {r["id"] for r in doc["records"]}


def counted(archive: Archive, series: str) -> tuple[Any, ...]:
    row = report(archive)[series]
    return row["records"], row["eligible"], row["held"]


def test_a_student_hold_catches_records_now_and_later(archive: Archive, clock: FixedClock) -> None:
    roster(archive, {"104233": None, "102486": None})
    existing = about(archive, "102486", n=1)
    nickname = import_one(archive, message("Ankle", "Izzy Mendes rolled her ankle."))
    by_hand = import_one(archive, message("Bus", "The bus was late again."))
    unrelated = about(archive, "104233", n=2)
    created = archive.ok(
        "hold", "create", "Mendes v. District", "--student", "102486", "--reason", "demand letter",
        "--json",
    ).json()  # fmt: skip
    assert created == {"name": "Mendes v. District", "records": 1}
    assert hold_ids(archive, "Mendes v. District") == {existing}
    assert held_by(archive, existing) == ["Mendes v. District"]
    assert held_by(archive, nickname) == []

    arrived = about(archive, "102486", n=3)  # archived afterwards: caught in its transaction
    assert held_by(archive, arrived) == ["Mendes v. District"]

    # The roster now knows her preferred name: the re-import tags the older record, and the
    # hold catches it.
    path = archive.root / "roster.csv"
    path.write_text(
        ROSTER_HEADER
        + STUDENTS["104233"].format(status="active")
        + "\n"
        + STUDENTS["102486"].format(status="active").replace("Mendes,,", "Mendes,Izzy,")
        + "\n"
    )
    assert archive.ok("students", "import", "--json", str(path)).json()["records_retagged"] == 1
    assert held_by(archive, nickname) == ["Mendes v. District"]

    archive.ok("tag", "add", by_hand, "102486")  # tagged by hand: caught too
    assert held_by(archive, by_hand) == ["Mendes v. District"]
    assert kept(archive, by_hand)["series"] == "SR-TMP"

    caught = {existing, nickname, by_hand, arrived}
    assert hold_ids(archive, "Mendes v. District") == caught
    assert search_ids(archive, "--held") == caught
    assert search_ids(archive, "--not-held") == {unrelated}
    assert search_ids(archive, "--held", "--student", "104233") == set()
    [listed] = archive.ok("hold", "list", "--json").json()["holds"]
    assert (listed["name"], listed["state"], listed["records"]) == ("Mendes v. District", "open", 4)
    assert listed["criteria"]["student"] == "102486" and listed["reason"] == "demand letter"
    shown = archive.ok("show", existing).text
    assert "Held:     Mendes v. District" in shown
    assert archive.ok("show", "--json", existing).json()["retention"]["holds"] == [
        "Mendes v. District"
    ]


@pytest.mark.timeout(60)
def test_a_student_hold_catches_a_record_polled_from_dovecot(
    tmp_path: Path,
    database_url: str,
    dovecot: Dovecot,
    imap_user: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fixed_clock(monkeypatch, noon("2026-03-10"))
    archive = imap_archive(tmp_path, database_url, imap_user, dovecot.port, dovecot.password)
    roster(archive, {"104233": "2026-06-30", "102486": None})
    archive.ok(
        "hold", "create", "Doherty complaint", "--student", "104233", "--reason", "OCR complaint"
    )
    about_him = message("Recess", "Liam Doherty was hurt at recess.").replace(b"\n", b"\r\n")
    other = message("Lunch", "The lunch menu changed.").replace(b"\n", b"\r\n")
    dovecot.append(imap_user, "INBOX", [about_him, other])
    result = archive.cli("poll", "--json")
    assert result.code == 0, result.err
    [source] = result.json()["sources"]
    assert (source["fetched"], source["archived"]) == (2, 2)
    [rid] = search_ids(archive, "--student", "104233")
    [plain] = search_ids(archive, "lunch")
    assert held_by(archive, rid) == ["Doherty complaint"]
    assert hold_ids(archive, "Doherty complaint") == {rid}
    doc = kept(archive, rid)
    assert (doc["series"], doc["retain_until"]) == ("SR-TMP", "2033-06-30")
    assert held_by(archive, plain) == []
    assert due(archive) == {plain}  # held: never due, even past its retention
    assert counted(archive, "SR-TMP") == (1, 0, 1)


def test_a_record_stays_held_while_any_hold_covers_it(archive: Archive, clock: FixedClock) -> None:
    roster(archive, {"104233": "2026-06-30"})
    record = about(archive, "104233", n=1)
    other = import_one(archive, message("Budget", "Budget."))
    archive.ok("hold", "create", "Audit 2026", "--record", record, "--reason", "state audit")
    archive.ok("hold", "create", "Doherty", "--student", "104233", "--reason", "lawsuit")
    assert sorted(held_by(archive, record)) == ["Audit 2026", "Doherty"]

    clock.at = noon("2034-01-02")  # past every retention here, and overdue for SR-TMP
    assert due(archive, "2034-01-02") == {other}
    assert archive.ok("retention", "due", "--json").json()["total"] == 1
    assert counted(archive, "SR-TMP") == (1, 0, 1)
    assert report(archive)["SR-TMP"]["overdue"] == 0

    released = archive.cli("hold", "release", "Audit 2026", "--reason", "audit closed")
    assert released.code == 0, released.err
    assert held_by(archive, record) == ["Doherty"]
    assert record not in due(archive)
    assert counted(archive, "SR-TMP") == (1, 0, 1)
    assert search_ids(archive, "--held") == {record}
    states = {h["name"]: h["state"] for h in archive.ok("hold", "list", "--json").json()["holds"]}
    assert states == {"Audit 2026": "released", "Doherty": "open"}
    shown = archive.ok("hold", "show", "Audit 2026", "--json").json()
    assert shown["release_reason"] == "audit closed" and shown["released_at"]

    again = archive.cli("hold", "release", "audit 2026", "--reason", "twice")
    assert again.code == 2 and "released already" in again.err
    archive.ok("hold", "release", "Doherty", "--reason", "settled")
    assert held_by(archive, record) == []
    assert due(archive) == {record, other}
    assert counted(archive, "SR-TMP") == (1, 1, 0)
    assert report(archive)["SR-TMP"]["overdue"] == 1
    assert search_ids(archive, "--held") == set()
    assert search_ids(archive, "--not-held") == {record, other}
    late = archive.cli("hold", "add", "Doherty", record, "--reason", "more")
    assert late.code == 2 and "released" in late.err
    assert held_by(archive, record) == []


def test_a_record_taken_out_of_a_hold_stays_out(archive: Archive, clock: FixedClock) -> None:
    roster(archive, {"104233": "2026-06-30", "102486": "2026-06-30"})
    kept_in = about(archive, "104233", n=1)
    taken_out = about(archive, "104233", n=2)
    archive.ok("hold", "create", "Doherty", "--student", "104233", "--reason", "lawsuit")
    assert hold_ids(archive, "Doherty") == {kept_in, taken_out}

    archive.ok("hold", "remove", "Doherty", taken_out, "--reason", "not about the incident")
    assert held_by(archive, taken_out) == []
    assert archive.ok("hold", "show", "Doherty", "--json").json()["removed"] == [taken_out]
    assert due(archive) == {taken_out}
    assert search_ids(archive, "--not-held") == {taken_out}

    archive.ok("tag", "remove", taken_out, "104233")  # re-tagged: still out
    archive.ok("tag", "add", taken_out, "104233")
    archive.ok("tag", "add", taken_out, "102486")
    path = archive.root / "roster.csv"
    path.write_text(path.read_text().replace(",2026-06-30", ",2026-07-01"))
    roster_doc = archive.ok("students", "import", "--json", str(path)).json()
    assert roster_doc["updated"] == 2
    assert held_by(archive, taken_out) == []
    assert hold_ids(archive, "Doherty") == {kept_in}
    assert search_ids(archive, "--held") == {kept_in}
    assert due(archive) == {taken_out}

    archive.ok("hold", "add", "Doherty", taken_out[:12], "--reason", "counsel asked again")
    assert held_by(archive, taken_out) == ["Doherty"]
    assert due(archive) == set()


def test_refused_holds_change_nothing(archive: Archive, clock: FixedClock) -> None:
    roster(archive, {"104233": None})
    rid = about(archive, "104233")
    nothing = archive.cli("hold", "create", "Empty", "--reason", "no criteria")
    assert nothing.code == 2
    assert len(nothing.err.strip().splitlines()) == 1 and "criteria" in nothing.err
    assert archive.ok("hold", "list", "--json").json() == {"holds": []}
    no_student = archive.cli("hold", "create", "Ghost", "--student", "999999", "--reason", "x")
    assert no_student.code == 2 and "999999" in no_student.err
    no_record = archive.cli("hold", "create", "Ghost", "--record", "f" * 32, "--reason", "x")
    assert no_record.code == 2
    assert archive.ok("hold", "list", "--json").json() == {"holds": []}

    archive.ok("hold", "create", "Doherty", "--student", "104233", "--reason", "first")
    dup = archive.cli("hold", "create", " doherty ", "--record", rid, "--reason", "second")
    assert dup.code == 2 and "exists already" in dup.err
    [only] = archive.ok("hold", "list", "--json").json()["holds"]
    assert (only["name"], only["reason"], only["records"]) == ("Doherty", "first", 1)
    missing = archive.cli("hold", "show", "Nobody")
    assert missing.code == 2 and "Nobody" in missing.err


def test_verify_catches_an_edited_hold_membership(archive: Archive, clock: FixedClock) -> None:
    rid = import_one(archive, message("Budget", "Budget."))
    other = import_one(archive, message("Budget", "Budget two.", n=2))
    archive.ok("hold", "create", "Audit", "--record", rid, "--reason", "state audit")
    assert archive.ok("verify", "--json").json()["failed"] == []
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:  # someone takes the record out of the hold behind its back
        conn.execute(update(hold_record).values(how="removed"))
    engine.dispose()
    result = archive.cli("verify", "--json")
    assert result.code == 3
    [failed] = result.json()["failed"]
    assert failed["id"] == rid and "how" in failed["error"]
    assert other not in result.text
    shown = archive.cli("hold", "show", "Audit")
    assert shown.code == 3


def test_every_change_is_audited_with_its_actor(archive: Archive, clock: FixedClock) -> None:
    rid = import_one(archive, message("Budget", "Budget."))
    other = import_one(archive, message("Budget", "Budget two.", n=2))
    actor = ("--actor", "Records Officer Rao")
    archive.ok("hold", "create", "Audit", "--record", rid, "--reason", "state audit", *actor)
    archive.ok("hold", "add", "Audit", other, "--reason", "also this", *actor)
    archive.ok("hold", "remove", "Audit", other, "--reason", "not this", *actor)
    archive.ok("hold", "release", "Audit", "--reason", "audit over", *actor)
    archive.ok("retention", "set", rid, "PERS", "--reason", "personnel", *actor)
    use_schedule(archive, corr_gen_period("3y"))
    assert archive.ok("retention", "apply", "--json", *actor).json()["changed"] == 1
    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        events = [
            (action, who)
            for action, who in conn.execute(
                select(audit_event.c.action, audit_event.c.actor).order_by(audit_event.c.seq)
            )
            if action.split(".")[0] in ("hold", "retention") and action != "retention.show"
        ]
    engine.dispose()
    changes = ["hold.create", "hold.add", "hold.remove", "hold.release"]
    changes += ["retention.set", "retention.apply"]
    assert [(a, w) for a, w in events if a in changes] == [
        (a, "Records Officer Rao") for a in changes
    ]
    assert archive.ok("audit", "verify", "--json").json()["ok"]
