"""`verify --index` finds what was done to the search index outside the archiver, and
`reindex --repair` puts it right; a whole check resumes where it was stopped."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, insert, select, update

from archiver.archive import index_check
from archiver.archive.keys import load_keyring
from archiver.store import postings, tables
from archiver.store.db import Store
from archiver.store.tables import search_doc, search_packed, search_term
from tests.conftest import Archive
from tests.integration.test_packed_postings import Message, _imported

pytestmark = pytest.mark.usefixtures("small_blocks")  # blocks of 8 documents


def doc_records(url: str) -> dict[int, str]:
    """Document number -> record id."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(search_doc.c.seq, search_doc.c.record_id)).all()
    engine.dispose()
    return {int(s): str(r) for s, r in rows}


def _run(url: str, *statements: Any) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for stmt in statements:
            conn.execute(stmt)
    engine.dispose()


def _problems(archive: Archive) -> dict[str, str]:
    result = archive.cli("verify", "--index", "--json")
    doc = result.json()
    assert result.code == (3 if doc["problems"] else 0)
    return {p["id"]: p["problem"] for p in doc["problems"]}


def _findable(archive: Archive, record_id: str, words: set[str]) -> bool:
    """Whether every word of a record finds it."""
    for word in words:
        doc = archive.ok("search", "--json", "--limit", "1000", word).json()
        if record_id not in {r["id"] for r in doc["results"]}:
            return False
    return True


def _words(messages: dict[str, Message], ids: dict[str, str], record_id: str) -> set[str]:
    name = next(n for n, r in ids.items() if r == record_id)
    return messages[name][1]


def test_a_clean_index_checks_clean_and_status_says_when(archive: Archive, tmp_path: Path) -> None:
    _, ids = _imported(archive, tmp_path / "in", 30, seed=1)
    assert archive.cli("status", "--json").json()["search_index"]["verified_at"] is None
    assert "never checked" in archive.cli("status").text
    doc = archive.ok("verify", "--index", "--json").json()
    assert doc["checked"] == len(ids) and doc["problems"] == []
    status = archive.cli("status", "--json").json()["search_index"]
    assert status["verified_at"] and status["verified_scope"] == "all"
    assert status["verified_problems"] == 0 and not status["verify_unfinished"]
    assert "no problems" in archive.cli("status").text


def test_altered_lost_and_moved_postings_are_found_and_repaired(
    archive: Archive, tmp_path: Path
) -> None:
    messages, ids = _imported(archive, tmp_path / "in", 38, seed=2)
    archive.ok("reindex")  # packs blocks 0-3; block 4 (documents 32-38) keeps rows
    url = archive.database_url
    by_seq = doc_records(url)
    assert sorted(by_seq) == list(range(1, 39))
    altered, lost, a, b, hidden = by_seq[33], by_seq[34], by_seq[35], by_seq[36], by_seq[37]
    engine = create_engine(url)
    with engine.connect() as conn:  # a packed bitmap of block 1 that holds document 9
        packed = [
            (term, bits)
            for term, bits in conn.execute(
                select(search_packed.c.term, search_packed.c.bits).where(search_packed.c.block == 1)
            )
            if bits[0] & 0b10
        ]
        entries = {
            int(r.seq): dict(r._mapping)
            for r in conn.execute(select(search_doc).where(search_doc.c.seq.in_([35, 36])))
        }
        # A term only document 33 has in its import (a row of its own)...
        some_term = conn.execute(
            select(search_term.c.term)
            .where(search_term.c.doc == 33, search_term.c.more.is_(None))
            .limit(1)
        ).scalar_one()
        # ...and a row holding document 37 beside others: 2-byte big-endian offsets from the
        # block's first document (32).
        shared = [
            (t, d, more)
            for t, d, more in conn.execute(
                select(search_term.c.term, search_term.c.doc, search_term.c.more).where(
                    search_term.c.block == 4, search_term.c.more.is_not(None)
                )
            )
            if b"\x00\x05" in [more[i : i + 2] for i in range(0, len(more), 2)]
        ]
    engine.dispose()
    assert shared, "document 37 should share a row"
    shared_term, shared_doc, more = shared[0]
    offsets = [more[i : i + 2] for i in range(0, len(more), 2)]
    without_37 = b"".join(o for o in offsets if o != b"\x00\x05") or None
    assert packed, "document 9 should have a packed term"
    term, bits = packed[0]
    cleared = bytes([bits[0] & ~0b10 & 0xFF]) + bytes(bits[1:])
    _run(
        url,
        update(search_term)
        .where(search_term.c.doc == 33, search_term.c.term == some_term)
        .values(term=12345),
        update(search_term)
        .where(search_term.c.term == shared_term, search_term.c.doc == shared_doc)
        .values(more=without_37),
        delete(search_doc).where(search_doc.c.seq.in_([35, 36])),
        insert(search_doc).values(
            [{**entries[35], "record_id": b}, {**entries[36], "record_id": a}]
        ),
        update(search_packed)
        .where(search_packed.c.block == 1, search_packed.c.term == term)
        .values(bits=cleared),
    )
    engine = create_engine(url)
    with engine.begin() as conn:  # every posting of document 34 lost, its entry kept
        postings.remove(conn, [34])
    engine.dispose()
    found = _problems(archive)
    assert set(found) == {altered, lost, a, b, hidden, by_seq[9]}
    assert all("outside the archiver" in p for p in found.values())
    assert not _findable(archive, lost, _words(messages, ids, lost))
    assert archive.cli("status", "--json").json()["search_index"]["verified_problems"] == 6
    assert "reindex --repair" in archive.cli("status").text

    repaired = archive.ok("reindex", "--repair", "--json").json()
    assert repaired["repair"]["repaired"] == 6
    assert _problems(archive) == {}
    for record_id in (altered, lost, a, b, hidden, by_seq[9]):
        assert _findable(archive, record_id, _words(messages, ids, record_id))


