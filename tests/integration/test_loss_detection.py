"""Loss of committed records is detected: a deleted record named by an ingest event, a lost
SQLite WAL or a database restored from an older backup, an audit log cut back with its head."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, select, update

from archiver.archive.audit import parse_head
from archiver.store.db import Store
from archiver.store.tables import audit_event, audit_head
from tests.conftest import Archive
from tests.integration.test_search import forward, import_all


def _cut_log(url: str, keep: int) -> None:
    """Delete the events after `keep` and rewind the head to it, as someone with write access
    to the database (or a restore from an older backup) would."""
    engine = create_engine(url)
    with engine.begin() as conn:
        digest = conn.execute(
            select(audit_event.c.hash).where(audit_event.c.seq == keep)
        ).scalar_one()
        conn.execute(delete(audit_event).where(audit_event.c.seq > keep))
        conn.execute(update(audit_head).values(seq=keep, hash=digest))
    engine.dispose()


def _batch(archive: Archive, folder: Path, first: int, count: int) -> dict[str, str]:
    return import_all(
        archive,
        folder,
        {
            f"m{i:03d}": forward(f"Note {i}", f"Message number {i}.")
            for i in range(first, first + count)
        },
    )


def test_a_record_deleted_from_the_database_is_named(archive: Archive, tmp_path: Path) -> None:
    ids = _batch(archive, tmp_path / "in", 0, 6)
    assert archive.ok("audit", "verify", "--json").json()["records_named"] == 6
    victim = ids["m003"]
    store = Store.open(archive.database_url)
    with store.transaction() as tx:
        tx.delete_record(victim)
    store.close()
    result = archive.cli("audit", "verify", "--json")
    assert result.code == 3
    doc = result.json()
    assert doc["missing_records"] == 1 and doc["missing"] == [victim]
    assert doc["broken_seq"] is None and "archiver reconcile" in doc["problem"]
    text = archive.cli("audit", "verify")
    assert text.code == 3 and f"MISSING {victim}" in text.err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_records_lost_with_the_wal_are_detected(archive: Archive, tmp_path: Path) -> None:
    """A crash, then the WAL deleted: the database opens fine without the newest commits, and
    only the copy of the audit head kept beside it (the anchor) can tell."""
    _batch(archive, tmp_path / "a", 0, 5)
    db = Path(archive.database_url.removeprefix("sqlite:///"))
    anchor = db.with_name(db.name + ".audit-head")
    assert archive.ok("audit", "verify").code == 0 and anchor.exists()
    # A reader holding its snapshot keeps the next commits in the WAL (nothing checkpoints
    # past a reader), as a crash before a checkpoint would.
    reader = sqlite3.connect(db)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM record").fetchone()
    lost = _batch(archive, tmp_path / "b", 5, 4)
    before_crash = tmp_path / "crashed.db"
    shutil.copyfile(db, before_crash)  # the main file as the crash left it; the WAL is lost
    reader.close()
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    shutil.copyfile(before_crash, db)

    result = archive.cli("audit", "verify", "--json")  # the loss is named ...
    assert result.code == 3
    doc = result.json()
    assert "lost with the database" in doc["problem"] and "archiver reconcile" in doc["problem"]
    assert doc["anchor"] == str(anchor)
    assert archive.ok("verify").code == 0  # ... though every record still there opens fine,
    for n in range(4):  # and writing again, past the event the anchor names, does not hide it
        _batch(archive, tmp_path / f"c{n}", 100 + 10 * n, 2)
    after = archive.cli("audit", "verify", "--json")
    assert after.json()["head_seq"] > parse_head(anchor.read_text())[0]
    assert after.code == 3 and "lost with the database" in after.json()["problem"]
    shown = archive.cli("show", next(iter(lost.values())))
    assert shown.code == 2  # gone: no such record
    # A damaged anchor is one clear error, not a pass.
    anchor.write_text("garbage\n")
    damaged = archive.cli("audit", "verify")
    assert damaged.code == 2 and str(anchor) in damaged.err


def test_a_log_cut_back_with_its_head_fails_against_a_head_kept_elsewhere(
    archive: Archive, tmp_path: Path
) -> None:
    first = archive.cli("status", "--json").json()["audit_head"]
    _batch(archive, tmp_path / "a", 0, 3)
    kept = archive.ok("import", "--json", *map(str, (tmp_path / "a").iterdir())).json()
    head = kept["audit_head"]
    assert head and first and head != first
    assert archive.cli("status", "--json").json()["audit_head"] == head
    assert f"audit head: {head}" in archive.cli("status").text
    assert archive.ok("audit", "verify", "--expect-head", head).code == 0
    # Someone with write access cuts the newest events and rewinds the head to match.
    seq, _ = parse_head(head)
    _cut_log(archive.database_url, seq - 2)
    anchor = archive.root.parent / "archive.db.audit-head"
    anchor.unlink(missing_ok=True)  # (PostgreSQL has none; on SQLite it would catch this too)
    assert archive.ok("audit", "verify").code == 0  # the chain alone is consistent
    result = archive.cli("audit", "verify", "--expect-head", head, "--json")
    assert result.code == 3
    assert re.search(r"ends at event \d+", result.json()["problem"])
    forged = head[:-1] + ("0" if head[-1] != "0" else "1")
    assert archive.cli("audit", "verify", "--expect-head", forged).code == 3
    bad = archive.cli("audit", "verify", "--expect-head", "12:abc")
    assert bad.code == 2 and "SEQ:HASH" in bad.err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_threads_committing_together_each_return_with_their_event_in_the_anchor(
    archive: Archive,
) -> None:
    """The web server's threads share anchor writes; none may return before the file holds
    its own event (or a later one), and the file ends at the log's head."""
    from concurrent.futures import ThreadPoolExecutor

    from archiver.app import App
    from archiver.archive import audit

    app = App.from_config(archive.config)
    anchor = app.settings.audit_anchor
    assert anchor is not None
    ring = app.keyring  # opened once, before the threads
    behind: list[tuple[int, int]] = []

    def commit(n: int) -> None:
        for _ in range(5):
            with app.store.transaction() as tx:
                seq = audit.append(tx, ring, "test.anchor", details={"n": n})
            held = parse_head(anchor.read_text())[0]
            if held < seq:
                behind.append((seq, held))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(commit, range(8)))
    with app.store.reading() as tx:
        head = tx.audit.head()
    app.close()
    assert behind == []
    assert head is not None and parse_head(anchor.read_text()) == head


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_search_returns_with_its_event_in_the_anchor(archive: Archive, tmp_path: Path) -> None:
    from archiver.app import App
    from archiver.archive.search import search
    from archiver.domain import SearchRequest

    _batch(archive, tmp_path / "a", 0, 3)
    app = App.from_config(archive.config)
    anchor = app.settings.audit_anchor
    assert anchor is not None
    try:
        for _ in range(3):
            found = search(app.store, app.keyring, SearchRequest(query="message"), app.district)
            assert found.total == 3
            with app.store.reading() as tx:
                head = tx.audit.head()
                newest = tx.audit.events(head[0] - 1, 1) if head else []
            assert [e.action for e in newest] == ["search"]
            assert head is not None and parse_head(anchor.read_text()) == head
    finally:
        app.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_running_process_notices_events_lost_under_it(
    archive: Archive, caplog: pytest.LogCaptureFixture
) -> None:
    """A long-running process (the web server) whose commits chained onto the event the
    anchor names need not read it again; once the log is cut back under it, its commits no
    longer chain onto that event, and the anchor is kept as evidence however many follow."""
    from archiver.app import App
    from archiver.archive import audit

    app = App.from_config(archive.config)
    anchor = app.settings.audit_anchor
    assert anchor is not None
    try:
        for n in range(4):
            audit.record_event(app.store, app.keyring, "test.anchor", details={"n": n})
        kept = parse_head(anchor.read_text())
        with app.store.reading() as tx:
            assert tx.audit.head() == kept
        _cut_log(archive.database_url, kept[0] - 2)  # events lost: the log and head cut back
        for n in range(4):  # past the event the anchor names, chained onto another
            audit.record_event(app.store, app.keyring, "test.anchor", details={"n": 10 + n})
        with app.store.reading() as tx:
            head = tx.audit.head()
        assert head is not None and head[0] > kept[0]
    finally:
        app.close()
    assert parse_head(anchor.read_text()) == kept
    assert f"names event {kept[0]}, which the database no longer holds" in caplog.text
    result = archive.cli("audit", "verify", "--json")
    assert result.code == 3 and "lost with the database" in result.json()["problem"]
