"""Reading the district's staff directory (an HR or directory export as CSV) into staff
members: pure, no keys and no database; `archive.roster` seals and stores them.

The column names of the Google Workspace and Microsoft Entra ID user exports are as those
consoles write them to our knowledge (not checked against every version): the `generic`
columns always work.
"""

from __future__ import annotations

import re
from pathlib import Path

from archiver.understand.exports import column_mapping, csv_rows, problems_error
from archiver.understand.students import StaffMember

PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "generic": {
        "staff_id": ("staff_id", "employee_id", "id"),
        "first": ("first_name", "first"),
        "last": ("last_name", "last"),
        "name": ("name", "full_name"),
        "email": ("email", "school_email", "work_email"),
        "personal": ("personal_email", "personal_emails", "home_email"),
        "title": ("title", "role", "position"),
    },
    "google-workspace": {
        "staff_id": ("Employee ID",),
        "first": ("First Name [Required]", "First Name"),
        "last": ("Last Name [Required]", "Last Name"),
        "email": ("Email Address [Required]", "Email Address"),
        "personal": ("Recovery Email", "Home Secondary Email"),
        "title": ("Employee Title",),
    },
    "entra": {
        "staff_id": ("employeeId",),
        "first": ("givenName",),
        "last": ("surname",),
        "name": ("displayName",),
        "email": ("mail", "userPrincipalName"),
        "personal": ("otherMails",),
        "title": ("jobTitle",),
    },
}
# Enough to know a person: a name (first and last, or whole) and an id or a school address.
_REQUIRED = (
    ("first", "last", "email"),
    ("first", "last", "staff_id"),
    ("name", "email"),
    ("name", "staff_id"),
)
_SPLIT = re.compile(r"[;,\s]+")
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _split_name(whole: str) -> tuple[str, str]:
    """ "Last, First" or "First Middle Last" as (first, last)."""
    if whole.count(",") == 1:
        last, first = (p.strip() for p in whole.split(","))
        return first, last
    words = whole.split()
    return " ".join(words[:-1]), words[-1] if words else ""


def read_staff(path: Path, fmt: str = "auto") -> tuple[str, list[StaffMember]]:
    """The staff in a directory CSV and the format recognised; raises InputError naming every
    bad line (up to 20)."""
    rows = csv_rows(path, "staff directory")
    name, mapping = column_mapping(rows[0], fmt, PRESETS, _REQUIRED, path, "staff directory")
    staff: list[StaffMember] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {f: (row[i].strip() if i < len(row) else "") for f, i in mapping.items()}
        first, last = values.get("first", ""), values.get("last", "")
        if not (first and last) and values.get("name"):
            first, last = _split_name(values["name"])
        email = values.get("email", "").lower()
        if not (first and last):
            problems.append(f"{path}: line {line}: missing the person's first and last name")
            continue
        key = values.get("staff_id") or email
        if not key:
            problems.append(f"{path}: line {line}: missing both the staff id and the address")
            continue
        personal = tuple(a.lower() for a in _SPLIT.split(values.get("personal", "")) if a)
        bad = [a for a in (email, *personal) if a and not _ADDRESS.match(a)]
        if bad:
            problems.append(f"{path}: line {line}: not an email address: {bad[0]!r}")
            continue
        if key in seen:
            problems.append(f"{path}: line {line}: {key} already on line {seen[key]}")
            continue
        seen[key] = line
        staff.append(
            StaffMember(
                staff_id=key,
                first=first,
                last=last,
                email=email,
                personal=tuple(a for a in dict.fromkeys(personal) if a != email),
                title=values.get("title", ""),
            )
        )
    if problems:
        raise problems_error(problems)
    return name, staff
