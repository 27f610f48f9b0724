"""Redactions (DESIGN.md section 9.4): text removed from a record of a request before anything
is produced from it, each under an exemption.

A redaction names a string of the record's text ("Liam Doherty"), every occurrence of it or
the Nth, and the exemption it rests on. Suggestions come from what the archive knows: the
students tagged on the record (their full and preferred names, a first name alone once the
full name appears, their ids and school addresses; never the requested child of a
student-records request), staff members' personal addresses and phone numbers (c.66 §10B),
Social Security numbers, other personal addresses, and numbers shaped like the roster's
student ids. They are stored as `proposed`; the Records Access Officer accepts or rejects
them, or adds their own (`manual`, accepted at once). Only accepted redactions are applied.

The text is sealed (it is exactly what must not be disclosed); which record, which exemption
and the state are plaintext facts, authenticated like a request's. Adding or accepting a
redaction on a record not yet decided decides it `redact` under that exemption (and adds the
exemption to a `redact` decision that lacks it): the written response then cites it. A record
decided `release`, `withhold` or `not-responsive` takes no redaction.

An image cannot be redacted: each image attachment of a record decided `redact` is released
as it is or withheld, by the officer's decision (`decide_attachment`); withheld when nothing
was decided. The decisions are plaintext facts too (which attachment, release or withhold, by
whom), authenticated the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from archiver.archive import access, audit, facts
from archiver.archive.actor import current_actor
from archiver.archive.reading import OpenedRecord, listed, open_record
from archiver.archive.roster import load_roster
from archiver.crypto.keyring import Keyring
from archiver.crypto.notes import NoteSeal
from archiver.domain import AttachmentDecisionRow, RedactionRow, RequestRecordRow, RequestRow
from archiver.errors import UsageError
from archiver.records.exemptions import Exemptions
from archiver.records.rendering import (
    DOCX_KIND,
    IMAGE_KIND,
    MESSAGE_KIND,
    PDF_KIND,
    attachment_kind,
    record_text,
)
from archiver.store.db import Store, Tx
from archiver.understand.indexing import DEFAULT_TEXT_LIMITS, TextLimits
from archiver.understand.redact_text import (
    EMAIL,
    PHONE,
    SSN,
    Normalised,
    find_in,
    find_pattern,
    id_pattern,
    normalise,
    normalised,
    redact,
)
from archiver.understand.students import StaffMember, Student

PROPOSED, ACCEPTED, REJECTED = "proposed", "accepted", "rejected"
SUGGESTED, MANUAL = "suggested", "manual"
STUDENT_CODE = "26a:ferpa"  # a student's identity: FERPA, through c.4 §7(26)(a)
STAFF_CODE = "10B"  # an employee's personal contact details: c.66 §10B
PRIVACY_CODE = "26c"  # other personal details: c.4 §7(26)(c)
NOT_PRODUCED = ("withhold", "not-responsive")  # nothing of these records is produced
_PART = "redaction"
RELEASE, WITHHOLD = "release", "withhold"  # what may be decided for an image attachment
# What the export does with an attachment that is not an image, said when one is decided.
_FATE = {
    PDF_KIND: "a PDF is rasterised with the redactions painted out",
    DOCX_KIND: "a Word document is given as its redacted text",
    MESSAGE_KIND: "an attached message is produced as its redacted text",
}
_OTHER_FATE = "a file of this kind cannot be redacted and is withheld"


@dataclass(frozen=True)
class Suggestion:
    """A string worth redacting from a record, the exemption it would rest on, and why."""

    text: str
    exemption: str
    why: str  # student name | student id | student address | staff personal address | ...


@dataclass(frozen=True)
class Redaction:
    """A redaction, opened: what the Records Access Officer reads. `occurrences` is how many
    times the text is found in the record (None when not counted)."""

    id: int
    number: str
    record_id: str
    text: str
    exemption: str
    occurrence: int | None
    state: str
    source: str
    created_at: datetime
    created_by: str
    decided_at: datetime | None
    decided_by: str | None
    occurrences: int | None = None
    decided: str | None = None  # what adding or accepting it did to the record's decision

    @property
    def code(self) -> str:
        """The exemption as a redacted text's label shows it ("26a" of "26a:ferpa")."""
        return self.exemption.partition(":")[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request": self.number,
            "record": self.record_id,
            "text": self.text,
            "exemption": self.exemption,
            "occurrence": self.occurrence,
            "state": self.state,
            "source": self.source,
            "occurrences": self.occurrences,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "decided_by": self.decided_by,
        }


