"""Leases: one poller per source across processes sharing a database."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from archiver.ingest import collect
from archiver.store.db import Store
from tests.conftest import Archive


def test_one_holder_at_a_time_until_release_or_expiry(archive: Archive) -> None:
    db = Store.open(archive.database_url)
    now = datetime.now(UTC)
    later = now + timedelta(minutes=10)
    try:
        with db.transaction() as tx:
            assert tx.collection.claim_lease("records", "host-a:1:1", now, later)
        with db.transaction() as tx:
            assert not tx.collection.claim_lease("records", "host-b:2:2", now, later)
            assert tx.collection.claim_lease("records", "host-a:1:1", now, later)  # renewal
            assert tx.collection.lease("records") == ("host-a:1:1", later)
        with db.transaction() as tx:
            tx.collection.release_lease("records", "host-a:1:1", now)
        with db.transaction() as tx:
            assert tx.collection.claim_lease(
                "records", "host-b:2:2", now + timedelta(seconds=1), later
            )
        after_expiry = later + timedelta(seconds=1)
        with db.transaction() as tx:
            assert tx.collection.claim_lease(
                "records", "host-a:1:1", after_expiry, after_expiry + (later - now)
            )
    finally:
        db.close()


def test_a_dead_process_on_this_host_loses_its_lease_at_once(archive: Archive) -> None:
    code = (
        "import os; from archiver.ingest import collect; "
        "print(collect._process_identity(os.getpid()))"
    )
    gone = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    dead_owner = gone.stdout.strip()  # a poller that has since exited
    assert collect._dead_here(dead_owner)
    assert not collect._dead_here(collect._process_identity(1))  # init lives
    assert not collect._dead_here("another-host:12:34")  # cannot tell: wait for expiry
    db = Store.open(archive.database_url)
    now = datetime.now(UTC)
    try:
        with db.transaction() as tx:
            assert tx.collection.claim_lease("records", dead_owner, now, now + timedelta(hours=1))
        with db.transaction() as tx:
            assert tx.collection.take_over_lease(
                "records", dead_owner, "me:1:1", now + timedelta(hours=1)
            )
            assert not tx.collection.take_over_lease("records", dead_owner, "you:2:2", now)
    finally:
        db.close()
