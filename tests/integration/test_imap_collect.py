"""Collecting from a real Dovecot: what a cycle archives, moves, survives and reports."""

from __future__ import annotations

import itertools
import sqlite3
import sys
import types
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import corpus
import imapclient
import pytest

from archiver.sources import imap as imap_module
from tests.conftest import Archive, make_archive
from tests.integration.dovecot import Dovecot, FaultProxy

Proxy = Callable[[str, int], FaultProxy]


def generated(n: int, seed: int = 3) -> list[bytes]:
    return list(itertools.islice(corpus.generate(seed), n))


def forward(n: int, sender: str = "teacher@district.example.org") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "records-archive@district.example.org"
    msg["Subject"] = f"Fwd: note {n}"
    msg["Date"] = "Mon, 02 Mar 2026 08:00:00 -0500"
    msg["Message-ID"] = f"<note-{n}@example.org>"
    msg["Authentication-Results"] = "mx.district.example.org; dkim=pass; dmarc=pass"
    msg.set_content(f"Forwarded note number {n}.\n")
    return msg.as_bytes().replace(b"\n", b"\r\n")


def imap_archive(
    tmp_path: Path,
    database_url: str,
    user: str,
    port: int,
    password: str,
    **source: Any,
) -> Archive:
    root = tmp_path / "archive"
    root.mkdir()
    secret = root / "imap-password"
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    settings = {
        "name": "records",
        "kind": "imap",
        "host": "127.0.0.1",
        "port": port,
        "tls": "none",
        "username": user,
        "secret_file": "imap-password",
        "interval": "1s",
        "timeout": "10s",
        **source,
    }
    body = "\n".join(f"{k} = {_toml(v)}" for k, v in settings.items())
    return make_archive(
        root, database_url, f'[daemon]\njitter = "0s"\n\n[[sources]]\n{body}\n', workers=2
    )


def _toml(v: Any) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return str(v)


@pytest.fixture
def collecting(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_user: str
) -> Iterator[Callable[..., Archive]]:
    def make(port: int | None = None, password: str | None = None, **source: Any) -> Archive:
        return imap_archive(
            tmp_path,
            database_url,
            imap_user,
            port or dovecot.port,
            password or dovecot.password,
            **source,
        )

    yield make


def poll(archive: Archive) -> dict[str, Any]:
    result = archive.cli("poll", "--json")
    [doc] = result.json()["sources"]
    assert isinstance(doc, dict)
    doc["exit_code"] = result.code
    return doc


@pytest.mark.timeout(60)  # ~5 s
def test_one_poll_archives_1000_messages(
    collecting: Callable[..., Archive], dovecot: Dovecot, imap_user: str
) -> None:
    messages = generated(1000)
    dovecot.append(imap_user, "INBOX", messages)
    archive = collecting()
    doc = poll(archive)
    assert doc["exit_code"] == 0, doc
    assert (doc["fetched"], doc["archived"], doc["moved"], doc["waiting"]) == (1000, 1000, 1000, 0)
    assert dovecot.count(imap_user, "INBOX") == 0
    assert dovecot.count(imap_user, "Archived") == 1000
    verify = archive.ok("verify", "--json").json()
    assert verify["checked"] == 1000 and verify["failed"] == []
    status = archive.ok("status", "--json").json()["sources"][0]
    assert status["archived_today"] == 1000 and status["waiting"] == 0
    assert status["last_error"] is None and status["last_success_at"]
    index = archive.ok("search", "--json", "--status", "active").json()  # indexed as polled
    assert index["total"] == 1000 and index["unindexed"] == 0
    again = poll(archive)
    assert (again["fetched"], again["archived"]) == (0, 0)


def test_bytes_arrive_exactly_and_sender_rules_quarantine(
    collecting: Callable[..., Archive], dovecot: Dovecot, imap_user: str
) -> None:
    inside, outside = forward(1), forward(2, sender="someone@gmail.example")
    not_mail = b"this is not an email at all\r\njust some words\r\n"
    dovecot.append(imap_user, "INBOX", [inside, outside, not_mail])
    archive = collecting(allowed_forwarder_domains=["district.example.org"])
    doc = poll(archive)
    assert (doc["archived"], doc["quarantined"], doc["moved"]) == (1, 2, 3)
    assert dovecot.messages(imap_user, "Archived") == [inside]
    assert sorted(dovecot.messages(imap_user, "Quarantine")) == sorted([outside, not_mail])
    records = {}
    for raw in (inside, outside, not_mail):  # the same bytes imported again name their record
        path = archive.root / "probe.eml"
        path.write_bytes(raw)
        rid = archive.ok("import", "--json", str(path)).json()["items"][0]["id"]
        records[raw] = archive.ok("show", "--json", rid).json()
        assert archive.ok("show", "--raw", rid).out == raw
    assert records[inside]["status"] == "active"
    quarantined = archive.ok("search", "--json", "--status", "quarantined").json()
    assert {r["id"] for r in quarantined["results"]} == {
        records[outside]["id"],
        records[not_mail]["id"],
    }
    assert records[outside]["quarantine"]["code"] == "sender_not_allowed"
    assert records[not_mail]["quarantine"]["code"] == "no_headers"
    assert "dmarc=pass" in records[inside]["authentication_results"][0]
    arrival = records[inside]["arrivals"][0]
    assert (arrival["source_name"], arrival["mailbox"]) == ("records", "INBOX")


