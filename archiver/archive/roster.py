"""The student roster: importing the district's export, sealing it, loading it for tagging.

Each student row is sealed (every field but the exit date, which starts retention clocks) with
a key derived from the index key, and found again on re-import by `lookup`, a keyed hash of the
student id. The database alone shows how many students there are and their exit dates.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from archiver.archive import audit, facts
from archiver.crypto import envelope
from archiver.crypto.keyring import Keyring
from archiver.domain import StudentRow
from archiver.errors import InputError
from archiver.store.db import Store, Tx
from archiver.understand.students import Student, Tagger

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


def _mapping(header: list[str], fmt: str, path: Path) -> tuple[str, dict[str, int]]:
    columns = {name.strip(): i for i, name in enumerate(header)}
    tried = [fmt] if fmt != "auto" else list(PRESETS)
    for name in tried:
        preset = PRESETS.get(name)
        if preset is None:
            raise InputError(f"unknown roster format {name!r} (use {', '.join(PRESETS)})")
        found = {
            field: next(columns[c] for c in candidates if c in columns)
            for field, candidates in preset.items()
            if any(c in columns for c in candidates)
        }
        if all(f in found for f in REQUIRED):
            return name, found
    want = "; ".join(f"{f}: one of {PRESETS[tried[0]][f]}" for f in REQUIRED)
    raise InputError(
        f"{path}: line 1: the columns do not look like a {' or '.join(tried)} "
        f"roster export (need {want}; found {', '.join(columns)})"
    )


def read_roster(path: Path, fmt: str = "auto") -> tuple[str, list[Student]]:
    """The students in a roster CSV and the format recognised; raises InputError naming lines."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        try:
            text = path.read_bytes().decode("cp1252")  # Excel's default on Windows
        except UnicodeDecodeError:
            raise InputError(f"{path}: neither UTF-8 nor Windows-1252 text") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InputError(f"{path}: empty file: no roster in it")
    name, mapping = _mapping(rows[0], fmt, path)
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
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise InputError("\n".join(problems[:20]) + more)
    return name, students


class RosterSeal:
    """Sealing roster rows and finding them again, under the index key."""

    def __init__(self, ring: Keyring) -> None:
        self.ring = ring
        self.key_id, key = ring.index_key()
        self._lookup = envelope.derive(key, "archiver student lookup v1")
        self._seal = envelope.derive(key, "archiver roster seal v1")

    def lookup(self, student_id: str) -> bytes:
        return envelope.mac(self._lookup, student_id.encode())[:16]

    def seal(self, s: Student) -> StudentRow:
        lookup = self.lookup(s.student_id)
        doc = asdict(s)
        doc["exit_date"] = s.exit_date.isoformat() if s.exit_date else None
        data = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
        return StudentRow(
            0,
            lookup,
            self.key_id,
            envelope.seal(self._seal, lookup.hex(), "student", data),
            s.exit_date,
        )

    def open(self, row: StudentRow) -> Student:
        key = (
            self._seal
            if row.key_id == self.key_id
            else envelope.derive(self.ring.material(row.key_id), "archiver roster seal v1")
        )
        doc = json.loads(envelope.open_sealed(key, row.lookup.hex(), "student", row.sealed))
        doc["exit_date"] = date.fromisoformat(doc["exit_date"]) if doc["exit_date"] else None
        return Student(**doc)


@dataclass(frozen=True)
class ImportResult:
    format: str
    added: int
    updated: int
    unchanged: int
    version: int


def import_students(
    db: Store, ring: Keyring, students: Iterable[Student], fmt: str, source: bytes
) -> ImportResult:
    """Add new students and update changed ones, in one transaction, audited. `source` is
    the export's bytes: the audit event keeps their SHA-256, never the file's name (names of
    files can name people)."""
    seal = RosterSeal(ring)
    added = updated = unchanged = 0
    changes: dict[str, list[str]] = {}
    with db.transaction() as tx:
        now = tx.now
        for s in students:
            existing = tx.roster.student_by_lookup(seal.lookup(s.student_id))
            if existing is None:
                new = seal.seal(s)
                row_id = tx.roster.add_student(new, now)
                stored = facts.seal_student(ring, replace(new, id=row_id))
                tx.roster.set_student_facts(row_id, stored.facts or b"")
                added += 1
                continue
            old = seal.open(existing)
            fields = [f for f in FIELDS if getattr(old, f) != getattr(s, f)]
            intact = facts.student_problem(ring, existing) is None
            if not fields and existing.key_id == seal.key_id and intact:
                unchanged += 1
                continue
            # Written again when its facts fail too: an import of the district's roster is
            # how a records officer puts right a student row changed outside the archiver.
            tx.roster.update_student(
                facts.seal_student(ring, replace(seal.seal(s), id=existing.id)), now
            )
            updated += 1
            changes[str(existing.id)] = fields  # which fields, never their values
        version = tx.roster.bump_version(now)
        audit.append(
            tx,
            ring,
            "students.import",
            details={
                "source_sha256": hashlib.sha256(source).hexdigest(),
                "format": fmt,
                "added": added,
                "updated": updated,
                "unchanged": unchanged,
                "changed_fields": changes,
                "roster_version": version,
            },
        )
    return ImportResult(fmt, added, updated, unchanged, version)


@dataclass(frozen=True)
class Roster:
    """The roster as tagging needs it, at one version."""

    version: int
    tagger: Tagger
    row_ids: dict[str, int]  # student id -> student row id
    students: dict[int, Student]  # student row id -> student


def load_roster(tx: Tx, ring: Keyring) -> Roster:
    """The roster, every row's facts checked; raises IntegrityError naming a row that fails
    (importing the roster again writes it anew)."""
    seal = RosterSeal(ring)
    rows = tx.roster.students()
    for row in rows:
        facts.check(facts.student_problem(ring, row))
    students = {row.id: seal.open(row) for row in rows}
    return Roster(
        version=tx.roster.version(),
        tagger=Tagger(students.values()),
        row_ids={s.student_id: rid for rid, s in students.items()},
        students=students,
    )


class RosterCache:
    """Keeps a loaded roster, reloading it when an import has changed it."""

    def __init__(self, ring: Keyring) -> None:
        self.ring = ring
        self._roster: Roster | None = None

    def current(self, tx: Tx) -> Roster:
        if self._roster is None or self._roster.version != tx.roster.version():
            self._roster = load_roster(tx, self.ring)
        return self._roster
