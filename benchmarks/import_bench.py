#!/usr/bin/env python3
"""Import benchmark: `archiver import` beside the parsers alone and `notmuch new`, in one run.

For a generated mbox of teacher forwards, each figure on one core and on all cores (one process
per core, `--workers`):
  - parse only, the baselines: mail-parser (`parse_from_bytes`, with the stdlib's email parser
    as it comes, not the boundary test archiver gives it), and archiver's own parser
    (`archiver.understand.parse.parse`, what ingest calls first: the stdlib email structure
    with mail-parser's decoders) on every message, the messages already in memory. Each is
    timed after one untimed pass of the same parser on the same processes, so neither meets a
    cold page cache or cold caches of its own; all cores is a forked pool parsing chunks of 16
    messages, the same chunks for both parsers. Each figure is the median of --parse-runs
    timed passes (3), the parsers and core counts taking turns, each pass's seconds listed;
  - `archiver import` of the same file into a fresh archive with `--workers 1` and with all
    cores (the default): rate, CPU time (its own and its workers', not a PostgreSQL server's),
    peak RSS (main process, all its processes, their PSS);
  - `notmuch new` (Debian's `notmuch`, installed with apt-get when missing and run as root;
    skipped, and said so, without it or with --no-notmuch) of the same messages, written
    untimed as a maildir (one file per message, the bytes archiver reads from the mbox), into
    a fresh database each run (notmuch_db.py: a private config naming that maildir, no hooks,
    notmuch's default `new.tags`): whole-process wall time and CPU time (user + sys), the
    median of --notmuch-runs runs after an untimed one. notmuch new is a single process, on
    one core. Fairness: notmuch indexes the maildir's files in place where archiver imports
    the mbox; both read from a warm page cache (the maildir is written and synced before,
    caches are never dropped, and notmuch's warm-up run reads it all; the mbox was read for
    the parse-only figures, and the all-core import follows the one-core import of the file);
  - the last archive's size (database files) / corpus size, the growth over an empty archive /
    corpus, and the search index's size (per record, and the archive without it / corpus).

Ratios (`ratios`; `import_vs_parse_only`, import on all cores over mail-parser on one core,
mixed both parser and core count and is gone):
  - `import_vs_archiver_parser`: import / archiver's parser, one core over one core and all
    cores over all cores: the share of import's time that parsing itself takes (0.4 = import
    does 2.5x the work of parsing, per message, on the same cores);
  - `import_vs_mail_parser`: the same against mail-parser, the library most Python mail tools
    parse with;
  - `import_vs_notmuch_new`: import / `notmuch new`, messages per second, import on one core
    (like with like: notmuch new is one process) and on all cores; `import_cpu_vs_notmuch_new`:
    import's CPU seconds / notmuch new's;
  - `issue_17_target`: import on all cores / the parse-only rate on one core, for each parser.
    This is issue 17's target (import >= 1.3x the single-core parse-only rate of the same
    corpus, on 2 cores): it spans core counts by its definition, so read it beside the
    like-with-like ratios above, and compare runs only like with like (same corpus, machine,
    database, roster);
  - `issue_17_notmuch_target`: import on all cores / `notmuch new` (wall time, messages per
    second), issue 17's other target (>= 0.6x on 2 cores; null when notmuch was skipped).

The figures print as a small table, or with --json as one JSON document (all of them).

Usage:
  python benchmarks/import_bench.py [--size 200M] [--seed 7] [--workers 0] [--keep DIR] [--json]
      [--database postgresql+psycopg://postgres@127.0.0.1/bench]   (default: SQLite; an empty
      database: emptied between the two imports and at the end, unless --keep)
      [--roster tests/data/tagging/roster.csv]   (tag every record against a roster)
      [--parse-runs 3] [--notmuch-runs 3] [--no-notmuch]

Other targets (issue 2): peak RSS < 300 MB for a 1 GB mbox (--size 1G); archive size <= 0.8x
the corpus.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import corpus  # noqa: E402
import mailparser  # noqa: E402
from bytecode import NOTE as BYTECODE_NOTE  # noqa: E402
from bytecode import compile_archiver  # noqa: E402
from notmuch_db import MISSING, NEW, NotmuchDb, ensure_notmuch  # noqa: E402

from archiver.sources.files import read_mbox  # noqa: E402
from archiver.understand import boundaries  # noqa: E402
from archiver.understand.parse import parse  # noqa: E402


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


# The parsers timed alone: mail-parser's, and the one ingest calls first (`prepare` -> `parse`:
# the stdlib email structure with mail-parser's decoders).
PARSERS: dict[str, Callable[[bytes], object]] = {
    "mail_parser": mailparser.parse_from_bytes,
    "archiver_parser": parse,
}
CHUNK = 16  # messages a pool task parses: the same chunks for both parsers

# The corpus's messages, read before the pool forks so its workers share them (not timed).
_MESSAGES: list[bytes] = []


def load_messages(mbox: Path) -> tuple[int, int]:
    """Read every message of `mbox` into memory (this also warms the page cache); (messages,
    bytes)."""
    _MESSAGES.clear()
    _MESSAGES.extend(m.raw for m in read_mbox(mbox, 1 << 30) if m.raw is not None)
    return len(_MESSAGES), sum(len(raw) for raw in _MESSAGES)


def _parse_range(job: tuple[str, int, int]) -> int:
    name, start, end = job
    parser = PARSERS[name]
    # Importing archiver's parser gave the stdlib's email parser a faster multipart boundary
    # test (archiver/understand/boundaries.py); mail-parser is timed as it comes, without it.
    if name == "archiver_parser":
        boundaries.install()
    else:
        boundaries.uninstall()
    for raw in _MESSAGES[start:end]:
        parser(raw)
    return end - start


def parse_only(name: str, processes: int, warm_up: bool) -> float:
    """Seconds for parser `name` alone on every loaded message, on `processes` processes (1:
    this one; more: a forked pool, CHUNK messages a task), timed after an untimed pass if
    `warm_up` (a pool's processes always get one: they are new)."""
    jobs = [(name, i, min(i + CHUNK, len(_MESSAGES))) for i in range(0, len(_MESSAGES), CHUNK)]
    if processes == 1:
        if warm_up:
            _parse_range((name, 0, len(_MESSAGES)))
        start = time.perf_counter()
        _parse_range((name, 0, len(_MESSAGES)))
        return time.perf_counter() - start
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_parse_range, jobs, chunksize=1)  # warm-up
        start = time.perf_counter()
        pool.map(_parse_range, jobs, chunksize=1)
        return time.perf_counter() - start


