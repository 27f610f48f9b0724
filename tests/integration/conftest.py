"""Fixtures: a real Dovecot IMAP server (one per session), TCP fault-injection proxies, and
`wait_for` (poll an observable state until a deadline)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from archiver.archive import reindex as search_service
from archiver.store import postings, tables
from tests.integration.dovecot import Dovecot, FaultProxy

POLL_EVERY = 0.02  # seconds between two looks at the state waited for


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Return once `predicate()` is true; fail the test naming `what` if it is not within
    `timeout` seconds (a deadline, never a guess at how long something takes)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(POLL_EVERY)


def kill_at_a_random_point(
    proc: subprocess.Popen[Any],
    progress: dict[str, Callable[[], int]],
    rng: random.Random,
    most: int,
    start_up: float,
) -> None:
    """SIGKILL `proc` (its main process only) at a random point of its work: once one of the
    `progress` counts has grown by a random number up to `most`, or at a random moment of its
    first `start_up` seconds unless it makes any progress before. Fails if `proc` ends by
    itself first: the caller gives it more work than that."""
    kind = rng.choice(["start-up", *progress])
    if kind == "start-up":
        started, delay = time.monotonic(), rng.uniform(0, start_up)
        before = {name: count() for name, count in progress.items()}

        def reached() -> bool:
            return time.monotonic() - started > delay or any(
                count() > before[name] for name, count in progress.items()
            )
    else:
        target = progress[kind]() + rng.randrange(1, most + 1)

        def reached() -> bool:
            return progress[kind]() >= target

    wait_for(lambda: reached() or proc.poll() is not None, 60, f"the {kind} point of the kill")
    assert proc.poll() is None, f"process {proc.pid} ended by itself before its kill"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL


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
