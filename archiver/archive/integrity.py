"""`archiver verify`: open every record, check every hash and every authenticated fact."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from archiver.archive import audit, facts
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
    # Requests' facts: the request, each record's decision, each redaction and attachment
    # decision ("request:NUMBER", "request:NUMBER record:ID", "redaction:ID", ...; error).
    requests: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return self.checked - len(self.failed)

    def to_json(self) -> dict[str, object]:
        return {
            "checked": self.checked,
            "ok": self.ok,
            "failed": [{"id": rid, "error": err} for rid, err in self.problems()],
        }

    def problems(self) -> list[tuple[str, str]]:
        """Every failure: records, then students, then requests."""
        return self.failed + self.students + self.requests


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
    columns, arrivals, tags, retention and holds), about every student and every request;
    the report names each failure."""
    report = VerifyReport()
    report.requests = _request_problems(db, ring)
    with db.transaction() as tx:
        for student in tx.roster.students():
            problem = facts.student_problem(ring, student)
            if problem:
                report.students.append((f"student:{student.id}", problem))
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
        details={
            "checked": report.checked,
            "failed": [rid for rid, _ in report.failed],
            "other_failures": len(report.students) + len(report.requests),
        },
    )
    return report