@dataclass(frozen=True)
class AttachmentDecision:
    """An image attachment of a redacted record, released or withheld by decision; `name`,
    `content_type` and `size` are known when the record was read to decide it."""

    number: str
    record_id: str
    attachment: int
    decision: str  # release | withhold
    decided_at: datetime
    decided_by: str
    name: str | None = None
    content_type: str | None = None
    size: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "record": self.record_id,
            "attachment": self.attachment,
            "decision": self.decision,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat(),
        }


def _attachment_decision(ring: Keyring, row: AttachmentDecisionRow) -> AttachmentDecision:
    facts.check(facts.attachment_decision_problem(ring, row))
    return AttachmentDecision(
        row.number, row.record_id, row.attachment, row.decision, row.decided_at, row.decided_by
    )


def attachment_decisions(
    tx: Tx, ring: Keyring, number: str, record_id: str | None = None
) -> list[AttachmentDecision]:
    """A request's attachment decisions (of one record), by record and attachment, their
    facts checked (IntegrityError if one was changed outside the archiver)."""
    rows = tx.attachment_decisions.of_request(number, record_id)
    return [_attachment_decision(ring, r) for r in rows]


def released_attachments(tx: Tx, ring: Keyring, number: str) -> dict[str, frozenset[int]]:
    """Per record of a request, the image attachments decided `release` (what the export
    produces as they are); facts checked."""
    out: dict[str, set[int]] = {}
    for d in attachment_decisions(tx, ring, number):
        if d.decision == RELEASE:
            out.setdefault(d.record_id, set()).add(d.attachment)
    return {rid: frozenset(found) for rid, found in out.items()}


# What a record says, as redaction reads it.


def record_texts(opened: OpenedRecord, limits: TextLimits = DEFAULT_TEXT_LIMITS) -> list[str]:
    """A record's readable texts (`records/rendering.py`'s `RecordText`: subject, forwarder,
    note, each original's headers and body, each attachment's name and text) in the order
    `RecordText.map` visits them, which is the order occurrences are counted in."""
    return list(record_text(opened, limits).texts())


class Redactor:
    """A record's accepted redactions applied to its texts, given in reading order: the Nth
    occurrence of a text counts across every text this redactor has been given, so
    `record_text(opened).map(Redactor(accepted(...)))` removes exactly what `redact list`
    counts. Each span is labelled with the exemption's code ("[REDACTED 26a]": the statute
    is the letter's). One redactor per record and rendering: it keeps count."""

    def __init__(self, redactions: Iterable[Redaction]) -> None:
        self.items = [r for r in redactions if r.state == ACCEPTED]
        self._seen = [0] * len(self.items)

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """The spans of `text` to remove, (start, end, code), in order."""
        norm = normalised(text)
        out: list[tuple[int, int, str]] = []
        for i, r in enumerate(self.items):
            found = find_in(norm, r.text)
            if r.occurrence is None:
                out += [(s, e, r.code) for s, e in found]
            else:
                k = r.occurrence - self._seen[i]
                if 1 <= k <= len(found):
                    out.append((*found[k - 1], r.code))
            self._seen[i] += len(found)
        return sorted(out)

    def __call__(self, text: str) -> str:
        """`text` with the redactions' spans replaced by their labels."""
        return redact(text, self.spans(text))


def count(texts: Sequence[Normalised], target: str) -> int:
    """How many times `target` is found in these texts."""
    return sum(len(find_in(n, target)) for n in texts)


# Suggestions: pure.


