"""Issue 12: `archiver staff import|list`, and staff names no longer tagged as students."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import create_engine, select

from archiver.store.tables import audit_event
from tests.conftest import Archive

ROSTER = (
    "student_id,first_name,last_name,preferred_name,email,grade,enrollment_status,exit_date\n"
    "300010,Michael,Walsh,,mwalsh33@students.district.example.org,2,active,\n"
    "300011,Kevin,Trần,,,9,active,\n"
    "300012,Ada,Okonkwo,,aokonkwo30@students.district.example.org,11,active,\n"
)
STAFF = (
    "staff_id,first_name,last_name,email,personal_email,title\n"
    "E2001,Michael,Walsh,mwalsh@district.example.org,coach.walsh.pe@gmail.example,PE teacher\n"
    'E2002,Kevin,Tran,ktran@district.example.org,"kevin.tran.math@gmail.example; '
    'kt@icloud.example",Algebra II\n'
    "E2003,Ada,Okonkwo,aokonkwo30@students.district.example.org,,\n"  # a student's account
)


def _message(tmp_path: Path, name: str, sender: str, body: str) -> Path:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "records@district.example.org"
    msg["Subject"] = "Practice"
    msg["Date"] = "Tue, 14 Oct 2025 07:52:11 -0400"
    msg.set_content(body)
    path = tmp_path / name
    path.write_bytes(msg.as_bytes())
    return path


def _students(archive: Archive, rid: str) -> list[str]:
    return [s["id"] for s in archive.ok("show", "--json", rid).json()["students"]]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_staff_import_untags_staff_namesakes_and_keeps_the_students_meant(
    archive: Archive, tmp_path: Path
) -> None:
    archive.ok("students", "import", str(_write(tmp_path, "r.csv", ROSTER)))
    coach = _message(
        tmp_path,
        "coach.eml",
        "coach.walsh.pe@gmail.example",
        "Practice moved to Thursday.\n\nMichael Walsh\nPhysical Education",
    )
    about = _message(
        tmp_path,
        "about.eml",
        "Ms. Reyes <kreyes@district.example.org>",
        "Student 300010 (Michael Walsh) forgot his inhaler; Kevin Tran has a spare.",
    )
    items = archive.ok("import", "--json", str(coach), str(about)).json()["items"]
    coach_id, about_id = items[0]["id"], items[1]["id"]
    assert _students(archive, coach_id) == ["300010"]  # the coach, taken for the student
    assert _students(archive, about_id) == ["300010", "300011"]

    doc = archive.ok("staff", "import", "--json", str(_write(tmp_path, "s.csv", STAFF))).json()
    assert (doc["format"], doc["added"], doc["students_skipped"]) == ("generic", 2, 1)
    assert (doc["records_checked"], doc["records_retagged"]) == (2, 2)
    assert _students(archive, coach_id) == []
    assert _students(archive, about_id) == ["300010"]  # the id says it is the student

    again = archive.ok("staff", "import", "--json", str(tmp_path / "s.csv")).json()
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2)
    changed = STAFF.replace("PE teacher", "Athletic director")
    moved = archive.ok("staff", "import", "--json", str(_write(tmp_path, "s2.csv", changed)))
    assert (moved.json()["updated"], moved.json()["unchanged"]) == (1, 1)

    listed = archive.ok("staff", "list", "--json").json()["staff"]
    assert [(m["id"], m["last"], m["personal"]) for m in listed] == [
        ("E2002", "Tran", ["kevin.tran.math@gmail.example", "kt@icloud.example"]),
        ("E2001", "Walsh", ["coach.walsh.pe@gmail.example"]),
    ]
    assert listed[1]["title"] == "Athletic director"
    text = archive.ok("staff", "list").text
    assert "Walsh, Michael" in text and "coach.walsh.pe@gmail.example" in text

    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        events = conn.execute(
            select(audit_event.c.action, audit_event.c.details).where(
                audit_event.c.action.like("staff.%")
            )
        ).all()
    engine.dispose()
    details = [(a, json.loads(d) if isinstance(d, str) else d) for a, d in events]
    assert [a for a, _ in details] == [
        "staff.import",
        "staff.import",
        "staff.import",
        "staff.list",
        "staff.list",
    ]
    assert "Walsh" not in json.dumps([d for _, d in details])  # counts and digests, no names


def test_a_bad_staff_export_is_one_clear_error_and_changes_nothing(
    archive: Archive, tmp_path: Path
) -> None:
    bad = _write(
        tmp_path,
        "bad.csv",
        "staff_id,first_name,last_name,email,personal_email\n"
        "E1,Ann,Lee,alee@district.example.org,\n"
        "E2,,Ng,ng@district.example.org,\n"
        "E3,Bo,Li,bli@district.example.org,not-an-address\n"
        "E1,Ann,Lee,alee@district.example.org,\n",
    )
    result = archive.cli("staff", "import", str(bad))
    assert result.code == 1  # as a bad roster export
    lines = result.err.splitlines()
    assert all(line.startswith("error: ") for line in lines)
    assert "line 3: missing the person's first and last name" in lines[0]
    assert "line 4: not an email address: 'not-an-address'" in lines[1]
    assert "line 5: E1 already on line 2" in lines[2]
    columns = archive.cli("staff", "import", str(_write(tmp_path, "c.csv", "who,where\nx,y\n")))
    assert columns.code == 1 and "do not look like a" in columns.err
    missing = archive.cli("staff", "import", str(tmp_path / "nope.csv"))
    assert missing.code == 1 and "nope.csv: cannot read" in missing.err
    assert "no staff imported" in archive.ok("staff", "list").text


def test_directory_exports_of_google_workspace_and_entra_are_recognised(
    archive: Archive, tmp_path: Path
) -> None:
    google = _write(
        tmp_path,
        "g.csv",
        "First Name [Required],Last Name [Required],Email Address [Required],Recovery Email,"
        "Employee ID,Employee Title\n"
        "Rosa,Diaz,rdiaz@district.example.org,rosa.d@yahoo.example,E77,Nurse\n",
    )
    assert archive.ok("staff", "import", "--json", str(google)).json()["format"] == (
        "google-workspace"
    )
    entra = _write(
        tmp_path,
        "e.csv",
        "userPrincipalName,displayName,surname,mail,givenName,jobTitle\n"
        "lpark@district.example.org,Lee Park,Park,lpark@district.example.org,Lee,Counselor\n",
    )
    assert archive.ok("staff", "import", "--json", str(entra)).json()["format"] == "entra"
    names = [(m["first"], m["last"]) for m in archive.ok("staff", "list", "--json").json()["staff"]]
    assert names == [("Rosa", "Diaz"), ("Lee", "Park")]
