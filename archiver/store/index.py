"""The search index: entries, postings, its state and its checks (postings' two forms are
`postings`'s business; the query is `search`'s)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from archiver.domain import (
    DESTROYED,
    Hits,
    IndexCheck,
    IndexedDoc,
    IndexEntry,
    RecordRow,
    SearchState,
    unpack_terms,
)
from archiver.store import postings, search, tables
from archiver.store.rows import as_bytes, record_row, utc
from archiver.store.tables import record, search_doc, search_state, search_term


class IndexRepo:
    """The search index: entries, postings, its state and its checks."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def state(self) -> SearchState:
        r = self._conn.execute(select(search_state).where(search_state.c.id == 1)).one()
        return SearchState(int(r.generation), r.key_id, int(r.tokenizer), bool(r.complete))

    def set_state(self, state: SearchState, now: datetime) -> None:
        self._conn.execute(
            update(search_state)
            .where(search_state.c.id == 1)
            .values(
                generation=state.generation,
                key_id=state.key_id,
                tokenizer=state.tokenizer,
                complete=state.complete,
                updated_at=now,
            )
        )

    def add(self, entries: list[IndexEntry], generation: int) -> dict[str, list[int]]:
        """Add search documents and their postings (records not indexed before); each record's
        terms, as posted."""
        if not entries:
            return {}
        self._conn.execute(
            insert(search_doc),
            [
                {
                    "record_id": e.record_id,
                    "key_id": e.key_id,
                    "tokenizer": e.tokenizer,
                    "generation": generation,
                    "attachments": e.attachments,
                    "sent": e.sent,
                    "digest": e.digest,
                }
                for e in entries
            ],
        )
        seqs = dict(
            self._conn.execute(
                select(search_doc.c.record_id, search_doc.c.seq).where(
                    search_doc.c.record_id.in_([e.record_id for e in entries])
                )
            ).all()
        )
        terms = {e.record_id: unpack_terms(e.terms) for e in entries}
        postings.add(self._conn, [(seqs[rid], found) for rid, found in terms.items()])
        postings.pack_full_blocks(self._conn, postings.PACK_PER_INGEST)
        return terms

    def block(self, block: int) -> tuple[list[IndexedDoc], dict[int, set[int]]]:
        """A block's index entries, and the terms of every live document in its postings."""
        start = block * tables.POSTING_BLOCK
        rows = self._conn.execute(
            select(search_doc)
            .where(search_doc.c.seq >= start, search_doc.c.seq < start + tables.POSTING_BLOCK)
            .order_by(search_doc.c.seq)
        ).all()
        docs = [
            IndexedDoc(
                int(r.seq),
                r.record_id,
                r.key_id,
                int(r.tokenizer),
                int(r.attachments),
                None if r.sent is None else int(r.sent),
                as_bytes(r.digest),
            )
            for r in rows
        ]
        return docs, postings.block_terms(self._conn, block)

    def blocks(self, missing_digest: bool = False) -> list[int]:
        """The blocks holding index entries or postings (only entries without a digest, if
        `missing_digest`), ascending."""
        if missing_digest:
            block = search_doc.c.seq // tables.POSTING_BLOCK
            q = select(func.distinct(block)).where(search_doc.c.digest.is_(None))
            return sorted(int(b) for b in self._conn.execute(q).scalars())
        last = max(postings.last_seq(self._conn), self._last_posting())
        return list(range(last // tables.POSTING_BLOCK + 1)) if last else []

    def _last_posting(self) -> int:
        return int(self._conn.execute(select(func.max(search_term.c.doc))).scalar() or 0)

    def sample(self, n: int) -> dict[int, set[int]]:
        """Up to `n` random index entries: their document numbers, by block."""
        q = select(search_doc.c.seq).order_by(func.random()).limit(n)
        out: dict[int, set[int]] = {}
        for seq in self._conn.execute(q).scalars():
            out.setdefault(int(seq) // tables.POSTING_BLOCK, set()).add(int(seq))
        return out

    def set_digest(self, seq: int, digest: bytes) -> None:
        self._conn.execute(update(search_doc).where(search_doc.c.seq == seq).values(digest=digest))

    def remove_postings(self, seqs: list[int]) -> None:
        """Remove the postings of documents (that have no entry: `reindex --repair`), reading
        every row of their blocks (a row altered outside the archiver may hide them)."""
        postings.remove(self._conn, seqs, thorough=True)

    def check_state(self) -> IndexCheck:
        r = self._conn.execute(select(search_state).where(search_state.c.id == 1)).one()
        return IndexCheck(
            r.verify_next_block,
            utc(r.verify_started_at),
            int(r.verify_problems),
            utc(r.verified_at),
            r.verified_scope,
            r.verified_problems,
        )

    def set_check_state(self, check: IndexCheck) -> None:
        self._conn.execute(
            update(search_state)
            .where(search_state.c.id == 1)
            .values(
                verify_next_block=check.next_block,
                verify_started_at=check.started_at,
                verify_problems=check.problems,
                verified_at=check.verified_at,
                verified_scope=check.scope,
                verified_problems=check.verified_problems,
            )
        )

    def pack(self, limit: int) -> int:
        """Pack up to `limit` full blocks' common terms; how many were packed (`reindex`
        catches up after an upgrade)."""
        return postings.pack_full_blocks(self._conn, limit)

    def remove(self, record_ids: list[str]) -> None:
        """Remove records' search documents and postings."""
        if not record_ids:
            return
        seqs = self._conn.execute(
            select(search_doc.c.seq).where(search_doc.c.record_id.in_(record_ids))
        ).scalars()
        postings.remove(self._conn, [int(s) for s in seqs])
        self._conn.execute(delete(search_doc).where(search_doc.c.record_id.in_(record_ids)))

    def _stale(self, state: SearchState, generation: bool = True) -> Any:
        stale = [
            search_doc.c.seq.is_(None),
            search_doc.c.key_id != state.key_id,
            search_doc.c.tokenizer != state.tokenizer,
        ]
        if generation:
            stale.append(search_doc.c.generation != state.generation)
        return or_(*stale)

    def unindexed_after(self, after_id: str, limit: int, state: SearchState) -> list[RecordRow]:
        """Records (not destroyed) in id order after `after_id` without an index entry made
        as `state` says (its key, tokenizer and generation)."""
        rows = self._conn.execute(
            select(record)
            .select_from(record.outerjoin(search_doc, search_doc.c.record_id == record.c.id))
            .where(record.c.id > after_id, record.c.status != DESTROYED, self._stale(state))
            .order_by(record.c.id)
            .limit(limit)
        ).all()
        return [record_row(r) for r in rows]

    def count_unindexed(self, state: SearchState, generation: bool = True) -> int:
        """Records without an index entry made as `state` says (ignoring its generation if
        not `generation`: an entry of an older generation still answers searches)."""
        return int(
            self._conn.execute(
                select(func.count())
                .select_from(record.outerjoin(search_doc, search_doc.c.record_id == record.c.id))
                .where(record.c.status != DESTROYED, self._stale(state, generation))
            ).scalar_one()
        )

    def find(self, q: search.TermQuery, offset: int, limit: int | None) -> Hits:
        """Records matching `q`: the total, and one page of ids, newest first."""
        return search.find(self._conn, q, offset, limit)
