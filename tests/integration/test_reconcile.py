"""`archiver reconcile`: records lost by the database come back from the sources' filed copies."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archiver.sources import imap as imap_module
from archiver.store.db import Store, Tx
from tests.conftest import Archive, Result, make_archive
from tests.integration.dovecot import Dovecot
from tests.integration.test_imap_collect import forward, imap_archive, poll

OUTSIDER = "someone@gmail.example"
DISTRICT = "district.example.org"


# -- helpers ----------------------------------------------------------------------------------


@contextlib.contextmanager
def transaction(archive: Archive) -> Iterator[Tx]:
    """A transaction on the archive's database, from outside the archiver (as a test's hand)."""
    db = Store.open(archive.database_url)
    try:
        with db.transaction() as tx:
            yield tx
    finally:
        db.close()


def find_record(archive: Archive, raw: bytes) -> str | None:
    """The id of the record holding exactly `raw`, or None."""
    with transaction(archive) as tx:
        found = tx.records.by_sha([hashlib.sha256(raw).digest()])
    return next(iter(found.values())).id if found else None


def record_of(archive: Archive, raw: bytes) -> str:
    """The id of the record holding exactly `raw`, which must exist."""
    found = find_record(archive, raw)
    assert found is not None, "no record holds these bytes"
    return found


def lose(archive: Archive, *messages: bytes) -> list[str]:
    """Delete the records of `messages` from the database, as a lost WAL would."""
    ids = [record_of(archive, raw) for raw in messages]
    with transaction(archive) as tx:
        for record_id in ids:
            tx.delete_record(record_id)
    return ids


def reconcile(archive: Archive, *args: str) -> tuple[Result, list[dict[str, Any]]]:
    result = archive.cli("reconcile", "--json", *args)
    return result, result.json()["sources"]


def reconcile_events(archive: Archive) -> list[dict[str, Any]]:
    """The details of each `reconcile` audit event, oldest first."""
    with transaction(archive) as tx:
        events = tx.audit.events(0, 100_000)
    return [json.loads(e.details) | {"target": e.target} for e in events if e.action == "reconcile"]


def maildir_archive(tmp_path: Path, database_url: str, *names: str, **source: Any) -> Archive:
    """An archive whose maildir sources (outside the archive's directory) are `names`."""
    tables = []
    for name in names:
        root = tmp_path / "mail" / name
        for sub in ("cur", "new", "tmp"):
            (root / sub).mkdir(parents=True)
        extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in source.items())
        tables.append(f'[[sources]]\nname = "{name}"\nkind = "maildir"\npath = "{root}"\n{extra}')
    return make_archive(tmp_path / "archive", database_url, "\n".join(tables), workers=2)


def deliver(archive: Archive, source: str, messages: list[bytes]) -> list[Path]:
    """Put `messages` in a maildir source's new/ and poll them; the paths they were filed at."""
    root = archive.root.parent / "mail" / source
    for i, raw in enumerate(messages):
        (root / "new" / f"{i}.{source}.host").write_bytes(raw)
    doc = archive.ok("poll", "--json", "--source", source).json()["sources"][0]
    assert doc["moved"] == len(messages), doc
    filed = []
    for i in range(len(messages)):
        name = f"{i}.{source}.host"
        filed += [p for p in root.glob(f".*/cur/{name}")]
    assert len(filed) == len(messages)
    return filed


def age(path: Path, days: int) -> None:
    when = (datetime.now(UTC) - timedelta(days=days)).timestamp()
    os.utime(path, (when, when))


def append_dated(dovecot: Dovecot, user: str, folder: str, raw: bytes, when: datetime) -> None:
    """APPEND with an INTERNALDATE of our choosing (the fixture's append takes the server's)."""
    imap = dovecot.client(user)
    try:
        if not imap.folder_exists(folder):
            imap.create_folder(folder)
        imap.append(folder, raw, msg_time=when)
    finally:
        imap.logout()


