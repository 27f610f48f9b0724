"""Key management: loading the keyring, generating, listing and rotating keys (the keys are
files; the database registers them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from archiver.crypto import envelope
from archiver.crypto.keyring import (
    COHORT,
    CURRENT,
    GENERATED,
    RETIRED,
    Keyring,
    locate_key,
    new_key_id,
    write_key_file,
)
from archiver.domain import KeyRow
from archiver.errors import ArchiverError, IntegrityError, KeyFileError
from archiver.store.db import Store, Tx

REWRAP_BATCH = 500


def load_keyring(store: Store, keys_dir: Path) -> Keyring:
    """The keyring of the registered keys, its current keys read and checked; raises
    KeyFileError. A key registered later (a cohort key another process made) is looked up
    when first needed."""

    def lookup(key_id: str) -> KeyRow | None:
        with store.reading() as tx:
            return tx.keys.get(key_id)

    with store.transaction() as tx:
        ring = Keyring(keys_dir, tx.keys.registered(), lookup)
    ring.material(ring.current_id("kek"))
    ring.material(ring.current_id("index"))
    return ring


@dataclass(frozen=True)
class KeyInfo:
    """A key as `keys list` shows it: its state, records, key file and any problem."""

    id: str
    kind: str
    state: str
    created_at: datetime
    records: int
    file: str
    problem: str | None
    series: str | None = None  # a cohort key's series and month (YYYY-MM)
    month: str | None = None
    destroyed_at: datetime | None = None


def _register(tx: Tx, keys_dir: Path, kind: str) -> str:
    key_id = new_key_id(kind, tx.now)
    material = envelope.new_key()
    write_key_file(keys_dir, key_id, material)
    tx.keys.add(KeyRow(key_id, kind, tx.now, envelope.key_check(material), CURRENT))
    return key_id


def generate_missing(store: Store, keys_dir: Path) -> list[str]:
    """Create and register a KEK and an index key where none is current; the new key ids.
    Raises KeyFileError naming the file if a current key's file is missing or unusable."""
    made = []
    with store.transaction() as tx:
        rows = tx.keys.registered()
        current = {k.kind for k in rows if k.state == CURRENT}
        ring = Keyring(keys_dir, rows)
        for kind in sorted(current & set(GENERATED)):  # an unusable key is not "present"
            ring.material(ring.current_id(kind))
        for kind in GENERATED:
            if kind not in current:
                made.append(_register(tx, keys_dir, kind))
    return made


def rotate_index_key(store: Store, keys_dir: Path) -> str:
    """Make a new index key current (the old one stays readable for the audit chain and for
    students not yet sealed again); its id. The search index must then be rebuilt."""
    return _replace(store, keys_dir, "index")


def rotate_signing_key(store: Store, keys_dir: Path) -> str:
    """Make a new signing key current; its id. Bundles signed before name the old one, which
    stays registered (and its file is kept) so `export verify` still knows it."""
    return _replace(store, keys_dir, "signing")


def _replace(store: Store, keys_dir: Path, kind: str) -> str:
    with store.transaction() as tx:
        ring = Keyring(keys_dir, tx.keys.registered())
        old = ring.current_id(kind)
        ring.material(old)  # the old key must be readable before we replace it
        tx.keys.set_state(old, RETIRED)
        return _register(tx, keys_dir, kind)


def signing_keys(store: Store, keys_dir: Path) -> tuple[dict[str, bytes], dict[str, str]]:
    """The public key of every registered signing key, current or retired, by key id; and
    the keys whose file cannot be read, with the problem (their public key is unknown)."""
    from archiver.crypto import signing  # here: every command loads a keyring, few sign

    with store.transaction() as tx:
        rows = [k for k in tx.keys.registered() if k.kind == "signing"]
    ring = Keyring(keys_dir, rows)
    known, unreadable = {}, {}
    for row in rows:
        try:
            known[row.id] = signing.public_key(ring.material(row.id))
        except KeyFileError as exc:
            unreadable[row.id] = "; ".join(exc.problems)
    return known, unreadable


def list_keys(store: Store, keys_dir: Path) -> list[KeyInfo]:
    """Every registered key (cohort keys included) with its state, use count and whether its
    file is usable (a destroyed key's: whether it is gone, and no record names it)."""
    from archiver.archive.cohorts import key_problem  # here: every command loads a keyring

    with store.transaction() as tx:
        rows = tx.keys.registered()
        counts = tx.records.count_by_kek()
    ring = Keyring(keys_dir, rows)
    out = []
    for row in rows:
        if row.kind == COHORT:
            problem = key_problem(ring, row, counts.get(row.id, 0))
        else:
            problem = None
            try:
                ring.material(row.id)  # the same checks as every use of the key
            except KeyFileError as exc:
                problem = "; ".join(exc.problems)
        out.append(
            KeyInfo(
                row.id,
                row.kind,
                row.state,
                row.created_at,
                counts.get(row.id, 0),
                str(locate_key(keys_dir, row.id, row.kind)),
                problem,
                row.series,
                row.month,
                row.destroyed_at,
            )
        )
    return out


@dataclass(frozen=True)
class RotateResult:
    """What a key rotation did: the new KEK, data keys re-wrapped and left to do."""

    kek_id: str
    created: bool
    rewrapped: int
    remaining: int


def rotate(
    store: Store,
    keys_dir: Path,
    progress: Callable[[int], None] | None = None,
) -> RotateResult:
    """Make a new KEK current and re-wrap under it every data key a KEK wraps, in resumable
    batches. Records wrapped by a cohort key stay with it (`rotate_cohorts` rotates those).

    If an earlier rotation was interrupted (records still wrapped by older KEKs), this
    finishes it under the current key instead of making another. Messages are never
    re-encrypted: only the 60-byte wrapped data keys change.
    """
    with store.transaction() as tx:
        ring = Keyring(keys_dir, tx.keys.registered())
        current = ring.current_id("kek")
        counts = tx.records.count_by_kek()
        old = _old_keks(tx.keys.registered(), current, counts)
        created = not old
        if created:
            ring.material(current)  # the old key must be readable before we replace it
            tx.keys.set_state(current, RETIRED)
            old = [current] if counts.get(current) else []
            current = _register(tx, keys_dir, "kek")
            ring = Keyring(keys_dir, tx.keys.registered())
    new_kek = ring.material(current)
    done = 0
    after = ""
    while old:
        with store.transaction() as tx:
            batch = tx.records.after(after, REWRAP_BATCH, wrapped_by=old)
            changes = []
            for rec in batch:
                try:
                    dek = envelope.unwrap(
                        ring.material(rec.kek_id), rec.kek_id, rec.id, rec.wrapped_key
                    )
                except IntegrityError as exc:
                    raise IntegrityError(f"record {rec.id}: {exc}") from None
                changes.append((rec.id, current, envelope.wrap(new_kek, current, rec.id, dek)))
            tx.records.set_wrapped_keys(changes)
        if not batch:
            break
        after = batch[-1].id
        done += len(batch)
        if progress:
            progress(done)
    with store.transaction() as tx:
        remaining = tx.records.count(wrapped_by=old) if old else 0
    if remaining:
        raise ArchiverError(f"{remaining} records are still wrapped by older keys: run again")
    return RotateResult(current, created, done, remaining)


def _old_keks(rows: list[KeyRow], current: str, counts: dict[str, int]) -> list[str]:
    """The KEKs other than `current` that still wrap records."""
    return [r.id for r in rows if r.kind == "kek" and r.id != current and counts.get(r.id)]
