"""What ingest's workers make of each test message stays what it was: metadata, tags, index
tokens, quarantine (issue 17 made parsing faster without changing any of it).

tests/data/prepare_digests.json holds, per message under tests/data and per message of a sample
of the benchmark corpus, the digest of that dump as made before the speed work. A change that
is meant to change what is archived writes the file again (see benchmarks/prepare_equivalence.py)
and says so in the changelog."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import prepare_equivalence  # noqa: E402

DATA = ROOT / "tests" / "data"


def test_every_message_is_understood_as_before() -> None:
    expected = json.loads((DATA / "prepare_digests.json").read_text(encoding="utf-8"))
    found = prepare_equivalence.digests(DATA)
    assert found.keys() == expected.keys()
    changed = sorted(label for label, digest in found.items() if expected[label] != digest)
    assert not changed, f"{len(changed)} messages understood differently: {changed[:20]}"