def test_wrong_password_is_a_clear_error_and_moves_nothing(
    collecting: Callable[..., Archive], dovecot: Dovecot, imap_user: str
) -> None:
    dovecot.append(imap_user, "INBOX", [forward(1)])
    archive = collecting(password="not-the-password")
    result = archive.cli("poll")
    assert result.code == 1
    assert "refused the login" in result.err and imap_user in result.err
    assert "not-the-password" not in result.err
    assert dovecot.count(imap_user, "INBOX") == 1
    status = archive.cli("status", "--json")
    assert status.code == 1 and "refused" in status.json()["sources"][0]["last_error"]


@pytest.mark.timeout(30)  # under a second
def test_server_down_then_back(
    collecting: Callable[..., Archive], dovecot: Dovecot, imap_user: str, fault_proxy: Proxy
) -> None:
    dovecot.append(imap_user, "INBOX", [forward(i) for i in range(5)])
    proxy = fault_proxy(dovecot.host, dovecot.port)
    archive = collecting(port=proxy.port)
    proxy.refuse()
    result = archive.cli("poll")
    assert result.code == 1 and "cannot connect" in result.err
    assert dovecot.count(imap_user, "INBOX") == 5
    proxy.resume()
    assert poll(archive)["archived"] == 5 and dovecot.count(imap_user, "INBOX") == 0


