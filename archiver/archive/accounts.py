"""The web application's user accounts and sign-in sessions (DESIGN.md section 13).

An account is a sign-in name (casefolded; for sign-in by OpenID Connect, the address the
identity provider vouches for), a role, and how it may sign in: a password (argon2id) with a
TOTP second factor, by OpenID Connect (`sso`), or both. Its name, role, state and credentials
are authenticated facts (`archive/facts.py`), checked on every read: a role edited in the
database is refused (IntegrityError, exit 3). The TOTP secret is sealed; a code is accepted
once (the last accepted time step is kept).

Wrong sign-ins are counted per name tried and per remote address: after
`[web] login_failures_per_minute` of either within a minute, attempts are refused without
checking anything (ThrottledError) until the minute has passed. Every sign-in, refused or
not, and every change to an account is audited; no password, code or secret ever is.

A session is a random token (32 bytes, URL-safe base64) the browser keeps; the database
keeps its SHA-256 only. It ends at sign-out, after `idle_minutes` unused, `absolute_hours`
after sign-in, or when its account is disabled or given a new password.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from archiver.archive import audit, facts
from archiver.clock import Clock
from archiver.crypto import passwords, totp
from archiver.crypto.keyring import Keyring
from archiver.crypto.notes import NoteSeal
from archiver.domain import ROLES, WebSessionRow, WebUserRow
from archiver.errors import SignInError, ThrottledError, UsageError
from archiver.settings import WebSettings
from archiver.store.db import Store, Tx

__all__ = ["ROLES", "Account", "Accounts", "normal_name", "token_hash"]

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
MAX_NAME = 128  # what an audit event's actor holds: the name acts in the web application
WINDOW = timedelta(seconds=60)  # the throttle's minute
TOUCH_EVERY = timedelta(minutes=1)  # a session's last use is written at most this often
FAILED = "wrong name, password or code"
THROTTLED = "too many wrong sign-ins: wait a minute, then try again"
SIGN_IN = "archiver (web sign-in)"  # the actor of a refused sign-in: nobody is signed in
_NAME = re.compile(r"^\w[\w.@+'-]*$")
_TOTP_PART = "totp"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Account:
    """An account as the web application sees it (no credentials)."""

    id: int
    name: str
    display_name: str
    role: str
    sso: bool
    disabled: bool
    has_password: bool
    has_totp: bool
    created_at: datetime

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "display_name": self.display_name,
            "role": self.role,
            "sso": self.sso,
            "disabled": self.disabled,
            "password": self.has_password,
            "totp": self.has_totp,
            "created_at": self.created_at.isoformat(),
        }


def normal_name(name: str) -> str:
    """A sign-in name as accounts are stored and found: stripped and casefolded. Raises
    UsageError if it is empty, longer than 128 characters, or holds anything but letters,
    digits and `. _ @ + ' -` (an address or a user name)."""
    key = name.strip().casefold()
    if not key:
        raise UsageError("the account name is empty")
    if len(key) > MAX_NAME:
        raise UsageError(f"the account name is longer than {MAX_NAME} characters")
    if not _NAME.match(key):
        raise UsageError(
            f"the account name {name.strip()!r} may hold only letters, digits and . _ @ + ' - "
            "(a user name, or the address the identity provider gives)"
        )
    return key


def _tried(name: str) -> str:
    """A name someone tried to sign in with, fit to count and to audit: its normal form, or
    for something no account could be called, a printable escape of it."""
    try:
        return normal_name(name)
    except UsageError:
        return ascii(name)[:MAX_NAME]


def _remote(remote: str) -> str:
    """The remote address as given, printable and at most 128 characters."""
    return "".join(c for c in remote if c.isascii() and c.isprintable() and not c.isspace())[
        :MAX_NAME
    ]


def _role(role: str) -> str:
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    return role


def _password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password is shorter than {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UsageError(f"the password is longer than {MAX_PASSWORD} characters")
    return password


def _display(text: str | None, name: str) -> str:
    shown = " ".join((text or "").split())
    if any(not c.isprintable() for c in shown):
        raise UsageError("the display name holds a control or invisible character")
    if len(shown) > 256:
        raise UsageError("the display name is longer than 256 characters")
    return shown or name


def _not_self(row: WebUserRow, by: str | None, what: str) -> None:
    """Refuse an administrator locking themselves out (and, since no one else can do it for
    them in the web application, the last administrator with them): UsageError."""
    if by is not None and normal_name(by) == row.name:
        raise UsageError(
            f"you cannot {what} ({row.name}): another administrator must, so that one "
            "always remains"
        )


def token_hash(token: str) -> bytes:
    """What the database keeps of a session token: its SHA-256."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class Accounts:
    """The accounts of one archive, their sign-ins and sessions."""

    def __init__(self, db: Store, ring: Keyring, clock: Clock, settings: WebSettings) -> None:
        self.db = db
        self.ring = ring
        self.clock = clock
        self.settings = settings
        self._notes: NoteSeal | None = None

    # --- reading ---------------------------------------------------------------------------

    @property
    def _seal(self) -> NoteSeal:
        if self._notes is None:
            self._notes = NoteSeal(self.ring)
        return self._notes

    def _checked(self, row: WebUserRow) -> Account:
        """The account of a row whose facts hold; raises IntegrityError if they do not."""
        facts.check(facts.web_user_problem(self.ring, row))
        return Account(
            id=row.id,
            name=row.name,
            display_name=row.display_name,
            role=row.role,
            sso=row.sso,
            disabled=row.disabled,
            has_password=row.password_hash is not None,
            has_totp=row.totp_secret is not None,
            created_at=row.created_at,
        )

    def _row(self, tx: Tx, name: str) -> WebUserRow:
        """The row of account `name`, its facts checked; raises UsageError if there is none,
        IntegrityError."""
        key = normal_name(name)
        row = tx.accounts.by_name(key)
        if row is None:
            raise UsageError(f"no account named {key!r} (see `archiver users list`)")
        self._checked(row)
        return row

    def list(self) -> list[Account]:
        """Every account, by name; raises IntegrityError if one was altered."""
        with self.db.reading() as tx:
            rows = tx.accounts.all()
        return [self._checked(r) for r in rows]

    def get(self, name: str) -> Account:
        """Account `name`; raises UsageError if there is none, IntegrityError if altered."""
        with self.db.reading() as tx:
            return self._checked(self._row(tx, name))

    # --- changing --------------------------------------------------------------------------

    def _write(self, tx: Tx, row: WebUserRow) -> Account:
        sealed = facts.seal_web_user(self.ring, row)
        tx.accounts.update(sealed)
        return self._checked(sealed)

    def _new_totp(self, user_id: int) -> tuple[str, bytes]:
        secret = totp.new_secret()
        return secret, self._seal.seal(f"web_user/{user_id}", _TOTP_PART, secret)

    def _end_sessions(self, tx: Tx, user_id: int) -> int:
        """End every open session of an account; how many."""
        rows = tx.accounts.open_sessions(user_id)
        for s in rows:
            tx.accounts.update_session(
                facts.seal_web_session(self.ring, replace(s, ended_at=tx.now))
            )
        return len(rows)

    def add(
        self,
        name: str,
        role: str,
        display_name: str | None = None,
        password: str | None = None,
        sso: bool = False,
        *,
        actor: str,
    ) -> tuple[Account, str | None]:
        """Make an account; it and its TOTP secret (base32: every account with a password
        has one), or None without a password. Raises UsageError for a name that is invalid
        or taken, an unknown role, a password shorter than 12 characters, or neither a
        password nor `sso`."""
        key = normal_name(name)
        _role(role)
        shown = _display(display_name, key)
        if password is None and not sso:
            raise UsageError(
                f"account {key!r}: give it a password, or let it sign in by OpenID Connect (sso)"
            )
        hashed = passwords.hash_password(_password(password)) if password is not None else None
        with self.db.transaction() as tx:
            if tx.accounts.by_name(key) is not None:
                raise UsageError(f"an account named {key!r} exists already")
            row = WebUserRow(0, key, shown, role, hashed, None, sso, False, tx.now)
            row = replace(row, id=tx.accounts.add(row))
            secret = None
            if hashed is not None:
                secret, sealed = self._new_totp(row.id)
                row = replace(row, totp_secret=sealed)
            account = self._write(tx, row)
            details = {"role": role, "sso": sso, "password": hashed is not None}
            audit.append(tx, self.ring, "users.add", target=key, details=details, actor=actor)
        return account, secret

    def set_role(self, name: str, role: str, actor: str, by: str | None = None) -> Account:
        """Give account `name` another role (its sessions carry on, with the new role). `by`:
        the account acting (the web application's signed-in administrator), who may not take
        their own administration away. Raises UsageError, IntegrityError."""
        _role(role)
        with self.db.transaction() as tx:
            row = self._row(tx, name)
            if row.role == role:
                return self._checked(row)
            _not_self(row, by, "give your own account another role")
            account = self._write(tx, replace(row, role=role))
            details = {"from": row.role, "to": role}
            audit.append(tx, self.ring, "users.role", target=row.name, details=details, actor=actor)
        return account

    def disable(self, name: str, actor: str, by: str | None = None) -> Account:
        """Refuse account `name` every sign-in, and end its sessions. `by`: the account
        acting, which may not disable itself. Raises UsageError, IntegrityError."""
        with self.db.transaction() as tx:
            row = self._row(tx, name)
            _not_self(row, by, "disable your own account")
            ended = self._end_sessions(tx, row.id)
            if row.disabled and not ended:
                return self._checked(row)
            account = self._write(tx, replace(row, disabled=True))
            details = {"sessions_ended": ended}
            audit.append(
                tx, self.ring, "users.disable", target=row.name, details=details, actor=actor
            )
        return account

    def enable(self, name: str, actor: str) -> Account:
        """Let a disabled account sign in again. Raises UsageError, IntegrityError."""
        with self.db.transaction() as tx:
            row = self._row(tx, name)
            if not row.disabled:
                return self._checked(row)
            account = self._write(tx, replace(row, disabled=False))
            audit.append(tx, self.ring, "users.enable", target=row.name, actor=actor)
        return account

    def set_password(self, name: str, password: str, actor: str) -> str:
        """Give account `name` a new password and a new TOTP secret (returned; the old codes
        stop working), and end its sessions. Raises UsageError, IntegrityError."""
        hashed = passwords.hash_password(_password(password))
        with self.db.transaction() as tx:
            row = self._row(tx, name)
            secret, sealed = self._new_totp(row.id)
            ended = self._end_sessions(tx, row.id)
            self._write(tx, replace(row, password_hash=hashed, totp_secret=sealed, totp_step=None))
            details = {"sessions_ended": ended}
            audit.append(
                tx, self.ring, "users.password", target=row.name, details=details, actor=actor
            )
        return secret

    # --- signing in ------------------------------------------------------------------------

    def _refused(self, key: str, remote: str, reason: str, method: str, count: bool) -> SignInError:
        """Audit a refused sign-in (and count it towards the throttle); the SignInError to
        raise, with the one message every refusal shows."""
        with self.db.transaction() as tx:
            if count:
                tx.accounts.add_failure(key, remote, tx.now)
            details = {"remote": remote, "reason": reason, "method": method}
            audit.append(
                tx, self.ring, "web.sign_in_failed", target=key, details=details, actor=SIGN_IN
            )
        return SignInError(FAILED)

    def _verify(
        self, row: WebUserRow | None, password: str, code: str, at: datetime
    ) -> tuple[str, int]:
        """(why these credentials do not sign `row` in, or "" if they do; the TOTP step the
        code is of). The password is checked even without an account (against a decoy: as
        slow either way)."""
        right = passwords.verify(row.password_hash if row else None, password)
        if row is None:
            return "unknown name", 0
        if row.password_hash is None:
            return "no password (signs in by OpenID Connect)", 0
        if not right:
            return "wrong password", 0
        if row.totp_secret is None:
            return "no second factor", 0
        secret = self._seal.open(f"web_user/{row.id}", _TOTP_PART, row.totp_secret)
        step = totp.matching_step(secret, code, at)
        if step is None:
            return "wrong code", 0
        if row.totp_step is not None and step <= row.totp_step:
            return "code used before", step
        if row.disabled:
            return "disabled", step
        return "", step

    def sign_in(self, name: str, password: str, code: str, remote: str) -> Account:
        """The account `name` signs in to, with its password and the TOTP code of now (or
        of the 30-second step before or after). Raises ThrottledError after too many wrong
        sign-ins within a minute for this name or from this address (nothing is checked),
        SignInError ("wrong name, password or code") for anything wrong, a disabled account
        or one without a password, IntegrityError if the account was altered."""
        now = self.clock.now()
        key, remote = _tried(name), _remote(remote)
        with self.db.transaction() as tx:
            tx.accounts.prune_failures(now - WINDOW)
            by_name, by_remote = tx.accounts.failures_since(key, remote, now - WINDOW)
            row = tx.accounts.by_name(key)
        limit = self.settings.login_failures_per_minute
        if by_name >= limit or by_remote >= limit:
            log.warning(
                "sign-in refused unchecked: too many failures for %s or from %s", key, remote
            )
            raise ThrottledError(THROTTLED)
        if row is not None:
            self._checked(row)
        reason, step = self._verify(row, password, code, now)
        if reason or row is None:
            raise self._refused(key, remote, reason, "password", count=True)
        stored = row.password_hash or ""
        rehash = passwords.hash_password(password) if passwords.needs_rehash(stored) else None
        with self.db.transaction() as tx:
            # One statement decides which of two sign-ins racing with one code wins.
            accepted = tx.accounts.accept_step(row.id, step)
            if accepted:
                current = tx.accounts.by_id(row.id)
                if rehash and current is not None and current.password_hash == stored:
                    self._write(tx, replace(current, password_hash=rehash))
                details = {"remote": remote, "method": "password"}
                audit.append(tx, self.ring, "web.sign_in", target=key, details=details, actor=key)
        if not accepted:
            raise self._refused(key, remote, "code used before", "password", count=True)
        return self._checked(row)

    def sign_in_sso(self, email: str, remote: str, identity: str) -> Account:
        """The account whose name is `email` (the identity provider's verified address,
        compared without case) and that may sign in by OpenID Connect, for the person
        `identity` ("ISSUER SUBJECT" of the ID token). The first sign-in binds the account to
        that identity; later ones must be the same person, so an address the district gives
        to someone else later does not open the old owner's account (`users unbind` lets the
        new owner in). Raises SignInError for no such account, one without `sso`, a disabled
        one, or another identity; IntegrityError."""
        key, remote = _tried(email), _remote(remote)
        with self.db.reading() as tx:
            row = tx.accounts.by_name(key)
        if row is None:
            raise self._refused(key, remote, "unknown name", "oidc", count=False)
        self._checked(row)
        if not row.sso or row.disabled:
            reason = "disabled" if row.disabled else "may not sign in by OpenID Connect"
            raise self._refused(key, remote, reason, "oidc", count=False)
        if row.sso_subject is not None and row.sso_subject != identity:
            reason = "another person at this address (`archiver users unbind` if it changed hands)"
            raise self._refused(key, remote, reason, "oidc", count=False)
        account = self._checked(row)
        with self.db.transaction() as tx:
            details: dict[str, object] = {"remote": remote, "method": "oidc"}
            if row.sso_subject is None:  # the first sign-in: bind it (in the same transaction)
                fresh = tx.accounts.by_id(row.id)
                if fresh is None or fresh.sso_subject not in (None, identity):
                    raise SignInError(FAILED)  # bound to someone else meanwhile
                self._checked(fresh)
                account = self._write(tx, replace(fresh, sso_subject=identity))
                details["bound_to"] = identity
            audit.append(tx, self.ring, "web.sign_in", target=key, details=details, actor=key)
        return account

    def unbind(self, name: str, actor: str) -> Account:
        """Forget the identity account `name`'s OpenID Connect sign-ins are bound to (its
        address now belongs to someone else): the next sign-in binds it again, and its
        sessions end. Raises UsageError, IntegrityError."""
        with self.db.transaction() as tx:
            row = self._row(tx, name)
            was = row.sso_subject
            ended = self._end_sessions(tx, row.id)
            account = self._write(tx, replace(row, sso_subject=None))
            details = {"was": was, "sessions_ended": ended}
            audit.append(
                tx, self.ring, "users.unbind", target=row.name, details=details, actor=actor
            )
        return account

    # --- sessions --------------------------------------------------------------------------

    def start_session(self, account: Account, remote: str) -> str:
        """A new session of `account` (just signed in): its token, for the browser's cookie
        (only its SHA-256 is stored). Raises SignInError if the account is disabled or gone
        meanwhile, IntegrityError."""
        token = secrets.token_urlsafe(32)
        with self.db.transaction() as tx:
            row = tx.accounts.by_id(account.id)
            if row is None or self._checked(row).disabled:
                raise SignInError(FAILED)
            tx.accounts.prune_sessions(tx.now - timedelta(hours=self.settings.absolute_hours))
            session = WebSessionRow(token_hash(token), row.id, tx.now, tx.now, _remote(remote))
            tx.accounts.add_session(facts.seal_web_session(self.ring, session))
        return token

    def _live(self, s: WebSessionRow, row: WebUserRow | None, now: datetime) -> bool:
        w = self.settings
        return (
            s.ended_at is None
            and now - s.last_seen <= timedelta(minutes=w.idle_minutes)
            and now - s.created_at <= timedelta(hours=w.absolute_hours)
            and row is not None
            and not row.disabled
        )

    def session(self, token: str) -> Account | None:
        """The account signed in with `token`, or None: no such session, signed out, unused
        for longer than `idle_minutes`, begun more than `absolute_hours` ago, or its account
        disabled. Its last use is written at most once a minute. Raises IntegrityError if the
        session or its account was altered in the database."""
        if not token or len(token) > 256:
            return None
        digest = token_hash(token)
        now = self.clock.now()
        with self.db.reading() as tx:
            s = tx.accounts.session(digest)
            row = tx.accounts.by_id(s.user_id) if s is not None else None
        if s is None:
            return None
        facts.check(facts.web_session_problem(self.ring, s))
        account = self._checked(row) if row is not None else None
        if account is None or not self._live(s, row, now):
            return None
        if now - s.last_seen >= TOUCH_EVERY:
            with self.db.transaction() as tx:
                current = tx.accounts.session(digest)
                if current is None or current.ended_at is not None:
                    return None  # signed out meanwhile
                touched = replace(current, last_seen=max(now, current.last_seen))
                tx.accounts.update_session(facts.seal_web_session(self.ring, touched))
        return account

    def end_session(self, token: str) -> None:
        """Sign out: the session of `token` ends (a token that names none is ignored)."""
        if not token or len(token) > 256:
            return
        with self.db.transaction() as tx:
            s = tx.accounts.session(token_hash(token))
            if s is None or s.ended_at is not None:
                return
            facts.check(facts.web_session_problem(self.ring, s))
            tx.accounts.update_session(
                facts.seal_web_session(self.ring, replace(s, ended_at=tx.now))
            )
            row = tx.accounts.by_id(s.user_id)
            name = row.name if row is not None else f"account row {s.user_id}"
            details = {"remote": s.remote}
            audit.append(tx, self.ring, "web.sign_out", target=name, details=details, actor=name)
