"""What every source hands to ingest: a message's bytes and where they came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    """Where a message split out of a larger file (an mbox) starts in it."""

    name: str  # `FILE#N`: how reports name the message
    line: int  # the file's line where the message starts (its envelope line, if it has one)
    envelope: str | None = None  # that `From ` line: not part of the message, kept in the label


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
    part: Part | None = None

    @property
    def name(self) -> str:
        """How reports name the message: its part's name, else its label."""
        return self.part.name if self.part else self.label


@dataclass(frozen=True)
class Message:
    """One message read from a source, or why it could not be read (`raw` is None)."""

    arrival: Arrival
    raw: bytes | None
    error: str | None = None
    read_bytes: int = 0  # bytes of input consumed, for progress
