"""A record's audit trail (`audit log --record`, the web record page, the tombstone page) is read
through the index of the records each event is about: the same events as a search of every
event's target and details text, through disposal and a lost record, filled by `db upgrade` for
an older log, and checked by `audit verify`. Both databases."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, delete, insert, inspect, or_, select

from archiver.archive import audit
from archiver.archive.audit_log import read_log
from archiver.clock import FixedClock
from archiver.crypto.sealing import new_record_id
from archiver.domain import AuditQuery
from archiver.store import schema
from archiver.store.engine import make_engine
from archiver.store.tables import audit_event, audit_mention, record
from tests.conftest import Archive, make_archive
from tests.integration.test_cohorts import api
from tests.integration.test_disposition import APPROVER, OFFICER, PLANNER, RUNNER
from tests.integration.test_retention import fixed_clock, import_one, message, noon, roster

NEVER = "0123456789abcdef0123456789abcdef"  # a record id no record has


@pytest.fixture
def archive(tmp_path: Path, database_url: str) -> Archive:
    return make_archive(tmp_path / "archive", database_url, OFFICER)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    return fixed_clock(monkeypatch, noon("2026-03-10"))


def trail(archive: Archive, rid: str, *more: str) -> list[dict[str, Any]]:
    doc = archive.ok("audit", "log", "--json", "--record", rid, *more).json()
    assert doc["broken"] == []
    found = doc["events"]
    assert isinstance(found, list)
    return found


def seqs(archive: Archive, rid: str) -> list[int]:
    return [e["seq"] for e in trail(archive, rid)]


def searched(engine: Engine, rid: str) -> list[int]:
    """The events a search of every event finds for `rid`: aimed at it, or its id quoted in
    the details text (how a record's events were found before the index)."""
    quoted = audit_event.c.details.contains(f'"{rid}"', autoescape=True)
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(audit_event.c.seq)
                .where(or_(audit_event.c.target == rid, quoted))
                .order_by(audit_event.c.seq)
            ).scalars()
        )


def record_ids(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(record.c.id)).scalars())


def index_rows(engine: Engine) -> set[tuple[str, int]]:
    with engine.connect() as conn:
        return {(r, s) for r, s in conn.execute(select(audit_mention))}


@pytest.fixture
def history(archive: Archive, clock: FixedClock) -> dict[str, Any]:
    """Two years of a records office: imports (one of two messages at once), views, searches,
    a tag, a hold, a request and its decision, a retention change, a verify, and a disposal
    that destroys one record whose tombstone is then viewed."""
    roster(archive, {"104233": None, "102486": None})
    kept = import_one(archive, message("Budget", "The budget meeting moved.", n=1))
    folder = archive.root / "pair"
    folder.mkdir()
    for n in (2, 3):
        (folder / f"{n}.eml").write_bytes(message(f"Budget {n}", f"Budget line {n}.", n=n))
    pair = [i["id"] for i in archive.ok("import", "--json", str(folder)).json()["items"]]
    gone = import_one(archive, message("Field trip", "Bus schedule for the trip.", n=4))
    archive.ok("show", kept)
    archive.ok("show", "--json", gone)
    archive.ok("search", "budget")
    archive.ok("search", "trip")
    archive.ok("tag", "add", pair[0], "104233")
    archive.ok("hold", "create", "Audit", "--record", kept, "--reason", "state audit")
    archive.ok("hold", "add", "Audit", pair[1], "--reason", "also this")
    number = archive.ok(
        "request", "open", "--kind", "public", "--requester", "Jo Reporter", "--json"
    ).json()["number"]
    archive.ok("request", "add", number, kept)
    archive.ok("request", "decide", number, kept, "release")
    archive.ok("retention", "set", pair[0], "PERS", "--reason", "a personnel matter")
    archive.ok("verify")
    before = {rid: seqs(archive, rid) for rid in [kept, *pair, gone]}
    clock.at = noon("2028-01-10")
    batch = archive.ok("dispose", "plan", "--json", *PLANNER).json()["batch"]
    archive.ok("dispose", "approve", batch, "--permit", "RMU-2028-17", *APPROVER)
    archive.ok("dispose", "execute", batch, *RUNNER)
    assert archive.ok("show", "--json", gone).json()["status"] == "destroyed"
    return {"kept": kept, "pair": pair, "gone": gone, "before": before}


