"""Reading the audit log: events in order, filtered, each checked against its keyed hash and
its link to the event before it.

Reading the log is not itself audited: the events hold ids, counts and names, no record
content, and anyone who can read the database can read them without the archiver, so an event
per read would only grow the chain (and serialise every reader on its head).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from archiver.archive.audit import GENESIS, ChainCheck
from archiver.clock import District
from archiver.crypto.keyring import Keyring
from archiver.domain import AuditQuery, AuditRow, is_record_id
from archiver.errors import UsageError
from archiver.store.db import Store

PAGE = 500  # events read per transaction


@dataclass(frozen=True)
class LoggedEvent:
    event: AuditRow
    details: Any  # the details as JSON values, or the stored text if it is not JSON
    problem: str | None  # why the event does not verify, or None


def read_log(
    db: Store, ring: Keyring, query: AuditQuery, limit: int | None = None, after: int = 0
) -> Iterator[LoggedEvent]:
    """The events matching `query` in order (at most `limit`, numbered after `after`: the
    next page of a listing), a page per transaction, each checked: its own hash, and that the
    event before it exists with the hash it links to."""
    check = ChainCheck(ring)
    left = limit
    while left is None or left > 0:
        size = PAGE if left is None else min(PAGE, left)
        with db.reading() as tx:  # only looks: no write lock
            page = tx.audit.matching(query, after, size)
        yield from (_checked(check, ev, before) for ev, before in page)
        if len(page) < size:
            return
        after = page[-1][0].seq
        if left is not None:
            left -= len(page)


def about_record(
    db: Store, ring: Keyring, record_id: str, limit: int
) -> tuple[list[LoggedEvent], int]:
    """The newest `limit` events about a record, newest first (each checked), and how many
    there are in all."""
    with db.reading() as tx:
        page = tx.audit.matching(AuditQuery(record=record_id), 0, limit, newest_first=True)
        total = tx.audit.count_about(record_id)
    check = ChainCheck(ring)
    return [_checked(check, ev, before) for ev, before in page], total


def _checked(check: ChainCheck, ev: AuditRow, before: bytes | None) -> LoggedEvent:
    """An event with what is wrong with it: its own hash, or its link to the event before it
    (`before`: that event's hash, None if it is missing)."""
    prev = GENESIS if ev.seq == 1 else before
    if prev is None:
        problem: str | None = f"event {ev.seq - 1}, the one before event {ev.seq}, is missing"
    else:
        problem = check.problem(ev, prev)
    return LoggedEvent(ev, _details(ev.details), problem)


def last_event(db: Store, ring: Keyring, action: str) -> LoggedEvent | None:
    """The newest event of exactly `action` (checked), or None: what `status` shows of the
    last `verify`. Reads that action's events in order (a few a day at most)."""
    found = None
    for item in read_log(db, ring, AuditQuery(action=action)):
        if item.event.action == action:
            found = item
    return found


def _details(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def record_id(db: Store, given: str) -> str:
    """The full id of record `given` (an id or a unique prefix, as `show` takes it); a full id
    is taken as it is even when the record is gone (its events remain). Raises UsageError."""
    key = given.strip().lower()
    with db.transaction() as tx:
        try:
            return tx.records.get(given, destroyed=True).id
        except UsageError:
            if is_record_id(key):
                return key
            raise


def day_or_time(text: str) -> date | datetime:
    """A day (YYYY-MM-DD) or an ISO 8601 time, as `audit log --since/--until` take them;
    raises UsageError naming the text for anything else."""
    value = text.strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{text!r} is neither a day (YYYY-MM-DD) nor an ISO 8601 time "
            "(YYYY-MM-DDTHH:MM[:SS][+HH:MM])"
        ) from None


def period(
    district: District, since: date | datetime | None, until: date | datetime | None
) -> tuple[datetime | None, datetime | None]:
    """The moments (since, before) for a period given as days (the district's, whole) or
    times (a time without an offset is the district's): `since` inclusive, `before`
    exclusive. Raises UsageError if the period ends before it begins."""
    start = _moment(district, since, end=False)
    before = _moment(district, until, end=True)
    if start is not None and before is not None and before <= start:
        raise UsageError(f"--until {until} is before --since {since}: no time is in between")
    return start, before


def _moment(district: District, value: date | datetime | None, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # before `date`: a datetime is a date too
        when = value if value.tzinfo else value.replace(tzinfo=district.zone)
        return when + timedelta(microseconds=1) if end else when  # an --until time counts
    return district.start(value + timedelta(days=1) if end else value)
