"""`archiver import`: .eml files, directories, mbox files and maildirs, through the pipeline."""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from archiver.errors import ArchiverError
from archiver.ingest import prepare
from archiver.ingest.pipeline import Pipeline
from archiver.ingest.prepare import Outcome
from archiver.sources import files
from archiver.sources.arrival import Arrival

INLINE_BELOW = 1 << 20  # inputs smaller than this are not worth starting workers for


@dataclass(frozen=True)
class Item:
    """One message of an import: where it came from and what became of it."""

    path: str  # how reports name the message (a file's path, `FILE#N` in an mbox)
    label: str  # where it came from, as the terminal lists it
    record_id: str | None
    status: str
    error: str | None
    line: int | None  # an mbox message's first line, and its `From ` line
    envelope: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "id": self.record_id,
            "status": self.status,
            "error": self.error,
            "line": self.line,
            "envelope": self.envelope,
        }


class ImportReport:
    """How many messages came to each end, the files skipped, and every message's item.

    The items go to an unnamed temporary file (readable by this process only, gone when it
    ends), not a list: a backfill of a million messages held a gigabyte of them.
    """

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.skipped: list[str] = []
        self.interrupted = False
        # Closed by `close` (the command closes it once printed), or when this process ends.
        try:
            self._spool = tempfile.TemporaryFile("w+", encoding="ascii")  # noqa: SIM115
        except OSError as exc:
            raise _no_report(exc, "nothing was imported") from None

    def add(self, pairs: list[tuple[Arrival, Outcome]]) -> None:
        """Count and keep the outcomes of a transaction's messages. Raises ArchiverError if
        the temporary file cannot be written (the import stops; what was archived is kept)."""
        rows = []
        for arrival, outcome in pairs:
            part = arrival.part
            item = Item(
                arrival.name,
                arrival.label,
                outcome.record_id,
                outcome.status,
                outcome.error,
                part.line if part else None,
                part.envelope if part else None,
            )
            # The fields in order (`items` reads them back so); ASCII escapes, so a path's
            # undecodable bytes (lone surrogates) come back as they were.
            rows.append(json.dumps(astuple(item)) + "\n")
        try:
            self._spool.writelines(rows)
            self._spool.flush()  # a full disk is found here, not when the report is printed
        except OSError as exc:
            raise _no_report(
                exc, "what was archived is kept, and importing again finishes the rest"
            ) from None
        self.counts.update(o.status for _, o in pairs)

    def count(self, status: str) -> int:
        return self.counts[status]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def totals(self) -> dict[str, int]:
        """The counts of the `import --json` document (DESIGN.md section 10)."""
        return {
            "archived": self.count(prepare.ARCHIVED),
            "duplicates": self.count(prepare.DUPLICATE),
            "quarantined": self.count(prepare.QUARANTINED),
            "failed": self.count(prepare.FAILED),
        }

    def items(self) -> Iterator[Item]:
        """Every message's item, in input order (read back one at a time)."""
        self._spool.seek(0)
        for line in self._spool:
            if not line.endswith("\n"):  # a batch's lines cut short by Ctrl-C
                break
            yield Item(*json.loads(line))
        self._spool.seek(0, 2)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # what a full disk kept from being written
            self._spool.close()


def _no_report(exc: OSError, then: str) -> ArchiverError:
    return ArchiverError(
        f"cannot keep the import's report in a temporary file in {tempfile.gettempdir()} "
        f"({exc.strerror}): free space there, or set TMPDIR to a directory with room; {then}"
    )


def import_paths(
    make_pipeline: Callable[[int], Pipeline],
    paths: list[Path],
    workers: int,
    progress: Callable[[int], None] | None = None,
    total_bytes: int | None = None,
) -> ImportReport:
    """Archive every message under `paths`; the report lists each message's outcome (close
    it when done).

    `make_pipeline(workers)` makes the pipeline (the app's); `total_bytes` (the inputs' size,
    if the caller has it) decides whether workers are worth starting. Raises DatabaseError if
    the database fails (what was committed stays committed).
    """
    report = ImportReport()
    if total_bytes is None:
        total_bytes = files.total_size(paths)
    pipeline = make_pipeline(workers if total_bytes >= INLINE_BELOW else 1)
    messages = files.read_paths(
        paths, pipeline.policy.max_message_bytes, files.Scan(report.skipped)
    )

    try:
        pipeline.run(messages, files.SOURCE_NAME, report.add, progress, keep=False)
    except KeyboardInterrupt:
        report.interrupted = True
    except BaseException:
        report.close()
        raise
    finally:
        pipeline.close()
    return report
