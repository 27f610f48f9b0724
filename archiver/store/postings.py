"""How postings are kept: rows of (block, term, doc), and full blocks' common terms as bitmaps.

A block is `tables.POSTING_BLOCK` consecutive document numbers. New documents always land in the
last block; once a later block has begun, no document can join a block again, so its terms that
have at least `PACK_MIN` postings there are packed: their rows become one bitmap row each
(`search_packed`). Removing a document deletes its rows and clears its bit in the block's
bitmap of live documents (`search_live`), which masks every packed bitmap of the block.
Everything that writes or reads postings is here, so no other module knows the two forms.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    LargeBinary,
    cast,
    delete,
    func,
    insert,
    null,
    select,
    union_all,
    update,
)

from archiver.store import tables
from archiver.store.tables import search_doc, search_live, search_packed, search_state, search_term

# At 16 postings, a term's rows in a block cost more than its 128-byte bitmap row.
PACK_MIN = 16
# Blocks packed by one ingest transaction at most: an archive upgraded with many unpacked
# blocks catches up a little at each ingest (or with `archiver reindex`).
PACK_PER_INGEST = 2

_COPY = "COPY search_term (block, term, doc) FROM STDIN"
_INSERT = "INSERT INTO search_term (block, term, doc) VALUES (?, ?, ?)"


def block_of(seq: int) -> int:
    return seq // tables.POSTING_BLOCK


def _to_bytes(bits: int) -> bytes:
    return bits.to_bytes(tables.POSTING_BLOCK // 8, "little")


def _from_bytes(data: bytes) -> int:
    return int.from_bytes(data, "little")


def add(conn: Connection, docs: list[tuple[int, list[int]]]) -> None:
    """Write each (document, its terms)'s postings as rows."""
    rows = []
    for doc, terms in docs:
        block = block_of(doc)
        rows += [(block, term, doc) for term in terms]
    if not rows:  # no words at all: SQLite's executemany refuses an empty list
        return
    # Hundreds of rows per record: straight to the driver (COPY on PostgreSQL), not through
    # SQLAlchemy's per-row parameter handling, which cost more than the inserts.
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(_COPY) as copy:
            for row in rows:
                copy.write_row(row)
        return
    conn.exec_driver_sql(_INSERT, rows)


def _lock_state(conn: Connection) -> int:
    """Lock the index state row (packing and removing then wait for each other on
    PostgreSQL; SQLite has one writer anyway) and return how many blocks are packed."""
    return int(
        conn.execute(
            select(search_state.c.packed_blocks).where(search_state.c.id == 1).with_for_update()
        ).scalar_one()
    )


def _last_block(conn: Connection) -> int:
    return block_of(last_seq(conn))


def pack_full_blocks(conn: Connection, limit: int | None = None) -> int:
    """Pack blocks that are full and not packed yet (at most `limit`); how many were packed."""
    last = _last_block(conn)  # new documents land here or later: every block below is full
    state = conn.execute(select(search_state.c.packed_blocks).where(search_state.c.id == 1))
    if int(state.scalar_one()) >= last:
        return 0
    first = _lock_state(conn)  # another writer may have packed some meanwhile
    end = max(first, last if limit is None else min(last, first + limit))
    for block in range(first, end):
        _pack(conn, block)
    if end > first:
        conn.execute(update(search_state).where(search_state.c.id == 1).values(packed_blocks=end))
    return end - first


def _pack(conn: Connection, block: int) -> None:
    base = block * tables.POSTING_BLOCK
    # Each frequent term's documents as one aggregate row (a few thousand rows, not a few
    # hundred thousand), and exactly the rows deleted are packed, whatever other writers do.
    if conn.dialect.name == "postgresql":
        frequent = (
            select(search_term.c.term)
            .where(search_term.c.block == block)
            .group_by(search_term.c.term)
            .having(func.count() >= PACK_MIN)
        )
        moving = delete(search_term).where(
            search_term.c.block == block, search_term.c.term.in_(frequent)
        )
        moved = moving.returning(search_term.c.term, search_term.c.doc).cte("moved")
        rows = conn.execute(
            select(moved.c.term, func.array_agg(moved.c.doc - base)).group_by(moved.c.term)
        ).all()
        found = [(int(term), docs) for term, docs in rows]
    else:  # SQLite: the transaction holds the write lock, so nothing changes in between
        rows = conn.execute(
            select(search_term.c.term, func.group_concat(search_term.c.doc - base))
            .where(search_term.c.block == block)
            .group_by(search_term.c.term)
            .having(func.count() >= PACK_MIN)
        ).all()
        terms = [int(term) for term, _ in rows]
        conn.execute(
            delete(search_term).where(search_term.c.block == block, search_term.c.term.in_(terms))
        )
        found = [(int(term), map(int, docs.split(","))) for term, docs in rows]
    if not found:
        return
    packed = []
    for term, docs in found:
        bits = 0
        for offset in docs:
            bits |= 1 << offset
        packed.append({"block": block, "term": term, "bits": _to_bytes(bits)})
    live = 0
    for seq in conn.execute(
        select(search_doc.c.seq).where(
            search_doc.c.seq >= base, search_doc.c.seq < base + tables.POSTING_BLOCK
        )
    ).scalars():
        live |= 1 << (seq - base)
    conn.execute(insert(search_packed), packed)
    conn.execute(insert(search_live).values(block=block, bits=_to_bytes(live)))


