"""Turning database rows into the domain's values, the one way to insert without a
savepoint, and the one way to split long IN (...) lists (private to the store's
repositories)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, Table

from archiver.domain import RecordRow, StudentRow

# Values in one IN (...) list: far below every database's limit on bound parameters.
IN_LIST = 500


T = TypeVar("T")


def chunks(items: Sequence[T], size: int = IN_LIST) -> Iterator[Sequence[T]]:
    """`items` in consecutive slices of at most `size`."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def as_bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def aware(value: datetime) -> datetime:
    """A datetime from the database in UTC (SQLite hands back naive ones)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def utc(value: datetime | None) -> datetime | None:
    return None if value is None else aware(value)


def record_row(row: Row[Any]) -> RecordRow:
    m = row._mapping
    return RecordRow(
        id=m["id"],
        sha256=bytes(m["sha256"]),
        size=int(m["size"]),
        archived_at=aware(m["archived_at"]),
        source_kind=m["source_kind"],
        status=m["status"],
        quarantine_code=m["quarantine_code"],
        sent_at=utc(m["sent_at"]),
        kek_id=m["kek_id"],
        wrapped_key=bytes(m["wrapped_key"]),
        seal_version=int(m["seal_version"]),
        stored_size=int(m["stored_size"]),
        facts=as_bytes(m["facts"]),
    )


def student_row(r: Row[Any]) -> StudentRow:
    return StudentRow(
        r.id, bytes(r.lookup), r.key_id, bytes(r.sealed), r.exit_date, as_bytes(r.facts)
    )


def insert_new(conn: Connection, table: Table) -> Any:
    """An INSERT that skips rows a unique key already holds (no savepoint: a savepoint's
    rollback after a failed write hid the real error, "no such savepoint")."""
    # Imported here: connecting already loaded the one dialect in use, and importing the
    # other (PostgreSQL's pulls in asyncio) would slow every command's start.
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table).on_conflict_do_nothing()
