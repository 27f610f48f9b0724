"""Legal holds (DESIGN.md section 9.2): a hold keeps what a lawsuit or an investigation needs.

A hold has a name, a reason and criteria (words as `search` takes them, a student, a
participant, a forwarder, dates), all sealed. It covers the records its criteria match when
it is placed, every record that matches later (ingest checks each new record in the
transaction that writes it; a change of tags sweeps the open holds again), and records added
by hand. A record taken out by hand stays out. A record is held while any open hold covers it;
releasing a hold needs a reason. Every change is an audit event naming the actor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from archiver.archive import audit, cohorts, facts
from archiver.clock import District
from archiver.crypto.keyring import Keyring
from archiver.crypto.notes import NoteSeal
from archiver.domain import HoldMemberRow, HoldRow, NewRecord, SearchRequest
from archiver.errors import UsageError
from archiver.store.db import Store, Tx

if TYPE_CHECKING:
    from archiver.store.search import TermQuery

CRITERIA = "criteria"
MANUAL = "manual"
REMOVED = "removed"
_KIND = "hold"


@dataclass(frozen=True)
class Hold:
    """A hold, opened: what a records officer reads."""

    id: int
    name: str
    reason: str
    criteria: SearchRequest  # query, student, participant, forwarder, since, until
    created_at: datetime
    created_by: str
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None

    @property
    def open(self) -> bool:
        return self.released_at is None

    def has_criteria(self) -> bool:
        return has_criteria(self.criteria)

    def criteria_json(self) -> dict[str, str | None]:
        c = self.criteria
        return {
            "words": c.query or None,
            "student": c.student,
            "participant": c.participant,
            "forwarder": c.forwarder,
            "since": c.since.isoformat() if c.since else None,
            "until": c.until.isoformat() if c.until else None,
        }

    def to_json(self, records: int) -> dict[str, object]:
        return {
            "name": self.name,
            "reason": self.reason,
            "criteria": self.criteria_json(),
            "state": "open" if self.open else "released",
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "released_at": self.released_at.isoformat() if self.released_at else None,
            "released_by": self.released_by,
            "release_reason": self.release_reason,
            "records": records,
        }


def has_criteria(c: SearchRequest) -> bool:
    """Whether a hold's criteria can match anything (a search needs words or a filter)."""
    return bool(c.query.strip()) or any(
        v is not None for v in (c.student, c.participant, c.forwarder, c.since, c.until)
    )


def _owner(lookup: bytes) -> str:
    return f"hold {lookup.hex()}"


def _seal_content(seal: NoteSeal, lookup: bytes, name: str, reason: str, c: SearchRequest) -> bytes:
    doc = {
        "name": name,
        "reason": reason,
        "query": c.query,
        "student": c.student,
        "participant": c.participant,
        "forwarder": c.forwarder,
        "since": c.since.isoformat() if c.since else None,
        "until": c.until.isoformat() if c.until else None,
    }
    return seal.seal(_owner(lookup), "hold", json.dumps(doc, ensure_ascii=False, sort_keys=True))


def _open(seal: NoteSeal, ring: Keyring, row: HoldRow) -> Hold:
    """A stored hold opened, its facts checked (IntegrityError if altered)."""
    facts.check(facts.hold_problem(ring, row))
    doc = json.loads(seal.open(_owner(row.lookup), "hold", row.sealed))
    criteria = SearchRequest(
        query=doc["query"],
        student=doc["student"],
        participant=doc["participant"],
        forwarder=doc["forwarder"],
        since=date.fromisoformat(doc["since"]) if doc["since"] else None,
        until=date.fromisoformat(doc["until"]) if doc["until"] else None,
    )
    release = (
        seal.open(_owner(row.lookup), "release", row.release_note) if row.release_note else None
    )
    return Hold(
        id=row.id,
        name=doc["name"],
        reason=doc["reason"],
        criteria=criteria,
        created_at=row.created_at,
        created_by=row.created_by,
        released_at=row.released_at,
        released_by=row.released_by,
        release_reason=release,
    )


def _all(tx: Tx, ring: Keyring, open_only: bool = False) -> list[tuple[HoldRow, Hold]]:
    seal = NoteSeal(ring)
    return [(row, _open(seal, ring, row)) for row in tx.holds.all(open_only)]


def _find(tx: Tx, ring: Keyring, name: str) -> tuple[HoldRow, Hold]:
    """The hold of this name (names are compared without case); UsageError if none."""
    want = _normal(name)
    for row, h in _all(tx, ring):
        if _normal(h.name) == want:
            return row, h
    raise UsageError(f"no hold named {name!r} (see `archiver hold list`)")


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


