"""When the database's disk fills up or turns read-only, a command says so in one line, exits
1, and loses nothing already committed; once the disk is fixed, running again finishes."""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.ingest.pipeline import COMMIT_EVERY
from tests.conftest import make_archive
from tests.integration.test_search import forward

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="mounting a small filesystem needs root (CI runs as root)"
)


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB filesystem of its own."""
    mnt = tmp_path / "fs"
    mnt.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(mnt)], check=True
    )
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _remount(mnt: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mnt)], check=True)


def _messages(folder: Path, count: int, seed: int, blob_bytes: int = 20_000) -> list[Path]:
    """Messages of about 1.4 x `blob_bytes` each (a random attachment: it does not compress)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        blob = rng.randbytes(blob_bytes)
        raw = forward(
            f"Scan {seed}-{i}",
            f"Scanned form {i}.",
            attachments=[("scan.pdf", "application/pdf", blob)],
        )
        path = folder / f"{seed}-{i:03d}.eml"
        path.write_bytes(raw)
        out.append(path)
    return out


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "[SQL:" not in err and "savepoint" not in err.lower()
    return lines[0]


@pytest.mark.timeout(300)
def test_a_full_disk_mid_import_is_one_clear_error_and_loses_nothing(
    small_fs: Path, tmp_path: Path
) -> None:
    archive = make_archive(small_fs / "archive", f"sqlite:///{small_fs / 'archive.db'}")
    # Four transactions of about 1 MB of sealed records each (COMMIT_EVERY messages): more
    # than fits; the first commits.
    count = 4 * COMMIT_EVERY
    paths = _messages(tmp_path / "in", count, seed=1, blob_bytes=800_000 // COMMIT_EVERY)
    result = archive.cli("import", "--workers", "1", *map(str, paths))
    assert result.code == 1
    line = _one_line(result.err)
    assert line.startswith("error: the disk holding the database") and "is full" in line
    assert str(small_fs / "archive.db") in line
    _remount(small_fs, "size=64m")  # the administrator makes room
    kept = archive.ok("verify", "--json").json()
    assert 0 < kept["checked"] < count and kept["failed"] == []
    assert archive.ok("audit", "verify").code == 0
    again = archive.ok("import", "--json", "--workers", "1", *map(str, paths)).json()
    assert again["archived"] == count - kept["checked"]
    assert again["duplicates"] == kept["checked"]
    assert archive.ok("verify", "--json").json()["checked"] == count


@pytest.mark.timeout(300)
def test_a_read_only_disk_is_one_clear_error(small_fs: Path, tmp_path: Path) -> None:
    archive = make_archive(small_fs / "archive", f"sqlite:///{small_fs / 'archive.db'}")
    first = _messages(tmp_path / "a", 3, seed=2)
    archive.ok("import", *map(str, first))
    _remount(small_fs, "ro")
    later = _messages(tmp_path / "b", 3, seed=3)
    result = archive.cli("import", *map(str, later))
    assert result.code == 1
    line = _one_line(result.err)
    assert "read-only" in line and "nothing already archived was lost" in line
    _remount(small_fs, "rw")
    assert archive.ok("verify", "--json").json()["checked"] == 3
    assert archive.ok("import", "--json", *map(str, later)).json()["archived"] == 3


@pytest.mark.timeout(300)
def test_a_full_temporary_directory_stops_an_import_clearly_and_loses_nothing(
    small_fs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import's report (every message's outcome) is kept in a temporary file, not in
    memory: when that file cannot grow, the import stops with one line saying where, and what
    was committed stays archived."""
    archive = make_archive(tmp_path / "archive", f"sqlite:///{tmp_path / 'archive.db'}")
    count = 3 * COMMIT_EVERY
    folder = tmp_path / "in"
    folder.mkdir()
    paths = []
    for i in range(count):
        path = folder / f"note-{i:04d}.eml"
        path.write_bytes(forward(f"Note {i}", f"Field trip note {i}."))
        paths.append(path)
    filler = small_fs / "filler"
    with filler.open("wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()
    monkeypatch.setattr(tempfile, "tempdir", str(small_fs))
    result = archive.cli("import", "--workers", "1", str(folder))
    assert result.code == 1
    line = _one_line(result.err)
    assert line.startswith("error: cannot keep the import's report in a temporary file")
    assert str(small_fs) in line and "No space left on device" in line
    kept = archive.ok("verify", "--json").json()
    # What was read when the report failed is still committed (often all of it, here).
    assert COMMIT_EVERY <= kept["checked"] <= count and kept["failed"] == []
    filler.unlink()  # the administrator makes room
    again = archive.ok("import", "--json", "--workers", "1", str(folder)).json()
    assert again["archived"] == count - kept["checked"]
    assert again["duplicates"] == kept["checked"]
    assert [Path(i["path"]).name for i in again["items"]] == [p.name for p in paths]
    assert archive.ok("verify", "--json").json()["checked"] == count
