"""Disposal-cohort keys (issue 15): a record whose retention end is known is wrapped by its
cohort's key, moves with its retention in the same transaction, and becomes unreadable in
every database backup once that key is destroyed. Both databases."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from archiver.archive import cohorts
from archiver.archive.cohorts import (
    Cohort,
    cohort_key_id,
    cohort_keys_of,
    destroy_cohort_key,
    finish_destroyed,
    remove_key_file,
    rewrap_elsewhere,
)
from archiver.archive.keys import load_keyring
from archiver.clock import FixedClock
from archiver.crypto import envelope, sealing
from archiver.crypto.keyring import Keyring
from archiver.errors import IntegrityError, KeyFileError
from archiver.settings import load_settings
from archiver.store import schema
from archiver.store.db import Store
from archiver.store.engine import make_engine
from archiver.store.tables import key_registry, record
from tests.conftest import Archive, make_archive
from tests.integration.test_retention import (
    about,
    fixed_clock,
    import_one,
    message,
    noon,
    roster,
)

SENT_2025 = "Tue, 14 Oct 2025 07:52:11 -0400"  # CORR-GEN until 2027-12-31: cohort 2027-12
SENT_2026 = "Mon, 12 Jan 2026 09:10:00 -0500"  # CORR-GEN until 2028-12-31: cohort 2028-12


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    return fixed_clock(monkeypatch, noon("2026-03-10"))


def wrapping(archive: Archive, *rids: str) -> dict[str, str]:
    """The key wrapping each record's data key (from the database)."""
    engine = create_engine(archive.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(record.c.id, record.c.kek_id).where(record.c.id.in_(list(rids)))
            ).all()
    finally:
        engine.dispose()
    return {str(r[0]): str(r[1]) for r in rows}


def key_of(archive: Archive, rid: str) -> str:
    return wrapping(archive, rid)[rid]


def current_kek(archive: Archive) -> str:
    keys = archive.ok("keys", "list", "--json").json()["keys"]
    [kek] = [k["id"] for k in keys if k["kind"] == "kek" and k["state"] == "current"]
    return str(kek)


def cohort_keys(archive: Archive) -> dict[str, dict[str, object]]:
    doc = archive.ok("keys", "cohorts", "--json").json()
    return {k["id"]: k for k in doc["keys"]}


def opens(archive: Archive, rid: str) -> bool:
    return archive.cli("show", "--raw", rid).code == 0


@contextmanager
def api(archive: Archive, database_url: str | None = None) -> Iterator[tuple[Store, Keyring]]:
    """The store and keyring a service gets, as the disposition code will use them."""
    settings = load_settings(archive.config)
    store = Store.open(database_url or settings.database_url)
    try:
        yield store, load_keyring(store, settings.keys_dir)
    finally:
        store.close()


# --- Wrapping at ingest, and moving with retention --------------------------------------------


def test_a_classified_record_is_wrapped_by_its_cohort_key_and_still_opens(
    archive: Archive, clock: FixedClock
) -> None:
    raw = message("Bus route", "The bus leaves at 7.", SENT_2025)
    first = import_one(archive, raw)
    second = import_one(archive, message("Field trip", "Permission slips due.", SENT_2025))
    later = import_one(archive, message("Budget", "The 2026 budget.", SENT_2026))
    keys = wrapping(archive, first, second, later)
    assert keys[first] == keys[second] != keys[later]  # one key per series and month
    assert keys[first].startswith("cohort-CORR-GEN-202712-")
    assert keys[later].startswith("cohort-CORR-GEN-202812-")
    listed = cohort_keys(archive)
    assert {(k["series"], k["month"], k["state"], k["records"]) for k in listed.values()} == {
        ("CORR-GEN", "2027-12", "current", 2),
        ("CORR-GEN", "2028-12", "current", 1),
    }
    folder = archive.keys_dir / "cohorts"
    assert folder.stat().st_mode & 0o777 == 0o700
    for key_id in listed:
        assert (folder / f"{key_id}.key").stat().st_mode & 0o777 == 0o600
        assert not (archive.keys_dir / f"{key_id}.key").exists()  # apart from the KEKs
    assert archive.ok("show", "--raw", first).out == raw
    assert archive.ok("verify", "--json").json()["failed"] == []
    summary = archive.ok("keys", "list").text
    assert "cohort keys: 2 current, 0 retired, 0 destroyed, wrapping 3 records" in summary
    assert "cohort-CORR-GEN" not in summary  # listed by `keys cohorts`, not one by one
    kinds = [k["kind"] for k in archive.ok("keys", "list", "--json").json()["keys"]]
    assert kinds.count("cohort") == 2


