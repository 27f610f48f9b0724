"""The search query: postings intersected in SQL, filters on plaintext columns in the same query.

Postings are clustered by (block, term), so a term is one range of the primary key in each
block of 1024 documents. The rarest required term drives the query (each term's frequency is
counted first, up to a cap: no statistics are needed); every other required term and every
excluded term is one primary-key probe per candidate. Hits are sorted by the document's copy
of the sent date, so records are read only for a `--status` filter. Without terms the query
starts from the student's tags or the records (finding records the index lacks, too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, exists, func, select, type_coerce

from archiver.store.repository import StoreTx
from archiver.store.tables import POSTING_BLOCK, record, record_tag, search_doc, search_term

_FREQUENCY_CAP = 20_000  # postings counted per term to find the rarest


@dataclass(frozen=True)
class TermQuery:
    """A search in index terms: everything here must hold for a record to match."""

    key_id: str  # the index key the terms were made with (documents made otherwise never match)
    tokenizer: int
    required: tuple[int, ...] = ()
    excluded: tuple[int, ...] = ()
    student: int | None = None  # student row id
    since: datetime | None = None  # sent at or after
    before: datetime | None = None  # sent before
    status: str | None = None
    has_attachment: bool | None = None


def _blocks(tx: StoreTx) -> list[int]:
    last = tx._conn.execute(select(func.max(search_doc.c.seq))).scalar_one_or_none()
    return list(range(int(last or 0) // POSTING_BLOCK + 1))


def _frequency(tx: StoreTx, blocks: list[int], term: int) -> int:
    capped = (
        select(search_term.c.doc)
        .where(search_term.c.block.in_(blocks), search_term.c.term == term)
        .limit(_FREQUENCY_CAP)
    )
    return int(tx._conn.execute(select(func.count()).select_from(capped.subquery())).scalar_one())


def _by_terms(tx: StoreTx, q: TermQuery) -> Select[Any]:
    blocks = _blocks(tx)
    ranked = sorted(set(q.required), key=lambda t: _frequency(tx, blocks, t))
    lead = search_term.alias("lead")
    stmt = (
        select(search_doc.c.record_id, search_doc.c.sent)
        .select_from(lead.join(search_doc, search_doc.c.seq == lead.c.doc))
        .where(lead.c.block.in_(blocks), lead.c.term == ranked[0])
    )
    for i, term in enumerate(ranked[1:]):
        other = search_term.alias(f"t{i}")
        stmt = stmt.where(
            exists().where(
                other.c.block == lead.c.block, other.c.term == term, other.c.doc == lead.c.doc
            )
        )
    stmt = stmt.where(search_doc.c.key_id == q.key_id, search_doc.c.tokenizer == q.tokenizer)
    if q.since is not None:
        stmt = stmt.where(search_doc.c.sent >= int(q.since.timestamp()))
    if q.before is not None:
        stmt = stmt.where(search_doc.c.sent < int(q.before.timestamp()))
    if q.status is not None:
        stmt = stmt.where(
            exists().where(record.c.id == search_doc.c.record_id, record.c.status == q.status)
        )
    if q.student is not None:
        stmt = stmt.where(
            exists().where(
                record_tag.c.record_id == search_doc.c.record_id,
                record_tag.c.student_id == q.student,
            )
        )
    return stmt


def _by_filters(q: TermQuery) -> Select[Any]:
    # The raw sent_at sorts as well as a parsed one (ISO text on SQLite), and costs nothing.
    cols = (record.c.id, type_coerce(record.c.sent_at, String))
    joined = record.outerjoin(search_doc, search_doc.c.record_id == record.c.id)
    if q.student is not None:
        stmt = (
            select(*cols)
            .select_from(record_tag.join(joined, record.c.id == record_tag.c.record_id))
            .where(record_tag.c.student_id == q.student)
        )
    else:
        stmt = select(*cols).select_from(joined)
    if q.since is not None:
        stmt = stmt.where(record.c.sent_at >= q.since)
    if q.before is not None:
        stmt = stmt.where(record.c.sent_at < q.before)
    if q.status is not None:
        stmt = stmt.where(record.c.status == q.status)
    if q.excluded:
        stmt = stmt.where(search_doc.c.key_id == q.key_id, search_doc.c.tokenizer == q.tokenizer)
    return stmt


def find(tx: StoreTx, q: TermQuery) -> list[str]:
    """The ids of every matching record, newest first; records of unknown date last."""
    stmt = _by_terms(tx, q) if q.required else _by_filters(q)
    if q.required and tx._conn.dialect.name == "postgresql":
        # The planner cannot know how often a hashed term occurs (it guessed 1,731 postings
        # for a word in 4 records, and scanned every document to merge-join them); we counted.
        # Nested loops from the rarest term, reading postings from the index alone (not the
        # table's pages, as a bitmap scan does) are the plan, for the rest of this transaction.
        for setting in ("enable_mergejoin", "enable_hashjoin", "enable_bitmapscan"):
            tx._conn.exec_driver_sql(f"SET LOCAL {setting} = off")
    for i, term in enumerate(sorted(set(q.excluded))):
        gone = search_term.alias(f"x{i}")
        stmt = stmt.where(
            ~exists().where(
                gone.c.block == search_doc.c.seq // POSTING_BLOCK,
                gone.c.term == term,
                gone.c.doc == search_doc.c.seq,
            )
        )
    if q.has_attachment is not None:
        stmt = stmt.where(
            search_doc.c.attachments > 0 if q.has_attachment else search_doc.c.attachments == 0
        )
    rows = tx._conn.execute(stmt).all()
    dated = sorted(((r[1], r[0]) for r in rows if r[1] is not None), reverse=True)
    undated = sorted((r[0] for r in rows if r[1] is None), reverse=True)
    return [rid for _, rid in dated] + undated
