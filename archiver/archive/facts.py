"""Which plaintext facts of each row are authenticated, sealing them, and checking them.

Every plaintext column that states something about a record (its status, dates, sizes, where
it arrived from, which students it concerns and how) is covered by a keyed tag per fact
(`crypto/facts.py`), written with the row and checked whenever a record is shown and by
`archiver verify`. A change made outside the archiver is reported as exit 3, naming the row and
the fact.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from archiver.crypto.facts import Facts, altered
from archiver.crypto.keyring import Keyring
from archiver.domain import (
    ArrivalRow,
    AttachmentDecisionRow,
    BatchMemberRow,
    BatchRow,
    HoldMemberRow,
    HoldRow,
    RecordRow,
    RedactionRow,
    RequestRecordRow,
    RequestRow,
    RetentionRow,
    StudentRow,
    TagRow,
    TombstoneRow,
    WebSessionRow,
    WebUserRow,
)
from archiver.errors import IntegrityError, KeyFileError
from archiver.store.db import Tx

RECORD = "record"
ARRIVAL = "arrival"
TAG = "record_tag"
REMOVAL = "tag_override"
STUDENT = "student"
RETENTION = "retention"
HOLD = "hold"
HOLD_RECORD = "hold_record"
REQUEST = "request"
REQUEST_RECORD = "request_record"
REDACTION = "redaction"
ATTACHMENT_DECISION = "attachment_decision"
BATCH = "disposition_batch"
BATCH_RECORD = "disposition_record"
TOMBSTONE = "tombstone"
WEB_USER = "web_user"
WEB_SESSION = "web_session"


def record_facts(row: RecordRow) -> Facts:
    return [
        ("sha256", row.sha256),
        ("size", row.size),
        ("archived_at", row.archived_at),
        ("source_kind", row.source_kind),
        ("status", row.status),
        ("quarantine_code", row.quarantine_code),
        ("sent_at", row.sent_at),
        ("seal_version", row.seal_version),
        ("stored_size", row.stored_size),
    ]


def _arrival_id(row: ArrivalRow) -> str:
    return f"{row.record_id}/{(row.position or b'').hex()}"


def arrival_facts(row: ArrivalRow) -> Facts:
    return [
        ("arrived_at", row.arrived_at),
        ("source_kind", row.source_kind),
        ("source_name", row.source_name),
        ("mailbox", row.mailbox),
        ("uidvalidity", row.uidvalidity),
        ("uid", row.uid),
    ]


def _tag_id(row: TagRow) -> str:
    return f"{row.record_id}/{row.student_id}"


def tag_facts(row: TagRow) -> Facts:
    return [("source", row.source), ("tagged_at", row.tagged_at)]


def student_facts(row: StudentRow) -> Facts:
    return [("lookup", row.lookup), ("key_id", row.key_id), ("exit_date", row.exit_date)]


def retention_facts(row: RetentionRow) -> Facts:
    return [
        ("series", row.series),
        ("rule", row.rule),
        ("trigger_date", row.trigger_date),
        ("retain_until", row.retain_until),
        ("limit", row.limit),
        ("disposition", row.disposition),
        ("classified_at", row.classified_at),
        ("classified_by", row.classified_by),
        ("note", row.note),
    ]


def hold_facts(row: HoldRow) -> Facts:
    return [
        ("lookup", row.lookup),
        ("key_id", row.key_id),
        ("sealed", row.sealed),
        ("created_at", row.created_at),
        ("created_by", row.created_by),
        ("released_at", row.released_at),
        ("released_by", row.released_by),
        ("release_note", row.release_note),
    ]


def _member_id(row: HoldMemberRow) -> str:
    return f"{row.hold_id}/{row.record_id}"


def hold_member_facts(row: HoldMemberRow) -> Facts:
    return [("how", row.how), ("at", row.at)]


def request_facts(row: RequestRow) -> Facts:
    return [
        ("year", row.year),
        ("seq", row.seq),
        ("kind", row.kind),
        ("state", row.state),
        ("received_at", row.received_at),
        ("channel", row.channel),
        ("student_id", row.student_id),
        ("received_day", row.received_day),
        ("respond_by", row.respond_by),
        ("produce_by", row.produce_by),
        ("petition_by", row.petition_by),
        ("extension_days", row.extension_days),
        ("extended_to", row.extended_to),
        ("calendar", row.calendar),
        ("opened_at", row.opened_at),
        ("opened_by", row.opened_by),
        ("key_id", row.key_id),
        ("sealed", row.sealed),
        ("responded_at", row.responded_at),
        ("closed_at", row.closed_at),
        ("outcome", row.outcome),
        ("fees", row.fees),
    ]


def _request_member_id(row: RequestRecordRow) -> str:
    return f"{row.number}/{row.record_id}"


def request_member_facts(row: RequestRecordRow) -> Facts:
    return [
        ("added_at", row.added_at),
        ("decision", row.decision),
        ("exemptions", " ".join(row.exemptions)),
        ("note", row.note),
        ("decided_at", row.decided_at),
        ("decided_by", row.decided_by),
    ]


def seal_request(ring: Keyring, row: RequestRow) -> RequestRow:
    """A request with its facts authenticated: an edited due date or state is noticed."""
    return replace(row, facts=ring.fact_seal().seal(REQUEST, row.number, request_facts(row)))


def seal_request_member(ring: Keyring, row: RequestRecordRow) -> RequestRecordRow:
    facts = ring.fact_seal().seal(
        REQUEST_RECORD, _request_member_id(row), request_member_facts(row)
    )
    return replace(row, facts=facts)


def request_problem(ring: Keyring, row: RequestRow) -> str | None:
    where = f"request {row.number}"
    return _problem(ring, where, REQUEST, row.number, request_facts(row), row.facts)


def request_member_problem(ring: Keyring, row: RequestRecordRow) -> str | None:
    where = f"record {row.record_id}: its decision in request {row.number}"
    ident = _request_member_id(row)
    return _problem(ring, where, REQUEST_RECORD, ident, request_member_facts(row), row.facts)


def redaction_facts(row: RedactionRow) -> Facts:
    return [
        ("number", row.number),
        ("record_id", row.record_id),
        ("exemption", row.exemption),
        ("occurrence", row.occurrence),
        ("source", row.source),
        ("state", row.state),
        ("created_at", row.created_at),
        ("created_by", row.created_by),
        ("decided_at", row.decided_at),
        ("decided_by", row.decided_by),
        ("sealed", row.sealed),
    ]


def seal_redaction(ring: Keyring, row: RedactionRow) -> RedactionRow:
    """A stored redaction (its id known) with its facts authenticated: an edited state or
    exemption, or a text moved from another redaction, is noticed."""
    return replace(row, facts=ring.fact_seal().seal(REDACTION, str(row.id), redaction_facts(row)))


def redaction_problem(ring: Keyring, row: RedactionRow) -> str | None:
    where = f"redaction {row.id} of record {row.record_id} in request {row.number}"
    return _problem(ring, where, REDACTION, str(row.id), redaction_facts(row), row.facts)


def _attachment_decision_id(row: AttachmentDecisionRow) -> str:
    return f"{row.number}/{row.record_id}/{row.attachment}"


def attachment_decision_facts(row: AttachmentDecisionRow) -> Facts:
    return [
        ("decision", row.decision),
        ("decided_at", row.decided_at),
        ("decided_by", row.decided_by),
    ]


def seal_attachment_decision(ring: Keyring, row: AttachmentDecisionRow) -> AttachmentDecisionRow:
    """An attachment's decision with its facts authenticated: a withheld image made
    `release` (or a decision moved to another attachment, record or request) is noticed."""
    facts = ring.fact_seal().seal(
        ATTACHMENT_DECISION, _attachment_decision_id(row), attachment_decision_facts(row)
    )
    return replace(row, facts=facts)


def attachment_decision_problem(ring: Keyring, row: AttachmentDecisionRow) -> str | None:
    where = f"attachment {row.attachment} of record {row.record_id} in request {row.number}"
    ident = _attachment_decision_id(row)
    found = attachment_decision_facts(row)
    return _problem(ring, where, ATTACHMENT_DECISION, ident, found, row.facts)


def seal_record(ring: Keyring, row: RecordRow) -> RecordRow:
    """`row` with its facts authenticated under the current index key."""
    return replace(row, facts=ring.fact_seal().seal(RECORD, row.id, record_facts(row)))


def seal_arrival(ring: Keyring, row: ArrivalRow) -> ArrivalRow:
    return replace(row, facts=ring.fact_seal().seal(ARRIVAL, _arrival_id(row), arrival_facts(row)))


def seal_tag(ring: Keyring, row: TagRow) -> TagRow:
    """A tag (or, with source "removed", a removal) with its facts authenticated."""
    kind = REMOVAL if row.source == "removed" else TAG
    return replace(row, facts=ring.fact_seal().seal(kind, _tag_id(row), tag_facts(row)))


def seal_student(ring: Keyring, row: StudentRow) -> StudentRow:
    """A stored student (its row id known) with its facts authenticated."""
    return replace(row, facts=ring.fact_seal().seal(STUDENT, str(row.id), student_facts(row)))


def seal_retention(ring: Keyring, row: RetentionRow) -> RetentionRow:
    """A record's retention with its facts authenticated: an edited date is noticed."""
    return replace(row, facts=ring.fact_seal().seal(RETENTION, row.record_id, retention_facts(row)))


