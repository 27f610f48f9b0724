"""The student roster and the staff directory: importing the district's exports, sealing
them, loading them for tagging.

Each student row is sealed (every field but the exit date, which starts retention clocks) with
a key derived from the index key, and found again on re-import by `lookup`, a keyed hash of the
student id. The database alone shows how many students there are and their exit dates. Staff
rows are sealed whole the same way, found again by their staff id (or school address).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from archiver.archive import audit, facts
from archiver.crypto import envelope
from archiver.crypto.keyring import Keyring
from archiver.domain import StaffRow, StudentRow
from archiver.errors import UsageError
from archiver.store.db import Store, Tx
from archiver.understand.roster_file import FIELDS
from archiver.understand.students import (
    StaffMember,
    Student,
    Tagger,
    find_students,
    full_names,
    name_key,
)


class _Seal:
    """Sealing one kind of directory row under a key derived from the index key, and the
    keyed hash (`lookup`) that finds a row again without its id being readable."""

    def __init__(self, ring: Keyring, kind: str, seal_label: str) -> None:
        self.ring = ring
        self.kind = kind
        self.seal_label = seal_label
        self.key_id, key = ring.index_key()
        self._lookup = envelope.derive(key, f"archiver {kind} lookup v1")
        self._seal = envelope.derive(key, seal_label)

    def lookup(self, identity: str) -> bytes:
        return envelope.mac(self._lookup, identity.encode())[:16]

    def seal_doc(self, lookup: bytes, doc: dict[str, Any]) -> bytes:
        data = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
        return envelope.seal(self._seal, lookup.hex(), self.kind, data)

    def open_doc(self, key_id: str, lookup: bytes, sealed: bytes) -> dict[str, Any]:
        key = (
            self._seal
            if key_id == self.key_id
            else envelope.derive(self.ring.material(key_id), self.seal_label)
        )
        doc: dict[str, Any] = json.loads(envelope.open_sealed(key, lookup.hex(), self.kind, sealed))
        return doc


class RosterSeal(_Seal):
    """Sealing roster rows and finding them again, under the index key."""

    def __init__(self, ring: Keyring) -> None:
        super().__init__(ring, "student", "archiver roster seal v1")

    def seal(self, s: Student) -> StudentRow:
        lookup = self.lookup(s.student_id)
        doc = asdict(s)
        doc["exit_date"] = s.exit_date.isoformat() if s.exit_date else None
        return StudentRow(0, lookup, self.key_id, self.seal_doc(lookup, doc), s.exit_date)

    def open(self, row: StudentRow) -> Student:
        doc = self.open_doc(row.key_id, row.lookup, row.sealed)
        doc["exit_date"] = date.fromisoformat(doc["exit_date"]) if doc["exit_date"] else None
        return Student(**doc)


class StaffSeal(_Seal):
    """Sealing the staff directory's rows and finding them again, under the index key."""

    def __init__(self, ring: Keyring) -> None:
        super().__init__(ring, "staff", "archiver staff seal v1")

    def seal(self, m: StaffMember, row_id: int = 0) -> StaffRow:
        lookup = self.lookup(m.staff_id)
        return StaffRow(row_id, lookup, self.key_id, self.seal_doc(lookup, asdict(m)))

    def open(self, row: StaffRow) -> StaffMember:
        doc = self.open_doc(row.key_id, row.lookup, row.sealed)
        doc["personal"] = tuple(doc["personal"])
        return StaffMember(**doc)


# Told, in the transaction that changed them, the ids of records whose tags or students
# changed: records management reclassifies them and checks the holds (the composition root
# gives it; this layer does not know records management).
Changed = Callable[[Tx, list[str]], None]


@dataclass(frozen=True)
class ImportResult:
    """What a roster import changed, and the roster version it made."""

    format: str
    added: int
    updated: int
    unchanged: int
    version: int


def import_students(
    db: Store,
    ring: Keyring,
    students: Iterable[Student],
    fmt: str,
    source: bytes,
    changed: Changed | None = None,
) -> ImportResult:
    """Add new students and update changed ones, in one transaction, audited. `source` is
    the export's bytes: the audit event keeps their SHA-256, never the file's name (names of
    files can name people). `changed` is given, in that transaction, the records tagged with
    a student whose exit date changed (their retention follows it)."""
    seal = RosterSeal(ring)
    added = updated = unchanged = 0
    changes: dict[str, list[str]] = {}
    exited: list[int] = []
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
            if "exit_date" in fields:
                exited.append(existing.id)
        version = tx.roster.bump_version(now)
        if changed is not None and exited:
            changed(tx, tx.retention.tagged_with(exited))
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
class StaffImport:
    """What a staff directory import changed, and the roster version it made."""

    format: str
    added: int
    updated: int
    unchanged: int
    students_skipped: int  # rows that are students' own accounts
    version: int


def import_staff(
    db: Store, ring: Keyring, staff: Iterable[StaffMember], fmt: str, source: bytes
) -> StaffImport:
    """Add new members of staff and write changed ones anew, in one transaction, audited (the
    export's SHA-256 and the counts, never names). Rows with a student's school address (a
    directory export of every account) are skipped: a student is never staff."""
    seal = StaffSeal(ring)
    added = updated = unchanged = skipped = 0
    with db.transaction() as tx:
        now = tx.now
        students = {s.email for s in load_roster(tx, ring).students.values() if s.email}
        for member in staff:
            if any(a in students for a in member.addresses):
                skipped += 1
                continue
            existing = tx.roster.staff_by_lookup(seal.lookup(member.staff_id))
            if existing is None:
                tx.roster.put_staff(seal.seal(member), now)
                added += 1
            elif seal.open(existing) != member or existing.key_id != seal.key_id:
                tx.roster.put_staff(seal.seal(member, existing.id), now)
                updated += 1
            else:
                unchanged += 1
        version = tx.roster.bump_version(now)
        audit.append(
            tx,
            ring,
            "staff.import",
            details={
                "source_sha256": hashlib.sha256(source).hexdigest(),
                "format": fmt,
                "added": added,
                "updated": updated,
                "unchanged": unchanged,
                "students_skipped": skipped,
                "roster_version": version,
            },
        )
    return StaffImport(fmt, added, updated, unchanged, skipped, version)


