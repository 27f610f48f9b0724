#!/usr/bin/env python3
"""Precision and recall of automatic student tags on the labelled set in tests/data/tagging.

Each message goes through the same steps as at ingest (parse, find the forwarded original,
tag against the roster), and the students found are compared with the labels, counting
(message, student) pairs. Prints the totals, the figures per category, and every mistake.

Usage: python benchmarks/tagging_eval.py [--json] [--quiet]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from archiver.understand.parse import parse  # noqa: E402
from archiver.understand.roster_file import read_roster  # noqa: E402
from archiver.understand.students import Tagger  # noqa: E402

DATA = HERE.parent / "tests" / "data" / "tagging"


def evaluate() -> dict[str, object]:
    _, students = read_roster(DATA / "roster.csv")
    tagger = Tagger(students)
    labels = json.loads((DATA / "labels.json").read_text())
    tp = fp = fn = 0
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    mistakes = []
    for name, label in sorted(labels.items()):
        raw = (DATA / "messages" / name).read_bytes()
        found = set(tagger.tag(parse(raw).tag_input()))
        want = set(label["students"])
        cat = per[label["category"]]
        hits, extra, missed = found & want, found - want, want - found
        tp += len(hits)
        fp += len(extra)
        fn += len(missed)
        cat[0] += len(hits)
        cat[1] += len(extra)
        cat[2] += len(missed)
        if extra or missed:
            mistakes.append(
                {
                    "message": name,
                    "category": label["category"],
                    "extra": sorted(extra),
                    "missed": sorted(missed),
                }
            )
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "messages": len(labels),
        "labelled_pairs": tp + fn,
        "tags": tp + fp,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "per_category": {
            c: {"correct": v[0], "extra": v[1], "missed": v[2]} for c, v in sorted(per.items())
        },
        "mistakes": mistakes,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="totals and categories only")
    args = ap.parse_args()
    result = evaluate()
    if args.quiet:
        result.pop("mistakes")
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(
        f"messages {result['messages']}, labelled pairs {result['labelled_pairs']}, "
        f"tags {result['tags']}: precision {result['precision']}, recall {result['recall']}"
    )
    for cat, v in result["per_category"].items():  # type: ignore[attr-defined]
        print(
            f"  {cat:<16} correct {v['correct']:>3}  extra {v['extra']:>2}  missed {v['missed']:>2}"
        )
    for m in result.get("mistakes", []):  # type: ignore[attr-defined]
        print(f"  {m['message']} ({m['category']}): extra {m['extra']} missed {m['missed']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