def seal_hold(ring: Keyring, row: HoldRow) -> HoldRow:
    """A stored hold (its id known) with its facts authenticated."""
    return replace(row, facts=ring.fact_seal().seal(HOLD, str(row.id), hold_facts(row)))


def seal_hold_member(ring: Keyring, row: HoldMemberRow) -> HoldMemberRow:
    return replace(
        row, facts=ring.fact_seal().seal(HOLD_RECORD, _member_id(row), hold_member_facts(row))
    )


def record_problem(ring: Keyring, row: RecordRow) -> str | None:
    """What is wrong with a record's plaintext facts, or None."""
    return _problem(ring, f"record {row.id}", RECORD, row.id, record_facts(row), row.facts)


def arrival_problem(ring: Keyring, row: ArrivalRow) -> str | None:
    where = f"record {row.record_id}: an arrival ({row.source_name})"
    return _problem(ring, where, ARRIVAL, _arrival_id(row), arrival_facts(row), row.facts)


def tag_problem(ring: Keyring, row: TagRow) -> str | None:
    kind = REMOVAL if row.source == "removed" else TAG
    what = "removal of the tag" if kind == REMOVAL else "tag"
    where = f"record {row.record_id}: the {what} of student row {row.student_id}"
    return _problem(ring, where, kind, _tag_id(row), tag_facts(row), row.facts)


