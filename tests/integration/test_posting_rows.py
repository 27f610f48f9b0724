"""A row of postings holds every document of one ingest transaction that has the term: searches,
removal, packing, `verify --index` and archives upgraded from one-document rows all see the
same postings as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from archiver.store import postings, schema
from archiver.store.db import Store
from archiver.store.engine import make_engine
from archiver.store.tables import search_packed, search_term
from tests.conftest import Archive
from tests.integration.test_index_check import doc_records
from tests.integration.test_packed_postings import CHUNK, Message, _check, _messages
from tests.integration.test_search import forward, found, held_postings, import_all


def _seqs(url: str) -> dict[str, int]:
    """Record id -> document number."""
    return {rid: seq for seq, rid in doc_records(url).items()}


def _rows(url: str) -> list[tuple[int, int, int, bytes | None]]:
    """Every postings row: block, term, highest document, the others' offsets."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [(int(b), int(t), int(d), m) for b, t, d, m in conn.execute(select(search_term))]
    engine.dispose()
    return rows


def _in_rows(url: str) -> int:
    """How many postings the rows say they hold (one, and one per 2-byte offset)."""
    engine = create_engine(url)
    held = 1 + func.coalesce(func.length(search_term.c.more), 0) // 2
    with engine.connect() as conn:
        total = conn.execute(select(func.coalesce(func.sum(held), 0))).scalar_one()
    engine.dispose()
    return int(total)


def _delete(url: str, record_ids: list[str]) -> None:
    store = Store.open(url)
    try:
        with store.transaction() as tx:
            for record_id in record_ids:
                tx.delete_record(record_id)
    finally:
        store.close()


def _run_all(url: str, statements: list[Any]) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for stmt in statements:
            conn.execute(stmt)
    engine.dispose()


def _problems(archive: Archive) -> list[object]:
    problems: list[object] = archive.cli("verify", "--index", "--json").json()["problems"]
    return problems


def _one_batch(archive: Archive, folder: Path, n: int) -> list[str]:
    """`n` messages sharing two words, each with a word of its own, imported by one command
    (one transaction); their record ids in document order."""
    messages = {f"m{i:02d}": forward(f"Item {i}", f"zorblat quenmar uniq{i}word") for i in range(n)}
    ids = import_all(archive, folder, messages)
    seqs = _seqs(archive.database_url)
    return sorted(ids.values(), key=seqs.__getitem__)


def test_a_batch_writes_one_row_per_term(archive: Archive, tmp_path: Path) -> None:
    ids = _one_batch(archive, tmp_path / "in", 12)
    url = archive.database_url
    held = held_postings(url)
    seqs = _seqs(url)
    docs = {seqs[i] for i in ids}
    by_term: dict[int, set[int]] = {}
    for term, seq in held:
        by_term.setdefault(term, set()).add(seq)
    rows = _rows(url)
    # One row per term, however many of the twelve documents have it...
    assert len(rows) == len(by_term) and len(held) > 2 * len(rows)
    shared = [t for t, s in by_term.items() if s == docs]
    assert shared  # "zorblat", "quenmar", the forwarder...
    for term in shared:
        assert [r for r in rows if r[1] == term] == [
            (0, term, max(docs), bytes.fromhex("".join(f"{d:04x}" for d in sorted(docs)[:-1])))
        ]
    assert _in_rows(url) == len(held)
    # ...and every word finds exactly the documents that have it.
    assert found(archive, "zorblat", "quenmar") == set(ids)
    assert found(archive, "uniq5word") == {ids[5]}


def test_removing_documents_rewrites_the_rows_holding_them(
    archive: Archive, tmp_path: Path
) -> None:
    ids = _one_batch(archive, tmp_path / "in", 12)
    url = archive.database_url
    seqs = _seqs(url)
    before = held_postings(url)
    # One from the middle of the shared rows, and the highest (the rows' `doc`).
    gone = [ids[4], ids[11]]
    gone_seqs = {seqs[i] for i in gone}
    _delete(url, gone)
    after = held_postings(url)
    assert after == {(t, s) for t, s in before if s not in gone_seqs}
    assert _in_rows(url) == len(after)  # no row still counts a removed document
    assert not [r for r in _rows(url) if r[2] in gone_seqs]
    assert found(archive, "zorblat") == set(ids) - set(gone)
    assert found(archive, "uniq4word") == found(archive, "uniq11word") == set()
    assert found(archive, "uniq3word") == {ids[3]} and found(archive, "uniq10word") == {ids[10]}
    assert _problems(archive) == []

    # Every document but one gone: the rows are left with one document each.
    rest = [i for i in ids if i not in gone and i != ids[7]]
    _delete(url, rest)
    assert all(more is None and doc == seqs[ids[7]] for _, _, doc, more in _rows(url))
    assert found(archive, "zorblat", "quenmar") == {ids[7]}
    assert _problems(archive) == []


