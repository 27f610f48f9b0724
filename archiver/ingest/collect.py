"""Collecting from configured sources: one poll cycle of one source, and source status.

A cycle claims the source's lease, fetches what is waiting, runs it through the pipeline, and
only after each transaction commits moves those messages out of the mailbox: to the archived
folder, or to the quarantine folder when their record is quarantined. A crash at any point
leaves each message either waiting (to be fetched again; dedup makes that harmless) or
archived and filed. Messages that cannot be archived (too large; in a maildir, anything but a
regular file) stay where they are and are reported every cycle.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from archiver.archive import audit
from archiver.clock import District
from archiver.domain import SourceStateRow
from archiver.errors import ArchiverError, SourceBusy
from archiver.ingest import prepare
from archiver.ingest.pipeline import Pipeline
from archiver.ingest.prepare import Outcome
from archiver.settings import IMAP, Settings, SourceSettings, parse_duration
from archiver.sources.arrival import Arrival, Message
from archiver.sources.auth import Authenticator
from archiver.sources.imap import Mailbox, batches
from archiver.sources.maildir import LocalMaildir
from archiver.store.db import Store

log = logging.getLogger(__name__)
QUARANTINED_RECORD = "quarantined"
LEASE_RETRY = 2.0  # seconds between tries while waiting for a busy source's lease


@dataclass
class PollReport:
    """What one cycle of one source did (the `poll --json` entry)."""

    source: str
    fetched: int = 0
    archived: int = 0
    duplicates: int = 0
    quarantined: int = 0
    moved: int = 0
    failed: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)

    def tally(self, outcomes: list[Outcome]) -> None:
        for o in outcomes:
            if o.status == prepare.ARCHIVED:
                self.archived += 1
            elif o.status == prepare.DUPLICATE:
                self.duplicates += 1
            elif o.status == prepare.QUARANTINED:
                self.quarantined += 1
            else:
                self.failed += 1
                self.errors.append(o.error or f"{o.label}: failed")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _destination(source: SourceSettings, outcome: Outcome) -> str | None:
    if outcome.status == prepare.FAILED:
        return None
    if outcome.record_status == QUARANTINED_RECORD:
        return source.quarantine_folder
    return source.archived_folder


class Collector:
    """Polls sources through one pipeline; build one per process (`poll`, the daemon)."""

    def __init__(self, settings: Settings, pipeline: Pipeline, owner: str | None = None) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.db = pipeline.db
        self.owner = owner or _process_identity(os.getpid())
        self._auth: dict[str, Authenticator] = {}
        self._lease_length = timedelta(seconds=parse_duration(settings.daemon.lease))
        self._heartbeat: Callable[[], None] | None = None
        self._renewed: dict[str, datetime] = {}

    def authenticator(self, source: SourceSettings) -> Authenticator:
        if source.name not in self._auth:
            self._auth[source.name] = Authenticator(source, self.settings.base_dir)
        return self._auth[source.name]

    def _beat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat()

    def forget(self, name: str) -> None:
        """Drop what is cached for a source (its credentials), e.g. after a config reload."""
        self._auth.pop(name, None)

    def _claim(self, source: SourceSettings) -> None:
        now = self.db.clock.now()
        until = now + self._lease_length
        with self.db.transaction() as tx:
            if tx.collection.claim_lease(source.name, self.owner, now, until):
                self._renewed[source.name] = now
                return
            holder = tx.collection.lease(source.name)
            # A holder on this host that no longer runs (killed, crashed) need not be waited for.
            if (
                holder
                and _dead_here(holder[0])
                and tx.collection.take_over_lease(source.name, holder[0], self.owner, until)
            ):
                log.warning(
                    "source %s: took over the lease of %s, which is no longer running",
                    source.name,
                    holder[0],
                )
                self._renewed[source.name] = now
                return
        who, until = holder if holder else ("another process", now)
        raise SourceBusy(
            f"source {source.name} is being polled (or reconciled) by {who} (lease until "
            f"{until:%Y-%m-%d %H:%M:%S} UTC)"
        )

    @contextlib.contextmanager
    def leased(self, source: SourceSettings, wait: float = 0.0) -> Iterator[None]:
        """Hold `source`'s lease for the block, as a poll cycle does (reconcile uses it).

        While another process holds it, try again for up to `wait` seconds, then raise
        SourceBusy. Call `renew` as the work progresses.
        """
        deadline = time.monotonic() + wait
        while True:
            try:
                self._claim(source)
                break
            except SourceBusy:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                time.sleep(min(LEASE_RETRY, left))
        try:
            yield
        finally:
            self._release(source)

    def renew(self, source: SourceSettings) -> None:
        """Renew the lease held on `source` when due; raises SourceBusy if it was lost."""
        self._renew(source)

    def poll(
        self,
        source: SourceSettings,
        stop: threading.Event | None = None,
        heartbeat: Callable[[], None] | None = None,
    ) -> PollReport:
        """One cycle of `source`; raises ArchiverError (SourceBusy, SourceError, AuthError,
        DatabaseError, ...) when the cycle could not finish; what was committed stays.

        `heartbeat` is called after each committed and acknowledged batch (proof of progress).
        """
        self._heartbeat = heartbeat
        started = self.db.clock.now()
        report = PollReport(source.name)
        self._claim(source)
        try:
            if source.kind == IMAP:
                self._poll_imap(source, report, stop)
            else:
                self._poll_maildir(source, report, stop)
        except ArchiverError as exc:
            self._save(
                SourceStateRow(
                    source.name,
                    last_attempt_at=started,
                    last_error=str(exc),
                    last_error_at=self.db.clock.now(),
                )
            )
            raise
        finally:
            self._release(source)
        self._save(
            SourceStateRow(
                source.name,
                last_attempt_at=started,
                last_success_at=self.db.clock.now(),
                waiting=report.waiting,
                last_cycle=json.dumps(report.to_json()),
            )
        )
        return report

    def _save(self, row: SourceStateRow) -> None:
        try:
            with self.db.transaction() as tx:
                tx.collection.save_state(row)
        except ArchiverError as exc:  # the database may be the very thing that failed
            log.warning("cannot record the state of source %s: %s", row.source_name, exc)

    def _release(self, source: SourceSettings) -> None:
        try:
            with self.db.transaction() as tx:
                tx.collection.release_lease(source.name, self.owner, tx.now)
        except ArchiverError as exc:
            log.warning(
                "cannot release the lease on %s (it expires by itself): %s", source.name, exc
            )

    def _renew(self, source: SourceSettings) -> None:
        """Renew our lease once a quarter of it has passed; raises SourceBusy if it was lost."""
        now = self.db.clock.now()
        if now - self._renewed.get(source.name, now - self._lease_length) >= self._lease_length / 4:
            self._claim(source)

    def _arrival(self, source: SourceSettings, folder: str, uidvalidity: int, uid: int) -> Arrival:
        return imap_arrival(source, folder, uidvalidity, uid)

    def _poll_imap(
        self, source: SourceSettings, report: PollReport, stop: threading.Event | None
    ) -> None:
        max_bytes = self.pipeline.policy.max_message_bytes
        auth = self.authenticator(source)
        base = self.settings.base_dir
        with Mailbox(source, auth, base) as box:
            box.ensure(source.archived_folder)
            box.ensure(source.quarantine_folder)
            for folder_name in source.folders:
                folder = box.open(folder_name)
                self._check_uidvalidity(source, folder_name, folder.uidvalidity)
                sizes = box.sizes(folder.uids)
                for uid, size in sizes.items():
                    if size > max_bytes:
                        report.failed += 1
                        report.errors.append(
                            f"{folder_name} UID {uid}: message is {size / 1048576:.1f} MB, more "
                            "than ingest.max_message_mb: left in the folder"
                        )
                wanted = {u: s for u, s in sizes.items() if s <= max_bytes}
                uid_batches = batches(wanted, source.batch_messages, source.batch_mb << 20)

                def messages(
                    folder_name: str = folder_name,
                    validity: int = folder.uidvalidity,
                    uid_batches: Iterator[list[int]] = uid_batches,
                ) -> Iterator[Message]:
                    for uids in uid_batches:
                        if stop is not None and stop.is_set():
                            return
                        self._renew(source)
                        fetched = box.fetch(uids)
                        for uid in uids:
                            raw = fetched.get(uid)
                            if raw is not None:  # None: deleted by someone else meanwhile
                                report.fetched += 1
                                arrival = self._arrival(source, folder_name, validity, uid)
                                yield Message(arrival, raw, None, len(raw))

                def committed(pairs: list[tuple[Arrival, Outcome]]) -> None:
                    by_folder: dict[str, list[int]] = {}
                    for arrival, outcome in pairs:
                        target = _destination(source, outcome)
                        if target is not None and arrival.uid is not None:
                            by_folder.setdefault(target, []).append(arrival.uid)
                    for target, uids in by_folder.items():
                        box.move(uids, target)
                        report.moved += len(uids)
                    self._beat()

                report.tally(self.pipeline.run(messages(), source.name, committed, stop=stop))
                report.waiting += len(box.open(folder_name).uids)

    def _check_uidvalidity(self, source: SourceSettings, folder: str, value: int) -> None:
        with self.db.transaction() as tx:
            old = tx.collection.uidvalidity(source.name, folder)
            if old == value:
                return
            tx.collection.set_uidvalidity(source.name, folder, value, tx.now)
            if old is not None:
                # Every UID we knew is void. Nothing depends on them: what is in the folder is
                # what waits, and dedup by hash makes fetching it again harmless.
                log.warning(
                    "source %s folder %s: UIDVALIDITY changed from %s to %s",
                    source.name,
                    folder,
                    old,
                    value,
                )
                audit.append(
                    tx,
                    self.pipeline.ring,
                    "source.uidvalidity",
                    target=source.name,
                    details={"folder": folder, "old": old, "new": value},
                )

    def _poll_maildir(
        self, source: SourceSettings, report: PollReport, stop: threading.Event | None
    ) -> None:
        root = self.settings.path(source.path)
        box = LocalMaildir(root, source.name, allowed_domains(source))
        max_bytes = self.pipeline.policy.max_message_bytes

        def messages() -> Iterator[Message]:
            for msg in box.messages(box.waiting(), max_bytes):
                report.fetched += int(msg.raw is not None)
                yield msg

        def committed(pairs: list[tuple[Arrival, Outcome]]) -> None:
            for arrival, outcome in pairs:
                target = _destination(source, outcome)
                if target is not None:
                    box.file(Path(arrival.label), target)
                    report.moved += 1
            self._beat()

        report.tally(self.pipeline.run(messages(), source.name, committed, stop=stop))
        report.waiting = len(box.waiting())


def imap_arrival(source: SourceSettings, folder: str, uidvalidity: int, uid: int) -> Arrival:
    """Where an IMAP message was found, with the source's forwarder rule for ingest."""
    return Arrival(
        "imap",
        source.name,
        f"{source.username}/{folder}/{uid}",
        mailbox=folder,
        uidvalidity=uidvalidity,
        uid=uid,
        allowed_domains=allowed_domains(source),
    )


