"""One tokenizer for the index and for queries; blind terms depend on the key and field."""

from __future__ import annotations

from archiver.crypto.blind import BlindIndex
from archiver.crypto.envelope import new_key
from archiver.understand.tokens import Query, bigrams, parse_query, words


def test_words_fold_case_accents_and_possessives() -> None:
    expected = ["jose", "pena", "field", "trip", "2026", "obrien"]
    assert words("José Peña's FIELD-trip, 2026! O'Brien") == expected
    assert words("Ausência à escola") == ["ausencia", "a", "escola"]


def test_chinese_and_japanese_are_indexed_by_character() -> None:
    assert words("明天请假") == ["明", "天", "请", "假"]
    assert bigrams(words("明天请假")) == ["明 天", "天 请", "请 假"]


def test_query_words_phrases_and_exclusions() -> None:
    q = parse_query('coach "Field Trip" -cancelled Peña')
    assert q == Query(
        words=("coach", "pena"), phrases=(("field", "trip"),), excluded=("cancelled",)
    )
    assert parse_query('"trip"').words == ("trip",)  # a one-word phrase is a word
    assert parse_query("-only").empty


def test_blind_terms_are_keyed_and_field_separated() -> None:
    a, b = BlindIndex(new_key()), BlindIndex(new_key())
    assert a.term("w", "coach") == a.term("w", "coach")
    assert a.term("w", "coach") != b.term("w", "coach")
    assert a.term("w", "coach") != a.term("from", "coach")
    assert -(2**63) <= a.term("w", "x") < 2**63
