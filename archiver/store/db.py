"""The archive database: transactions, each with one repository per aggregate. Services get a
`Tx` and never see SQLAlchemy."""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from archiver.clock import Clock, SystemClock
from archiver.errors import ConfigError, DatabaseError
from archiver.store import schema
from archiver.store.accounts import AccountRepo
from archiver.store.attachment_decisions import AttachmentDecisionRepo
from archiver.store.audit import AuditRepo
from archiver.store.collection import CollectionRepo
from archiver.store.disposition import DispositionRepo
from archiver.store.engine import (
    READ_ONLY,
    describe,
    make_engine,
    missing_sqlite_file,
    sqlite_file,
)
from archiver.store.holds import HoldRepo
from archiver.store.index import IndexRepo
from archiver.store.keys import KeyRepo
from archiver.store.records import RecordRepo
from archiver.store.redactions import RedactionRepo
from archiver.store.requests import RequestRepo
from archiver.store.retention import RetentionRepo
from archiver.store.roster import RosterRepo
from archiver.store.saved_searches import SavedSearchRepo


class Tx:
    """One database transaction: `records`, `index`, `roster`, `collection`, `keys`, `audit`,
    `retention`, `holds`, `requests`, `redactions`, `attachment_decisions`, `disposition`,
    `accounts`, `saved_searches`; `now` is when it began, by the store's clock: every time it
    writes."""

    def __init__(self, conn: Connection, now: datetime) -> None:
        self.now = now
        self.records = RecordRepo(conn)
        self.index = IndexRepo(conn)
        self.roster = RosterRepo(conn)
        self.collection = CollectionRepo(conn)
        self.keys = KeyRepo(conn)
        self.audit = AuditRepo(conn)
        self.retention = RetentionRepo(conn)
        self.holds = HoldRepo(conn)
        self.requests = RequestRepo(conn)
        self.redactions = RedactionRepo(conn)
        self.attachment_decisions = AttachmentDecisionRepo(conn)
        self.disposition = DispositionRepo(conn)
        self.accounts = AccountRepo(conn)
        self.saved_searches = SavedSearchRepo(conn)

    def delete_record(self, record_id: str) -> None:
        """Delete a record with everything it has: index entry and postings, parts, arrivals,
        tags."""
        self.index.remove([record_id])
        self.records.delete(record_id)


class WriterQueue:
    """Queues writers for SQLite's one write lock, waking each the moment it is free: this
    process's threads on a lock, processes (the web server's workers, the daemon, a command)
    on an exclusive POSIX lock of `DATABASE.writer` beside the file. SQLite's own busy handler
    polls instead, sleeping up to 100 ms between tries, so the lock sits idle while writers
    wait. Only the queue: SQLite's locking still guards the data, so where the file cannot be
    opened (a read-only directory) writers wait in SQLite's handler as before. Re-entrant.

    One queue per database file in a process (`of`), since a POSIX lock belongs to the
    process, not to an open file: that is also why it is used rather than `flock`, whose lock
    a forked child (an import worker, forked while a writer holds it) would keep holding."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._reset()

    def _reset(self) -> None:
        self._threads = threading.RLock()
        self._depth = 0
        self._fd: int | None = None  # the file, open and locked while a turn lasts

    @classmethod
    def of(cls, database: Path | None) -> WriterQueue:
        """The queue of a database file (None: a queue of threads only)."""
        if database is None:
            return cls(None)
        path = database.absolute()
        with _queues.lock:
            queue = _queues.of.get(path)
            if queue is None:
                queue = _queues.of[path] = cls(path.with_name(path.name + ".writer"))
            return queue

    @contextmanager
    def turn(self, timeout: float) -> Iterator[None]:
        """Hold the queue (waiting at most `timeout` seconds for other processes)."""
        with self._threads:
            self._depth += 1
            if self._depth == 1:
                self._fd = self._lock(timeout)
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    # Closed, not kept open between turns: an open file would keep its
                    # filesystem from being remounted read-only (or unmounted).
                    os.close(self._fd)  # releases the lock
                    self._fd = None

    def _lock(self, timeout: float) -> int | None:
        """The queue's file, open and locked within `timeout` seconds; None if it cannot be
        opened or locked in time (SQLite's busy handler then waits out the rest, and says
        so). Polled, not blocking: a blocking lock cannot be given up after `timeout`, and a
        few waiters (one a process) polling every 2 ms cost nothing."""
        fd = None if self._path is None else _open_queue(self._path)
        if fd is None:
            return None
        deadline, pause = time.monotonic() + timeout, 0.0005
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN) or time.monotonic() >= deadline:
                    os.close(fd)
                    return None
                time.sleep(pause)
                pause = min(pause * 2, 0.002)


class _Queues:
    """This process's writer queues, one per database file."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.of: dict[Path, WriterQueue] = {}

    def forget_in_child(self) -> None:
        """A forked child holds no lock its parent held (a file's lock stays the parent's,
        and a thread that held a lock does not exist here): start from free queues."""
        self.lock = threading.Lock()
        for queue in self.of.values():
            if queue._fd is not None:
                os.close(queue._fd)  # the parent's lock is the parent's: this ends nothing
            queue._reset()


