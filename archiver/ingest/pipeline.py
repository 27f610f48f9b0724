"""The ingest pipeline every source uses: parse and seal on every core, write from one process.

The calling thread reads messages, hashes them and skips the ones already archived; worker
processes parse and seal the rest in windows; a committer thread of the calling process
(`ingest/committer.py`) writes the results in input order, in transactions of up to
`COMMIT_EVERY` messages, while the calling thread goes on reading; after each commit the
calling thread tells the source which messages are now safe to acknowledge (move out of the
mailbox). Bounded queues
keep memory independent of the input's size, and a byte budget shared by every run keeps it
independent of the messages' sizes and of the number of workers: a message costs several
times its size while it is parsed and sealed, so a large one is prepared alone, in the calling
process (no copies to and from a worker), and committed before the next is taken on. A crash
loses at most what was not committed yet, and processing the same input again archives what
is missing and duplicates nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from archiver.archive.roster import Roster, RosterCache
from archiver.crypto.keyring import Keyring
from archiver.errors import ArchiverError, WorkerError
from archiver.ingest import prepare, writer
from archiver.ingest.committer import Committer
from archiver.ingest.prepare import IngestPolicy, Outcome, Prepared
from archiver.platform.children import die_with_parent
from archiver.sources.arrival import Arrival, Message
from archiver.store.db import Store

# Messages per transaction. A commit's own costs (the WAL's and the audit anchor's fsyncs, the
# index's state and packing, the audit event) are shared by this many, and each postings row
# holds a transaction's documents: 128 took a 200 MB import 0.92x the time of 64, for 16 MB more
# in the importing process.
COMMIT_EVERY = 128
WINDOW = 16  # messages hashed, looked up and sent to a worker together ...
WINDOW_BYTES = 8 << 20  # ... or fewer, if they are large
# Bytes of messages read and not yet committed, all runs together; a message of LARGE_MESSAGE
# bytes or more takes the whole budget (it is prepared alone) and goes in a window of its own.
IN_FLIGHT_BYTES = 128 << 20
LARGE_MESSAGE = 32 << 20

# Called after each commit with the arrivals it made safe (not the messages: their bytes are
# let go once prepared, and a batch of them is what an import holds most of).
Committed = Callable[[list[tuple[Arrival, Outcome]]], None]


@dataclass
class _WorkerState:
    """What a worker process was started with (set once, by its initializer)."""

    policy: IngestPolicy | None = None
    roster: Roster | None = None


_WORKER = _WorkerState()


def _worker_init(policy: IngestPolicy, parent: int, roster: Roster | None) -> None:
    die_with_parent(parent)
    # Ctrl-C reaches the whole process group; the parent decides what stops, not the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER.policy, _WORKER.roster = policy, roster


def _prepare(
    raw: bytes, arrival: Arrival, policy: IngestPolicy, sha: bytes, roster: Roster | None
) -> Prepared:
    """`ingest.prepare`, with running out of memory on one message a failure of that message
    (it stays where it was, and is tried again), not of the run."""
    try:
        return prepare.prepare(raw, arrival, policy, sha, roster)
    except MemoryError:
        return prepare.failed(
            arrival,
            f"not enough memory to archive this {len(raw) / 1048576:.1f} MB message: lower "
            "ingest.workers or give the service more memory; it is tried again next time",
        )


def _worker_prepare(work: list[tuple[bytes, Arrival, bytes]]) -> list[Prepared]:
    policy = _WORKER.policy
    if policy is None:  # only a pool made by `Pipeline` runs this, after its initializer
        raise RuntimeError("an ingest worker was not initialized")
    return [_prepare(raw, arrival, policy, sha, _WORKER.roster) for raw, arrival, sha in work]


class _Budget:
    """Bytes of messages in flight (read, and not yet committed) across every run of one
    pipeline: the daemon runs a source per thread. Requests are served in turn; one larger
    than the whole budget waits until nothing else is in flight."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()

    def _fits(self, size: int) -> bool:
        return self.used == 0 or self.used + size <= self.limit

    def try_take(self, size: int) -> bool:
        """Take `size` bytes if they are free now and no one is waiting."""
        with self._cond:
            if self._queue or not self._fits(size):
                return False
            self.used += size
            return True

    def take(self, size: int) -> None:
        """Wait for `size` bytes. Call holding none, or the runs can wait for each other."""
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            self._cond.wait_for(lambda: self._queue[0] is ticket and self._fits(size))
            self._queue.popleft()
            self.used += size
            self._cond.notify_all()

    def give(self, size: int) -> None:
        with self._cond:
            self.used -= size
            self._cond.notify_all()