def parse_only_figures(
    n: int, size: int, cores: int, runs: int
) -> dict[str, dict[str, dict[str, Any]]]:
    """Each parser's rate on one core and on `cores`: the median of `runs` timed passes, the
    parsers and core counts taking turns (a machine that slows down for a while slows all of
    them, not one baseline: single passes of the same parser differed by 30%)."""
    seconds: dict[tuple[str, str], list[float]] = {}
    for run in range(runs):
        for name in PARSERS:
            for key, processes in (("one_core", 1), ("all_cores", cores)):
                print(
                    f"parse only: {name}, {processes} process(es), run {run + 1} of {runs} ...",
                    file=sys.stderr,
                )
                took = parse_only(name, processes, warm_up=run == 0)
                seconds.setdefault((name, key), []).append(took)
    return {
        name: {
            key: {
                **_rate(n, size, statistics.median(seconds[name, key])),
                "seconds_each": [round(t, 2) for t in seconds[name, key]],
            }
            for key in ("one_core", "all_cores")
        }
        for name in PARSERS
    }


def write_maildir(maildir: Path) -> None:
    """The loaded messages as a maildir, one file per message in new/ (what notmuch indexes in
    place), written back to disk before anything is timed (its pages stay cached)."""
    shutil.rmtree(maildir, ignore_errors=True)
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for i, raw in enumerate(_MESSAGES):
        (maildir / "new" / f"{i:07d}.import-bench").write_bytes(raw)
    os.sync()


def notmuch_new(root: Path, maildir: Path, runs: int) -> dict[str, Any]:
    """`notmuch new` of `maildir` into a fresh database, `runs` times after one untimed warm-up
    run: each run's figures (as `run_timed`'s), what the last indexed, and notmuch's version;
    or why it was skipped."""
    exe = ensure_notmuch()
    if exe is None:
        return {"skipped": MISSING}
    nm = NotmuchDb(exe, root, maildir)

    def once() -> dict[str, float]:
        nm.create()  # a fresh database; notmuch's defaults (new.tags unread;inbox)
        return run_timed(nm.command(*NEW), "notmuch new", nm.env)[1]

    once()  # warm-up, untimed: notmuch's libraries and the maildir's pages
    timed = [once() for _ in range(runs)]
    return {
        "runs": timed,
        "indexed": nm.count(),
        "index_bytes": nm.size(),
        "version": nm.version(),
    }


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