def allowed_domains(source: SourceSettings) -> tuple[str, ...]:
    """The source's allowed forwarder domains, as ingest compares them (lower case)."""
    return tuple(d.lower() for d in source.allowed_forwarder_domains)


def _start_time(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot), or None if there is no such process;
    a pid and its start time name one process even when pids are reused."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _process_identity(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:{_start_time(pid) or '?'}"


def _dead_here(owner: str) -> bool:
    """Whether `owner` names a process on this host that is gone."""
    host, _, rest = owner.partition(":")
    pid, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit() or started == "?":
        return False
    return _start_time(int(pid)) != started


def status(settings: Settings, db: Store, district: District) -> list[dict[str, Any]]:
    """Per configured source: last success, last error, messages waiting, archived and
    quarantined today (the district's today; counted as `poll` counts them)."""
    out = []
    with db.transaction() as tx:
        midnight = district.start(district.day_of(tx.now))
        states = tx.collection.states()
        for source in settings.sources:
            st = states.get(source.name)
            lease = tx.collection.lease(source.name)
            now = tx.now
            today = tx.records.archived_since(source.name, midnight)
            out.append(
                {
                    "source": source.name,
                    "kind": source.kind,
                    "last_success_at": _iso(st.last_success_at if st else None),
                    "last_attempt_at": _iso(st.last_attempt_at if st else None),
                    "last_error": st.last_error if st and _failing(st) else None,
                    "last_error_at": _iso(st.last_error_at if st else None),
                    "waiting": st.waiting if st else None,
                    "archived_today": sum(n for st, n in today.items() if st != QUARANTINED_RECORD),
                    "quarantined_today": today.get(QUARANTINED_RECORD, 0),
                    "polled_by": lease[0] if lease and lease[1] > now else None,
                    "last_cycle": json.loads(st.last_cycle) if st and st.last_cycle else None,
                }
            )
    return out


def _failing(st: SourceStateRow) -> bool:
    """Whether the latest error is newer than the latest success."""
    if st.last_error_at is None:
        return False
    return st.last_success_at is None or st.last_error_at >= st.last_success_at


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
