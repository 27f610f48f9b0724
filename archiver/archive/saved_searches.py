"""A person's saved searches on the web application's search page: a name and the search's
query string (what the page's address holds after `?`), kept per account, sealed (a search
can name a student). Adding and deleting one is audited; listing them is not (they are the
person's own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from archiver.archive import audit
from archiver.crypto.keyring import Keyring
from archiver.crypto.notes import NoteSeal
from archiver.domain import SavedSearchRow
from archiver.errors import UsageError
from archiver.store.db import Store

MAX_NAME = 100
MAX_QUERY = 2000
PER_PERSON = 50


@dataclass(frozen=True)
class SavedSearch:
    id: int
    name: str
    query: str  # a URL query string: `q=field+trip&student=104233`
    created_at: datetime


def _owner(user_id: int) -> str:
    return f"saved_search:{user_id}"


def _query(query: str) -> str:
    """The query string kept: its fields in order, without the page number and empty ones."""
    pairs = [(k, v) for k, v in parse_qsl(query.lstrip("?")) if v.strip() and k != "page"]
    if not pairs:
        raise UsageError("Saved search: search for something first, then save it")
    text = urlencode(pairs)
    if len(text) > MAX_QUERY:
        raise UsageError(f"Saved search: the search is longer than {MAX_QUERY} characters")
    return text


def add(db: Store, ring: Keyring, user_id: int, name: str, query: str, actor: str) -> SavedSearch:
    """Save search `query` under `name` for account `user_id`. Raises UsageError for an
    empty or long name, a search asking nothing, or more than 50 saved."""
    shown = " ".join(name.split())
    if not shown:
        raise UsageError("Saved search: give it a name")
    if len(shown) > MAX_NAME or any(not c.isprintable() for c in shown):
        raise UsageError(f"Saved search: the name must be printable, at most {MAX_NAME} long")
    kept = _query(query)
    seal = NoteSeal(ring)
    with db.transaction() as tx:
        if len(tx.saved_searches.of_user(user_id)) >= PER_PERSON:
            raise UsageError(f"Saved search: at most {PER_PERSON}; delete one first")
        row = SavedSearchRow(
            0,
            user_id,
            seal.seal(_owner(user_id), "name", shown),
            seal.seal(_owner(user_id), "query", kept),
            tx.now,
        )
        new_id = tx.saved_searches.add(row)
        audit.append(tx, ring, "search.save", target=f"saved_search:{new_id}", actor=actor)
        return SavedSearch(new_id, shown, kept, tx.now)


def of_user(db: Store, ring: Keyring, user_id: int) -> list[SavedSearch]:
    """Account `user_id`'s saved searches, oldest first."""
    seal = NoteSeal(ring)
    with db.reading() as tx:
        rows = tx.saved_searches.of_user(user_id)
    return [
        SavedSearch(
            r.id,
            seal.open(_owner(user_id), "name", r.name),
            seal.open(_owner(user_id), "query", r.query),
            r.created_at,
        )
        for r in rows
    ]


def delete(db: Store, ring: Keyring, user_id: int, search_id: int, actor: str) -> None:
    """Delete one of account `user_id`'s saved searches. Raises UsageError if it has none
    with that id."""
    with db.transaction() as tx:
        if not tx.saved_searches.delete(user_id, search_id):
            raise UsageError(f"Saved search {search_id}: you have no saved search with that id")
        audit.append(tx, ring, "search.unsave", target=f"saved_search:{search_id}", actor=actor)