def suggest(
    texts: Sequence[str],
    tagged: Sequence[Student],
    roster: Iterable[Student] = (),
    staff: Iterable[StaffMember] = (),
    child: str | None = None,
) -> list[Suggestion]:
    """What to redact from a record's texts: the `tagged` students' names (full and
    preferred; a first name alone once a full name is found), ids and school addresses; any
    roster student's school address or number shaped like a roster id; staff members'
    personal addresses, phone numbers (10B); SSNs and other personal addresses (26c). Never
    the student `child` (the roster id a student-records request is for), nor a staff member's
    school address or another address in the district's domains. Each text once, only if
    found."""
    norms = [normalised(t) for t in texts]
    out: dict[str, Suggestion] = {}
    roster = list(roster)
    staff = list(staff)
    kid = next((s for s in roster if s.student_id == child), None) if child else None
    mine = {normalise(x) for x in ((kid.student_id, kid.email) if kid else ()) if x}

    def propose(text: str, code: str, why: str) -> bool:
        key = normalise(text)
        if not key or key in mine:
            return False
        if key in out:
            return True
        if not count(norms, text):
            return False
        out[key] = Suggestion(text.strip(), code, why)
        return True

    for s in sorted(tagged, key=lambda s: s.student_id):
        if s.student_id == child:
            continue
        given = [g for g in dict.fromkeys((s.first, s.preferred)) if g.strip()]
        full = [f"{g} {s.last}" for g in given] + [f"{s.last}, {g}" for g in given]
        named = [propose(f, STUDENT_CODE, "student name") for f in full]
        if any(named):
            for g in given:
                propose(g, STUDENT_CODE, "student first name")
        propose(s.student_id, STUDENT_CODE, "student id")
        if s.email:
            propose(s.email, STUDENT_CODE, "student address")

    student_addresses = {s.email.casefold() for s in roster if s.email}
    personal = {a.casefold() for m in staff for a in m.personal}
    school = {m.email.casefold() for m in staff if m.email}
    domains = {a.rpartition("@")[2] for a in school}
    ids = id_pattern(s.student_id for s in roster)
    for text in texts:
        for _, _, found in find_pattern(EMAIL, text):
            address = found.casefold()
            if address in student_addresses:
                propose(found, STUDENT_CODE, "student address")
            elif address in personal:
                propose(found, STAFF_CODE, "staff personal address")
            elif address not in school and address.rpartition("@")[2] not in domains:
                propose(found, PRIVACY_CODE, "personal address")
        for _, _, found in find_pattern(PHONE, text):
            propose(found, STAFF_CODE, "phone number")
        for _, _, found in find_pattern(SSN, text):
            propose(found, PRIVACY_CODE, "social security number")
        if ids is not None:
            for _, _, found in find_pattern(ids, text):
                propose(found, STUDENT_CODE, "student id")
    return list(out.values())


# The desk: suggesting, adding, deciding, listing.


def _owner(number: str, record_id: str) -> str:
    return f"{number}/{record_id}"


def _open(ring: Keyring, row: RedactionRow, seal: NoteSeal | None = None) -> Redaction:
    facts.check(facts.redaction_problem(ring, row))
    text = (seal or NoteSeal(ring)).open(_owner(row.number, row.record_id), _PART, row.sealed)
    return Redaction(
        id=row.id,
        number=row.number,
        record_id=row.record_id,
        text=text,
        exemption=row.exemption,
        occurrence=row.occurrence,
        state=row.state,
        source=row.source,
        created_at=row.created_at,
        created_by=row.created_by,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
    )


def accepted(tx: Tx, ring: Keyring, number: str, record_id: str) -> list[Redaction]:
    """The accepted redactions of a record in a request (their facts checked: IntegrityError
    if one was changed outside the archiver). What the export removes, and what its release
    gate looks for in every produced file."""
    seal = NoteSeal(ring)
    rows = tx.redactions.of_request(number, record_id)
    return [_open(ring, r, seal) for r in rows if r.state == ACCEPTED]


def accepted_spans(
    tx: Tx, ring: Keyring, number: str, record_id: str, text: str
) -> list[tuple[int, int, str]]:
    """The spans (start, end, code) to remove from `text`, one of the record's texts: every
    accepted redaction's occurrences in it (the Nth, for one limited to an occurrence, counted
    in this text alone; `Redactor` counts across a record's texts)."""
    return Redactor(accepted(tx, ring, number, record_id)).spans(text)


