"""`emit_json` writes a list it is given as an iterable item by item (an import's report of a
million messages is never in memory whole), and the output is the same as with the list."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from typing import Any

import pytest

from archiver.cli.context import emit_json

DOCS: list[tuple[dict[str, Any], list[Any]]] = [
    ({"archived": 0, "skipped": [], "items": [], "audit_head": None}, []),
    (
        {"archived": 2, "skipped": ["a b"], "items": [], "audit_head": {"seq": 3, "hash": "ab"}},
        [
            {"path": "in.mbox#1", "id": "r1", "line": 3, "envelope": "From x@y Mon"},
            {"path": 'odd "name"\n: é', "id": None, "line": None, "envelope": None},
        ],
    ),
    # The same key deeper down, items of every shape, a key after the list.
    ({"items": [], "z": [1, {"items": []}]}, [[1, 2], "s", None, {"a": {"b": [1]}}, [], {}]),
]


def _out(*args: Any) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        emit_json(*args)
    return buf.getvalue()


@pytest.mark.parametrize(("doc", "items"), DOCS)
def test_a_streamed_list_prints_as_the_whole_list_does(
    doc: dict[str, Any], items: list[Any]
) -> None:
    whole = _out({**doc, "items": items})
    assert _out(doc, ("items", iter(items))) == whole
    assert whole.count("\n") > 2  # indented, one value a line


def test_each_item_is_written_before_the_next_is_taken() -> None:
    buf = io.StringIO()
    seen: list[bool] = []

    def items() -> Any:
        for n in range(3):
            seen.append(all(f'"n": {k}' in buf.getvalue() for k in range(n)))
            yield {"n": n}

    with redirect_stdout(buf):
        emit_json({"items": []}, ("items", items()))
    assert seen == [True, True, True]
    assert '"n": 2' in buf.getvalue()