def student_problem(ring: Keyring, row: StudentRow) -> str | None:
    where = f"student row {row.id}"
    return _problem(ring, where, STUDENT, str(row.id), student_facts(row), row.facts)


def _problem(
    ring: Keyring, where: str, kind: str, ident: str, facts: Facts, blob: bytes | None
) -> str | None:
    if blob is None:
        return (
            f"{where}: its plaintext facts are not authenticated yet (written before this "
            "version): run `archiver db upgrade`"
        )
    try:
        bad = altered(ring.fact_seal, kind, ident, facts, blob)
    except KeyFileError as exc:  # a key id nobody registered, or a key file gone
        return f"{where}: its facts cannot be checked: {'; '.join(exc.problems)}"
    if not bad:
        return None
    return (
        f"{where}: {', '.join(bad)} {'does' if len(bad) == 1 else 'do'} not match "
        "the authentication tag (changed outside the archiver)"
    )


def retention_problem(ring: Keyring, row: RetentionRow) -> str | None:
    where = f"record {row.record_id}: its retention"
    return _problem(ring, where, RETENTION, row.record_id, retention_facts(row), row.facts)


def hold_problem(ring: Keyring, row: HoldRow) -> str | None:
    where = f"hold row {row.id}"
    return _problem(ring, where, HOLD, str(row.id), hold_facts(row), row.facts)


