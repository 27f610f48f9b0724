"""Disposal-cohort keys (DESIGN.md section 5): destruction that reaches database backups.

A database backup keeps every wrapped data key. If those keys were wrapped by a KEK that
still exists, a record destroyed in the archive would live on in every backup. So once a
record's retention says when it may go (its retain-until day is known and its series is not
permanent), its data key is wrapped by the key of its **cohort** instead: one key per
retention series and month of eligibility, a file in `<keys dir>/cohorts/`, registered like
every key. Destroying a cohort's key makes its records unreadable in every backup too.

`place` is the one entry point the retention code calls, in the transaction that writes
records' retention (ingest, reclassification, a manual series, `retention apply`): it
re-wraps each record whose key is not the one its retention calls for (only the 60-byte
wrapped key changes). A record whose retain-until becomes unknown again, or whose series
becomes permanent, goes back to the current KEK.

Disposition uses `cohort_keys_of`, `rewrap_elsewhere`, `destroy_cohort_key`, then (after
its transaction commits) `remove_key_file`, and `finish_destroyed` to complete a removal that
a crash interrupted.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from archiver.archive import audit
from archiver.crypto import envelope
from archiver.crypto.keyring import (
    COHORT,
    CURRENT,
    DESTROYED,
    RETIRED,
    Keyring,
    cohorts_dir,
    delete_key_file,
    key_filename,
    write_key_file,
)
from archiver.domain import KeyRow, RecordRow, RetentionRow
from archiver.errors import IntegrityError, KeyFileError, UsageError
from archiver.store.db import Store, Tx
from archiver.store.retention import Placement

PERMANENT = "permanent"  # a series never destroyed: its records stay with the KEK
PAGE = 2000  # records per transaction of `wrap_all` and `rotate`


@dataclass(frozen=True, order=True)
class Cohort:
    """Records of one retention series that become eligible in one month."""

    series: str
    month: str  # YYYY-MM, of the retain-until day


def cohort_of(row: RetentionRow) -> Cohort | None:
    """The cohort a record's retention puts it in; None while its retain-until is unknown or
    when its series is kept permanently (its data key stays with the KEK)."""
    return _cohort_for(row.series, row.retain_until, row.disposition)


def _cohort_for(series: str, retain_until: date | None, disposition: str) -> Cohort | None:
    if retain_until is None or disposition == PERMANENT:
        return None
    return Cohort(series, f"{retain_until:%Y-%m}")


def cohort_key_id(cohort: Cohort) -> str:
    """A readable, unique id such as cohort-SR-TMP-202703-3fa9c2 (the series code reduced to
    letters, digits and dashes, so the id is a file name and a systemd credential name)."""
    safe = re.sub(r"[^A-Za-z0-9]+", "-", cohort.series).strip("-")[:24] or "series"
    return f"{COHORT}-{safe}-{cohort.month.replace('-', '')}-{secrets.token_hex(3)}"


def _cohort(row: KeyRow) -> Cohort | None:
    if row.kind != COHORT or row.series is None or row.month is None:
        return None
    return Cohort(row.series, row.month)


class _Keys:
    """The key registry as one transaction sees it: each cohort's current key (made when a
    cohort first needs one), the current KEK, and every key's kind. The keyring learns every
    row, so a key another process registered (or retired, or destroyed) is known at once."""

    def __init__(self, tx: Tx, ring: Keyring, announce: bool = True) -> None:
        self.tx, self.ring, self.announce = tx, ring, announce
        rows = tx.keys.registered()
        self.rows = {r.id: r for r in rows}
        self.current: dict[Cohort, str] = {}
        kek = None
        for r in rows:  # oldest first: two daemons may each have made one; the first wins
            ring.learn(r)
            cohort = _cohort(r)
            if cohort is not None and r.state == CURRENT:
                self.current.setdefault(cohort, r.id)
            if r.kind == "kek" and r.state == CURRENT:
                kek = r.id
        self._kek = kek

    @property
    def kek(self) -> str:
        if self._kek is None:
            raise KeyFileError(
                ["no current kek key is registered in the database: run `archiver keys generate`"]
            )
        return self._kek

    def is_cohort(self, key_id: str) -> bool:
        row = self.rows.get(key_id)
        return row is not None and row.kind == COHORT

    def cohort(self, key_id: str) -> Cohort | None:
        row = self.rows.get(key_id)
        return _cohort(row) if row is not None else None

    def key_for(self, cohort: Cohort) -> str:
        """The current key of `cohort`, made now if it has none."""
        found = self.current.get(cohort)
        return found if found is not None else self.make(cohort)

    def make(self, cohort: Cohort) -> str:
        """A new current key for `cohort`: its file written (0600, in the cohorts directory)
        and registered in this transaction. Should the transaction roll back, the file stays
        behind, registered nowhere and wrapping nothing."""
        key_id = cohort_key_id(cohort)
        material = envelope.new_key()
        where = cohorts_dir(self.ring.keys_dir)
        try:
            write_key_file(where, key_id, material)
        except OSError as exc:
            raise KeyFileError(
                [
                    f"{where}: cannot write the new cohort key {key_id} ({exc.strerror}): "
                    "this user must be able to write the cohort keys' directory "
                    "(docs/operations.md, section 4.2)"
                ]
            ) from None
        row = KeyRow(
            key_id,
            COHORT,
            self.tx.now,
            envelope.key_check(material),
            CURRENT,
            series=cohort.series,
            month=cohort.month,
        )
        self.tx.keys.add(row)
        self.ring.learn(row, material)
        self.rows[key_id] = row
        self.current[cohort] = key_id
        if self.announce:
            audit.append(
                self.tx,
                self.ring,
                "keys.cohort",
                details={"key": key_id, "series": cohort.series, "month": cohort.month},
            )
        return key_id

    def target(self, key_id: str, cohort: Cohort | None) -> str | None:
        """The key a record wrapped by `key_id` belongs under, given its cohort; None if it
        is where it belongs. A record with no cohort stays with whichever KEK wraps it
        (`keys rotate` moves it to the current one)."""
        if cohort is None:
            return self.kek if self.is_cohort(key_id) else None
        want = self.key_for(cohort)
        return None if want == key_id else want


def _rewrap(ring: Keyring, rec: RecordRow, key_id: str) -> tuple[str, str, bytes]:
    """Record `rec`'s data key, unwrapped with its key and wrapped by `key_id`."""
    try:
        dek = envelope.unwrap(ring.material(rec.kek_id), rec.kek_id, rec.id, rec.wrapped_key)
    except IntegrityError as exc:
        raise IntegrityError(f"record {rec.id}: {exc}") from None
    return rec.id, key_id, envelope.wrap(ring.material(key_id), key_id, rec.id, dek)


