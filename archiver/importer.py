"""`archiver import`: parse and seal on every core, write from one process, stream the input.

The main process reads messages, hashes them and skips the ones already archived; worker
processes parse and seal the rest; the main process writes the results in order, in
transactions of up to `COMMIT_EVERY` messages. Bounded queues keep memory independent of
the size of the input. A crash loses at most the uncommitted transaction, and running the
same import again archives what is missing and duplicates nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver import ingest
from archiver.ingest import IngestPolicy, Outcome, Prepared
from archiver.keys import Keyring
from archiver.sources import files
from archiver.sources.arrival import Arrival
from archiver.store.repository import Store

COMMIT_EVERY = 64  # messages per transaction
WINDOW = 16  # messages hashed, looked up and sent to a worker together ...
WINDOW_BYTES = 8 << 20  # ... or fewer, if they are large
INLINE_BELOW = 1 << 20  # inputs smaller than this are not worth starting workers for

_PR_SET_PDEATHSIG = 1
_worker_policy: IngestPolicy | None = None


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when the importer dies, so a killed import leaves no orphans.

    A pool's task queue cannot signal end-of-file to its workers (each holds both of its ends),
    so a worker whose importer was killed would otherwise wait for work forever.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: workers end when the pool is shut down
        return
    if os.getppid() != parent:  # the importer died before we asked
        os._exit(1)


def _worker_init(policy: IngestPolicy, parent: int) -> None:
    global _worker_policy
    _die_with_parent(parent)
    _worker_policy = policy


def _worker_prepare(work: list[tuple[bytes, Arrival, bytes]]) -> list[Prepared]:
    assert _worker_policy is not None
    return [ingest.prepare(raw, arrival, _worker_policy, sha) for raw, arrival, sha in work]


@dataclass
class ImportReport:
    items: list[Outcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    interrupted: bool = False

    def count(self, status: str) -> int:
        return sum(1 for o in self.items if o.status == status)

    def to_json(self) -> dict[str, Any]:
        """The `import --json` document (DESIGN.md section 10)."""
        return {
            "archived": self.count(ingest.ARCHIVED),
            "duplicates": self.count(ingest.DUPLICATE),
            "quarantined": self.count(ingest.QUARANTINED),
            "failed": self.count(ingest.FAILED),
            "skipped": self.skipped,
            "items": [
                {"path": o.label, "id": o.record_id, "status": o.status, "error": o.error}
                for o in self.items
            ],
        }


@dataclass
class _Window:
    """Messages read together: the ones needing no work, and a task preparing the rest."""

    ready: list[Prepared | None]  # None where the task's next result goes
    task: Future[list[Prepared]] | list[Prepared]
    nbytes: int

    def results(self) -> list[Prepared]:
        done = iter(self.task.result() if isinstance(self.task, Future) else self.task)
        return [item if item is not None else next(done) for item in self.ready]


def _windows(messages: Iterator[files.Message]) -> Iterator[list[files.Message]]:
    window: list[files.Message] = []
    size = 0
    for msg in messages:
        window.append(msg)
        size += len(msg.raw or b"")
        if len(window) >= WINDOW or size >= WINDOW_BYTES:
            yield window
            window, size = [], 0
    if window:
        yield window


def import_paths(
    db: Store,
    ring: Keyring,
    policy: IngestPolicy,
    paths: list[Path],
    workers: int,
    progress: Callable[[int], None] | None = None,
    total_bytes: int | None = None,
) -> ImportReport:
    """Archive every message under `paths`; the report lists each message's outcome.

    `total_bytes` (the inputs' size, if the caller has it) decides whether workers are worth
    starting.

    Raises DatabaseError if the database fails (what was committed stays committed).
    """
    report = ImportReport()
    scan = files.Scan(report.skipped)
    messages = files.read_paths(paths, policy.max_message_bytes, scan)
    workers = workers or os.cpu_count() or 1
    pool: ProcessPoolExecutor | None = None
    if total_bytes is None:
        total_bytes = files.total_size(paths)
    if workers > 1 and total_bytes >= INLINE_BELOW:
        # Forked workers start at once with everything imported, and are this process's own
        # children, so they can be told to die with it (a fork server would outlive it).
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_worker_init,
            initargs=(policy, os.getpid()),
        )
    pending: deque[_Window] = deque()
    batch: list[Prepared] = []
    done_bytes = 0

    def commit() -> None:
        if batch:
            with db.transaction() as tx:
                report.items.extend(ingest.store_batch(tx, ring, batch, files.SOURCE_NAME))
            batch.clear()

    def finish_oldest() -> None:
        nonlocal done_bytes
        window = pending.popleft()
        batch.extend(window.results())
        done_bytes += window.nbytes
        if len(batch) >= COMMIT_EVERY:
            commit()
        if progress:
            progress(done_bytes)

    try:
        for msgs in _windows(messages):
            digests = [ingest.digest(m.raw) if m.raw is not None else b"" for m in msgs]
            with db.transaction() as tx:
                known = tx.known_hashes([d for d in digests if d])
            ready: list[Prepared | None] = []
            work: list[tuple[bytes, Arrival, bytes]] = []
            for msg, sha in zip(msgs, digests, strict=True):
                if msg.raw is None:
                    ready.append(ingest.failed(msg.arrival, msg.error or "cannot read"))
                elif sha in known:
                    ready.append(ingest.already_archived(msg.raw, msg.arrival, sha))
                else:
                    ready.append(None)
                    work.append((msg.raw, msg.arrival, sha))
            task: Future[list[Prepared]] | list[Prepared]
            if pool is not None and work:
                task = pool.submit(_worker_prepare, work)
            else:
                task = [ingest.prepare(raw, arr, policy, sha) for raw, arr, sha in work]
            pending.append(_Window(ready, task, sum(m.read_bytes for m in msgs)))
            while len(pending) > 2 * workers:
                finish_oldest()
        while pending:
            finish_oldest()
        commit()
    except KeyboardInterrupt:
        report.interrupted = True
        pending.clear()
        batch.clear()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return report