def hold_member_problem(ring: Keyring, row: HoldMemberRow) -> str | None:
    where = f"record {row.record_id}: its place in hold row {row.hold_id}"
    return _problem(ring, where, HOLD_RECORD, _member_id(row), hold_member_facts(row), row.facts)


def problems(tx: Tx, ring: Keyring, row: RecordRow) -> list[str]:
    """Every problem with the plaintext facts of a record, its arrivals, its tags, its
    retention and the holds that cover it."""
    return problems_of(tx, ring, [row])[row.id]


def problems_of(tx: Tx, ring: Keyring, rows: list[RecordRow]) -> dict[str, list[str]]:
    """`problems` of several records (retention and holds read for all of them at once)."""
    ids = [r.id for r in rows]
    kept = tx.retention.rows(ids)
    members = tx.holds.of_records(ids)
    holds = {h.id: h for h in tx.holds.by_ids(sorted({m.hold_id for m in members}))}
    hold_problems = {i: hold_problem(ring, h) for i, h in holds.items()}
    by_record: dict[str, list[HoldMemberRow]] = {}
    for m in members:
        by_record.setdefault(m.record_id, []).append(m)
    out: dict[str, list[str]] = {}
    for row in rows:
        found = [record_problem(ring, row)]
        found += [arrival_problem(ring, a) for a in tx.records.arrivals(row.id)]
        found += [
            tag_problem(ring, t)
            for t in [*tx.roster.tag_rows([row.id]), *tx.roster.overrides([row.id])]
        ]
        if row.id in kept:
            found.append(retention_problem(ring, kept[row.id]))
        mine = by_record.get(row.id, [])
        found += [hold_member_problem(ring, m) for m in mine]
        found += [hold_problems.get(m.hold_id) for m in mine]
        out[row.id] = [p for p in found if p is not None]
    return out


def _digest(data: bytes | None) -> bytes | None:
    """A certificate's SHA-256 stands for it among the facts (it can be megabytes)."""
    return None if data is None else hashlib.sha256(data).digest()


def batch_facts(row: BatchRow) -> Facts:
    return [
        ("year", row.year),
        ("seq", row.seq),
        ("state", row.state),
        ("by_day", row.by_day),
        ("series", row.series),
        ("planned_at", row.planned_at),
        ("planned_by", row.planned_by),
        ("approved_at", row.approved_at),
        ("approved_by", row.approved_by),
        ("permit", row.permit),
        ("started_at", row.started_at),
        ("executed_at", row.executed_at),
        ("cancelled_at", row.cancelled_at),
        ("cancelled_by", row.cancelled_by),
        ("cancel_note", row.cancel_note),
        ("certificate", _digest(row.certificate)),
        ("signature", row.signature),
        ("signing_key", row.signing_key),
    ]


def seal_batch(ring: Keyring, row: BatchRow) -> BatchRow:
    """A disposition batch with its facts authenticated: an edited planner, approver, permit
    or state is noticed."""
    return replace(row, facts=ring.fact_seal().seal(BATCH, row.number, batch_facts(row)))


def batch_problem(ring: Keyring, row: BatchRow) -> str | None:
    where = f"disposition batch {row.number}"
    return _problem(ring, where, BATCH, row.number, batch_facts(row), row.facts)