def place(
    tx: Tx,
    ring: Keyring,
    rows: Iterable[RetentionRow],
    records: Mapping[str, RecordRow] | None = None,
) -> int:
    """Wrap each of these records' data keys by the key its retention (`rows`, as just
    written in `tx`) calls for: its cohort's current key, or the current KEK when it has no
    cohort or an open hold covers it; how many were re-wrapped. `records` are the rows of
    those records when the caller has them (ingest), saving a read. One registry read and
    one update statement for all of them; key files are read once per key. Raises
    IntegrityError if a data key does not unwrap, KeyFileError if a key file is missing or
    wrong."""
    wanted = {r.record_id: cohort_of(r) for r in rows}
    if not wanted:
        return 0
    # A record an open hold covers has no day of destruction while it is held: it is wrapped
    # by the KEK until the hold is released (DESIGN.md section 5), so a cohort key destroyed
    # meanwhile never held it, in this database or in a backup made after the hold.
    for rid in tx.disposition.held_among(list(wanted)):
        wanted[rid] = None
    recs = records if records is not None else _records(tx, list(wanted))
    keys: _Keys | None = None  # the registry is read only if a record may move
    changes = []
    for rid, cohort in wanted.items():
        rec = recs.get(rid)
        if rec is None or (cohort is None and not _is_cohort_key(ring, rec.kek_id)):
            continue
        keys = keys or _Keys(tx, ring)
        target = keys.target(rec.kek_id, cohort)
        if target is not None:
            changes.append(_rewrap(ring, rec, target))
    tx.records.set_wrapped_keys(changes)
    return len(changes)


