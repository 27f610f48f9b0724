"""SQLite writers queue for the one write lock on a file beside the database (the web
server's worker processes, the daemon and commands): a writer waits its turn and commits,
processes writing at once all commit, and a queue held too long ends in the usual error."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from archiver.errors import DatabaseError
from archiver.store.db import Store
from tests.conftest import Archive

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

WRITES = """
import sys
from archiver.app import App
from archiver.archive import audit
from pathlib import Path
app = App.from_config(Path(sys.argv[1]))
ring = app.keyring
for n in range(int(sys.argv[2])):
    with app.store.transaction() as tx:
        audit.append(tx, ring, "test.queue", details={"n": n})
app.close()
"""


def _database(archive: Archive) -> Path:
    return Path(archive.database_url.removeprefix("sqlite:///"))


def _events(archive: Archive) -> int:
    store = Store.open(archive.database_url)
    with store.reading() as tx:
        head = tx.audit.head()
    store.close()
    return 0 if head is None else head[0]


def test_a_writer_waits_for_the_queue_and_then_commits(archive: Archive) -> None:
    db = _database(archive)
    store = Store.open(archive.database_url)
    with store.transaction() as tx:  # the queue's file is made beside the database
        tx.audit.head()
    queue = db.with_name(db.name + ".writer")
    assert queue.exists() and queue.stat().st_mode & 0o077 == 0
    holder = os.open(queue, os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another process's turn
    done = threading.Event()

    def write() -> None:
        with store.transaction() as tx:
            tx.audit.head()
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert not done.wait(0.5), "wrote while another writer held the queue"
    finally:
        os.close(holder)  # that turn ends
    writer.join(timeout=30)
    assert done.is_set()
    store.close()


def test_a_queue_held_past_the_lock_timeout_is_the_usual_error(archive: Archive) -> None:
    db = _database(archive)
    store = Store.open(archive.database_url, lock_timeout=1)
    queue = db.with_name(db.name + ".writer")
    holder_queue = os.open(queue, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder_queue, fcntl.LOCK_EX)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # and SQLite's own lock, as a stuck writer would
    try:
        with pytest.raises(DatabaseError, match="stayed locked"), store.transaction() as tx:
            tx.audit.head()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        os.close(holder_queue)
    with store.transaction() as tx:  # and the next writer goes ahead
        tx.audit.head()
    store.close()


def test_processes_writing_at_once_all_commit(archive: Archive) -> None:
    before = _events(archive)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITES, str(archive.config), "60"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    assert _events(archive) == before + 180
    assert archive.ok("audit", "verify").code == 0
