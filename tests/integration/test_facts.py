"""Plaintext facts about records (status, dates, arrivals, tags, students) are authenticated:
an edit made outside the archiver is named, with the fact, by `verify` and `show`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, create_engine, func, select, text, update

from archiver.store import schema
from archiver.store.engine import make_engine
from archiver.store.tables import arrival, record, record_tag, search_doc, student
from tests.conftest import Archive
from tests.integration.test_search import ROSTER, forward, import_all


def _edit(archive: Archive, table: Table, where: Any, **values: Any) -> None:
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:
        conn.execute(update(table).where(where).values(**values))
    engine.dispose()


@pytest.fixture
def tagged(archive: Archive, tmp_path: Path) -> tuple[Archive, dict[str, str]]:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    archive.ok("students", "import", str(roster))
    ids = import_all(
        archive,
        tmp_path / "in",
        {
            "trip": forward("Field trip", "Liam Doherty can go on the trip on Friday."),
            "plain": forward("Bus times", "The bus leaves at 7:40 from the gym."),
            "other": forward("Concert", "The spring concert is on May 3."),
        },
    )
    assert archive.ok("verify").code == 0
    return archive, ids


@pytest.mark.parametrize(
    ("column", "value", "named"),
    [
        ("status", "quarantined", "status"),
        ("sent_at", datetime(1999, 1, 1, tzinfo=UTC), "sent_at"),
        ("size", 1, "size"),
        ("archived_at", datetime(2020, 5, 5, tzinfo=UTC), "archived_at"),
    ],
)
def test_an_edited_record_fact_is_named(
    tagged: tuple[Archive, dict[str, str]], column: str, value: object, named: str
) -> None:
    archive, ids = tagged
    victim = ids["plain"]
    _edit(archive, record, record.c.id == victim, **{column: value})
    result = archive.cli("verify", "--json")
    assert result.code == 3
    [failure] = result.json()["failed"]
    assert failure["id"] == victim and named in failure["error"]
    assert "changed outside the archiver" in failure["error"]
    shown = archive.cli("show", victim)
    assert shown.code == 3 and victim in shown.err and named in shown.err and shown.out == b""
    # A search that lists it says so instead of showing the altered facts.
    doc = archive.ok("search", "--json", "bus").json()
    [entry] = doc["results"]
    assert entry["id"] == victim and named in entry["error"]
    # The other records are untouched.
    assert archive.ok("show", ids["other"]).code == 0


def test_an_edited_arrival_or_tag_is_named(tagged: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = tagged
    _edit(archive, arrival, arrival.c.record_id == ids["plain"], source_name="elsewhere")
    _edit(archive, record_tag, record_tag.c.record_id == ids["trip"], source="manual")
    result = archive.cli("verify", "--json")
    assert result.code == 3
    failed = {f["id"]: f["error"] for f in result.json()["failed"]}
    assert set(failed) == {ids["plain"], ids["trip"]}
    assert "arrival" in failed[ids["plain"]] and "source_name" in failed[ids["plain"]]
    assert "tag" in failed[ids["trip"]] and "source" in failed[ids["trip"]]
    assert archive.cli("show", ids["trip"]).code == 3


def test_a_tag_moved_to_another_student_is_named(tagged: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = tagged
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:
        other = conn.execute(
            select(func.max(student.c.id)).where(
                student.c.id
                != select(record_tag.c.student_id)
                .where(record_tag.c.record_id == ids["trip"])
                .scalar_subquery()
            )
        ).scalar_one()
        conn.execute(
            update(record_tag).where(record_tag.c.record_id == ids["trip"]).values(student_id=other)
        )
    engine.dispose()
    result = archive.cli("verify", "--json")
    assert result.code == 3
    assert [f["id"] for f in result.json()["failed"]] == [ids["trip"]]


def test_an_edited_exit_date_is_named_and_a_roster_import_rewrites_it(
    tagged: tuple[Archive, dict[str, str]], tmp_path: Path
) -> None:
    archive, _ = tagged
    _edit(archive, student, student.c.id == 1, exit_date=date(2001, 6, 30))
    result = archive.cli("verify", "--json")
    assert result.code == 3
    [failure] = result.json()["failed"]
    assert failure["id"] == "student:1" and "exit_date" in failure["error"]
    # Anything that reads the roster refuses it rather than act on it ...
    retag = archive.cli("show", tagged[1]["trip"])
    assert retag.code == 3 and "student row 1" in retag.err
    # ... until the district's roster is imported again, which writes the row anew.
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    archive.ok("students", "import", str(roster))
    assert archive.ok("verify").code == 0


def test_facts_of_an_older_archive_are_authenticated_by_db_upgrade(
    tagged: tuple[Archive, dict[str, str]],
) -> None:
    """An archive written before facts were authenticated (schema 0005), with the repeated
    arrivals that re-runs used to record, is put right by `archiver db upgrade`."""
    archive, ids = tagged
    engine = make_engine(archive.database_url)
    schema.downgrade(engine, "0005")
    columns = "record_id, arrived_at, source_kind, source_name, mailbox, uidvalidity, uid, locator"
    with engine.begin() as conn:  # a re-run used to record the same arrival again, twice
        for _ in range(2):
            copy = f"INSERT INTO arrival ({columns}) SELECT {columns} FROM arrival"  # noqa: S608
            conn.execute(text(copy))
        assert conn.execute(text("SELECT count(*) FROM arrival")).scalar_one() == 12
    schema.upgrade(engine)
    engine.dispose()
    refused = archive.cli("verify", "--json")
    assert refused.code == 3 and "archiver db upgrade" in refused.json()["failed"][0]["error"]
    assert archive.cli("show", ids["plain"]).code == 3
    assert archive.cli("verify", "--index").code == 3

    upgraded = archive.ok("db", "upgrade")
    assert "3 records" in upgraded.text and "9 repeated arrivals removed" in upgraded.text
    assert archive.ok("verify").code == 0
    assert archive.ok("verify", "--index").code == 0
    for rid in ids.values():
        assert len(archive.ok("show", "--json", rid).json()["arrivals"]) == 1
    again = archive.ok("db", "upgrade")  # nothing left to do
    assert "authenticated" not in again.text
    # Once authenticated, an edit is caught again.
    _edit(archive, record, record.c.id == ids["other"], status="quarantined")
    assert archive.cli("verify").code == 3
    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(search_doc).where(search_doc.c.digest.is_(None))
            ).scalar_one()
            == 0
        )
    engine.dispose()