# -- re-ingesting ------------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_imap_records_lost_by_the_database_come_back_from_the_archived_folders(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_user: str
) -> None:
    inside = [forward(i) for i in range(3)]
    outside = forward(9, sender=OUTSIDER)
    dovecot.append(imap_user, "INBOX", [*inside, outside])
    archive = imap_archive(
        tmp_path,
        database_url,
        imap_user,
        dovecot.port,
        dovecot.password,
        allowed_forwarder_domains=[DISTRICT],
    )
    assert poll(archive)["moved"] == 4
    lost = lose(archive, inside[1], outside)
    filed = (dovecot.messages(imap_user, "Archived"), dovecot.messages(imap_user, "Quarantine"))

    result, [doc] = reconcile(archive)
    assert result.code == 0, result.err
    back = doc["reingested"]
    assert (doc["source"], doc["checked"], doc["present"], doc["failed"]) == ("records", 4, 2, 0)
    assert (doc["removed"], doc["errors"], doc["error"]) == (0, [], None)
    assert len(doc["reingested"]) == 2 and doc["quarantined"] == 1
    for raw in (inside[1], outside):
        record_id = record_of(archive, raw)
        assert record_id in doc["reingested"] and record_id not in lost
        assert archive.ok("show", "--raw", record_id).out == raw
    shown = archive.ok("show", "--json", doc["reingested"][1]).json()
    assert shown["sha256"] == hashlib.sha256(outside).hexdigest()
    assert shown["status"] == "quarantined"  # the source's rule applies again, as polling would
    assert shown["quarantine"]["code"] == "sender_not_allowed"
    arrival = shown["arrivals"][0]
    assert (arrival["source_name"], arrival["mailbox"], arrival["uid"]) == (
        "records",
        "Quarantine",
        dovecot.uids(imap_user, "Quarantine")[0],
    )
    # Nothing was moved: the copies stay where they are, as the safety net.
    assert (dovecot.messages(imap_user, "Archived"), dovecot.messages(imap_user, "Quarantine")) == (
        filed
    )
    again, [doc] = reconcile(archive)
    assert (again.code, doc["present"], doc["reingested"]) == (0, 4, [])
    first, second = reconcile_events(archive)
    assert (first["target"], first["checked"], first["present"]) == ("records", 4, 2)
    assert sorted(first["reingested"]) == sorted(back) and first["completed"]
    assert (second["present"], second["reingested"]) == (4, [])
    assert archive.ok("audit", "verify", "--json").json()["ok"]


@pytest.mark.timeout(60)
def test_imap_nothing_filed_yet_and_a_refused_login(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_user: str
) -> None:
    dovecot.append(imap_user, "INBOX", [forward(1)])  # waiting: not reconcile's business
    archive = imap_archive(tmp_path, database_url, imap_user, dovecot.port, dovecot.password)
    result, [doc] = reconcile(archive)
    assert (result.code, doc["checked"], doc["error"]) == (0, 0, None)
    with dovecot.client(imap_user) as imap:  # no folder was made, nothing was touched
        assert not imap.folder_exists("Archived") and not imap.folder_exists("Quarantine")
    assert dovecot.count(imap_user, "INBOX") == 1
    (archive.root / "imap-password").write_text("not-the-password\n")
    refused, [doc] = reconcile(archive)
    assert refused.code == 1 and "refused the login" in doc["error"]
    assert "not-the-password" not in refused.text + refused.err


@pytest.mark.timeout(60)
def test_maildir_records_lost_by_the_database_come_back(tmp_path: Path, database_url: str) -> None:
    archive = maildir_archive(tmp_path, database_url, "drop", allowed_forwarder_domains=[DISTRICT])
    messages = [forward(0), forward(1), forward(2), forward(3, sender=OUTSIDER)]
    deliver(archive, "drop", messages)
    lose(archive, messages[2], messages[3])
    lost = archive.cli("audit", "verify", "--json")  # the audit log names what is gone
    assert lost.code == 3 and lost.json()["missing_records"] == 2
    result = archive.cli("reconcile")
    assert result.code == 0, result.err
    back, outside = record_of(archive, messages[2]), record_of(archive, messages[3])
    assert sorted(result.text.splitlines()) == sorted(
        [
            "drop: checked 4, present 2, re-ingested 2 (1 quarantined), failed 0, removed 0",
            f"drop: re-ingested {back}",
            f"drop: re-ingested {outside}",
        ]
    )
    assert archive.ok("show", "--raw", back).out == messages[2]
    arrival = archive.ok("show", "--json", back).json()["arrivals"][0]
    assert arrival["locator"].endswith("/.Archived/cur/2.drop.host")
    shown = archive.ok("show", "--json", outside).json()
    assert (shown["status"], shown["quarantine"]["code"]) == ("quarantined", "sender_not_allowed")
    assert archive.ok("verify", "--json").json()["checked"] == 4
    # Back under new ids, with the same bytes: the audit log's records are all there again.
    assert archive.ok("audit", "verify", "--json").json()["missing_records"] == 0