def run_timed(
    cmd: list[str], name: str, env: dict[str, str] | None = None
) -> tuple[bytes, dict[str, float]]:
    """Run `cmd` to its end, whole process: its stdout, and its wall seconds, CPU seconds (user
    + sys, its own and its children's) and peak RSS (main process, all its processes, PSS)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    sampler = RssSampler(proc.pid)
    sampler.start()
    out, _ = proc.communicate()
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for children only: this one
    sampler.done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed with exit code {proc.returncode}")
    return out, {
        "seconds": elapsed,
        "cpu_seconds": after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime,
        "peak_rss_main": sampler.peak_main,
        "peak_rss_tree": sampler.peak_tree,
        "peak_pss_tree": sampler.peak_pss,
    }


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
    out, timed = run_timed(
        _archiver(config, "import", "--json", "--workers", str(workers), str(mbox)),
        "archiver import",
    )
    doc = json.loads(out)
    return {
        **timed,
        "archived": doc["archived"] + doc["quarantined"],
        "duplicates": doc["duplicates"],
        "failed": doc["failed"],
        "empty_archive_bytes": empty,
    }


def empty_database(database: str, *, check: bool) -> None:
    """Empty the PostgreSQL `database` for a fresh archive; with `check`, first refuse one that
    holds any table (this is the only check before its tables are dropped)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(database)
    with engine.begin() as conn:
        if check:
            tables = conn.execute(
                sqlalchemy.text(
                    "SELECT count(*) FROM pg_tables "
                    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                )
            ).scalar_one()
            if tables:
                raise SystemExit(f"{database} has {tables} tables: give an empty database")
        conn.execute(sqlalchemy.text("DROP SCHEMA public CASCADE"))
        conn.execute(sqlalchemy.text("CREATE SCHEMA public"))
    engine.dispose()


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


MB = 1 << 20
TARGET = 1.3  # issue 17: import on all cores >= 1.3x the one-core parse-only rate
NOTMUCH_TARGET = 0.6  # issue 17: import on all cores >= 0.6x `notmuch new`'s rate (wall time)


def _rate(messages: int, size: int, seconds: float) -> dict[str, float]:
    return {
        "messages_per_s": round(messages / seconds, 1),
        "mb_per_s": round(size / MB / seconds, 2),
        "seconds": round(seconds, 2),
    }


def _import_figures(result: dict[str, float], size: int) -> dict[str, Any]:
    return {
        **_rate(int(result["archived"]), size, result["seconds"]),
        "cpu_seconds": round(result["cpu_seconds"], 2),
        "archived": result["archived"],
        "failed": result["failed"],
        "peak_rss_mb": {
            "main": round(result["peak_rss_main"] / MB, 1),
            "all_processes": round(result["peak_rss_tree"] / MB, 1),
            "all_processes_pss": round(result["peak_pss_tree"] / MB, 1),
        },
    }


def _notmuch_figures(result: dict[str, Any], size: int) -> dict[str, Any]:
    """`notmuch_new`'s figures: the medians of its timed runs, and each run's."""
    if "skipped" in result:
        return dict(result)
    runs: list[dict[str, float]] = result["runs"]
    return {
        **_rate(result["indexed"], size, statistics.median(r["seconds"] for r in runs)),
        "cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in runs), 2),
        "processes": 1,  # notmuch new indexes in one process, on one core
        "runs": len(runs),
        "seconds_each": [round(r["seconds"], 2) for r in runs],
        "cpu_seconds_each": [round(r["cpu_seconds"], 2) for r in runs],
        "indexed": result["indexed"],
        "new_tags": "unread;inbox (notmuch's default)",
        "peak_rss_mb": round(max(r["peak_rss_tree"] for r in runs) / MB, 1),
        "index_bytes": result["index_bytes"],
        "version": result["version"],
    }