def _members(
    ring: Keyring, hold_id: int, ids: list[str], how: str, now: datetime
) -> list[HoldMemberRow]:
    return [facts.seal_hold_member(ring, HoldMemberRow(hold_id, rid, how, now)) for rid in ids]


def _full_ids(tx: Tx, ids: list[str]) -> list[str]:
    """Full record ids of `ids` (prefixes as `show` takes them); UsageError for an unknown one."""
    return [tx.records.get(rid).id for rid in ids]


def create(
    db: Store,
    ring: Keyring,
    district: District,
    name: str,
    reason: str,
    criteria: SearchRequest,
    record_ids: list[str],
    actor: str,
) -> tuple[Hold, int]:
    """Place a hold: it covers every record its criteria match now, the records named, and
    every record that matches later. Refused without a name, a reason, or anything to hold."""
    name = " ".join(name.split())
    if not name:
        raise UsageError("a hold needs a name")
    if not reason.strip():
        raise UsageError("a hold needs a reason (--reason)")
    if not has_criteria(criteria) and not record_ids:
        raise UsageError(
            "a hold needs criteria (words, --student, --participant, --forwarder, "
            "--since/--until) or records (--record ID): it would hold nothing"
        )
    # Search loads here, not with the module: `show` reads holds without matching any.
    from archiver.archive.search import matching_ids

    seal = NoteSeal(ring)
    with db.transaction() as tx:
        if any(_normal(h.name) == _normal(name) for _, h in _all(tx, ring)):
            raise UsageError(f"a hold named {name!r} exists already (names are never reused)")
        named = _full_ids(tx, record_ids)
        matched = matching_ids(tx, ring, criteria, district) if has_criteria(criteria) else []
        lookup = seal.lookup(_KIND, _normal(name))
        row = HoldRow(
            id=0,
            lookup=lookup,
            key_id=seal.key_id,
            sealed=_seal_content(seal, lookup, name, reason, criteria),
            created_at=tx.now,
            created_by=actor,
        )
        hold_id = tx.holds.add(row)
        row = facts.seal_hold(ring, replace(row, id=hold_id))
        tx.holds.update(row)
        tx.holds.insert_members(_members(ring, hold_id, named, MANUAL, tx.now))
        tx.holds.insert_members(_members(ring, hold_id, matched, CRITERIA, tx.now))
        tx.holds.bump_version(tx.now)
        cohorts.place_records(tx, ring, [*named, *matched])  # held: out of their cohorts
        count = tx.holds.counts().get(hold_id, 0)
        audit.append(
            tx,
            ring,
            "hold.create",
            target=f"hold:{hold_id}",
            details={"hold": hold_id, "records": count},
            actor=actor,
        )
        return _open(seal, ring, row), count


def list_holds(db: Store, ring: Keyring) -> list[tuple[Hold, int]]:
    """Every hold (open first, then released), with the records it covers. Audited."""
    with db.transaction() as tx:
        counts = tx.holds.counts()
        holds = [(h, counts.get(h.id, 0)) for _, h in _all(tx, ring)]
        audit.append(tx, ring, "hold.list", details={"holds": len(holds)})
    return sorted(holds, key=lambda p: (not p[0].open, p[0].created_at))


def show(db: Store, ring: Keyring, name: str) -> tuple[Hold, list[str], list[str]]:
    """A hold, the ids of the records it covers, and those taken out by hand. Audited."""
    with db.transaction() as tx:
        row, h = _find(tx, ring, name)
        members = tx.holds.members(row.id)
        for m in members:
            facts.check(facts.hold_member_problem(ring, m))
        ids = [m.record_id for m in members if m.how != REMOVED]
        removed = [m.record_id for m in members if m.how == REMOVED]
        audit.append(tx, ring, "hold.show", target=f"hold:{row.id}", details={"records": len(ids)})
    return h, ids, removed


def change(
    db: Store, ring: Keyring, name: str, record_ids: list[str], reason: str, actor: str, add: bool
) -> tuple[Hold, list[str]]:
    """Add records to an open hold by hand, or take them out (they are then not caught by
    its criteria again); the full ids changed."""
    if not reason.strip():
        raise UsageError("say why (--reason)")
    seal = NoteSeal(ring)
    with db.transaction() as tx:
        row, h = _find(tx, ring, name)
        if not h.open:
            raise UsageError(f"hold {h.name!r} was released on {h.released_at:%Y-%m-%d}")
        ids = _full_ids(tx, record_ids)
        for rid in ids:
            member = HoldMemberRow(row.id, rid, MANUAL if add else REMOVED, tx.now)
            tx.holds.set_member(facts.seal_hold_member(ring, member))
        cohorts.place_records(tx, ring, ids)  # out of their cohorts, or back in
        note = seal.seal(_owner(row.lookup), f"change {tx.now.isoformat()}", reason)
        audit.append(
            tx,
            ring,
            "hold.add" if add else "hold.remove",
            target=f"hold:{row.id}",
            details={"hold": row.id, "records": ids, "sealed_reason": note.hex()},
            actor=actor,
        )
    return h, ids