@pytest.mark.timeout(60)
def test_a_copy_that_cannot_be_read_is_a_failure_and_the_rest_is_still_done(
    tmp_path: Path, database_url: str
) -> None:
    archive = maildir_archive(tmp_path, database_url, "drop")
    messages = [forward(i) for i in range(2)]
    [first, _] = deliver(archive, "drop", messages)
    lose(archive, messages[0])
    empty = first.parent / "9.drop.host"
    empty.write_bytes(b"")
    result, [doc] = reconcile(archive)
    assert result.code == 1
    assert (doc["checked"], doc["present"], len(doc["reingested"]), doc["failed"]) == (3, 1, 1, 1)
    [error] = doc["errors"]
    assert str(empty) in error and "empty" in error
    assert record_of(archive, messages[0]) == doc["reingested"][0]


@pytest.mark.timeout(60)
def test_source_limits_reconcile_to_one_source_and_a_bad_name_is_one_clear_error(
    tmp_path: Path, database_url: str
) -> None:
    archive = maildir_archive(tmp_path, database_url, "north", "south")
    north, south = forward(1), forward(2)
    deliver(archive, "north", [north])
    deliver(archive, "south", [south])
    lose(archive, north, south)

    bad = archive.cli("reconcile", "--source", "west")
    assert bad.code == 2 and bad.out == b""
    assert bad.err.count("error:") == 1
    assert "no source named 'west'" in bad.err and "north, south" in bad.err
    assert find_record(archive, north) is None and find_record(archive, south) is None

    result, docs = reconcile(archive, "--source", "north")
    assert result.code == 0 and [d["source"] for d in docs] == ["north"]
    assert docs[0]["reingested"] == [record_of(archive, north)]
    assert find_record(archive, south) is None  # the other source was not looked at
    assert [e["target"] for e in reconcile_events(archive)] == ["north"]


# -- removing confirmed copies -----------------------------------------------------------------


@pytest.mark.timeout(60)
def test_maildir_removes_only_confirmed_copies_older_than_the_setting(
    tmp_path: Path, database_url: str
) -> None:
    archive = maildir_archive(
        tmp_path,
        database_url,
        "drop",
        remove_archived_after_days=30,
        allowed_forwarder_domains=[DISTRICT],
    )
    old, old_lost, fresh, old_outside = forward(1), forward(2), forward(3), forward(4, OUTSIDER)
    paths = deliver(archive, "drop", [old, old_lost, fresh, old_outside])
    assert paths[3].parent.parent.name == ".Quarantine"
    for path in (paths[0], paths[1], paths[3]):
        age(path, 40)
    age(paths[2], 29)
    kept_id = record_of(archive, old)
    lose(archive, old_lost)

    result, [doc] = reconcile(archive)
    assert result.code == 0, result.err
    assert (doc["checked"], doc["present"], doc["removed"]) == (4, 3, 2)
    assert doc["reingested"] == [record_of(archive, old_lost)]
    assert [p.exists() for p in paths] == [False, True, True, False]
    # The record stays; only the plaintext copy went.
    assert archive.ok("show", "--raw", kept_id).out == old
    [event] = reconcile_events(archive)
    assert sorted(event["removed"]) == sorted([kept_id, record_of(archive, old_outside)])

    # The re-ingested copy is confirmed now, so the next run removes it; the fresh one stays.
    result, [doc] = reconcile(archive)
    assert (result.code, doc["present"], doc["removed"]) == (0, 2, 1)
    assert [p.exists() for p in paths] == [False, False, True, False]


@pytest.mark.timeout(60)
def test_a_copy_whose_record_does_not_open_is_kept_and_named(
    tmp_path: Path, database_url: str
) -> None:
    archive = maildir_archive(tmp_path, database_url, "drop", remove_archived_after_days=1)
    raw = forward(1)
    [path] = deliver(archive, "drop", [raw])
    age(path, 5)
    victim = record_of(archive, raw)
    with transaction(archive) as tx:
        sealed = tx.records.part(victim, "raw")
        assert sealed is not None
        tx.records.set_part(victim, "raw", sealed[:-1] + bytes([sealed[-1] ^ 1]))
    result, [doc] = reconcile(archive)
    assert result.code == 3
    assert (doc["present"], doc["removed"], doc["damaged"]) == (1, 0, [victim])
    assert victim in doc["errors"][0] and "archiver verify" in doc["errors"][0]
    assert path.read_bytes() == raw