def test_postings_without_an_entry_and_missing_entries_are_found(
    archive: Archive, tmp_path: Path
) -> None:
    messages, ids = _imported(archive, tmp_path / "in", 20, seed=3)
    by_seq = doc_records(archive.database_url)
    victim = by_seq[18]
    _run(archive.database_url, delete(search_doc).where(search_doc.c.seq == 18))
    assert not _findable(archive, victim, _words(messages, ids, victim))
    found = _problems(archive)
    assert set(found) == {"document 18", "index"}
    assert "no index entry" in found["document 18"] and "marked complete" in found["index"]
    archive.ok("reindex", "--repair")
    assert _problems(archive) == {}
    assert _findable(archive, victim, _words(messages, ids, victim))


@pytest.mark.timeout(300)
def test_a_whole_check_resumes_where_it_stopped(archive: Archive, tmp_path: Path) -> None:
    _, ids = _imported(archive, tmp_path / "in", 40, seed=4)
    # The rows only document 3 has in its import: some of its postings lost.
    _run(
        archive.database_url,
        delete(search_term).where(search_term.c.doc == 3, search_term.c.more.is_(None)),
    )

    def stop_after_two_blocks(done: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    store = Store.open(archive.database_url)
    try:
        with pytest.raises(KeyboardInterrupt):
            index_check.verify_index(
                store, load_keyring(store, archive.keys_dir), progress=stop_after_two_blocks
            )
    finally:
        store.close()
    status = archive.cli("status", "--json").json()["search_index"]
    assert status["verify_unfinished"] and status["verified_at"] is None
    assert "unfinished" in archive.cli("status").text
    doc = archive.cli("verify", "--index", "--json").json()
    # Blocks 0 and 1 (documents 1-15) were checked before it stopped, with one problem.
    assert doc["resumed_at_block"] == 2 and doc["earlier_problems"] == 1
    assert doc["checked"] == len(ids) - 15 and doc["problems"] == []
    status = archive.cli("status", "--json").json()["search_index"]
    assert not status["verify_unfinished"] and status["verified_problems"] == 1
    # A sample checks that many entries and leaves no unfinished pass behind.
    sample = archive.cli("verify", "--index", "--sample", "50", "--json").json()
    assert sample["scope"] == "sample 50" and sample["checked"] == len(ids)
    assert [p["id"] for p in sample["problems"]] == [doc_records(archive.database_url)[3]]
    assert archive.cli("verify", "--sample", "5").code == 2  # --sample goes with --index


def _held(block: int, doc: int, more: bytes | None) -> list[int]:
    """A postings row's documents as the row lists them (2-byte big-endian offsets)."""
    base = block * tables.POSTING_BLOCK
    offsets = struct.unpack(f">{len(more) // 2}H", more) if more else ()
    return [base + o for o in offsets] + [doc]


def test_a_posting_hidden_in_a_row_put_out_of_order_is_repaired(
    archive: Archive, tmp_path: Path
) -> None:
    messages, ids = _imported(archive, tmp_path / "in", 20, seed=3)
    victim = doc_records(archive.database_url)[18]
    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(search_term).where(search_term.c.block == 2)).all()
    engine.dispose()
    # A row holding document 18 and a later one before the highest: its offsets reversed,
    # it no longer starts at or before 18, which is what removal looks for in ingest.
    # (A term only document 18 has is a row of one: the blind terms' order is the index key's.)
    t, d, more = next(
        (r.term, r.doc, r.more)
        for r in rows
        if 18 in (held := _held(2, r.doc, r.more)) and max(held[:-1], default=0) > 18
    )
    offsets = [more[i : i + 2] for i in range(0, len(more), 2)]
    reversed_more = b"".join(sorted(offsets, reverse=True))
    _run(
        archive.database_url,
        update(search_term)
        .where(search_term.c.block == 2, search_term.c.term == t, search_term.c.doc == d)
        .values(more=reversed_more),
        delete(search_doc).where(search_doc.c.seq == 18),  # document 18's postings: orphans
    )
    assert set(_problems(archive)) == {"document 18", "index"}
    archive.ok("reindex", "--repair")
    assert _problems(archive) == {}
    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        left = conn.execute(select(search_term)).all()
    engine.dispose()
    assert not [r for r in left if 18 in _held(r.block, r.doc, r.more)]
    assert _findable(archive, victim, _words(messages, ids, victim))
