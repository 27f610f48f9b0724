"""`archiver import`: parse and seal on every core, write from one process, stream the input.

The main process reads messages, hashes them and skips the ones already archived; worker
processes parse and seal the rest; the main process writes the results in order, in
transactions of up to `COMMIT_EVERY` messages. Bounded queues keep memory independent of
the size of the input. A crash loses at most the uncommitted transaction, and running the
same import again archives what is missing and duplicates nothing.
"""

from __future__ import annotations

import multiprocessing
import os
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

COMMIT_EVERY = 64
WINDOW = 32  # messages hashed and looked up together
INLINE_BELOW = 1 << 20  # inputs smaller than this are not worth starting workers for
_IN_FLIGHT_BYTES = 64 << 20

_worker_policy: IngestPolicy | None = None


def _worker_init(policy: IngestPolicy) -> None:
    global _worker_policy
    _worker_policy = policy


def _worker_prepare(raw: bytes, arrival: Arrival, digest: bytes) -> Prepared:
    assert _worker_policy is not None
    return ingest.prepare(raw, arrival, _worker_policy, digest)


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


def _windows(messages: Iterator[files.Message]) -> Iterator[list[files.Message]]:
    window: list[files.Message] = []
    size = 0
    for msg in messages:
        window.append(msg)
        size += len(msg.raw or b"")
        if len(window) >= WINDOW or size >= _IN_FLIGHT_BYTES // 4:
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
) -> ImportReport:
    """Archive every message under `paths`; the report lists each message's outcome.

    Raises DatabaseError if the database fails (what was committed stays committed).
    """
    report = ImportReport()
    scan = files.Scan(report.skipped)
    messages = files.read_paths(paths, policy.max_message_bytes, scan)
    workers = workers or os.cpu_count() or 1
    use_pool = workers > 1 and files.total_size(paths) >= INLINE_BELOW
    pool: ProcessPoolExecutor | None = None
    if use_pool:
        ctx = multiprocessing.get_context("forkserver")
        # Workers are children of the fork server, not of this process: when this process dies
        # their task pipe closes and they exit, instead of lingering.
        ctx.set_forkserver_preload(["archiver.ingest"])
        pool = ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_worker_init, initargs=(policy,)
        )
    pending: deque[tuple[Future[Prepared] | Prepared, int]] = deque()
    batch: list[Prepared] = []
    in_flight = 0
    done_bytes = 0

    def commit() -> None:
        if batch:
            with db.transaction() as tx:
                report.items.extend(ingest.store_batch(tx, ring, batch, files.SOURCE_NAME))
            batch.clear()

    def take_one() -> None:
        nonlocal in_flight, done_bytes
        item, nbytes = pending.popleft()
        batch.append(item.result() if isinstance(item, Future) else item)
        in_flight -= nbytes
        done_bytes += nbytes
        if len(batch) >= COMMIT_EVERY:
            commit()
        if progress:
            progress(done_bytes)

    try:
        for window in _windows(messages):
            digests = {id(m): ingest.digest(m.raw) for m in window if m.raw is not None}
            with db.transaction() as tx:
                known = tx.known_hashes(list(digests.values()))
            for msg in window:
                item: Future[Prepared] | Prepared
                if msg.raw is None:
                    item = ingest.failed(msg.arrival, msg.error or "cannot read")
                elif digests[id(msg)] in known:
                    item = ingest.already_archived(msg.raw, msg.arrival, digests[id(msg)])
                elif pool is not None:
                    item = pool.submit(_worker_prepare, msg.raw, msg.arrival, digests[id(msg)])
                else:
                    item = ingest.prepare(msg.raw, msg.arrival, policy, digests[id(msg)])
                pending.append((item, msg.read_bytes))
                in_flight += msg.read_bytes
                while pending and (len(pending) > 4 * workers or in_flight > _IN_FLIGHT_BYTES):
                    take_one()
        while pending:
            take_one()
        commit()
    except KeyboardInterrupt:
        report.interrupted = True
        pending.clear()
        batch.clear()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return report
