"""Collection logic without servers: batching, source settings, token requests, sd_notify."""

from __future__ import annotations

import json
import socket
import sys
import types
from pathlib import Path
from typing import Any, Literal

import pytest

from archiver.errors import AuthError, ConfigError
from archiver.platform.sdnotify import Notifier
from archiver.settings import SourceSettings, parse_duration, parse_settings
from archiver.sources.auth import GOOGLE_SCOPE, M365_SCOPE, Authenticator
from archiver.sources.imap import batches


def test_batches_respect_count_and_bytes_and_send_a_big_message_alone() -> None:
    sizes = {1: 10, 2: 10, 3: 10, 4: 500, 5: 10, 6: 10}
    assert list(batches(sizes, count=2, limit_bytes=100)) == [[1, 2], [3], [4], [5, 6]]
    assert list(batches({}, 5, 100)) == []


def test_durations() -> None:
    assert parse_duration("90s") == 90 and parse_duration("5m") == 300
    assert parse_duration("1h") == 3600 and parse_duration("30") == 30
    with pytest.raises(ValueError):
        parse_duration("soon")


def _sources(body: str) -> str:
    return f"[[sources]]\n{body}\n"


def test_imap_source_problems_are_named_by_source_and_key() -> None:
    text = _sources(
        'name = "a"\nkind = "imap"\nhost = "mail.example.org"\ntls = "none"\n'
        'auth = "xoauth2-m365"\nfolders = ["INBOX"]\narchived_folder = "INBOX"\n'
        'interval = "soon"'
    )
    with pytest.raises(ConfigError) as err:
        parse_settings(text, Path("x.toml"))
    problems = "\n".join(err.value.problems)
    for key in (
        "sources[0] (a).username",
        "sources[0] (a).tls",
        "sources[0] (a).secret_file",
        "sources[0] (a).tenant_id",
        "sources[0] (a).client_id",
        "sources[0] (a).archived_folder",
        "sources[0] (a).interval",
    ):
        assert key in problems, key


def test_duplicate_source_names_and_unknown_source_keys() -> None:
    text = _sources('name = "a"\nkind = "maildir"\npath = "m"') + _sources(
        'name = "a"\nkind = "maildir"\npath = "n"\nhots = "x"'
    )
    with pytest.raises(ConfigError) as err:
        parse_settings(text, Path("x.toml"))
    problems = "\n".join(err.value.problems)
    assert "used by more than one source" in problems and "unknown key 'hots'" in problems


Auth = Literal["password", "xoauth2-m365", "xoauth2-google"]


def _source(tmp_path: Path, auth: Auth, secret: str) -> Authenticator:
    (tmp_path / "secret").write_text(secret)
    (tmp_path / "secret").chmod(0o600)
    source = SourceSettings(
        name="m",
        host="h",
        username="records@district.example.org",
        auth=auth,
        secret_file="secret",
        tenant_id="tid",
        client_id="cid",
    )
    return Authenticator(source, tmp_path)


def test_password_comes_from_the_secret_file_without_its_newline(tmp_path: Path) -> None:
    login = _source(tmp_path, "password", "s3cret\n").login()
    assert (login.mechanism, login.secret) == ("password", "s3cret")
    assert "s3cret" not in repr(login)


def test_secret_file_open_to_others_is_refused(tmp_path: Path) -> None:
    auth = _source(tmp_path, "password", "x")
    (tmp_path / "secret").chmod(0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        auth.login()


def test_secret_found_among_systemd_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "secrets_imap-password").write_text("from-systemd")
    (creds / "secrets_imap-password").chmod(0o400)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    source = SourceSettings(name="m", host="h", username="u", secret_file="imap-password")
    assert Authenticator(source, tmp_path).login().secret == "from-systemd"


def test_m365_token_uses_client_credentials_for_exchange(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: dict[str, Any] = {}

    class App:
        def __init__(self, client_id: str, authority: str, client_credential: str) -> None:
            calls.update(client_id=client_id, authority=authority, secret=client_credential)

        def acquire_token_for_client(self, scopes: list[str]) -> dict[str, str]:
            calls["scopes"] = scopes
            return {"access_token": "tok-123"}

    monkeypatch.setitem(
        sys.modules, "msal", types.SimpleNamespace(ConfidentialClientApplication=App)
    )
    login = _source(tmp_path, "xoauth2-m365", "client-secret").login()
    assert (login.mechanism, login.username, login.secret) == (
        "xoauth2",
        "records@district.example.org",
        "tok-123",
    )
    assert calls == {
        "client_id": "cid",
        "authority": "https://login.microsoftonline.com/tid",
        "secret": "client-secret",
        "scopes": [M365_SCOPE],
    }


def test_m365_refusal_is_a_clear_auth_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class App:
        def __init__(self, *a: Any, **k: Any) -> None:
            pass

        def acquire_token_for_client(self, scopes: list[str]) -> dict[str, str]:
            return {"error": "invalid_client", "error_description": "AADSTS7000215: bad secret"}

    monkeypatch.setitem(
        sys.modules, "msal", types.SimpleNamespace(ConfidentialClientApplication=App)
    )
    with pytest.raises(AuthError, match="AADSTS7000215"):
        _source(tmp_path, "xoauth2-m365", "x").login()


def test_missing_vendor_library_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "msal", None)  # as if not installed
    with pytest.raises(ConfigError, match=r"archiver\[m365\]"):
        _source(tmp_path, "xoauth2-m365", "x").login()


def test_google_token_impersonates_the_mailbox_with_the_mail_scope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    class Creds:
        token = "ya29.token"

        @classmethod
        def from_service_account_file(cls, path: str, scopes: list[str]) -> Creds:
            seen.update(path=path, scopes=scopes, info=json.loads(Path(path).read_text()))
            return cls()

        def with_subject(self, subject: str) -> Creds:
            seen["subject"] = subject
            return self

        def refresh(self, request: object) -> None:
            seen["refreshed"] = True

    class GoogleAuthError(Exception):
        pass

    sa = types.SimpleNamespace(Credentials=Creds)
    transport = types.SimpleNamespace(Request=object)
    errors = types.SimpleNamespace(GoogleAuthError=GoogleAuthError)
    monkeypatch.setitem(sys.modules, "google.oauth2.service_account", sa)
    monkeypatch.setitem(sys.modules, "google.auth.transport.requests", transport)
    monkeypatch.setitem(sys.modules, "google.auth.exceptions", errors)
    login = _source(tmp_path, "xoauth2-google", '{"type": "service_account"}').login()
    assert login.secret == "ya29.token"
    assert seen["scopes"] == [GOOGLE_SCOPE] and seen["subject"] == "records@district.example.org"
    assert seen["refreshed"] and seen["info"]["type"] == "service_account"


def test_notifier_sends_datagrams_to_notify_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "notify")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(2)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    Notifier().notify(READY="1", STATUS="collecting")
    assert server.recv(1024) == b"READY=1\nSTATUS=collecting"
    server.close()
    monkeypatch.delenv("NOTIFY_SOCKET")
    Notifier().notify(READY="1")  # no socket: nothing happens, nothing fails
