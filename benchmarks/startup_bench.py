#!/usr/bin/env python3
"""Start-up benchmark: the whole-process time of the commands a person types.

A demo archive (`archiver init`, the examples, the example roster) is made in a temporary
directory; then each command runs --runs times (after one unmeasured run, so the page cache
is warm, as it is for anyone typing commands) and its median wall time is printed beside the
target (DESIGN.md section 14). The commands run with bytecode caching on (without
PYTHONDONTWRITEBYTECODE), as an installed package runs: pip compiles its bytecode.

    archiver --help            under 0.10 s
    archiver show ID           under 0.25 s
    archiver search WORD       under 0.25 s

`--archiver PATH` times another installation's `archiver` (an older checkout's venv) on an
archive it made itself, so two versions can be compared in one run.

Usage: python benchmarks/startup_bench.py [--runs 10] [--archiver PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples"
TARGETS = {"--help": 0.10, "show ID": 0.25, "search WORD": 0.25}
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=ENV)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _demo(exe: str, root: Path) -> tuple[list[str], str]:
    """A demo archive under `root`: the command prefix that uses it, and one record's id."""
    _run([exe, "init", str(root)])
    base = [exe, "--config", str(root / "archiver.toml")]
    _run([*base, "import", *sorted(str(p) for p in EXAMPLES.glob("*.eml"))])
    _run([*base, "students", "import", str(EXAMPLES / "students.csv")])
    found = json.loads(_run([*base, "search", "--json", "spanish"]))
    return base, str(found["results"][0]["id"])


def _median(cmd: list[str], runs: int) -> float:
    _run(cmd)  # warm: page cache, bytecode
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        _run(cmd)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="measured runs of each command")
    parser.add_argument(
        "--archiver",
        default=str(Path(sys.executable).parent / "archiver"),
        help="the archiver executable to time (default: this venv's)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        base, record_id = _demo(args.archiver, Path(tmp) / "demo")
        commands = {
            "--help": [args.archiver, "--help"],
            "show ID": [*base, "show", record_id],
            "search WORD": [*base, "search", "spanish"],
        }
        medians = {name: _median(cmd, args.runs) for name, cmd in commands.items()}
    if args.json:
        doc = {
            "archiver": args.archiver,
            "runs": args.runs,
            "commands": {
                n: {"median_s": round(m, 4), "target_s": TARGETS[n]} for n, m in medians.items()
            },
        }
        print(json.dumps(doc, indent=2))
        return 0
    print(f"{args.archiver}, median of {args.runs} runs")
    for name, median in medians.items():
        verdict = "ok" if median < TARGETS[name] else "MISSED"
        print(f"  archiver {name:<12} {median:6.3f} s   target < {TARGETS[name]:.2f} s  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
