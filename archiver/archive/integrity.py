"""`archiver verify`: open every record, check every hash and every authenticated fact."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from archiver.archive import audit, cohorts, facts
from archiver.crypto import sealing
from archiver.crypto.keyring import Keyring
from archiver.domain import RecordRow, TombstoneRow
from archiver.errors import ArchiverError
from archiver.store.db import Store

_PAGE = 200


@dataclass
class VerifyReport:
    checked: int = 0  # records
    destroyed: int = 0  # destroyed records whose tombstone was checked
    destroyed_failed: int = 0  # ... of which failed (they are in `failed` too)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (record id, error)
    students: list[tuple[str, str]] = field(default_factory=list)  # (student:ROW, error)
    # Requests' facts: the request, each record's decision, each redaction and attachment
    # decision ("request:NUMBER", "request:NUMBER record:ID", "redaction:ID", ...; error).
    requests: list[tuple[str, str]] = field(default_factory=list)
    # (key:ID, error): a destroyed cohort key of which something readable remains
    keys: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return self.checked - (len(self.failed) - self.destroyed_failed)

    def to_json(self) -> dict[str, object]:
        return {
            "checked": self.checked,
            "ok": self.ok,
            "destroyed": self.destroyed,
            "failed": [{"id": rid, "error": err} for rid, err in self.problems()],
        }

    def problems(self) -> list[tuple[str, str]]:
        """Every failure: records, then students, requests and destroyed keys."""
        return self.failed + self.students + self.requests + self.keys


def _request_problems(db: Store, ring: Keyring) -> list[tuple[str, str]]:
    """What is wrong with the authenticated facts of every request (open or closed): the
    request, each record's decision in it, each redaction, each attachment decision. These
    decide what a requester is given, so a change made outside the archiver is named."""
    out: list[tuple[str, str]] = []
    with db.transaction() as tx:
        for row in tx.requests.listed():
            where = f"request:{row.number}"
            found = [(where, facts.request_problem(ring, row))]
            found += [
                (f"{where} record:{m.record_id}", facts.request_member_problem(ring, m))
                for m in tx.requests.members(row.number)
            ]
            found += [
                (f"redaction:{r.id}", facts.redaction_problem(ring, r))
                for r in tx.redactions.of_request(row.number)
            ]
            found += [
                (
                    f"{where} record:{d.record_id} attachment:{d.attachment}",
                    facts.attachment_decision_problem(ring, d),
                )
                for d in tx.attachment_decisions.of_request(row.number)
            ]
            out += [(where, problem) for where, problem in found if problem is not None]
    return out


def verify_all(
    db: Store, ring: Keyring, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """Unwrap, decrypt and hash-check every record and check the facts stated about it (its
    columns, arrivals, tags, retention and holds), about every student and every request,
    and that nothing of a destroyed cohort key remains; the report names each failure."""
    report = VerifyReport()
    report.requests = _request_problems(db, ring)
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
    _destroyed(db, ring, report, progress)
    audit.record_event(
        db,
        ring,
        "verify",
        details={
            "checked": report.checked,
            "destroyed": report.destroyed,
            "failed": [rid for rid, _ in report.failed],
            "other_failures": len(report.students) + len(report.requests),
        },
    )
    return report


def _destroyed(
    db: Store, ring: Keyring, report: VerifyReport, progress: Callable[[int], None] | None
) -> None:
    """Check every destroyed record: its tombstone is there, authentic and says what its row
    says, and nothing readable or identifying of it remains (sealed parts, a wrapped data key,
    an index entry, tags, arrivals, retention, redacted text)."""
    after = ""
    while True:
        with db.transaction() as tx:
            page = tx.disposition.destroyed_after(after, _PAGE)
            remains = tx.disposition.remains([rec.id for rec, _ in page])
        if not page:
            return
        for rec, stone in page:
            problem = _destroyed_problem(ring, rec, stone, remains[rec.id])
            if problem:
                report.failed.append((rec.id, problem))
                report.destroyed_failed += 1
            report.destroyed += 1
        after = page[-1][0].id
        if progress:
            progress(report.checked + report.destroyed)


def _destroyed_problem(
    ring: Keyring, rec: RecordRow, stone: TombstoneRow | None, remains: list[str]
) -> str | None:
    """What is wrong with a destroyed record, or None."""
    found = [facts.record_problem(ring, rec)]
    if stone is None:
        found.append(f"record {rec.id}: destroyed, but it has no tombstone")
    else:
        found.append(facts.tombstone_problem(ring, stone))
        same = (stone.sha256, stone.size, stone.sent_at, stone.archived_at) == (
            rec.sha256,
            rec.size,
            rec.sent_at,
            rec.archived_at,
        )
        if not same:
            found.append(f"record {rec.id}: its tombstone and its row disagree")
    if rec.wrapped_key:
        remains = ["a wrapped data key", *remains]
    if remains:
        found.append(
            f"record {rec.id}: destroyed, yet {', '.join(remains)} of it "
            f"{'remain' if len(remains) > 1 else 'remains'} in the database"
        )
    problems = [p for p in found if p]
    return "; ".join(problems) or None
