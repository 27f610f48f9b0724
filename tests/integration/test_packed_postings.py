"""Packed postings answer searches exactly as rows do, through ingest, deletion and reindex.

Blocks are made 8 documents long (1024 in use) so a few dozen messages fill several of them;
every search is checked against the answer worked out from the messages themselves.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from archiver.store import postings, schema
from archiver.store.db import Store
from archiver.store.engine import make_engine
from archiver.store.tables import search_live, search_packed, search_term
from tests.conftest import Archive
from tests.integration.test_search import forward, import_all

VOCABULARY = ["zorblat", "quenmar", "fistrel", "dovakin", "palumbe", "yerrow", "gostick"]
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


Message = tuple[bytes, set[str], datetime | None]  # raw, its words, its original's date


def _messages(count: int, seed: int) -> dict[str, Message]:
    rng = random.Random(seed)
    hours = rng.sample(range(2000), count)  # distinct dates: one right order
    out: dict[str, Message] = {}
    for i in range(count):
        # Common words in most messages (packed), rare ones in few (left as rows).
        words = {w for j, w in enumerate(VOCABULARY) if rng.random() < 0.8 / (j + 1)}
        body = " ".join(sorted(words)) or "nothing"
        if i % 10 == 3:  # no date anywhere: listed after every dated record
            raw = forward(f"Item {i}", body, date="sometime soon")
            raw = raw.replace(b"Date: Wed, 15 Oct 2025 08:00:00 -0400\n", b"")
            out[f"m{i:03d}"] = (raw, words, None)
            continue
        sent = START + timedelta(hours=hours[i])
        date = sent.strftime("%a, %d %b %Y %H:%M:%S +0000")
        out[f"m{i:03d}"] = (forward(f"Item {i}", body, date=date), words, sent)
    return out


def _counts(url: str) -> tuple[int, int, int, int | None]:
    """Rows, packed rows and live maps; and the lowest block with packed rows."""
    engine = create_engine(url)
    with engine.connect() as conn:
        got = [
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (search_term, search_packed, search_live)
        ]
        low = conn.execute(select(func.min(search_packed.c.block))).scalar_one_or_none()
    engine.dispose()
    return got[0], got[1], got[2], low


def _check(
    archive: Archive,
    ids: dict[str, str],
    messages: dict[str, Message],
    gone: set[str],
) -> None:
    """Every query's total, ids and order are what the messages say."""
    live = {name: m for name, m in messages.items() if name not in gone}
    queries: list[tuple[list[str], list[str]]] = [([w], []) for w in VOCABULARY] + [
        (["zorblat", "quenmar"], []),
        (["zorblat", "quenmar", "fistrel"], []),
        (["zorblat"], ["quenmar"]),
        (["quenmar"], ["zorblat", "fistrel"]),
        (["yerrow", "zorblat"], ["gostick"]),
    ]
    for want, not_want in queries:
        names = [
            n
            for n, (_, words, _) in live.items()
            if set(want) <= words and not words & set(not_want)
        ]
        dates = {n: d for n in names if (d := live[n][2]) is not None}
        dated = sorted(dates, key=lambda n: dates[n], reverse=True)
        undated = {ids[n] for n in names if not live[n][2]}
        query = want + [f"-{w}" for w in not_want]
        doc = archive.ok("search", "--json", "--limit", "1000", "--", *query).json()
        got = [r["id"] for r in doc["results"]]
        assert doc["total"] == len(names), query
        # Newest first (the dates are distinct: one right order), then the undated ones.
        assert got[: len(dated)] == [ids[n] for n in dated], query
        assert set(got[len(dated) :]) == undated, query
        assert all(r["date"] is None for r in doc["results"][len(dated) :])
        expected = got
        page = archive.ok("search", "--json", "--limit", "3", "--offset", "2", "--", *query).json()
        assert page["total"] == len(expected)
        assert [r["id"] for r in page["results"]] == expected[2:5], query
        # A filter takes the path that checks each hit in SQL: the same answer.
        since = archive.ok(
            "search", "--json", "--limit", "1000", "--since", "2025-02-01", "--", *query
        ).json()
        cut = datetime(2025, 2, 1, tzinfo=UTC)
        later = [ids[n] for n in dated if dates[n] >= cut]
        assert [r["id"] for r in since["results"]] == later, query