def _batch_member_id(row: BatchMemberRow) -> str:
    return f"{row.batch}/{row.record_id}"


def batch_member_facts(row: BatchMemberRow) -> Facts:
    return [
        ("series", row.series),
        ("state", row.state),
        ("reason", row.reason),
        ("detail", row.detail),
    ]


def seal_batch_member(ring: Keyring, row: BatchMemberRow) -> BatchMemberRow:
    blob = ring.fact_seal().seal(BATCH_RECORD, _batch_member_id(row), batch_member_facts(row))
    return replace(row, facts=blob)


def batch_member_problem(ring: Keyring, row: BatchMemberRow) -> str | None:
    where = f"record {row.record_id}: its place in disposition batch {row.batch}"
    ident = _batch_member_id(row)
    return _problem(ring, where, BATCH_RECORD, ident, batch_member_facts(row), row.facts)


def tombstone_facts(row: TombstoneRow) -> Facts:
    return [
        ("sha256", row.sha256),
        ("size", row.size),
        ("series", row.series),
        ("sent_at", row.sent_at),
        ("archived_at", row.archived_at),
        ("batch", row.batch),
        ("destroyed_at", row.destroyed_at),
    ]


def seal_tombstone(ring: Keyring, row: TombstoneRow) -> TombstoneRow:
    """A tombstone with its facts authenticated: an edited hash or date is noticed."""
    return replace(row, facts=ring.fact_seal().seal(TOMBSTONE, row.record_id, tombstone_facts(row)))


def tombstone_problem(ring: Keyring, row: TombstoneRow) -> str | None:
    where = f"record {row.record_id}: its tombstone"
    return _problem(ring, where, TOMBSTONE, row.record_id, tombstone_facts(row), row.facts)


def web_user_facts(row: WebUserRow) -> Facts:
    # The sealed TOTP secret stands by its SHA-256: an old secret put back is noticed too.
    return [
        ("name", row.name),
        ("display_name", row.display_name),
        ("role", row.role),
        ("password_hash", row.password_hash),
        ("totp_secret", _digest(row.totp_secret)),
        ("sso", row.sso),
        ("disabled", row.disabled),
        ("created_at", row.created_at),
        # Only once bound: accounts sealed before the binding existed keep their seals.
        *([("sso_subject", row.sso_subject)] if row.sso_subject is not None else []),
    ]


def seal_web_user(ring: Keyring, row: WebUserRow) -> WebUserRow:
    """A stored account (its id known) with its facts authenticated: a role, state or
    password hash edited in the database is noticed."""
    return replace(row, facts=ring.fact_seal().seal(WEB_USER, str(row.id), web_user_facts(row)))


def web_user_problem(ring: Keyring, row: WebUserRow) -> str | None:
    where = f"web account {row.name!r} (row {row.id})"
    return _problem(ring, where, WEB_USER, str(row.id), web_user_facts(row), row.facts)


def web_session_facts(row: WebSessionRow) -> Facts:
    return [
        ("user_id", row.user_id),
        ("created_at", row.created_at),
        ("last_seen", row.last_seen),
        ("ended_at", row.ended_at),
        ("remote", row.remote),
    ]


def seal_web_session(ring: Keyring, row: WebSessionRow) -> WebSessionRow:
    """A session with its facts authenticated: a session row written or revived in the
    database signs nobody in."""
    ident = row.token_hash.hex()
    return replace(row, facts=ring.fact_seal().seal(WEB_SESSION, ident, web_session_facts(row)))


def web_session_problem(ring: Keyring, row: WebSessionRow) -> str | None:
    where = f"a web session of account row {row.user_id}"
    ident = row.token_hash.hex()
    return _problem(ring, where, WEB_SESSION, ident, web_session_facts(row), row.facts)


def check(problem: str | None) -> None:
    """Raise IntegrityError (exit 3) if a check found a problem."""
    if problem is not None:
        raise IntegrityError(problem)
