"""Issue 12: `students find NAME`, and `--student` given a name (search, hold create)."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import create_engine, select

from archiver.store.tables import audit_event
from tests.conftest import Archive

ROSTER = (
    "Student ID,First Name,Last Name,Preferred Name,Student Email,Grade,Enrollment Status,"
    "Withdrawal Date\n"
    "300001,Sofía,Álvarez,,,4,Active,\n"
    "300002,Isabela,Mendes,Izzy,,10,Active,\n"
    "300003,Noah,Kim,,,3,Active,\n"
    "300004,Noah,Kim,,,5,Active,\n"
    "300005,Fritz-Gerald,Joseph,,,2,Active,\n"
)


def _setup(archive: Archive, tmp_path: Path) -> str:
    path = tmp_path / "r.csv"
    path.write_text(ROSTER, encoding="utf-8")
    archive.ok("students", "import", str(path))
    msg = EmailMessage()
    msg["From"] = "parent@gmail.example"
    msg["To"] = "teacher@example.org"
    msg["Subject"] = "Ankle"
    msg["Date"] = "Tue, 14 Oct 2025 07:52:11 -0400"
    msg.set_content("Izzy Mendes rolled her ankle.")
    eml = tmp_path / "m.eml"
    eml.write_bytes(msg.as_bytes())
    rid = archive.ok("import", "--json", str(eml)).json()["items"][0]["id"]
    assert isinstance(rid, str)
    return rid


def _finds(archive: Archive) -> list[dict[str, int]]:
    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_event.c.details).where(audit_event.c.action == "students.find")
        ).all()
    engine.dispose()
    return [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]


def _ids(archive: Archive, *args: str) -> list[str]:
    return [s["id"] for s in archive.ok("students", "find", "--json", *args).json()["students"]]


def test_students_find_folds_accents_and_case_and_knows_preferred_names(
    archive: Archive, tmp_path: Path
) -> None:
    _setup(archive, tmp_path)
    assert _ids(archive, "sofia alvarez") == ["300001"]
    assert _ids(archive, "ALVAREZ") == ["300001"]
    assert _ids(archive, "Álvarez,", "Sofía") == ["300001"]  # "Last, First"
    assert _ids(archive, "izzy", "mendes") == ["300002"]
    assert _ids(archive, "Noah Kim") == ["300003", "300004"]
    assert _ids(archive, "Fritz Gerald Joseph") == ["300005"]
    assert _ids(archive, "Nobody") == []
    text = archive.ok("students", "find", "Izzy").text
    assert "300002" in text and "Mendes, Isabela (Izzy)" in text
    assert "no student named" in archive.ok("students", "find", "Nobody").text
    assert [d["count"] for d in _finds(archive)] == [1, 1, 1, 1, 2, 1, 0, 1, 0]  # audited


def test_student_option_takes_a_name_only_one_student_has(archive: Archive, tmp_path: Path) -> None:
    rid = _setup(archive, tmp_path)
    by_id = archive.ok("search", "--json", "--student", "300002").json()
    by_name = archive.ok("search", "--json", "--student", "izzy mendes").json()
    assert [r["id"] for r in by_name["results"]] == [r["id"] for r in by_id["results"]] == [rid]
    shared = archive.cli("search", "--student", "Noah Kim")
    assert shared.code == 2
    assert "2 students have that name" in shared.err
    assert "300003 Noah Kim (grade 3)" in shared.err and "300004 Noah Kim (grade 5)" in shared.err
    assert _finds(archive) == [{"count": 2}]  # listing candidates discloses names
    unknown = archive.cli("search", "--student", "Nobody Here")
    assert unknown.code == 2 and "no student with that id or full name" in unknown.err
    held = archive.ok(
        "hold", "create", "Mendes", "--student", "Isabela Mendes", "--reason", "letter", "--json"
    ).json()
    assert held["records"] == 1
    refused = archive.cli("hold", "create", "Kim", "--student", "noah kim", "--reason", "x")
    assert refused.code == 2 and "300003" in refused.err
