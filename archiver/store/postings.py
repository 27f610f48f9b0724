"""How postings are kept: rows of (block, term, documents), and full blocks' common terms as
bitmaps.

A block is `tables.POSTING_BLOCK` consecutive document numbers. One `add` writes one row per
block and term, holding every document of that call with the term: `doc` is the highest, `more`
the others (NULL when there are none). New documents always land in the last block; once a
later block has begun, no document can join a block again, so its terms that have at least
`PACK_MIN` documents there are packed: their rows become one bitmap row each
(`search_packed`). Removing a document rewrites (or deletes) the rows holding it and clears its
bit in the block's bitmap of live documents (`search_live`), which masks every packed bitmap of
the block. Everything that writes or reads postings is here, so no other module knows the forms.
"""

from __future__ import annotations

import struct
from collections import defaultdict
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    LargeBinary,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    null,
    or_,
    select,
    union_all,
    update,
)

from archiver.store import tables
from archiver.store.tables import search_doc, search_live, search_packed, search_state, search_term

# At 16 documents, a term's rows in a block cost more than its 128-byte bitmap row.
PACK_MIN = 16
# Blocks packed by one ingest transaction at most: an archive upgraded with many unpacked
# blocks catches up a little at each ingest (or with `archiver reindex`).
PACK_PER_INGEST = 2

_COPY = "COPY search_term (block, term, doc, more) FROM STDIN"
_INSERT = "INSERT INTO search_term (block, term, doc, more) VALUES (?, ?, ?, ?)"


Row = tuple[int, int, int, bytes | None]  # block, term, highest document, the others


def block_of(seq: int) -> int:
    return seq // tables.POSTING_BLOCK