def _table(doc: dict[str, Any]) -> str:
    """The figures of `doc` for a person: rates and ratios in a small table, then the rest."""
    c, cores = doc["corpus"], doc["all_cores_processes"]
    imp, ratios, target = doc["import"], doc["ratios"], doc["issue_17_target"]
    rows = [
        ("mail-parser, parse only", doc["parse_only"]["mail_parser"]),
        ("archiver's parser, parse only", doc["parse_only"]["archiver_parser"]),
        ("archiver import", imp),
    ]
    lines = [
        f"{c['messages']:,} messages, {c['message_bytes'] / MB:.1f} MB "
        f"({c['mbox_bytes'] / MB:.1f} MB mbox); {doc['database']}; roster: {doc['roster']}",
        "",
        f"{'msg/s (MB/s)':<31}{'one core':>18}{f'all cores ({cores})':>20}",
    ]
    for label, fig in rows:
        one, every = fig["one_core"], fig["all_cores"]
        lines.append(
            f"{label:<31}{one['messages_per_s']:>9,.0f} ({one['mb_per_s']:5.1f}) "
            f"{every['messages_per_s']:>11,.0f} ({every['mb_per_s']:5.1f})"
        )
    nm = doc["notmuch_new"]
    if "skipped" in nm:
        lines.append(f"{'notmuch new':<31}skipped: {nm['skipped']}")
    else:
        lines.append(
            f"{'notmuch new':<31}{nm['messages_per_s']:>9,.0f} ({nm['mb_per_s']:5.1f}) "
            f"{'single process':>19}"
        )
    lines.append("")
    lines.append(f"{'import / parse only':<31}{'one core':>18}{'all cores':>20}")
    for key, label in (("archiver_parser", "archiver's parser"), ("mail_parser", "mail-parser")):
        r = ratios[f"import_vs_{key}"]
        lines.append(f"{'  vs ' + label:<31}{r['one_core']:>17.2f}x{r['all_cores']:>19.2f}x")
    r = ratios["import_vs_notmuch_new"]
    if r:
        lines.append(f"{'import / notmuch new':<31}{r['one_core']:>17.2f}x{r['all_cores']:>19.2f}x")
    lines += [
        "",
        f"issue 17 target, import on all cores / parse only on one core >= {TARGET}x: "
        f"{target['vs_archiver_parser']:.2f}x archiver's parser, "
        f"{target['vs_mail_parser']:.2f}x mail-parser",
    ]
    nm_target = doc["issue_17_notmuch_target"]["import_all_cores_vs_notmuch_new"]
    if nm_target is not None:
        lines.append(
            f"issue 17 target, import on all cores / notmuch new >= {NOTMUCH_TARGET}x: "
            f"{nm_target:.2f}x"
        )
    lines.append("")
    for key in ("one_core", "all_cores"):
        rss = imp[key]["peak_rss_mb"]
        lines.append(
            f"import, {key.replace('_', ' ')}: {imp[key]['cpu_seconds']:.1f} s of CPU, peak RSS "
            f"{rss['main']:.0f} MB main, {rss['all_processes']:.0f} MB all processes "
            f"({rss['all_processes_pss']:.0f} MB PSS)"
        )
    if "skipped" not in nm:
        lines.append(
            f"notmuch new (single process; median of {nm['runs']} runs after a warm-up, each "
            f"into a fresh database): {nm['cpu_seconds']:.1f} s of CPU, peak RSS "
            f"{nm['peak_rss_mb']:.0f} MB, {nm['indexed']:,} messages indexed, database "
            f"{nm['index_bytes'] / MB:.1f} MB; {nm['version']}"
        )
    lines += [
        f"archive {doc['archive_bytes'] / MB:.1f} MB: {doc['archive_vs_corpus']}x the corpus "
        f"({doc['archive_without_index_vs_corpus']}x without the search index, "
        f"{doc['growth_vs_corpus']}x over an empty archive)",
        f"search index {doc['search_index_bytes'] / MB:.1f} MB, "
        f"{doc['search_index_per_record']} bytes a record",
    ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="200M", help="corpus size (e.g. 200M, 1G)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--workers",
        type=int,
        default=0,
        help="processes of the all-core figures (0 = one per core)",
    )
    ap.add_argument("--database", help="PostgreSQL URL of an empty database (default: SQLite)")
    ap.add_argument("--keep", type=Path, help="keep the corpus and archives in this directory")
    ap.add_argument("--roster", type=Path, help="import this roster first (tags every record)")
    ap.add_argument(
        "--parse-runs",
        type=int,
        default=3,
        help="timed passes of each parser alone, taking turns (the median is reported)",
    )
    ap.add_argument(
        "--notmuch-runs",
        type=int,
        default=3,
        help="timed runs of `notmuch new`, after an untimed one (the median is reported)",
    )
    ap.add_argument("--no-notmuch", action="store_true", help="no `notmuch new` baseline")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    cores = args.workers or os.cpu_count() or 1
    compile_archiver()
    print(f"{BYTECODE_NOTE}", file=sys.stderr)

    root = args.keep or Path(tempfile.mkdtemp(prefix="archiver-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    mbox = root / f"corpus-{args.size}-{args.seed}.mbox"
    if not mbox.exists():
        t = time.perf_counter()
        corpus.write_corpus(mbox, "mbox", None, args.seed, _bytes(args.size))
        print(f"generated {mbox} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    corpus_bytes = mbox.stat().st_size
    if args.database:
        empty_database(args.database, check=True)

    n, size = load_messages(mbox)
    parsing = parse_only_figures(n, size, cores, max(1, args.parse_runs))
    if args.no_notmuch:
        notmuch: dict[str, Any] = {"skipped": "--no-notmuch"}
    else:
        print("notmuch new (the same messages as a maildir) ...", file=sys.stderr)
        maildir = root / f"maildir-{args.size}-{args.seed}"
        write_maildir(maildir)
        notmuch = notmuch_new(root, maildir, max(1, args.notmuch_runs))
    _MESSAGES.clear()  # not held while the imports run

    imports: dict[str, dict[str, float]] = {}
    for key, workers in (("one_core", 1), ("all_cores", args.workers)):
        print(f"archiver import --workers {workers} ...", file=sys.stderr)
        work = root / f"archive-{key.replace('_', '-')}"
        shutil.rmtree(work, ignore_errors=True)
        if args.database:
            empty_database(args.database, check=False)
        imports[key] = run_import(mbox, work, workers, args.database, args.roster)
    # The sizes are the last (all-core) archive's: a PostgreSQL database holds one at a time.
    stored = archive_bytes(work, args.database)
    index = index_bytes(work, args.database)
    archived = imports["all_cores"]["archived"]

    import_figures = {k: _import_figures(v, size) for k, v in imports.items()}
    notmuch_figures = _notmuch_figures(notmuch, size)
    notmuch_ran = "skipped" not in notmuch_figures

    def rate(fig: dict[str, Any]) -> float:
        return float(fig["messages_per_s"])

    # notmuch new is one process: import on one core is like with like, on all cores issue 17's
    against_notmuch: dict[str, dict[str, float] | None] = {
        "import_vs_notmuch_new": None,
        "import_cpu_vs_notmuch_new": None,
    }
    if notmuch_ran:
        against_notmuch = {
            "import_vs_notmuch_new": {
                key: round(rate(import_figures[key]) / rate(notmuch_figures), 2)
                for key in ("one_core", "all_cores")
            },
            "import_cpu_vs_notmuch_new": {
                key: round(import_figures[key]["cpu_seconds"] / notmuch_figures["cpu_seconds"], 2)
                for key in ("one_core", "all_cores")
            },
        }
    versus = against_notmuch["import_vs_notmuch_new"]

    figures = {
        "corpus": {"messages": n, "message_bytes": size, "mbox_bytes": corpus_bytes},
        "cpu_cores": os.cpu_count(),
        "all_cores_processes": cores,
        "database": "postgresql" if args.database else "sqlite",
        "roster": str(args.roster) if args.roster else None,
        "parse_only": parsing,
        "import": import_figures,
        "ratios": {  # like with like: one parser, one core count
            f"import_vs_{name}": {
                key: round(rate(import_figures[key]) / rate(parsing[name][key]), 2)
                for key in ("one_core", "all_cores")
            }
            for name in PARSERS
        }
        | against_notmuch,
        "issue_17_target": {
            "at_least": TARGET,
            **{
                f"vs_{name}": round(
                    rate(import_figures["all_cores"]) / rate(parsing[name]["one_core"]),
                    2,
                )
                for name in PARSERS
            },
        },
        "notmuch_new": notmuch_figures,
        "issue_17_notmuch_target": {
            "at_least": NOTMUCH_TARGET,
            "import_all_cores_vs_notmuch_new": versus["all_cores"] if versus else None,
        },
        "archive_bytes": stored,
        "archive_vs_corpus": round(stored / corpus_bytes, 3),
        "search_index_bytes": index,
        "search_index_per_record": round(index / max(1, archived)),
        "archive_without_index_vs_corpus": round((stored - index) / corpus_bytes, 3),
        "empty_archive_bytes": imports["all_cores"]["empty_archive_bytes"],
        "growth_vs_corpus": round(
            (stored - imports["all_cores"]["empty_archive_bytes"]) / corpus_bytes, 3
        ),
    }
    print(json.dumps(figures, indent=2) if args.json else _table(figures))
    if not args.keep:  # as it was found: no archive left behind
        shutil.rmtree(root, ignore_errors=True)
        if args.database:
            empty_database(args.database, check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
