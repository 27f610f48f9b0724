"""The web application's accounts, their sign-in sessions, and the wrong sign-ins of the last
minute (the throttle)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from archiver.domain import WebSessionRow, WebUserRow
from archiver.errors import DatabaseError
from archiver.store.rows import as_bytes, aware, utc
from archiver.store.tables import web_login_failure, web_session, web_user


def _user(r: Any) -> WebUserRow:
    return WebUserRow(
        id=int(r.id),
        name=r.name,
        display_name=r.display_name,
        role=r.role,
        password_hash=r.password_hash,
        totp_secret=as_bytes(r.totp_secret),
        sso=bool(r.sso),
        disabled=bool(r.disabled),
        created_at=aware(r.created_at),
        totp_step=None if r.totp_step is None else int(r.totp_step),
        sso_subject=r.sso_subject,
        facts=as_bytes(r.facts),
    )


def _session(r: Any) -> WebSessionRow:
    return WebSessionRow(
        token_hash=bytes(r.token_hash),
        user_id=int(r.user_id),
        created_at=aware(r.created_at),
        last_seen=aware(r.last_seen),
        remote=r.remote,
        ended_at=utc(r.ended_at),
        facts=as_bytes(r.facts),
    )


class AccountRepo:
    """Accounts, sessions and sign-in failures."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # --- accounts --------------------------------------------------------------------------

    def add(self, row: WebUserRow) -> int:
        """Insert an account; its id (its sealed secret and facts are set afterwards with
        `update`: they name the id)."""
        result = self._conn.execute(
            insert(web_user).values(
                name=row.name,
                display_name=row.display_name,
                role=row.role,
                password_hash=row.password_hash,
                sso=row.sso,
                disabled=row.disabled,
                created_at=row.created_at,
            )
        )
        key = result.inserted_primary_key
        if key is None:
            raise DatabaseError("the database did not say which id the new account got")
        return int(key[0])

    def update(self, row: WebUserRow) -> None:
        """Write every field of an account but its id, name and creation time."""
        self._conn.execute(
            update(web_user)
            .where(web_user.c.id == row.id)
            .values(
                display_name=row.display_name,
                role=row.role,
                password_hash=row.password_hash,
                totp_secret=row.totp_secret,
                totp_step=row.totp_step,
                sso=row.sso,
                disabled=row.disabled,
                sso_subject=row.sso_subject,
                facts=row.facts,
            )
        )

    def by_name(self, name: str) -> WebUserRow | None:
        r = self._conn.execute(select(web_user).where(web_user.c.name == name)).first()
        return _user(r) if r else None

    def by_id(self, user_id: int) -> WebUserRow | None:
        r = self._conn.execute(select(web_user).where(web_user.c.id == user_id)).first()
        return _user(r) if r else None

    def all(self) -> list[WebUserRow]:
        return [_user(r) for r in self._conn.execute(select(web_user).order_by(web_user.c.name))]

    def accept_step(self, user_id: int, step: int) -> bool:
        """Remember TOTP time step `step` as the account's last accepted one, if it is later
        than the one remembered; whether it was (one statement, so two sign-ins racing with
        the same code cannot both win)."""
        result = self._conn.execute(
            update(web_user)
            .where(
                web_user.c.id == user_id,
                or_(web_user.c.totp_step.is_(None), web_user.c.totp_step < step),
            )
            .values(totp_step=step)
        )
        return result.rowcount == 1

    # --- sign-in failures ------------------------------------------------------------------

    def add_failure(self, name: str, remote: str, at: datetime) -> None:
        self._conn.execute(insert(web_login_failure).values(name=name, remote=remote, at=at))

    def failures_since(self, name: str, remote: str, since: datetime) -> tuple[int, int]:
        """Wrong sign-ins after `since`: (for this name, from this remote address)."""

        def count(*where: Any) -> int:
            stmt = select(func.count()).select_from(web_login_failure)
            return int(
                self._conn.execute(stmt.where(web_login_failure.c.at > since, *where)).scalar_one()
            )

        return count(web_login_failure.c.name == name), count(web_login_failure.c.remote == remote)

    def prune_failures(self, before: datetime) -> None:
        self._conn.execute(delete(web_login_failure).where(web_login_failure.c.at <= before))

    # --- sessions --------------------------------------------------------------------------

    def add_session(self, row: WebSessionRow) -> None:
        self._conn.execute(
            insert(web_session).values(
                token_hash=row.token_hash,
                user_id=row.user_id,
                created_at=row.created_at,
                last_seen=row.last_seen,
                ended_at=row.ended_at,
                remote=row.remote,
                facts=row.facts,
            )
        )

    def session(self, token_hash: bytes) -> WebSessionRow | None:
        r = self._conn.execute(
            select(web_session).where(web_session.c.token_hash == token_hash)
        ).first()
        return _session(r) if r else None

    def open_sessions(self, user_id: int) -> list[WebSessionRow]:
        """The account's sessions not yet ended (some may have expired)."""
        stmt = select(web_session).where(
            web_session.c.user_id == user_id, web_session.c.ended_at.is_(None)
        )
        return [_session(r) for r in self._conn.execute(stmt)]

    def update_session(self, row: WebSessionRow) -> None:
        """Write a session's last use, end and facts."""
        self._conn.execute(
            update(web_session)
            .where(web_session.c.token_hash == row.token_hash)
            .values(last_seen=row.last_seen, ended_at=row.ended_at, facts=row.facts)
        )

    def prune_sessions(self, before: datetime) -> None:
        """Forget sessions begun before `before` (all of them past their absolute limit)."""
        self._conn.execute(delete(web_session).where(web_session.c.created_at < before))
