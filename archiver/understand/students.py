"""Which students a message concerns, matched against the roster.

Tag sources, strongest first:
- `explicit`: the forwarder's own note names a student by full name, preferred name and last
  name, or student id;
- `address`: a student's school address is among the original's participants;
- `name`: a student's full (or preferred + last) name, or id, appears in an original's subject
  or body (an id in the text of a message that is not a forward is `explicit`: its writer
  wrote it);
- `context`: a first name written alone, with the family's surname elsewhere in the message
  (a parent's signature or display name): weaker, listed by `tags review` to confirm.
A first name alone never tags. A name that belongs to one of the message's own people (the
forwarder, the original's sender or recipients, by their display names) is that person, unless
a student id, a student address or "my son Carlos" says otherwise. Names must be written
capitalised as names ("Will Price", not
"will price the trip"). A name shared by two students tags neither, unless something else in
the same message (an id, an address) says which one. Possessives ("Liam Doherty's mom") and
"Last, First" count.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

EXPLICIT = "explicit"
ADDRESS = "address"
NAME = "name"
CONTEXT = "context"
MANUAL = "manual"
_STRENGTH = {MANUAL: 0, EXPLICIT: 1, ADDRESS: 2, NAME: 3, CONTEXT: 4}
SOURCES = (EXPLICIT, ADDRESS, NAME, CONTEXT, MANUAL)

_APOSTROPHE = "\u2019"  # the typographic apostrophe, as in "Doherty\u2019s"
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_ID = re.compile(r"(?<![\w-])(\d{4,12})(?![\w-])")
_POSSESSIVE = re.compile(r"['\u2019]s$", re.IGNORECASE)
_MAX_TEXT = 512 * 1024
# "Grace E. Bell": a middle initial between two names (blanked out, so offsets keep).
_MIDDLE_INITIAL = re.compile(r"(?<=[^\W\d_] )[A-Z]\.?[ \t]+(?=[A-Z])")
# "Sofia and Thiago Almeida", "Ana, Luis y Pedro Gómez": given names sharing one surname.
_AND = re.compile(
    r"^(?:[ \t]*[,&][ \t]*|[ \t]*,?[ \t]+(?:and|&|y|e|et|und)[ \t]+|[ \t]*,[ \t]*&[ \t]*)$"
)
_CONJUNCTIONS = {"and", "y", "e", "et", "und"}
# A writer who is a parent: their own name is not their child's.
_PARENT = re.compile(
    r"(?i)\b(?:my|our)\s+(?:son|daughter|child|children|kids?|boys?|girls?|stepson|"
    r"stepdaughter)\b"
)
# "my son Carlos": a parent saying who the child is.
_CHILD = re.compile(
    r"(?i)\b(?:my|our)\s+(?:son|daughter|child|kid|boy|girl|stepson|stepdaughter|grandson|"
    r"granddaughter)(?:,)?\s+([^\W\d_]+)"
)
_SPACE = re.compile(r"^[ \t]*\r?\n?[ \t>]*$|^\s$")  # within a name: spaces, at most a line break
_GRADE = re.compile(r"(?i)\bgrade\s+(\d{1,2})\b|\b(\d{1,2})(?:st|nd|rd|th)[\s-]+grade")
_KINDERGARTEN = re.compile(r"(?i)\bkindergarten|\bkinder\b")
_AGE = re.compile(r"(?i)\b(?:age|aged)\s+(\d{1,2})\b|\b(\d{1,2})[ -]years?[ -]old\b")
_GRADE_WORDS: dict[tuple[str, ...], set[str]] = {
    ("freshman",): {"9"},
    ("sophomore",): {"10"},
    ("high school", "varsity", " jv "): {"9", "10", "11", "12"},
    ("middle school",): {"6", "7", "8"},
    ("elementary",): {"K", "1", "2", "3", "4", "5"},
}
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
class StaffMember:
    """One row of the district's staff directory: a person whose name is never a student's
    (unless the message says so), and whose addresses make them one of a message's people."""

    staff_id: str  # the HR id, or the school address when the export has none
    first: str
    last: str
    email: str = ""  # the school address
    personal: tuple[str, ...] = ()  # personal addresses, where known
    title: str = ""

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}".strip()

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(a for a in (self.email, *self.personal) if a)