class RedactionDesk:
    """Suggesting, adding, accepting, rejecting, removing and listing redactions."""

    def __init__(
        self,
        db: Store,
        ring: Keyring,
        exemptions: Exemptions,
        limits: TextLimits = DEFAULT_TEXT_LIMITS,
    ) -> None:
        self.db = db
        self.ring = ring
        self.exemptions = exemptions
        self.limits = limits  # for reading attachments' text again

    def check_exemption(self, given: str) -> str:
        """The exemption code as stored ("26a:ferpa"); UsageError for an unknown code or a
        statute the exemption does not name."""
        code, _, statute = given.strip().partition(":")
        exemption = self.exemptions.get(code)
        exemption.explain([statute] if statute else [])
        return f"{exemption.code}:{statute}" if statute else exemption.code

    def _request(self, tx: Tx, number: str, changing: bool = True) -> RequestRow:
        row = tx.requests.get(number.strip().upper())
        if row is None:
            raise UsageError(f"no request {number} (see `archiver request list`)")
        facts.check(facts.request_problem(self.ring, row))
        if changing and row.state == "closed":
            raise UsageError(
                f"request {row.number} is closed ({row.outcome}): its redactions cannot change"
            )
        return row

    def _member(self, tx: Tx, row: RequestRow, record_id: str) -> RequestRecordRow:
        rid = tx.records.get(record_id).id
        member = tx.requests.member(row.number, rid)
        if member is None:
            raise UsageError(
                f"record {rid} is not in request {row.number} "
                f"(`archiver request add {row.number} {rid[:12]}` first)"
            )
        facts.check(facts.request_member_problem(self.ring, member))
        return member

    def _row(self, tx: Tx, row: RequestRow, redaction_id: int) -> RedactionRow:
        found = tx.redactions.get(redaction_id)
        if found is None or found.number != row.number:
            raise UsageError(
                f"request {row.number} has no redaction {redaction_id} "
                f"(see `archiver redact list {row.number}`)"
            )
        facts.check(facts.redaction_problem(self.ring, found))
        return found

    def _texts(self, number: str, record_id: str) -> list[Normalised]:
        """A record's texts, normalised; opening it is an audited access for the request."""
        rec = open_record(self.db, self.ring, record_id, "text", purpose=number)
        return [normalised(t) for t in record_texts(rec, self.limits)]

    @staticmethod
    def _producible(number: str, member: RequestRecordRow, code: str) -> None:
        if member.decision in (*NOT_PRODUCED, "release"):
            raise UsageError(
                f"record {member.record_id} is decided {member.decision!r} in request {number}:"
                f" only a record decided redact takes redactions (`archiver request decide "
                f"{number} {member.record_id[:12]} redact --exemption {code}` first)"
            )

    def _decide(self, tx: Tx, number: str, member: RequestRecordRow, code: str) -> str | None:
        """Make the record's decision `redact` under `code` as well; what changed, if
        anything. Audited and logged as a decision, as `request decide` is."""
        self._producible(number, member, code)
        if member.decision == "redact" and code in member.exemptions:
            return None
        before = member.decision
        member = replace(
            member,
            decision="redact",
            exemptions=tuple(dict.fromkeys([*member.exemptions, code])),
            decided_at=tx.now,
            decided_by=current_actor(),
        )
        tx.requests.put_member(facts.seal_request_member(self.ring, member))
        details = {
            "request": number,
            "decision": "redact",
            "exemptions": list(member.exemptions),
            "by": "redaction",
        }
        seq = audit.append(
            tx, self.ring, "request.decide", target=member.record_id, details=details
        )
        access.log(tx, self.ring, [member.record_id], "decided: redact", seq, number)
        if before is None:
            return f"decided redact under {code}"
        return f"{code} added to its redact decision"

    def suggest(self, number: str, record_id: str | None = None) -> tuple[list[Redaction], int]:
        """Propose redactions for the records of a request that may be produced (or one of
        them); the new proposals (each with its count), and how many records were read. A
        text already proposed, accepted or rejected for a record is not proposed again."""
        with self.db.transaction() as tx:
            row = self._request(tx, number)
            if record_id is not None:
                members = [self._member(tx, row, record_id)]
            else:
                members = tx.requests.members(row.number)
                for m in members:
                    facts.check(facts.request_member_problem(self.ring, m))
            members = [m for m in members if m.decision not in NOT_PRODUCED]
            roster = load_roster(tx, self.ring)
            child = None
            if row.student_id is not None:
                kid = roster.students.get(row.student_id)
                child = kid.student_id if kid else None
            tagged = {
                m.record_id: [
                    roster.students[sid]
                    for sid in tx.roster.tags(m.record_id)
                    if sid in roster.students
                ]
                for m in members
            }
        found: dict[str, tuple[list[Suggestion], list[Normalised]]] = {}
        for m in members:
            rec = open_record(self.db, self.ring, m.record_id, "text", purpose=row.number)
            texts = record_texts(rec, self.limits)
            found[m.record_id] = (
                suggest(texts, tagged[m.record_id], roster.students.values(), roster.staff, child),
                [normalised(t) for t in texts],
            )
        new: list[Redaction] = []
        seal = NoteSeal(self.ring)
        with self.db.transaction() as tx:
            row = self._request(tx, number)
            for rid, (suggestions, norms) in found.items():
                have = {
                    normalise(_open(self.ring, r, seal).text)
                    for r in tx.redactions.of_request(row.number, rid)
                }
                for s in suggestions:
                    if normalise(s.text) in have:
                        continue
                    r = self._insert(tx, row.number, rid, s.text, s.exemption, None, SUGGESTED)
                    new.append(replace(r, occurrences=count(norms, s.text)))
            audit.append(
                tx,
                self.ring,
                "redact.suggest",
                target=row.number,
                details={"records": len(found), "proposed": len(new)},
            )
        return new, len(found)

    def _insert(
        self,
        tx: Tx,
        number: str,
        record_id: str,
        text: str,
        exemption: str,
        occurrence: int | None,
        source: str,
    ) -> Redaction:
        who = current_actor()
        state = ACCEPTED if source == MANUAL else PROPOSED
        row = RedactionRow(
            id=0,
            number=number,
            record_id=record_id,
            exemption=exemption,
            occurrence=occurrence,
            source=source,
            state=state,
            created_at=tx.now,
            created_by=who,
            sealed=NoteSeal(self.ring).seal(_owner(number, record_id), _PART, text),
            decided_at=tx.now if state == ACCEPTED else None,
            decided_by=who if state == ACCEPTED else None,
        )
        row = replace(row, id=tx.redactions.add(row))
        row = facts.seal_redaction(self.ring, row)
        tx.redactions.put(row)
        return _open(self.ring, row)

    def add(
        self,
        number: str,
        record_id: str,
        text: str,
        exemption: str,
        occurrence: int | None = None,
    ) -> Redaction:
        """Redact `text` (every occurrence, or the Nth) from a record of an open request,
        under an exemption; accepted at once. The record must be in the request and decided
        `redact` or undecided (it is then decided `redact`). Returned with how many times the
        text is found (a warning for the caller when none is, or fewer than `occurrence`).
        UsageError for an unknown request, record or exemption, an empty text, a text this
        record already has a redaction for."""
        code = self.check_exemption(exemption)
        if not normalise(text):
            raise UsageError("--text is empty: give the words to redact")
        if occurrence is not None and occurrence < 1:
            raise UsageError(f"--occurrence {occurrence}: occurrences count from 1")
        with self.db.transaction() as tx:  # refuse bad input before the record is opened
            row = self._request(tx, number)
            member = self._member(tx, row, record_id)
            self._producible(row.number, member, code)
        norms = self._texts(row.number, member.record_id)
        with self.db.transaction() as tx:
            row = self._request(tx, number)
            member = self._member(tx, row, member.record_id)
            seal = NoteSeal(self.ring)
            for other in tx.redactions.of_request(row.number, member.record_id):
                known = _open(self.ring, other, seal)
                if normalise(known.text) == normalise(text) and known.occurrence == occurrence:
                    raise UsageError(
                        f"record {member.record_id} already has redaction {known.id} of that text"
                        f" ({known.state}): `archiver redact accept {row.number} {known.id}`"
                    )
            decided = self._decide(tx, row.number, member, code)
            made = self._insert(tx, row.number, member.record_id, text, code, occurrence, MANUAL)
            audit.append(
                tx,
                self.ring,
                "redact.add",
                target=member.record_id,
                details={
                    "request": row.number,
                    "redaction": made.id,
                    "exemption": code,
                    "occurrence": occurrence,
                },
            )
        return replace(made, occurrences=count(norms, text), decided=decided)

    def _set_state(self, number: str, redaction_id: int, state: str) -> Redaction:
        with self.db.transaction() as tx:
            row = self._request(tx, number)
            found = self._row(tx, row, redaction_id)
            decided = None
            if state == ACCEPTED:
                member = self._member(tx, row, found.record_id)
                decided = self._decide(tx, row.number, member, found.exemption)
            if found.state != state:
                found = replace(found, state=state, decided_at=tx.now, decided_by=current_actor())
                found = facts.seal_redaction(self.ring, found)
                tx.redactions.put(found)
            audit.append(
                tx,
                self.ring,
                f"redact.{'accept' if state == ACCEPTED else 'reject'}",
                target=found.record_id,
                details={"request": row.number, "redaction": found.id},
            )
            return replace(_open(self.ring, found), decided=decided)

    def accept(self, number: str, redaction_id: int) -> Redaction:
        """Accept a redaction (a proposal, or one rejected before): the export will remove
        it. The record's decision becomes (or stays) `redact`, citing its exemption."""
        return self._set_state(number, redaction_id, ACCEPTED)

    def reject(self, number: str, redaction_id: int) -> Redaction:
        """Reject a redaction: kept, so `suggest` does not propose it again, but not applied."""
        return self._set_state(number, redaction_id, REJECTED)

    def remove(self, number: str, redaction_id: int) -> Redaction:
        """Delete a redaction (a removed suggestion may be proposed again: reject it to keep
        it out). The record's decision is left as it is."""
        with self.db.transaction() as tx:
            row = self._request(tx, number)
            found = _open(self.ring, self._row(tx, row, redaction_id))
            tx.redactions.delete(redaction_id)
            audit.append(
                tx,
                self.ring,
                "redact.remove",
                target=found.record_id,
                details={"request": row.number, "redaction": found.id, "state": found.state},
            )
        return found

    def listed(
        self, number: str, record_id: str | None = None, counted: bool = True
    ) -> list[Redaction]:
        """A request's redactions (of one record), by record and id; with `counted`, each
        with how many times its text is found in the record (reading the records: audited
        accesses for the request). Audited."""
        with self.db.transaction() as tx:
            row = self._request(tx, number, changing=False)
            rid = self._member(tx, row, record_id).record_id if record_id else None
            seal = NoteSeal(self.ring)
            out = [_open(self.ring, r, seal) for r in tx.redactions.of_request(row.number, rid)]
            audit.append(
                tx,
                self.ring,
                "redact.list",
                target=row.number,
                details={"record": rid, "redactions": len(out)},
            )
        if not counted:
            return out
        texts: dict[str, list[Normalised]] = {}
        for r in out:
            if r.record_id not in texts:
                texts[r.record_id] = self._texts(row.number, r.record_id)
        return [replace(r, occurrences=count(texts[r.record_id], r.text)) for r in out]

    @staticmethod
    def _redacted(number: str, member: RequestRecordRow) -> None:
        if member.decision != "redact":
            state = "not decided" if member.decision is None else f"decided {member.decision!r}"
            raise UsageError(
                f"record {member.record_id} is {state} in request {number}: only the image "
                "attachments of a record decided redact are released or withheld by decision "
                f"(`archiver request decide {number} {member.record_id[:12]} redact --exemption "
                "CODE` first)"
            )

    @staticmethod
    def _image(opened: OpenedRecord, attachment: int) -> tuple[str, str, int]:
        """The name, type and size of image attachment `attachment` (numbered as `show` and
        the rendering number them); UsageError naming what is wrong otherwise."""
        rid = opened.row.id
        items = listed(opened.meta)
        if not 1 <= attachment <= len(items):
            has = (
                "it has no attachments"
                if not items
                else f"it has {len(items)}, numbered 1 to {len(items)} as `archiver show` "
                "lists them"
            )
            raise UsageError(f"record {rid} has no attachment {attachment}: {has}")
        info = items[attachment - 1].info
        kind = attachment_kind(info.content_type, info.filename)
        if kind != IMAGE_KIND:
            raise UsageError(
                f"attachment {attachment} of record {rid} is not an image ({info.content_type}):"
                f" {_FATE.get(kind, _OTHER_FATE)}; only an image is released or withheld by "
                "decision"
            )
        return info.filename, info.content_type, info.size

    def decide_attachment(
        self, number: str, record_id: str, attachment: int, decision: str
    ) -> AttachmentDecision:
        """Release an image attachment of a record decided `redact` as it is, or withhold it
        (the default): what the export does with it. Reading the record to find the
        attachment is an audited access for the request. UsageError for a decision other
        than release or withhold, an unknown request or record, a closed request, a record
        not decided `redact`, no such attachment, an attachment that is not an image."""
        if decision not in (RELEASE, WITHHOLD):
            raise UsageError(f"{decision!r}: an image attachment is decided release or withhold")
        with self.db.transaction() as tx:  # refuse bad input before the record is opened
            row = self._request(tx, number)
            member = self._member(tx, row, record_id)
            self._redacted(row.number, member)
        opened = open_record(self.db, self.ring, member.record_id, "text", purpose=row.number)
        name, content_type, size = self._image(opened, attachment)
        with self.db.transaction() as tx:
            row = self._request(tx, number)
            member = self._member(tx, row, member.record_id)
            self._redacted(row.number, member)
            before = tx.attachment_decisions.get(row.number, member.record_id, attachment)
            if before is not None:  # a tampered decision is reported, not overwritten
                facts.check(facts.attachment_decision_problem(self.ring, before))
            made = AttachmentDecisionRow(
                row.number, member.record_id, attachment, decision, tx.now, current_actor()
            )
            made = facts.seal_attachment_decision(self.ring, made)
            tx.attachment_decisions.put(made)
            audit.append(
                tx,
                self.ring,
                "redact.attachment",
                target=member.record_id,
                details={"request": row.number, "attachment": attachment, "decision": decision},
            )
        return replace(
            _attachment_decision(self.ring, made), name=name, content_type=content_type, size=size
        )

    def marked(self, number: str, record_id: str) -> Marked:
        """A record of a request as its reviewer reads it: its texts with every redaction of
        it (proposed, accepted, rejected) marked, and the redactions counted. Reading it is an
        audited access for the request, as `redact list` is."""
        found = self.listed(number, record_id, counted=False)
        with self.db.transaction() as tx:
            row = self._request(tx, number, changing=False)
            rid = self._member(tx, row, record_id).record_id
        rec = open_record(self.db, self.ring, rid, "text", purpose=row.number)
        texts = record_texts(rec, self.limits)
        norms = [normalised(t) for t in texts]
        counted = [replace(r, occurrences=count(norms, r.text)) for r in found]
        return Marked(mark(texts, counted), counted)

    def attachments(self, number: str, record_id: str | None = None) -> list[AttachmentDecision]:
        """A request's attachment decisions (of one record), by record and attachment; on a
        closed request too."""
        with self.db.transaction() as tx:
            row = self._request(tx, number, changing=False)
            rid = self._member(tx, row, record_id).record_id if record_id else None
            return attachment_decisions(tx, self.ring, row.number, rid)