@pytest.mark.timeout(120)
def test_imap_removes_only_confirmed_old_copies_by_uid(
    tmp_path: Path, database_url: str, dovecot: Dovecot, imap_user: str
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=90)
    old, old_lost, fresh = forward(1), forward(2), forward(3)
    append_dated(dovecot, imap_user, "INBOX", old, long_ago)
    append_dated(dovecot, imap_user, "INBOX", old_lost, long_ago)
    dovecot.append(imap_user, "INBOX", [fresh])
    archive = imap_archive(
        tmp_path,
        database_url,
        imap_user,
        dovecot.port,
        dovecot.password,
        remove_archived_after_days=60,
    )
    assert poll(archive)["moved"] == 3  # filing keeps the INTERNALDATE
    stray = forward(4)  # an old message in the folder that was never archived
    append_dated(dovecot, imap_user, "Archived", stray, long_ago)
    lose(archive, old_lost)
    # Another client marked the fresh copy \Deleted: a bare EXPUNGE would take it too.
    imap = dovecot.client(imap_user)
    try:
        imap.select_folder("Archived")
        bodies = imap.fetch(imap.search("ALL"), ["BODY.PEEK[]"])
        [fresh_uid] = [uid for uid, data in bodies.items() if data[b"BODY[]"] == fresh]
        imap.add_flags([fresh_uid], [b"\\Deleted"])
    finally:
        imap.logout()

    result, [doc] = reconcile(archive)
    assert result.code == 0, result.err
    assert (doc["checked"], doc["present"], doc["removed"]) == (4, 2, 1)
    assert sorted(doc["reingested"]) == sorted(
        [record_of(archive, old_lost), record_of(archive, stray)]
    )
    assert sorted(dovecot.messages(imap_user, "Archived")) == sorted([old_lost, fresh, stray])
    assert find_record(archive, old) is not None


# -- one at a time -----------------------------------------------------------------------------


def _other_process(archive: Archive, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archiver", "--config", str(archive.config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.timeout(180)
def test_reconcile_and_a_poll_of_the_same_source_exclude_each_other(
    tmp_path: Path,
    database_url: str,
    dovecot: Dovecot,
    imap_user: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dovecot.append(imap_user, "INBOX", [forward(1), forward(2)])
    archive = imap_archive(tmp_path, database_url, imap_user, dovecot.port, dovecot.password)
    assert poll(archive)["moved"] == 2
    dovecot.append(imap_user, "INBOX", [forward(3)])
    seen: list[subprocess.CompletedProcess[str]] = []
    real_fetch = imap_module.Mailbox.fetch

    def fetch_while(*args: str) -> Any:
        def fetch(self: imap_module.Mailbox, uids: list[int]) -> dict[int, bytes]:
            if not seen:
                seen.append(_other_process(archive, *args))
            return real_fetch(self, uids)

        return fetch

    # A poll started while reconcile works on the source is refused, and fetches nothing.
    monkeypatch.setattr(imap_module.Mailbox, "fetch", fetch_while("poll", "--json"))
    result, [doc] = reconcile(archive)
    assert (result.code, doc["present"]) == (0, 2)
    [refused] = seen
    assert refused.returncode == 1
    assert "is being polled (or reconciled) by" in json.loads(refused.stdout)["sources"][0]["error"]
    assert dovecot.count(imap_user, "INBOX") == 1

    # A reconcile started while a poll works on the source is refused too.
    seen.clear()
    monkeypatch.setattr(imap_module.Mailbox, "fetch", fetch_while("reconcile", "--json"))
    assert poll(archive)["moved"] == 1
    [refused] = seen
    assert refused.returncode == 1
    [busy] = json.loads(refused.stdout)["sources"]
    assert "is being polled (or reconciled) by" in busy["error"] and busy["reingested"] == []
    assert len(reconcile_events(archive)) == 1  # the refused run did nothing to audit


@pytest.mark.timeout(60)
def test_wait_outlasts_a_lease_held_elsewhere(tmp_path: Path, database_url: str) -> None:
    archive = maildir_archive(tmp_path, database_url, "drop")
    deliver(archive, "drop", [forward(1)])
    other = "other-host:42:1"  # a daemon on another host, polling the source
    now = datetime.now(UTC)
    with transaction(archive) as tx:
        assert tx.collection.claim_lease("drop", other, now, now + timedelta(hours=1))
    busy = archive.cli("reconcile")
    assert busy.code == 1 and other in busy.err and busy.err.count("error:") == 1
    assert reconcile_events(archive) == []
    with transaction(archive) as tx:  # its cycle ends in 2 seconds
        now = datetime.now(UTC)
        assert tx.collection.claim_lease("drop", other, now, now + timedelta(seconds=2))
    waited, [doc] = reconcile(archive, "--wait", "60s")
    assert (waited.code, doc["present"], doc["error"]) == (0, 1, None)
