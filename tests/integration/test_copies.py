"""Removing destroyed records' copies from the sources' archived and quarantine folders, and
retrying it in the poll cycle until none remains."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from archiver.app import App
from archiver.archive.actor import DAEMON
from archiver.daemon import Daemon
from archiver.ingest import copies as copies_module
from archiver.ingest.collect import Collector
from archiver.ingest.copies import CopyReport, remove_copies
from archiver.settings import Settings
from archiver.sources import imap as imap_module
from tests.conftest import Archive
from tests.integration.dovecot import Dovecot, FaultProxy, free_port
from tests.integration.test_imap_collect import forward, imap_archive, poll
from tests.integration.test_reconcile import deliver, maildir_archive, record_of, transaction

OUTSIDER = "someone@gmail.example"
DISTRICT = "district.example.org"


# -- helpers ----------------------------------------------------------------------------------


def sha(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()


def wanted(*messages: bytes) -> dict[bytes, int]:
    """What a disposition passes for these messages: SHA-256 -> size."""
    return {sha(raw): len(raw) for raw in messages}


@contextlib.contextmanager
def service(archive: Archive) -> Iterator[tuple[Settings, Collector]]:
    """The settings and a collector of `archive`, as a disposition command would build them."""
    app = App.from_config(archive.config)
    pipeline = app.pipeline(workers=1)
    try:
        yield app.settings, Collector(app.settings, pipeline)
    finally:
        pipeline.close()
        app.close()


def remove(archive: Archive, want: Mapping[bytes, int], **kwargs: Any) -> list[CopyReport]:
    with service(archive) as (settings, collector):
        return remove_copies(settings, collector, want, **kwargs)


def copy_events(archive: Archive) -> list[tuple[str, dict[str, Any]]]:
    """(actor, details) of each `dispose.copies` audit event, oldest first."""
    with transaction(archive) as tx:
        events = tx.audit.events(0, 100_000)
    return [(e.actor, json.loads(e.details)) for e in events if e.action == "dispose.copies"]


def folder(dovecot: Dovecot, user: str, name: str) -> list[bytes]:
    """The messages in an IMAP folder, listed with the server's own client, in any order."""
    return sorted(dovecot.messages(user, name))


class FakePending:
    """The disposition side's pending store, in memory: source -> SHA-256 -> size."""

    def __init__(self, pending: dict[str, dict[bytes, int]]) -> None:
        self.left = pending
        self.finished: list[tuple[str, set[bytes]]] = []

    def pending(self, source: str) -> Mapping[bytes, int]:
        return dict(self.left.get(source, {}))

    def done(self, source: str, sha256s: Collection[bytes]) -> None:
        self.finished.append((source, set(sha256s)))
        for digest in sha256s:
            self.left.get(source, {}).pop(digest, None)


def polled_imap(
    tmp_path: Path, database_url: str, dovecot: Dovecot, user: str, port: int | None = None
) -> tuple[Archive, list[bytes], bytes]:
    """An IMAP archive that polled four forwards (filed in Archived) and one from outside the
    district (filed in Quarantine); the forwards all have the same size."""
    inside = [forward(i) for i in range(1, 5)]
    outside = forward(5, sender=OUTSIDER)
    assert len({len(raw) for raw in inside}) == 1 and len(outside) != len(inside[0])
    dovecot.append(user, "INBOX", [*inside, outside])
    archive = imap_archive(
        tmp_path,
        database_url,
        user,
        port or dovecot.port,
        dovecot.password,
        allowed_forwarder_domains=[DISTRICT],
    )
    assert poll(archive)["moved"] == 5
    return archive, inside, outside


# -- IMAP --------------------------------------------------------------------------------------


