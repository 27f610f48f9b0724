"""The ingest memory budget (issue 9): large messages are prepared one at a time, whatever the
number of workers, and still archived exactly. Thresholds are lowered so the test's messages,
a few MB each, count as large."""

from __future__ import annotations

import hashlib
import json
import os
import random
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from archiver.archive.keys import load_keyring
from archiver.ingest import pipeline
from archiver.ingest import prepare as ingest
from archiver.ingest.pipeline import Pipeline
from archiver.ingest.prepare import IngestPolicy
from archiver.settings import load_settings
from archiver.sources.arrival import Arrival, Message
from archiver.store.db import Store
from tests.conftest import Archive

LARGE = 1 << 20


def _message(n: int, attachment: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Teacher {n} <t{n}@district.example.org>"
    msg["To"] = "records@district.example.org"
    msg["Subject"] = f"Message {n}"
    msg.set_content(f"Message number {n}.")
    if attachment:
        msg.add_attachment(attachment, maintype="image", subtype="jpeg", filename=f"scan{n}.jpg")
    return msg.as_bytes()


def _messages(rng: random.Random, count: int, large: set[int]) -> dict[int, tuple[bytes, bytes]]:
    """Message number -> (its bytes, its attachment); the numbers in `large` carry 2-3 MB."""
    out = {}
    for n in range(count):
        size = rng.randrange(2 * LARGE, 3 * LARGE) if n in large else rng.randrange(0, 20_000)
        attachment = rng.randbytes(size)
        out[n] = (_message(n, attachment), attachment)
    return out


@pytest.fixture
def logged_prepare(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Lower the thresholds, and log each real `ingest.prepare` call (process, size, start,
    end, on the machine's monotonic clock) to a file that forked workers append to too."""
    log = tmp_path / "prepare.log"
    real = ingest.prepare

    def prepare(raw: bytes, *args: Any, **kwargs: Any) -> ingest.Prepared:
        start = time.monotonic()
        try:
            return real(raw, *args, **kwargs)
        finally:
            line = json.dumps([os.getpid(), len(raw), start, time.monotonic()]) + "\n"
            fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.write(fd, line.encode())
            os.close(fd)

    monkeypatch.setattr(pipeline, "LARGE_MESSAGE", LARGE)
    monkeypatch.setattr(pipeline, "IN_FLIGHT_BYTES", 4 * LARGE)
    monkeypatch.setattr(ingest, "prepare", prepare)
    yield log


def _calls(log: Path) -> list[tuple[int, int, float, float]]:
    return [tuple(json.loads(line)) for line in log.read_text().splitlines()]


def _assert_large_ones_alone(log: Path, expected_large: int) -> None:
    calls = _calls(log)
    large = [c for c in calls if c[1] >= LARGE]
    assert len(large) == expected_large
    for pid, size, start, end in large:
        overlapping = [
            c for c in calls if c != (pid, size, start, end) and c[2] < end and start < c[3]
        ]
        assert overlapping == [], f"a {size}-byte message was prepared alongside others"


@pytest.mark.timeout(30)  # ~1 s
def test_large_messages_are_prepared_alone_and_archived_exactly(
    archive: Archive, tmp_path: Path, logged_prepare: Path
) -> None:
    rng = random.Random(12)
    large = {3, 4, 9, 17}  # two in a row, and some among small ones
    messages = _messages(rng, 24, large)
    folder = tmp_path / "in"
    folder.mkdir()
    for n, (raw, _) in messages.items():
        (folder / f"{n:02d}.eml").write_bytes(raw)
    doc = archive.ok("import", "--json", "--workers", "3", str(folder)).json()
    assert (doc["archived"], doc["failed"]) == (24, 0)
    _assert_large_ones_alone(logged_prepare, len(large))
    assert len({c[0] for c in _calls(logged_prepare)}) > 1  # the workers did take part
    ids = {int(Path(i["path"]).stem): i["id"] for i in doc["items"]}
    for n in large:
        raw, attachment = messages[n]
        view = archive.ok("show", "--json", ids[n]).json()
        assert view["sha256"] == hashlib.sha256(raw).hexdigest() and view["size"] == len(raw)
        [att] = view["attachments"]
        assert att["size"] == len(attachment)
        assert att["sha256"] == hashlib.sha256(attachment).hexdigest()
        assert archive.ok("show", "--raw", ids[n]).out == raw
    assert archive.ok("verify", "--json").json()["failed"] == []


@pytest.mark.timeout(30)  # ~1 s
def test_runs_in_threads_share_the_budget(
    archive: Archive, tmp_path: Path, logged_prepare: Path
) -> None:
    """The daemon runs a source per thread through one pipeline: their large messages are
    prepared one at a time too, and neither run waits for the other forever."""
    settings = load_settings(archive.config)
    db = Store.open(settings.database_url)
    ring = load_keyring(db, settings.keys_dir)
    pipe = Pipeline(db, ring, IngestPolicy.from_settings(settings.ingest, ring), workers=2)
    rng = random.Random(13)
    sources = {
        name: _messages(rng, 12, {1, 2, 7}) for name in ("north", "south")
    }  # distinct random attachments: no duplicates between them
    outcomes: dict[str, list[str]] = {}

    def run(name: str) -> None:
        msgs = [
            Message(Arrival("maildir", name, f"{name}/{n}"), raw)
            for n, (raw, _) in sources[name].items()
        ]
        outcomes[name] = [o.status for o in pipe.run(msgs, name)]

    threads = [threading.Thread(target=run, args=(name,)) for name in sources]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(240)
        assert not any(t.is_alive() for t in threads), "the runs waited for each other"
    finally:
        pipe.close()
        db.close()
    assert outcomes == {name: ["archived"] * 12 for name in sources}
    assert pipe.budget.used == 0  # every byte taken was given back
    _assert_large_ones_alone(logged_prepare, 6)
