"""Issue 12, "what errors and status say": each fix with the test that would have caught it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_does_not_call_shipped_features_next() -> None:
    readme = (ROOT / "README.md").read_text()
    intro = readme.split("## ", 1)[0]
    assert "Search is next" not in readme
    assert "in later releases, search" not in " ".join(intro.split())
    assert "Records management (retention, holds" not in " ".join(intro.split())