def _is_cohort_key(ring: Keyring, key_id: str) -> bool:
    row = ring.row(key_id)
    return row is None or row.kind == COHORT  # unknown: let the registry say


def _records(tx: Tx, ids: list[str]) -> dict[str, RecordRow]:
    out: dict[str, RecordRow] = {}
    for i in range(0, len(ids), 500):
        out.update(tx.records.by_id(ids[i : i + 500]))
    return out


# --- Existing archives: wrapping records into their cohorts --------------------------------


@dataclass
class WrapResult:
    checked: int = 0
    rewrapped: int = 0
    files_removed: list[str] = field(default_factory=list)


def wrap_all(
    store: Store, ring: Keyring, progress: Callable[[int], None] | None = None
) -> WrapResult:
    """Put every classified record under the key its retention calls for, a page per
    transaction (so it resumes where it stopped: a record already placed is left alone),
    then finish removing the files of destroyed cohort keys."""
    result = WrapResult()
    after: str | None = None
    while True:
        with store.transaction() as tx:
            rows = tx.retention.page(after, PAGE)
            if not rows:
                break
            result.rewrapped += place(tx, ring, rows)
        result.checked += len(rows)
        after = rows[-1].record_id
        if progress:
            progress(result.checked)
    result.files_removed = finish_destroyed(store, ring.keys_dir)
    return result


# --- The listing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortKeyInfo:
    id: str
    series: str | None
    month: str | None
    state: str
    created_at: datetime
    destroyed_at: datetime | None
    records: int
    file: str
    problem: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "series": self.series,
            "month": self.month,
            "state": self.state,
            "created_at": self.created_at.isoformat(),
            "destroyed_at": self.destroyed_at.isoformat() if self.destroyed_at else None,
            "records": self.records,
            "file": self.file,
            "problem": self.problem,
        }


@dataclass(frozen=True)
class CohortReport:
    keys: list[CohortKeyInfo]
    unplaced: int  # records not (yet) under the key their retention calls for

    def to_json(self) -> dict[str, object]:
        return {"keys": [k.to_json() for k in self.keys], "unplaced": self.unplaced}


def destroyed_problem(row: KeyRow, keys_dir: Path, live: int) -> str | None:
    """What is wrong with a destroyed key: its file still exists, or live records still
    name it; None if nothing readable of it remains."""
    path = cohorts_dir(keys_dir) / key_filename(row.id)
    if live:
        return f"cohort key {row.id} is destroyed but {live} records still name it"
    if path.exists():
        return (
            f"{path}: cohort key {row.id} is destroyed but its file still exists: run "
            "`archiver keys cohorts --apply` to remove it"
        )
    return None


def key_problem(ring: Keyring, row: KeyRow, live: int) -> str | None:
    """What is wrong with a cohort key's file (for a destroyed key: see `destroyed_problem`)."""
    if row.state == DESTROYED:
        return destroyed_problem(row, ring.keys_dir, live)
    try:
        ring.material(row.id)  # the same checks as every use of the key
    except KeyFileError as exc:
        return "; ".join(exc.problems)
    return None


def report(store: Store, ring: Keyring) -> CohortReport:
    """Every cohort key with its series, month, state, how many records it wraps and any
    problem with its file; and how many records are not under their cohort's key yet."""
    with store.transaction() as tx:
        rows = tx.keys.of_kind(COHORT)
        counts = tx.records.count_by_kek()
        groups = tx.retention.placement()
        for r in rows:
            ring.learn(r)
    infos = [
        CohortKeyInfo(
            r.id,
            r.series,
            r.month,
            r.state,
            r.created_at,
            r.destroyed_at,
            counts.get(r.id, 0),
            str(cohorts_dir(ring.keys_dir) / key_filename(r.id)),
            key_problem(ring, r, counts.get(r.id, 0)),
        )
        for r in rows
    ]
    return CohortReport(infos, _unplaced(groups, {r.id: r for r in rows}))


