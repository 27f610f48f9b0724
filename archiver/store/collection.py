"""Collection: per-source state, each folder's UIDVALIDITY, and the leases that keep two
processes from polling one source at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, or_, select, update

from archiver.domain import SourceStateRow
from archiver.store.rows import insert_new, utc
from archiver.store.tables import mailbox_state, source_lease, source_state


class CollectionRepo:
    """Collection: per-source state, UIDVALIDITY and leases."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def claim_lease(self, source: str, owner: str, now: datetime, until: datetime) -> bool:
        """Take or renew the lease on `source` for `owner`; False if someone else holds it."""
        taken = self._conn.execute(
            update(source_lease)
            .where(
                source_lease.c.source_name == source,
                or_(source_lease.c.expires_at < now, source_lease.c.owner == owner),
            )
            .values(owner=owner, expires_at=until, token=source_lease.c.token + 1)
        )
        if taken.rowcount == 1:
            return True
        made = self._conn.execute(
            insert_new(self._conn, source_lease)
            .values(source_name=source, owner=owner, expires_at=until, token=1)
            .returning(source_lease.c.source_name)
        )
        return made.first() is not None  # None: the row is someone else's, unexpired

    def take_over_lease(self, source: str, old_owner: str, owner: str, until: datetime) -> bool:
        """Take the lease from `old_owner` (known to be gone); False if it changed meanwhile."""
        taken = self._conn.execute(
            update(source_lease)
            .where(source_lease.c.source_name == source, source_lease.c.owner == old_owner)
            .values(owner=owner, expires_at=until, token=source_lease.c.token + 1)
        )
        return taken.rowcount == 1

    def release_lease(self, source: str, owner: str, now: datetime) -> None:
        self._conn.execute(
            update(source_lease)
            .where(source_lease.c.source_name == source, source_lease.c.owner == owner)
            .values(expires_at=now)
        )

    def lease(self, source: str) -> tuple[str, datetime] | None:
        """Who holds the lease on `source`, and until when."""
        row = self._conn.execute(
            select(source_lease.c.owner, source_lease.c.expires_at).where(
                source_lease.c.source_name == source
            )
        ).first()
        return (row.owner, utc(row.expires_at) or row.expires_at) if row else None

    def uidvalidity(self, source: str, folder: str) -> int | None:
        return self._conn.execute(
            select(mailbox_state.c.uidvalidity).where(
                mailbox_state.c.source_name == source, mailbox_state.c.folder == folder
            )
        ).scalar_one_or_none()

    def set_uidvalidity(self, source: str, folder: str, value: int, now: datetime) -> None:
        done = self._conn.execute(
            update(mailbox_state)
            .where(mailbox_state.c.source_name == source, mailbox_state.c.folder == folder)
            .values(uidvalidity=value, updated_at=now)
        )
        if done.rowcount == 0:
            self._conn.execute(
                insert(mailbox_state).values(
                    source_name=source, folder=folder, uidvalidity=value, updated_at=now
                )
            )

    def save_state(self, row: SourceStateRow) -> None:
        """Record how a source's latest cycle went (fields left None keep their value)."""
        values = {k: v for k, v in row.__dict__.items() if v is not None}
        done = self._conn.execute(
            update(source_state)
            .where(source_state.c.source_name == row.source_name)
            .values(**values)
        )
        if done.rowcount == 0:
            self._conn.execute(insert(source_state).values(**values))

    def states(self) -> dict[str, SourceStateRow]:
        out = {}
        for r in self._conn.execute(select(source_state)).all():
            m = dict(r._mapping)
            for k in ("last_attempt_at", "last_success_at", "last_error_at"):
                m[k] = utc(m[k])
            out[m["source_name"]] = SourceStateRow(**m)
        return out
