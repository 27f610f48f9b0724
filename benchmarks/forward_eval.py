#!/usr/bin/env python3
"""How often the forwarded original is found right, on the labelled sets in tests/data/forward_set*.

Each message is parsed as at ingest (``parse(raw).metadata()``) and its outermost original
(``meta.originals[0]``, when any original has a provenance other than ``none``) is compared
with the label. A forward is fully right when that original has real or reconstructed headers
(provenance ``headers`` or ``reconstructed``) and its sender address (case aside), its display
name (when labelled), its subject, and the first and last non-empty lines of its body all equal
the label's, whitespace, quotes and invisible direction marks aside. A message that is not a
forward is right when no original has such a provenance. The date is scored on its own: right
when the original's date is the labelled instant, or both are missing.

The set is split in two (``split`` in labels.json; the rule is in the set's README): ``tuning``,
the only part to look at when changing the forward finder, and ``heldout``, whose figures are
the ones to quote. Prints the files, the fully right and the rate of each part, the figures per
kind, and the mistakes of the tuning part. ``--show-heldout-mistakes`` adds the held-out part's:
not while changing the code, or the held-out figure becomes a training figure.

Sets 2 and 3 (tests/data/forward_set2, tests/data/forward_set3) are all tuning: their totals,
figures per kind and mistakes are shown with set 1's (``--set 1|2|3|all``, default all; JSON
keys ``set2`` and ``set3``).

Usage: python benchmarks/forward_eval.py [--set 1|2|3|all] [--part tuning|heldout|all] [--json]
                                         [--quiet] [--show-heldout-mistakes]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypedDict, get_args

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from archiver.domain import (  # noqa: E402
    PROVENANCE_HEADERS,
    PROVENANCE_NONE,
    PROVENANCE_RECONSTRUCTED,
    Original,
    RecordMeta,
)
from archiver.understand.parse import parse  # noqa: E402

DATA = HERE.parent / "tests" / "data" / "forward_set"
SETS = {
    1: DATA,
    2: HERE.parent / "tests" / "data" / "forward_set2",
    3: HERE.parent / "tests" / "data" / "forward_set3",
}
WHOLE_TUNING = (2, 3)  # the sets that are all tuning, scored whole

Part = Literal["tuning", "heldout", "all"]
PARTS: tuple[Part, ...] = get_args(Part)
FOUND = frozenset({PROVENANCE_HEADERS, PROVENANCE_RECONSTRUCTED})
FIELDS = ("from_address", "from_name", "subject", "body_first", "body_last")
QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"


class Label(TypedDict, total=False):
    client: str
    language: str
    kind: str
    forward: bool
    from_address: str
    from_name: str | None
    subject: str
    body_first: str
    body_last: str
    date: str | None
    about: str
    split: str


class KindFigures(TypedDict):
    files: int
    right: int
    rate: float


class Mistake(TypedDict):
    file: str
    kind: str
    client: str
    language: str
    wrong: list[str]  # the fields that differ ("forward" when it was missed or invented)
    expected: dict[str, str | None]
    got: dict[str, str | None]


class Result(TypedDict):
    part: Part
    files: int
    right: int
    rate: float
    forwards: int
    dates_right: int
    date_rate: float
    per_kind: dict[str, KindFigures]
    mistakes: list[Mistake]


def labels_of(part: Part, which: int = 1) -> dict[str, Label]:
    """The labels of the files in one part of set `which` (``all``: every file)."""
    labels: dict[str, Label] = json.loads((SETS[which] / "labels.json").read_text(encoding="utf-8"))
    if part == "all":
        return labels
    return {name: label for name, label in labels.items() if label["split"] == part}


def norm(text: str | None) -> str:
    """Text as compared: NFC, invisible format marks dropped, whitespace runs made one space."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return re.sub(r"\s+", " ", text).strip()


def norm_name(text: str | None) -> str:
    """A display name as compared: `norm`, without the quotes around it or escaped inside."""
    name = norm(text).replace('\\"', '"')
    while len(name) >= 2 and name[0] in QUOTES and name[-1] in QUOTES:
        name = norm(name[1:-1])
    return name


def body_lines(body: str) -> tuple[str, str]:
    """The first and last non-empty lines of a body, as compared."""
    kept = [norm(line) for line in body.splitlines() if norm(line)]
    return (kept[0], kept[-1]) if kept else ("", "")


def outermost(meta: RecordMeta) -> Original | None:
    """The original the forwarder passed on: the first of the chain, when any original is more
    than the message itself."""
    originals = meta.originals or ()
    if any(o.provenance != PROVENANCE_NONE for o in originals):
        return originals[0]
    return None


def found(original: Original | None) -> dict[str, str | None]:
    """What the code says about an original, in the label's terms."""
    if original is None:
        return {"forward": "no", "provenance": None}
    first, last = body_lines(original.body)
    return {
        "forward": "yes" if original.provenance in FOUND else "no",
        "provenance": original.provenance,
        "from_address": original.sender.address if original.sender else None,
        "from_name": original.sender.name if original.sender else None,
        "subject": original.subject,
        "body_first": first,
        "body_last": last,
        "date": original.date.astimezone(UTC).isoformat() if original.date else None,
    }


def wrong_fields(label: Label, got: dict[str, str | None]) -> list[str]:
    """The fields in which what the code found differs from the label."""
    if not label["forward"]:
        return ["forward"] if got["forward"] == "yes" else []
    if got["forward"] != "yes":
        return ["forward"]
    wrong = []
    if norm(got["from_address"]).lower() != norm(label["from_address"]).lower():
        wrong.append("from_address")
    if label["from_name"] is not None and norm_name(got["from_name"]) != norm_name(
        label["from_name"]
    ):
        wrong.append("from_name")
    if norm(got["subject"]) != norm(label["subject"]):
        wrong.append("subject")
    for key in ("body_first", "body_last"):
        if norm(got[key]) != norm(label[key]):
            wrong.append(key)
    return wrong


