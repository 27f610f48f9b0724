"""Roster import and student tags, as a records officer uses them."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import create_engine, select

from archiver.store.tables import audit_event
from tests.conftest import Archive

ASPEN = (
    "Student ID,First Name,Last Name,Preferred Name,Student Email,Grade,Enrollment Status,"
    "Withdrawal Date\n"
    "104233,Liam,Doherty,,ldoherty31@students.milton.k12.example.org,7,Active,\n"
    "102486,Isabela,Mendes,Izzy,imendes28@students.milton.k12.example.org,10,Active,\n"
    "106240,Jayden,Pierre,,jpierre30@students.milton.k12.example.org,8,Active,\n"
)


def _message(
    subject: str,
    body: str,
    sender: str = "parent@gmail.example",
    to: str = "teacher@milton.k12.example.org",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Tue, 14 Oct 2025 07:52:11 -0400"
    msg.set_content(body)
    return msg.as_bytes()


def _import(archive: Archive, tmp_path: Path, name: str, raw: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(raw)
    doc = archive.ok("import", "--json", str(path)).json()
    rid = doc["items"][0]["id"]
    assert isinstance(rid, str)
    return rid


def _students(archive: Archive, rid: str) -> dict[str, str]:
    view = archive.ok("show", "--json", rid).json()
    return {s["id"]: s["source"] for s in view["students"]}


def test_roster_import_tags_new_and_existing_records(archive: Archive, tmp_path: Path) -> None:
    before = _import(archive, tmp_path, "a.eml", _message("Izzy Mendes - ankle", "She rolled it."))
    roster = tmp_path / "aspen.csv"
    roster.write_text(ASPEN)
    doc = archive.ok("students", "import", "--json", str(roster)).json()
    assert (doc["format"], doc["added"], doc["records_retagged"]) == ("aspen", 3, 1)
    assert _students(archive, before) == {"102486": "name"}
    after = _import(
        archive,
        tmp_path,
        "b.eml",
        _message(
            "lab", "Jayden Pierre left early.", sender="jpierre30@students.milton.k12.example.org"
        ),
    )
    assert _students(archive, after) == {"106240": "address"}  # tagged at ingest
    shown = archive.ok("show", after).text
    assert "Jayden Pierre (106240, address)" in shown
    listed = archive.ok("students", "list", "--json").json()["students"]
    assert [s["id"] for s in listed] == ["104233", "102486", "106240"]


def test_reimport_records_what_changed(archive: Archive, tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text(ASPEN)
    archive.ok("students", "import", str(roster))
    roster.write_text(ASPEN.replace("7,Active,\n", "7,Inactive,6/20/2026\n"))
    doc = archive.ok("students", "import", "--json", str(roster)).json()
    assert (doc["added"], doc["updated"], doc["unchanged"]) == (0, 1, 2)
    listed = {s["id"]: s for s in archive.ok("students", "list", "--json").json()["students"]}
    assert listed["104233"]["exit_date"] == "2026-06-20"
    assert listed["104233"]["status"] == "Inactive"
    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        details = [
            json.loads(d)
            for (d,) in conn.execute(
                select(audit_event.c.details).where(audit_event.c.action == "students.import")
            )
        ]
    engine.dispose()
    [changed] = details[-1]["changed_fields"].values()
    assert sorted(changed) == ["exit_date", "status"]
    assert "Doherty" not in json.dumps(details)  # which fields changed, never their values


def test_bad_roster_is_refused_with_line_numbers(archive: Archive, tmp_path: Path) -> None:
    roster = tmp_path / "bad.csv"
    roster.write_text(
        ASPEN + "104233,Liam,Again,,,,Active,\n,,NoId,,,,,\n109999,Ana,Souza,,,,Active,31/31/2025\n"
    )
    result = archive.cli("students", "import", str(roster))
    assert result.code == 1
    assert "line 5: student id 104233 already on line 2" in result.err
    assert "line 6: missing student_id, first" in result.err
    assert "line 7: exit date" in result.err
    assert archive.ok("students", "list", "--json").json()["students"] == []  # none half-imported
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("a,b,c\n1,2,3\n")
    result = archive.cli("students", "import", str(unknown))
    assert result.code == 1 and "do not look like" in result.err


def test_manual_tags_survive_retagging(archive: Archive, tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text(ASPEN)
    archive.ok("students", "import", str(roster))
    rid = _import(archive, tmp_path, "m.eml", _message("Liam Doherty absent", "Sick today."))
    assert _students(archive, rid) == {"104233": "name"}
    archive.ok("tag", "remove", rid, "104233")
    archive.ok("tag", "add", rid[:8], "106240")
    archive.ok("students", "import", str(roster))  # re-tags every record
    assert _students(archive, rid) == {"106240": "manual"}
    archive.ok("tag", "add", rid, "104233")  # a person may change their mind
    archive.ok("students", "import", str(roster))
    assert _students(archive, rid) == {"104233": "manual", "106240": "manual"}
    missing = archive.cli("tag", "add", rid, "999999")
    assert missing.code == 2 and "no student with id 999999" in missing.err
    chain = archive.ok("audit", "verify", "--json").json()
    assert chain["ok"]


def test_a_roster_imported_while_a_collector_runs_is_used_at_once(
    archive: Archive, tmp_path: Path
) -> None:
    from archiver.archive.keys import load_keyring
    from archiver.ingest.pipeline import Pipeline
    from archiver.ingest.prepare import IngestPolicy
    from archiver.settings import load_settings
    from archiver.sources import files
    from archiver.store.db import Store

    settings = load_settings(archive.config)
    db = Store.open(settings.database_url)
    ring = load_keyring(db, settings.keys_dir)
    pipeline = Pipeline(db, ring, IngestPolicy.from_settings(settings.ingest, ring), 2)
    try:  # its workers were started with an empty roster; now the roster arrives
        roster = tmp_path / "r.csv"
        roster.write_text(ASPEN)
        archive.ok("students", "import", str(roster))
        path = tmp_path / "late.eml"
        path.write_bytes(_message("pickup", "Izzy Mendes will be picked up at 2."))
        scan = files.Scan([])
        [outcome] = pipeline.run(files.read_paths([path], 1 << 20, scan), "test")
    finally:
        pipeline.close()
        db.close()
    assert outcome.record_id is not None
    assert _students(archive, outcome.record_id) == {"102486": "name"}


def _audited(archive: Archive, action: str) -> list[dict[str, object]]:
    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_event.c.details).where(audit_event.c.action == action)
        ).all()
    engine.dispose()
    return [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]


def test_tags_review_lists_the_weaker_tags_to_confirm_or_remove(
    archive: Archive, tmp_path: Path
) -> None:
    # Issue 12: a first name with the family's surname elsewhere is `context`, for review
    roster = tmp_path / "r.csv"
    roster.write_text(ASPEN)
    archive.ok("students", "import", str(roster))
    inferred = _import(
        archive,
        tmp_path,
        "c.eml",
        _message("bus", "Jayden missed the bus again.\n\nMarie Pierre", "mp@gmail.example"),
    )
    named = _import(archive, tmp_path, "n.eml", _message("Liam Doherty absent", "Sick."))
    assert _students(archive, inferred) == {"106240": "context"}
    doc = archive.ok("tags", "review", "--json").json()
    listed = [(t["record"], t["student"]["id"], t["source"]) for t in doc["tags"]]
    assert listed == [(inferred, "106240", "context"), (named, "104233", "name")]
    assert doc["tags"][0]["subject"] == "bus"
    assert doc["tags"][0]["student"]["name"] == "Jayden Pierre"
    only = archive.ok("tags", "review", "--json", "--source", "context").json()["tags"]
    assert [t["record"] for t in only] == [inferred]
    assert len(archive.ok("tags", "review", "--json", "--limit", "1").json()["tags"]) == 1
    text = archive.ok("tags", "review").text
    assert inferred[:12] in text and "context" in text and "Jayden Pierre" in text
    archive.ok("tag", "add", inferred, "106240")  # confirmed: manual, no longer for review
    archive.ok("tag", "remove", named, "104233")  # removed
    assert archive.ok("tags", "review", "--json").json()["tags"] == []
    assert "no tags to review" in archive.ok("tags", "review").text
    assert _students(archive, inferred) == {"106240": "manual"}
    reviews = _audited(archive, "tags.review")
    assert len(reviews) == 6 and reviews[0]["count"] == 2
    assert archive.ok("audit", "verify", "--json").json()["ok"]
