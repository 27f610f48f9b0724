"""Each student's access log (603 CMR 23.07(1), 34 CFR 99.32): every display, export or
disclosure of a record tagged with a student, by whom, when and what for.

Written in the transaction of the access, beside its audit event (whose number it keeps), one
row per (student, record); the purpose is sealed (it can name people).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from archiver.archive import audit
from archiver.archive.actor import current_actor
from archiver.archive.roster import RosterSeal, load_roster
from archiver.crypto.keyring import Keyring
from archiver.crypto.notes import NoteSeal
from archiver.domain import AccessRow
from archiver.errors import UsageError
from archiver.store.db import Store, Tx


def log(
    tx: Tx,
    ring: Keyring,
    record_ids: list[str],
    action: str,
    audit_seq: int,
    purpose: str | None = None,
) -> int:
    """Log an access to each student tagged on these records (none when none is tagged);
    how many rows."""
    tags = tx.roster.tag_rows(record_ids)
    if not tags:
        return 0
    who = current_actor()
    seal = NoteSeal(ring)
    rows = [
        AccessRow(
            t.student_id,
            tx.now,
            who,
            action,
            t.record_id,
            audit_seq,
            seal.seal(_owner(t.student_id, audit_seq), "purpose", purpose) if purpose else None,
        )
        for t in tags
    ]
    tx.requests.log_access(rows)
    return len(rows)


def _owner(student_row: int, audit_seq: int) -> str:
    return f"access:{student_row}:{audit_seq}"


@dataclass(frozen=True)
class Access:
    at: datetime
    actor: str
    action: str
    records: list[str]
    purpose: str | None


def access_log(
    db: Store, ring: Keyring, student_id: str, since: datetime | None = None
) -> list[Access]:
    """Who saw a student's records: one entry per access (an audit event), with the records
    seen; audited as a read (`students.access-log`)."""
    seal = NoteSeal(ring)
    with db.transaction() as tx:
        row = tx.roster.student_by_lookup(RosterSeal(ring).lookup(student_id))
        if row is None:
            load_roster(tx, ring)  # the roster's facts are checked before saying "unknown"
            raise UsageError(f"no student {student_id} in the roster")
        entries: dict[int, Access] = {}
        for a in tx.requests.accesses(row.id, since):
            found = entries.get(a.audit_seq)
            if found is None:
                purpose = (
                    seal.open(_owner(a.student_id, a.audit_seq), "purpose", a.purpose)
                    if a.purpose
                    else None
                )
                entries[a.audit_seq] = Access(a.at, a.actor, a.action, [a.record_id], purpose)
            else:
                found.records.append(a.record_id)
        audit.append(
            tx,
            ring,
            "students.access-log",
            target=f"student:{row.id}",
            details={"entries": len(entries)},
        )
    return list(entries.values())
