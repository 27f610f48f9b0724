"""`archiver reconcile`: the sources' filed copies as the archive's safety net.

Once a record commits, polling files its message in the source's archived folder (or its
quarantine folder). Those copies outlive a database that loses committed records: a deleted or
corrupted SQLite WAL, a restore from an older backup. Reconcile walks both folders, hashes each
message's exact bytes, looks the hashes up in batches, and sends the missing messages through
the pipeline again, with the source's forwarder rule, so they come back as polling would have
archived them (quarantined included). Nothing is moved. A copy of a record that a disposition
batch destroyed is deleted: the record is gone, and its plaintext copy must not outlive it.

With `remove_archived_after_days`, a copy at least that old is deleted once its record has been
opened and its bytes checked against the hash (IMAP: \\Deleted and UID EXPUNGE of exactly those
UIDs). Reconcile holds the source's lease, so it never runs beside a poll of that source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from archiver.archive import audit
from archiver.crypto import sealing
from archiver.errors import ArchiverError, IntegrityError, MaildirError
from archiver.ingest import prepare
from archiver.ingest.collect import Collector, allowed_domains, imap_arrival
from archiver.ingest.pipeline import Pipeline
from archiver.settings import IMAP, Settings, SourceSettings
from archiver.sources.arrival import Arrival, Message
from archiver.sources.files import is_maildir
from archiver.sources.imap import Mailbox, batches
from archiver.sources.maildir import LocalMaildir

READ_WINDOW = 64  # maildir messages read, hashed and looked up together ...
READ_WINDOW_BYTES = 16 << 20  # ... or fewer, if they are large


@dataclass
class ReconcileReport:
    """What reconciling one source found and did (the `reconcile --json` entry)."""

    source: str
    checked: int = 0  # copies found in the archived and quarantine folders
    present: int = 0  # ... whose bytes are a record
    reingested: list[str] = field(default_factory=list)  # records made again from a copy
    quarantined: int = 0  # ... of which came back quarantined
    failed: int = 0  # copies that could not be read, checked or re-ingested
    removed: int = 0  # confirmed old copies deleted (remove_archived_after_days)
    destroyed_removed: int = 0  # copies of records a disposition destroyed, deleted
    damaged: list[str] = field(default_factory=list)  # records that do not open or match
    errors: list[str] = field(default_factory=list)
    error: str | None = None  # why the run stopped early, if it did
    error_code: int = 0  # ... and that error's exit code
    removed_records: list[str] = field(default_factory=list)  # whose copies went (for audit)

    def fail(self, message: str) -> None:
        self.failed += 1
        self.errors.append(message)

    @property
    def exit_code(self) -> int:
        """0 all present or re-ingested; 1 something failed; 3 a record is damaged."""
        return max(self.error_code, 3 if self.damaged else 0, 1 if self.failed else 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "checked": self.checked,
            "present": self.present,
            "reingested": self.reingested,
            "quarantined": self.quarantined,
            "failed": self.failed,
            "removed": self.removed,
            "destroyed_removed": self.destroyed_removed,
            "damaged": self.damaged,
            "errors": self.errors,
            "error": self.error,
        }


@dataclass(frozen=True)
class _Copy:
    """A message found in an archived or quarantine folder."""

    message: Message
    dated: datetime | None  # received (IMAP INTERNALDATE) or written (file mtime); None: unknown


Remover = Callable[[list[_Copy]], None]


def reconcile_sources(
    settings: Settings, pipeline: Pipeline, sources: list[SourceSettings], wait: float = 0.0
) -> list[ReconcileReport]:
    """Reconcile each source in turn. A source that cannot be finished has `error` set (what
    it did until then is kept, and reported); the others still run."""
    reconciler = Reconciler(settings, pipeline)
    reports = []
    for source in sources:
        report = ReconcileReport(source.name)
        try:
            reconciler.run(source, report, wait)
        except ArchiverError as exc:
            report.error, report.error_code = str(exc), exc.exit_code
        reports.append(report)
    return reports


class Reconciler:
    """Compares sources' filed copies with the archive, through one pipeline."""

    def __init__(self, settings: Settings, pipeline: Pipeline) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.db = pipeline.db
        self.collector = Collector(settings, pipeline)

    def run(
        self,
        source: SourceSettings,
        report: ReconcileReport,
        wait: float = 0.0,
    ) -> None:
        """Reconcile `source` into `report`; raises ArchiverError (SourceBusy after `wait`
        seconds, SourceError, MaildirError, DatabaseError, ...) if it cannot finish."""
        days = source.remove_archived_after_days
        cutoff = self.collector.db.clock.now() - timedelta(days=days) if days else None
        with self.collector.leased(source, wait):
            try:
                if source.kind == IMAP:
                    self._imap(source, report, cutoff)
                else:
                    self._maildir(source, report, cutoff)
            except ArchiverError:
                self._audit(report, completed=False)
                raise
        self._audit(report, completed=True)

    def _audit(self, report: ReconcileReport, completed: bool) -> None:
        details = {
            "completed": completed,
            "checked": report.checked,
            "present": report.present,
            "reingested": report.reingested,
            "quarantined": report.quarantined,
            "failed": report.failed,
            "removed": report.removed_records,
            "destroyed_removed": report.destroyed_removed,
            "damaged": report.damaged,
        }
        try:
            audit.record_event(
                self.db, self.pipeline.ring, "reconcile", target=report.source, details=details
            )
        except ArchiverError as exc:
            if completed:  # else the database may be what failed; the first error is the story
                raise
            report.errors.append(f"cannot write the audit event: {exc}")

    # -- the sources --------------------------------------------------------------------------

    def _imap(
        self, source: SourceSettings, report: ReconcileReport, cutoff: datetime | None
    ) -> None:
        auth = self.collector.authenticator(source)
        with Mailbox(source, auth, self.settings.base_dir) as box:
            for name in _folders(source):
                if box.exists(name):  # else nothing was filed there yet
                    self._imap_folder(box, source, name, report, cutoff)

    def _imap_folder(
        self,
        box: Mailbox,
        source: SourceSettings,
        name: str,
        report: ReconcileReport,
        cutoff: datetime | None,
    ) -> None:
        folder = box.open(name)
        sizes = box.sizes(folder.uids)
        max_bytes = self.pipeline.policy.max_message_bytes
        for uid, size in sizes.items():
            if size > max_bytes:
                report.checked += 1
                report.fail(
                    f"{name} UID {uid}: message is {size / 1048576:.1f} MB, more than "
                    "ingest.max_message_mb: not checked"
                )
        wanted = {u: s for u, s in sizes.items() if s <= max_bytes}
        dates = box.internal_dates(sorted(wanted)) if cutoff else {}

        def copies() -> Iterator[list[_Copy]]:
            for uids in batches(wanted, source.batch_messages, source.batch_mb << 20):
                self.collector.renew(source)
                fetched = box.fetch(uids)
                yield [
                    _Copy(Message(arrival(u), raw, None, len(raw)), dates.get(u))
                    for u in uids
                    if (raw := fetched.get(u)) is not None  # None: deleted meanwhile
                ]

        def arrival(uid: int) -> Arrival:
            return imap_arrival(source, name, folder.uidvalidity, uid)

        def remove(found: list[_Copy]) -> None:
            box.remove([u for c in found if (u := c.message.arrival.uid) is not None])

        self._reconcile(source, copies(), report, cutoff, remove)

    def _maildir(
        self, source: SourceSettings, report: ReconcileReport, cutoff: datetime | None
    ) -> None:
        root = self.settings.path(source.path)
        if not is_maildir(root):
            raise MaildirError(
                f"source {source.name}: {root} is not a maildir (it needs cur/, new/ and tmp/)"
            )
        box = LocalMaildir(root, source.name, allowed_domains(source))
        max_bytes = self.pipeline.policy.max_message_bytes

        def copies() -> Iterator[list[_Copy]]:
            for name in _folders(source):
                window: list[_Copy] = []
                size = 0
                for msg in box.messages(box.filed(name), max_bytes):
                    dated = box.modified_at(Path(msg.arrival.label)) if cutoff else None
                    window.append(_Copy(msg, dated))
                    size += len(msg.raw or b"")
                    if len(window) >= READ_WINDOW or size >= READ_WINDOW_BYTES:
                        self.collector.renew(source)
                        yield window
                        window, size = [], 0
                if window:
                    yield window

        def remove(found: list[_Copy]) -> None:
            for c in found:
                box.remove(Path(c.message.arrival.label))

        self._reconcile(source, copies(), report, cutoff, remove)

    # -- what both kinds share -----------------------------------------------------------------

    def _reconcile(
        self,
        source: SourceSettings,
        found: Iterable[list[_Copy]],
        report: ReconcileReport,
        cutoff: datetime | None,
        remove: Remover,
    ) -> None:
        """Re-ingest the copies that are no record; remove old confirmed ones if asked to."""
        missing = self._sort(found, report, cutoff, remove)
        for o in self.pipeline.run(missing, source.name):
            if o.status in (prepare.ARCHIVED, prepare.QUARANTINED) and o.record_id:
                report.reingested.append(o.record_id)
                report.quarantined += o.status == prepare.QUARANTINED
            elif o.status == prepare.DUPLICATE:
                report.present += 1  # archived meanwhile, or the same bytes twice in the folder
            else:
                report.fail(o.error or f"{o.label}: failed")

    def _sort(
        self,
        found: Iterable[list[_Copy]],
        report: ReconcileReport,
        cutoff: datetime | None,
        remove: Remover,
    ) -> Iterator[Message]:
        """The messages of `found` that are no record, for the pipeline; tallies the rest."""
        for copies in found:
            readable = []
            for c in copies:
                report.checked += 1
                if c.message.raw is None:
                    report.fail(c.message.error or f"{c.message.arrival.label}: cannot read")
                else:
                    readable.append((c, prepare.digest(c.message.raw)))
            with self.db.transaction() as tx:
                known = tx.records.known_hashes([d for _, d in readable])
                destroyed = tx.records.destroyed_hashes(list(known))
            old: list[tuple[_Copy, bytes]] = []
            gone: list[_Copy] = []
            for c, sha in readable:
                if sha not in known:
                    yield c.message
                    continue
                if sha in destroyed:  # a disposition destroyed its record: the copy goes too
                    gone.append(c)
                    continue
                report.present += 1
                if cutoff is not None and c.dated is not None and c.dated < cutoff:
                    old.append((c, sha))
            if gone:
                remove(gone)
                report.destroyed_removed += len(gone)
            if old:
                self._remove_confirmed(old, report, remove)

    def _remove_confirmed(
        self, old: list[tuple[_Copy, bytes]], report: ReconcileReport, remove: Remover
    ) -> None:
        """Remove the copies whose record opens and matches its hash: the last plaintext copy
        goes only when the sealed one is known to be good."""
        with self.db.transaction() as tx:
            rows = tx.records.by_sha([sha for _, sha in old])
            sealed = tx.records.parts([r.id for r in rows.values()], sealing.RAW)
        sure: list[_Copy] = []
        ids: list[str] = []
        for c, sha in old:
            row = rows.get(sha)
            if row is None:
                continue  # gone since it was looked up: not confirmed, so kept
            try:
                sealing.open_raw(sealing.data_key(self.pipeline.ring, row), row, sealed.get(row.id))
            except IntegrityError as exc:
                if row.id not in report.damaged:
                    report.damaged.append(row.id)
                    report.errors.append(f"{exc}: its filed copy is kept; run `archiver verify`")
                continue
            sure.append(c)
            ids.append(row.id)
        remove(sure)
        report.removed += len(sure)
        report.removed_records += ids


def _folders(source: SourceSettings) -> list[str]:
    """The folders holding copies of archived records, each once."""
    return list(dict.fromkeys([source.archived_folder, source.quarantine_folder]))
