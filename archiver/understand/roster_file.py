"""Reading a district's student export (a CSV from Aspen, PowerSchool, Infinite Campus or our own
columns) into students: pure, no keys and no database; `archive.roster` seals and stores them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from archiver.understand.exports import column_mapping, csv_rows, problems_error
from archiver.understand.students import Student

FIELDS = ("student_id", "first", "last", "preferred", "email", "grade", "status", "exit_date")
REQUIRED = ("student_id", "first", "last")

# Column names in the exports of the student information systems Massachusetts districts use.
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "aspen": {
        "student_id": ("Student ID", "State ID"),
        "first": ("First Name",),
        "last": ("Last Name",),
        "preferred": ("Preferred Name", "Nickname"),
        "email": ("Student Email", "Email"),
        "grade": ("Grade", "Grade Level"),
        "status": ("Enrollment Status", "Status"),
        "exit_date": ("Withdrawal Date", "Exit Date"),
    },
    "powerschool": {
        "student_id": ("Student_Number",),
        "first": ("First_Name",),
        "last": ("Last_Name",),
        "preferred": ("Nickname", "Pref_First_Name"),
        "email": ("Student_Email", "Email_Addr"),
        "grade": ("Grade_Level",),
        "status": ("Enroll_Status",),
        "exit_date": ("ExitDate",),
    },
    "infinite-campus": {
        "student_id": ("Student Number", "studentNumber"),
        "first": ("First Name", "firstName"),
        "last": ("Last Name", "lastName"),
        "preferred": ("Alias First Name", "Nickname"),
        "email": ("Email", "email"),
        "grade": ("Grade", "grade"),
        "status": ("Status",),
        "exit_date": ("End Date", "endDate"),
    },
    "generic": {
        "student_id": ("student_id", "id"),
        "first": ("first_name", "first"),
        "last": ("last_name", "last"),
        "preferred": ("preferred_name", "preferred"),
        "email": ("email", "student_email"),
        "grade": ("grade",),
        "status": ("enrollment_status", "status"),
        "exit_date": ("exit_date",),
    },
}
_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%m-%d-%Y", "%m/%d/%y", "%Y/%m/%d")


def parse_date(text: str) -> date | None:
    """A date as SIS exports write them (M/D/YYYY, YYYY-MM-DD, ...); None for blank; ValueError."""
    text = text.strip()
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def read_roster(path: Path, fmt: str = "auto") -> tuple[str, list[Student]]:
    """The students in a roster CSV and the format recognised; raises InputError naming lines."""
    rows = csv_rows(path, "roster")
    name, mapping = column_mapping(rows[0], fmt, PRESETS, (REQUIRED,), path, "roster")
    students: list[Student] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {f: (row[i].strip() if i < len(row) else "") for f, i in mapping.items()}
        missing = [f for f in REQUIRED if not values.get(f)]
        if missing:
            problems.append(f"{path}: line {line}: missing {', '.join(missing)}")
            continue
        sid = values["student_id"]
        if sid in seen:
            problems.append(f"{path}: line {line}: student id {sid} already on line {seen[sid]}")
            continue
        seen[sid] = line
        try:
            exit_date = parse_date(values.get("exit_date", ""))
        except ValueError as exc:
            problems.append(f"{path}: line {line}: exit date: {exc}")
            continue
        students.append(
            Student(
                student_id=sid,
                first=values["first"],
                last=values["last"],
                preferred=values.get("preferred", ""),
                email=values.get("email", "").lower(),
                grade=values.get("grade", ""),
                status=values.get("status", ""),
                exit_date=exit_date,
            )
        )
    if problems:
        raise problems_error(problems)
    return name, students
