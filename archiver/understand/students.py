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

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

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
    """What tagging looks at: the forwarder's note, the originals' texts and participants."""

    note: str
    texts: tuple[str, ...]
    addresses: tuple[str, ...]


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
    capitalised: bool
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    return [
        _Token(fold(m.group()), m.group()[:1].isupper(), m.start(), m.end())
        for m in _WORD.finditer(text[:_MAX_TEXT])
    ]


class Tagger:
    """A roster compiled for matching; build once per roster version."""

    def __init__(self, students: Iterable[Student]) -> None:
        self.students = {s.student_id: s for s in students}
        self._names: dict[tuple[str, ...], set[str]] = {}
        self._reversed: dict[tuple[str, ...], set[str]] = {}  # "Last, First"
        self._emails: dict[str, str] = {}
        self._longest = 1
        for s in self.students.values():
            last = tuple(_words(s.last))
            if not last:
                continue
            for given in {s.first, s.preferred} - {""}:
                first = tuple(_words(given))
                if not first:
                    continue
                self._names.setdefault(first + last, set()).add(s.student_id)
                self._reversed.setdefault(last + first, set()).add(s.student_id)
                self._longest = max(self._longest, len(first) + len(last))
            if s.email:
                self._emails[s.email.strip().lower()] = s.student_id

    def _ids_in(self, text: str) -> set[str]:
        return {m.group(1) for m in _ID.finditer(text[:_MAX_TEXT]) if m.group(1) in self.students}

    def _names_in(self, text: str) -> list[set[str]]:
        """For each name written in `text`, the students it could be."""
        tokens = _tokens(text)
        found: list[set[str]] = []
        i = 0
        while i < len(tokens):
            matched = 0
            for n in range(min(self._longest, len(tokens) - i), 1, -1):
                window = tokens[i : i + n]
                if not (window[0].capitalised and window[-1].capitalised) or not all(
                    t.capitalised or t.folded in _PARTICLES for t in window
                ):
                    continue
                key = tuple(t.folded for t in window)
                ids = self._names.get(key)
                if ids is None and key in self._reversed:
                    # "Doherty, Liam": only with the comma between surname and given name.
                    for cut in range(1, n):
                        gap = text[window[cut - 1].end : window[cut].start]
                        if gap.strip() == ",":
                            ids = self._reversed[key]
                            break
                if ids:
                    found.append(ids)
                    matched = n
                    break
            i += matched or 1
        return found

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
        candidates = [(ids, EXPLICIT) for ids in self._names_in(item.note)]
        for text in item.texts:
            candidates += [(ids, NAME) for ids in self._names_in(text)]
        for ids, source in candidates:
            if len(ids) == 1:
                add(next(iter(ids)), source)
            else:  # a shared name: only if the message names one of them otherwise
                known = ids & tags.keys()
                if len(known) == 1:
                    add(next(iter(known)), source)
        return tags
