"""Removing destroyed records' copies from the sources' archived and quarantine folders.

Polling leaves every archived message in its source's archived (or quarantine) folder, in
plaintext. When a disposition batch destroys records, `remove_copies` deletes the copies whose
exact bytes hash to a destroyed record's SHA-256, from every source, under the source's lease
(so never beside a poll or reconcile of it). Sizes narrow the search first, so only messages of
a destroyed record's exact size are downloaded and hashed (unless the server's sizes prove not
to be byte counts: then every message is); nothing whose hash is not wanted is ever deleted.
IMAP removal is \\Deleted plus UID EXPUNGE of exactly the matching UIDs (a server without
UIDPLUS is left alone); maildir files are unlinked and their directory synced.

What a source could not finish is pending; `retry_pending`, called after each successful poll
cycle of a source, tries again until the pending store (the disposition side's) is empty.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from archiver.archive import audit
from archiver.errors import ArchiverError, MaildirError
from archiver.ingest.collect import Collector, allowed_domains
from archiver.ingest.prepare import digest
from archiver.settings import IMAP, Settings, SourceSettings
from archiver.sources.files import is_maildir
from archiver.sources.imap import Folder, Mailbox, batches
from archiver.sources.maildir import LocalMaildir

log = logging.getLogger(__name__)

AUDIT_ACTION = "dispose.copies"
# Up to this many distinct sizes, the server finds the candidates (one UID SEARCH per size);
# with more, one FETCH of every message's size per folder is cheaper.
SEARCH_SIZES = 16
SHA256_BYTES = 32


@dataclass
class CopyReport:
    """What removing copies from one source did, and what it could not confirm."""

    source: str
    wanted: frozenset[bytes] = frozenset()  # SHA-256s looked for
    removed: dict[bytes, int] = field(default_factory=dict)  # SHA-256 -> copies deleted
    pending: set[bytes] = field(default_factory=set)  # not confirmed gone from this source
    checked: int = 0  # copies of a wanted size downloaded (or read) and hashed
    errors: list[str] = field(default_factory=list)  # why anything is pending

    @property
    def reason(self) -> str | None:
        """Why something is pending (the first problem met), or None."""
        return self.errors[0] if self.errors else None

    @property
    def done(self) -> set[bytes]:
        """The wanted SHA-256s this source no longer holds any copy of."""
        return set(self.wanted) - self.pending

    @property
    def removed_count(self) -> int:
        return sum(self.removed.values())

    def hold(self, sha256s: Iterable[bytes], reason: str) -> None:
        """Keep `sha256s` pending, because of `reason`."""
        self.pending.update(sha256s)
        if reason not in self.errors:
            self.errors.append(reason)

    def count(self, sha256: bytes) -> None:
        self.removed[sha256] = self.removed.get(sha256, 0) + 1

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "wanted": len(self.wanted),
            "checked": self.checked,
            "removed": {sha.hex(): n for sha, n in sorted(self.removed.items())},
            "pending": sorted(sha.hex() for sha in self.pending),
            "errors": self.errors,
        }


def remove_copies(
    settings: Settings,
    collector: Collector,
    wanted: Mapping[bytes, int],
    sources: Sequence[SourceSettings] | None = None,
    wait: float = 0.0,
) -> list[CopyReport]:
    """Delete every copy whose SHA-256 is a key of `wanted` (its value: the message's size in
    bytes) from each of `sources` (default: every configured source); one report per source.

    A source that is busy for `wait` seconds, cannot be reached, refuses, or fails part way
    is not an error here: what it did not confirm is in its report's `pending`, with the
    reason. Writes one `dispose.copies` audit event if anything was removed (raises
    DatabaseError if it cannot). With nothing wanted, nothing is opened or leased.
    """
    chosen = list(settings.sources if sources is None else sources)
    want = _validated(wanted)
    reports = [CopyReport(s.name, frozenset(want)) for s in chosen]
    if not want:
        return reports
    remover = _Remover(settings, collector, want)
    for source, report in zip(chosen, reports, strict=True):
        remover.run(source, report, wait)
        if report.pending:
            log.warning(
                "source %s: %d copies of destroyed records not removed yet: %s",
                source.name,
                len(report.pending),
                report.reason,
            )
    if any(r.removed for r in reports):
        details = {
            "wanted": len(want),
            "sources": {
                r.source: {"removed": r.removed_count, "pending": len(r.pending)} for r in reports
            },
        }
        audit.record_event(collector.db, collector.pipeline.ring, AUDIT_ACTION, details=details)
    return reports


def _validated(wanted: Mapping[bytes, int]) -> dict[bytes, int]:
    """`wanted` as a plain dict; raises ValueError for a key that is no SHA-256 or a size < 1
    (a caller's mistake: such a copy cannot exist)."""
    out: dict[bytes, int] = {}
    for sha, size in wanted.items():
        if len(sha) != SHA256_BYTES or size < 1:
            raise ValueError(f"not a SHA-256 and a size: {sha.hex()} {size}")
        out[bytes(sha)] = int(size)
    return out


class _Remover:
    """Looks through sources' filed copies for wanted hashes, and deletes exactly those."""

    def __init__(self, settings: Settings, collector: Collector, want: dict[bytes, int]) -> None:
        self.settings = settings
        self.collector = collector
        self.want = want
        self.by_size: dict[int, set[bytes]] = {}
        for sha, size in want.items():
            self.by_size.setdefault(size, set()).add(sha)

    def run(self, source: SourceSettings, report: CopyReport, wait: float) -> None:
        try:
            with self.collector.leased(source, wait):
                if source.kind == IMAP:
                    self._imap(source, report)
                else:
                    self._maildir(source, report)
        except ArchiverError as exc:
            # Busy, unreachable, refused, or failed part way: nothing is confirmed gone yet
            # (a later folder may still hold a copy), so everything is tried again.
            report.hold(report.wanted, str(exc))

    # -- IMAP ----------------------------------------------------------------------------------

    def _imap(self, source: SourceSettings, report: CopyReport) -> None:
        auth = self.collector.authenticator(source)
        with Mailbox(source, auth, self.settings.base_dir) as box:
            for name in _folders(source):
                if box.exists(name):  # else nothing was ever filed there
                    self._imap_folder(box, source, name, report)

    def _imap_folder(
        self, box: Mailbox, source: SourceSettings, name: str, report: CopyReport
    ) -> None:
        folder = box.open(name)
        if not folder.uids:
            return
        candidates = self._imap_candidates(box, folder)
        exact = self._imap_hash(box, source, name, candidates, report)
        if exact and not candidates:
            exact = _sizes_exact(box, folder.uids[0])
        if not exact:
            # The server's sizes are not the messages' byte counts (some servers count
            # otherwise): narrowing by size could miss a copy, so every message is hashed.
            log.warning(
                "source %s: %s reports message sizes that differ from the messages' bytes; "
                "hashing every message in %r to find copies of destroyed records",
                source.name,
                box.where,
                name,
            )
            rest = [u for u in folder.uids if u not in candidates]
            self._imap_hash(box, source, name, box.sizes(rest), report)

    def _imap_candidates(self, box: Mailbox, folder: Folder) -> dict[int, int]:
        """The UIDs, with their sizes, of the selected folder's messages of a wanted size."""
        if len(self.by_size) <= SEARCH_SIZES:
            return {uid: size for size in sorted(self.by_size) for uid in box.uids_of_size(size)}
        return {u: s for u, s in box.sizes(folder.uids).items() if s in self.by_size}

    def _imap_hash(
        self,
        box: Mailbox,
        source: SourceSettings,
        name: str,
        sizes: dict[int, int],
        report: CopyReport,
    ) -> bool:
        """Fetch and hash the messages `sizes` names, removing the wanted ones; whether each
        was as long as the server said."""
        exact = True
        for uids in batches(sizes, source.batch_messages, source.batch_mb << 20):
            self.collector.renew(source)
            fetched = box.fetch(uids)
            hits: dict[int, bytes] = {}
            for uid in uids:
                raw = fetched.get(uid)
                if raw is None:
                    continue  # deleted by someone else meanwhile
                report.checked += 1
                exact = exact and len(raw) == sizes[uid]
                sha = digest(raw)
                if sha in self.want:
                    hits[uid] = sha
            if not hits:
                continue
            if not box.can_remove:
                report.hold(
                    hits.values(),
                    f"source {source.name}: {box.where} has no UIDPLUS (UID EXPUNGE), so "
                    f"copies cannot be removed one by one: delete them from {name!r} by hand",
                )
                continue
            box.remove(sorted(hits))  # a UID's bytes never change: exactly the hashed ones go
            for sha in hits.values():
                report.count(sha)
        return exact

    # -- maildir -------------------------------------------------------------------------------

    def _maildir(self, source: SourceSettings, report: CopyReport) -> None:
        root = self.settings.path(source.path)
        if not is_maildir(root):
            raise MaildirError(
                f"source {source.name}: {root} is not a maildir (it needs cur/, new/ and tmp/)"
            )
        box = LocalMaildir(root, source.name, allowed_domains(source))
        for name in _folders(source):
            touched: set[Path] = set()
            for path in box.filed(name):
                self.collector.renew(source)
                if self._maildir_file(box, path, report):
                    touched.add(path.parent)
            for directory in sorted(touched):
                box.sync(directory)

    def _maildir_file(self, box: LocalMaildir, path: Path, report: CopyReport) -> bool:
        """Delete `path` if it is a wanted copy; whether it was deleted."""
        try:
            size = box.size(path)
        except MaildirError as exc:
            report.hold(report.wanted, str(exc))  # its size is unknown: it could be any
            return False
        if size is None or size not in self.by_size:
            return False  # gone meanwhile, or no wanted copy has its size
        msg = next(box.messages([path], size), None)
        if msg is None:
            return False
        if msg.raw is None:
            report.hold(self.by_size[size], msg.error or f"{path}: cannot read")
            return False
        report.checked += 1
        sha = digest(msg.raw)
        if sha not in self.want:
            return False
        if path.is_symlink():  # unlinking it would leave the bytes where it points
            report.hold(
                [sha],
                f"{path} is a symbolic link to {path.resolve()}, a copy of a destroyed "
                "record: delete that file, then the link, by hand",
            )
            return False
        box.remove(path)
        report.count(sha)
        return True


def _sizes_exact(box: Mailbox, uid: int) -> bool:
    """Whether the selected folder's message `uid` is as long as the server says (a probe of
    the sizes that narrowing relies on)."""
    said = box.sizes([uid]).get(uid)
    raw = box.fetch([uid]).get(uid)
    return said is None or raw is None or len(raw) == said


def _folders(source: SourceSettings) -> list[str]:
    """The folders polling files copies in, each once."""
    return list(dict.fromkeys([source.archived_folder, source.quarantine_folder]))


# -- retrying in the poll cycle ------------------------------------------------------------------


class PendingCopies(Protocol):
    """Copies of destroyed records still to remove, kept by disposition (which records them in
    the batch's certificate); `retry_pending` works through them."""

    def pending(self, source: str) -> Mapping[bytes, int]:
        """SHA-256 -> size of the copies `source` may still hold."""
        ...

    def done(self, source: str, sha256s: Collection[bytes]) -> None:
        """`source` holds no copy of `sha256s` any more."""
        ...


class NothingPending:
    """The pending store while no disposition has left anything to remove."""

    def pending(self, source: str) -> Mapping[bytes, int]:
        return {}

    def done(self, source: str, sha256s: Collection[bytes]) -> None:
        return None


def retry_pending(
    settings: Settings, collector: Collector, store: PendingCopies, source: SourceSettings
) -> CopyReport | None:
    """Try again to remove what `store` says `source` may still hold, and tell `store` what is
    done; None (no connection, no lease) when nothing is pending. Raises what `store` raises
    (DatabaseError), and DatabaseError if the audit event cannot be written."""
    wanted = store.pending(source.name)
    if not wanted:
        return None
    [report] = remove_copies(settings, collector, wanted, [source])
    finished = report.done
    if finished:
        store.done(source.name, finished)
    return report
