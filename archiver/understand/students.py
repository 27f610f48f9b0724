"""Which students a message concerns, matched against the roster.

Tag sources, strongest first:
- `explicit`: the forwarder's own note names a student by full name, preferred name and last
  name, or student id;
- `address`: a student's school address is among the original's participants;
- `name`: a student's full (or preferred + last) name, or id, appears in an original's subject
  or body.
A first name alone never tags. Names must be written capitalised as names ("Will Price", not
"will price the trip"). A name shared by two students tags neither, unless something else in
the same message (an id, an address) says which one. Possessives ("Liam Doherty's mom") and
"Last, First" count.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

EXPLICIT = "explicit"
ADDRESS = "address"
NAME = "name"
MANUAL = "manual"
_STRENGTH = {MANUAL: 0, EXPLICIT: 1, ADDRESS: 2, NAME: 3}

_APOSTROPHE = "\u2019"  # the typographic apostrophe, as in "Doherty\u2019s"
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_ID = re.compile(r"(?<![\w-])(\d{4,12})(?![\w-])")
_POSSESSIVE = re.compile(r"['\u2019]s$", re.IGNORECASE)
_MAX_TEXT = 512 * 1024
_SPACE = re.compile(r"^[ \t]*\r?\n?[ \t>]*$|^\s$")  # within a name: spaces, at most a line break
_GRADE = re.compile(r"(?i)\bgrade\s+(\d{1,2})\b|\b(\d{1,2})(?:st|nd|rd|th)[\s-]+grade")
_KINDERGARTEN = re.compile(r"(?i)\bkindergarten|\bkinder\b")
# Given names that are everyday words: alone, they say nothing ("will", "hope", "grace").
_COMMON_WORDS = {
    "will",
    "hope",
    "grace",
    "mark",
    "chase",
    "summer",
    "faith",
    "rose",
    "autumn",
    "joy",
    "miles",
    "long",
    "sunny",
    "may",
    "june",
    "april",
    "august",
    "dawn",
    "eve",
    "hunter",
    "max",
    "bill",
    "pat",
    "ray",
    "rich",
    "sky",
    "river",
    "reed",
    "wade",
    "lane",
    "dale",
    "glen",
    "guy",
    "art",
    "frank",
    "grant",
    "parker",
    "jackson",
    "ellis",
    "morgan",
    "gay",
    "star",
    "love",
    "honor",
    "justice",
    "destiny",
    "angel",
    "sage",
    "rain",
    "storm",
    "page",
}
# Words that make a name a place: "Rose Hill Road", "Faith Church hall", "Summer Day Camp".
_PLACE_WORDS = {
    "road",
    "rd",
    "street",
    "st",
    "avenue",
    "ave",
    "lane",
    "drive",
    "dr",
    "way",
    "court",
    "hall",
    "camp",
    "program",
    "programs",
    "park",
    "school",
    "church",
    "center",
    "centre",
    "field",
    "library",
    "gym",
    "pool",
    "club",
    "league",
    "loop",
    "trail",
    "farm",
    "academy",
    "office",
    "building",
    "auditorium",
    "stadium",
    "arena",
    "bank",
    "banks",
    "plaza",
}
# Lower-case words that belong inside surnames ("De la Cruz", "van Buren", "dos Santos").
_PARTICLES = {
    "de",
    "la",
    "del",
    "da",
    "das",
    "do",
    "dos",
    "di",
    "du",
    "le",
    "van",
    "von",
    "der",
    "den",
    "ten",
    "ter",
    "y",
    "e",
    "st",
    "bin",
    "ibn",
    "al",
    "el",
}


@dataclass(frozen=True)
class Student:
    """One roster row."""

    student_id: str
    first: str
    last: str
    preferred: str = ""
    email: str = ""
    grade: str = ""
    status: str = ""
    exit_date: date | None = None

    @property
    def name(self) -> str:
        return f"{self.preferred or self.first} {self.last}".strip()


@dataclass(frozen=True)
class TagInput:
    """What tagging looks at: the forwarder's note, the originals' texts and participants
    (`names[i]` is the display name that came with `addresses[i]`)."""

    note: str
    texts: tuple[str, ...]
    addresses: tuple[str, ...]
    names: tuple[str, ...] = ()


def fold(word: str) -> str:
    """Lower-case, accents removed, possessive dropped: how names are compared."""
    word = _POSSESSIVE.sub("", word)
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace(_APOSTROPHE, "'")


def _words(text: str) -> list[str]:
    return [fold(w) for w in _WORD.findall(text)]


@dataclass(frozen=True)
class _Token:
    folded: str
    exact: str  # case-folded with its accents: tells "Hernández" from "Hernandez"
    capitalised: bool
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    return [
        _Token(
            fold(m.group()),
            _POSSESSIVE.sub("", m.group()).casefold(),
            m.group()[:1].isupper(),
            m.start(),
            m.end(),
        )
        for m in _WORD.finditer(text[:_MAX_TEXT])
    ]


@dataclass(frozen=True)
class _Mention:
    """A name written in a text, and the students it could be."""

    ids: frozenset[str]
    exact: tuple[str, ...]
    written: str
    source: str


def _grades(text: str) -> set[str]:
    """Grades a text mentions: "grade 3", "3rd grade", "kindergarten"."""
    found = {str(int(g)) for g in _GRADE.findall(text) for g in g if g}
    if _KINDERGARTEN.search(text):
        found.add("K")
    return found


def _grade(value: str) -> str:
    value = value.strip().upper()
    if value.isdigit():
        return str(int(value))
    return "K" if value.startswith("K") else value


class Tagger:
    """A roster compiled for matching; build once per roster version."""

    def __init__(self, students: Iterable[Student]) -> None:
        self.students = {s.student_id: s for s in students}
        self._names: dict[tuple[str, ...], set[str]] = {}
        self._reversed: dict[tuple[str, ...], set[str]] = {}  # "Last, First"
        self._exact: dict[str, set[tuple[str, ...]]] = {}  # id -> its names, accents kept
        self._given: dict[str, set[str]] = {}  # one-word first or preferred name -> ids
        self._surname: dict[str, tuple[str, ...]] = {}
        self._emails: dict[str, str] = {}
        self._longest = 1
        for s in self.students.values():
            last = tuple(_words(s.last))
            if not last:
                continue
            self._surname[s.student_id] = last
            exact_last = tuple(w.casefold() for w in _WORD.findall(s.last))
            for given in {s.first, s.preferred} - {""}:
                first = tuple(_words(given))
                if not first:
                    continue
                exact_first = tuple(w.casefold() for w in _WORD.findall(given))
                self._names.setdefault(first + last, set()).add(s.student_id)
                self._reversed.setdefault(last + first, set()).add(s.student_id)
                self._exact.setdefault(s.student_id, set()).update(
                    {exact_first + exact_last, exact_last + exact_first}
                )
                self._longest = max(self._longest, len(first) + len(last))
                if len(first) == 1 and first[0] not in _COMMON_WORDS:
                    self._given.setdefault(first[0], set()).add(s.student_id)
            if s.email:
                self._emails[s.email.strip().lower()] = s.student_id

    def _ids_in(self, text: str) -> set[str]:
        return {m.group(1) for m in _ID.finditer(text[:_MAX_TEXT]) if m.group(1) in self.students}

    def _mentions(self, text: str, source: str) -> list[_Mention]:
        """The names written in `text` (as names: capitalised, not a place)."""
        tokens = _tokens(text)
        found: list[_Mention] = []
        i = 0
        while i < len(tokens):
            matched = 0
            for n in range(min(self._longest, len(tokens) - i), 1, -1):
                window = tokens[i : i + n]
                if not (window[0].capitalised and window[-1].capitalised) or not all(
                    t.capitalised or t.folded in _PARTICLES for t in window
                ):
                    continue
                gaps = [text[a.end : b.start] for a, b in itertools.pairwise(window)]
                key = tuple(t.folded for t in window)
                ids = self._names.get(key) if all(_SPACE.match(g) for g in gaps) else None
                if ids is None and key in self._reversed:
                    # "Doherty, Liam": only with the comma between surname and given name.
                    commas = [g.strip() for g in gaps]
                    if commas.count(",") == 1 and all(c in ("", ",") for c in commas):
                        ids = self._reversed[key]
                if not ids:
                    continue
                following = tokens[i + n].folded if i + n < len(tokens) else ""
                before = tokens[i - 1] if i > 0 else None
                place = following in _PLACE_WORDS or (
                    before is not None
                    and before.folded in ("at", "the")
                    and not before.capitalised
                    and key[0] in _COMMON_WORDS
                )
                if not place:
                    written = text[window[0].start : window[-1].end]
                    found.append(
                        _Mention(frozenset(ids), tuple(t.exact for t in window), written, source)
                    )
                matched = n
                break
            i += matched or 1
        return found

    def _present(self, texts: Iterable[str]) -> set[tuple[str, ...]]:
        """Every run of one to three capitalised words in `texts` (surnames to look for)."""
        runs: set[tuple[str, ...]] = set()
        for text in texts:
            tokens = _tokens(text)
            for i, t in enumerate(tokens):
                if not t.capitalised:
                    continue
                for n in range(1, 4):
                    window = tokens[i : i + n]
                    if len(window) == n and window[-1].capitalised:
                        runs.add(tuple(w.folded for w in window))
        return runs

    def tag(self, item: TagInput) -> dict[str, str]:
        """Student id -> the strongest source that tagged it."""
        tags: dict[str, str] = {}

        def add(student_id: str, source: str) -> None:
            if student_id not in tags or _STRENGTH[source] < _STRENGTH[tags[student_id]]:
                tags[student_id] = source

        for student_id in self._ids_in(item.note):
            add(student_id, EXPLICIT)
        for address in item.addresses:
            owner = self._emails.get(address.strip().lower())
            if owner:
                add(owner, ADDRESS)
        for text in item.texts:
            for student_id in self._ids_in(text):
                add(student_id, NAME)
        # Adults in the conversation who share a student's name are not that student.
        adults = {
            fold(n.strip())
            for n, a in zip(item.names, item.addresses, strict=False)
            if n.strip() and a.strip().lower() not in self._emails
        }
        grades = set().union(*(_grades(t) for t in (item.note, *item.texts)))
        mentions = self._mentions(item.note, EXPLICIT)
        for text in item.texts:
            mentions += self._mentions(text, NAME)
        for m in mentions:
            if fold(m.written) in adults:
                continue
            ids = set(m.ids)
            if len(ids) > 1:  # a shared name: the spelling, a grade or the message decides
                ids = {i for i in ids if m.exact in self._exact.get(i, set())} or ids
            if len(ids) > 1:
                ids = {i for i in ids if _grade(self.students[i].grade) in grades} or ids
            if len(ids) > 1:
                ids = ids & tags.keys() or ids
            if len(ids) == 1:
                add(next(iter(ids)), m.source)
        self._given_names(item, adults, add)
        return tags

    def _given_names(self, item: TagInput, adults: set[str], add: Any) -> None:
        """A first name alone is not enough; a first name and the family's surname written in
        the same message ("her brother Ethan" in a message from Mrs. Chen) are."""
        present = self._present((item.note, *item.texts, *item.names))
        for text, source in ((item.note, EXPLICIT), *((t, NAME) for t in item.texts)):
            for token in _tokens(text):
                if not token.capitalised or token.folded not in self._given:
                    continue
                ids = {
                    i
                    for i in self._given[token.folded]
                    if self._surname[i] in present
                    and f"{token.folded} {' '.join(self._surname[i])}" not in adults
                }
                if len(ids) == 1:
                    add(next(iter(ids)), source)
                # Several fit: if one is already tagged the name is most likely that one;
                # otherwise it cannot be told, and nobody is tagged.