def remove(conn: Connection, seqs: list[int]) -> None:
    """Remove documents' postings: their rows, and their bits in packed blocks' live maps."""
    if not seqs:
        return
    _lock_state(conn)
    blocks: dict[int, list[int]] = {}
    for seq in seqs:
        blocks.setdefault(block_of(seq), []).append(seq)
    for block, docs in blocks.items():  # one pass over each block
        conn.execute(
            delete(search_term).where(search_term.c.block == block, search_term.c.doc.in_(docs))
        )
        row = conn.execute(
            select(search_live.c.bits).where(search_live.c.block == block)
        ).scalar_one_or_none()
        if row is None:
            continue
        base = block * tables.POSTING_BLOCK
        live = _from_bytes(row)
        for doc in docs:
            live &= ~(1 << (doc - base))
        if live:
            conn.execute(
                update(search_live).where(search_live.c.block == block).values(bits=_to_bytes(live))
            )
        else:  # nothing left in the block: its packed bitmaps can only mislead
            conn.execute(delete(search_packed).where(search_packed.c.block == block))
            conn.execute(delete(search_live).where(search_live.c.block == block))


def bitmaps(conn: Connection, terms: list[int], last: int) -> dict[int, dict[int, int]]:
    """Per term, per block, the bitmap of the live documents having the term (bit i is the
    block's i-th document), documents up to `last_seq()` = `last`. One statement, so
    PostgreSQL reads every form in one snapshot."""
    blocks = list(range(block_of(last) + 1))
    stmt = union_all(
        select(
            search_packed.c.term,
            search_packed.c.block,
            search_packed.c.bits,
            cast(null(), Integer).label("doc"),
        ).where(search_packed.c.block.in_(blocks), search_packed.c.term.in_(terms)),
        select(
            search_term.c.term, search_term.c.block, cast(null(), LargeBinary), search_term.c.doc
        ).where(search_term.c.block.in_(blocks), search_term.c.term.in_(terms)),
        select(
            cast(null(), BigInteger), search_live.c.block, search_live.c.bits, cast(null(), Integer)
        ),
    )
    out: dict[int, dict[int, int]] = {t: {} for t in terms}
    live: dict[int, int] = {}
    packed = []
    size = tables.POSTING_BLOCK
    for term, block, bits, doc in conn.execute(stmt):
        if term is None:
            live[block] = _from_bytes(bits)
        elif doc is None:
            packed.append((term, block, bits))
        else:
            found = out[term]
            found[block] = found.get(block, 0) | 1 << (doc - block * size)
    for term, block, bits in packed:
        found = out[term]
        found[block] = found.get(block, 0) | (_from_bytes(bits) & live.get(block, 0))
    return out


def seqs_of(blocks: dict[int, int]) -> list[int]:
    """The document numbers in per-block bitmaps, ascending."""
    out = []
    size = tables.POSTING_BLOCK
    for block in sorted(blocks):
        bits, base = blocks[block], block * size
        while bits:
            low = bits & -bits
            out.append(base + low.bit_length() - 1)
            bits ^= low
    return out


def holds(blocks: dict[int, int], seq: int) -> bool:
    block, offset = divmod(seq, tables.POSTING_BLOCK)
    return bool(blocks.get(block, 0) >> offset & 1)


def last_seq(conn: Connection) -> int:
    return int(conn.execute(select(func.max(search_doc.c.seq))).scalar_one_or_none() or 0)


def block_terms(conn: Connection, block: int) -> dict[int, set[int]]:
    """Every live document of a block with its terms, rebuilt from both forms of postings
    (`verify --index` compares them with what each entry's digest says was written)."""
    size = tables.POSTING_BLOCK
    base = block * size
    out: dict[int, set[int]] = {}
    for term, doc in conn.execute(
        select(search_term.c.term, search_term.c.doc).where(search_term.c.block == block)
    ):
        out.setdefault(int(doc), set()).add(int(term))
    live_row = conn.execute(
        select(search_live.c.bits).where(search_live.c.block == block)
    ).scalar_one_or_none()
    if live_row is None:
        return out
    live = _from_bytes(live_row)
    for term, bits in conn.execute(
        select(search_packed.c.term, search_packed.c.bits).where(search_packed.c.block == block)
    ):
        mask = _from_bytes(bits) & live
        while mask:
            low = mask & -mask
            out.setdefault(base + low.bit_length() - 1, set()).add(int(term))
            mask ^= low
    return out
