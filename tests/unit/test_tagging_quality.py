"""The automatic tagger on the labelled set (tests/data/tagging), part by part.

The set is split into a tuning part (about two thirds of each category) and a held-out part
(the rest), by a keyed hash of the file names (``split`` in labels.json, made by build.py).
The tagger was written against the whole set before the split, so every figure here is
optimistic; from now on only the tuning part may be looked at when changing the tagger.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import tagging_eval

# The targets.
PRECISION = 0.98
RECALL = 0.95
# The tuning part met the recall target once grades said in so many words ("age 8") came
# before loose ones ("varsity"), the context rule used grades too, and a place word had to follow
# a name directly (0.938 -> 0.957, by changes made looking at the tuning part alone).
TUNING_RECALL_FLOOR = RECALL

DATA = Path(__file__).resolve().parents[1] / "data" / "tagging"


def _figures(result: tagging_eval.Result) -> str:
    return (
        f"{result['part']}: precision {result['precision']} recall {result['recall']} "
        f"({result['correct']} correct of {result['tags']} tags, "
        f"{result['labelled_pairs']} labelled pairs)"
    )


def test_the_tuning_part_meets_the_precision_target_and_the_recall_floor() -> None:
    result = tagging_eval.evaluate("tuning")
    assert result["messages"] == 180
    assert result["precision"] >= PRECISION, (_figures(result), result["mistakes"])
    assert result["recall"] >= TUNING_RECALL_FLOOR, (_figures(result), result["mistakes"])


def test_the_held_out_part_meets_the_targets() -> None:
    # The held-out mistakes are left out of the failure message on purpose: tuning the tagger
    # to them would make this figure as optimistic as the in-sample one.
    result = tagging_eval.evaluate("heldout")
    assert result["messages"] == 90
    assert result["precision"] >= PRECISION, _figures(result)
    assert result["recall"] >= RECALL, _figures(result)


def test_the_whole_set_meets_the_targets() -> None:
    result = tagging_eval.evaluate("all")
    assert result["messages"] == 270
    assert result["precision"] >= PRECISION, _figures(result)
    assert result["recall"] >= RECALL, _figures(result)


def test_the_parts_add_up_to_the_whole_set() -> None:
    tuning, heldout = tagging_eval.evaluate("tuning"), tagging_eval.evaluate("heldout")
    whole = tagging_eval.evaluate("all")
    assert tuning["messages"] + heldout["messages"] == whole["messages"]
    assert tuning["labelled_pairs"] + heldout["labelled_pairs"] == whole["labelled_pairs"]
    assert tuning["tags"] + heldout["tags"] == whole["tags"]
    assert tuning["correct"] + heldout["correct"] == whole["correct"]


def test_every_category_is_in_both_parts() -> None:
    labels = json.loads((DATA / "labels.json").read_text(encoding="utf-8"))
    counts = Counter((label["category"], label["split"]) for label in labels.values())
    for category in {label["category"] for label in labels.values()}:
        tuning, heldout = counts[category, "tuning"], counts[category, "heldout"]
        assert tuning and heldout, category
        # about a third of each category is held out
        assert heldout == (tuning + heldout + 1) // 3, category


def test_an_unknown_part_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown part"):
        tagging_eval.evaluate("test")  # type: ignore[arg-type]


def test_the_labelled_set_is_intact() -> None:
    for script in ("build.py", "check.py"):
        args = [sys.executable, str(DATA / script)] + (["--check"] if script == "build.py" else [])
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