def _unplaced(groups: Iterable[Placement], cohort_keys: dict[str, KeyRow]) -> int:
    """How many records of these groups are under another key than their retention calls
    for (a record with no cohort belongs under a KEK, any KEK)."""
    out = 0
    for g in groups:
        want = _cohort_for(g.series, g.retain_until, g.disposition)
        row = cohort_keys.get(g.key_id)
        have = _cohort(row) if row is not None else None
        if want != have:
            out += g.records
    return out


# --- Rotation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotateResult:
    created: int  # new cohort keys
    rewrapped: int
    resumed: bool  # an interrupted rotation was finished (no key made)


def rotate(
    store: Store, ring: Keyring, progress: Callable[[int], None] | None = None
) -> RotateResult:
    """Give every cohort a new key and re-wrap its records under it; the old keys are retired
    (kept: a backup made before still needs them, until disposition destroys them with their
    cohort). Resumable: while records are still wrapped by retired cohort keys, running it
    again finishes that rotation instead of starting another."""
    with store.transaction() as tx:
        keys = _Keys(tx, ring, announce=False)
        counts = tx.records.count_by_kek()
        pending = [
            r.id
            for r in keys.rows.values()
            if r.kind == COHORT and r.state == RETIRED and counts.get(r.id, 0)
        ]
        created, resumed = 0, bool(pending)
        if not resumed:
            old = [r for r in keys.rows.values() if r.kind == COHORT and r.state == CURRENT]
            for r in old:
                ring.material(r.id)  # a key must be readable before its records leave it
            for r in old:
                tx.keys.set_state(r.id, RETIRED)
                ring.learn(replace(r, state=RETIRED))
            keys = _Keys(tx, ring, announce=False)
            for cohort in sorted({c for r in old if (c := _cohort(r)) is not None}):
                keys.make(cohort)
                created += 1
            pending = [r.id for r in old if counts.get(r.id, 0)]
    done, after = 0, ""
    while pending:
        with store.transaction() as tx:
            batch = tx.records.after(after, PAGE, wrapped_by=pending)
            if not batch:
                break
            keys = _Keys(tx, ring, announce=False)
            changes = []
            for rec in batch:
                target = keys.target(rec.kek_id, keys.cohort(rec.kek_id))
                if target is not None:
                    changes.append(_rewrap(ring, rec, target))
            tx.records.set_wrapped_keys(changes)
        done += len(changes)
        after = batch[-1].id
        if progress:
            progress(done)
    return RotateResult(created, done, resumed)


# --- Disposition's API ---------------------------------------------------------------------


def cohort_keys_of(tx: Tx, record_ids: Iterable[str]) -> set[str]:
    """The cohort keys that can read these records: those wrapping them now, and the retired
    keys of the same cohorts (left by `keys rotate --cohorts`, they still open the records in
    backups made before the rotation). Destroying all of them makes the records unreadable
    in every backup. KEKs are never among them."""
    return cohort_keys_among(tx, tx.records.key_ids_of(list(record_ids)))


def cohort_keys_among(tx: Tx, wrapping: Iterable[str]) -> set[str]:
    """`cohort_keys_of` given the keys that wrap (or wrapped) the records: the cohort keys
    among them, and the retired keys of the same cohorts."""
    wrapping = set(wrapping)
    rows = {r.id: r for r in tx.keys.of_kind(COHORT)}
    cohorts = {c for k in wrapping if k in rows and (c := _cohort(rows[k])) is not None}
    return {k for k in wrapping if k in rows} | {
        r.id for r in rows.values() if r.state == RETIRED and _cohort(r) in cohorts
    }


