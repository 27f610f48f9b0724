"""The hash-chained audit log: appending events and proving nothing was edited or removed.

Each event's hash is an HMAC, under a key derived from the index key, of the event and the
previous event's hash. Someone with write access to the database but not the key files can
neither edit an event nor forge a replacement chain. A one-row head names the newest event,
so removing events from the end is noticed too. Losing the end of the log together with its
head (a database restored from an older backup, a deleted SQLite WAL) is noticed against a
copy of the head kept outside the database: the anchor file written after every commit, or a
head the daemon logged (`--expect-head`). Ingest events name every record they created, and
the check confirms each still exists. The index of the records each event is about (what a
record's audit trail reads) is checked against the events too.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archiver.archive.actor import current_actor
from archiver.crypto import envelope
from archiver.crypto.keyring import Keyring
from archiver.domain import AuditRow
from archiver.errors import ArchiverError, UsageError
from archiver.store.db import Store, Tx

GENESIS = bytes(32)
_PAGE = 1000
_HEAD = re.compile(r"^\s*(\d+):([0-9a-fA-F]{64})\s*$")
MISSING_LISTED = 20  # missing records named in the report; the count covers them all
log = logging.getLogger(__name__)


def parse_head(text: str) -> tuple[int, bytes]:
    """A head written as SEQ:HASH (64 hex digits); raises ValueError."""
    m = _HEAD.match(text)
    if not m:
        raise ValueError(f"not an audit head {text.strip()!r}: expected SEQ:HASH (64 hex digits)")
    return int(m.group(1)), bytes.fromhex(m.group(2))


def format_head(seq: int, digest: bytes) -> str:
    return f"{seq}:{digest.hex()}"


def read_anchor(path: Path) -> tuple[int, bytes] | None:
    """The head kept in an anchor file, or None if there is none yet; raises ValueError if it
    is unreadable or not a head."""
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the audit anchor: {exc}") from None
    try:
        return parse_head(text)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


class _LockFiles:
    """The anchor locks' descriptors open in this process. A process forked while a thread
    holds one (an ingest worker, forked while the pipeline's committer writes the anchor)
    would share the `flock` and keep it after the parent let go: every later anchor write
    would wait forever. The child closes its copies at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # opening and noting a descriptor is one step for fork
        self._open: set[int] = set()

    def open(self, path: Path) -> int:
        with self._lock:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            self._open.add(fd)
            return fd

    def close(self, fd: int) -> None:
        with self._lock:
            self._open.discard(fd)
            os.close(fd)

    def before_fork(self) -> None:
        self._lock.acquire()

    def after_fork_in_parent(self) -> None:
        self._lock.release()

    def after_fork_in_child(self) -> None:
        for fd in self._open:
            os.close(fd)
        self._open.clear()
        self._lock.release()


_lock_files = _LockFiles()
os.register_at_fork(
    before=_lock_files.before_fork,
    after_in_parent=_lock_files.after_fork_in_parent,
    after_in_child=_lock_files.after_fork_in_child,
)


def write_anchor(path: Path, seq: int, digest: bytes) -> None:
    """Record head (seq, digest) in the anchor file unless it already holds a later event
    (several processes commit; the file only moves forward). Durable before it returns.
    Raises ValueError if the file is damaged (it is left as it is, for someone to look at),
    OSError."""
    held = _lock_files.open(path.parent)  # the directory is the lock: no stray file
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        current = read_anchor(path)
        if current is not None and current[0] >= seq:
            return
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, (format_head(seq, digest) + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        os.fsync(held)
    finally:
        _lock_files.close(held)  # releases the lock


def anchor_store(store: Store, path: Path | None) -> None:
    """Copy the audit head to `path` after every commit of `store` that appended events, as
    long as the event the file names is still in the log as it was: once the database has
    lost events (the file is ahead of it, or names an event it holds differently), the file
    is left as it is, evidence for `audit verify`, however many events follow."""
    if path is None:
        return
    store.on_audit = _AnchorCopier(store, path)


class _AnchorCopier:
    """Writes the anchor after commits, one thread at a time and always the newest head it
    has been told of: threads committing together (the web server's) share one durable
    write instead of queueing for one each. A commit returns once the file holds its event
    or a later one (or writing it failed, which is logged), as if it had written it itself.

    Before moving the file forward it checks that the event the file names is still in the
    log. A commit that chained onto that very event (read under the write lock) proves it:
    the log is then not read again. Otherwise (another process wrote the file, or this
    process's commits chained onto other heads) it is read."""

    def __init__(self, store: Store, path: Path) -> None:
        self._store = store
        self._path = path
        self._turn = threading.Condition()
        self._newest: tuple[int, bytes] = (0, GENESIS)  # the newest head committed
        self._done = 0  # the newest event whose copy has been attempted
        self._busy = False
        self._chained: set[tuple[int, bytes]] = set()  # heads commits chained onto

    def __call__(self, seq: int, digest: bytes, chained_onto: tuple[int, bytes] | None) -> None:
        with self._turn:
            if seq > self._newest[0]:
                self._newest = (seq, digest)
            if chained_onto is not None:
                self._chained.add(chained_onto)
            while self._busy and self._done < seq:
                self._turn.wait()
            if self._done >= seq:
                return  # another thread wrote this event's head or a later one
            self._busy = True
            head = self._newest
            proven = frozenset(self._chained)
        try:
            self._copy(*head, proven)
        finally:
            with self._turn:
                self._busy = False
                self._done = max(self._done, head[0])
                # The file now names `head` or a later event (or was left as it was): older
                # heads prove nothing it will hold.
                self._chained = {h for h in self._chained if h[0] >= head[0]}
                self._turn.notify_all()

    def _copy(self, seq: int, digest: bytes, proven: frozenset[tuple[int, bytes]]) -> None:
        path = self._path
        try:
            kept = read_anchor(path)
            if kept is not None and kept[0] < seq and kept not in proven:
                with self._store.reading() as tx:  # no write lock: this only looks
                    there = tx.audit.events(kept[0] - 1, 1)
                if not there or there[0].seq != kept[0] or there[0].hash != kept[1]:
                    log.error(
                        "the audit anchor %s names event %d, which the database no longer holds "
                        "as it was: events were lost (run `archiver audit verify`); the anchor "
                        "is kept as it is",
                        path,
                        kept[0],
                    )
                    return
            write_anchor(path, seq, digest)
        except OSError as exc:  # the record is committed; say so, loudly, and carry on
            log.error("cannot write the audit anchor %s: %s", path, exc.strerror or exc)
        except ValueError as exc:
            log.error("%s; it is left as it is: `archiver audit verify` reports it", exc)
        except ArchiverError as exc:
            log.error("cannot check the audit anchor %s against the log: %s", path, exc)


def _canonical(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str | None,
    details: str,
    key_id: str,
    prev: bytes,
) -> bytes:
    doc = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(),
        "actor": actor,
        "action": action,
        "target": target,
        "details": details,
        "key_id": key_id,
        "prev": prev.hex(),
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def append(
    tx: Tx,
    ring: Keyring,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    actor: str | None = None,
) -> int:
    """Add an event in transaction `tx`, at its time (ids and counts only, never content);
    its number."""
    head = tx.audit.lock_head()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    key_id = ring.current_id("index")
    at = tx.now
    who = actor or current_actor()
    text = json.dumps(details or {}, sort_keys=True, separators=(",", ":"))
    digest = envelope.mac(
        ring.audit_key(key_id), _canonical(seq, at, who, action, target, text, key_id, prev)
    )
    tx.audit.append(
        AuditRow(seq, at, who, action, target, text, key_id, prev, digest), first=head is None
    )
    return seq


def head(store: Store) -> str | None:
    """The newest event as SEQ:HASH (what to keep elsewhere for `--expect-head`), or None."""
    with store.transaction() as tx:
        found = tx.audit.head()
    return format_head(*found) if found else None


def record_event(
    store: Store,
    ring: Keyring,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one event in its own transaction; its number."""
    with store.transaction() as tx:
        return append(tx, ring, action, target, details)


class ChainCheck:
    """Checks events one at a time against their keyed hash and the hash of the event before
    them (each key derived once)."""

    def __init__(self, ring: Keyring) -> None:
        self._ring = ring
        self._keys: dict[str, bytes] = {}

    def problem(self, ev: AuditRow, prev: bytes) -> str | None:
        """What is wrong with event `ev`, which follows an event whose hash is `prev`
        (GENESIS for the first), or None if it is intact and linked."""
        if ev.prev_hash != prev:
            return (
                f"event {ev.seq} ({ev.action}): link to the previous event is broken (an "
                "earlier event was altered)"
            )
        try:
            key = self._keys.get(ev.key_id) or self._ring.audit_key(ev.key_id)
        except ArchiverError as exc:
            return f"event {ev.seq}: cannot check: {exc}"
        self._keys[ev.key_id] = key
        text = _canonical(
            ev.seq, ev.at, ev.actor, ev.action, ev.target, ev.details, ev.key_id, ev.prev_hash
        )
        if envelope.mac(key, text) != ev.hash:
            return (
                f"event {ev.seq} ({ev.action} by {ev.actor} at {ev.at:%Y-%m-%d %H:%M:%S}): "
                "content does not match its hash (the event was altered)"
            )
        return None


@dataclass(frozen=True)
class AuditReport:
    """What `audit verify` found: events checked, the chain's head, the first break."""

    checked: int
    head_seq: int
    head_hash: str
    broken_seq: int | None
    problem: str | None
    records_named: int = 0  # records ingest events say were created
    missing: list[str] = field(default_factory=list)  # the first MISSING_LISTED of them
    missing_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None


def _created(action: str, details: str) -> list[tuple[str, str | None]]:
    """The records an event says it created: (id, SHA-256 in hex, when the event has it)."""
    if action != "ingest":
        return []
    try:
        doc = json.loads(details)
        records = doc.get("records") or []
        digests = doc.get("sha256") or []
    except (ValueError, AttributeError):
        return []
    if len(digests) != len(records):  # written before events named the hashes
        digests = [None] * len(records)
    return [(r, d) for r, d in zip(records, digests, strict=True) if isinstance(r, str)]


def _index_problem(ev: AuditRow, indexed: set[str]) -> str | None:
    """What is wrong with the records the index (`audit_mention`) lists intact event `ev`
    under, or None if they are the records it is about."""
    named = ev.mentions()
    if indexed == named:
        return None
    if named - indexed:
        rid = min(named - indexed)
        return (
            f"event {ev.seq} ({ev.action}) names record {rid}, but the index of the records "
            f"events are about does not list it there: the record's audit trail (`audit log "
            f"--record {rid}`) leaves the event out (a row of audit_mention was removed)"
        )
    rid = min(indexed - named)
    return (
        f"event {ev.seq} ({ev.action}) does not name record {rid}, but the index of the "
        f"records events are about lists it there (a row of audit_mention was added or altered)"
    )


def _against(
    expected: tuple[int, bytes], last: int, hashes: dict[int, bytes], where: str
) -> str | None:
    """What is wrong with the chain against a head kept elsewhere, or None."""
    seq, digest = expected
    then = (
        "and with them any records they name: run `archiver reconcile`, then move the anchor "
        "file aside (keep it: it is evidence)"
    )
    if seq > last:
        return (
            f"{where} names event {seq}, but the log ends at event {last}: events "
            f"{last + 1}-{seq} were lost with the database (restored from an older backup? a "
            f"lost SQLite WAL?), {then}"
        )
    if hashes.get(seq) != digest:
        return (
            f"event {seq} is not the event {where} names: the log was cut back (restored "
            f"from an older backup? a lost SQLite WAL?) and written again since, or rewritten; "
            f"events were lost with the database, {then}"
        )
    return None


def verify(
    store: Store,
    ring: Keyring,
    expect_head: tuple[int, bytes] | None = None,
    anchor: Path | None = None,
) -> AuditReport:
    """Walk the whole chain, check that every record ingest created still exists and that the
    index of the records each event is about agrees with the events, and compare with a head
    kept elsewhere (`expect_head`, and the anchor file); the report names the first problem.
    Raises UsageError if the anchor file is damaged."""
    prev = GENESIS
    expected = 1
    checked = 0
    check = ChainCheck(ring)
    named = 0
    missing: list[str] = []
    missing_count = 0
    anchored = _anchor_head(anchor)
    heads = [
        (kept, where)
        for kept, where in ((expect_head, "--expect-head"), (anchored, str(anchor)))
        if kept is not None
    ]
    wanted = {kept[0] for kept, _ in heads}
    hashes: dict[int, bytes] = {}

    def broken(seq: int, problem: str) -> AuditReport:
        return AuditReport(checked, expected - 1, prev.hex(), seq, problem)

    while True:
        with store.transaction() as tx:
            page = tx.audit.events(expected - 1, _PAGE)
            head = tx.audit.head() if not page else None
            indexed = tx.audit.mentions(expected, page[-1].seq) if page else {}
            created = dict(c for ev in page for c in _created(ev.action, ev.details))
            gone = sorted(set(created) - tx.records.existing_ids(list(created))) if created else []
            # A record `reconcile` brought back has a new id but the same bytes.
            digests = {r: bytes.fromhex(h) for r in gone if (h := created[r])}
            back = tx.records.known_hashes(list(digests.values()))
            gone = [r for r in gone if digests.get(r) not in back]
        named += len(created)
        missing_count += len(gone)
        missing += gone[: MISSING_LISTED - len(missing)]
        for ev in page:
            if ev.seq != expected:
                return broken(expected, f"event {expected} is missing (next is {ev.seq})")
            problem = check.problem(ev, prev) or _index_problem(ev, indexed.get(ev.seq, set()))
            if problem:
                return broken(ev.seq, problem)
            prev = ev.hash
            if ev.seq in wanted:
                hashes[ev.seq] = ev.hash
            expected += 1
            checked += 1
        if not page:
            break
    last = expected - 1
    if head is None:
        if last:
            return broken(last, "the chain head is missing (the log was tampered with)")
    elif head[0] != last or head[1] != prev:
        return broken(
            head[0] if head[0] > last else last,
            f"the chain head names event {head[0]} but the log ends at event {last} "
            "(events were removed from the end)",
        )
    for kept, where in heads:
        problem = _against(kept, last, hashes, where)
        if problem:
            return broken(kept[0], problem)
    problem = None
    if missing_count:
        problem = (
            f"{missing_count} of the {named} records that ingest events name are missing from "
            f"the database (first: {', '.join(missing[:5])}): run `archiver reconcile`"
        )
    return AuditReport(checked, last, prev.hex(), None, problem, named, missing, missing_count)


def _anchor_head(anchor: Path | None) -> tuple[int, bytes] | None:
    if anchor is None:
        return None
    try:
        return read_anchor(anchor)
    except ValueError as exc:
        raise UsageError(f"{exc}: remove it, and check the log with --expect-head") from None
