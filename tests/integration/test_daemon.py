"""The poller and the daemon as processes: killed, stopped, reloaded, doubled up."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from archiver.store.tables import arrival
from tests.conftest import Archive
from tests.integration.conftest import kill_at_a_random_point, wait_for
from tests.integration.dovecot import Dovecot, FaultProxy
from tests.integration.test_imap_collect import forward, generated, imap_archive


def _archiver(archive: Archive, *args: str, **popen: object) -> subprocess.Popen[str]:
    return subprocess.Popen(  # type: ignore[no-any-return]
        [sys.executable, "-m", "archiver", "--config", str(archive.config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **popen,  # type: ignore[call-overload]
    )


def _arrivals(archive: Archive) -> int:
    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        n = int(conn.execute(select(func.count()).select_from(arrival)).scalar_one())
    engine.dispose()
    return n


@pytest.mark.timeout(180)
def test_poller_killed_at_random_points_then_rerun_files_everything_once(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_user: str
) -> None:
    messages = generated(800, seed=21)
    dovecot.append(imap_user, "INBOX", messages)
    archive = imap_archive(
        tmp_path, database_url, imap_user, dovecot.port, dovecot.password, batch_messages=20
    )
    counts: dict[str, Callable[[], int]] = {
        "committed": lambda: _arrivals(archive),  # in the database, perhaps not filed yet
        "filed": lambda: dovecot.count(imap_user, "Archived"),  # moved on the server too
    }
    # Five polls killed at random points of their work (the next batch is then anywhere
    # between its fetch and its move), each within 100 messages and a batch or two in flight
    # of the last: they cannot have filed all 800.
    rng = random.Random(7)
    for _ in range(5):
        kill_at_a_random_point(_archiver(archive, "poll"), counts, rng, most=100, start_up=0.5)
    assert dovecot.count(imap_user, "INBOX") > 0
    final = archive.cli("poll", "--json")
    assert final.code == 0, final.err
    assert dovecot.count(imap_user, "INBOX") == 0
    assert dovecot.count(imap_user, "Archived") == 800  # nothing left behind, nothing twice
    verify = archive.ok("verify", "--json").json()
    assert verify["checked"] == len(set(messages)) and verify["failed"] == []
    assert archive.ok("audit", "verify", "--json").json()["ok"]


@pytest.mark.timeout(120)
def test_daemon_notifies_systemd_and_stops_cleanly_on_sigterm(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_user: str
) -> None:
    dovecot.append(imap_user, "INBOX", generated(600, seed=5))
    archive = imap_archive(
        tmp_path, database_url, imap_user, dovecot.port, dovecot.password, batch_messages=25
    )
    notify_path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(notify_path)
    listener.settimeout(30)
    # The daemon's events are its own, whoever's environment started it.
    env = {**os.environ, "NOTIFY_SOCKET": notify_path, "ARCHIVER_ACTOR": "Dana Reyes"}
    proc = _archiver(archive, "run", env=env)
    try:
        first = listener.recv(4096).decode()
        assert "READY=1" in first
        beat = listener.recv(4096).decode()  # a committed batch is proof of progress
        assert "WATCHDOG=1" in beat
        os.kill(proc.pid, signal.SIGTERM)  # mid-cycle: 600 messages take a while
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        listener.close()
    assert proc.returncode == 0, err
    assert "finishing the messages in hand" in err and "stopped" in err
    left = dovecot.count(imap_user, "INBOX")
    filed = dovecot.count(imap_user, "Archived")
    assert left + filed == 600
    assert archive.ok("verify", "--json").json()["checked"] == filed  # committed means filed
    ingests = archive.ok("audit", "log", "--action", "ingest", "--json").json()["events"]
    assert ingests and {e["actor"] for e in ingests} == {"archiver (daemon)"}
    archive.ok("poll", "--actor", "Kim Park")
    assert dovecot.count(imap_user, "Archived") == 600
    ingests = archive.ok("audit", "log", "--action", "ingest", "--json").json()["events"]
    assert ingests[-1]["actor"] == "Kim Park"  # a poll someone runs is theirs


def _append_and_see_filing(dovecot: Dovecot, user: str, messages: list[bytes]) -> None:
    """Append `messages` to the INBOX; return once a daemon has filed messages since."""
    filed = dovecot.count(user, "Archived")
    dovecot.append(user, "INBOX", messages)
    wait_for(lambda: dovecot.count(user, "Archived") > filed, 30, "a daemon to file messages")


@pytest.mark.timeout(120)
def test_two_daemons_on_one_database_archive_each_message_once(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_user: str
) -> None:
    archive = imap_archive(
        tmp_path, database_url, imap_user, dovecot.port, dovecot.password, batch_messages=10
    )
    # An open request long overdue: the journal warns of it once a day (and at start).
    late = archive.ok(
        "request", "open", "--kind", "public", "--received", "2020-03-02 10:00",
        "--requester", "Jo Reporter", "--json",
    ).json()["number"]  # fmt: skip
    daemons = [_archiver(archive, "run") for _ in range(2)]
    try:
        for chunk in range(3):  # each arriving while the daemons are at work on the last
            _append_and_see_filing(dovecot, imap_user, generated(100, seed=40 + chunk))
        wait_for(lambda: dovecot.count(imap_user, "Archived") == 300, 60, "300 messages filed")
        assert dovecot.count(imap_user, "INBOX") == 0
    finally:
        for d in daemons:
            d.send_signal(signal.SIGTERM)
        outputs = [d.communicate(timeout=60) for d in daemons]
    assert [d.returncode for d in daemons] == [0, 0], [err for _, err in outputs]
    assert archive.ok("verify", "--json").json()["checked"] == 300
    assert _arrivals(archive) == 300  # no message was even fetched twice
    # Each cycle puts the audit head in the journal: a copy the log is checked against.
    heads = [h for _, err in outputs for h in re.findall(r"audit head (\d+:[0-9a-f]{64})", err)]
    assert heads
    newest = max(heads, key=lambda h: int(h.split(":")[0]))
    assert archive.ok("audit", "verify", "--expect-head", newest).code == 0
    warned = [re.search(rf"(\w+) \S+: request {late}: OVERDUE", err) for _, err in outputs]
    assert any(warned) and {m.group(1) for m in warned if m} == {"WARNING"}


def _source_error(archive: Archive, after: str | None) -> str:
    """Wait until `status` reports the IMAP source failing to connect, at a time later than
    `after`; that time."""
    seen: list[str] = []

    def failed() -> bool:
        status = archive.cli("status", "--json")
        if status.code != 1:
            return False
        source = status.json()["sources"][0]
        if "cannot connect" not in (source["last_error"] or ""):
            return False
        seen.append(source["last_error_at"])
        return after is None or datetime.fromisoformat(seen[-1]) > datetime.fromisoformat(after)

    wait_for(failed, 30, "a failed cycle after " + (after or "start-up"))
    return seen[-1]


@pytest.mark.timeout(120)
def test_failing_source_backs_off_and_sighup_reloads_sources(
    tmp_path: Path,
    database_url: str,
    dovecot: Dovecot,
    imap_user: str,
    fault_proxy: Callable[[str, int], FaultProxy],
) -> None:
    proxy = fault_proxy(dovecot.host, dovecot.port)
    proxy.refuse()
    archive = imap_archive(tmp_path, database_url, imap_user, proxy.port, dovecot.password)
    maildir = archive.root / "dropbox"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1.host").write_bytes(forward(1))
    proc = _archiver(archive, "run")
    try:
        # Two failed cycles, each one seen in `status`: its error, and when it happened.
        first = _source_error(archive, None)
        _source_error(archive, first)
        with archive.config.open("a") as f:
            f.write(
                '\n[[sources]]\nname = "dropbox"\nkind = "maildir"\npath = "dropbox"\n'
                'interval = "1s"\n'
            )
        os.kill(proc.pid, signal.SIGHUP)
        wait_for(lambda: not any((maildir / "new").iterdir()), 30, "the maildir source")
        proxy.resume()
        wait_for(lambda: archive.cli("status").code == 0, 30, "the IMAP source to recover")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "failure 1; next try in 1 s" in err and "failure 2; next try in 2 s" in err
    assert "config reloaded: 2 sources" in err
    assert (maildir / ".Archived" / "cur" / "1.host").exists()
