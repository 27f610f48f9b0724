"""`archiver reindex`: (re)building the search index from the sealed records, page by page,
resumably; and the one way to build a record's entry from its seal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from archiver.archive import audit, facts
from archiver.archive.index_entry import index_entry
from archiver.archive.roster import RosterSeal
from archiver.crypto import blind, sealing
from archiver.crypto.blind import BlindIndex
from archiver.crypto.keyring import Keyring
from archiver.domain import IndexEntry, RecordMeta, RecordRow, SearchState
from archiver.errors import IntegrityError
from archiver.store.db import Store, Tx
from archiver.understand import extract
from archiver.understand.indexing import (
    DEFAULT_TEXT_LIMITS,
    TOKENIZER,
    TextLimits,
    attachment_texts,
    index_tokens,
)
from archiver.understand.parse import parse

REINDEX_PAGE = 100
PACK_PAGE = 8  # blocks of postings packed per transaction (about 1.3 s on SQLite)


@dataclass
class ReindexResult:
    indexed: int = 0
    failed: list[str] = field(default_factory=list)  # records that could not be opened
    students_resealed: int = 0
    remaining: int = 0  # records still not indexed as the index key and tokenizer require


def _needs_raw(meta: RecordMeta) -> bool:
    """Whether the original bytes must be read: metadata from before forwards were
    understood, or attachments whose text is indexed (PDF, DOCX, attached messages)."""
    if meta.originals is None:
        return True
    return any(
        a.is_message or extract.supported(a.content_type, a.filename) for a in meta.attachments
    )


def _reseal_students(tx: Tx, ring: Keyring, now: datetime) -> int:
    """Seal again under the current index key the students sealed under an older one (their
    lookup changes with the key)."""
    seal = RosterSeal(ring)
    done = 0
    for row in tx.roster.students():
        if row.key_id != seal.key_id:
            new = seal.seal(seal.open(row))
            tx.roster.update_student(facts.seal_student(ring, replace(new, id=row.id)), now)
            done += 1
    return done


def reindex_all(
    db: Store,
    ring: Keyring,
    rebuild_all: bool = False,
    progress: Callable[[int], None] | None = None,
    text: TextLimits = DEFAULT_TEXT_LIMITS,
) -> ReindexResult:
    """Index every record not indexed under the current index key and tokenizer, page by page
    (each page its own transaction: an interrupted run resumes where it stopped).

    `rebuild_all` starts a new generation, so every record is indexed again; if an earlier
    rebuild is unfinished, that one is finished instead.
    """
    key_id, key = ring.index_key()
    terms = blind.for_key(key)
    result = ReindexResult()
    with db.transaction() as tx:
        now = tx.now
        result.students_resealed = _reseal_students(tx, ring, now)
        state = tx.index.state()
        settled = state.complete and state.key_id == key_id and state.tokenizer == TOKENIZER
        generation = state.generation + 1 if rebuild_all and settled else state.generation
        target = SearchState(generation, key_id, TOKENIZER, False)
        tx.index.set_state(target, now)
    after = ""
    while True:
        with db.transaction() as tx:
            page = tx.index.unindexed_after(after, REINDEX_PAGE, target)
            entries = []
            for row in page:
                try:
                    entries.append(build_entry(tx, ring, terms, key_id, row, text))
                except IntegrityError:
                    result.failed.append(row.id)
            tx.index.remove([e.record_id for e in entries])
            tx.index.add(entries, generation)
        if not page:
            break
        after = page[-1].id
        result.indexed += len(entries)
        if progress:
            progress(result.indexed)
    while True:  # a few blocks per transaction: ingest is not held up for long
        with db.transaction() as tx:
            if not tx.index.pack(PACK_PAGE):
                break
    with db.transaction() as tx:
        result.remaining = tx.index.count_unindexed(target)
        tx.index.set_state(replace(target, complete=result.remaining == 0), tx.now)
        audit.append(
            tx,
            ring,
            "search.reindex",
            details={
                "indexed": result.indexed,
                "failed": result.failed,
                "remaining": result.remaining,
                "generation": generation,
                "students_resealed": result.students_resealed,
            },
        )
    return result


def build_entry(
    tx: Tx, ring: Keyring, terms: BlindIndex, key_id: str, row: RecordRow, text: TextLimits
) -> IndexEntry:
    """A record's index entry, from its sealed metadata (and its bytes, when needed)."""
    key = sealing.data_key(ring, row)
    meta = sealing.open_meta(key, row, tx.records.part(row.id, sealing.META))
    texts: list[str] = []
    if _needs_raw(meta):
        parsed = parse(sealing.open_raw(key, row, tx.records.part(row.id, sealing.RAW)))
        if meta.originals is None:
            meta = parsed.metadata()
        texts = attachment_texts(parsed.extractable, *text).texts
    doc = terms.document(key_id, index_tokens(meta, texts))
    return index_entry(ring, row.id, doc, row.sent_at)