def test_a_new_exit_date_moves_the_record_into_its_new_cohort(
    archive: Archive, clock: FixedClock
) -> None:
    kek = current_kek(archive)
    roster(archive, {"104233": None})
    rid = about(archive, "104233")
    assert key_of(archive, rid) == kek  # pending: its retention end is not known yet
    roster(archive, {"104233": "2026-06-30"})  # until 2033-06-30
    assert key_of(archive, rid).startswith("cohort-SR-TMP-203306-")
    roster(archive, {"104233": "2027-01-15"})  # left later: until 2034-01-15
    moved = key_of(archive, rid)
    assert moved.startswith("cohort-SR-TMP-203401-")
    assert cohort_keys(archive)[moved]["records"] == 1
    roster(archive, {"104233": None})  # re-enrolled: the end is unknown again
    assert key_of(archive, rid) == kek
    assert opens(archive, rid)
    assert archive.ok("verify", "--json").json()["failed"] == []


def test_the_wrap_is_in_the_transaction_that_writes_the_retention(
    archive: Archive, clock: FixedClock
) -> None:
    roster(archive, {"104233": None})
    rid = about(archive, "104233")
    folder = archive.keys_dir / "cohorts"
    shutil.rmtree(folder, ignore_errors=True)
    folder.write_text("not a directory")  # no new cohort key can be written
    path = archive.root / "roster.csv"
    roster_text = path.read_text()
    path.write_text(roster_text.replace("active,", "withdrawn,2026-06-30"))
    failed = archive.cli("students", "import", str(path))
    assert failed.code == 2 and "cannot write the new cohort key" in failed.err
    assert archive.ok("retention", "show", "--json", rid).json()["retain_until"] is None
    folder.unlink()  # fixed: the same import now moves the record, dates and key together
    archive.ok("students", "import", str(path))
    assert archive.ok("retention", "show", "--json", rid).json()["retain_until"] == "2033-06-30"
    assert key_of(archive, rid).startswith("cohort-SR-TMP-203306-")


def test_a_manual_series_moves_the_record_and_a_permanent_one_returns_it_to_the_kek(
    archive: Archive, clock: FixedClock
) -> None:
    rid = import_one(archive, message("Agenda", "Committee agenda.", SENT_2025))
    assert key_of(archive, rid).startswith("cohort-CORR-GEN-202712-")
    archive.ok("retention", "set", rid, "PRR", "--reason", "part of a records request")
    assert key_of(archive, rid).startswith("cohort-PRR-202812-")  # 3y after the year's end
    archive.ok("retention", "set", rid, "CORR-POL", "--reason", "a policy decision")
    assert key_of(archive, rid) == current_kek(archive)  # permanent: no cohort
    assert opens(archive, rid)
    assert archive.ok("verify", "--json").json()["failed"] == []


def test_cohort_key_ids_are_readable_file_names() -> None:
    key_id = cohort_key_id(Cohort("SR/TMP (old) ü", "2027-03"))
    assert key_id.startswith("cohort-SR-TMP-old-202703-")
    assert len(key_id) == len("cohort-SR-TMP-old-202703-") + 6
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in key_id)


