"""The composition root: settings -> database, keyring, clock and the district's days, and the
services' shared parts (the ingest policy and pipeline). Each edge (the CLI, the daemon, the
benchmarks, later the web application) builds one `App` and passes it down; nothing else opens
the database or loads the keys.

Heavy modules (SQLAlchemy, cryptography, the parser) are imported when first needed, so a
command that needs none of them (`archiver --help`) starts at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.clock import Clock, District, SystemClock
from archiver.platform.startup import resume_collection
from archiver.settings import Settings, load_settings

if TYPE_CHECKING:
    from archiver.archive.accounts import Accounts
    from archiver.archive.roster import Changed
    from archiver.crypto.keyring import Keyring
    from archiver.ingest.copies import CopyReport, PendingCopies
    from archiver.ingest.pipeline import Pipeline
    from archiver.ingest.prepare import IngestPolicy
    from archiver.records.disposition import Disposal
    from archiver.records.export import Exporter
    from archiver.records.redaction import RedactionDesk
    from archiver.records.requests import RequestDesk
    from archiver.records.retention import Intake
    from archiver.records.schedule import Schedule
    from archiver.store.db import Store, Tx
    from archiver.understand.indexing import TextLimits


class App:
    """What one process needs, built once from its settings; the store and keyring are
    opened on first use and closed by `close`."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.district: District = settings.district
        self._store: Store | None = None
        self._keyring: Keyring | None = None
        self._schedule: Schedule | None = None

    @classmethod
    def from_config(cls, path: Path, clock: Clock | None = None) -> App:
        """The app of a config file; raises ConfigError listing every problem."""
        return cls(load_settings(path), clock)

    def open_store(self, check_schema: bool = True, create: bool = False) -> Store:
        """A new connection to the archive database (the audit head copied to the anchor file
        after every commit); raises SchemaError unless `check_schema` is off, DatabaseError;
        ConfigError for a SQLite file that does not exist, unless `create`."""
        from archiver.archive import audit
        from archiver.store.db import Store

        store = Store.open(
            self.settings.database_url,
            check_schema=check_schema,
            lock_timeout=self.settings.archive.lock_timeout,
            clock=self.clock,
            create=create,
        )
        audit.anchor_store(store, self.settings.audit_anchor)
        resume_collection()  # start-up is over: the command works on the archive from here
        return store

    @property
    def store(self) -> Store:
        """The archive database (its schema checked)."""
        if self._store is None:
            self._store = self.open_store()
        return self._store

    @property
    def keyring(self) -> Keyring:
        """The registered keys, the current ones read and checked; raises KeyFileError."""
        if self._keyring is None:
            from archiver.archive.keys import load_keyring

            self._keyring = load_keyring(self.store, self.settings.keys_dir)
        return self._keyring

    def ingest_policy(self) -> IngestPolicy:
        from archiver.ingest.prepare import IngestPolicy

        return IngestPolicy.from_settings(self.settings.ingest, self.keyring)

    def pipeline(self, workers: int | None = None) -> Pipeline:
        """An ingest pipeline (`workers` processes; default `ingest.workers`). Make it before
        starting threads: its workers are forked."""
        from archiver.ingest.pipeline import Pipeline

        count = self.settings.ingest.workers if workers is None else workers
        return Pipeline(self.store, self.keyring, self.ingest_policy(), count, self.intake())

    @property
    def schedule(self) -> Schedule:
        """The retention schedule (`[retention] schedule`, else the shipped one); raises
        ConfigError naming every problem in it."""
        if self._schedule is None:
            from archiver.records.schedule import load_schedule

            self._schedule = load_schedule(self.settings.schedule_path)
        return self._schedule

    def records_changed(self) -> Changed:
        """What to do, in the same transaction, when records' tags, dates or students' exit
        dates changed: classify them again and let the open holds catch them."""
        from archiver.records.holds import sweep
        from archiver.records.retention import reclassify

        ring, schedule, district = self.keyring, self.schedule, self.district
        year_end = self.settings.school_year_end

        def changed(tx: Tx, record_ids: list[str]) -> None:
            reclassify(tx, ring, schedule, district, year_end, record_ids)
            sweep(tx, ring, district, record_ids)

        return changed

    def intake(self) -> Intake:
        """Records management's part of ingest: classify each new record and catch it in the
        open holds that match it."""
        from archiver.records.holds import HoldWatch
        from archiver.records.retention import Intake

        watch = HoldWatch(self.keyring, self.district)
        return Intake(
            self.keyring, self.schedule, self.district, self.settings.school_year_end, watch.catch
        )

    def requests(self) -> RequestDesk:
        """Requests for records, on the district's business-day calendar and the shipped
        exemptions."""
        from archiver.records.calendar import BusinessCalendar
        from archiver.records.exemptions import load_exemptions
        from archiver.records.requests import RequestDesk

        return RequestDesk(
            self.store,
            self.keyring,
            BusinessCalendar.from_settings(self.settings),
            load_exemptions(),
            self.district,
            self.settings.requests,
        )

    def redactions(self) -> RedactionDesk:
        """Redactions of requests' records, under the shipped exemptions."""
        from archiver.records.exemptions import load_exemptions
        from archiver.records.redaction import RedactionDesk

        return RedactionDesk(self.store, self.keyring, load_exemptions(), self.text_limits())

    def exporter(self, workers: int = 0) -> Exporter:
        """Producing records as signed export bundles; `workers` processes (0: one per core;
        1: in this process, as the web application does: it does not fork its threads)."""
        from archiver.records.export import Exporter

        return Exporter(
            self.store,
            self.keyring,
            self.clock,
            self.district,
            self.settings.requests.district_name,
            self.text_limits(),
            workers,
        )

    def pending_copies(self) -> PendingCopies:
        """Copies of destroyed records the sources still hold, which each poll cycle tries
        again to remove (`ingest.copies.retry_pending`): kept by disposition."""
        from archiver.records.disposition import PendingStore

        return PendingStore(self.store)

    def disposal(self) -> Disposal:
        """Disposition batches under the retention schedule, holds and requests."""
        from archiver.records.disposition import Disposal

        return Disposal(
            self.store,
            self.keyring,
            self.schedule,
            self.district,
            self.requests_since,
            self.settings.disposition.require_second_person,
            self.settings.requests.district_name,
            self._remove_copies if self.settings.sources else None,
        )

    def accounts(self) -> Accounts:
        """The web application's user accounts and sign-in sessions (`[web]`)."""
        from archiver.archive.accounts import Accounts

        return Accounts(self.store, self.keyring, self.clock, self.settings.web)

    def oidc_client_secret(self) -> str:
        """The OpenID Connect client secret (`[web.oidc] client_secret_file`, looked up as
        every secret file is); raises ConfigError if it is missing, unreadable or open to
        others."""
        from archiver.platform import credentials

        name = self.settings.web.oidc.client_secret_file
        path = credentials.locate(name, self.settings.base_dir)
        return credentials.read_secret(
            path, f"{self.settings.config_path}: web.oidc.client_secret_file"
        )

    def _remove_copies(self, wanted: Mapping[bytes, int]) -> Sequence[CopyReport]:
        """Remove from every source the copies whose bytes hash to `wanted` (`dispose
        execute`): one process, the sources' leases held in turn."""
        from archiver.ingest.collect import Collector
        from archiver.ingest.copies import remove_copies

        collector = Collector(self.settings, self.pipeline(workers=1))
        # A source being polled meanwhile is left pending: its next cycle removes them.
        return remove_copies(self.settings, collector, wanted)

    def requests_since(self, day: date) -> datetime:
        """A request closed at or after this time still keeps its records on `day`: its appeal
        window (`[requests] appeal_window_days`, calendar days) has not passed."""
        window = timedelta(days=self.settings.requests.appeal_window_days)
        return self.district.start(day - window)

    def text_limits(self) -> TextLimits:
        """How long attachment text may take, for `reindex`, `rederive` and repairs."""
        from archiver.understand.indexing import TextLimits

        ingest = self.settings.ingest
        return TextLimits(ingest.attachment_text_timeout, ingest.attachment_text_budget)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
