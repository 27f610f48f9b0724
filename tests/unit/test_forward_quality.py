"""Forward extraction on the independent labelled set (tests/data/forward_set), part by part.

The set was written without reading the forward finder or its fixtures, and split (a third of
each kind held out, by a keyed hash of the file names) before the code was first scored on it.
Only the tuning part may be looked at when changing the forward finder; the held-out figures
are the ones to quote.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import forward_eval
import pytest

# Floors at what was measured, rounded down to the percent. When the set was made: tuning 131 of
# 157 = 0.834, held-out 74 of 80 = 0.925. After the finder was changed looking at the tuning
# part alone (its misses fixed in general ways, with fixtures of their own in test_forwards.py):
# tuning 157 of 157 = 1.000, a training figure, and held-out 77 of 80 = 0.963, the one to quote,
# still under the issue's target of 97% fully right; after set 3's fixes (below), held-out 78 of
# 80 = 0.975. The floors only keep the figures from getting worse; raise them to what is
# measured when a change lifts them.
TUNING_FLOOR = 1.00
HELDOUT_FLOOR = 0.97
# Set 2 (tests/data/forward_set2, all tuning): 130 of 152 = 0.855 when first scored (after three
# label fixes), 152 of 152 = 1.000 after the finder was changed looking at it: a training figure.
SET2_FLOOR = 1.00
# Set 3 (tests/data/forward_set3, all tuning, weighted toward issue 12's failing kinds): 134 of
# 157 = 0.854 when first scored, before any code change; 157 of 157 = 1.000 after the finder was
# changed looking at it: a training figure.
SET3_FLOOR = 1.00

DATA2 = Path(__file__).resolve().parents[1] / "data" / "forward_set2"
DATA3 = Path(__file__).resolve().parents[1] / "data" / "forward_set3"

DATA = Path(__file__).resolve().parents[1] / "data" / "forward_set"
EVAL = Path(__file__).resolve().parents[2] / "benchmarks" / "forward_eval.py"


def _figures(result: forward_eval.Result) -> str:
    kinds = ", ".join(f"{k} {v['right']}/{v['files']}" for k, v in result["per_kind"].items())
    return f"{result['part']}: {result['right']} of {result['files']} fully right ({kinds})"


def test_the_tuning_part_keeps_its_floor() -> None:
    result = forward_eval.evaluate("tuning")
    assert result["files"] == 157
    assert result["rate"] >= TUNING_FLOOR, (_figures(result), result["mistakes"])


def test_set_2_keeps_its_floor() -> None:
    result = forward_eval.evaluate("all", 2)
    assert result["files"] == 152
    assert result["rate"] >= SET2_FLOOR, (_figures(result), result["mistakes"])


@pytest.mark.parametrize(("which", "folder"), [(2, DATA2), (3, DATA3)])
def test_the_all_tuning_sets_are_intact(which: int, folder: Path) -> None:
    assert set(forward_eval.labels_of("tuning", which)) == set(forward_eval.labels_of("all", which))
    build, check = str(DATA / "build.py"), str(DATA / "check.py")
    for args in ([build, "--dir", str(folder), "--check"], [check, "--dir", str(folder)]):
        done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def test_set_3_keeps_its_floor() -> None:
    result = forward_eval.evaluate("all", 3)
    assert result["files"] == 157
    assert result["forwards"] == 133  # 24 messages are not forwards
    assert result["rate"] >= SET3_FLOOR, (_figures(result), result["mistakes"])


def test_set_3_is_scored_with_the_others() -> None:
    run = [sys.executable, str(EVAL), "--json", "--quiet"]
    shown = json.loads(subprocess.run(run, capture_output=True, text=True, check=True).stdout)
    assert shown["set3"]["files"] == 157
    assert "mistakes" not in shown["set3"]
    alone = [sys.executable, str(EVAL), "--set", "3", "--json"]
    only = json.loads(subprocess.run(alone, capture_output=True, text=True, check=True).stdout)
    assert set(only) == {"set3"}
    assert len(only["set3"]["mistakes"]) == only["set3"]["files"] - only["set3"]["right"]


def test_the_held_out_part_keeps_its_floor() -> None:
    # The held-out mistakes are left out of the failure message on purpose: fixing the finder
    # by reading them would make this figure as optimistic as the tuning one.
    result = forward_eval.evaluate("heldout")
    assert result["files"] == 80
    assert result["rate"] >= HELDOUT_FLOOR, _figures(result)


def test_the_figures_are_rates_of_what_was_counted() -> None:
    result = forward_eval.evaluate("all")
    assert 0 < result["right"] <= result["files"] == 237
    assert result["rate"] == round(result["right"] / result["files"], 3)
    assert result["forwards"] == 200  # 37 messages are not forwards
    assert 0 < result["dates_right"] <= result["forwards"]


def test_the_parts_add_up_to_the_whole_set() -> None:
    tuning, heldout = forward_eval.evaluate("tuning"), forward_eval.evaluate("heldout")
    whole = forward_eval.evaluate("all")
    for key in ("files", "right", "forwards", "dates_right"):
        assert tuning[key] + heldout[key] == whole[key], key
    for kind, figures in whole["per_kind"].items():
        for key in ("files", "right"):
            parts = tuning["per_kind"][kind][key] + heldout["per_kind"][kind][key]  # type: ignore[literal-required]
            assert parts == figures[key], (kind, key)  # type: ignore[literal-required]


def test_every_kind_is_in_both_parts() -> None:
    labels = json.loads((DATA / "labels.json").read_text(encoding="utf-8"))
    counts = Counter((label["kind"], label["split"]) for label in labels.values())
    for kind in {label["kind"] for label in labels.values()}:
        tuning, heldout = counts[kind, "tuning"], counts[kind, "heldout"]
        assert tuning and heldout, kind
        assert heldout == (tuning + heldout + 1) // 3, kind  # a third of each kind held out


def test_a_right_answer_and_a_wrong_one_are_told_apart() -> None:
    label: forward_eval.Label = {
        "forward": True,
        "from_address": "Maria.Lopez@gmail.example",
        "from_name": '"Lopez, Maria"',
        "subject": "Jayden  absent",
        "body_first": "Good morning,",
        "body_last": "Maria",
    }
    got: dict[str, str | None] = {
        "forward": "yes",
        "from_address": "maria.lopez@gmail.example",
        "from_name": "Lopez,\u00a0Maria",
        "subject": "Jayden absent",
        "body_first": "Good morning,",
        "body_last": "\u200fMaria",
    }
    assert forward_eval.wrong_fields(label, got) == []
    assert forward_eval.wrong_fields(label, got | {"body_last": "Maria Lopez"}) == ["body_last"]
    assert forward_eval.wrong_fields(label, got | {"forward": "no"}) == ["forward"]
    assert forward_eval.wrong_fields({"forward": False}, got) == ["forward"]


def test_the_held_out_mistakes_are_not_shown_unless_asked() -> None:
    run = [sys.executable, str(EVAL), "--json"]
    shown = json.loads(subprocess.run(run, capture_output=True, text=True, check=True).stdout)
    assert "mistakes" in shown["tuning"]
    assert "mistakes" not in shown["heldout"]
    assert "mistakes" not in shown["all"]
    heldout = set(forward_eval.labels_of("heldout"))
    assert not {m["file"] for m in shown["tuning"]["mistakes"]} & heldout


def test_an_unknown_part_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown part"):
        forward_eval.evaluate("test")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown set"):
        forward_eval.evaluate("all", 4)


def test_the_labelled_set_is_intact() -> None:
    for args in (["build.py", "--check"], ["check.py"]):
        done = subprocess.run(
            [sys.executable, str(DATA / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
