"""The blind index's term cache: bounded, and never changes a term."""

from __future__ import annotations

import hmac

import pytest

from archiver.crypto import blind
from archiver.crypto.blind import BlindIndex

KEY = b"k" * 32


def _held(index: BlindIndex) -> int:
    return sum(len(words) for gen in (index._cache, index._older) for words in gen.values())


def test_terms_are_the_same_whatever_the_cache_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blind, "CACHE_SIZE", 8)
    index = BlindIndex(KEY)
    words = [f"word{i}" for i in range(40)]
    first = {w: index.term("w", w) for w in words}  # generations turn over several times
    assert _held(index) <= 8
    for w in reversed(words):  # found again, from either generation or made anew
        assert index.term("w", w) == first[w] == BlindIndex(KEY).term("w", w)
    assert index.terms("w", words) == set(first.values())
    assert index.term("p", "word1") != first["word1"]  # the field is part of the term


def test_a_word_in_every_message_is_made_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Generations of 8 terms: a word looked up again within 8 new terms is never dropped.
    monkeypatch.setattr(blind, "CACHE_SIZE", 16)
    made: list[bytes] = []
    real = hmac.digest

    def counted(key: bytes, msg: bytes, digest: str) -> bytes:
        made.append(msg)
        return real(key, msg, digest)

    monkeypatch.setattr(hmac, "digest", counted)
    index = BlindIndex(KEY)
    for i in range(50):  # each "message": a common word and three words never seen again
        index.terms("w", ["the", f"a{i}", f"b{i}", f"c{i}"])
    assert made.count(b"w\0the") == 1  # still found after many generations: not made again
    assert len(made) == 1 + 150
    assert _held(index) <= 16
