"""What every source hands to ingest: a message's bytes and where they came from."""

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
    # The source's rule: forwards from other domains are archived as quarantined.
    allowed_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message:
    """One message read from a source, or why it could not be read (`raw` is None)."""

    arrival: Arrival
    raw: bytes | None
    error: str | None = None
    read_bytes: int = 0  # bytes of input consumed, for progress
