"""The pipeline's writing thread: it commits batches, in the order they are handed over, while
the thread that reads messages goes on reading, hashing and handing windows to the workers.

Committing is mostly the database's own work (SQLite and the driver let other threads run
meanwhile) and waiting for the disk; done in the reading thread, it left the workers without
new messages for as long as each commit lasted. At most one batch waits while another is
written, so memory stays bounded. The reading thread collects what was committed and does
everything else itself (acknowledging messages at the source, the budget, the outcomes): the
source's connection is never used from two threads.
"""

from __future__ import annotations

import contextvars
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

Batch = TypeVar("Batch")
Result = TypeVar("Result")


class Committer(Generic[Batch, Result]):
    """Runs `write` on each batch handed over, in order, in a thread of its own (started at
    the first batch). After `write` fails, later batches are not written: the failure is
    raised to the caller of `put` or `flush`."""

    def __init__(self, write: Callable[[Batch], Result], name: str) -> None:
        self._write = write
        self._name = name
        self._cond = threading.Condition()
        self._todo: deque[Batch] = deque()
        self._done: deque[tuple[Batch, Result]] = deque()
        self._writing = False
        self._closed = False
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        # The caller's context variables (who is acting, for the audit log): a new thread
        # would start without them.
        self._context = contextvars.copy_context()

    def put(self, batch: Batch) -> None:
        """Hand `batch` over; waits while another one is already waiting its turn."""
        with self._cond:
            self._cond.wait_for(lambda: not self._todo or self._error is not None)
            self._raise()
            self._todo.append(batch)
            self._cond.notify_all()
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._context.run, args=(self._run,), name=self._name
            )
            self._thread.start()

    def collect(self) -> list[tuple[Batch, Result]]:
        """The batches written since the last call, with what `write` returned, in order."""
        with self._cond:
            out = list(self._done)
            self._done.clear()
            return out

    def flush(self) -> None:
        """Wait until every batch handed over is written; raises `write`'s failure."""
        with self._cond:
            self._cond.wait_for(lambda: not (self._todo or self._writing) or self._error)
            self._raise()

    def close(self) -> None:
        """Let the thread write what it was given (unless `write` failed) and end. Never
        raises: a failure is for `put` and `flush` to raise."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._todo or self._closed)
                if not self._todo:  # closed, nothing left (a failure returns below)
                    return
                batch = self._todo.popleft()
                self._writing = True
                self._cond.notify_all()
            try:
                result = self._write(batch)
            # Whatever it is (a database error, a bug), the reading thread raises it.
            except BaseException as exc:  # noqa: BLE001
                with self._cond:
                    self._error, self._writing = exc, False
                    self._todo.clear()
                    self._cond.notify_all()
                return
            with self._cond:
                self._done.append((batch, result))
                self._writing = False
                self._cond.notify_all()
