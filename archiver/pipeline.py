"""The ingest pipeline every source uses: parse and seal on every core, write from one process.

The calling process reads messages, hashes them and skips the ones already archived; worker
processes parse and seal the rest in windows; the calling process writes the results in input
order, in transactions of up to `COMMIT_EVERY` messages, and after each commit tells the
source which messages are now safe to acknowledge (move out of the mailbox). Bounded queues
keep memory independent of the input's size. A crash loses at most the uncommitted
transaction, and processing the same input again archives what is missing and duplicates
nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from archiver import ingest
from archiver.errors import ArchiverError
from archiver.ingest import IngestPolicy, Outcome, Prepared
from archiver.keys import Keyring
from archiver.records.roster import Roster, RosterCache
from archiver.sources.arrival import Arrival, Message
from archiver.store.repository import Store

COMMIT_EVERY = 64  # messages per transaction
WINDOW = 16  # messages hashed, looked up and sent to a worker together ...
WINDOW_BYTES = 8 << 20  # ... or fewer, if they are large

_PR_SET_PDEATHSIG = 1
_worker_policy: IngestPolicy | None = None
_worker_roster: Roster | None = None

Committed = Callable[[list[tuple[Message, Outcome]]], None]


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when its parent dies, so a killed run leaves no orphans.

    A pool's task queue cannot signal end-of-file to its workers (each holds both of its ends),
    so a worker whose parent was killed would otherwise wait for work forever.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: workers end when the pool is shut down
        return
    if os.getppid() != parent:  # the parent died before we asked
        os._exit(1)


def _worker_init(policy: IngestPolicy, parent: int, roster: Roster | None) -> None:
    global _worker_policy, _worker_roster
    _die_with_parent(parent)
    # Ctrl-C reaches the whole process group; the parent decides what stops, not the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_policy = policy
    _worker_roster = roster


def _worker_prepare(work: list[tuple[bytes, Arrival, bytes]]) -> list[Prepared]:
    assert _worker_policy is not None
    return [
        ingest.prepare(raw, arrival, _worker_policy, sha, _worker_roster)
        for raw, arrival, sha in work
    ]


@dataclass
class _Window:
    """Messages read together: the ones needing no work, and a task preparing the rest."""

    messages: list[Message]
    ready: list[Prepared | None]  # None where the task's next result goes
    task: Future[list[Prepared]] | list[Prepared]

    def results(self) -> list[Prepared]:
        done = iter(self.task.result() if isinstance(self.task, Future) else self.task)
        return [item if item is not None else next(done) for item in self.ready]


def _windows(messages: Iterable[Message], stop: threading.Event | None) -> Iterator[list[Message]]:
    window: list[Message] = []
    size = 0
    for msg in messages:
        window.append(msg)
        size += len(msg.raw or b"")
        if len(window) >= WINDOW or size >= WINDOW_BYTES:
            yield window
            window, size = [], 0
        if stop is not None and stop.is_set():
            break
    if window:
        yield window


class Pipeline:
    """Ingests streams of messages; one per process, shared by every source it serves.

    Workers are forked when the pipeline is made, so make it before starting threads.
    """

    def __init__(self, db: Store, ring: Keyring, policy: IngestPolicy, workers: int) -> None:
        self.db = db
        self.ring = ring
        self.policy = policy
        self.workers = workers or os.cpu_count() or 1
        self.roster = RosterCache(ring)
        with db.transaction() as tx:  # tagging runs in the workers, against this roster
            self._start_roster: Roster | None = self.roster.current(tx)
        self._pool: ProcessPoolExecutor | None = None
        if self.workers > 1:
            # Forked workers start at once with everything imported, and are this process's
            # own children, so they can be told to die with it (a fork server would not).
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_worker_init,
                initargs=(policy, os.getpid(), self._start_roster),
            )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run(
        self,
        messages: Iterable[Message],
        source: str,
        committed: Committed | None = None,
        progress: Callable[[int], None] | None = None,
        stop: threading.Event | None = None,
    ) -> list[Outcome]:
        """Archive `messages`; each one's outcome, in order.

        `committed` is called after each transaction with the messages it made safe.
        `stop`, when set, ends reading; what was read is still finished and committed.
        If the source fails part way, or `committed` does, what was read is still committed
        and then that error is raised. Raises DatabaseError if the database fails (what was
        committed stays committed).
        """
        outcomes: list[Outcome] = []
        pending: deque[_Window] = deque()
        batch: list[tuple[Message, Prepared]] = []
        done_bytes = 0
        failure: ArchiverError | None = None  # the source's or the acknowledger's

        def commit() -> None:
            nonlocal failure
            if not batch:
                return
            with self.db.transaction() as tx:
                roster = self.roster.current(tx)
                results = ingest.store_batch(tx, self.ring, [p for _, p in batch], source, roster)
            pairs = [(m, o) for (m, _), o in zip(batch, results, strict=True)]
            batch.clear()
            outcomes.extend(o for _, o in pairs)
            if committed is not None and failure is None:
                try:
                    committed(pairs)
                except ArchiverError as exc:  # not acknowledged: fetched again next time
                    failure = exc

        def finish_oldest() -> None:
            nonlocal done_bytes
            window = pending.popleft()
            batch.extend(zip(window.messages, window.results(), strict=True))
            done_bytes += sum(m.read_bytes for m in window.messages)
            if len(batch) >= COMMIT_EVERY:
                commit()
            if progress:
                progress(done_bytes)

        try:
            for msgs in _windows(messages, stop):
                pending.append(self._submit(msgs))
                while len(pending) > 2 * self.workers:
                    finish_oldest()
                if failure is not None:
                    break
        except ArchiverError as exc:  # the source failed mid-stream: keep what it gave us
            failure = exc
        while pending:
            finish_oldest()
        commit()
        if failure is not None:
            raise failure
        return outcomes

    def _submit(self, msgs: list[Message]) -> _Window:
        digests = [ingest.digest(m.raw) if m.raw is not None else b"" for m in msgs]
        with self.db.transaction() as tx:
            known = tx.known_hashes([d for d in digests if d])
            roster = self.roster.current(tx) if self._pool is None else self._start_roster
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
        if self._pool is not None and work:
            task = self._pool.submit(_worker_prepare, work)
        else:
            task = [ingest.prepare(raw, arr, self.policy, sha, roster) for raw, arr, sha in work]
        return _Window(msgs, ready, task)
