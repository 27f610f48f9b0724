"""Database engines for SQLite (embedded default) and PostgreSQL, set up for safe writing."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from archiver.errors import ConfigError


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
        cur.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
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
