"""Collecting over TLS from a real Dovecot with a throw-away certificate, via `archiver poll`:
implicit TLS and STARTTLS with the district's CA work; a wrong CA, a certificate for another
name, or a server that does not offer STARTTLS are refused before any password is sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Archive
from tests.integration.dovecot import Dovecot, FaultProxy, ThrowawayCA
from tests.integration.test_imap_collect import forward, imap_archive, poll

Proxy = Callable[[str, int], FaultProxy]
MESSAGES = 3


@pytest.fixture(scope="module")
def dovecot_other_name() -> Iterator[Dovecot]:
    """A Dovecot serving TLS whose certificate names only mail.district.example.test."""
    server = Dovecot.launch(tls=True, server_names=("mail.district.example.test",))
    try:
        yield server
    finally:
        server.close()


def tls_archive(
    tmp_path: Path, database_url: str, server: Dovecot, user: str, port: int, **source: Any
) -> Archive:
    return imap_archive(tmp_path, database_url, user, port, server.password, **source)


def assert_archived(archive: Archive, server: Dovecot, user: str, messages: list[bytes]) -> None:
    doc = poll(archive)
    assert doc["exit_code"] == 0 and doc["error"] is None, doc
    assert (doc["archived"], doc["moved"], doc["failed"]) == (len(messages), len(messages), 0)
    assert server.count(user, "INBOX") == 0
    assert sorted(server.messages(user, "Archived")) == sorted(messages)
    found = archive.ok("search", "--json", "--status", "active").json()
    assert found["total"] == len(messages)
    assert archive.ok("verify", "--json").json()["checked"] == len(messages)


def assert_refused(
    archive: Archive, server: Dovecot, user: str, messages: list[bytes], *words: str
) -> str:
    """`archiver poll` fails with one error line naming the source and `words`; nothing is
    archived and the messages stay in INBOX. Returns the error line."""
    result = archive.cli("poll")
    assert result.code == 1, (result.code, result.text, result.err)
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    [line] = lines
    assert line.startswith("error: source records: "), line
    for word in words:
        assert word in line, (word, line)
    assert server.password not in line
    assert archive.ok("verify", "--json").json()["checked"] == 0
    for state in ("active", "quarantined"):
        assert archive.ok("search", "--json", "--status", state).json()["total"] == 0
    assert server.messages(user, "INBOX") == messages
    assert server.count(user, "Archived") == 0
    status = archive.cli("status", "--json")
    assert status.code == 1 and words[0] in status.json()["sources"][0]["last_error"]
    return line


@pytest.mark.timeout(90)
def test_implicit_tls_with_the_ca_file_archives(
    tmp_path: Path, database_url: str, dovecot_tls: Dovecot, tls_user: str
) -> None:
    messages = [forward(i) for i in range(MESSAGES)]
    dovecot_tls.append(tls_user, "INBOX", messages)
    archive = tls_archive(
        tmp_path,
        database_url,
        dovecot_tls,
        tls_user,
        dovecot_tls.imaps_port,
        tls="implicit",
        ca_file=str(dovecot_tls.ca_path),
    )
    assert_archived(archive, dovecot_tls, tls_user, messages)


@pytest.mark.timeout(90)
def test_starttls_with_the_ca_file_archives_and_sends_no_password_in_the_clear(
    tmp_path: Path, database_url: str, dovecot_tls: Dovecot, tls_user: str, fault_proxy: Proxy
) -> None:
    messages = [forward(i) for i in range(MESSAGES)]
    dovecot_tls.append(tls_user, "INBOX", messages)
    wire = fault_proxy(dovecot_tls.host, dovecot_tls.port)  # the plain port: STARTTLS
    archive = tls_archive(
        tmp_path,
        database_url,
        dovecot_tls,
        tls_user,
        wire.port,
        host="localhost",  # the certificate's DNS name (the implicit test uses its IP address)
        tls="starttls",
        ca_file=str(dovecot_tls.ca_path),
    )
    assert_archived(archive, dovecot_tls, tls_user, messages)
    seen = wire.client_bytes()
    assert b"STARTTLS" in seen.upper()
    assert dovecot_tls.password.encode() not in seen
    assert tls_user.encode() not in seen  # the login and every command after it: encrypted
    assert b"Forwarded note" not in seen


@pytest.mark.timeout(90)
@pytest.mark.parametrize("tls", ["implicit", "starttls"])
def test_a_certificate_from_another_ca_is_refused(
    tmp_path: Path,
    database_url: str,
    dovecot_tls: Dovecot,
    tls_user: str,
    fault_proxy: Proxy,
    tls: str,
) -> None:
    messages = [forward(i) for i in range(MESSAGES)]
    dovecot_tls.append(tls_user, "INBOX", messages)
    other_ca = ThrowawayCA("another district's CA").write(tmp_path / "other-ca.pem")
    wire = fault_proxy(
        dovecot_tls.host, dovecot_tls.imaps_port if tls == "implicit" else dovecot_tls.port
    )
    archive = tls_archive(
        tmp_path, database_url, dovecot_tls, tls_user, wire.port, tls=tls, ca_file=str(other_ca)
    )
    line = assert_refused(
        archive, dovecot_tls, tls_user, messages, "TLS with", "certificate verify failed"
    )
    assert f"127.0.0.1:{wire.port}" in line
    assert dovecot_tls.password.encode() not in wire.client_bytes()


@pytest.mark.timeout(90)
def test_a_certificate_for_another_name_is_refused(
    tmp_path: Path, database_url: str, dovecot_other_name: Dovecot
) -> None:
    dovecot_other_name.start()
    user = dovecot_other_name.new_user()
    messages = [forward(i) for i in range(MESSAGES)]
    dovecot_other_name.append(user, "INBOX", messages)
    archive = tls_archive(
        tmp_path,
        database_url,
        dovecot_other_name,
        user,
        dovecot_other_name.imaps_port,
        tls="implicit",
        ca_file=str(dovecot_other_name.ca_path),  # the right CA: only the name is wrong
    )
    assert_refused(archive, dovecot_other_name, user, messages, "TLS with", "mismatch")


@pytest.mark.timeout(90)
def test_starttls_required_but_not_offered_fails_without_logging_in(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_user: str, fault_proxy: Proxy
) -> None:
    with dovecot.connect() as probe:  # the plaintext fixture: no STARTTLS on offer
        assert b"STARTTLS" not in probe.capabilities()
    messages = [forward(i) for i in range(MESSAGES)]
    dovecot.append(imap_user, "INBOX", messages)
    wire = fault_proxy(dovecot.host, dovecot.port)
    archive = tls_archive(tmp_path, database_url, dovecot, imap_user, wire.port, tls="starttls")
    assert_refused(archive, dovecot, imap_user, messages, "STARTTLS")
    seen = wire.client_bytes()
    assert wire.accepted >= 1  # the poll did reach the server (and said nothing secret)
    assert dovecot.password.encode() not in seen
    assert b"LOGIN" not in seen.upper() and b"AUTHENTICATE" not in seen.upper()
