"""Packed postings answer searches exactly as rows do, through ingest, deletion and reindex.

Blocks are made 8 documents long (1024 in use) so a few dozen messages fill several of them;
every search is checked against the answer worked out from the messages themselves: which
match, and in which order (docs/cli.md: newest sent date first, records without a date last,
and records of the same date, or of none, most recently archived first).
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
from tests.integration.test_search import forward, held_postings, import_all

VOCABULARY = ["zorblat", "quenmar", "fistrel", "dovakin", "palumbe", "yerrow", "gostick"]
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
CHUNK = 10  # messages imported by one `archiver import`, one import after the other


Message = tuple[bytes, set[str], datetime | None]  # raw, its words, its original's date


def _messages(count: int, seed: int) -> dict[str, Message]:
    """Messages m000, m001...: one in ten without a date; the others on distinct dates, but
    for a few that share the date of the message ten before (a parent's message forwarded by
    two teachers), so the order of records of one date is checked too."""
    rng = random.Random(seed)
    hours = rng.sample(range(2000), count)
    out: dict[str, Message] = {}
    for i in range(count):
        # Common words in most messages (packed), rare ones in few (left as rows).
        words = {w for j, w in enumerate(VOCABULARY) if rng.random() < 0.8 / (j + 1)}
        body = " ".join(sorted(words)) or "nothing"
        if i % 10 == 3:  # no date anywhere
            raw = forward(f"Item {i}", body, date="sometime soon")
            raw = raw.replace(b"Date: Wed, 15 Oct 2025 08:00:00 -0400\n", b"")
            out[f"m{i:03d}"] = (raw, words, None)
            continue
        if i % 20 == 15:  # the date of m(i-10), archived by the import before
            sent = out[f"m{i - 10:03d}"][2]
            assert sent is not None
        else:
            sent = START + timedelta(hours=hours[i])
        date = sent.strftime("%a, %d %b %Y %H:%M:%S +0000")
        out[f"m{i:03d}"] = (forward(f"Item {i}", body, date=date), words, sent)
    return out


def _in_search_order(names: list[str], messages: dict[str, Message]) -> list[str]:
    """`names` as search lists them: newest first; the undated last; of one date (or none),
    the most recently archived first, that is, from the later import."""

    def key(name: str) -> tuple[bool, datetime, int]:
        sent = messages[name][2]
        return sent is not None, sent or START, int(name[1:]) // CHUNK

    return sorted(names, key=key, reverse=True)


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


def _search(archive: Archive, *args: str) -> tuple[int, list[str]]:
    doc = archive.ok("search", "--json", *args).json()
    return doc["total"], [r["id"] for r in doc["results"]]


def _check(
    archive: Archive,
    ids: dict[str, str],
    messages: dict[str, Message],
    gone: set[str],
) -> None:
    """Every query's total, ids and order (whole, and a page of it) are what the messages say."""
    live = {name: m for name, m in messages.items() if name not in gone}
    queries: list[tuple[list[str], list[str]]] = [([w], []) for w in VOCABULARY] + [
        (["zorblat", "quenmar"], []),
        (["zorblat", "quenmar", "fistrel"], []),
        (["zorblat"], ["quenmar"]),
        (["quenmar"], ["zorblat", "fistrel"]),
        (["yerrow", "zorblat"], ["gostick"]),
    ]
    cut = datetime(2025, 2, 1, tzinfo=UTC)
    for want, not_want in queries:
        names = [
            n
            for n, (_, words, _) in live.items()
            if set(want) <= words and not words & set(not_want)
        ]
        expected = [ids[n] for n in _in_search_order(names, messages)]
        query = ["--", *want, *(f"-{w}" for w in not_want)]
        assert _search(archive, "--limit", "1000", *query) == (len(expected), expected), query
        page = _search(archive, "--limit", "3", "--offset", "2", *query)
        assert page == (len(expected), expected[2:5]), query
        # A filter takes the path that checks each hit in SQL: the same answer.
        later = [
            ids[n] for n in _in_search_order(names, messages) if (d := messages[n][2]) and d >= cut
        ]
        since = _search(archive, "--limit", "1000", "--since", "2025-02-01", *query)
        assert since == (len(later), later), query


