"""Blind-index terms: a keyed hash of (field, word), so search works without plaintext.

Each term is HMAC-SHA256 under a key derived from the index key, over the field name and the
word, truncated to 64 bits and stored as a signed integer. Without the index key, the database
shows only how often each (unknown) term occurs.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from array import array
from collections.abc import Iterable

from archiver.crypto import envelope
from archiver.domain import IndexDoc, IndexTokens, pack_terms

# Terms remembered per process, in two generations of half this each: most words of most
# messages are common, and a (field, word) costs ~130 bytes here against ~2 us to make again.
CACHE_SIZE = 25_000


class BlindIndex:
    """Turns (field, word) into the 64-bit terms stored in and queried from the index."""

    def __init__(self, index_key: bytes) -> None:
        self._key = envelope.derive(index_key, "archiver search terms v1")
        self._digest_key = envelope.derive(index_key, "archiver index entry digest v1")
        # field -> word -> term: a hit costs one lookup, and no "field\0word" string.
        self._cache: dict[str, dict[str, int]] = {}  # the current generation
        self._older: dict[str, dict[str, int]] = {}  # the one before it
        self._cached = 0

    def term(self, field: str, word: str) -> int:
        found = self._cache.get(field, {}).get(word)
        if found is None:
            found = self._older.get(field, {}).get(word)
            if found is None:
                # surrogatepass: text decoded with surrogateescape must not stop ingest.
                text = f"{field}\0{word}".encode("utf-8", "surrogatepass")
                digest = hmac.digest(self._key, text, hashlib.sha256)
                found = int.from_bytes(digest[:8], "big", signed=True)
            if self._cached >= CACHE_SIZE // 2:
                # A full generation becomes the older one and the one before it goes; terms
                # still in use move into the new one as they are looked up, so common words
                # stay found (emptying the whole cache made every word a miss again).
                self._older, self._cache = self._cache, {}
                self._cached = 0
            self._cache.setdefault(field, {})[word] = found
            self._cached += 1
        return found

    def terms(self, field: str, words: Iterable[str]) -> set[int]:
        cache = self._cache.get(field, {})
        out = set()
        for w in set(words):
            found = cache.get(w)
            if found is None:
                found = self.term(field, w)
                cache = self._cache.get(field, {})  # a new generation may have begun
            out.add(found)
        return out

    def document(self, key_id: str, tokens: IndexTokens) -> IndexDoc:
        """A record's index entry: its tokens, field by field, as blind terms (`key_id` names
        this index key)."""
        terms: set[int] = set()
        for field, found in tokens.fields.items():
            terms.update(self.terms(field, found))
        return IndexDoc(key_id, tokens.tokenizer, pack_terms(terms), tokens.attachments)

    def digest(self, record_id: str, about: tuple[int | str | None, ...], terms: bytes) -> bytes:
        """A 16-byte keyed hash of an index entry: its record, what else it states (`about`:
        key id, tokenizer, counts, date) and its packed terms. `verify --index` rebuilds the
        terms from the postings and compares, so an altered, lost or moved posting shows."""
        canonical = array("q")
        canonical.frombytes(terms)
        if sys.byteorder != "little":  # the same digest on any machine
            canonical.byteswap()
        head = "\0".join(["entry", record_id, *("" if v is None else str(v) for v in about)])
        mac = hmac.new(self._digest_key, head.encode() + b"\0", hashlib.sha256)
        mac.update(canonical.tobytes())
        return mac.digest()[:16]


_by_key: dict[bytes, BlindIndex] = {}


def for_key(index_key: bytes) -> BlindIndex:
    """The term maker of an index key, made once per process (its cache is kept)."""
    if index_key not in _by_key:
        _by_key[index_key] = BlindIndex(index_key)
    return _by_key[index_key]
