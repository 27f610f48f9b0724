"""The ingest committer writes batches in order in its own thread, and a failure stops it."""

from __future__ import annotations

import contextvars
import threading

import pytest

from archiver.errors import DatabaseError
from archiver.ingest.committer import Committer


def test_batches_are_written_in_order_in_another_thread() -> None:
    threads: set[str] = set()

    def write(batch: list[int]) -> int:
        threads.add(threading.current_thread().name)
        return sum(batch)

    c: Committer[list[int], int] = Committer(write, "writer")
    for n in range(10):
        c.put([n, n])
    c.flush()
    done = c.collect()
    c.close()
    assert done == [([n, n], 2 * n) for n in range(10)]
    assert threads == {"writer"}
    assert c.collect() == []  # each batch is collected once


def test_a_failed_write_stops_the_later_batches_and_is_raised() -> None:
    release = threading.Event()
    written: list[int] = []

    def write(n: int) -> int:
        if n == 0:
            release.wait()
        if n == 1:
            raise DatabaseError("disk full")
        written.append(n)
        return n

    c: Committer[int, int] = Committer(write, "writer")
    c.put(0)  # written while 1 waits its turn
    c.put(1)
    release.set()
    with pytest.raises(DatabaseError, match="disk full"):
        c.flush()
    with pytest.raises(DatabaseError, match="disk full"):
        c.put(2)  # nothing more is taken
    c.close()  # never raises
    assert written == [0]
    assert c.collect() == [(0, 0)]  # what was written before the failure is still reported


def test_the_writes_see_the_callers_context() -> None:
    actor: contextvars.ContextVar[str] = contextvars.ContextVar("actor", default="nobody")
    actor.set("the daemon")
    c: Committer[int, str] = Committer(lambda _: actor.get(), "writer")
    c.put(1)
    c.flush()
    c.close()
    assert c.collect() == [(1, "the daemon")]  # who the audit log says acted
