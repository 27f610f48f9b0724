"""A maildir on this host as a collection source: read new/ and cur/, file messages away.

Acknowledging a message renames it into a Maildir++ subfolder (`.Archived/cur/`), which is
atomic: a message is either waiting or filed, never lost or in both places. Filed messages are
read again, and once confirmed may be removed, by `archiver reconcile`; a destroyed record's
copies are removed by disposition.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from archiver.errors import MaildirError
from archiver.sources.arrival import Arrival, Message
from archiver.sources.files import read_message


def _subfolder(root: Path, name: str) -> Path:
    folder = root / f".{name}"
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


class LocalMaildir:
    """The messages waiting in a maildir, and filing them once archived."""

    def __init__(self, root: Path, source_name: str, allowed: tuple[str, ...]) -> None:
        self.root = root
        self.source_name = source_name
        self.allowed = allowed

    def waiting(self) -> list[Path]:
        """Paths of messages not yet filed, oldest delivery first."""
        if not all((self.root / sub).is_dir() for sub in ("cur", "new", "tmp")):
            raise MaildirError(
                f"source {self.source_name}: {self.root} is not a maildir "
                "(it needs cur/, new/ and tmp/)"
            )
        paths = []
        for sub in ("new", "cur"):
            try:
                names = os.listdir(self.root / sub)
            except OSError as exc:
                raise MaildirError(f"{self.root / sub}: cannot list: {exc.strerror}") from None
            paths += [self.root / sub / n for n in names if not n.startswith(".")]
        return sorted(paths, key=lambda p: p.name)

    def messages(self, paths: list[Path], max_bytes: int) -> Iterator[Message]:
        for path in paths:
            arrival = Arrival(
                "maildir",
                self.source_name,
                str(path),
                mailbox=str(self.root),
                allowed_domains=self.allowed,
            )
            msg = read_message(path, arrival, max_bytes)
            if msg is not None:  # None: filed by someone else meanwhile
                yield msg

    def file(self, path: Path, folder: str) -> None:
        """Move a message into subfolder `folder` (created if missing)."""
        target = _subfolder(self.root, folder) / "cur" / path.name
        try:
            os.rename(path, target)
        except FileNotFoundError:
            pass  # already filed
        except OSError as exc:
            raise MaildirError(f"{path}: cannot move to {target.parent}: {exc.strerror}") from None

    def filed(self, folder: str) -> list[Path]:
        """Paths of the messages filed in subfolder `folder`, by name; none if it is missing."""
        paths = []
        for sub in ("new", "cur"):
            where = self.root / f".{folder}" / sub
            try:
                names = os.listdir(where)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise MaildirError(f"{where}: cannot list: {exc.strerror}") from None
            paths += [where / n for n in names if not n.startswith(".")]
        return sorted(paths, key=lambda p: p.name)

    def modified_at(self, path: Path) -> datetime | None:
        """When the message file was last written (delivery, as filing keeps it); None if gone."""
        try:
            return datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise MaildirError(f"{path}: cannot stat: {exc.strerror}") from None

    def size(self, path: Path) -> int | None:
        """A filed message's size in bytes (of the file a symlink names); None if it is gone."""
        try:
            return path.stat().st_size
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise MaildirError(f"{path}: cannot stat: {exc.strerror}") from None

    def remove(self, path: Path) -> None:
        """Delete a filed message (reconcile does, once its record is confirmed; disposition,
        once its record is destroyed). `sync` its directory to make the removal durable."""
        try:
            path.unlink()
        except FileNotFoundError:
            pass  # removed by someone else meanwhile
        except OSError as exc:
            raise MaildirError(f"{path}: cannot remove: {exc.strerror}") from None

    def sync(self, directory: Path) -> None:
        """Flush `directory`'s entries to disk (after removals: a crash cannot bring them back)."""
        try:
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise MaildirError(f"{directory}: cannot sync: {exc.strerror}") from None


def create(root: Path) -> None:
    """Make an empty maildir at `root`."""
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