def _check_filters_alone(
    archive: Archive, ids: dict[str, str], messages: dict[str, Message], gone: set[str]
) -> None:
    """Without words (filters, excluded words) the records are read in the same order."""
    cut = datetime(2025, 2, 1, tzinfo=UTC)
    live = [n for n in messages if n not in gone]
    every = [ids[n] for n in _in_search_order(live, messages)]
    assert _search(archive, "--limit", "1000", "--status", "active") == (len(every), every)
    page = _search(archive, "--limit", "4", "--offset", "3", "--status", "active")
    assert page == (len(every), every[3:7])
    no_zorblat = [n for n in live if "zorblat" not in messages[n][1]]
    without = [ids[n] for n in _in_search_order(no_zorblat, messages)]
    assert _search(archive, "--limit", "1000", "--", "-zorblat") == (len(without), without)
    later = [n for n in live if (d := messages[n][2]) and d >= cut]
    want = [ids[n] for n in _in_search_order(later, messages)]
    page = _search(archive, "--limit", "4", "--offset", "3", "--since", "2025-02-01")
    assert page == (len(want), want[3:7])
    without = [ids[n] for n in _in_search_order(later, messages) if n in no_zorblat]
    since = _search(archive, "--limit", "1000", "--since", "2025-02-01", "--", "-zorblat")
    assert since == (len(without), without)


def _imported(
    archive: Archive, folder: Path, count: int, seed: int
) -> tuple[dict[str, Message], dict[str, str]]:
    """The messages, imported CHUNK at a time in name order; and their record ids."""
    messages = _messages(count, seed)
    names = sorted(messages)
    ids: dict[str, str] = {}
    for start in range(0, count, CHUNK):
        chunk = {n: messages[n][0] for n in names[start : start + CHUNK]}
        ids.update(import_all(archive, folder / f"{start:03d}", chunk))
    return messages, ids


@pytest.mark.usefixtures("small_blocks")
def test_packed_blocks_answer_as_rows_do(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One block packed per ingest: the six imports leave one of the seven full blocks.
    monkeypatch.setattr(postings, "PACK_PER_INGEST", 1)
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
    _check_filters_alone(archive, ids, messages, gone)
    # Documents 61..100 now: blocks 0..6 hold none, and their packed rows are gone.
    assert _counts(archive.database_url)[3] == 7


def test_downgrading_unpacks_every_posting(archive: Archive, tmp_path: Path) -> None:
    # Blocks of the real size (1024 documents), as the migration knows them: 1,100 messages
    # fill the first one, whose common terms are then packed.
    messages = _messages(1100, seed=5)
    ids = import_all(archive, tmp_path / "in", {n: m[0] for n, m in messages.items()})
    gone = set(random.Random(6).sample(sorted(messages), 30))  # live bits cleared
    store = Store.open(archive.database_url)
    try:
        with store.transaction() as tx:
            for name in gone:
                tx.delete_record(ids[name])
    finally:
        store.close()
    archive.ok("reindex")
    held = held_postings(archive.database_url)
    assert _counts(archive.database_url)[1] > 0
    engine = make_engine(archive.database_url)
    schema.downgrade(engine, "0004")
    with engine.connect() as conn:
        rows = {(t, d) for t, d in conn.execute(select(search_term.c.term, search_term.c.doc))}
    assert rows == held  # the packed postings are rows again, and only the live ones
    schema.upgrade(engine)
    engine.dispose()
    assert held_postings(archive.database_url) == held
    assert archive.ok("search", "--json", "zorblat").json()["total"] == sum(
        "zorblat" in m[1] for n, m in messages.items() if n not in gone
    )