@dataclass(frozen=True)
class TagInput:
    """What tagging looks at: the forwarder's note, the originals' texts and participants
    (`names[i]` is the display name that came with `addresses[i]`)."""

    note: str
    texts: tuple[str, ...]
    addresses: tuple[str, ...]
    names: tuple[str, ...] = ()
    direct: bool = False  # the message is not a forward: its text is its writer's own
    forwarder: str = ""  # the display name of who forwarded it (staff: never a student)


@functools.lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Lower-case, accents removed, possessive dropped: how names are compared."""
    word = _POSSESSIVE.sub("", word)
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace(_APOSTROPHE, "'")


def _words(text: str) -> list[str]:
    return [fold(w) for w in _WORD.findall(text)]


def name_key(text: str) -> tuple[str, ...]:
    """A name's words folded, hyphens as spaces ("Fritz-Gerald" is "fritz gerald")."""
    return tuple(w for word in _words(text) for w in word.split("-") if w)


def full_names(s: Student) -> set[tuple[str, ...]]:
    """A student's full names as compared: first or preferred, then last, either way round."""
    last = name_key(s.last)
    out: set[tuple[str, ...]] = set()
    for given in {s.first, s.preferred} - {""}:
        first = name_key(given)
        out |= {first + last, last + first}
    return out


def find_students(students: Iterable[Student], query: str) -> list[Student]:
    """The students a name finds, accents and case folded: those with it as their full name
    (first or preferred and last, either way round, "Last, First" too) if any, else those
    with every word of it among their names ("sofia", "almeida", "Sofia Almeida")."""
    words = name_key(query)
    if not words:
        return []
    pool = list(students)
    exact = [s for s in pool if words in full_names(s)]
    if exact:
        return exact
    return [
        s
        for s in pool
        if set(words) <= {w for part in (s.first, s.preferred, s.last) for w in name_key(part)}
    ]


class _Token(NamedTuple):  # a NamedTuple: made once per word of every message, so cheap
    folded: str
    exact: str  # case-folded with its accents: tells "Hernández" from "Hernandez"
    capitalised: bool
    start: int
    end: int


@functools.lru_cache(maxsize=65536)
def _exact(word: str) -> str:
    return _POSSESSIVE.sub("", word).casefold()


@functools.lru_cache(maxsize=65536)
def _forms(word: str) -> tuple[str, str, bool]:
    """A word as a token has it (folded, exact, capitalised): one cache lookup a word."""
    return fold(word), _exact(word), word[:1].isupper()


@functools.lru_cache(maxsize=64)
def _tokens(text: str) -> list[_Token]:
    """The words of a text (cached: one message's texts are read by several rules)."""
    return [_Token(*_forms(m.group()), *m.span()) for m in _WORD.finditer(text[:_MAX_TEXT])]


@dataclass(frozen=True)
class _Mention:
    """A name written in a text, and the students it could be."""

    ids: frozenset[str]
    exact: tuple[str, ...]
    written: str
    source: str
    text: str
    start: int
    end: int


class _Grades(NamedTuple):
    """Grades a message points to: `specific` ("grade 3", "age 8", "freshman") before
    `general` ("high school", "varsity", a teacher's title): a camp form saying "age 8" to a
    varsity coach is about the eight-year-old."""

    specific: set[str]
    general: set[str]

    def narrow(self, ids: set[str], grade_of: dict[str, str]) -> set[str]:
        for grades in (self.specific, self.general):
            if len(ids) > 1 and grades:
                ids = {i for i in ids if grade_of[i] in grades} or ids
        return ids


def _grades(text: str) -> _Grades:
    """Grades a text points to: "grade 3", "3rd grade", "kindergarten", "freshman", "age 8";
    and, more loosely, "high school", "varsity", "elementary"."""
    found = {str(int(g)) for g in _GRADE.findall(text) for g in g if g}
    for pair in _AGE.findall(text):
        age = int(next(a for a in pair if a))
        if 5 <= age <= 18:
            found.add(str(age - 5) if age > 5 else "K")
    if _KINDERGARTEN.search(text):
        found.add("K")
    general: set[str] = set()
    lowered = f" {text.lower()} "
    for words, grades in _GRADE_WORDS.items():
        if any(w in lowered for w in words):
            (found if len(grades) == 1 else general).update(grades)
    return _Grades(found, general)


