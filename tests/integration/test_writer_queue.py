"""SQLite writers queue for the one write lock on a file beside the database (the web
server's worker processes, the daemon and commands): a writer waits its turn and commits,
processes writing at once all commit, a queue held too long ends in the usual error, and a
child forked while a writer holds the queue does not keep it."""

from __future__ import annotations

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

HOLD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()  # until the test closes it
"""

PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("free")
except OSError:
    print("held")
"""

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


def _holder(queue: Path) -> subprocess.Popen[str]:
    """Another process holding the queue until its standard input is closed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(queue)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.close()
    holder.wait(timeout=30)


def _probe(queue: Path) -> str:
    return subprocess.run(
        [sys.executable, "-c", PROBE, str(queue)], capture_output=True, text=True, check=True
    ).stdout.strip()


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
    holder = _holder(queue)  # another process's turn
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
        _release(holder)  # that turn ends
    writer.join(timeout=30)
    assert done.is_set()
    store.close()


def test_a_queue_held_past_the_lock_timeout_is_the_usual_error(archive: Archive) -> None:
    db = _database(archive)
    store = Store.open(archive.database_url, lock_timeout=1)
    queue = db.with_name(db.name + ".writer")
    holder_queue = _holder(queue)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # and SQLite's own lock, as a stuck writer would
    try:
        with pytest.raises(DatabaseError, match="stayed locked"), store.transaction() as tx:
            tx.audit.head()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        _release(holder_queue)
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


def test_a_child_forked_while_a_writer_holds_the_queue_does_not_keep_it(
    archive: Archive,
) -> None:
    """Import workers are forked when the pool needs them, maybe while another thread
    writes: the queue must be free once that writer is done, whatever the child does."""
    db = _database(archive)
    queue = db.with_name(db.name + ".writer")
    store = Store.open(archive.database_url)
    read, write = os.pipe()
    with store.transaction() as tx:
        tx.audit.head()
        assert _probe(queue) == "held"
        child = os.fork()
        if child == 0:  # waits, holding whatever it inherited, until the test is done
            os.close(write)
            os.read(read, 1)
            os._exit(0)
    try:
        assert _probe(queue) == "free"
        with store.transaction() as tx:  # and this process can write again at once
            tx.audit.head()
    finally:
        os.close(write)
        os.waitpid(child, 0)
        os.close(read)
        store.close()
