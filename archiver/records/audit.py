"""The hash-chained audit log: appending events and proving nothing was edited or removed.

Each event's hash is an HMAC, under a key derived from the index key, of the event and the
previous event's hash. Someone with write access to the database but not the key files can
neither edit an event nor forge a replacement chain. A one-row head names the newest event,
so removing events from the end is noticed too.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from archiver.crypto import envelope
from archiver.errors import ArchiverError
from archiver.keys import Keyring
from archiver.store.repository import AuditRow, Store, StoreTx

GENESIS = bytes(32)
_PAGE = 1000


def current_actor() -> str:
    """Who is acting: $ARCHIVER_ACTOR (set by a front end) or the operating-system user."""
    actor = os.environ.get("ARCHIVER_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


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
    tx: StoreTx,
    ring: Keyring,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    actor: str | None = None,
    now: datetime | None = None,
) -> int:
    """Add an event in transaction `tx` (ids and counts only, never content); its number."""
    head = tx.lock_audit_head()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    key_id = ring.current_id("index")
    at = now or datetime.now(UTC)
    who = actor or current_actor()
    text = json.dumps(details or {}, sort_keys=True, separators=(",", ":"))
    digest = envelope.mac(
        ring.audit_key(key_id), _canonical(seq, at, who, action, target, text, key_id, prev)
    )
    tx.append_audit(
        AuditRow(seq, at, who, action, target, text, key_id, prev, digest), first=head is None
    )
    return seq


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


@dataclass(frozen=True)
class AuditReport:
    checked: int
    head_seq: int
    head_hash: str
    broken_seq: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(store: Store, ring: Keyring) -> AuditReport:
    """Walk the whole chain; the report names the first broken event, if any."""
    prev = GENESIS
    expected = 1
    checked = 0
    keys: dict[str, bytes] = {}

    def broken(seq: int, problem: str) -> AuditReport:
        return AuditReport(checked, expected - 1, prev.hex(), seq, problem)

    while True:
        with store.transaction() as tx:
            page = tx.audit_events(expected - 1, _PAGE)
            head = tx.audit_head() if not page else None
        for ev in page:
            if ev.seq != expected:
                return broken(expected, f"event {expected} is missing (next is {ev.seq})")
            if ev.prev_hash != prev:
                return broken(
                    ev.seq,
                    f"event {ev.seq} ({ev.action}): link to the previous "
                    "event is broken (an earlier event was altered)",
                )
            try:
                key = keys.get(ev.key_id) or ring.audit_key(ev.key_id)
            except ArchiverError as exc:
                return broken(ev.seq, f"event {ev.seq}: cannot check: {exc}")
            keys[ev.key_id] = key
            want = envelope.mac(
                key,
                _canonical(
                    ev.seq,
                    ev.at,
                    ev.actor,
                    ev.action,
                    ev.target,
                    ev.details,
                    ev.key_id,
                    ev.prev_hash,
                ),
            )
            if want != ev.hash:
                return broken(
                    ev.seq,
                    f"event {ev.seq} ({ev.action} by {ev.actor} at "
                    f"{ev.at:%Y-%m-%d %H:%M:%S}): content does not match "
                    "its hash (the event was altered)",
                )
            prev = ev.hash
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
    return AuditReport(checked, last, prev.hex(), None, None)
