"""Fault injection: SIGKILL the importer at random moments; a re-run archives each message once."""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import corpus
from sqlalchemy import create_engine, func, select

from archiver.sources.files import read_mbox
from archiver.store.tables import arrival
from tests.conftest import Archive, run_cli

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
    killed = 0
    for delay in (rng.uniform(0.3, 1.2) for _ in itertools.repeat(None, 5)):
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)  # only the main process: workers must not linger
            killed += 1
        proc.wait()
        deadline = time.monotonic() + 10
        while _session_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _session_alive(proc.pid) == [], "worker processes outlived their importer"
    assert killed >= 3

    final = archive.ok("import", "--json", str(box)).json()
    assert final["failed"] == 0
    verify = archive.ok("verify", "--json").json()
    assert verify["checked"] == len(digests) and verify["failed"] == []
    assert archive.ok("audit", "verify", "--json").json()["ok"]
    ids = {item["id"] for item in final["items"]}
    assert len(ids) == len(digests)  # every message is exactly one record
    # ... with one arrival each: the same mbox position arriving again is the same arrival.
    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        arrivals = conn.execute(select(func.count()).select_from(arrival)).scalar_one()
    engine.dispose()
    assert arrivals == len(digests)
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