@pytest.mark.usefixtures("small_blocks")  # blocks of 8 documents; 3 of them make a term packed
def test_a_term_is_packed_by_its_documents_not_its_rows(archive: Archive, tmp_path: Path) -> None:
    ids = _one_batch(archive, tmp_path / "in", 12)  # documents 1-12: block 0 (1-7) is full
    url = archive.database_url
    engine = create_engine(url)
    with engine.connect() as conn:
        packed = set(
            conn.execute(select(search_packed.c.term).where(search_packed.c.block == 0)).scalars()
        )
        left = list(conn.execute(select(search_term.c.term).where(search_term.c.block == 0)))
    engine.dispose()
    # Each shared term was one row of seven documents in block 0, and is packed now; only
    # words of one document are left as rows.
    held = held_postings(url)
    in_block: dict[int, int] = {}
    for term, seq in held:
        if seq < 8:
            in_block[term] = in_block.get(term, 0) + 1
    assert packed == {t for t, n in in_block.items() if n >= postings.PACK_MIN}
    assert len(packed) > 2 and all(in_block[t] < postings.PACK_MIN for (t,) in left)
    assert found(archive, "zorblat", "quenmar") == set(ids)
    assert found(archive, "uniq2word") == {ids[2]}
    assert _problems(archive) == []


def _import_chunk(
    archive: Archive, folder: Path, messages: dict[str, Message], start: int
) -> dict[str, str]:
    names = sorted(messages)[start : start + CHUNK]
    return import_all(archive, folder / f"{start:03d}", {n: messages[n][0] for n in names})


def test_an_archive_upgraded_from_0018_searches_the_same(archive: Archive, tmp_path: Path) -> None:
    messages = _messages(20, seed=7)
    url = archive.database_url
    ids = _import_chunk(archive, tmp_path / "in", messages, 0)  # documents 1-10
    engine = make_engine(url)
    schema.downgrade(engine, "0018")  # as revision 0018 keeps them: one document per row
    with engine.connect() as conn:
        old = set(conn.execute(select(search_term.c.block, search_term.c.term, search_term.c.doc)))
    schema.upgrade(engine)
    engine.dispose()
    assert all(more is None for *_, more in _rows(url))
    assert {(t, d) for _, t, d in old} == held_postings(url)
    _check(archive, ids, {n: messages[n] for n in ids}, set())

    # New rows beside the old ones in block 0.
    ids |= _import_chunk(archive, tmp_path / "in", messages, CHUNK)  # documents 11-20
    rows = _rows(url)
    assert old < {(b, t, d) for b, t, d, _ in rows} and any(m is not None for *_, m in rows)
    _check(archive, ids, messages, set())
    assert _problems(archive) == []

    # A document of the old rows and one of the new ones removed.
    seqs = _seqs(url)
    gone = {n for n in ids if seqs[ids[n]] in (4, 13)}
    _delete(url, [ids[n] for n in gone])
    _check(archive, ids, messages, gone)
    assert _problems(archive) == []


@pytest.mark.usefixtures("small_blocks")
def test_blocks_of_old_and_new_rows_are_packed_alike(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postings, "PACK_PER_INGEST", 0)  # rows until `reindex` packs them
    messages = _messages(20, seed=8)
    url = archive.database_url
    ids = _import_chunk(archive, tmp_path / "in", messages, 0)  # documents 1-10
    # Made rows of one document each, as an archive upgraded from 0018 has them.
    held = held_postings(url)
    _run_all(
        url,
        [search_term.delete()]
        + [
            search_term.insert().values(block=postings.block_of(s), term=t, doc=s)
            for t, s in sorted(held)
        ],
    )
    assert all(more is None for *_, more in _rows(url)) and held_postings(url) == held

    ids |= _import_chunk(archive, tmp_path / "in", messages, CHUNK)  # documents 11-20
    # Block 1 (documents 8-15) holds old rows (8-10) and new ones (11-15).
    assert {d for b, _, d, m in _rows(url) if b == 1 and m is None} & {8, 9, 10}
    assert any(b == 1 and m is not None for b, _, _, m in _rows(url))
    seqs = _seqs(url)
    gone = {n for n in ids if seqs[ids[n]] in (9, 13)}
    _delete(url, [ids[n] for n in gone])
    _check(archive, ids, messages, gone)

    archive.ok("reindex")  # packs blocks 0 and 1: block 2 (16-20) is the last
    engine = create_engine(url)
    with engine.connect() as conn:
        packed = set(conn.execute(select(search_packed.c.block)).scalars())
    engine.dispose()
    assert packed == {0, 1}
    _check(archive, ids, messages, gone)
    assert _problems(archive) == []