_queues = _Queues()
os.register_at_fork(after_in_child=_queues.forget_in_child)


def _open_queue(path: Path) -> int | None:
    """The queue's file, open (None if it cannot be). Made with the database's owner, so a
    command run as root does not leave a file the service's user cannot open."""
    flags = os.O_RDWR | os.O_CLOEXEC
    try:
        try:
            fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return os.open(path, flags)
    except OSError:
        return None
    if os.geteuid() == 0:
        try:
            db = path.with_name(path.name.removesuffix(".writer")).stat()
            os.fchown(fd, db.st_uid, db.st_gid)
        except OSError:
            pass  # root's file then: the queue still works for root's commands
    return fd


class Store:
    """The archive database: opens transactions, checks the schema."""

    def __init__(
        self, engine: Engine, clock: Clock | None = None, lock_timeout: float = 30
    ) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        # Told the audit head (sequence, hash) after each commit that appended events, and
        # the head that commit found and chained onto (None if the log was empty).
        self.on_audit: Callable[[int, bytes, tuple[int, bytes] | None], None] | None = None
        # SQLite has one writer at a time: writers queue for it here (see WriterQueue).
        queue = WriterQueue.of(sqlite_file(engine)) if engine.dialect.name == "sqlite" else None
        self._writer: Callable[[], AbstractContextManager[None]] = (
            (lambda: queue.turn(lock_timeout)) if queue is not None else nullcontext
        )

    @classmethod
    def open(
        cls,
        url: str,
        check_schema: bool = True,
        lock_timeout: int = 30,
        clock: Clock | None = None,
        create: bool = False,
    ) -> Store:
        """Connect to `url`; raises SchemaError if the schema is not current, DatabaseError.
        A SQLite file that does not exist is made only with `create` (`init`, `db upgrade`);
        otherwise it is a ConfigError naming the path (a typo must not start a new archive)."""
        engine = make_engine(url, lock_timeout)
        if not create:
            missing = missing_sqlite_file(engine)
            if missing is not None:
                engine.dispose()
                raise ConfigError(
                    [
                        f"archive.database: {missing}: no such database file (check the path; "
                        "`archiver db upgrade` creates a new archive's database)"
                    ]
                )
        store = cls(engine, clock, lock_timeout)
        if check_schema:
            schema.require_current(store.engine)
        return store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A transaction, committed when the block ends without an exception; raises
        DatabaseError (one line saying what to do)."""
        try:
            with self._writer(), self.engine.begin() as conn:
                tx = Tx(conn, self.clock.now())
                yield tx
        except SQLAlchemyError as exc:
            raise DatabaseError(describe(exc, self.engine)) from None
        if tx.audit.appended is not None and self.on_audit is not None:
            self.on_audit(*tx.audit.appended, tx.audit.chained_onto)

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        """A transaction that only reads, on a connection of its own, and never waits for a
        writer (on SQLite it does not take the write lock): for looking something up while
        this process holds a writing transaction open. Raises DatabaseError."""
        try:
            conn = self.engine.connect().execution_options(**{READ_ONLY: True})
            with conn, conn.begin():
                yield Tx(conn, self.clock.now())
        except SQLAlchemyError as exc:
            raise DatabaseError(describe(exc, self.engine)) from None

    def close(self) -> None:
        self.engine.dispose()
