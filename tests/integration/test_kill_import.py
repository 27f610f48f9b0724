"""Fault injection: SIGKILL the importer at random moments; a re-run archives each message once."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

import corpus
import pytest
from sqlalchemy import create_engine, func, select

from archiver.sources.files import read_mbox
from archiver.store.tables import arrival
from tests.conftest import Archive, run_cli
from tests.integration.conftest import kill_at_a_random_point, wait_for

MESSAGES = 1000


def _corpus(tmp_path: Path) -> tuple[Path, set[bytes]]:
    box = tmp_path / "teachers.mbox"
    corpus.write_corpus(box, "mbox", MESSAGES, seed=11, target_bytes=None)
    digests = {hashlib.sha256(m.raw).digest() for m in read_mbox(box, 1 << 30) if m.raw}
    return box, digests


def _session_alive(pgid: int) -> list[int]:
    alive = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    alive.append(int(entry))
            except ProcessLookupError:
                pass
    return alive


def _wait_gone(pgid: int) -> None:
    """Wait until no process of session `pgid` (the importer's workers) is left."""
    wait_for(lambda: not _session_alive(pgid), 10, f"the processes of session {pgid} to exit")


def _arrivals(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(select(func.count()).select_from(arrival)).scalar_one())
    engine.dispose()
    return n


@pytest.mark.timeout(180)
def test_sigkill_at_random_points_then_rerun_archives_everything_once(
    archive: Archive, tmp_path: Path
) -> None:
    box, digests = _corpus(tmp_path)
    rng = random.Random(2026)
    cmd = [
        sys.executable,
        "-m",
        "archiver",
        "--config",
        str(archive.config),
        "import",
        "--workers",
        "2",
        str(box),
    ]
    # Five imports killed at random points of their work (the next batch is then anywhere
    # from read to commit), each once up to 128 more arrivals are committed (a transaction
    # of COMMIT_EVERY, 128), with one more in flight at most: they cannot have archived all
    # 1,000. The workers must not outlive their importer.
    progress = {"committed": lambda: _arrivals(archive.database_url)}
    for _ in range(5):
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        kill_at_a_random_point(proc, progress, rng, most=128, start_up=1.0)
        _wait_gone(proc.pid)
    assert _arrivals(archive.database_url) < len(digests)  # the kills left work undone

    final = archive.ok("import", "--json", str(box)).json()
    assert final["failed"] == 0
    verify = archive.ok("verify", "--json").json()
    assert verify["checked"] == len(digests) and verify["failed"] == []
    assert archive.ok("audit", "verify", "--json").json()["ok"]
    ids = {item["id"] for item in final["items"]}
    assert len(ids) == len(digests)  # every message is exactly one record
    # ... with one arrival each: the same mbox position arriving again is the same arrival.
    assert _arrivals(archive.database_url) == len(digests)
    for item in final["items"][:: max(1, MESSAGES // 20)]:
        raw = archive.ok("show", "--raw", item["id"]).out
        assert hashlib.sha256(raw).digest() in digests


def test_cli_entry_point_runs_as_a_module(archive: Archive) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "archiver", "--config", str(archive.config), "keys", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0 and "kek-" in out.stdout
    assert run_cli("--help").code == 0
