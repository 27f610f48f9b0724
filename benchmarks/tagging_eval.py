#!/usr/bin/env python3
"""Precision and recall of automatic student tags on the labelled set in tests/data/tagging.

Each message goes through the same steps as at ingest (parse, find the forwarded original,
tag against the roster and the staff directory), and the students found are compared with the
labels, counting (message, student) pairs.

The set is split in two (the ``split`` of each label in labels.json, made by build.py from the
file names and categories alone): ``tuning``, about two thirds, the only part to look at when
changing the tagger, and ``heldout``, the rest, whose figures are the ones to quote. Prints the
totals of the tuning part, the held-out part and the whole set, then the figures per category
and every mistake of one part (``--part``, the tuning part unless asked; the held-out mistakes
are better left unread).

Usage: python benchmarks/tagging_eval.py [--part tuning|heldout|all] [--json] [--quiet]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Literal, TypedDict, get_args

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from archiver.understand.parse import parse  # noqa: E402
from archiver.understand.roster_file import read_roster  # noqa: E402
from archiver.understand.staff_file import read_staff  # noqa: E402
from archiver.understand.students import Tagger  # noqa: E402

DATA = HERE.parent / "tests" / "data" / "tagging"

Part = Literal["tuning", "heldout", "all"]
PARTS: tuple[Part, ...] = get_args(Part)


class Label(TypedDict):
    students: list[str]
    category: str
    why: str
    split: str


class Counts(TypedDict):
    correct: int
    extra: int
    missed: int


class Mistake(TypedDict):
    message: str
    category: str
    extra: list[str]
    missed: list[str]


class Result(TypedDict):
    part: Part
    messages: int
    labelled_pairs: int
    tags: int
    correct: int
    precision: float
    recall: float
    per_category: dict[str, Counts]
    mistakes: list[Mistake]


def labels_of(part: Part) -> dict[str, Label]:
    """The labels of the messages in one part of the set (``all``: every message)."""
    labels: dict[str, Label] = json.loads((DATA / "labels.json").read_text(encoding="utf-8"))
    if part == "all":
        return labels
    return {name: label for name, label in labels.items() if label["split"] == part}


def evaluate(part: Part = "all") -> Result:
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}: one of {', '.join(PARTS)}")
    _, students = read_roster(DATA / "roster.csv")
    # the staff directory, as `archiver staff import` gives it to the tagger
    staff = read_staff(DATA / "staff.csv")[1] if (DATA / "staff.csv").exists() else []
    tagger = Tagger(students, staff)
    labels = labels_of(part)
    tp = fp = fn = 0
    per: dict[str, Counts] = defaultdict(lambda: Counts(correct=0, extra=0, missed=0))
    mistakes: list[Mistake] = []
    for name, label in sorted(labels.items()):
        raw = (DATA / "messages" / name).read_bytes()
        found = set(tagger.tag(parse(raw).tag_input()))
        want = set(label["students"])
        category = label["category"]
        hits, extra, missed = found & want, found - want, want - found
        tp += len(hits)
        fp += len(extra)
        fn += len(missed)
        cat = per[category]
        cat["correct"] += len(hits)
        cat["extra"] += len(extra)
        cat["missed"] += len(missed)
        if extra or missed:
            mistakes.append(
                Mistake(message=name, category=category, extra=sorted(extra), missed=sorted(missed))
            )
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return Result(
        part=part,
        messages=len(labels),
        labelled_pairs=tp + fn,
        tags=tp + fp,
        correct=tp,
        precision=round(precision, 3),
        recall=round(recall, 3),
        per_category=dict(sorted(per.items())),
        mistakes=mistakes,
    )


def summary(result: Result) -> str:
    return (
        f"{result['part']:<8} messages {result['messages']:>3}, labelled pairs "
        f"{result['labelled_pairs']:>3}, tags {result['tags']:>3}, correct {result['correct']:>3}: "
        f"precision {result['precision']:.3f}, recall {result['recall']:.3f}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--part",
        choices=PARTS,
        default="tuning",
        help="the part whose categories and mistakes are shown (default: tuning)",
    )
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="totals and categories only")
    args = ap.parse_args()
    results = {part: evaluate(part) for part in PARTS}
    shown: dict[str, dict[str, object]] = {}
    for part, result in results.items():
        row: dict[str, object] = dict(result)
        if part != args.part:
            row.pop("per_category")
        if part != args.part or args.quiet:
            row.pop("mistakes")
        shown[part] = row
    if args.json:
        print(json.dumps(shown, indent=2, ensure_ascii=False))
        return 0
    for result in results.values():
        print(summary(result))
    detail = results[args.part]
    print(f"{args.part}, per category:")
    for cat, v in detail["per_category"].items():
        print(
            f"  {cat:<16} correct {v['correct']:>3}  extra {v['extra']:>2}  missed {v['missed']:>2}"
        )
    if not args.quiet:
        print(f"{args.part}, mistakes:")
        for m in detail["mistakes"]:
            print(f"  {m['message']} ({m['category']}): extra {m['extra']} missed {m['missed']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
