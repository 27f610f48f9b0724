"""What every source says about a message it hands to ingest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Arrival:
    """Where a message came from. `label` (a path, a mailbox) is sealed, never stored plain."""

    source_kind: str  # file | mbox | maildir | imap
    source_name: str  # "import", or the configured source's name
    label: str
    mailbox: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None
