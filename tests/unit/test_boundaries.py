"""The stdlib parser reads every message the same with boundaries.py's boundary test as with
its own compiled pattern: the same lines are boundaries, and the same tree comes out."""

from __future__ import annotations

import email
import email.message
import email.policy
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.understand import boundaries

DATA = Path(__file__).resolve().parents[1] / "data"

# The pattern email.feedparser compiles for a multipart whose boundary is `b` (Python 3.11).
_TAIL = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"

SEPARATORS = [
    "--simple",
    "----=_Part_12345_67890.1700000000000",
    "--=_(a.b)*+?[x]{2}|^$\\d",
    "--with space",
    "--Apple-Mail=_3F2A-4C1B",
    "--ünïcödé-☃",
    "----",
    "--a\\\\b",
    "--tab\there",
    "--end--",
]
TAILS = ["", "\n", "\r\n", "\r", "--", "--\n", "--\r\n", "  \t\n", "-- \r\n", "x\n", "-\n"]
TAILS += ["\n\n", " x", "--x\n", "---\n", "\t--\n", "\r\r", "--  ", "  "]


def _stdlib(separator: str) -> str:
    return "(?P<sep>" + re.escape(separator) + _TAIL


def _same(real: re.Match[str] | None, ours: boundaries.BoundaryMatch | None) -> bool:
    if real is None or ours is None:
        return real is None and ours is None
    keys = (0, 1, 2, 3, 4, "sep", "end", "ws", "linesep")
    return [real.group(k) for k in keys] == [ours.group(k) for k in keys] and (
        real.end() == ours.end() and real.group("end", "linesep") == ours.group("end", "linesep")
    )


@pytest.mark.parametrize("separator", SEPARATORS)
def test_a_line_is_a_boundary_exactly_when_the_stdlib_pattern_says_so(separator: str) -> None:
    pattern = _stdlib(separator)
    real, ours = re.compile(pattern), boundaries.compile(pattern)
    assert isinstance(ours, boundaries.BoundaryPattern)
    others = [s for s in SEPARATORS if s != separator]
    heads = [separator, separator[:-1], separator + "x", " " + separator, *others]
    for head, tail in itertools.product(heads, TAILS):
        line = head + tail
        assert _same(real.match(line), ours.match(line)), repr(line)


def test_other_patterns_are_compiled_by_re() -> None:
    assert isinstance(boundaries.compile(r"\r\n|\r|\n"), re.Pattern)
    shaped = _stdlib("--b")
    assert isinstance(boundaries.compile(shaped, re.IGNORECASE), re.Pattern)
    # Not what re.escape writes: the real compile, whose verdict (here an error) stands.
    with pytest.raises(re.error):
        boundaries.compile("(?P<sep>--a(b" + _TAIL)


def _crafted() -> Iterator[bytes]:
    """Multiparts that lean on the boundary test: nesting, prefixes, ends, line endings."""
    inner = (
        b'Content-Type: multipart/alternative; boundary="b"\n\n'
        b"preamble\n--b\nContent-Type: text/plain\n\nplain --b-- not a boundary\n--bb\n"
        b"--b  \t\nContent-Type: text/html\n\n<p>x</p>\n--b--\nepilogue\n"
    )
    outer = (
        b"From: a@example.org\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed;"
        b' boundary="(b*)+?"\n\n--(b*)+?\n' + inner + b"--(b*)+?\nContent-Type: text/plain\n\n"
        b"last\n--(b*)+?--"
    )
    yield outer
    yield outer.replace(b"\n", b"\r\n")
    yield outer.replace(b"--(b*)+?--", b"")  # never closed
    yield (
        b'From: a@example.org\nContent-Type: multipart/mixed; boundary="x y"\n\n--x y\n'
        b"Content-Type: text/plain\n\none\n--x y--trailing\n--x y --\n--x y--\n"
    )


def _messages() -> Iterator[tuple[str, bytes]]:
    for path in sorted(DATA.rglob("*")):
        if path.suffix in (".eml", ".msg") and path.is_file():
            yield str(path.relative_to(DATA)), path.read_bytes()
    for i, raw in enumerate(_crafted()):
        yield f"crafted {i}", raw


def _tree(raw: bytes) -> list[object]:
    """Everything the parser decided about a message's structure."""
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
    out: list[object] = []
    for part in parsed.walk():
        payload = getattr(part, "_payload", None)  # the parser's own, undecoded
        out.append(
            (
                part.get_content_type(),
                part.preamble,
                part.epilogue,
                payload if isinstance(payload, str) else len(payload or []),
                [type(d).__name__ for d in part.defects],
            )
        )
    return out


def test_every_test_message_parses_to_the_same_tree() -> None:
    messages = list(_messages())
    assert len(messages) > 500  # tests/data's messages, and the crafted ones
    try:
        boundaries.uninstall()
        expected = {label: _tree(raw) for label, raw in messages}
    finally:
        boundaries.install()
    multiparts = 0
    for label, raw in messages:
        found = _tree(raw)
        assert found == expected[label], label
        multiparts += len(found) > 1
    assert multiparts > 100  # the comparison saw boundaries