def test_a_records_trail_is_every_event_aimed_at_it_or_naming_it(
    archive: Archive, history: dict[str, Any]
) -> None:
    engine = create_engine(archive.database_url)
    try:
        kinds: set[str] = set()
        for rid in [*record_ids(engine), NEVER]:
            found = trail(archive, rid)
            assert [e["seq"] for e in found] == searched(engine, rid), rid
            kinds |= {e["action"] for e in found}
        named = {"ingest", "show", "search", "tag.add", "hold.add", "request.decide"}
        assert kinds >= named | {"retention.set"}
        assert trail(archive, NEVER) == []
        # The destroyed record keeps its history, and its tombstone's view joins it.
        gone = history["gone"]
        after = trail(archive, gone)
        assert [e["seq"] for e in after][:-1] == history["before"][gone]
        assert [e["action"] for e in after] == ["ingest", "show", "search", "show"]
        assert after[-1]["details"] == {"view": "tombstone"}
        # Pages: at most N, after an event, as the web record page reads them.
        kept = history["kept"]
        every = searched(engine, kept)
        actions = [e["action"] for e in trail(archive, kept)]
        assert actions == ["ingest", "show", "search", "request.decide"]
        with api(archive) as (store, ring):
            for after_seq in (0, every[1], every[-1]):
                for limit in (1, 3, None):
                    page = read_log(store, ring, AuditQuery(record=kept), limit, after_seq)
                    want = [s for s in every if s > after_seq][:limit]
                    assert [item.event.seq for item in page] == want
        assert [e["seq"] for e in trail(archive, kept, "--action", "show")] == [every[1]]
    finally:
        engine.dispose()


def test_a_lost_records_events_stay_its_trail(archive: Archive, history: dict[str, Any]) -> None:
    lost = history["pair"][0]
    before = trail(archive, lost)
    with api(archive) as (store, _), store.transaction() as tx:
        tx.delete_record(lost)  # as a database restored without it would be
    assert archive.cli("show", lost).code == 2
    assert trail(archive, lost) == before


def test_db_upgrade_fills_the_index_from_an_older_log(
    archive: Archive, history: dict[str, Any]
) -> None:
    """Events written before the index existed (schema 0017) are found after `db upgrade`
    as if the index had been written with them: more events than the migration reads at
    once, with ids anywhere in their details."""
    rng = random.Random(5)
    ids = [*history["pair"], history["gone"], *(new_record_id() for _ in range(40))]
    with api(archive) as (store, ring), store.transaction() as tx:
        for n in range(2500):
            audit.append(
                tx,
                ring,
                rng.choice(["show", "search", "export"]),
                target=rng.choice([None, "hold:1", *ids]),
                details={
                    "records": rng.sample(ids, rng.randint(0, 3)),
                    "nested": {rng.choice(ids): [{"deeper": rng.choice(ids)}]},
                    "count": n,
                    "sha256": "ab" * 32,
                },
            )
    engine = make_engine(archive.database_url)
    try:
        written = index_rows(engine)
        trails = {rid: seqs(archive, rid) for rid in ids}
        assert all(trails[rid] == searched(engine, rid) for rid in ids)
        schema.downgrade(engine, "0017")
        assert "audit_mention" not in inspect(engine).get_table_names()
        upgraded = archive.ok("db", "upgrade").text
        assert f"upgraded from 0017 to revision {schema.HEAD}" in upgraded
        assert index_rows(engine) == written
    finally:
        engine.dispose()
    assert {rid: seqs(archive, rid) for rid in ids} == trails
    assert archive.ok("audit", "verify", "--json").json()["ok"]


def test_audit_verify_names_an_index_that_disagrees_with_its_event(
    archive: Archive, history: dict[str, Any]
) -> None:
    assert archive.ok("audit", "verify").code == 0
    kept = history["kept"]
    hidden = trail(archive, kept)[1]  # its first view
    engine = create_engine(archive.database_url)
    try:
        # Someone hides the view from the record's trail.
        row = {"record_id": kept, "seq": hidden["seq"]}
        with engine.begin() as conn:
            conn.execute(
                delete(audit_mention).where(
                    audit_mention.c.record_id == kept, audit_mention.c.seq == hidden["seq"]
                )
            )
        assert hidden["seq"] not in seqs(archive, kept)
        result = archive.cli("audit", "verify")
        assert result.code == 3
        assert f"BROKEN at event {hidden['seq']}: " in result.err
        assert f"names record {kept}, but the index" in result.err
        assert f"audit log --record {kept}" in result.err
        # ... or puts an event in a trail it has nothing to do with.
        with engine.begin() as conn:
            conn.execute(insert(audit_mention).values(row))
            conn.execute(insert(audit_mention).values(record_id=NEVER, seq=hidden["seq"]))
        doc = archive.cli("audit", "verify", "--json").json()
        assert doc["ok"] is False and doc["broken_seq"] == hidden["seq"]
        assert f"does not name record {NEVER}, but the index" in doc["problem"]
        with engine.begin() as conn:
            conn.execute(delete(audit_mention).where(audit_mention.c.record_id == NEVER))
    finally:
        engine.dispose()
    assert archive.ok("audit", "verify", "--json").json()["ok"]