@pytest.mark.timeout(60)  # ~4 s
def test_connection_dropped_mid_fetch_loses_and_duplicates_nothing(
    collecting: Callable[..., Archive], dovecot: Dovecot, imap_user: str, fault_proxy: Proxy
) -> None:
    messages = generated(120, seed=8)
    dovecot.append(imap_user, "INBOX", messages)
    proxy = fault_proxy(dovecot.host, dovecot.port)
    archive = collecting(port=proxy.port, batch_messages=10, timeout="3s")
    proxy.cut_after(sum(len(m) for m in messages) // 2)
    first = poll(archive)
    assert first["exit_code"] == 1 and "failed" in first["error"]
    # What was fetched before the drop is archived (it will be filed next cycle).
    kept = archive.ok("verify", "--json").json()["checked"]
    assert 0 < kept < 120
    assert dovecot.count(imap_user, "INBOX") + dovecot.count(imap_user, "Archived") == 120
    proxy.heal()
    second = poll(archive)
    assert second["exit_code"] == 0
    assert dovecot.count(imap_user, "INBOX") == 0
    assert dovecot.count(imap_user, "Archived") == 120
    verify = archive.ok("verify", "--json").json()
    assert verify["checked"] == 120 and verify["failed"] == []


def test_uidvalidity_change_makes_no_duplicate_records(
    collecting: Callable[..., Archive], dovecot: Dovecot, imap_user: str
) -> None:
    first = [forward(i) for i in range(10)]
    dovecot.append(imap_user, "Forwards", first)
    archive = collecting(folders=["Forwards"])
    assert poll(archive)["archived"] == 10
    dovecot.recreate_folder(imap_user, "Forwards")  # a new UIDVALIDITY
    dovecot.append(imap_user, "Forwards", first + [forward(i) for i in range(10, 15)])
    doc = poll(archive)
    assert (doc["archived"], doc["duplicates"], doc["moved"]) == (5, 10, 15)
    assert archive.ok("verify", "--json").json()["checked"] == 15
    assert dovecot.count(imap_user, "Archived") == 25  # every copy filed, none left behind
    events = archive.ok("audit", "verify", "--json").json()
    assert events["ok"]


@pytest.mark.timeout(30)  # under a second
def test_message_over_the_batch_limit_is_fetched_alone(
    collecting: Callable[..., Archive], dovecot: Dovecot, imap_user: str
) -> None:
    big = EmailMessage()
    big["From"] = "teacher@district.example.org"
    big["Subject"] = "Fwd: scanned forms"
    big.set_content("Attached.")
    big.add_attachment(
        bytes(range(256)) * 12_000, maintype="application", subtype="pdf", filename="forms.pdf"
    )  # about 4 MB once encoded
    raw_big = big.as_bytes().replace(b"\n", b"\r\n")
    dovecot.append(imap_user, "INBOX", [forward(1), raw_big, forward(2)])
    archive = collecting(batch_mb=1)
    doc = poll(archive)
    assert (doc["archived"], doc["moved"], doc["exit_code"]) == (3, 3, 0)
    assert raw_big in dovecot.messages(imap_user, "Archived")


@pytest.mark.timeout(30)  # under a second
def test_message_over_max_size_stays_and_is_reported(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_user: str
) -> None:
    huge = forward(9).replace(b"Forwarded note", b"x" * 2_200_000 + b"\r\nForwarded note")
    dovecot.append(imap_user, "INBOX", [forward(1), huge])
    archive = imap_archive(tmp_path, database_url, imap_user, dovecot.port, dovecot.password)
    config = archive.config.read_text().replace("workers = 2", "workers = 2\nmax_message_mb = 2")
    archive.config.write_text(config)
    doc = poll(archive)
    assert doc["exit_code"] == 1 and doc["archived"] == 1 and doc["failed"] == 1
    assert "max_message_mb" in doc["errors"][0] and doc["waiting"] == 1
    assert dovecot.messages(imap_user, "INBOX") == [huge]


@pytest.mark.timeout(60)  # ~3 s
def test_database_unreachable_mid_cycle_moves_nothing_then_catches_up(
    collecting: Callable[..., Archive],
    dovecot: Dovecot,
    imap_user: str,
    fault_proxy: Proxy,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dovecot.append(imap_user, "INBOX", [forward(i) for i in range(30)])
    archive = collecting()
    break_database = _database_breaker(archive, database_url, fault_proxy)
    real_fetch = imap_module.Mailbox.fetch

    def fetch_then_lose_the_database(self: imap_module.Mailbox, uids: list[int]) -> Any:
        fetched = real_fetch(self, uids)
        break_database()  # the messages are in hand; the database goes away
        return fetched

    monkeypatch.setattr(imap_module.Mailbox, "fetch", fetch_then_lose_the_database)
    failed = archive.cli("poll")
    assert failed.code == 1 and "database" in failed.err
    assert dovecot.count(imap_user, "INBOX") == 30 and dovecot.count(imap_user, "Archived") == 0
    monkeypatch.setattr(imap_module.Mailbox, "fetch", real_fetch)
    _restore_database(archive)
    doc = poll(archive)
    assert (doc["exit_code"], doc["archived"], doc["moved"]) == (0, 30, 30)
    assert dovecot.count(imap_user, "INBOX") == 0


_restorers: dict[str, Callable[[], None]] = {}


def _database_breaker(archive: Archive, url: str, fault_proxy: Proxy) -> Callable[[], None]:
    """Make the archive's database unusable on demand (a held lock, or a cut connection)."""
    if url.startswith("sqlite"):
        text = archive.config.read_text().replace("[archive]", "[archive]\nlock_timeout = 1")
        archive.config.write_text(text)
        holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)

        def lock() -> None:
            holder.execute("BEGIN EXCLUSIVE")

        def unlock() -> None:
            holder.execute("ROLLBACK")
            holder.close()

        _restorers[str(archive.root)] = unlock
        return lock
    from sqlalchemy.engine import make_url

    real = make_url(url)
    proxy = fault_proxy(real.host or "127.0.0.1", real.port or 5432)
    via_proxy = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    archive.config.write_text(archive.config.read_text().replace(url, via_proxy))

    def cut() -> None:
        proxy.refuse()
        proxy.drop_connections()

    _restorers[str(archive.root)] = proxy.resume
    return cut


def _restore_database(archive: Archive) -> None:
    _restorers.pop(str(archive.root))()


def test_xoauth2_login_with_a_microsoft_365_token(
    tmp_path: Path,
    database_url: str,
    dovecot: Dovecot,
    imap_user: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = dovecot.issue_token(imap_user)

    class App:  # msal, as far as we use it: the token comes from the test's identity provider
        def __init__(self, client_id: str, authority: str, client_credential: str) -> None:
            assert (client_id, client_credential) == ("app-id", "client-secret")

        def acquire_token_for_client(self, scopes: list[str]) -> dict[str, str]:
            return {"access_token": token}

    fake = types.SimpleNamespace(ConfidentialClientApplication=App)
    monkeypatch.setitem(sys.modules, "msal", fake)
    dovecot.append(imap_user, "INBOX", [forward(1)])
    archive = imap_archive(
        tmp_path,
        database_url,
        imap_user,
        dovecot.port,
        "client-secret",
        auth="xoauth2-m365",
        tenant_id="tenant",
        client_id="app-id",
    )
    doc = poll(archive)
    assert (doc["exit_code"], doc["archived"], doc["moved"]) == (0, 1, 1)
    dovecot.revoke_token(token)
    refused = archive.cli("poll")
    assert refused.code == 1 and "refused the login" in refused.err


def test_servers_without_move_get_copy_flag_and_uid_expunge(
    collecting: Callable[..., Archive],
    dovecot: Dovecot,
    imap_user: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = imapclient.IMAPClient.has_capability
    monkeypatch.setattr(
        imapclient.IMAPClient,
        "has_capability",
        lambda self, cap: cap.upper() != "MOVE" and real(self, cap),
    )
    messages = [forward(i) for i in range(12)]
    dovecot.append(imap_user, "INBOX", messages)
    doc = poll(collecting(batch_messages=5))
    assert (doc["exit_code"], doc["archived"], doc["moved"]) == (0, 12, 12)
    assert dovecot.count(imap_user, "INBOX") == 0
    assert sorted(dovecot.messages(imap_user, "Archived")) == sorted(messages)
