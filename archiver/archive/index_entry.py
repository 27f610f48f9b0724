"""A record's index entry: made from its index document, digested (so `verify --index` can
tell an altered entry), and replaced in the transaction that changes the record."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from archiver.crypto import blind
from archiver.crypto.keyring import Keyring
from archiver.domain import IndexDoc, IndexEntry
from archiver.store.db import Tx


def index_entry(
    ring: Keyring, record_id: str, doc: IndexDoc, sent_at: datetime | None
) -> IndexEntry:
    """What the store writes for a record's index document, with its digest."""
    return entry_under(ring.material(doc.key_id), record_id, doc, sent_at)


def entry_under(
    index_key: bytes, record_id: str, doc: IndexDoc, sent_at: datetime | None
) -> IndexEntry:
    """`index_entry`, given the material of the index key `doc` was made with (an ingest
    worker has the key, not the keyring)."""
    entry = IndexEntry(record_id, doc.key_id, doc.tokenizer, doc.terms, doc.attachments, sent_at)
    return replace(entry, digest=_digest(index_key, entry))


def entry_digest(ring: Keyring, entry: IndexEntry) -> bytes:
    """The keyed digest of an index entry, under the index key its terms were made with."""
    return _digest(ring.material(entry.key_id), entry)


def _digest(index_key: bytes, entry: IndexEntry) -> bytes:
    about = (entry.key_id, entry.tokenizer, entry.attachments, entry.sent)
    return blind.for_key(index_key).digest(entry.record_id, about, entry.terms)


def replace_entry(tx: Tx, entry: IndexEntry) -> None:
    """Replace a record's index entry in `tx` (its metadata or date changed)."""
    tx.index.remove([entry.record_id])
    tx.index.add([entry], tx.index.state().generation)
