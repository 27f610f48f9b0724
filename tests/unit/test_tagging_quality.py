"""The automatic tagger on the labelled set (tests/data/tagging): the issue's targets hold."""

from __future__ import annotations

import tagging_eval


def test_precision_and_recall_meet_the_targets() -> None:
    result = tagging_eval.evaluate()
    assert result["messages"] == 232
    assert result["precision"] >= 0.98, result["mistakes"]  # type: ignore[operator]
    assert result["recall"] >= 0.95, result["mistakes"]  # type: ignore[operator]


def test_the_labelled_set_is_intact() -> None:
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parents[1] / "data" / "tagging"
    for script in ("build.py", "check.py"):
        args = [sys.executable, str(here / script)] + (["--check"] if script == "build.py" else [])
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
