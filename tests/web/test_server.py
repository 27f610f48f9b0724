"""`archiver web`: the command serves the application until stopped, and refuses a bad
address with one clear error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import Archive, make_archive
from tests.web.conftest import free_port


def _start(archive: Archive, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "archiver", "--config", str(archive.config), "web", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_archiver_web_serves_the_sign_in_page_until_stopped(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / "archive", f"sqlite:///{tmp_path / 'archive.db'}")
    port = free_port()
    proc = _start(archive, "--bind", f"127.0.0.1:{port}")
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # printed once the socket listens
        assert f"http://127.0.0.1:{port}/" in first, first
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/signin", timeout=10)
        assert page.status == 200
        assert "Sign in" in page.read().decode()
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_archiver_web_refuses_an_address_that_is_not_host_and_port(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / "archive", f"sqlite:///{tmp_path / 'archive.db'}")
    proc = _start(archive, "--bind", "somewhere")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip().splitlines()[-1].startswith("error: --bind: must be HOST:PORT"), err


def _workers(pid: int) -> set[int]:
    return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def test_worker_processes_serve_are_replaced_and_stop_with_the_server(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / "archive", f"sqlite:///{tmp_path / 'archive.db'}")
    port = free_port()
    proc = _start(archive, "--bind", f"127.0.0.1:{port}", "--workers", "2")
    try:
        assert proc.stderr is not None
        assert f"http://127.0.0.1:{port}/" in proc.stderr.readline()
        first = _workers(proc.pid)
        assert len(first) == 2
        for _ in range(4):
            page = urllib.request.urlopen(f"http://127.0.0.1:{port}/signin", timeout=10)
            assert page.status == 200
        victim = min(first)
        os.kill(victim, signal.SIGKILL)  # a worker dies: another takes its place
        said = f"worker process {victim} stopped (signal 9); starting another"
        lines = [proc.stderr.readline()]
        while said not in lines[-1] and lines[-1]:
            lines.append(proc.stderr.readline())
        assert said in lines[-1], lines
        deadline = time.monotonic() + 30
        while len(_workers(proc.pid) - {victim}) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        now = _workers(proc.pid)
        assert victim not in now and len(now) == 2
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/signin", timeout=10)
        assert page.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert not any(_alive(pid) for pid in now)  # none is left behind


def test_workers_end_when_their_server_is_killed_outright(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / "archive", f"sqlite:///{tmp_path / 'archive.db'}")
    proc = _start(archive, "--bind", f"127.0.0.1:{free_port()}", "--workers", "2")
    assert proc.stderr is not None and "serving on" in proc.stderr.readline()
    workers = _workers(proc.pid)
    assert len(workers) == 2
    proc.kill()
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
