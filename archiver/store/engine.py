"""Database engines for SQLite (embedded default) and PostgreSQL, set up for safe writing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from archiver.errors import ConfigError

READ_ONLY = "archiver_read_only"  # execution option of a connection that only reads


def _sqlite_setup(engine: Engine, lock_timeout: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" below decide how transactions start.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed record survives power loss before it leaves the mailbox.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        # Deleted content is overwritten with zeros, not left in free pages: what a
        # disposition deletes is not in the file afterwards (VACUUM only shrinks it).
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")  # a reader: a snapshot, never waiting for a writer
            return
        # Take the write lock up front: no deadlock upgrading a read lock, and writers queue.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, lock_timeout: int = 30) -> Engine:
    """An Engine for `url`; raises ConfigError if the URL is not one we can use.

    `lock_timeout` is how many seconds a SQLite writer waits for another before failing.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError([f"archive.database: not a database URL: {url!r}"]) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": lock_timeout})
        _sqlite_setup(engine, lock_timeout)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            # No JIT: it compiles the search's joins for tens of milliseconds, every time, to
            # save less than that (the planner's row estimates for postings are high).
            return create_engine(
                parsed,
                pool_pre_ping=True,
                connect_args={"connect_timeout": lock_timeout, "options": "-c jit=off"},
            )
        except ModuleNotFoundError:
            raise ConfigError(
                ["archive.database: PostgreSQL needs psycopg: pip install 'archiver[postgres]'"]
            ) from None
    raise ConfigError([f"archive.database: unsupported database {backend!r} (sqlite, postgresql)"])


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite database (None: PostgreSQL, or SQLite in memory)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def missing_sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite database that does not exist (SQLite would create it), or None."""
    path = sqlite_file(engine)
    return None if path is None or path.exists() else path


def where(engine: Engine) -> str:
    """The database, for messages: a SQLite file's path, or the URL without its password."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return url.database or "(in memory)"
    return url.render_as_string(hide_password=True)


def describe(exc: SQLAlchemyError, engine: Engine, doing: str = "") -> str:
    """One line saying what went wrong with the database and what to do: never the SQL or its
    parameters (SQLAlchemy's own text has both, on several lines)."""
    orig = getattr(exc, "orig", None) or exc
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    low = text.lower()
    db = where(engine)
    safe = "nothing already archived was lost"
    prefix = f"{doing}: " if doing else ""
    if "disk is full" in low or "no space" in low:
        return (
            f"{prefix}the disk holding the database {db} is full ({text}): free space and run "
            f"again; {safe}"
        )
    if "readonly" in low or "read-only" in low:
        return (
            f"{prefix}cannot write the database {db} ({text}): is its filesystem read-only or "
            f"the file not writable by this user? Fix it and run again; {safe}"
        )
    if "unable to open database file" in low:
        return (
            f"{prefix}cannot open the database {db} ({text}): check that it exists and that its "
            "directory is writable by this user and not on a read-only or full filesystem "
            f"(SQLite writes -wal and -shm files beside it); {safe}"
        )
    if "disk i/o error" in low or "savepoint" in low:
        return (
            f"{prefix}the storage of the database {db} failed ({text}): check the disk (full, "
            f"read-only, failing?) and run again; {safe}"
        )
    if "locked" in low:
        return (
            f"{prefix}the database {db} stayed locked by another process for longer than "
            f"archive.lock_timeout ({text}): try again"
        )
    if isinstance(exc, OperationalError):
        return f"{prefix}cannot reach the database {db}: {text}"
    return f"{prefix}database error ({type(orig).__name__}): {text}"
