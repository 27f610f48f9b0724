"""Student tags on records: re-tagging after a roster change, and tags set by hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from archiver import sealing
from archiver.errors import ArchiverError, UsageError
from archiver.keys import Keyring
from archiver.records import audit
from archiver.records.roster import Roster, RosterSeal, load_roster
from archiver.store.repository import Store, StoreTx
from archiver.understand.parse import parse

_PAGE = 200


@dataclass(frozen=True)
class RetagResult:
    checked: int
    changed: int
    failed: list[str]  # record ids that could not be opened


def retag_all(
    db: Store, ring: Keyring, progress: Callable[[int], None] | None = None
) -> RetagResult:
    """Tag every record again with the current roster; manual tags and removals are kept."""
    with db.transaction() as tx:
        roster = load_roster(tx, ring)
    checked = changed = 0
    failed: list[str] = []
    after = ""
    while True:
        with db.transaction() as tx:
            page = tx.records_after(after, _PAGE)
            now = datetime.now(UTC)
            for row in page:
                checked += 1
                try:
                    key = sealing.data_key(ring, row)
                    raw = sealing.open_raw(key, row, tx.get_part(row.id, sealing.RAW))
                except ArchiverError:
                    failed.append(row.id)  # `verify` names the damage; tagging goes on
                    continue
                found = roster.tagger.tag(parse(raw).tag_input())
                tags = {roster.row_ids[sid]: src for sid, src in found.items()}
                before = {k: v for k, v in tx.tags(row.id).items() if v != "manual"}
                if tags != before:
                    tx.set_automatic_tags(row.id, tags, now)
                    changed += 1
        if not page:
            break
        after = page[-1].id
        if progress:
            progress(checked)
    audit.record_event(
        db,
        ring,
        "tags.retag",
        details={
            "checked": checked,
            "changed": changed,
            "roster_version": roster.version,
            "failed": failed,
        },
    )
    return RetagResult(checked, changed, failed)


def _student_row(tx: StoreTx, ring: Keyring, student_id: str) -> int:
    row = tx.student_by_lookup(RosterSeal(ring).lookup(student_id.strip()))
    if row is None:
        raise UsageError(f"no student with id {student_id} in the roster")
    return row.id


def add_tag(db: Store, ring: Keyring, record_id: str, student_id: str) -> str:
    """Tag a record with a student by hand; the full record id."""
    with db.transaction() as tx:
        rec = tx.get_record(record_id)
        sid = _student_row(tx, ring, student_id)
        tx.add_manual_tag(rec.id, sid, datetime.now(UTC))
        audit.append(tx, ring, "tag.add", target=rec.id, details={"student": sid})
    return rec.id


def remove_tag(db: Store, ring: Keyring, record_id: str, student_id: str) -> tuple[str, bool]:
    """Remove a tag by hand, for good; the full record id and whether a tag was there."""
    with db.transaction() as tx:
        rec = tx.get_record(record_id)
        sid = _student_row(tx, ring, student_id)
        had = tx.remove_tag(rec.id, sid, datetime.now(UTC))
        audit.append(tx, ring, "tag.remove", target=rec.id, details={"student": sid})
    return rec.id, had


def record_students(tx: StoreTx, roster: Roster, record_id: str) -> list[dict[str, str]]:
    """The `students` of `show --json`: id, name and tag source of each tag."""
    out = []
    for row_id, source in sorted(tx.tags(record_id).items()):
        s = roster.students.get(row_id)
        if s is not None:
            out.append({"id": s.student_id, "name": s.name, "source": source})
    return out