def _initial(text: str, start: int) -> bool:
    """Whether the word at `start` begins a sentence or a line (capitalised for that alone)."""
    i = start - 1
    while i >= 0 and text[i] in " \t>\u00a0":
        i -= 1
    return i < 0 or text[i] in '\n.!?:;"\u201c(-*\u2022'


def _in_full_name(text: str, tokens: list[_Token], k: int) -> bool:
    """Whether token k stands next to another capitalised word on the same line."""
    for j in (k - 1, k + 1):
        if 0 <= j < len(tokens) and tokens[j].capitalised:
            a, b = (tokens[j], tokens[k]) if j < k else (tokens[k], tokens[j])
            if re.fullmatch(r"[ \t]+", text[a.end : b.start]):
                return True
    return False


def _grade(value: str) -> str:
    value = value.strip().upper()
    if value.isdigit():
        return str(int(value))
    return "K" if value.startswith("K") else value


def _name_forms(first: str, last: str) -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The ways a person's name is written, as (folded, exact) word tuples: first and last,
    the first given name alone with the last, and "Last First" (written "Last, First")."""
    given = [w for w in _WORD.findall(first)]
    surname = [w for w in _WORD.findall(last)]
    if not given or not surname:
        return set()
    out = set()
    for g in {tuple(given), (given[0],)}:
        for words in ((*g, *surname), (*surname, *g)):
            out.add((tuple(fold(w) for w in words), tuple(_exact(w) for w in words)))
    return out


# "Student: Sophia Lopes (gr 12)": a line that says whom it is about, in the languages of the
# district's families.
_LABEL = re.compile(
    r"(?i)^[ \t>*\-\u2022]*(?:students?|student name|pupil|aluno|aluna|alunos|alumno|alumna|"
    r"alumnos|estudiante|estudiantes|estudante|estudantes|[ée]l[èe]ve|el[èe]v|h[oọ]c sinh)"
    r"[ \t]*:[ \t]*$"
)


def _labelled(m: _Mention) -> bool:
    """Whether a name stands on a "Student:" line, right after the label (or a list of names
    after it)."""
    line = m.text.rfind("\n", 0, m.start) + 1
    before = m.text[line : m.start]
    label, colon, names = before.partition(":")
    return bool(colon) and bool(_LABEL.match(label + ":")) and not re.search(r"[.!?]", names)


class Tagger:
    """A roster compiled for matching; build once per roster version."""

    def __init__(self, students: Iterable[Student], staff: Iterable[StaffMember] = ()) -> None:
        self.students = {s.student_id: s for s in students}
        self._grade_of = {i: _grade(s.grade) for i, s in self.students.items()}
        self._names: dict[tuple[str, ...], set[str]] = {}
        self._reversed: dict[tuple[str, ...], set[str]] = {}  # "Last, First"
        self._exact: dict[str, set[tuple[str, ...]]] = {}  # id -> its names, accents kept
        self._given: dict[str, set[str]] = {}  # one-word first or preferred name -> ids
        self._surname: dict[str, tuple[str, ...]] = {}
        self._exact_surname: dict[str, tuple[str, ...]] = {}
        self._emails: dict[str, str] = {}
        self._longest = 1
        self._starts: set[str] = set()  # words a name can begin with
        self._surname_starts: set[str] = set()
        for s in self.students.values():
            last = tuple(_words(s.last))
            if not last:
                continue
            self._surname[s.student_id] = last
            exact_last = tuple(w.casefold() for w in _WORD.findall(s.last))
            self._exact_surname[s.student_id] = exact_last
            givens = {s.first, s.preferred} - {""}
            # "Fritz Gerald" for Fritz-Gerald: the hyphen is often dropped
            givens |= {g.replace("-", " ") for g in givens if "-" in g}
            for given in givens:
                first = tuple(_words(given))
                if not first:
                    continue
                exact_first = tuple(w.casefold() for w in _WORD.findall(given))
                self._names.setdefault(first + last, set()).add(s.student_id)
                self._reversed.setdefault(last + first, set()).add(s.student_id)
                self._starts |= {first[0], last[0]}
                self._surname_starts.add(last[0])
                self._exact.setdefault(s.student_id, set()).update(
                    {exact_first + exact_last, exact_last + exact_first}
                )
                self._longest = max(self._longest, len(first) + len(last))
                if len(first) == 1:
                    self._given.setdefault(first[0], set()).add(s.student_id)
            if s.email:
                self._emails[s.email.strip().lower()] = s.student_id
        # the district's domains: the students' and the one above it (staff)
        self._school_domains: set[str] = set()
        for email in self._emails:
            domain = email.rpartition("@")[2]
            self._school_domains.add(domain)
            if domain.count(".") >= 2:
                self._school_domains.add(domain.partition(".")[2])
        # Staff: their names are theirs, not a namesake student's; their addresses make them
        # one of a message's people. A student's own account in a directory export is not staff.
        self._staff_by_address: dict[str, StaffMember] = {}
        self._staff_names: dict[tuple[str, ...], set[tuple[str, ...]]] = {}  # folded -> exact
        self._staff_by_name: dict[tuple[str, ...], list[StaffMember]] = {}
        for member in staff:
            if any(a in self._emails for a in member.addresses):
                continue
            for address in member.addresses:
                self._staff_by_address[address] = member
            for folded, exact in _name_forms(member.first, member.last):
                self._staff_names.setdefault(folded, set()).add(exact)
                self._staff_by_name.setdefault(folded, []).append(member)

    def _ids_in(self, text: str) -> set[str]:
        return {m.group(1) for m in _ID.finditer(text[:_MAX_TEXT]) if m.group(1) in self.students}

    def _mentions(self, text: str, source: str) -> list[_Mention]:
        """The names written in `text` (as names: capitalised, not a place)."""
        scan = _MIDDLE_INITIAL.sub(lambda m: " " * len(m.group()), text) if text else text
        tokens = _tokens(scan)
        found: list[_Mention] = []
        i = 0
        while i < len(tokens):
            matched = 0
            if tokens[i].folded not in self._starts:
                i += 1
                continue
            for n in range(min(self._longest, len(tokens) - i), 1, -1):
                window = tokens[i : i + n]
                if not (window[0].capitalised and window[-1].capitalised) or not all(
                    t.capitalised or t.folded in _PARTICLES for t in window
                ):
                    continue
                gaps = [scan[a.end : b.start] for a, b in itertools.pairwise(window)]
                key = tuple(t.folded for t in window)
                ids = self._names.get(key) if all(_SPACE.match(g) for g in gaps) else None
                if ids is None and key in self._reversed:
                    # "Doherty, Liam": only with the comma between surname and given name.
                    commas = [g.strip() for g in gaps]
                    if commas.count(",") == 1 and all(c in ("", ",") for c in commas):
                        ids = self._reversed[key]
                if not ids:
                    continue
                # "Rose Hill Road": the place word right after the name, not after a dash
                # or a possessive ("Maeve Kelly - library book", "Maeve Kelly's library")
                nxt = tokens[i + n] if i + n < len(tokens) else None
                following = (
                    nxt.folded
                    if nxt is not None
                    and re.fullmatch(r"[ \t]+", scan[window[-1].end : nxt.start])
                    and not _POSSESSIVE.search(scan[window[-1].start : window[-1].end])
                    else ""
                )
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
                        _Mention(
                            frozenset(ids),
                            tuple(t.exact for t in window),
                            written,
                            source,
                            text,
                            window[0].start,
                            window[-1].end,
                        )
                    )
                    found += self._coordinated(scan, tokens, i, ids, source, text)
                matched = n
                break
            i += matched or 1
        return found

    def _coordinated(
        self, scan: str, tokens: list[_Token], i: int, ids: set[str], source: str, text: str
    ) -> list[_Mention]:
        """ "Sofia and Thiago Almeida": the given names before a full name, joined to it by
        "and" or commas, with its surname."""
        surname = self._surname.get(min(ids))
        out: list[_Mention] = []
        j = i
        while surname and j > 0:
            k = j - 1
            if tokens[k].folded in _CONJUNCTIONS and not tokens[k].capitalised and k > 0:
                if not _AND.match(scan[tokens[k - 1].end : tokens[j].start]):
                    break
                k -= 1
            elif not _AND.match(scan[tokens[k].end : tokens[j].start]):
                break
            prev = tokens[k]
            if not prev.capitalised:
                break
            found = self._names.get((prev.folded, *surname))
            if not found:
                break
            exact = (prev.exact, *self._exact_surname[min(found)])
            out.append(
                _Mention(frozenset(found), exact, prev.exact, source, text, prev.start, prev.end)
            )
            j = k
        return out

    def _present(self, texts: Iterable[str]) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
        """Every run of one to three capitalised words in `texts` (surnames to look for):
        (as compared, with accents kept), each counting only where not starting a sentence
        when it is an everyday word."""
        folded: set[tuple[str, ...]] = set()
        exact: set[tuple[str, ...]] = set()
        for text in texts:
            tokens = _tokens(text)
            for i, t in enumerate(tokens):
                if not t.capitalised or t.folded not in self._surname_starts:
                    continue
                if t.folded in _COMMON_WORDS and _initial(text, t.start):
                    continue
                for n in range(1, 4):
                    window = tokens[i : i + n]
                    if len(window) == n and window[-1].capitalised:
                        folded.add(tuple(w.folded for w in window))
                        exact.add(tuple(w.exact for w in window))
        return folded, exact

    def tag(self, item: TagInput) -> dict[str, str]:
        """Student id -> the strongest source that tagged it."""
        tags: dict[str, str] = {}
        if not self.students:
            return tags

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
                add(student_id, EXPLICIT if item.direct else NAME)
        own = self._own_people(item)
        children = {fold(m.group(1)) for t in (item.note, *item.texts) for m in _CHILD.finditer(t)}
        grades = self._message_grades(item)
        mentions = self._mentions(item.note, EXPLICIT)
        for text in item.texts:
            mentions += self._mentions(text, NAME)
        named: set[str] = set()  # given names of students named in full here
        for m in mentions:
            ids = set(m.ids)
            if _labelled(m):
                pass  # "Student: Sophia Lopes": whoever else has the name
            elif tuple(fold(e) for e in m.exact) in own:
                # one of the message's own people, unless "my son Carlos" says otherwise (an
                # id or a student address has tagged already)
                ids = {i for i in ids if self._given_of(i) & children}
                if not ids:
                    continue
            elif self._staff_name(m, ids):
                # a member of staff, unless "my son" says otherwise, or the grade the message
                # names in so many words is the student's and not the namesake's: "Owen
                # Parker (grade 2)" is not the high-school PE teacher. (Its teacher's grade is
                # not enough: a second-grade teacher hears of staff and students alike.)
                ids = {i for i in ids if self._given_of(i) & children} or self._not_staff(
                    m, ids, grades.specific
                )
                if not ids:
                    continue
            if len(ids) > 1:  # a shared name: the spelling, a grade or the message decides
                ids = {i for i in ids if m.exact in self._exact.get(i, set())} or ids
            ids = grades.narrow(ids, self._grade_of)
            if len(ids) > 1:
                ids = ids & tags.keys() or ids
            if len(ids) == 1:
                student = self.students[next(iter(ids))]
                add(student.student_id, m.source)
                named |= {fold(g) for g in (student.first, student.preferred) if g}
        spans = {(m.text, m.start, m.end) for m in mentions}
        self._given_names(item, add, named, spans, own, grades)
        return tags

    def _party_grades(self, item: TagInput) -> set[str]:
        """The grades the titles of the members of staff among the message's people point to
        ("Grade 2, Cunningham Elementary School")."""
        out: set[str] = set()
        for address in item.addresses:
            member = self._staff_by_address.get(address.strip().lower())
            if member is not None and member.title:
                found = _grades(member.title)
                out |= found.specific or found.general
        return out

    def _not_staff(self, m: _Mention, ids: set[str], grades: set[str]) -> set[str]:
        """The students a staff namesake's name means after all: those in a grade the message
        is about that none of the namesakes' titles points to."""
        namesakes = self._staff_by_name.get(tuple(fold(e) for e in m.exact), [])
        theirs: set[str] = set()
        for member in namesakes:
            found = _grades(member.title)
            theirs |= found.specific | found.general
        return {i for i in ids if self._grade_of[i] in grades - theirs}

    def _message_grades(self, item: TagInput) -> _Grades:
        """The grades the message's texts point to, and (loosely) the titles of the members of
        staff among its people ("Grade 3, Tucker Elementary School")."""
        specific: set[str] = set()
        general: set[str] = set()
        for text in (item.note, *item.texts):
            found = _grades(text)
            specific |= found.specific
            general |= found.general
        return _Grades(specific, general | self._party_grades(item))

    def _staff_name(self, m: _Mention, ids: set[str]) -> bool:
        """Whether a name written is a member of staff's: theirs as compared, unless written
        with the accents of a student it could be and not with the staff member's ("Kevin
        Trần" is the student, "Kevin Tran" the teacher)."""
        spellings = self._staff_names.get(tuple(fold(e) for e in m.exact))
        if not spellings:
            return False
        if m.exact in spellings:
            return True
        return not any(m.exact in self._exact.get(i, set()) for i in ids)

    def _given_of(self, student_id: str) -> set[str]:
        s = self.students[student_id]
        return {fold(g) for g in (s.first, s.preferred) if g}

    def _school(self, address: str) -> bool:
        domain = address.rpartition("@")[2]
        return any(domain == d or domain.endswith("." + d) for d in self._school_domains)

    def _own_people(self, item: TagInput) -> set[tuple[str, ...]]:
        """The names of the message's own people (forwarder, senders, recipients, by their
        display names; not a student writing from their school address), folded: the whole
        name, first and last word, and "Last, First" turned round."""
        own: set[tuple[str, ...]] = set()
        parent = any(_PARENT.search(t) for t in (item.note, *item.texts))
        people = [("", item.forwarder)] if item.forwarder else []
        for raw, name in zip(item.addresses, item.names, strict=False):
            address = raw.strip().lower()
            member = self._staff_by_address.get(address)
            if member is not None:  # staff, from any of their addresses, named or not
                people += [(address, member.name), (address, name)]
                continue
            # A student may write from a personal account under their own name; a school
            # address that is not a student's is staff's, and a parent says so ("my son").
            if name and address not in self._emails and (parent or self._school(address)):
                people.append((address, name))
        for _, written in people:
            name = written
            if name.count(",") == 1:
                last, first = name.split(",")
                name = f"{first} {last}"
            words = tuple(_words(name))
            if len(words) < 2:
                continue
            # "Ms. Kevin A. Tran" owns "Kevin Tran", "Kevin A Tran", "Tran"-ending runs
            own |= {words[a:] for a in range(len(words) - 1)}
            own |= {
                (words[a], *words[b:]) for a in range(len(words)) for b in range(a + 1, len(words))
            }
        return own

    def _given_names(
        self,
        item: TagInput,
        add: Any,
        named: set[str],
        spans: set[tuple[str, int, int]],
        own: set[tuple[str, ...]],
        grades: _Grades,
    ) -> None:
        """A first name alone is not enough; a first name and the family's surname written in
        the same message ("her brother Ethan" in a message from Mrs. Chen) are. A first name
        that is an everyday word ("Miles", "Hope") counts only inside a sentence."""
        present, exact = self._present((item.note, *item.texts, *item.names))
        for text in (item.note, *item.texts):
            tokens = _tokens(text)
            for k, token in enumerate(tokens):
                if not token.capitalised or token.folded not in self._given:
                    continue
                if token.folded in _COMMON_WORDS and _initial(text, token.start):
                    continue
                if token.folded in named or any(
                    t == text and s <= token.start < e for t, s, e in spans
                ):
                    continue  # the student named in full, or part of a full name
                if _in_full_name(text, tokens, k):
                    continue  # "Ruth Ellis", "Ellis Morgan": a surname, or someone's full name
                after = tuple(t.folded for t in tokens[k + 1 : k + 4])
                ids = {
                    i
                    for i in self._given[token.folded]
                    if self._surname[i] in present
                    # "First Last" together is a full name: matched as one, places excluded
                    and after[: len(self._surname[i])] != self._surname[i]
                    # the father Carlos Mendoza's own first name is not his son Carlos
                    and (token.folded, *self._surname[i]) not in own
                }
                if len(ids) > 1:  # "Hernández" as written tells two families apart
                    ids = {i for i in ids if self._exact_surname[i] in exact} or ids
                ids = grades.narrow(ids, self._grade_of)
                if len(ids) == 1:
                    add(next(iter(ids)), CONTEXT)
                # Several fit: it cannot be told, and nobody is tagged.
