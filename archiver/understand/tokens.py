"""Words for the search index and for queries: one tokenizer for both, so they always agree.

Text is NFKC-normalised, case-folded and stripped of accents ("Peña" and "pena" are one
word). Letters and digits make words; apostrophes inside a word are dropped ("Doherty's" ->
"dohertys"... and "doherty" is indexed too). Chinese and Japanese have no spaces, so each
character is a word and phrases of them match as phrases do.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field

MAX_WORD = 64
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_POSSESSIVE = re.compile(r"['\u2019]s$")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")


def normalize(text: str) -> str:
    """Case-folded, accent-free NFKC text."""
    if text.isascii():  # most text: all of that is lower case
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return _NON_ASCII.sub(_without_marks, decomposed)  # no ASCII character is a mark


def _without_marks(m: re.Match[str]) -> str:
    return "".join(c for c in m.group() if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of `text`, in order."""
    if text.isascii():  # no CJK, and only straight apostrophes: one pass over most text
        found = _WORD.findall(text.lower())
        if "'" in text:
            found = [_ascii_word(w) if "'" in w else w for w in found]
        return [w if len(w) <= MAX_WORD else w[:MAX_WORD] for w in found]
    out: list[str] = []
    for m in _WORD.finditer(normalize(text)):
        word = m.group()
        if _CJK.search(word):
            out.extend(c for c in word if not c.isspace())
            continue
        out.append(_plain(word))
    return out


def _plain(word: str) -> str:
    word = _POSSESSIVE.sub("", word)  # "doherty's" is "doherty"
    return word.replace("'", "").replace("\u2019", "")[:MAX_WORD]  # "o'brien": "obrien"


def _ascii_word(word: str) -> str:
    return (word[:-2] if word.endswith("'s") else word).replace("'", "")


def bigrams(seq: list[str]) -> list[str]:
    """Adjacent word pairs, for phrase search."""
    return [f"{a} {b}" for a, b in itertools.pairwise(seq)]


@dataclass(frozen=True)
class Query:
    """A parsed search: every word and phrase must match; no excluded word may."""

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.words or self.phrases)


_PART = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')


@dataclass
class _Parts:
    """A query's words, phrases and excluded words, as parsed so far."""

    words: list[str] = field(default_factory=list)
    phrases: list[tuple[str, ...]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)


def parse_query(text: str) -> Query:
    """`coach "field trip" -cancelled`: words, quoted phrases, and -excluded words."""
    parts = _Parts()
    for m in _PART.finditer(text):
        negated = bool(m.group(1) or m.group(3))
        found = words(m.group(2) if m.group(2) is not None else m.group(4))
        if negated:
            parts.excluded.extend(found)
        elif m.group(2) is not None and len(found) > 1:
            parts.phrases.append(tuple(found))
        else:
            parts.words.extend(found)
    return Query(
        tuple(dict.fromkeys(parts.words)),
        tuple(parts.phrases),
        tuple(dict.fromkeys(parts.excluded)),
    )
