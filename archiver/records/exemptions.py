"""Public-records exemptions: the codes a withholding may cite, and what the letter says of each.

The exemptions are data (DESIGN.md section 9.3): `config/exemptions/massachusetts.toml`,
package data `archiver.exemptions`, one `[[exemptions]]` table per code (26a, 26c, 26d, 26e,
26f, 26n, acp, 10B) with its citation, title and the sentence the written response uses to
explain a withholding under it. An exemption that rests on other laws (26a: FERPA, the student
records law, the special education law) lists them under `statutes`, and its sentence says
`{statute}` where the ones a decision names go.

Pure: no database, no keys. Loading checks the whole file and names every problem with its file
and entry, as the retention schedule does; looking up a code the file does not have is a usage
error listing the codes it does have.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver.errors import ConfigError, UsageError
from archiver.records.datafile import parse_toml, read_data_file, text_problem

BUILT_IN = "massachusetts"
STATUTE = "{statute}"  # where an exemption's sentence names the statutes a decision cites
_PACKAGE = "archiver.exemptions"  # config/exemptions, installed as package data
_NOUN = "exemptions"
_KEYS = ("code", "citation", "title", "letter", "statutes")
_REQUIRED = ("code", "citation", "title", "letter")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")
_STATUTE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class Exemption:
    """One exemption: `code` (what a decision names), the law it rests on, what it covers, and
    the letter's sentence. `statutes` are the laws it may name, (key, the letter's words for
    it), in the file's order; empty for an exemption that rests on no other law."""

    code: str
    citation: str
    title: str
    letter: str
    statutes: tuple[tuple[str, str], ...] = ()

    @property
    def statute_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.statutes)

    def explain(self, statutes: Sequence[str] = ()) -> str:
        """The sentence explaining a withholding under this exemption.

        `statutes` are keys of `self.statutes`, the laws the decision relies on (joined with
        "and"); none given names every law the exemption may rest on (joined with "or").
        UsageError for a key it does not know, or for any key when it rests on no other law.
        """
        if not self.statutes:
            if statutes:
                raise UsageError(
                    f"exemption {self.code} names no statutes; leave the statute out "
                    f"(given: {', '.join(statutes)})"
                )
            return self.letter
        words = dict(self.statutes)
        unknown = [s for s in statutes if s not in words]
        if unknown:
            raise UsageError(
                f"exemption {self.code} has no statute {', '.join(map(repr, unknown))} "
                f"(statutes: {', '.join(self.statute_keys)})"
            )
        if statutes:
            chosen = [words[s] for s in dict.fromkeys(statutes)]  # once each, in given order
            return self.letter.replace(STATUTE, _join(chosen, "and"))
        return self.letter.replace(STATUTE, _join(list(words.values()), "or"))


def _join(items: list[str], conjunction: str) -> str:
    """`items` as a phrase: a; a and b; a, b and c (or "or" for "and")."""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conjunction} {items[-1]}"


@dataclass(frozen=True)
class Exemptions:
    """A loaded, checked set of exemptions, in the file's order; `source` names the file."""

    source: str
    entries: tuple[Exemption, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.entries)

    def __iter__(self) -> Iterator[Exemption]:
        return iter(self.entries)

    def get(self, code: str) -> Exemption:
        """The exemption `code` (case does not matter: 26A is 26a); UsageError (exit 2) listing
        the known codes."""
        wanted = code.strip().casefold()
        for e in self.entries:
            if e.code.casefold() == wanted:
                return e
        raise UsageError(
            f"unknown exemption {code!r} (exemptions in {self.source}: {', '.join(self.codes)})"
        )


def _statutes(key: str, raw: Any, found: list[str]) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict) or not raw:
        found.append(f"{key}.statutes: must be a table of short names and their words")
        return ()
    out = []
    for name, words in raw.items():
        if not _STATUTE_KEY.match(name):
            found.append(f"{key}.statutes: {name!r} is not a short name (letters, digits, '-')")
        problem = text_problem(words)
        if problem:
            found.append(f"{key}.statutes.{name}: {problem}")
        out.append((name, words))
    return tuple(out)


def _entry(i: int, raw: Any, problems: list[str]) -> Exemption | None:
    """Exemption number `i` from its table, appending every problem; None if it has any."""
    code = raw.get("code") if isinstance(raw, dict) else None
    key = f"exemptions[{i}]" + (f" ({code})" if isinstance(code, str) and code else "")
    if not isinstance(raw, dict):
        problems.append(f"{key}: must be a table ([[exemptions]])")
        return None
    found: list[str] = [
        f"{key}: unknown key {k!r} (an exemption has {', '.join(_KEYS)})"
        for k in raw
        if k not in _KEYS
    ]
    found += [f"{key}.{k}: missing" for k in _REQUIRED if k not in raw]
    if "code" in raw and not (isinstance(code, str) and _CODE.match(code)):
        found.append(f"{key}.code: {code!r} is not a code (letters, digits, '-', '_')")
    for k in ("citation", "title", "letter"):
        problem = text_problem(raw[k]) if k in raw else None
        if problem:
            found.append(f"{key}.{k}: {problem}")
    statutes = _statutes(key, raw["statutes"], found) if "statutes" in raw else ()
    letter = raw.get("letter")
    if isinstance(letter, str) and "statutes" in raw and STATUTE not in letter:
        found.append(f"{key}.letter: must say {STATUTE} where the statutes it names go")
    elif isinstance(letter, str) and "statutes" not in raw and STATUTE in letter:
        found.append(f"{key}.letter: says {STATUTE} but the exemption has no statutes")
    problems += found
    if found:
        return None
    return Exemption(
        code=raw["code"],
        citation=raw["citation"],
        title=raw["title"],
        letter=raw["letter"],
        statutes=statutes,
    )


def _parse(label: str, data: bytes) -> tuple[Exemptions | None, list[str]]:
    """The exemptions in `data`, or None and every problem (each prefixed with `label`)."""
    doc, problems = parse_toml(label, data)
    if doc is None:
        return None, problems
    problems += [
        f"unknown top-level key {k!r} (the file has [[exemptions]] tables)"
        for k in doc
        if k != "exemptions"
    ]
    raw_entries = doc.get("exemptions", [])
    if not isinstance(raw_entries, list):
        problems.append("exemptions: must be tables ([[exemptions]])")
        raw_entries = []
    elif not raw_entries:
        problems.append("no exemptions: the file needs at least one [[exemptions]] table")
    entries: list[Exemption] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_entries):
        entry = _entry(i, raw, problems)
        code = raw.get("code") if isinstance(raw, dict) else None
        if isinstance(code, str):
            if code.casefold() in seen:
                problems.append(
                    f"exemptions[{i}] ({code}).code: {code!r} is used by another exemption "
                    "(codes are compared regardless of case)"
                )
                entry = None
            seen.add(code.casefold())
        if entry is not None:
            entries.append(entry)
    if problems:
        return None, [f"{label}: {p}" for p in problems]
    return Exemptions(source=label, entries=tuple(entries)), []


def load_exemptions(path: Path | None = None) -> Exemptions:
    """The exemptions at `path`, or the shipped Massachusetts ones if None.

    Raises ConfigError (exit 2) listing every problem, each naming the file and the entry, e.g.
    "x.toml: exemptions[2] (26d).letter: missing".
    """
    label, data, problems = read_data_file(path, _PACKAGE, BUILT_IN, _NOUN)
    if data is None:
        raise ConfigError(problems)
    exemptions, problems = _parse(label, data)
    if exemptions is None:
        raise ConfigError(problems)
    return exemptions
