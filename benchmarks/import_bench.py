#!/usr/bin/env python3
"""Import benchmark: `archiver import` against mail-parser alone, on the same corpus, in one run.

Prints, for a generated mbox of teacher forwards:
  - the parse-only rate of mail-parser on one core (messages/s, MB/s): the baseline;
  - the rate of `archiver import` of the same file into a fresh archive, and the ratio;
  - peak RSS of the import (the main process, and all its processes together);
  - archive size (database files) / corpus size, and the growth over an empty archive / corpus;
  - the search index's size (per record, and the archive without it / corpus).

Usage:
  python benchmarks/import_bench.py [--size 200M] [--seed 7] [--workers 0] [--keep DIR]
      [--database postgresql+psycopg://postgres@127.0.0.1/bench]   (default: SQLite)
      [--roster tests/data/tagging/roster.csv]   (tag every record against a roster)

Targets (issue 2): import >= 1.3x the parse-only rate on 2 cores; peak RSS < 300 MB for a
1 GB mbox (--size 1G); archive size <= 0.8x the corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import corpus  # noqa: E402
import mailparser  # noqa: E402

from archiver.sources.files import read_mbox  # noqa: E402


def _bytes(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _tree_rss(pid: int) -> tuple[int, int, int]:
    """(RSS of `pid`, RSS of `pid` and all its descendants, their PSS), in bytes, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * page
    total, stack, seen = 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return rss.get(pid, 0), total, sum(_pss(p) for p in seen)


def _pss(pid: int) -> int:
    """Proportional set size: shared pages divided among the processes sharing them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class RssSampler(threading.Thread):
    """Samples the RSS of a process tree every 50 ms; keeps the peaks."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_main = 0
        self.peak_tree = 0
        self.peak_pss = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            main, tree, pss = _tree_rss(self.pid)
            self.peak_main = max(self.peak_main, main)
            self.peak_tree = max(self.peak_tree, tree)
            self.peak_pss = max(self.peak_pss, pss)
            time.sleep(0.05)


def parse_only(mbox: Path) -> tuple[int, int, float]:
    """(messages, bytes, seconds) for mail-parser alone on every message, one core.

    Splitting the mbox is not timed: only `mailparser.parse_from_bytes`.
    """
    count = size = 0
    spent = 0.0
    for msg in read_mbox(mbox, 1 << 30):
        if msg.raw is None:
            continue
        start = time.perf_counter()
        mailparser.parse_from_bytes(msg.raw)
        spent += time.perf_counter() - start
        count += 1
        size += len(msg.raw)
    return count, size, spent


# Where `archiver init DIR` puts the SQLite archive, as the config it writes says.
INIT_DATABASE = 'database = "archive/archive.db"'


def sqlite_file(work: Path) -> Path:
    """The SQLite archive of an archive made by `archiver init work`."""
    return work / "archive" / "archive.db"


def with_database(text: str, database: str) -> str:
    """The text of a config `archiver init` wrote, using `database` instead of its SQLite file."""
    if INIT_DATABASE not in text:
        raise SystemExit(f"no `{INIT_DATABASE}` in the config `archiver init` wrote: update me")
    return text.replace(INIT_DATABASE, f'database = "{database}"')


def _exe() -> str:
    return shutil.which("archiver", path=str(Path(sys.executable).parent)) or "archiver"


def _archiver(config: Path, *args: str) -> list[str]:
    return [_exe(), "--config", str(config), *args]


def run_import(
    mbox: Path, work: Path, workers: int, database: str | None, roster: Path | None = None
) -> dict[str, float]:
    subprocess.run([_exe(), "init", str(work)], check=True, stdout=subprocess.DEVNULL)
    config = work / "archiver.toml"
    if database:
        config.write_text(with_database(config.read_text(), database))
        subprocess.run(_archiver(config, "db", "upgrade"), check=True, stdout=subprocess.DEVNULL)
        subprocess.run(_archiver(config, "keys", "generate"), check=True, stdout=subprocess.DEVNULL)
    if roster:  # tagging against a real roster costs the writer time: measure it too
        subprocess.run(
            _archiver(config, "students", "import", str(roster)),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    empty = archive_bytes(work, database)
    start = time.perf_counter()
    proc = subprocess.Popen(
        _archiver(config, "import", "--json", "--workers", str(workers), str(mbox)),
        stdout=subprocess.PIPE,
    )
    sampler = RssSampler(proc.pid)
    sampler.start()
    out, _ = proc.communicate()
    elapsed = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"archiver import failed with exit code {proc.returncode}")
    doc = json.loads(out)
    return {
        "seconds": elapsed,
        "archived": doc["archived"] + doc["quarantined"],
        "duplicates": doc["duplicates"],
        "failed": doc["failed"],
        "empty_archive_bytes": empty,
        "peak_rss_main": sampler.peak_main,
        "peak_rss_tree": sampler.peak_tree,
        "peak_pss_tree": sampler.peak_pss,
    }


