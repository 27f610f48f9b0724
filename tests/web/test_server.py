"""`archiver web`: the command serves the application until stopped, and refuses a bad
address with one clear error."""

from __future__ import annotations

import signal
import subprocess
import sys
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
