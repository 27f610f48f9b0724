"""What `archiver status` and the web application's status page show: the sources and their
last polls, the search index, the audit head, retention and disposition waiting, open
requests' deadlines, and the problems that need a person (with the exit code that says so)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from archiver.archive import audit
from archiver.archive.search import index_status
from archiver.clock import District
from archiver.errors import ArchiverError, KeyFileError
from archiver.ingest.collect import status as source_status
from archiver.records.requests import Deadline
from archiver.settings import Settings
from archiver.store.db import Store


@dataclass(frozen=True)
class Status:
    sources: list[dict[str, Any]]
    search_index: dict[str, Any]
    audit_head: str | None
    retention: dict[str, int]  # unclassified, open_holds, overdue_destruction
    disposition: dict[str, Any]  # planned, approved, executing, copies_pending
    requests: list[Deadline]
    problems: list[str]  # each needs a person
    failing: int  # the exit code: 1 a source failing, 2 or 3 the keys unusable

    def to_json(self) -> dict[str, object]:
        return {
            "sources": self.sources,
            "search_index": self.search_index,
            "audit_head": self.audit_head,
            "retention": self.retention,
            "disposition": self.disposition,
            "requests": [d.to_json() for d in self.requests],
            "problems": self.problems,
        }


def gather(
    settings: Settings,
    db: Store,
    district: District,
    today: date,
    requests_since: datetime,
    load_keys: Callable[[], object],
    deadlines: Callable[[], list[Deadline]],
) -> Status:
    """The archive's status on `today` (the district's). `load_keys` loads the keyring (as
    the daemon does first: a KeyFileError is a problem reported, not raised); `deadlines`
    reads the open requests' deadlines (skipped when the keys are unusable);
    `requests_since`: requests closed since then still keep their records."""
    rows = source_status(settings, db, district)
    index = index_status(db)
    problems: list[str] = []
    failing = 0
    try:
        load_keys()
    except KeyFileError as exc:
        problems += [f"the daemon cannot run: {p}" for p in exc.problems]
        failing = exc.exit_code
    for r in rows:
        cycle = r["last_cycle"] or {}
        if r["last_error"]:
            failing = max(failing, 1)
        elif cycle.get("failed"):
            failing = max(failing, 1)
            first = (cycle.get("errors") or ["?"])[0]
            problems.append(
                f"source {r['source']}: {cycle['failed']} messages could not be archived in "
                f"the last cycle and are tried again every cycle: {first}"
            )
    head = audit.head(db)
    found: list[Deadline] = []
    if not problems:  # the requests' facts are checked with the keys said to be unusable
        try:
            found = deadlines()
        except ArchiverError as exc:
            problems.append(f"cannot read the requests' deadlines: {exc}")
    with db.transaction() as tx:
        kept = {
            "unclassified": tx.retention.count_unclassified(),
            "open_holds": len(tx.holds.all(open_only=True)),
            # Temporary student records (a `maximum` series) past the day they had to go.
            "overdue_destruction": tx.retention.overdue_maximum(today, requests_since),
        }
        batches = tx.disposition.count_by_state()
        executing = tx.disposition.executing()
        copies = tx.disposition.copies_pending()
    disposition = {
        "planned": batches.get("planned", 0),
        "approved": batches.get("approved", 0),
        "executing": executing,
        "copies_pending": copies,  # per source: copies of destroyed records still there
    }
    return Status(rows, index, head, kept, disposition, found, problems, failing)
