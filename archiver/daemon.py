"""`archiver run`: APScheduler wiring, signals and sd_notify around the collector.

One interval job per source (max_instances=1, coalesce, jitter). A failing source backs off
exponentially up to `daemon.max_backoff`. SIGTERM stops reading new messages, lets the cycles
in hand finish and commit, and exits 0; SIGHUP re-reads the config (sources and their
settings; a changed database, key or ingest setting needs a restart). systemd hears READY once
the scheduler runs, and WATCHDOG plus a STATUS line after every completed cycle: the watchdog
is fed by proof of progress, never by a timer.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from archiver.app import App
from archiver.archive import audit
from archiver.archive.actor import DAEMON, acting_as
from archiver.errors import ArchiverError, ConfigError, SourceBusy
from archiver.ingest.collect import Collector
from archiver.ingest.copies import retry_pending
from archiver.platform.sdnotify import Notifier
from archiver.settings import SourceSettings, load_settings, parse_duration

log = logging.getLogger(__name__)


class Daemon:
    """The collection daemon for one config file."""

    def __init__(self, config_path: Path, notifier: Notifier | None = None) -> None:
        self.config_path = config_path
        self.app = App.from_config(config_path)
        self.settings = self.app.settings
        logging.getLogger().setLevel(self.settings.log.level.upper())
        # APScheduler says at INFO every job added and every run ("executed successfully"):
        # the daemon's own lines say what a cycle did; its detail is for DEBUG.
        debug = logging.getLogger().isEnabledFor(logging.DEBUG)
        logging.getLogger("apscheduler").setLevel(logging.DEBUG if debug else logging.WARNING)
        if not self.settings.sources:
            raise ConfigError([self.settings.no_sources])
        self.notifier = notifier or Notifier()
        self.stop = threading.Event()
        self._reload = threading.Event()
        self._failures: dict[str, int] = {}
        self._requests_day: date | None = None  # the day the deadlines were last logged
        self.db = self.app.store
        self.clock = self.app.clock
        # Workers are forked here, before the scheduler starts any thread.
        self.pipeline = self.app.pipeline()
        self.collector = Collector(self.settings, self.pipeline)
        self.copies = self.app.pending_copies()  # destroyed records' copies still to remove
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max(1, len(self.settings.sources)))},
            job_defaults={"coalesce": True, "max_instances": 1},
        )

    def _schedule(self, source: SourceSettings, first_run: datetime) -> None:
        interval = source.interval_seconds
        self.scheduler.add_job(
            self._cycle,
            IntervalTrigger(
                seconds=interval,
                jitter=int(parse_duration(self.settings.daemon.jitter)) or None,
                timezone=UTC,
            ),
            args=[source.name],
            id=source.name,
            name=f"poll {source.name}",
            replace_existing=True,
            misfire_grace_time=max(1, int(interval)),
            next_run_time=first_run,
        )

    def _cycle(self, name: str) -> None:
        with acting_as(DAEMON):  # no person asked for this cycle: its events are the daemon's
            self._poll(name)

    def _poll(self, name: str) -> None:
        if self.stop.is_set():
            return
        try:
            source = self.settings.source(name)
        except ConfigError:
            return  # removed by a reload
        try:
            report = self.collector.poll(source, self.stop, self._alive)
        except SourceBusy as exc:
            log.info("%s", exc)
            self._completed(f"{name}: polled by another daemon")
            return
        except ArchiverError as exc:
            self._back_off(source, str(exc))
            return
        except Exception as exc:  # a bug must not kill the scheduler thread silently
            log.exception("source %s: unexpected failure", name)
            self._back_off(source, f"unexpected {type(exc).__name__}: {exc}")
            return
        self._failures.pop(name, None)
        for error in report.errors:
            log.warning("%s", _about(name, error))
        log.info(
            "source %s: fetched %d, archived %d, duplicates %d, quarantined %d, moved %d, "
            "waiting %d",
            name,
            report.fetched,
            report.archived,
            report.duplicates,
            report.quarantined,
            report.moved,
            report.waiting,
        )
        self._remove_copies(source)
        self._log_head()
        self._log_requests()
        self._completed(
            f"{name}: {report.archived} archived, {report.waiting} waiting at "
            f"{self.clock.now().astimezone(self.app.district.zone):%H:%M}"
        )

    def _remove_copies(self, source: SourceSettings) -> None:
        """After a good cycle (the source is reachable), remove what copies of destroyed
        records it may still hold; what stays pending is tried again next cycle."""
        try:
            report = retry_pending(self.settings, self.collector, self.copies, source)
        except ArchiverError as exc:
            log.warning(
                "source %s: cannot remove copies of destroyed records: %s", source.name, exc
            )
            return
        except Exception:  # a bug must not cost the cycle its STATUS and watchdog ping
            log.exception("source %s: unexpected failure removing copies", source.name)
            return
        if report is not None and report.removed:
            log.info(
                "source %s: removed %d copies of destroyed records",
                source.name,
                report.removed_count,
            )

    def _log_requests(self) -> None:
        """Once a district day (and at start), put the open requests' deadlines in the
        journal; overdue ones as warnings."""
        today = self.app.district.today(self.clock)
        if self._requests_day == today:
            return
        self._requests_day = today
        try:
            deadlines = self.app.requests().deadlines()
        except ArchiverError as exc:
            log.warning("cannot read the requests' deadlines: %s", exc)
            return
        for d in deadlines:
            (log.warning if d.overdue else log.info)("%s", d.describe())
        try:
            with self.db.transaction() as tx:
                overdue = tx.retention.overdue_maximum(today, self.app.requests_since(today))
        except ArchiverError as exc:
            log.warning("cannot count the records overdue for destruction: %s", exc)
            return
        if overdue:
            log.warning(
                "%d temporary student records are past the day they must be destroyed by "
                "(603 CMR 23.06): `archiver dispose plan`",
                overdue,
            )

    def _log_head(self) -> None:
        """Put the audit head in the journal: a copy outside the database that
        `archiver audit verify --expect-head` checks the log against."""
        try:
            log.info("audit head %s", audit.head(self.db))
        except ArchiverError as exc:
            log.warning("cannot read the audit head: %s", exc)

    def _back_off(self, source: SourceSettings, error: str) -> None:
        failures = self._failures.get(source.name, 0) + 1
        self._failures[source.name] = failures
        delay = min(
            source.interval_seconds * 2 ** (failures - 1),
            parse_duration(self.settings.daemon.max_backoff),
        )
        log.error(
            "%s (failure %d; next try in %.0f s)", _about(source.name, error), failures, delay
        )
        job = self.scheduler.get_job(source.name)
        if job is not None and not self.stop.is_set():
            job.modify(next_run_time=self.clock.now() + timedelta(seconds=delay))
        self._completed(f"{source.name}: failing ({failures}x): {error[:120]}")

    def _alive(self) -> None:
        self.notifier.notify(WATCHDOG="1")  # a batch was committed and filed: real progress

    def _completed(self, status: str) -> None:
        self.notifier.notify(WATCHDOG="1", STATUS=status)

    def _apply_reload(self) -> None:
        try:
            new = load_settings(self.config_path)
        except ConfigError as exc:
            log.error(
                "config reload failed; keeping the running config:\n%s", "\n".join(exc.problems)
            )
            return
        for key in ("archive", "ingest"):
            if getattr(new, key) != getattr(self.settings, key):
                log.warning("[%s] changed: restart the service to apply it", key)
        old = {s.name for s in self.settings.sources}
        self.settings = new
        self.collector.settings = new
        for name in old - {s.name for s in new.sources}:
            self.scheduler.remove_job(name)
        for source in new.sources:
            self.collector.forget(source.name)
            job = self.scheduler.get_job(source.name)
            # A source already scheduled keeps its next run (and any back-off); a new one starts.
            due = job.next_run_time if job is not None and job.next_run_time else None
            self._schedule(source, due or self.clock.now())
        log.info("config reloaded: %d sources", len(new.sources))

    def run(self) -> int:
        """Collect until SIGTERM or SIGINT; the exit code."""

        def on_stop(signum: int, frame: FrameType | None) -> None:
            log.info(
                "%s: finishing the messages in hand, then stopping", signal.Signals(signum).name
            )
            self.stop.set()

        def on_hup(signum: int, frame: FrameType | None) -> None:
            self._reload.set()

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGHUP, on_hup)
        now = self.clock.now()
        for source in self.settings.sources:
            self._schedule(source, now)
        self.scheduler.start()
        names = ", ".join(s.name for s in self.settings.sources)
        log.info("collecting from %s", names)
        self.notifier.notify(READY="1", STATUS=f"collecting from {names}")
        try:
            while not self.stop.wait(0.5):
                if self._reload.is_set():
                    self._reload.clear()
                    self.notifier.notify(RELOADING="1")
                    self._apply_reload()
                    self.notifier.notify(READY="1")
        finally:
            self.notifier.notify(STOPPING="1")
            self.scheduler.shutdown(wait=True)
            self.pipeline.close()
            self.app.close()
        log.info("stopped")
        return 0


def _about(source: str, text: str) -> str:
    """`text` about source `source`, named once: errors from the sources already name it."""
    prefix = f"source {source}: "
    return text if text.startswith(prefix) else prefix + text
