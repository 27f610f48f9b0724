#!/usr/bin/env python3
"""The worker side of ingest alone, on one core: `parse` and `prepare.prepare` over a corpus.

Every message of the mbox is read into memory first (not timed), then each stage runs once
untimed (warm-up: caches, the extractor's start) and `--runs` times timed; the median rate is
printed. `prepare` is timed as ingest's workers run it, with a roster (the labelled one of
tests/data/tagging) unless `--no-roster`, and also with no time for attachment text (every PDF
and DOCX skipped), which shows the rest of the worker without the sandboxed extractor.

Usage::

    python benchmarks/corpus.py --out corpus.mbox --target-bytes 50M --seed 7
    python benchmarks/prepare_bench.py corpus.mbox [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from archiver.archive.roster import Roster
from archiver.ingest.prepare import IngestPolicy, prepare
from archiver.sources.arrival import Arrival
from archiver.sources.files import read_mbox
from archiver.understand.parse import parse
from archiver.understand.roster_file import read_roster
from archiver.understand.staff_file import read_staff
from archiver.understand.students import Tagger

TAGGING = Path(__file__).resolve().parents[1] / "tests" / "data" / "tagging"
ARRIVAL = Arrival("mbox", "import", "bench.mbox")


def roster() -> Roster:
    _, students = read_roster(TAGGING / "roster.csv")
    _, staff = read_staff(TAGGING / "staff.csv")
    return Roster(1, Tagger(students, staff), {}, {}, staff)


def timed(step: Callable[[bytes], object], messages: list[bytes], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds (this process's) of `runs` passes of `step` over
    `messages`, after one untimed pass. The CPU time is steadier on a shared machine; it leaves
    out the attachment text extractor, which runs in another process."""
    for raw in messages:
        step(raw)
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        for raw in messages:
            step(raw)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mbox", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-roster", action="store_true", help="prepare without tagging")
    ap.add_argument("--only", choices=("parse", "prepare", "prepare_no_text"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    messages = [m.raw for m in read_mbox(args.mbox, 1 << 30) if m.raw is not None]
    size = sum(map(len, messages))
    key = os.urandom(32)
    policy = IngestPolicy("kek", key, "index", key)
    no_text = IngestPolicy("kek", key, "index", key, attachment_text_budget=0.0)
    tags = None if args.no_roster else roster()
    stages: dict[str, Callable[[bytes], object]] = {
        "parse": parse,
        "prepare": lambda raw: prepare(raw, ARRIVAL, policy, roster=tags),
        "prepare_no_text": lambda raw: prepare(raw, ARRIVAL, no_text, roster=tags),
    }
    figures = {}
    for name, step in stages.items():
        if args.only and name != args.only:
            continue
        seconds, cpu = timed(step, messages, args.runs)
        figures[name] = {
            "seconds": round(seconds, 3),
            "cpu_seconds": round(cpu, 3),
            "messages_per_s": round(len(messages) / seconds, 1),
            "messages_per_cpu_s": round(len(messages) / cpu, 1),
            "mb_per_s": round(size / seconds / 1e6, 2),
        }
    if args.json:
        print(json.dumps({"messages": len(messages), "bytes": size, **figures}))
    else:
        print(f"{len(messages)} messages, {size / 1e6:.1f} MB; median of {args.runs} runs")
        for name, fig in figures.items():
            print(
                f"{name:<16}{fig['messages_per_s']:>9.1f} msg/s{fig['mb_per_s']:>9.2f} MB/s"
                f"{fig['messages_per_cpu_s']:>9.1f} msg/CPU-s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
