"""Running out of memory costs the message (or the batch) it happened to, never what was
committed, and never a Python traceback."""

from __future__ import annotations

import os
import signal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from archiver.archive.keys import load_keyring
from archiver.errors import WorkerError
from archiver.ingest import prepare as ingest
from archiver.ingest.pipeline import Pipeline
from archiver.ingest.prepare import IngestPolicy
from archiver.settings import load_settings
from archiver.sources.arrival import Arrival, Message
from archiver.store.db import Store
from tests.conftest import Archive
from tests.memory import memory_cap


def _note(n: int, attachment: bytes = b"") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Teacher {n} <t{n}@district.example.org>"
    msg["To"] = "records@district.example.org"
    msg["Subject"] = f"Note {n}"
    msg.set_content(f"Note number {n}.")
    if attachment:
        msg.add_attachment(attachment, maintype="image", subtype="jpeg", filename="scan.jpg")
    return msg.as_bytes()


@pytest.mark.timeout(30)  # ~2 s
def test_a_message_too_big_for_the_memory_left_fails_alone(
    archive: Archive, tmp_path: Path
) -> None:
    small = [tmp_path / f"small{i}.eml" for i in range(2)]
    for i, path in enumerate(small):
        path.write_bytes(_note(i))
    big = tmp_path / "big.eml"
    big.write_bytes(_note(9, os.urandom(60 << 20)))  # parsed and sealed in a few copies
    with memory_cap(headroom=160 << 20):
        result = archive.cli(
            "import", "--json", "--workers", "1", str(small[0]), str(big), str(small[1])
        )
    assert result.code == 1 and "Traceback" not in result.err
    doc = result.json()
    assert doc["archived"] == 2
    [failed] = [i for i in doc["items"] if i["status"] == "failed"]
    assert failed["path"] == str(big) and "not enough memory" in failed["error"]
    assert archive.ok("verify", "--json").json()["checked"] == 2


@pytest.mark.timeout(30)  # under a second
def test_a_worker_killed_mid_batch_is_one_clear_error_and_the_next_run_works(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ingest.prepare

    def prepare(raw: bytes, *args: Any, **kwargs: Any) -> ingest.Prepared:
        if b"Note 3" in raw and os.environ.get("ARCHIVER_TEST_KILL") == "1":
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer does
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(ingest, "prepare", prepare)
    monkeypatch.setenv("ARCHIVER_TEST_KILL", "1")  # forked workers see it too
    settings = load_settings(archive.config)
    store = Store.open(settings.database_url)
    ring = load_keyring(store, settings.keys_dir)
    pipe = Pipeline(store, ring, IngestPolicy.from_settings(settings.ingest, ring), 2)

    def messages() -> list[Message]:
        return [
            Message(Arrival("file", "test", f"note{n}.eml"), _note(n), None, 100) for n in range(40)
        ]

    try:
        with pytest.raises(WorkerError, match="worker process died"):
            pipe.run(messages(), "test")
        monkeypatch.setenv("ARCHIVER_TEST_KILL", "0")  # the next workers live
        outcomes = pipe.run(messages(), "test")
    finally:
        pipe.close()
        store.close()
    assert {o.status for o in outcomes} <= {"archived", "duplicate"}
    assert archive.ok("verify", "--json").json()["checked"] == 40
