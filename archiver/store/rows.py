"""Turning database rows into the domain's values, the one way to insert without a
savepoint, and the one way to split long IN (...) lists (private to the store's
repositories)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Table

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


def record_row(row: Sequence[Any]) -> RecordRow:
    """A row of `select(record)`: the table's columns, in its order (read by position, not
    by name: a search page builds 50 of them)."""
    (rid, sha256, size, archived_at, source_kind, status, quarantine_code, sent_at, kek_id,
     wrapped_key, seal_version, stored_size, facts) = row  # fmt: skip
    return RecordRow(
        id=rid,
        sha256=bytes(sha256),
        size=int(size),
        archived_at=aware(archived_at),
        source_kind=source_kind,
        status=status,
        quarantine_code=quarantine_code,
        sent_at=utc(sent_at),
        kek_id=kek_id,
        wrapped_key=bytes(wrapped_key),
        seal_version=int(seal_version),
        stored_size=int(stored_size),
        facts=as_bytes(facts),
    )


def student_row(r: Sequence[Any]) -> StudentRow:
    """A row of `select(student)` (by position, as `record_row`)."""
    row_id, lookup, key_id, sealed, exit_date, _updated_at, facts = r
    return StudentRow(row_id, bytes(lookup), key_id, bytes(sealed), exit_date, as_bytes(facts))


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
