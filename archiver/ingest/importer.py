"""`archiver import`: .eml files, directories, mbox files and maildirs, through the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver.ingest import prepare
from archiver.ingest.pipeline import Pipeline
from archiver.ingest.prepare import Outcome
from archiver.sources import files
from archiver.sources.arrival import Arrival

INLINE_BELOW = 1 << 20  # inputs smaller than this are not worth starting workers for


@dataclass(frozen=True)
class Item:
    """One message of an import: where it came from and what became of it."""

    arrival: Arrival
    outcome: Outcome

    def to_json(self) -> dict[str, Any]:
        o, part = self.outcome, self.arrival.part
        return {
            "path": self.arrival.name,
            "id": o.record_id,
            "status": o.status,
            "error": o.error,
            "line": part.line if part else None,
            "envelope": part.envelope if part else None,
        }


@dataclass
class ImportReport:
    items: list[Item] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    interrupted: bool = False

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.outcome.status == status)

    def to_json(self) -> dict[str, Any]:
        """The `import --json` document (DESIGN.md section 10)."""
        return {
            "archived": self.count(prepare.ARCHIVED),
            "duplicates": self.count(prepare.DUPLICATE),
            "quarantined": self.count(prepare.QUARANTINED),
            "failed": self.count(prepare.FAILED),
            "skipped": self.skipped,
            "items": [item.to_json() for item in self.items],
        }


def import_paths(
    make_pipeline: Callable[[int], Pipeline],
    paths: list[Path],
    workers: int,
    progress: Callable[[int], None] | None = None,
    total_bytes: int | None = None,
) -> ImportReport:
    """Archive every message under `paths`; the report lists each message's outcome.

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

    def committed(pairs: list[tuple[Arrival, Outcome]]) -> None:
        report.items.extend(Item(arrival, outcome) for arrival, outcome in pairs)

    try:
        pipeline.run(messages, files.SOURCE_NAME, committed, progress)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        pipeline.close()
    return report