def archive_bytes(work: Path, database: str | None) -> int:
    if database:
        import sqlalchemy

        engine = sqlalchemy.create_engine(database)
        with engine.connect() as conn:
            size = conn.execute(sqlalchemy.text("SELECT pg_database_size(current_database())"))
            total = int(size.scalar_one())
        engine.dispose()
        return total
    import sqlite3

    lite = sqlite3.connect(sqlite_file(work))
    lite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    lite.close()
    return sum(p.stat().st_size for p in sqlite_file(work).parent.glob("archive.db*"))


SEARCH_TABLES = ("search_doc", "search_term", "search_packed", "search_live")


def index_bytes(work: Path, database: str | None) -> int:
    """Bytes the search index takes (its tables and their indexes)."""
    if database:
        import sqlalchemy

        engine = sqlalchemy.create_engine(database)
        with engine.connect() as conn:
            total = sum(
                int(
                    conn.execute(
                        sqlalchemy.text(f"SELECT pg_total_relation_size('{t}')")
                    ).scalar_one()
                )
                for t in SEARCH_TABLES
            )
        engine.dispose()
        return total
    import sqlite3

    lite = sqlite3.connect(sqlite_file(work))
    marks = ",".join("?" * len(SEARCH_TABLES))
    objects = [
        *SEARCH_TABLES,
        *(
            row[0]  # their indexes, automatic ones included
            for row in lite.execute(
                f"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks})",
                SEARCH_TABLES,
            )
        ),
    ]
    names = ",".join("?" * len(objects))
    row = lite.execute(
        f"SELECT SUM(pgsize) FROM dbstat WHERE name IN ({names})", objects
    ).fetchone()
    lite.close()
    return int(row[0] or 0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="200M", help="corpus size (e.g. 200M, 1G)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=0, help="0 = one per core")
    ap.add_argument("--database", help="PostgreSQL URL of an empty database (default: SQLite)")
    ap.add_argument("--keep", type=Path, help="keep the corpus and archive in this directory")
    ap.add_argument("--roster", type=Path, help="import this roster first (tags every record)")
    args = ap.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="archiver-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    mbox = root / f"corpus-{args.size}-{args.seed}.mbox"
    if not mbox.exists():
        t = time.perf_counter()
        corpus.write_corpus(mbox, "mbox", None, args.seed, _bytes(args.size))
        print(f"generated {mbox} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    corpus_bytes = mbox.stat().st_size
    work = root / "archive"
    shutil.rmtree(work, ignore_errors=True)

    n, size, parse_s = parse_only(mbox)
    result = run_import(mbox, work, args.workers, args.database, args.roster)
    stored = archive_bytes(work, args.database)
    index = index_bytes(work, args.database)

    mb = 1 << 20
    parse_rate = n / parse_s
    import_rate = result["archived"] / result["seconds"]
    figures = {
        "corpus": {"messages": n, "message_bytes": size, "mbox_bytes": corpus_bytes},
        "cpu_cores": os.cpu_count(),
        "database": "postgresql" if args.database else "sqlite",
        "roster": str(args.roster) if args.roster else None,
        "parse_only": {
            "messages_per_s": round(parse_rate, 1),
            "mb_per_s": round(size / mb / parse_s, 2),
            "seconds": round(parse_s, 2),
        },
        "import": {
            "messages_per_s": round(import_rate, 1),
            "mb_per_s": round(size / mb / result["seconds"], 2),
            "seconds": round(result["seconds"], 2),
            "archived": result["archived"],
            "failed": result["failed"],
        },
        "import_vs_parse_only": round(import_rate / parse_rate, 2),
        "peak_rss_mb": {
            "main": round(result["peak_rss_main"] / mb, 1),
            "all_processes": round(result["peak_rss_tree"] / mb, 1),
            "all_processes_pss": round(result["peak_pss_tree"] / mb, 1),
        },
        "archive_bytes": stored,
        "archive_vs_corpus": round(stored / corpus_bytes, 3),
        "search_index_bytes": index,
        "search_index_per_record": round(index / max(1, result["archived"])),
        "archive_without_index_vs_corpus": round((stored - index) / corpus_bytes, 3),
        "empty_archive_bytes": result["empty_archive_bytes"],
        "growth_vs_corpus": round((stored - result["empty_archive_bytes"]) / corpus_bytes, 3),
    }
    print(json.dumps(figures, indent=2))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