@dataclass
class _Window:
    """Messages read together: the ones needing no work, and a task preparing the rest. Not
    the messages themselves: once handed to a worker, their bytes are the task's alone."""

    read_bytes: int  # of input consumed, for progress
    ready: list[Prepared | None]  # None where the task's next result goes
    task: Future[list[Prepared]] | list[Prepared]
    budget: int = 0  # bytes of the budget it holds until committed
    pool: ProcessPoolExecutor | None = None  # where it is being prepared

    def results(self) -> list[Prepared]:
        done = iter(self.task.result() if isinstance(self.task, Future) else self.task)
        return [item if item is not None else next(done) for item in self.ready]


def _windows(messages: Iterable[Message], stop: threading.Event | None) -> Iterator[list[Message]]:
    window: list[Message] = []
    size = 0
    # The first window is one message: the pool forks its workers at its first task, and they
    # should not start with a large message, read meanwhile, in their resident sets.
    count = 1
    for msg in messages:
        if len(msg.raw or b"") >= LARGE_MESSAGE and window:  # a large message goes alone
            yield window
            window, size = [], 0
        window.append(msg)
        size += len(msg.raw or b"")
        if len(window) >= count or size >= WINDOW_BYTES:
            yield window
            window, size, count = [], 0, WINDOW
        if stop is not None and stop.is_set():
            break
    if window:
        yield window