# --- Existing archives ------------------------------------------------------------------------


def _as_before_cohort_keys(archive: Archive) -> None:
    """Make the archive what an older version wrote: every data key wrapped by the KEK, and
    no cohort key registered or on disk."""
    with api(archive) as (store, ring), store.transaction() as tx:
        kek = ring.current_id("kek")
        rows = tx.records.after("", 10_000)
        tx.records.set_wrapped_keys(
            [
                (
                    r.id,
                    kek,
                    envelope.wrap(ring.material(kek), kek, r.id, sealing.data_key(ring, r)),
                )
                for r in rows
            ]
        )
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:
        conn.execute(key_registry.delete().where(key_registry.c.kind == "cohort"))
    engine.dispose()
    shutil.rmtree(archive.keys_dir / "cohorts")


def test_keys_cohorts_apply_wraps_an_older_archive_resumably_and_then_does_nothing(
    archive: Archive, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rids = [
        import_one(
            archive, message(f"Note {n}", f"Note number {n}.", SENT_2025 if n % 2 else SENT_2026, n)
        )
        for n in range(7)
    ]
    permanent = import_one(archive, message("Policy", "A policy.", SENT_2025, 99))
    archive.ok("retention", "set", permanent, "CORR-POL", "--reason", "policy")
    _as_before_cohort_keys(archive)
    engine = make_engine(archive.database_url)
    schema.downgrade(engine, "0013")  # the schema before cohort keys
    engine.dispose()
    upgraded = archive.ok("db", "upgrade").text
    assert f"upgraded from 0013 to revision {schema.HEAD}" in upgraded
    assert "8 classified records are wrapped by the KEK, not yet by their disposal" in upgraded
    assert "`archiver keys cohorts --apply`" in upgraded
    kek = current_kek(archive)
    assert set(wrapping(archive, *rids, permanent).values()) == {kek}
    before = archive.ok("keys", "cohorts", "--json").json()
    assert before["keys"] == [] and before["unplaced"] == 7
    assert "7 records are not under their cohort's key yet" in archive.ok("keys", "cohorts").text

    monkeypatch.setattr(cohorts, "PAGE", 3)

    def stop(done: int) -> None:
        raise KeyboardInterrupt  # the operator pressed Ctrl-C after the first page

    with api(archive) as (store, ring), pytest.raises(KeyboardInterrupt):
        cohorts.wrap_all(store, ring, progress=stop)
    halfway = wrapping(archive, *rids)
    assert 0 < sum(k != kek for k in halfway.values()) < 7
    assert archive.ok("keys", "cohorts", "--json").json()["unplaced"] == sum(
        k == kek for k in halfway.values()
    )

    done = archive.ok("keys", "cohorts", "--apply", "--json").json()
    assert done["applied"]["checked"] == 8 and done["unplaced"] == 0
    assert done["applied"]["rewrapped"] == sum(k == kek for k in halfway.values())
    keys = wrapping(archive, *rids, permanent)
    assert keys[permanent] == kek
    assert {k[: len("cohort-CORR-GEN-202712")] for k in keys.values() if k != kek} == {
        "cohort-CORR-GEN-202712",
        "cohort-CORR-GEN-202812",
    }
    again = archive.ok("keys", "cohorts", "--apply", "--json").json()
    assert again["applied"]["rewrapped"] == 0 and again["unplaced"] == 0
    assert wrapping(archive, *rids, permanent) == keys
    assert archive.ok("verify", "--json").json()["failed"] == []
    assert "keys.cohorts" in archive.ok("audit", "log", "--json").text


# --- Rotation ---------------------------------------------------------------------------------


def test_kek_rotation_leaves_cohort_records_and_cohort_rotation_moves_them(
    archive: Archive, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = import_one(archive, message("One", "First.", SENT_2025, 1))
    b = import_one(archive, message("Two", "Second.", SENT_2025, 2))
    c = import_one(archive, message("Three", "Third.", SENT_2026, 3))
    kept = import_one(archive, message("Policy", "A policy.", SENT_2025, 4))
    archive.ok("retention", "set", kept, "CORR-POL", "--reason", "policy")
    raws = {r: archive.ok("show", "--raw", r).out for r in (a, b, c, kept)}
    old_kek = current_kek(archive)
    before = wrapping(archive, a, b, c, kept)

    archive.ok("keys", "rotate")
    new_kek = current_kek(archive)
    after = wrapping(archive, a, b, c, kept)
    assert new_kek != old_kek and after[kept] == new_kek
    assert {r: after[r] for r in (a, b, c)} == {r: before[r] for r in (a, b, c)}

    old_cohort_keys = set(cohort_keys(archive))
    out = archive.ok("keys", "rotate", "--cohorts").text
    assert "created 2 cohort keys; re-wrapped 3 data keys" in out
    listed = cohort_keys(archive)
    assert {k: v["state"] for k, v in listed.items() if k in old_cohort_keys} == {
        k: "retired" for k in old_cohort_keys
    }
    rotated = wrapping(archive, a, b, c, kept)
    assert rotated[kept] == new_kek
    assert rotated[a] == rotated[b] and not {rotated[a], rotated[c]} & old_cohort_keys
    assert listed[rotated[a]]["month"] == "2027-12" and listed[rotated[c]]["month"] == "2028-12"
    for key_id in old_cohort_keys:  # the retired files are kept, but no record needs them
        path = archive.keys_dir / "cohorts" / f"{key_id}.key"
        path.rename(path.with_suffix(".retired"))
    assert {r: archive.ok("show", "--raw", r).out for r in raws} == raws
    assert archive.ok("verify", "--json").json()["failed"] == []
    for key_id in old_cohort_keys:
        path = archive.keys_dir / "cohorts" / f"{key_id}.key"
        path.with_suffix(".retired").rename(path)

    # Interrupted after its first batch, a cohort rotation is finished by running it again.
    monkeypatch.setattr(cohorts, "PAGE", 1)

    def stop(done: int) -> None:
        raise KeyboardInterrupt

    with api(archive) as (store, ring), pytest.raises(KeyboardInterrupt):
        cohorts.rotate(store, ring, progress=stop)
    mid = cohort_keys(archive)
    assert sum(v["state"] == "current" for v in mid.values()) == 2
    finished = archive.ok("keys", "rotate", "--cohorts").text
    assert "finished rotating the cohort keys; re-wrapped 2 data keys" in finished
    final = cohort_keys(archive)
    assert sum(v["state"] == "current" for v in final.values()) == 2  # no third generation
    assert all(v["records"] == 0 for v in final.values() if v["state"] == "retired")
    assert {r: archive.ok("show", "--raw", r).out for r in raws} == raws
    with api(archive) as (store, _ring), store.transaction() as tx:
        readers = cohort_keys_of(tx, [a])
    generations = {k for k, v in final.items() if v["month"] == "2027-12"}
    assert readers == generations  # the current key and both retired ones of its cohort
    assert len(readers) == 3 and new_kek not in readers


# --- A missing key file -----------------------------------------------------------------------


def test_a_missing_cohort_key_file_is_the_clear_key_error(
    archive: Archive, clock: FixedClock
) -> None:
    rid = import_one(archive, message("Bus route", "The bus leaves at 7.", SENT_2025))
    key_id = key_of(archive, rid)
    path = archive.keys_dir / "cohorts" / f"{key_id}.key"
    path.unlink()
    shown = archive.cli("show", rid)
    assert shown.code == 2
    [line] = shown.err.splitlines()
    assert line.startswith(f"error: {path}: key file missing (cohort key {key_id} is registered")
    assert "restore this file from the backup of the cohort keys" in line
    listed = archive.cli("keys", "list")
    assert listed.code == 2 and str(path) in listed.text
    assert archive.cli("keys", "cohorts").code == 2
    assert archive.cli("verify").code == 3


# --- Another process's new key ----------------------------------------------------------------


def test_a_running_process_opens_records_under_a_cohort_key_made_after_it_started(
    archive: Archive, clock: FixedClock
) -> None:
    with api(archive) as (store, ring):  # a daemon, started before the key existed
        rid = import_one(archive, message("Late", "A new cohort.", SENT_2026))
        with store.transaction() as tx:  # inside its own writing transaction, as ingest is
            row = tx.records.get(rid)
            key = sealing.data_key(ring, row)
            raw = sealing.open_raw(key, row, tx.records.part(rid, sealing.RAW))
    assert raw == archive.ok("show", "--raw", rid).out


# --- Destruction: the backup proof ------------------------------------------------------------


@contextmanager
def backup_of(archive: Archive, tmp_path: Path) -> Iterator[Archive]:
    """A copy of the archive's database made now (a backup), configured with the same keys
    directory."""
    root = tmp_path / "restored"
    root.mkdir()
    url = make_url(archive.database_url)
    if url.get_backend_name() == "sqlite":
        copy = root / "backup.db"
        with sqlite3.connect(str(url.database)) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
        copy_url = f"sqlite:///{copy}"
        drop = None
    else:
        name = f"archiver_backup_{uuid.uuid4().hex[:12]}"
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
        copy_url = url.set(database=name).render_as_string(hide_password=False)
        drop = name
    config = archive.config.read_text().replace(archive.database_url, copy_url)
    config = config.replace('keys_dir = "keys"', f'keys_dir = "{archive.keys_dir}"')
    (root / "archiver.toml").write_text(config)
    try:
        yield Archive(root, copy_url)
    finally:
        if drop is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)'))
            admin.dispose()


def test_a_destroyed_cohort_key_makes_its_records_unreadable_in_a_backup(
    archive: Archive, clock: FixedClock, tmp_path: Path
) -> None:
    keep = import_one(archive, message("Held", "Kept for a lawsuit.", SENT_2025, 1))
    gone = import_one(archive, message("Routine", "Routine note.", SENT_2025, 2))
    other = import_one(archive, message("Later", "Another cohort.", SENT_2026, 3))
    permanent = import_one(archive, message("Policy", "A policy.", SENT_2025, 4))
    archive.ok("retention", "set", permanent, "CORR-POL", "--reason", "policy")
    doomed = key_of(archive, gone)
    assert key_of(archive, keep) == doomed != key_of(archive, other)

    with backup_of(archive, tmp_path) as backup:
        with api(archive) as (store, ring):
            with store.transaction() as tx, pytest.raises(IntegrityError, match="still wraps 2"):
                destroy_cohort_key(tx, ring, doomed)  # refused: live records need it
            with store.transaction() as tx:
                assert cohort_keys_of(tx, [gone]) == {doomed}
                assert rewrap_elsewhere(tx, ring, doomed, [keep]) == 1
                tx.delete_record(gone)  # what disposition does to the destroyed record
                destroy_cohort_key(tx, ring, doomed)
            assert remove_key_file(archive.keys_dir, doomed)  # after the commit

        # The backup still holds `keep` and `gone` wrapped by the destroyed key: unreadable.
        for rid in (keep, gone):
            refused = backup.cli("show", "--raw", rid)
            assert refused.code == 2 and "key file missing" in refused.err and doomed in refused.err
        assert backup.ok("show", "--raw", other).out == archive.ok("show", "--raw", other).out
        assert opens(backup, permanent)

    # The live archive: the kept record opens under a new key of the same cohort.
    moved = key_of(archive, keep)
    assert moved != doomed and moved.startswith("cohort-CORR-GEN-202712-")
    assert opens(archive, keep) and opens(archive, other) and opens(archive, permanent)
    listed = cohort_keys(archive)
    assert listed[doomed]["state"] == "destroyed" and listed[doomed]["destroyed_at"]
    assert listed[doomed]["problem"] is None and listed[doomed]["records"] == 0
    assert archive.ok("verify", "--json").json()["failed"] == []
    assert archive.cli("keys", "list").code == 0
    events = archive.ok("audit", "log", "--action", "keys", "--json").text
    assert "keys.destroy" in events and doomed in events


def test_a_destruction_killed_before_the_file_went_is_completed_and_verify_says_so(
    archive: Archive, clock: FixedClock
) -> None:
    gone = import_one(archive, message("Routine", "Routine note.", SENT_2025, 2))
    doomed = key_of(archive, gone)
    with api(archive) as (store, ring), store.transaction() as tx:
        tx.delete_record(gone)
        destroy_cohort_key(tx, ring, doomed)
        # killed here: committed, but the file was not removed yet
    path = archive.keys_dir / "cohorts" / f"{doomed}.key"
    assert path.exists()
    found = archive.cli("verify", "--json")
    assert found.code == 3
    [problem] = found.json()["failed"]
    assert problem["id"] == f"key:{doomed}" and "file still exists" in problem["error"]
    with api(archive) as (store, _ring):
        assert finish_destroyed(store, archive.keys_dir) == [doomed]
        assert finish_destroyed(store, archive.keys_dir) == []
    assert not path.exists()
    assert archive.ok("verify", "--json").json()["failed"] == []
    with api(archive) as (store, ring), store.transaction() as tx:
        destroy_cohort_key(tx, ring, doomed)  # destroying it again changes nothing
        with pytest.raises(KeyFileError, match="was destroyed"):
            ring.material(doomed)


def test_keys_cohorts_apply_finishes_removing_destroyed_key_files(
    archive: Archive, clock: FixedClock
) -> None:
    gone = import_one(archive, message("Routine", "Routine note.", SENT_2025, 2))
    doomed = key_of(archive, gone)
    with api(archive) as (store, ring), store.transaction() as tx:
        tx.delete_record(gone)
        destroy_cohort_key(tx, ring, doomed)
    assert "file still exists" in archive.cli("keys", "cohorts").text
    out = archive.ok("keys", "cohorts", "--apply").text
    assert f"removed the file of destroyed key {doomed}" in out
    assert not (archive.keys_dir / "cohorts" / f"{doomed}.key").exists()


def test_an_archive_without_cohorts_needs_no_cohort_directory(
    tmp_path: Path, database_url: str
) -> None:
    archive = make_archive(tmp_path / "fresh", database_url)
    assert not (archive.keys_dir / "cohorts").exists()
    assert archive.ok("keys", "cohorts").text.strip() == "no cohort keys yet"
    assert archive.ok("keys", "cohorts", "--apply").code == 0
    assert "nothing to rotate" in archive.ok("keys", "rotate", "--cohorts").text
    assert "cohort keys:" not in archive.ok("keys", "list").text
    both = archive.cli("keys", "rotate", "--cohorts", "--index")
    assert both.code == 2 and "give one of --index, --signing and --cohorts" in both.err


def test_a_held_record_leaves_its_cohort_until_the_hold_is_released(
    archive: Archive, clock: FixedClock
) -> None:
    rid = import_one(archive, message("Routine", "Routine note.", SENT_2025, 5))
    cohort = key_of(archive, rid)
    assert cohort.startswith("cohort-CORR-GEN-")
    archive.ok("hold", "create", "Doe v. District", "--record", rid, "--reason", "demand")
    assert key_of(archive, rid) == current_kek(archive)  # no day of destruction while held
    archive.ok("hold", "release", "Doe v. District", "--reason", "settled")
    assert key_of(archive, rid).startswith("cohort-CORR-GEN-")  # back in its cohort
    assert archive.cli("show", "--raw", rid).code == 0
    assert archive.ok("verify", "--json").json()["failed"] == []