# A record's text with its redactions marked, for review (the web workspace).


@dataclass(frozen=True)
class Marked:
    """A record's texts in reading order (as `record_texts` gives them), each a list of
    segments `(text, redaction or None)`: the spans each redaction of the request covers
    marked with it (a redaction limited to an occurrence marks only that one), and the
    redactions with how many times each is found."""

    texts: list[list[tuple[str, Redaction | None]]]
    redactions: list[Redaction]


def mark(
    texts: Sequence[str], redactions: Sequence[Redaction]
) -> list[list[tuple[str, Redaction | None]]]:
    """`texts` cut into segments, each span a redaction covers marked with it (the longest
    where two overlap); occurrences counted across the texts, as `Redactor` counts."""
    seen = [0] * len(redactions)
    out = []
    for text in texts:
        norm = normalised(text)
        spans: list[tuple[int, int, int]] = []
        for i, r in enumerate(redactions):
            found = find_in(norm, r.text)
            if r.occurrence is None:
                spans += [(s, e, i) for s, e in found]
            else:
                k = r.occurrence - seen[i]
                if 1 <= k <= len(found):
                    spans.append((*found[k - 1], i))
            seen[i] += len(found)
        segments: list[tuple[str, Redaction | None]] = []
        at = 0
        for start, end, i in sorted(spans, key=lambda x: (x[0], -x[1], x[2])):
            if start < at:  # overlaps one already marked (the longest at a start wins)
                continue
            if start > at:
                segments.append((text[at:start], None))
            segments.append((text[start:end], redactions[i]))
            at = end
        if at < len(text) or not segments:
            segments.append((text[at:], None))
        out.append(segments)
    return out
