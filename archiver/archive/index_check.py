"""Checking the search index against what was written (`verify --index`) and repairing it
(`reindex --repair`).

Every index entry carries a keyed digest of its record id, key, tokenizer, counts, date and
terms. The check rebuilds each document's terms from the postings (rows and packed bitmaps,
block by block), recomputes the digest and compares; it also checks the entry's date against
the record's and that every term the record's sealed metadata yields is there. An altered or
deleted posting, an entry moved to another record, and postings of a document that has no
entry all show. A whole pass goes block by block, each block its own transaction, and resumes
where it was stopped; `--sample N` checks N random entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from archiver.archive import audit
from archiver.archive.index_entry import entry_digest
from archiver.archive.reindex import build_entry
from archiver.crypto import blind, sealing
from archiver.crypto.keyring import Keyring
from archiver.domain import IndexedDoc, IndexEntry, pack_terms, unpack_terms
from archiver.errors import ArchiverError
from archiver.store.db import Store, Tx
from archiver.understand.indexing import DEFAULT_TEXT_LIMITS, TOKENIZER, TextLimits, index_tokens


@dataclass
class IndexReport:
    """What a check found: (record id, or `document N` for postings without an entry, and the
    problem), how many entries were checked, and what was repaired."""

    scope: str = "all"
    checked: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    repaired: int = 0
    resumed_at_block: int | None = None
    earlier_problems: int = 0  # found by the interrupted run this one finished

    def to_json(self) -> dict[str, object]:
        return {
            "scope": self.scope,
            "checked": self.checked,
            "problems": [{"id": rid, "problem": p} for rid, p in self.problems],
            "repaired": self.repaired,
            "resumed_at_block": self.resumed_at_block,
            "earlier_problems": self.earlier_problems,
        }


def _entry(doc: IndexedDoc, terms: set[int]) -> IndexEntry:
    sent = datetime.fromtimestamp(doc.sent, UTC) if doc.sent is not None else None
    return IndexEntry(
        doc.record_id, doc.key_id, doc.tokenizer, pack_terms(terms), doc.attachments, sent
    )


def _doc_problem(tx: Tx, ring: Keyring, doc: IndexedDoc, terms: set[int]) -> str | None:
    """What is wrong with one entry, or None."""
    if doc.digest is None:
        return "its index entry is not authenticated yet: run `archiver db upgrade`"
    entry = _entry(doc, terms)
    try:
        if entry_digest(ring, entry) != doc.digest:
            return (
                "its index entry does not match its postings (terms altered, lost or moved "
                "outside the archiver)"
            )
    except ArchiverError as exc:
        return f"its index entry cannot be checked: {exc}"
    row = tx.records.by_id([doc.record_id]).get(doc.record_id)
    if row is None:
        return "its index entry names a record that does not exist"
    sent = int(row.sent_at.timestamp()) if row.sent_at else None
    if sent != doc.sent:
        return "its index entry's date differs from the record's"
    if doc.tokenizer != TOKENIZER:
        return None  # made by an older tokenizer: `archiver reindex` remakes it anyway
    try:
        key = sealing.data_key(ring, row)
        meta = sealing.open_meta(key, row, tx.records.part(row.id, sealing.META))
        terms_of = blind.for_key(ring.material(doc.key_id))
        want = set(unpack_terms(terms_of.document(doc.key_id, index_tokens(meta)).terms))
    except ArchiverError as exc:
        return f"its index entry cannot be compared with the record: {exc}"
    missing = len(want - terms)
    if missing:
        return f"its index entry lacks {missing} of the record's words and addresses"
    return None


def _check_block(
    tx: Tx, ring: Keyring, block: int, only: set[int] | None
) -> tuple[int, list[tuple[IndexedDoc | None, int, str]]]:
    """Check one block: how many entries were checked, and each problem (the entry or None
    for postings without one, the document number, the problem)."""
    docs, terms = tx.index.block(block)
    found: list[tuple[IndexedDoc | None, int, str]] = []
    checked = 0
    for doc in docs:
        if only is not None and doc.seq not in only:
            continue
        checked += 1
        problem = _doc_problem(tx, ring, doc, terms.get(doc.seq, set()))
        if problem:
            found.append((doc, doc.seq, problem))
    if only is None:
        have = {d.seq for d in docs}
        for seq in sorted(set(terms) - have):
            found.append((None, seq, "postings of a document that has no index entry"))
    return checked, found


def _repair(
    tx: Tx,
    ring: Keyring,
    block: int,
    found: list[tuple[IndexedDoc | None, int, str]],
    text: TextLimits,
) -> int:
    """Rebuild the entries found wrong from their records, and drop postings that belong to no
    entry; how many were repaired."""
    orphans = [seq for doc, seq, _ in found if doc is None]
    tx.index.remove_postings(orphans)
    ids = sorted({doc.record_id for doc, _, _ in found if doc is not None})
    rows = tx.records.by_id(ids)
    key_id, key = ring.index_key()
    terms = blind.for_key(key)
    entries = [build_entry(tx, ring, terms, key_id, rows[i], text) for i in rows]
    tx.index.remove(ids)
    tx.index.add(entries, tx.index.state().generation)
    return len(orphans) + len(entries)


def _label(doc: IndexedDoc | None, seq: int) -> str:
    return doc.record_id if doc is not None else f"document {seq}"


def verify_index(
    db: Store,
    ring: Keyring,
    sample: int | None = None,
    repair: bool = False,
    progress: Callable[[int], None] | None = None,
    text: TextLimits = DEFAULT_TEXT_LIMITS,
) -> IndexReport:
    """Check the whole index (resuming an unfinished pass) or `sample` random entries, and
    with `repair` rebuild what is wrong. Audited. Raises DatabaseError."""
    report = IndexReport(scope=f"sample {sample}" if sample else "all")
    with db.transaction() as tx:
        state = tx.index.check_state()
        if sample:
            chosen = tx.index.sample(sample)
            plan = sorted(chosen)
            only: set[int] | None = {seq for seqs in chosen.values() for seq in seqs}
        else:
            only = None
            start = state.next_block or 0
            if state.next_block is not None:
                report.resumed_at_block = start
                report.earlier_problems = state.problems
            else:
                state = replace(state, next_block=0, started_at=tx.now, problems=0)
                tx.index.set_check_state(state)
            plan = [b for b in tx.index.blocks() if b >= start]
    for done, block in enumerate(plan, 1):
        with db.transaction() as tx:
            checked, found = _check_block(tx, ring, block, only)
            report.checked += checked
            report.problems += [(_label(doc, seq), p) for doc, seq, p in found]
            if repair and found:
                report.repaired += _repair(tx, ring, block, found, text)
            if only is None:
                state = tx.index.check_state()
                tx.index.set_check_state(
                    replace(state, next_block=block + 1, problems=state.problems + len(found))
                )
        if progress:
            progress(done)
    with db.transaction() as tx:
        state = tx.index.check_state()
        if only is None:
            unindexed = tx.index.count_unindexed(tx.index.state(), generation=False)
            if unindexed and tx.index.state().complete:
                report.problems.append(
                    ("index", f"{unindexed} records have no index entry, yet it is marked complete")
                )
                if repair:
                    tx.index.set_state(replace(tx.index.state(), complete=False), tx.now)
        total = len(report.problems) + (report.earlier_problems if only is None else 0)
        tx.index.set_check_state(
            replace(
                state,
                next_block=None if only is None else state.next_block,
                verified_at=tx.now,
                scope=report.scope,
                verified_problems=total,
            )
        )
        audit.append(
            tx,
            ring,
            "verify.index",
            details={
                "scope": report.scope,
                "checked": report.checked,
                "problems": len(report.problems),
                "records": sorted({rid for rid, _ in report.problems}),
                "repaired": report.repaired,
            },
        )
    return report


def authenticate_entries(db: Store, ring: Keyring) -> int:
    """Give entries written before digests existed their digest, from their postings as they
    stand (`archiver db upgrade`); how many."""
    done = 0
    with db.transaction() as tx:
        blocks = tx.index.blocks(missing_digest=True)
    for block in blocks:
        with db.transaction() as tx:
            docs, terms = tx.index.block(block)
            for doc in docs:
                if doc.digest is None:
                    tx.index.set_digest(
                        doc.seq, entry_digest(ring, _entry(doc, terms.get(doc.seq, set())))
                    )
                    done += 1
    return done
