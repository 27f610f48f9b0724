"""The pipeline commits in a thread of its own, but acknowledges messages (moves them out of a
mailbox) in the thread that reads them, in order, and only what was committed."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from archiver.archive.keys import load_keyring
from archiver.errors import DatabaseError
from archiver.ingest import writer
from archiver.ingest.pipeline import COMMIT_EVERY, Pipeline
from archiver.ingest.prepare import IngestPolicy, Outcome
from archiver.settings import load_settings
from archiver.sources.arrival import Arrival, Message
from archiver.store.db import Store
from tests.conftest import Archive


def _note(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Teacher {n} <t{n}@district.example.org>"
    msg["To"] = "records@district.example.org"
    msg["Subject"] = f"Note {n}"
    msg.set_content(f"Note number {n} about the field trip.")
    return msg.as_bytes()


def _messages(count: int) -> list[Message]:
    return [
        Message(Arrival("file", "test", f"note{n}.eml"), _note(n), None, 100) for n in range(count)
    ]


def _pipeline(archive: Archive) -> tuple[Store, Pipeline]:
    settings = load_settings(archive.config)
    store = Store.open(settings.database_url)
    ring = load_keyring(store, settings.keys_dir)
    return store, Pipeline(store, ring, IngestPolicy.from_settings(settings.ingest, ring), 2)


@pytest.mark.timeout(60)  # a few seconds
def test_acknowledgements_come_in_order_from_the_reading_thread(archive: Archive) -> None:
    count = 3 * COMMIT_EVERY + 5
    acknowledged: list[str] = []
    threads: set[int] = set()

    def committed(pairs: list[tuple[Arrival, Outcome]]) -> None:
        threads.add(threading.get_ident())
        acknowledged.extend(a.label for a, _ in pairs)

    store, pipe = _pipeline(archive)
    try:
        outcomes = pipe.run(_messages(count), "test", committed)
    finally:
        pipe.close()
        store.close()
    labels = [f"note{n}.eml" for n in range(count)]
    assert acknowledged == labels
    assert [o.label for o in outcomes] == labels
    assert {o.status for o in outcomes} == {"archived"}
    assert threads == {threading.get_ident()}  # the source's connection is used by one thread
    assert archive.ok("verify", "--json").json()["checked"] == count


@pytest.mark.timeout(60)
def test_a_failed_commit_acknowledges_only_what_was_committed(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = writer.store_batch
    calls = 0

    def store_batch(*args: Any, **kwargs: Any) -> list[Outcome]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise DatabaseError("database or disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(writer, "store_batch", store_batch)
    acknowledged: list[str] = []

    def committed(pairs: list[tuple[Arrival, Outcome]]) -> None:
        acknowledged.extend(a.label for a, _ in pairs)

    store, pipe = _pipeline(archive)
    try:
        with pytest.raises(DatabaseError, match="disk is full"):
            pipe.run(_messages(3 * COMMIT_EVERY), "test", committed)
    finally:
        pipe.close()
        store.close()
    first = len(acknowledged)  # the first transaction's messages, and only those
    assert COMMIT_EVERY <= first < 2 * COMMIT_EVERY
    assert acknowledged == [f"note{n}.eml" for n in range(first)]
    assert archive.ok("verify", "--json").json()["checked"] == first
    # The rest is archived by the next run, as the daemon's next cycle would.
    monkeypatch.setattr(writer, "store_batch", real)
    store, pipe = _pipeline(archive)
    try:
        outcomes = pipe.run(_messages(3 * COMMIT_EVERY), "test")
    finally:
        pipe.close()
        store.close()
    assert sum(o.status == "archived" for o in outcomes) == 3 * COMMIT_EVERY - first


@pytest.mark.timeout(60)
def test_a_message_is_let_go_once_prepared(archive: Archive) -> None:
    """The pipeline holds a batch of prepared messages until it commits them; their bytes (a
    batch of large messages is many megabytes) are not kept that long: by the time a
    transaction is acknowledged, nothing holds the messages it wrote."""
    alive: dict[str, weakref.ref[Message]] = {}
    still_held: list[str] = []

    def messages() -> Iterator[Message]:  # made one at a time, as a source reads them
        for n in range(2 * COMMIT_EVERY):
            msg = Message(Arrival("file", "test", f"note{n}.eml"), _note(n), None, 100)
            alive[msg.arrival.label] = weakref.ref(msg)
            yield msg

    def committed(pairs: list[tuple[Arrival, Outcome]]) -> None:
        gc.collect()
        still_held.extend(a.label for a, _ in pairs if alive[a.label]() is not None)

    store, pipe = _pipeline(archive)
    try:
        outcomes = pipe.run(messages(), "test", committed)
    finally:
        pipe.close()
        store.close()
    assert {o.status for o in outcomes} == {"archived"}
    assert len(outcomes) == 2 * COMMIT_EVERY
    assert still_held == []
