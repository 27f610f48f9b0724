"""Issue 16: the web application's accounts and sessions, through `archiver users` and the
service the web layer calls (a fixed clock, both databases)."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update

from archiver.app import App
from archiver.archive.accounts import Account, Accounts
from archiver.cli.context import Context
from archiver.clock import FixedClock
from archiver.crypto import totp
from archiver.errors import IntegrityError, SignInError, ThrottledError, UsageError
from archiver.store.tables import web_session, web_user
from tests.conftest import Archive, Result

PASSWORD = "correct horse battery staple"
FAILED = r"^wrong name, password or code$"
REMOTE = "203.0.113.7"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    at = FixedClock(datetime(2027, 1, 5, 15, 0, 7, tzinfo=UTC))
    monkeypatch.setattr(Context, "clock", at)  # the commands' clock too
    return at


@pytest.fixture
def app(archive: Archive, clock: FixedClock) -> Iterator[App]:
    a = App.from_config(archive.config, clock)
    yield a
    a.close()


@pytest.fixture
def accounts(app: App) -> Accounts:
    return app.accounts()


def typed(monkeypatch: pytest.MonkeyPatch, archive: Archive, text: str, *args: str) -> Result:
    """`archiver ARGS` with `text` on its standard input (not a terminal)."""
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    return archive.cli(*args)


def now_code(secret: str, clock: FixedClock) -> str:
    """What the owner's authenticator app shows at the clock's time."""
    return totp.code(secret, totp.step_of(clock.now()))


def local(accounts: Accounts, name: str = "jane", role: str = "reviewer") -> str:
    account, secret = accounts.add(name, role, password=PASSWORD, actor="it-admin")
    assert secret is not None and account.has_totp
    return secret


def actions(archive: Archive) -> list[dict[str, object]]:
    events = archive.ok("audit", "log", "--json", "--limit", "1000").json()["events"]
    return [e for e in events if str(e["action"]).startswith(("users.", "web."))]


def test_users_commands_add_list_role_disable_with_passwords_on_stdin(
    archive: Archive, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    twice = f"{PASSWORD}\n{PASSWORD}\n"
    added = typed(
        monkeypatch, archive, twice, "users", "add", " Jane.Doe@District.example.org ",
        "--role", "records-officer", "--display-name", "Jane Doe", "--json",
        "--actor", "it-admin",
    ).json()  # fmt: skip
    secret = added["totp_secret"]
    assert added == {
        "name": "jane.doe@district.example.org",
        "role": "records-officer",
        "display_name": "Jane Doe",
        "sso": False,
        "totp_secret": secret,
        "totp_uri": f"otpauth://totp/archiver:jane.doe@district.example.org?secret={secret}"
        "&issuer=archiver",
    }
    assert len(base64.b32decode(secret)) == 20

    shown = typed(monkeypatch, archive, twice, "users", "add", "bob", "--role", "auditor")
    assert shown.code == 0, shown.err
    assert "TOTP secret:" in shown.text and "otpauth://totp/archiver:bob?secret=" in shown.text
    sso = archive.ok("users", "add", "Ann@District.example.org", "--role", "approver", "--sso",
                     "--no-password", "--json").json()  # fmt: skip
    assert sso["sso"] and sso["totp_secret"] is None and sso["totp_uri"] is None

    # Refused, exit 2, one line saying why; nothing is added.
    refusals = [
        (f"{PASSWORD}\n{PASSWORD}x\n", ["add", "carl", "--role", "admin"], "differ"),
        ("too short\ntoo short\n", ["add", "carl", "--role", "admin"], "shorter than 12"),
        (twice, ["add", "carl", "--role", "boss"], "records-officer, reviewer, approver"),
        (twice, ["add", "BOB", "--role", "admin"], "exists already"),
        ("", ["add", "carl", "--role", "admin", "--no-password"], "--sso"),
        (f"{PASSWORD}\n", ["add", "carl", "--role", "admin"], "twice"),
        (twice, ["add", "carl smith", "--role", "admin"], "only letters, digits"),
    ]
    for stdin, args, says in refusals:
        refused = typed(monkeypatch, archive, stdin, "users", *args)
        assert refused.code == 2 and says in refused.err, (args, refused.err)

    listed = archive.ok("users", "list", "--json").json()["users"]
    assert [(u["name"], u["role"], u["sso"], u["password"], u["totp"]) for u in listed] == [
        ("ann@district.example.org", "approver", True, False, False),
        ("bob", "auditor", False, True, True),
        ("jane.doe@district.example.org", "records-officer", False, True, True),
    ]

    archive.ok("users", "role", "BOB", "admin", "--actor", "it-admin")
    assert archive.cli("users", "role", "bob", "boss").code == 2
    assert archive.cli("users", "disable", "nobody").code == 2
    archive.ok("users", "disable", "bob", "--actor", "it-admin")
    listed = archive.ok("users", "list", "--json").json()["users"]
    bob = next(u for u in listed if u["name"] == "bob")
    assert bob["role"] == "admin" and bob["disabled"]
    assert "DISABLED" in archive.ok("users", "list").text
    archive.ok("users", "enable", "bob", "--actor", "it-admin")

    renewed = typed(monkeypatch, archive, twice, "users", "password", "bob", "--json").json()
    assert renewed["name"] == "bob" and renewed["totp_secret"] not in (None, secret)

    events = actions(archive)
    assert [(e["action"], e["target"]) for e in events] == [
        ("users.add", "jane.doe@district.example.org"),
        ("users.add", "bob"),
        ("users.add", "ann@district.example.org"),
        ("users.role", "bob"),
        ("users.disable", "bob"),
        ("users.enable", "bob"),
        ("users.password", "bob"),
    ]
    assert events[0]["actor"] == "it-admin"
    assert events[3]["details"] == {"from": "auditor", "to": "admin"}
    log = archive.ok("audit", "log", "--json", "--limit", "1000").text
    assert PASSWORD not in log and secret not in log and renewed["totp_secret"] not in log


def test_sign_in_needs_the_password_and_a_fresh_code(
    archive: Archive, accounts: Accounts, clock: FixedClock
) -> None:
    secret = local(accounts, "Jane", role="approver")
    for password, code in [
        ("not the password at all", now_code(secret, clock)),
        (PASSWORD, "000000" if now_code(secret, clock) != "000000" else "111111"),
        (PASSWORD, ""),
    ]:
        with pytest.raises(SignInError, match=FAILED):
            accounts.sign_in("jane", password, code, REMOTE)
    with pytest.raises(SignInError, match=FAILED):
        accounts.sign_in("nobody", PASSWORD, now_code(secret, clock), REMOTE)

    code = now_code(secret, clock)
    account = accounts.sign_in(" JANE ", PASSWORD, code, REMOTE)
    assert (account.name, account.role, account.has_password) == ("jane", "approver", True)
    with pytest.raises(SignInError):  # the same code is not accepted twice
        accounts.sign_in("jane", PASSWORD, code, REMOTE)
    clock.advance(timedelta(seconds=20))
    with pytest.raises(SignInError):  # nor the code of a step already used
        accounts.sign_in("jane", PASSWORD, totp.code(secret, totp.step_of(clock.now()) - 1), REMOTE)
    clock.advance(timedelta(seconds=30))
    assert accounts.sign_in("jane", PASSWORD, now_code(secret, clock), REMOTE).name == "jane"

    events = actions(archive)
    failed = [e for e in events if e["action"] == "web.sign_in_failed"]
    assert [e["details"]["reason"] for e in failed] == [  # type: ignore[index]
        "wrong password", "wrong code", "wrong code", "unknown name", "code used before",
        "code used before",
    ]  # fmt: skip
    assert all(e["details"]["remote"] == REMOTE for e in failed)  # type: ignore[index]
    signed = [e for e in events if e["action"] == "web.sign_in"]
    assert [(e["actor"], e["target"]) for e in signed] == [("jane", "jane")] * 2
    log = archive.ok("audit", "log", "--json", "--limit", "1000").text
    assert PASSWORD not in log and "not the password" not in log and secret not in log


def test_the_eleventh_wrong_sign_in_within_a_minute_is_throttled(
    accounts: Accounts, clock: FixedClock
) -> None:
    secret = local(accounts, "jane")
    local(accounts, "omar")
    for _ in range(10):
        with pytest.raises(SignInError) as refused:
            accounts.sign_in("jane", "guess guess guess", "123456", REMOTE)
        assert not isinstance(refused.value, ThrottledError)
        clock.advance(timedelta(seconds=1))
    # Right password and code, from anywhere: refused unchecked until the minute has passed.
    with pytest.raises(ThrottledError, match="wait a minute"):
        accounts.sign_in("jane", PASSWORD, now_code(secret, clock), "198.51.100.2")
    # From the same address, another account's name is throttled too.
    with pytest.raises(ThrottledError):
        accounts.sign_in("omar", PASSWORD, "123456", REMOTE)
    assert ThrottledError.exit_code == SignInError.exit_code == 2

    clock.advance(timedelta(seconds=61))
    assert accounts.sign_in("jane", PASSWORD, now_code(secret, clock), REMOTE).name == "jane"


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(
    accounts: Accounts, clock: FixedClock
) -> None:
    secret = local(accounts, "jane")
    account = accounts.sign_in("jane", PASSWORD, now_code(secret, clock), REMOTE)
    token = accounts.start_session(account, REMOTE)
    assert accounts.session(token) == account

    accounts.disable("jane", "it-admin")
    assert accounts.session(token) is None
    clock.advance(timedelta(seconds=30))
    with pytest.raises(SignInError, match=FAILED):
        accounts.sign_in("jane", PASSWORD, now_code(secret, clock), REMOTE)
    with pytest.raises(SignInError):
        accounts.start_session(account, REMOTE)

    accounts.enable("jane", "it-admin")
    assert accounts.session(token) is None  # ended, not paused
    clock.advance(timedelta(seconds=30))
    again = accounts.sign_in("jane", PASSWORD, now_code(secret, clock), REMOTE)
    assert accounts.session(accounts.start_session(again, REMOTE)) == again


def test_sessions_expire_when_idle_and_at_the_absolute_limit(
    archive: Archive, app: App, accounts: Accounts, clock: FixedClock
) -> None:
    assert (app.settings.web.idle_minutes, app.settings.web.absolute_hours) == (30, 12)
    secret = local(accounts, "jane")
    account = accounts.sign_in("jane", PASSWORD, now_code(secret, clock), REMOTE)

    idle = accounts.start_session(account, REMOTE)
    clock.advance(timedelta(minutes=29))
    assert accounts.session(idle) == account  # used: idle again from here
    clock.advance(timedelta(minutes=29))
    assert accounts.session(idle) == account
    clock.advance(timedelta(minutes=31))
    assert accounts.session(idle) is None

    busy = accounts.start_session(account, REMOTE)
    for _ in range(12 * 3):  # used every 20 minutes, for 12 hours
        clock.advance(timedelta(minutes=20))
        assert accounts.session(busy) == account
    clock.advance(timedelta(minutes=1))
    assert accounts.session(busy) is None

    engine = create_engine(archive.database_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(select(web_session.c.token_hash)).scalars().all()
    finally:
        engine.dispose()
    assert all(len(bytes(h)) == 32 for h in stored)
    assert not any(t.encode() in bytes(h) for h in stored for t in (idle, busy))


def test_sign_out_ends_the_session(archive: Archive, accounts: Accounts, clock: FixedClock) -> None:
    secret = local(accounts, "jane")
    account = accounts.sign_in("jane", PASSWORD, now_code(secret, clock), REMOTE)
    token = accounts.start_session(account, REMOTE)
    other = accounts.start_session(account, "198.51.100.2")
    assert len(token) == 43 and len(base64.urlsafe_b64decode(token + "=")) == 32
    accounts.end_session(token)
    assert accounts.session(token) is None
    assert accounts.session(other) == account  # another browser stays signed in
    accounts.end_session(token)  # twice: nothing more happens
    assert accounts.session("not a token") is None
    outs = [e for e in actions(archive) if e["action"] == "web.sign_out"]
    assert [(e["actor"], e["details"]) for e in outs] == [("jane", {"remote": REMOTE})]

    accounts.set_password("jane", "a brand new passphrase", "it-admin")
    assert accounts.session(other) is None  # a new password signs every browser out
    clock.advance(timedelta(seconds=30))
    with pytest.raises(SignInError):  # the old secret's codes stop working
        accounts.sign_in("jane", "a brand new passphrase", now_code(secret, clock), REMOTE)


ANN = "https://login.microsoftonline.com/tenant/v2.0 ann-subject"


def test_sign_in_by_openid_connect_matches_the_address(
    accounts: Accounts, clock: FixedClock
) -> None:
    accounts.add("Ann@District.example.org", "auditor", sso=True, actor="it-admin")
    local(accounts, "jane")
    ann = accounts.sign_in_sso("ANN@district.example.org", REMOTE, ANN)
    assert (ann.name, ann.role, ann.sso, ann.has_password) == (
        "ann@district.example.org", "auditor", True, False,
    )  # fmt: skip
    assert accounts.session(accounts.start_session(ann, REMOTE)) == ann
    for refused in ("jane", "someone@district.example.org"):
        with pytest.raises(SignInError):
            accounts.sign_in_sso(refused, REMOTE, ANN)
    with pytest.raises(SignInError):  # no password: only the identity provider signs her in
        accounts.sign_in("ann@district.example.org", "", "", REMOTE)
    accounts.disable("ann@district.example.org", "it-admin")
    with pytest.raises(SignInError):
        accounts.sign_in_sso("ann@district.example.org", REMOTE, ANN)


def test_an_sso_account_is_bound_to_the_identity_of_its_first_sign_in(
    accounts: Accounts, clock: FixedClock
) -> None:
    accounts.add("ann@district.example.org", "auditor", sso=True, actor="it-admin")
    first = accounts.sign_in_sso("ann@district.example.org", REMOTE, ANN)
    token = accounts.start_session(first, REMOTE)
    other = "https://login.microsoftonline.com/tenant/v2.0 another-person"
    with pytest.raises(SignInError):  # the address was given to someone else
        accounts.sign_in_sso("ann@district.example.org", REMOTE, other)
    assert accounts.sign_in_sso("ann@district.example.org", REMOTE, ANN) == first
    accounts.unbind("ann@district.example.org", "it-admin")
    assert accounts.session(token) is None  # her sessions ended with it
    accounts.sign_in_sso("ann@district.example.org", REMOTE, other)  # bound again
    with pytest.raises(SignInError):
        accounts.sign_in_sso("ann@district.example.org", REMOTE, ANN)


def test_a_role_changed_in_the_database_is_refused(
    archive: Archive, accounts: Accounts, clock: FixedClock
) -> None:
    secret = local(accounts, "jane", role="reviewer")
    account = accounts.sign_in("jane", PASSWORD, now_code(secret, clock), REMOTE)
    token = accounts.start_session(account, REMOTE)
    engine = create_engine(archive.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(update(web_user).where(web_user.c.name == "jane").values(role="admin"))
    finally:
        engine.dispose()

    with pytest.raises(IntegrityError, match="role"):
        accounts.get("jane")
    with pytest.raises(IntegrityError):
        accounts.session(token)
    clock.advance(timedelta(seconds=30))
    with pytest.raises(IntegrityError):
        accounts.sign_in("jane", PASSWORD, now_code(secret, clock), REMOTE)
    listed = archive.cli("users", "list")
    assert listed.code == 3 and "role" in listed.err and "jane" in listed.err


def test_a_session_written_into_the_database_signs_nobody_in(
    archive: Archive, accounts: Accounts, clock: FixedClock
) -> None:
    secret = local(accounts, "jane")
    account = accounts.sign_in("jane", PASSWORD, now_code(secret, clock), REMOTE)
    token = accounts.start_session(account, REMOTE)
    accounts.end_session(token)
    engine = create_engine(archive.database_url)
    try:
        with engine.begin() as conn:  # revive the ended session
            conn.execute(update(web_session).values(ended_at=None))
    finally:
        engine.dispose()
    with pytest.raises(IntegrityError, match="ended_at"):
        accounts.session(token)


def test_the_totp_secret_and_password_are_not_stored_in_plaintext(
    archive: Archive, accounts: Accounts
) -> None:
    if not archive.database_url.startswith("sqlite"):
        pytest.skip("reads the SQLite file's bytes")
    secret = local(accounts, "jane")
    db_file = Path(archive.database_url.removeprefix("sqlite:///"))
    blob = b"".join(
        p.read_bytes() for p in (db_file, db_file.with_name(db_file.name + "-wal")) if p.exists()
    )
    for needle in (secret.encode(), base64.b32decode(secret), PASSWORD.encode()):
        assert needle not in blob
    assert b"$argon2id$" in blob  # the password's hash is there


def test_config_checks_the_web_settings_and_the_oidc_secret_file(
    archive: Archive, tmp_path: Path
) -> None:
    text = archive.config.read_text()
    archive.config.write_text(text + '\n[web]\nbind = "localhost"\nidle_minutes = 0\n')
    bad = archive.cli("config", "validate")
    assert bad.code == 2
    assert f"{archive.config}: web.bind must be HOST:PORT" in bad.err
    assert f"{archive.config}: web.idle_minutes must be between 1 and 1440" in bad.err

    secret = archive.root / "oidc-secret"
    secret.write_text("s3cret\n")
    os.chmod(secret, 0o644)
    archive.config.write_text(
        text + '\n[web]\npublic_url = "https://records.district.example.org"\n'
        '[web.oidc]\nissuer = "https://accounts.google.com"\nclient_id = "abc"\n'
        'client_secret_file = "oidc-secret"\nhosted_domain = "district.example.org"\n'
    )
    exposed = archive.cli("config", "validate")
    assert exposed.code == 2
    assert "web.oidc.client_secret_file" in exposed.err and "chmod 600" in exposed.err
    os.chmod(secret, 0o600)
    archive.ok("config", "validate")
    app = App.from_config(archive.config)
    assert app.oidc_client_secret() == "s3cret"
    assert app.settings.web.address == ("127.0.0.1", 8080)


def test_bad_names_and_passwords_are_refused_by_the_service(accounts: Accounts) -> None:
    for name, role, password, says in [
        ("", "admin", PASSWORD, "empty"),
        ("x" * 129, "admin", PASSWORD, "longer than 128"),
        ("jane\x1b[2J", "admin", PASSWORD, "only letters"),
        ("jane", "root", PASSWORD, "records-officer, reviewer, approver, auditor, admin"),
        ("jane", "admin", "eleven char", "shorter than 12"),
        ("jane", "admin", None, "password"),
    ]:
        with pytest.raises(UsageError, match=says):
            accounts.add(name, role, password=password, actor="it-admin")
    assert accounts.list() == []
    account: Account
    account, secret = accounts.add("jane", "admin", password="twelve chars", actor="it-admin")
    assert secret is not None and accounts.get("JANE") == account