def _to_bytes(bits: int) -> bytes:
    return bits.to_bytes(tables.POSTING_BLOCK // 8, "little")


def _from_bytes(data: bytes) -> int:
    return int.from_bytes(data, "little")


# A row's other documents (`more`) are 2-byte offsets from its block's first document,
# ascending, big-endian so that the bytes compare as the numbers do (`remove` picks the rows
# that can hold a document by their first offset, in SQL).
def _encode(offsets: list[int]) -> bytes:
    return struct.pack(f">{len(offsets)}H", *offsets)


def _decode(more: bytes) -> tuple[int, ...]:
    return struct.unpack_from(f">{len(more) // 2}H", more)


def _row(block: int, term: int, docs: list[int]) -> Row:
    """The row of a block's documents (ascending) having a term."""
    if len(docs) == 1:
        return block, term, docs[0], None
    base = block * tables.POSTING_BLOCK
    return block, term, docs[-1], _encode([d - base for d in docs[:-1]])


def _docs(block: int, doc: int, more: bytes | None) -> list[int]:
    """A row's documents, ascending."""
    if more is None:
        return [doc]
    base = block * tables.POSTING_BLOCK
    return [base + o for o in _decode(more)] + [doc]


def _bits(block: int, doc: int, more: bytes | None) -> int:
    """A row's documents as a bitmap of its block (bit i is the block's i-th document)."""
    bits = 1 << (doc - block * tables.POSTING_BLOCK)
    if more is not None:
        for offset in _decode(more):
            bits |= 1 << offset
    return bits


def add(conn: Connection, docs: list[tuple[int, list[int]]]) -> None:
    """Write (documents, their terms)'s postings: one row per block and term."""
    blocks: dict[int, defaultdict[int, list[int]]] = {}
    for doc, terms in sorted(docs, key=lambda d: d[0]):
        found = blocks.setdefault(block_of(doc), defaultdict(list))
        for term in terms:  # ~180 a document: the loop is kept lean
            found[term].append(doc)
    rows = [
        _row(block, term, held) for block, found in blocks.items() for term, held in found.items()
    ]
    _write(conn, rows)


def _write(conn: Connection, rows: list[Row]) -> None:
    if not rows:  # SQLite's executemany refuses an empty list
        return
    # Thousands of rows per batch: straight to the driver (COPY on PostgreSQL), not through
    # SQLAlchemy's per-row parameter handling, which cost more than the inserts.
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(_COPY) as copy:
            copy.set_types(["int4", "int8", "int4", "bytea"])
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
    # A row holds 1 + len(more) / 2 documents, so frequent terms are found in SQL; exactly the
    # rows deleted are packed (RETURNING), whatever other writers commit meanwhile.
    held = 1 + func.coalesce(func.length(search_term.c.more), 0) // 2
    frequent = (
        select(search_term.c.term)
        .where(search_term.c.block == block)
        .group_by(search_term.c.term)
        .having(func.sum(held) >= PACK_MIN)
    )
    moved = conn.execute(
        delete(search_term)
        .where(search_term.c.block == block, search_term.c.term.in_(frequent))
        .returning(search_term.c.term, search_term.c.doc, search_term.c.more)
    )
    found: dict[int, int] = {}
    for term, doc, more in moved:
        found[term] = found.get(term, 0) | _bits(block, doc, more)
    if not found:
        return
    packed = [{"block": block, "term": t, "bits": _to_bytes(bits)} for t, bits in found.items()]
    live = 0
    for seq in conn.execute(
        select(search_doc.c.seq).where(
            search_doc.c.seq >= base, search_doc.c.seq < base + tables.POSTING_BLOCK
        )
    ).scalars():
        live |= 1 << (seq - base)
    conn.execute(insert(search_packed), packed)
    conn.execute(insert(search_live).values(block=block, bits=_to_bytes(live)))


def remove(conn: Connection, seqs: list[int], thorough: bool = False) -> None:
    """Remove documents' postings: the rows holding them, and their bits in packed blocks'
    live maps. `thorough` reads every row of their blocks, not only those whose first and
    highest documents bracket one of them: for a repair, where a row altered outside the
    archiver may hold its documents out of order."""
    if not seqs:
        return
    _lock_state(conn)
    blocks: dict[int, set[int]] = {}
    for seq in seqs:
        blocks.setdefault(block_of(seq), set()).add(seq)
    for block, docs in blocks.items():  # one pass over each block
        _drop_rows(conn, block, docs, thorough)
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


def _drop_rows(conn: Connection, block: int, docs: set[int], thorough: bool) -> None:
    """Rewrite a block's rows without `docs`, deleting those left with none."""
    t = search_term.c
    base = block * tables.POSTING_BLOCK
    low, high = min(docs), max(docs)
    where = [t.block == block]
    if not thorough:  # a row holds only documents from its first offset up to `doc`
        first_at_most = _encode([high - base])
        where += [
            t.doc >= low,
            or_(
                and_(t.more.is_(None), t.doc.in_(sorted(docs))),
                func.substr(t.more, 1, 2) <= bindparam("first", first_at_most, LargeBinary),
            ),
        ]
    rows = conn.execute(select(t.term, t.doc, t.more).where(*where)).all()
    gone, kept = [], []
    for term, doc, more in rows:
        held = _docs(block, doc, more)
        left = [d for d in held if d not in docs]
        if len(left) < len(held):
            gone.append({"t": term, "d": doc})
            if left:
                kept.append(_row(block, term, sorted(left)))
    if gone:
        conn.execute(
            delete(search_term).where(
                t.block == block, t.term == bindparam("t"), t.doc == bindparam("d")
            ),
            gone,
        )
    _write(conn, kept)


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
            search_term.c.term, search_term.c.block, search_term.c.more, search_term.c.doc
        ).where(search_term.c.block.in_(blocks), search_term.c.term.in_(terms)),
        select(
            cast(null(), BigInteger), search_live.c.block, search_live.c.bits, cast(null(), Integer)
        ),
    )
    out: dict[int, dict[int, int]] = {t: {} for t in terms}
    live: dict[int, int] = {}
    packed = []
    for term, block, bits, doc in conn.execute(stmt):
        if term is None:
            live[block] = _from_bytes(bits)
        elif doc is None:
            packed.append((term, block, bits))
        else:  # a row: `bits` is its other documents
            found = out[term]
            found[block] = found.get(block, 0) | _bits(block, doc, bits)
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
    for term, doc, more in conn.execute(
        select(search_term.c.term, search_term.c.doc, search_term.c.more).where(
            search_term.c.block == block
        )
    ):
        for d in _docs(block, doc, more):
            out.setdefault(d, set()).add(int(term))
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
