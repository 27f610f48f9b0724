"""The stdlib parser's multipart boundary lines, found without compiling a regex per multipart.

`email.feedparser` compiles a pattern for every multipart it reads: the boundary is written
into it, so `re`'s cache never hits (each message has its own boundaries), and the compiler,
which is Python, costs about 0.12 ms a pattern: some 5% of preparing a message on the
benchmark corpus. The pattern is the boundary as a literal followed by a fixed tail, so a line
matches it exactly when it starts with the boundary and the tail (compiled once) matches from
there. `install` gives the parser a `re` whose `compile` builds that test for its boundary
pattern, recognised by its exact text, and hands every other pattern to `re` itself: a Python
whose parser writes the pattern otherwise gets the real compile, and parses the same.
"""

from __future__ import annotations

import email.feedparser
import re
import types
from typing import Any

_HEAD = "(?P<sep>"
_TAIL = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
_TAIL_RE = re.compile(_TAIL[1:])  # the tail's groups are the pattern's, less `sep`
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)  # undoes re.escape: a backslash before a character


class BoundaryMatch:
    """A boundary line matched: what the parser reads of a match (`group`), with the numbers
    and names of the full pattern's groups."""

    __slots__ = ("_separator", "_tail")

    def __init__(self, separator: str, tail: re.Match[str]) -> None:
        self._separator = separator
        self._tail = tail

    def group(self, *keys: int | str) -> Any:
        found = tuple(self._one(k) for k in keys or (0,))
        return found[0] if len(found) == 1 else found

    def _one(self, key: int | str) -> str | None:
        if key in (0, "0"):
            return self._separator + self._tail.group(0)
        if key in (1, "sep"):
            return self._separator
        return self._tail.group(key - 1 if isinstance(key, int) else key)

    def end(self) -> int:
        return self._tail.end()


class BoundaryPattern:
    """`re.compile` of the parser's boundary pattern, as far as the parser uses it (`match`)."""

    __slots__ = ("_separator", "_start", "pattern")

    def __init__(self, pattern: str, separator: str) -> None:
        self.pattern = pattern
        self._separator = separator
        self._start = len(separator)

    def match(self, line: str) -> BoundaryMatch | None:
        if not line.startswith(self._separator):
            return None
        tail = _TAIL_RE.match(line, self._start)
        return BoundaryMatch(self._separator, tail) if tail is not None else None


def compile(pattern: Any, flags: int = 0) -> Any:
    """`re.compile`, except for the parser's boundary pattern (see the module's text)."""
    if (
        flags == 0
        and isinstance(pattern, str)
        and pattern.startswith(_HEAD)
        and pattern.endswith(_TAIL)
    ):
        escaped = pattern[len(_HEAD) : -len(_TAIL)]
        separator = _ESCAPE.sub(r"\1", escaped)
        if re.escape(separator) == escaped:  # the literal re.escape wrote, and nothing else
            return BoundaryPattern(pattern, separator)
    return re.compile(pattern, flags)


# What the parser finds as `re`: the module, with this module's `compile`.
_PARSER_RE = types.SimpleNamespace(**{**vars(re), "compile": compile})


def install() -> None:
    """Give `email.feedparser` this module's `compile` in place of `re`'s."""
    vars(email.feedparser)["re"] = _PARSER_RE


def uninstall() -> None:
    """Give `email.feedparser` the real `re` back (a benchmark times the stdlib as it comes)."""
    vars(email.feedparser)["re"] = re