@pytest.mark.parametrize("narrowing", ["search", "fetch-sizes"])
@pytest.mark.timeout(120)
def test_imap_removes_exactly_the_copies_whose_hash_is_wanted(
    tmp_path: Path,
    database_url: str,
    dovecot: Dovecot,
    imap_user: str,
    narrowing: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if narrowing == "fetch-sizes":  # many sizes: one FETCH of every size instead of SEARCHes
        monkeypatch.setattr(copies_module, "SEARCH_SIZES", 0)
    archive, inside, outside = polled_imap(tmp_path, database_url, dovecot, imap_user)
    never_archived = forward(7)  # the same size as the filed forwards, other bytes
    assert len(never_archived) == len(inside[0])
    destroyed = wanted(inside[0], inside[1], outside, never_archived)

    [report] = remove(archive, destroyed)

    assert report.removed == {sha(inside[0]): 1, sha(inside[1]): 1, sha(outside): 1}
    assert (report.pending, report.errors) == (set(), [])
    assert report.done == set(destroyed)  # a hash the source never held is done too
    assert report.checked == 5  # every filed message has a wanted size; each was hashed
    # Exactly those are gone: the same-size forwards whose hash is not wanted stay.
    assert folder(dovecot, imap_user, "Archived") == sorted([inside[2], inside[3]])
    assert folder(dovecot, imap_user, "Quarantine") == []
    # Only the copies: the records themselves are disposition's business.
    assert archive.ok("show", "--raw", record_of(archive, inside[0])).out == inside[0]
    [(_, details)] = copy_events(archive)
    assert details == {"wanted": 4, "sources": {"records": {"removed": 3, "pending": 0}}}
    assert archive.ok("audit", "verify", "--json").json()["ok"]

    [again] = remove(archive, destroyed)  # nothing left to remove: done, and nothing audited
    assert (again.removed, again.pending, again.done) == ({}, set(), set(destroyed))
    assert len(copy_events(archive)) == 1
    assert folder(dovecot, imap_user, "Archived") == sorted([inside[2], inside[3]])


@pytest.mark.timeout(60)
def test_a_server_whose_sizes_are_not_byte_counts_has_every_message_hashed(
    tmp_path: Path,
    database_url: str,
    dovecot: Dovecot,
    imap_user: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    archive, inside, outside = polled_imap(tmp_path, database_url, dovecot, imap_user)
    real_sizes, real_search = imap_module.Mailbox.sizes, imap_module.Mailbox.uids_of_size

    def sizes(self: imap_module.Mailbox, uids: list[int]) -> dict[int, int]:
        return {uid: size + 2 for uid, size in real_sizes(self, uids).items()}

    def uids_of_size(self: imap_module.Mailbox, size: int) -> list[int]:
        return real_search(self, size - 2)

    # A server that counts two bytes more than it sends (as some count line ends otherwise):
    # no message has a wanted size by its count, yet the copies are found.
    monkeypatch.setattr(imap_module.Mailbox, "sizes", sizes)
    monkeypatch.setattr(imap_module.Mailbox, "uids_of_size", uids_of_size)
    [report] = remove(archive, wanted(inside[3], outside))
    assert report.removed == {sha(inside[3]): 1, sha(outside): 1} and report.pending == set()
    assert report.checked == 5
    assert folder(dovecot, imap_user, "Archived") == sorted(inside[:3])
    assert "reports message sizes that differ from the messages' bytes" in caplog.text


@pytest.mark.timeout(60)
def test_an_unreachable_source_keeps_everything_pending_and_nothing_is_touched(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_user: str
) -> None:
    archive, inside, outside = polled_imap(tmp_path, database_url, dovecot, imap_user)
    before = folder(dovecot, imap_user, "Archived"), folder(dovecot, imap_user, "Quarantine")
    with service(archive) as (settings, collector):
        wrong = dataclasses.replace(settings.sources[0], port=free_port())
        destroyed = wanted(inside[0], outside)
        [report] = remove_copies(settings, collector, destroyed, [wrong])
        assert (report.removed, report.pending, report.done) == ({}, set(destroyed), set())
        [reason] = report.errors
        assert reason.startswith("source records: cannot connect to 127.0.0.1:") and (
            str(wrong.port) in reason
        )
        assert report.to_json()["pending"] == sorted(d.hex() for d in destroyed)
        # Nothing wanted: nothing to do, so not even a connection is tried.
        [idle] = remove_copies(settings, collector, {}, [wrong])
        assert (idle.removed, idle.pending, idle.errors) == ({}, set(), [])
    assert (folder(dovecot, imap_user, "Archived"), folder(dovecot, imap_user, "Quarantine")) == (
        before
    )
    assert copy_events(archive) == []


@pytest.mark.timeout(60)
def test_a_server_without_uidplus_keeps_its_matching_copies_pending(
    tmp_path: Path,
    database_url: str,
    dovecot: Dovecot,
    imap_user: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive, inside, _ = polled_imap(tmp_path, database_url, dovecot, imap_user)
    real = IMAPClient.has_capability

    def without_uidplus(self: IMAPClient, capability: str) -> bool:
        return capability.upper() != "UIDPLUS" and bool(real(self, capability))

    monkeypatch.setattr(IMAPClient, "has_capability", without_uidplus)
    destroyed = wanted(inside[0], forward(8))  # one filed, one the source never held
    [report] = remove(archive, destroyed)
    assert report.removed == {} and report.pending == {sha(inside[0])}
    assert report.done == {sha(forward(8))}
    [reason] = report.errors
    assert "has no UIDPLUS" in reason and "'Archived'" in reason
    assert len(folder(dovecot, imap_user, "Archived")) == 4  # a bare EXPUNGE is never sent


# -- maildir ------------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_maildir_removes_exactly_the_copies_whose_hash_is_wanted(
    tmp_path: Path, database_url: str
) -> None:
    archive = maildir_archive(tmp_path, database_url, "drop", allowed_forwarder_domains=[DISTRICT])
    messages = [forward(1), forward(2), forward(3), forward(4, sender=OUTSIDER)]
    paths = deliver(archive, "drop", messages)
    assert paths[3].parent.parent.name == ".Quarantine"
    # A copy kept through a symbolic link: unlinking the link would leave the bytes.
    outside_file = tmp_path / "elsewhere.eml"
    outside_file.write_bytes(forward(5))
    link = paths[0].parent / "5.drop.host"
    link.symlink_to(outside_file)

    [report] = remove(archive, wanted(messages[0], messages[3], forward(5), forward(6)))

    assert report.removed == {sha(messages[0]): 1, sha(messages[3]): 1}
    assert [p.exists() for p in paths] == [False, True, True, False]
    assert report.checked == 5  # the four forwards and the linked file share one size
    assert report.pending == {sha(forward(5))}
    [reason] = report.errors
    assert str(link) in reason and str(outside_file) in reason and "by hand" in reason
    assert outside_file.read_bytes() == forward(5) and link.is_symlink()
    assert report.done == {sha(messages[0]), sha(messages[3]), sha(forward(6))}
    [(_, details)] = copy_events(archive)
    assert details["sources"] == {"drop": {"removed": 2, "pending": 1}}


@pytest.mark.timeout(60)
def test_a_busy_source_is_pending_not_an_error(tmp_path: Path, database_url: str) -> None:
    archive = maildir_archive(tmp_path, database_url, "north", "south")
    [north_path] = deliver(archive, "north", [forward(1)])
    [south_path] = deliver(archive, "south", [forward(2)])
    other = "other-host:42:1"  # a daemon on another host, polling the source
    now = datetime.now(UTC)
    with transaction(archive) as tx:
        assert tx.collection.claim_lease("north", other, now, now + timedelta(hours=1))

    north, south = remove(archive, wanted(forward(1), forward(2)))

    assert north.pending == {sha(forward(1)), sha(forward(2))} and north.removed == {}
    assert "is being polled (or reconciled) by other-host:42:1" in (north.reason or "")
    assert north_path.exists()
    assert south.removed == {sha(forward(2)): 1} and south.pending == set()
    assert not south_path.exists()


# -- the poll cycle ------------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_the_daemons_cycle_retries_until_none_remains(
    tmp_path: Path,
    database_url: str,
    dovecot: Dovecot,
    imap_user: str,
    fault_proxy: Callable[[str, int], FaultProxy],
) -> None:
    proxy = fault_proxy(dovecot.host, dovecot.port)
    archive, inside, outside = polled_imap(tmp_path, database_url, dovecot, imap_user, proxy.port)
    store = FakePending({"records": wanted(inside[0], outside)})
    daemon = Daemon(archive.config)
    daemon.copies = store
    try:
        proxy.refuse()  # the mail server is down: the cycle fails, nothing is tried
        daemon._cycle("records")
        assert store.left["records"] == wanted(inside[0], outside) and store.finished == []
        assert len(folder(dovecot, imap_user, "Archived")) == 4

        proxy.resume()  # back: the next cycle polls, then removes what is pending
        daemon._cycle("records")
        assert store.left["records"] == {}
        assert store.finished == [("records", {sha(inside[0]), sha(outside)})]
        assert folder(dovecot, imap_user, "Archived") == sorted(inside[1:])
        assert folder(dovecot, imap_user, "Quarantine") == []
        [(actor, details)] = copy_events(archive)
        assert actor == DAEMON and details["sources"]["records"]["removed"] == 2

        accepted = proxy.accepted  # nothing pending: the cycle opens the poll's connection only
        daemon._cycle("records")
        assert proxy.accepted == accepted + 1 and len(store.finished) == 1
    finally:
        daemon.pipeline.close()
        daemon.app.close()


@pytest.mark.timeout(60)
def test_archiver_poll_retries_too_and_says_what_is_still_there(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = maildir_archive(tmp_path, database_url, "drop")
    [path] = deliver(archive, "drop", [forward(1)])
    doc = archive.ok("poll", "--json").json()["sources"][0]
    assert doc["copies"] is None  # nothing pending: nothing looked at

    store = FakePending({"drop": wanted(forward(1))})
    monkeypatch.setattr(App, "pending_copies", lambda self: store)
    result = archive.cli("poll", "--json")
    assert result.code == 0, result.err
    copies = result.json()["sources"][0]["copies"]
    assert copies["removed"] == {sha(forward(1)).hex(): 1} and copies["pending"] == []
    assert not path.exists() and store.left["drop"] == {}

    # A copy that cannot be removed (here, one kept through a link) fails the poll, by name.
    target = tmp_path / "kept.eml"
    target.write_bytes(forward(2))
    (path.parent / "2.drop.host").symlink_to(target)
    store.left["drop"] = wanted(forward(2))
    stuck = archive.cli("poll")
    assert stuck.code == 1
    assert "drop: 1 copies of destroyed records still to remove:" in stuck.err
    assert str(target) in stuck.err and store.left["drop"] == wanted(forward(2))
