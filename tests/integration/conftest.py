"""Fixtures: a real Dovecot IMAP server (one per session) and TCP fault-injection proxies."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from archiver.archive import reindex as search_service
from archiver.store import postings, tables
from tests.integration.dovecot import Dovecot, FaultProxy


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """Dovecot 2.3 on 127.0.0.1 (started on first use); fails, not skips, if it is missing."""
    server = Dovecot.launch()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def imap_user(dovecot: Dovecot) -> str:
    """A fresh user with an empty mailbox; log in with `dovecot.password` or a token."""
    dovecot.start()  # no-op if up; recovers from a test that stopped it and then failed
    return dovecot.new_user()


@pytest.fixture(scope="session")
def dovecot_tls() -> Iterator[Dovecot]:
    """A second Dovecot 2.3 that also serves TLS with a throw-away certificate for 127.0.0.1
    and localhost: implicit TLS on `imaps_port`, STARTTLS on `port`; trust it with `ca_path`."""
    server = Dovecot.launch(tls=True)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def tls_user(dovecot_tls: Dovecot) -> str:
    """A fresh user with an empty mailbox on `dovecot_tls`."""
    dovecot_tls.start()
    return dovecot_tls.new_user()


@pytest.fixture
def fault_proxy() -> Iterator[Callable[[str, int], FaultProxy]]:
    """Factory `(host, port) -> FaultProxy`; every proxy it made is closed at teardown."""
    proxies: list[FaultProxy] = []

    def make(host: str, port: int) -> FaultProxy:
        proxy = FaultProxy(host, port)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 8 documents; terms with 3 postings in a full block are packed; `reindex`
    packs 2 blocks per transaction."""
    monkeypatch.setattr(tables, "POSTING_BLOCK", 8)
    monkeypatch.setattr(postings, "PACK_MIN", 3)
    monkeypatch.setattr(search_service, "PACK_PAGE", 2)