class Pipeline:
    """Ingests streams of messages; one per process, shared by every source it serves.

    Make it before starting threads. Its workers are forked at its first task, possibly while
    its committer thread writes: they use nothing that thread holds.
    """

    def __init__(
        self,
        db: Store,
        ring: Keyring,
        policy: IngestPolicy,
        workers: int,
        intake: writer.Intake | None = None,
    ) -> None:
        self.db = db
        self.intake = intake  # records management's part: classification and holds
        self.ring = ring
        self.policy = policy
        self.workers = workers or os.cpu_count() or 1
        self.roster = RosterCache(ring)
        with db.transaction() as tx:  # tagging runs in the workers, against this roster
            self._start_roster: Roster | None = self.roster.current(tx)
        self.budget = _Budget(IN_FLIGHT_BYTES)
        self._pool_lock = threading.Lock()
        self._pool = self._new_pool() if self.workers > 1 else None

    def _new_pool(self) -> ProcessPoolExecutor:
        # Forked workers start at once with everything imported, and are this process's own
        # children, so they can be told to die with it (a fork server would not).
        # The pool forks all its workers at its first task, which may come while a committer
        # thread runs: what a child would inherit from it (the audit anchor's lock) is closed
        # in the child (`archive/audit.py`). Forking here instead kept sockets of this process
        # (a test's in-process TCP proxy) open in the workers.
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_worker_init,
            initargs=(self.policy, os.getpid(), self._start_roster),
        )

    def _results(self, window: _Window) -> list[Prepared]:
        """A window's prepared messages; raises WorkerError (and replaces the pool) if a
        worker died preparing them."""
        try:
            return window.results()
        except BrokenProcessPool:
            raise self._worker_died(window.pool) from None

    def _worker_died(self, pool: ProcessPoolExecutor | None) -> WorkerError:
        """Replace `pool`, broken by a worker's death (once, however many of its windows
        fail, and not if it was already replaced); the error to raise."""
        with self._pool_lock:
            broken = pool if pool is not None and pool is self._pool else None
            if broken is not None:
                self._pool = self._new_pool()
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)
        return WorkerError(
            "a worker process died while preparing messages (killed for lack of memory?): "
            "what was committed is kept and the rest is tried again; lower ingest.workers "
            "if it happens again"
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
        keep: bool = True,
    ) -> list[Outcome]:
        """Archive `messages`; each one's outcome, in order (none if not `keep`: a caller
        that takes them from `committed` need not hold an outcome per message).

        `committed` is called after each transaction with the arrivals and outcomes of the
        messages it made safe, until it raises.
        `stop`, when set, ends reading; what was read is still finished and committed.
        If the source fails part way, or `committed` does, what was read is still committed
        and then that error is raised. Raises DatabaseError if the database fails (what was
        committed stays committed).
        """
        outcomes: list[Outcome] = []
        pending: deque[_Window] = deque()
        batch: list[Prepared] = []  # each with its arrival; the message's bytes are let go
        done_bytes = 0
        held = batch_held = 0  # budget held by this run, and by its batch not handed over yet
        failure: ArchiverError | None = None  # the source's or the acknowledger's

        def write(work: tuple[list[Prepared], int]) -> list[Outcome]:
            with self.db.transaction() as tx:  # in the committer's thread
                roster = self.roster.current(tx)
                return writer.store_batch(tx, self.ring, work[0], source, roster, self.intake)

        committer: Committer[tuple[list[Prepared], int], list[Outcome]]
        committer = Committer(write, f"ingest writer ({source})")

        def deliver() -> None:
            """Account for what the committer wrote: budget, outcomes, acknowledgement."""
            nonlocal failure, held
            for (written, size), results in committer.collect():
                self.budget.give(size)
                held -= size
                pairs = [(p.arrival, o) for p, o in zip(written, results, strict=True)]
                if keep:
                    outcomes.extend(results)
                if committed is not None and failure is None:
                    try:
                        committed(pairs)
                    except ArchiverError as exc:  # not acknowledged: fetched again next time
                        failure = exc

        def commit() -> None:
            """Hand the batch to the committer (it waits while another batch waits)."""
            nonlocal batch, batch_held
            if batch:
                committer.put((batch, batch_held))
                batch, batch_held = [], 0
            deliver()

        def flush() -> None:
            """Commit everything this run has handed over, and account for it."""
            commit()
            committer.flush()
            deliver()

        def finish_oldest() -> None:
            nonlocal done_bytes, batch_held
            window = pending.popleft()
            batch.extend(self._results(window))
            batch_held += window.budget
            done_bytes += window.read_bytes
            if len(batch) >= COMMIT_EVERY:
                commit()
            if progress:
                progress(done_bytes)

        def reserve(size: int) -> None:
            """Take `size` bytes of the budget; if they are not free, first finish and
            commit what this run holds, so no run waits while holding any."""
            nonlocal held
            if not self.budget.try_take(size):
                while pending:
                    finish_oldest()
                flush()
                self.budget.take(size)
            held += size

        try:
            try:
                for msgs in _windows(messages, stop):
                    size = sum(len(m.raw or b"") for m in msgs)
                    large = size >= LARGE_MESSAGE
                    need = max(size, self.budget.limit) if large else size
                    reserve(need)
                    pending.append(self._submit(msgs, need, inline=large))
                    del msgs  # held until the next window is read, its bytes would outlive it
                    while len(pending) > 2 * self.workers:
                        finish_oldest()
                    if failure is not None:
                        break
            except ArchiverError as exc:  # the source failed mid-stream: keep what it gave us
                failure = exc
            while pending:
                finish_oldest()
            flush()
        finally:
            committer.close()  # what was handed over is written, whatever happened here
            deliver()
            self.budget.give(held)  # what an error left uncommitted
        if failure is not None:
            raise failure
        return outcomes

    def _submit(self, msgs: list[Message], budget: int, inline: bool = False) -> _Window:
        """Start preparing `msgs`: in a worker, or here when `inline` (a large message, which
        runs alone: copying it to a worker and its result back would cost more memory)."""
        digests = [prepare.digest(m.raw) if m.raw is not None else b"" for m in msgs]
        pool = None if inline else self._pool
        with self.db.reading() as tx:  # never waits for the committer's transaction
            known = tx.records.known_hashes([d for d in digests if d])
            roster = self.roster.current(tx) if pool is None else self._start_roster
        ready: list[Prepared | None] = []
        work: list[tuple[bytes, Arrival, bytes]] = []
        for msg, sha in zip(msgs, digests, strict=True):
            if msg.raw is None:
                ready.append(prepare.failed(msg.arrival, msg.error or "cannot read"))
            elif sha in known:
                ready.append(prepare.already_archived(msg.raw, msg.arrival, sha))
            else:
                ready.append(None)
                work.append((msg.raw, msg.arrival, sha))
        task: Future[list[Prepared]] | list[Prepared]
        if pool is not None and work:
            try:
                task = pool.submit(_worker_prepare, work)
            except BrokenProcessPool:  # a worker died before this window was handed over
                raise self._worker_died(pool) from None
        else:
            task = [_prepare(raw, arr, self.policy, sha, roster) for raw, arr, sha in work]
        read = sum(m.read_bytes for m in msgs)
        return _Window(read, ready, task, budget, pool if isinstance(task, Future) else None)
