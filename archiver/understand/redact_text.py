"""Finding the text a redaction removes, and removing it: pure, no keys, no database.

A redaction names a string ("Liam Doherty") that must not appear in anything produced. It is
found however the text happens to write it: in any case, with or without accents ("Nguyen"
finds "Nguyễn" and the reverse), typographic apostrophes, broken across a line (also in a
quoted reply: "Liam\\n> Doherty") or by soft hyphens and zero-width characters, and
followed by a possessive ("Liam's"). It is found only as whole words: "Liam" is not in
"William". Matching works on a normalised copy of the text that remembers, for each of its
characters, where it came from, so every span found is a span of the original text.

Every pattern here is linear in the text's length (no nested quantifiers that can
backtrack), so a hostile 200 KB line costs what an ordinary one does.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Characters that are not there for matching: soft hyphen, zero-width space, joiners, word
# joiner, the byte-order mark.
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")
_APOSTROPHES = frozenset("'\u2018\u2019\u02bc\u2032\u0060\u00b4")
# Letters Unicode does not decompose into a base letter and an accent.
_LETTERS = {
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "ø": "o",
    "æ": "ae",
    "œ": "oe",
    "ħ": "h",
    "\u0131": "i",  # dotless i
    "þ": "th",
}


@dataclass(frozen=True)
class Normalised:
    """A text as matching reads it: `text`, and for each of its characters the span of the
    original it came from (`starts[i]`, `ends[i]`)."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]


@functools.lru_cache(maxsize=4096)
def _fold(ch: str) -> str:
    """One character as compared: case folded, accents gone, apostrophes and dashes one."""
    if ch in _APOSTROPHES:
        return "'"
    if unicodedata.category(ch) == "Pd":
        return "-"
    out = []
    for c in unicodedata.normalize("NFKD", ch.casefold()):
        if unicodedata.combining(c):
            continue
        out.append(_LETTERS.get(c, c))
    return "".join(out)


def normalised(text: str) -> Normalised:
    """`text` normalised for matching, with where each character came from. A run of white
    space (with the `>` quote markers that follow a line break in it) becomes one space; a
    line break right after a hyphen disappears ("Tkachenko-\\nOyelaran"); invisible
    characters and combining accents belong to the character before them."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            j, broken = i, False
            while j < n and (text[j].isspace() or (broken and text[j] == ">")):
                broken = broken or text[j] in "\n\r\u2028\u2029\x0b\x0c\x85"
                j += 1
            if chars and not (broken and chars[-1] == "-"):
                chars.append(" ")
                starts.append(i)
                ends.append(j)
            elif chars:
                ends[-1] = j
            i = j
            continue
        folded = "" if ch in _INVISIBLE else _fold(ch)
        if not folded or folded.isspace():
            if chars:
                ends[-1] = i + 1  # an accent or invisible character: part of the one before
            i += 1
            continue
        for c in folded:
            chars.append(c)
            starts.append(i)
            ends.append(i + 1)
        i += 1
    return Normalised("".join(chars), tuple(starts), tuple(ends))


def normalise(text: str) -> str:
    """`text` as matching compares it: case folded, accents removed, apostrophes and dashes
    unified, white space (and quote markers after a line break) one space, invisible
    characters dropped."""
    return normalised(text).text.strip()


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


_ADDRESS_CHARS = frozenset("._%+-")


def find_in(norm: Normalised, target: str) -> list[tuple[int, int]]:
    """`find_spans` on a text already normalised (several targets, one normalisation)."""
    want = normalise(target)
    if not want:
        return []
    text = norm.text
    address = "@" in want
    out: list[tuple[int, int]] = []
    k = text.find(want)
    while k >= 0:
        end = k + len(want)
        before = text[k - 1] if k else " "
        after = text[end] if end < len(text) else " "
        edge_before = _word(want[0]) and (_word(before) or (address and before in _ADDRESS_CHARS))
        edge_after = _word(want[-1]) and _word(after)
        if not edge_before and not edge_after:
            out.append((norm.starts[k], norm.ends[end - 1]))
        k = text.find(want, k + 1)
    return out


def find_spans(text: str, target: str) -> list[tuple[int, int]]:
    """The spans (start, end) of `text` where `target` is written, as whole words, in order.
    Case, accents, apostrophes, white space between words (line breaks and quote markers
    included), soft hyphens and zero-width characters do not matter; a possessive after it
    ("Liam's") is outside the span. An empty target finds nothing."""
    return find_in(normalised(text), target)


def redact(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """`text` with each span (start, end, exemption code) replaced by `[REDACTED code]`.
    Spans that overlap or touch become one, naming each code once ("[REDACTED 26a, 10B]").
    Raises ValueError for a span outside the text or ending before it starts."""
    merged: list[tuple[int, int, list[str]]] = []
    for start, end, code in sorted(spans, key=lambda s: (s[0], s[1])):
        if not 0 <= start <= end <= len(text):
            raise ValueError(f"span ({start}, {end}) is outside a text of {len(text)} characters")
        if start == end:
            continue
        if merged and start <= merged[-1][1]:
            last = merged[-1]
            codes = last[2] if code in last[2] else [*last[2], code]
            merged[-1] = (last[0], max(last[1], end), codes)
        else:
            merged.append((start, end, [code]))
    out, at = [], 0
    for start, end, codes in merged:
        out.append(text[at:start])
        out.append(f"[REDACTED {', '.join(codes)}]")
        at = end
    out.append(text[at:])
    return "".join(out)


def nth(spans: Sequence[tuple[int, int]], occurrence: int | None) -> list[tuple[int, int]]:
    """Every span (`occurrence` None), or the one numbered `occurrence` (from 1), if there."""
    if occurrence is None:
        return list(spans)
    return [spans[occurrence - 1]] if 0 < occurrence <= len(spans) else []


# Patterns the suggestions look for. Each has fixed or bounded parts only, anchored by
# look-behinds, so no text makes it backtrack more than a few characters per position.
PHONE = re.compile(
    r"(?<![\w+(.-])"
    r"(?:\+?1[ .-]?)?"
    r"(?:\(\d{3}\)[ ]?|\d{3}[ .-])"
    r"\d{3}[ .-]\d{4}"
    r"(?!\d|-\d)"
)
SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?!\d|-\d)")
EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+"
)


def id_pattern(ids: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern for strings shaped like the roster's student ids ("104233": six digits;
    "S0042": a letter and four digits), whole words only; None when there are no ids of at
    least four characters (shorter shapes find every small number)."""
    shapes = set()
    for student_id in ids:
        s = student_id.strip()
        if len(s) < 4 or not s.isascii() or not s.isalnum():
            continue
        parts = []
        for m in re.finditer(r"[0-9]+|[A-Za-z]+", s):
            run = m.group()
            cls = r"\d" if run.isdigit() else "[A-Za-z]"
            parts.append(f"{cls}{{{len(run)}}}")
        shapes.add("".join(parts))
    if not shapes:
        return None
    alternatives = "|".join(sorted(shapes, key=lambda p: (-len(p), p)))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


def find_pattern(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str]]:
    """Every match of `pattern` in `text`: (start, end, the text matched)."""
    return [(m.start(), m.end(), m.group()) for m in pattern.finditer(text)]