def date_right(label: Label, got: dict[str, str | None]) -> bool:
    want, have = label.get("date"), got.get("date")
    if want is None or have is None:
        return want is None and have is None and got["forward"] == "yes"
    return datetime.fromisoformat(want) == datetime.fromisoformat(have)


def evaluate(part: Part = "all", which: int = 1) -> Result:
    """The figures of one part of set `which` (1, 2 or 3)."""
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}: one of {', '.join(PARTS)}")
    if which not in SETS:
        raise ValueError(f"unknown set {which!r}: one of {', '.join(map(str, SETS))}")
    data = SETS[which]
    labels = labels_of(part, which)
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    mistakes: list[Mistake] = []
    right = forwards = dates = 0
    for name, label in sorted(labels.items()):
        meta = parse((data / name).read_bytes()).metadata()
        got = found(outermost(meta))
        wrong = wrong_fields(label, got)
        per[label["kind"]][0] += 1
        if not wrong:
            right += 1
            per[label["kind"]][1] += 1
        if label["forward"]:
            forwards += 1
            dates += date_right(label, got)
        if wrong:
            expected: dict[str, str | None] = (
                {k: label.get(k) for k in FIELDS}  # type: ignore[misc]
                if label["forward"]
                else {"forward": "no"}
            )
            mistakes.append(
                Mistake(
                    file=name,
                    kind=label["kind"],
                    client=label["client"],
                    language=label["language"],
                    wrong=wrong,
                    expected=expected,
                    got=got,
                )
            )
    return Result(
        part=part,
        files=len(labels),
        right=right,
        rate=round(right / len(labels), 3) if labels else 1.0,
        forwards=forwards,
        dates_right=dates,
        date_rate=round(dates / forwards, 3) if forwards else 1.0,
        per_kind={
            kind: KindFigures(files=n, right=r, rate=round(r / n, 3))
            for kind, (n, r) in sorted(per.items())
        },
        mistakes=mistakes,
    )


def summary(result: Result, title: str = "") -> str:
    return (
        f"{title or result['part']:<8} files {result['files']:>3}, "
        f"fully right {result['right']:>3}: rate {result['rate']:.3f}; "
        f"date right {result['dates_right']:>3} of "
        f"{result['forwards']:>3} forwards ({result['date_rate']:.3f})"
    )


def per_kind(result: Result) -> list[str]:
    return [
        f"  {kind:<17} files {v['files']:>3}  right {v['right']:>3}  rate {v['rate']:.3f}"
        for kind, v in result["per_kind"].items()
    ]


def describe(m: Mistake) -> list[str]:
    head = f"  {m['file']} ({m['kind']}, {m['client']}, {m['language']}): wrong {m['wrong']}"
    if m["wrong"] == ["forward"]:
        if m["expected"].get("forward") == "no":
            return [head, f"      expected not a forward; got provenance {m['got']['provenance']}"]
        return [head, f"      expected a forward; got provenance {m['got']['provenance']}"]
    out = [head]
    for key in m["wrong"]:
        out.append(f"      {key}: expected {m['expected'].get(key)!r}, got {m['got'].get(key)!r}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--part",
        choices=PARTS,
        default="tuning",
        help="the part whose figures per kind are shown (default: tuning)",
    )
    ap.add_argument("--set", choices=("1", "2", "3", "all"), default="all", help="which set(s)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="totals and kinds only, no mistakes")
    ap.add_argument(
        "--show-heldout-mistakes",
        action="store_true",
        help="also show the held-out part's mistakes (not while changing the code)",
    )
    args = ap.parse_args()
    one = args.set in ("1", "all")
    results = {part: evaluate(part) for part in PARTS} if one else {}
    # Sets 2 and 3 are all tuning: each is scored whole.
    others = {w: evaluate("all", w) for w in WHOLE_TUNING if args.set in (str(w), "all")}
    # The held-out mistakes stay hidden unless asked for: a miss read is a miss tuned to.
    hidden = not args.show_heldout_mistakes
    if args.json:
        shown: dict[str, dict[str, object]] = {}
        for part, result in results.items():
            row: dict[str, object] = dict(result)
            if args.quiet or (part != "tuning" and hidden):
                row.pop("mistakes")
            shown[part] = row
        for w, result in others.items():
            shown[f"set{w}"] = dict(result)
            if args.quiet:
                shown[f"set{w}"].pop("mistakes")
        print(json.dumps(shown, indent=2, ensure_ascii=False))
        return 0
    for result in results.values():
        print(summary(result))
    for w, result in others.items():
        print(summary(result, f"set {w}"))
    if one:
        print(f"{args.part}, per kind:")
        print("\n".join(per_kind(results[args.part])))
    for w, result in others.items():
        print(f"set {w}, per kind:")
        print("\n".join(per_kind(result)))
    if args.quiet:
        return 0
    if one:
        print("tuning, mistakes:")
        for m in results["tuning"]["mistakes"]:
            print("\n".join(describe(m)))
    for w, result in others.items():
        print(f"set {w}, mistakes:")
        for m in result["mistakes"]:
            print("\n".join(describe(m)))
    if one and args.show_heldout_mistakes:
        print("held-out, mistakes (do not tune to these):")
        for m in results["heldout"]["mistakes"]:
            print("\n".join(describe(m)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