def list_staff(db: Store, ring: Keyring) -> list[StaffMember]:
    """The staff directory, sorted by name; audited as a read (it discloses names and
    personal addresses): the count only."""
    with db.transaction() as tx:
        staff = load_roster(tx, ring).staff
        audit.append(tx, ring, "staff.list", details={"count": len(staff)})
    return sorted(staff, key=lambda m: (m.last.casefold(), m.first.casefold(), m.staff_id))


@dataclass(frozen=True)
class Roster:
    """The roster and the staff directory as tagging needs them, at one version."""

    version: int
    tagger: Tagger
    row_ids: dict[str, int]  # student id -> student row id
    students: dict[int, Student]  # student row id -> student
    staff: list[StaffMember]


def load_roster(tx: Tx, ring: Keyring) -> Roster:
    """The roster, every row's facts checked; raises IntegrityError naming a row that fails
    (importing the roster again writes it anew)."""
    seal = RosterSeal(ring)
    rows = tx.roster.students()
    for row in rows:
        facts.check(facts.student_problem(ring, row))
    students = {row.id: seal.open(row) for row in rows}
    staff_seal = StaffSeal(ring)
    staff = [staff_seal.open(row) for row in tx.roster.staff()]
    return Roster(
        version=tx.roster.version(),
        tagger=Tagger(students.values(), staff),
        row_ids={s.student_id: rid for rid, s in students.items()},
        students=students,
        staff=staff,
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


def record_students(tx: Tx, ring: Keyring, record_id: str) -> list[dict[str, str]]:
    """The `students` of `show --json`: id, name and tag source of each tag. Only the tagged
    students are opened (their facts checked: IntegrityError naming a row that fails), not
    the whole roster: a page showing a record pays for its students, not the district's."""
    tags = tx.roster.tags(record_id)
    rows = {row.id: row for row in tx.roster.students_by_id(sorted(tags))}
    seal = RosterSeal(ring)
    out = []
    for row_id, source in sorted(tags.items()):
        row = rows.get(row_id)
        if row is not None:
            facts.check(facts.student_problem(ring, row))
            s = seal.open(row)
            out.append({"id": s.student_id, "name": s.name, "source": source})
    return out


def find(db: Store, ring: Keyring, name: str) -> list[Student]:
    """The students a name finds (`students find`), sorted by name; audited as a read (it
    discloses names): the count only."""
    with db.transaction() as tx:
        roster = load_roster(tx, ring)
        found = sorted(
            find_students(roster.students.values(), name),
            key=lambda s: (s.last.casefold(), s.first.casefold(), s.student_id),
        )
        audit.append(tx, ring, "students.find", details={"count": len(found)})
    return found


def lookup(db: Store, ring: Keyring, text: str) -> list[Student]:
    """The students `text` finds: the one whose roster id it is, else those `find` finds by
    name (the web application's student finder); audited as `find` is."""
    key = text.strip()
    with db.transaction() as tx:
        row = tx.roster.student_by_lookup(RosterSeal(ring).lookup(key)) if key else None
        if row is not None:
            facts.check(facts.student_problem(ring, row))
            audit.append(tx, ring, "students.find", details={"count": 1})
            return [RosterSeal(ring).open(row)]
    if not key:
        raise UsageError("Student: give a name or a roster id")
    return find(db, ring, key)


def student(db: Store, ring: Keyring, student_id: str) -> Student:
    """The roster's student `student_id` (the web application's student page); audited as a
    read (it discloses a name). Raises UsageError if the roster has none."""
    with db.transaction() as tx:
        row = tx.roster.student_by_lookup(RosterSeal(ring).lookup(student_id.strip()))
        if row is None:
            raise UsageError(f"no student with id {student_id} in the roster")
        facts.check(facts.student_problem(ring, row))
        audit.append(tx, ring, "students.find", target=f"student:{row.id}", details={"count": 1})
        return RosterSeal(ring).open(row)


def resolve_student(db: Store, ring: Keyring, given: str | None, option: str) -> str | None:
    """A `--student` value as a roster id: an id in the roster as it is, else the one student
    with that full name; UsageError (exit 2) for none, or listing the candidates (audited:
    it discloses names) when several have it."""
    if given is None:
        return None
    text = given.strip()
    with db.transaction() as tx:
        if tx.roster.student_by_lookup(RosterSeal(ring).lookup(text)) is not None:
            return text
        roster = load_roster(tx, ring)
        students = roster.students.values()
        found = [s for s in students if name_key(text) in full_names(s)]
        if len(found) > 1:
            audit.append(tx, ring, "students.find", details={"count": len(found)})
    if len(found) == 1:
        return found[0].student_id
    if not found:
        raise UsageError(f"{option} {given}: no student with that id or full name in the roster")
    listed = "; ".join(
        f"{s.student_id} {s.name}" + (f" (grade {s.grade})" if s.grade else "")
        for s in sorted(found, key=lambda s: s.student_id)
    )
    raise UsageError(
        f"{option} {given}: {len(found)} students have that name: {listed}; give the id"
    )