def release(db: Store, ring: Keyring, name: str, reason: str, actor: str) -> tuple[Hold, int]:
    """Release a hold (with a reason): its records stay held only if another hold covers
    them."""
    if not reason.strip():
        raise UsageError("a release needs a reason (--reason)")
    seal = NoteSeal(ring)
    with db.transaction() as tx:
        row, h = _find(tx, ring, name)
        if not h.open:
            raise UsageError(f"hold {h.name!r} was released already, on {h.released_at:%Y-%m-%d}")
        row = facts.seal_hold(
            ring,
            replace(
                row,
                released_at=tx.now,
                released_by=actor,
                release_note=seal.seal(_owner(row.lookup), "release", reason),
            ),
        )
        tx.holds.update(row)
        tx.holds.bump_version(tx.now)
        released = [m.record_id for m in tx.holds.members(row.id) if m.how != REMOVED]
        cohorts.place_records(tx, ring, released)  # back in their cohorts, unless still held
        count = tx.holds.counts().get(row.id, 0)
        audit.append(
            tx,
            ring,
            "hold.release",
            target=f"hold:{row.id}",
            details={"hold": row.id, "records": count},
            actor=actor,
        )
        return _open(seal, ring, row), count


def holds_of(tx: Tx, ring: Keyring, record_id: str) -> list[str]:
    """The names of the open holds that cover a record."""
    covering = {m.hold_id for m in tx.holds.of_records([record_id]) if m.how != REMOVED}
    return [h.name for row, h in _all(tx, ring, open_only=True) if row.id in covering]


# --- Holds at work: new records and changed tags ---------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    hold_id: int
    query: TermQuery


def _matches(q: TermQuery, new: NewRecord) -> bool:
    if not set(q.required) <= new.terms or set(q.excluded) & new.terms:
        return False
    if q.student is not None and q.student not in new.tags:
        return False
    sent = new.row.sent_at
    if q.since is not None and (sent is None or sent < q.since):
        return False
    return not (q.before is not None and (sent is None or sent >= q.before))


class HoldWatch:
    """The open holds' criteria in index terms, kept for a process that writes records; made
    again when a hold is created or released, or the index key changes."""

    def __init__(self, ring: Keyring, district: District) -> None:
        self.ring = ring
        self.district = district
        self._version: tuple[int, str] | None = None
        self._compiled: list[_Compiled] = []

    def _current(self, tx: Tx) -> list[_Compiled]:
        from archiver.archive.search import term_query  # see `create`

        version = (tx.holds.version(), self.ring.index_key()[0])
        if version != self._version:
            compiled = []
            for row, h in _all(tx, self.ring, open_only=True):
                if not h.has_criteria():
                    continue
                try:
                    compiled.append(
                        _Compiled(row.id, term_query(tx, self.ring, h.criteria, self.district))
                    )
                except UsageError:  # its student left the roster: it can catch nobody new
                    continue
            self._compiled, self._version = compiled, version
        return self._compiled

    def catch(self, tx: Tx, new: list[NewRecord]) -> int:
        """Put each new record in every open hold whose criteria it matches; how many
        placements were made."""
        compiled = self._current(tx)
        rows = [
            facts.seal_hold_member(self.ring, HoldMemberRow(c.hold_id, n.row.id, CRITERIA, tx.now))
            for n in new
            for c in compiled
            if _matches(c.query, n)
        ]
        tx.holds.insert_members(rows)
        return len(rows)


def sweep(tx: Tx, ring: Keyring, district: District, record_ids: list[str]) -> int:
    """Run every open hold's criteria again for these records (their tags or dates changed)
    and add the ones they match now; records taken out by hand stay out. How many
    placements were made."""
    if not record_ids:
        return 0
    from archiver.archive.search import matching_ids  # see `create`

    wanted = set(record_ids)
    added = 0
    for row, h in _all(tx, ring, open_only=True):
        if not h.has_criteria():
            continue
        try:
            matched = wanted.intersection(matching_ids(tx, ring, h.criteria, district))
        except UsageError:  # its student left the roster
            continue
        new = sorted(matched - tx.holds.member_ids(row.id))
        tx.holds.insert_members(_members(ring, row.id, new, CRITERIA, tx.now))
        added += len(new)
    return added