def _check_filters_alone(
    archive: Archive, ids: dict[str, str], messages: dict[str, Message], gone: set[str]
) -> None:
    """A date filter alone (and with an excluded word) pages through the same order."""
    cut = datetime(2025, 2, 1, tzinfo=UTC)
    live = {n: m for n, m in messages.items() if n not in gone}
    dates = {n: d for n, m in live.items() if (d := m[2]) is not None and d >= cut}
    want = [ids[n] for n in sorted(dates, key=lambda n: dates[n], reverse=True)]
    doc = archive.ok("search", "--json", "--limit", "4", "--offset", "3", "--since", "2025-02-01")
    assert doc.json()["total"] == len(want)
    assert [r["id"] for r in doc.json()["results"]] == want[3:7]
    without = [
        ids[n]
        for n in sorted(dates, key=lambda n: dates[n], reverse=True)
        if "zorblat" not in live[n][1]
    ]
    doc = archive.ok(
        "search", "--json", "--limit", "1000", "--since", "2025-02-01", "--", "-zorblat"
    )
    assert [r["id"] for r in doc.json()["results"]] == without


def _imported(
    archive: Archive, folder: Path, count: int, seed: int
) -> tuple[dict[str, Message], dict[str, str]]:
    messages = _messages(count, seed)
    return messages, import_all(archive, folder, {n: m[0] for n, m in messages.items()})


@pytest.mark.usefixtures("small_blocks")
def test_packed_blocks_answer_as_rows_do(archive: Archive, tmp_path: Path) -> None:
    messages, ids = _imported(archive, tmp_path / "in", 60, seed=4)
    rows, packed, live, _ = _counts(archive.database_url)
    assert packed > 0 and live > 0  # some full blocks packed as they filled
    dates = [r["date"] for r in archive.ok("search", "--json", "zorblat").json()["results"]]
    assert None in dates and dates[0] is not None
    _check(archive, ids, messages, set())
    _check_filters_alone(archive, ids, messages, set())

    # `reindex` packs every full block left; answers do not change, and fewer rows remain.
    assert archive.ok("reindex", "--json").json()["indexed"] == 0
    after = _counts(archive.database_url)
    # Documents are numbered from 1: blocks 0..6 are full, block 7 (56..63) is filling.
    assert after[0] < rows and after[2] == 7
    _check(archive, ids, messages, set())

    # Deleting records removes them from packed blocks too (their live bits).
    rng = random.Random(9)
    gone = set(rng.sample(sorted(messages), 20))
    store = Store.open(archive.database_url)
    try:
        with store.transaction() as tx:
            for name in gone:
                tx.delete_record(ids[name])
    finally:
        store.close()
    _check(archive, ids, messages, gone)
    _check_filters_alone(archive, ids, messages, gone)

    # A full rebuild moves every document to new blocks: the old blocks' packed rows go.
    archive.ok("reindex", "--all")
    _check(archive, ids, messages, gone)
    # Documents 61..100 now: blocks 0..6 hold none, and their packed rows are gone.
    assert _counts(archive.database_url)[3] == 7


def _postings(url: str) -> set[tuple[int, int]]:
    """Every (term, document) the index holds, in whichever form."""
    engine = create_engine(url)
    with engine.connect() as conn:
        found = postings.bitmaps(
            conn,
            list(
                conn.execute(
                    select(search_term.c.term).union(select(search_packed.c.term))
                ).scalars()
            ),
            postings.last_seq(conn),
        )
    engine.dispose()
    return {(t, s) for t, blocks in found.items() for s in postings.seqs_of(blocks)}


def test_downgrading_unpacks_every_posting(archive: Archive, tmp_path: Path) -> None:
    # The real block size (the migration states its own, as it must): one full block and a
    # part of the next, so a posting's document number is rebuilt from block and bit.
    messages, _ = _imported(archive, tmp_path / "in", 1100, seed=5)
    archive.ok("reindex")
    held = _postings(archive.database_url)
    assert _counts(archive.database_url)[1] > 0
    engine = make_engine(archive.database_url)
    schema.downgrade(engine, "0004")
    with engine.connect() as conn:
        rows = {(t, d) for _, t, d in conn.execute(select(search_term))}
    assert rows == held  # the packed postings are rows again, and only the live ones
    schema.upgrade(engine)
    engine.dispose()
    assert _postings(archive.database_url) == held
    assert archive.ok("search", "--json", "zorblat").json()["total"] == sum(
        "zorblat" in m[1] for m in messages.values()
    )
