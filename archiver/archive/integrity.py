"""`archiver verify`: open every record, check every hash and every authenticated fact."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from archiver.archive import audit, cohorts, facts
from archiver.crypto import sealing
from archiver.crypto.keyring import Keyring
from archiver.errors import ArchiverError
from archiver.store.db import Store

_PAGE = 200


@dataclass
class VerifyReport:
    checked: int = 0  # records
    failed: list[tuple[str, str]] = field(default_factory=list)  # (record id, error)
    students: list[tuple[str, str]] = field(default_factory=list)  # (student:ROW, error)
    # (key:ID, error): a destroyed cohort key of which something readable remains
    keys: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return self.checked - len(self.failed)

    def to_json(self) -> dict[str, object]:
        return {
            "checked": self.checked,
            "ok": self.ok,
            "failed": [
                {"id": rid, "error": err} for rid, err in self.failed + self.students + self.keys
            ],
        }


def verify_all(
    db: Store, ring: Keyring, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """Unwrap, decrypt and hash-check every record and check the facts stated about it (its
    columns, arrivals and tags) and about every student, and that nothing of a destroyed
    cohort key remains; the report names each failure."""
    report = VerifyReport()
    with db.transaction() as tx:
        for student in tx.roster.students():
            problem = facts.student_problem(ring, student)
            if problem:
                report.students.append((f"student:{student.id}", problem))
        for key_id, problem in cohorts.destroyed_key_problems(tx, ring.keys_dir):
            report.keys.append((f"key:{key_id}", problem))
    after = ""
    while True:
        with db.transaction() as tx:
            page = tx.records.after(after, _PAGE)
            parts = {
                r.id: (tx.records.part(r.id, sealing.RAW), tx.records.part(r.id, sealing.META))
                for r in page
            }
            problems = facts.problems_of(tx, ring, page)
        if not page:
            break
        for row in page:
            raw, meta = parts.pop(row.id)
            try:
                facts.check("; ".join(problems[row.id]) or None)
                key = sealing.data_key(ring, row)
                sealing.open_raw(key, row, raw)
                sealing.open_meta(key, row, meta)
            except ArchiverError as exc:
                report.failed.append((row.id, str(exc)))
            report.checked += 1
        after = page[-1].id
        if progress:
            progress(report.checked)
    audit.record_event(
        db,
        ring,
        "verify",
        details={"checked": report.checked, "failed": [rid for rid, _ in report.failed]},
    )
    return report
