"""What a migration cannot do, done by `archiver db upgrade` once the schema is current: it
has no keys, so the facts of rows written before they were authenticated, the positions of
old arrivals (and the duplicate arrivals a re-run used to record) and the digests of old index
entries are filled in here, in resumable batches, trusting the rows as they stand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from archiver.archive import audit, facts
from archiver.archive.index_check import authenticate_entries
from archiver.crypto import sealing
from archiver.crypto.keyring import Keyring
from archiver.domain import ArrivalRow
from archiver.errors import ArchiverError
from archiver.store.db import Store, Tx

_PAGE = 500


@dataclass
class UpgradeReport:
    records: int = 0
    arrivals: int = 0
    duplicate_arrivals: int = 0
    tags: int = 0
    students: int = 0
    index_entries: int = 0
    failed: list[str] | None = None  # records whose arrivals could not be opened

    @property
    def changed(self) -> bool:
        return any((self.records, self.arrivals, self.tags, self.students, self.index_entries))


def _records(db: Store, ring: Keyring, report: UpgradeReport) -> None:
    after = ""
    while True:
        with db.transaction() as tx:
            page = tx.records.after(after, _PAGE, unauthenticated=True)
            tx.records.set_facts([(r.id, facts.seal_record(ring, r).facts or b"") for r in page])
        if not page:
            return
        after = page[-1].id
        report.records += len(page)


def _arrivals(db: Store, ring: Keyring, report: UpgradeReport) -> None:
    after = 0
    failed: list[str] = []
    while True:
        with db.transaction() as tx:
            page = tx.records.unauthenticated_arrivals(after, _PAGE)
            _place(tx, ring, page, report, failed)
        if not page:
            break
        after = page[-1][0]
    report.failed = sorted(set(failed)) or None


def _place(
    tx: Tx,
    ring: Keyring,
    page: list[tuple[int, ArrivalRow]],
    report: UpgradeReport,
    failed: list[str],
) -> None:
    """Give old arrivals a position and facts; of several at the same place, keep one."""
    taken = tx.records.positions_of(sorted({a.record_id for _, a in page}))
    rows = tx.records.by_id(sorted({a.record_id for _, a in page}))
    duplicates: list[int] = []
    updates: list[tuple[int, bytes, bytes]] = []
    for row_id, a in page:
        position = a.position
        if position is None:
            try:
                key = sealing.data_key(ring, rows[a.record_id])
                label = sealing.open_locator(key, a.record_id, a.locator) if a.locator else ""
            except ArchiverError:
                failed.append(a.record_id)  # `archiver verify` says why
                continue
            source = f"{a.source_kind}:{a.source_name}"
            position = sealing.arrival_position(key, a.record_id, source, label, a.uidvalidity)
            if (a.record_id, position) in taken:
                duplicates.append(row_id)
                continue
            taken.add((a.record_id, position))
        sealed = facts.seal_arrival(ring, replace(a, position=position))
        updates.append((row_id, position, sealed.facts or b""))
    tx.records.delete_arrivals(duplicates)
    tx.records.set_arrival_places(updates)
    report.arrivals += len(updates)
    report.duplicate_arrivals += len(duplicates)


def _tags(db: Store, ring: Keyring, report: UpgradeReport) -> None:
    while True:
        with db.transaction() as tx:
            page = tx.roster.unauthenticated_tags(_PAGE)
            tx.roster.set_tag_facts([facts.seal_tag(ring, t) for t in page])
        if not page:
            return
        report.tags += len(page)


def _students(db: Store, ring: Keyring, report: UpgradeReport) -> None:
    with db.transaction() as tx:
        rows = [s for s in tx.roster.students() if s.facts is None]
        for s in rows:
            tx.roster.set_student_facts(s.id, facts.seal_student(ring, s).facts or b"")
    report.students = len(rows)


def authenticate_existing(
    db: Store, ring: Keyring, progress: Callable[[str], None] | None = None
) -> UpgradeReport:
    """Authenticate every row written before this version; resumable (each batch commits, and
    a row done is not done again). Audited when it changed anything."""
    report = UpgradeReport()
    for name, step in (
        ("records", _records),
        ("arrivals", _arrivals),
        ("tags", _tags),
        ("students", _students),
    ):
        if progress:
            progress(name)
        step(db, ring, report)
    report.index_entries = authenticate_entries(db, ring)
    if report.changed:
        audit.record_event(
            db,
            ring,
            "upgrade.authenticate",
            details={
                "records": report.records,
                "arrivals": report.arrivals,
                "duplicate_arrivals_removed": report.duplicate_arrivals,
                "tags": report.tags,
                "students": report.students,
                "index_entries": report.index_entries,
                "failed": report.failed or [],
            },
        )
    return report