def _cohort_row(tx: Tx, key_id: str) -> KeyRow:
    row = tx.keys.get(key_id)
    if row is None or row.kind != COHORT:
        raise UsageError(f"{key_id}: not a cohort key")
    return row


def rewrap_elsewhere(tx: Tx, ring: Keyring, key_id: str, keep: Iterable[str]) -> int:
    """Before cohort key `key_id` is destroyed: re-wrap the records it wraps that are in
    `keep` (records not being destroyed: held, or moved since) under their proper key, in
    `tx`; how many. That is their retention's cohort, or the KEK; a record that still belongs
    to `key_id`'s own cohort gets a new key for it, since `key_id` is retired here and so no
    record is wrapped by it again. Records of `key_id` not in `keep` are left to be destroyed."""
    row = _cohort_row(tx, key_id)
    if row.state == CURRENT:
        tx.keys.set_state(key_id, RETIRED)
        ring.learn(replace(row, state=RETIRED))
    recs = tx.records.wrapped_by(key_id, among=list(keep))
    if not recs:
        return 0
    kept = tx.retention.rows(r.id for r in recs)
    keys = _Keys(tx, ring)
    changes = []
    for rec in recs:
        retention = kept.get(rec.id)
        cohort = cohort_of(retention) if retention is not None else None
        target = keys.target(rec.kek_id, cohort)
        if target is not None:
            changes.append(_rewrap(ring, rec, target))
    tx.records.set_wrapped_keys(changes)
    return len(changes)


def destroy_cohort_key(tx: Tx, ring: Keyring, key_id: str) -> None:
    """Mark cohort key `key_id` destroyed in `tx` (audited). Refuses, with IntegrityError, while
    any live record (any record whose status is not `disposed`) is still wrapped by it: use
    `rewrap_elsewhere` for those first. After `tx` commits, `remove_key_file` deletes its file;
    until then nothing is lost if the transaction fails. Destroying a destroyed key does
    nothing."""
    row = _cohort_row(tx, key_id)
    if row.state == DESTROYED:
        return
    live = tx.records.count_wrapped(key_id)
    if live:
        raise IntegrityError(
            f"cohort key {key_id} still wraps {live} records that are not being destroyed: "
            "re-wrap them elsewhere first"
        )
    tx.keys.mark_destroyed(key_id, DESTROYED, tx.now)
    ring.learn(replace(row, state=DESTROYED, destroyed_at=tx.now))
    audit.append(
        tx,
        ring,
        "keys.destroy",
        details={"key": key_id, "series": row.series, "month": row.month},
    )


def remove_key_file(keys_dir: Path, key_id: str) -> bool:
    """Delete a destroyed cohort key's file and flush the directory (call it after the
    transaction that marked the key destroyed has committed); whether a file was there."""
    return delete_key_file(cohorts_dir(keys_dir) / key_filename(key_id))


def finish_destroyed(store: Store, keys_dir: Path) -> list[str]:
    """Remove the file of every key marked destroyed whose file still exists (a run killed
    between its commit and the removal is completed by this); the ids removed."""
    with store.transaction() as tx:
        rows = tx.keys.of_kind(COHORT, DESTROYED)
    return [r.id for r in rows if remove_key_file(keys_dir, r.id)]


def destroyed_key_problems(tx: Tx, keys_dir: Path) -> list[tuple[str, str]]:
    """For `verify`: every destroyed key of which something readable remains (its file, or a
    live record naming it), as (key id, problem)."""
    out = []
    live = tx.records.count_by_kek()
    for row in tx.keys.of_kind(COHORT, DESTROYED):
        problem = destroyed_problem(row, keys_dir, live.get(row.id, 0))
        if problem:
            out.append((row.id, problem))
    return out


def place_records(tx: Tx, ring: Keyring, record_ids: Iterable[str]) -> int:
    """`place` for records whose holds changed (a hold placed, records added or taken out,
    a hold released), from their retention as it is; how many were re-wrapped."""
    rows = tx.retention.rows(sorted(set(record_ids)))
    return place(tx, ring, rows.values())
