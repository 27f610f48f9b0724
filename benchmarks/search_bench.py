#!/usr/bin/env python3
"""Search benchmark: archiver's blind-index search on SQLite and PostgreSQL beside notmuch.

Generates N teacher forwards (benchmarks/corpus.py) once as an mbox and as a maildir, imports a
roster of the students they name and then the mbox into a fresh SQLite archive and a fresh
PostgreSQL database, indexes the maildir with notmuch (Debian package `notmuch`), and prints:
  - the time of each import and of `notmuch new`;
  - for a fixed set of queries (one rare word, two common words, a phrase, a student filter, a
    date range): hits, median and 95th-percentile latency on SQLite, PostgreSQL and notmuch,
    and archiver's median over notmuch's;
  - one end-to-end `archiver search --json` call (Python start-up included), apart;
  - the index size per record: SQLite's and PostgreSQL's search tables, notmuch's Xapian
    database, and the whole archive for context.

Archiver is timed in process (`archiver.archive.search.search`, first page of 50 results with
the exact total, as `archiver search` shows them); notmuch through its command line
(`notmuch search --output=summary --limit=50`, the same first page; `notmuch count` gives its
hits and is timed too). The commands run are printed.

Usage:
  python benchmarks/search_bench.py [--count 100000] [--seed 7] [--runs 30] [--warmup 3]
      [--keep DIR] [--fresh] [--json]
      [--database postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--pg-name NAME]
      [--no-postgres] [--no-analyze] [--no-notmuch]

--database names a PostgreSQL server (default: $ARCHIVER_TEST_DATABASE_URL, else the local
server above); the database --pg-name (archiver_search_bench) on it is dropped and created
anew, and VACUUM ANALYZEd after the import: autovacuum does that soon after a bulk load, and
without statistics (and the visibility map) the planner picks poor plans (--no-analyze
measures those).
--keep DIR keeps the corpus, the archives and the notmuch index in DIR and reuses them on the
next run with the same --count and --seed while the schema is the same (--fresh rebuilds the
archives and the index anyway). Without --keep, a temporary directory is used and removed.
When run as root without notmuch, the script installs it with apt-get.

Targets (issue: search): median latency within 2x of notmuch for every query; 95th percentile
under 200 ms on SQLite. 100,000 records need about 6 GB per corpus copy (mbox, maildir), as
much for each archive, and 20-60 minutes, most of it in the imports.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import hashlib
import itertools
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import corpus  # noqa: E402
import import_bench  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_PG_NAME = "archiver_search_bench"
MEDIAN_RATIO_TARGET = 2.0
SQLITE_P95_TARGET_MS = 200.0
COMMON_WORDS = ("please", "school")  # each in about a quarter of the corpus's messages
PHRASE = ("field", "trip")  # in about 4% of them
DATE_RANGE = (date(2025, 3, 1), date(2025, 3, 31))  # the corpus spans 2025-2026: ~1/24 of it


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Corpus and roster
# --------------------------------------------------------------------------------------------


@dataclass
class Corpus:
    """The generated messages, as mbox and maildir, and what the queries are chosen from."""

    count: int
    seed: int
    mbox: Path
    maildir: Path
    mbox_bytes: int
    generate_seconds: float
    ids: dict[str, int]  # student ids written in the teachers' notes -> messages naming them
    names: dict[str, int]  # student names in the notes -> messages naming them


def _student_names() -> dict[str, tuple[str, str]]:
    """Every student name the generator can write, as "First Last" -> (first, last)."""
    out: dict[str, tuple[str, str]] = {}
    for culture in corpus._CULTURES.values():
        for first in culture.children:
            for last in culture.last:
                out.setdefault(f"{first} {last}", (first, last))
    return out


def make_corpus(root: Path, count: int, seed: int) -> Corpus:
    """Write (or reuse) the corpus in `root`; its manifest is written last, when complete."""
    stem = f"corpus-{count}-{seed}"
    mbox, maildir, manifest = (
        root / f"{stem}.mbox",
        root / f"maildir-{count}-{seed}",
        root / f"{stem}.json",
    )
    if manifest.exists() and mbox.exists() and (maildir / "new").is_dir():
        doc = json.loads(manifest.read_text())
        log(f"reusing the corpus in {root} ({count} messages, seed {seed})")
        return Corpus(
            count,
            seed,
            mbox,
            maildir,
            doc["mbox_bytes"],
            doc["generate_seconds"],
            doc["ids"],
            doc["names"],
        )
    manifest.unlink(missing_ok=True)
    shutil.rmtree(maildir, ignore_errors=True)
    start = time.perf_counter()
    log(f"writing {count} messages as {mbox.name} ...")
    summary = corpus.write_corpus(mbox, "mbox", count, seed, None)
    log(f"... and as {maildir.name}/ ...")
    corpus.write_corpus(maildir, "maildir", count, seed, None)
    ids: Counter[str] = Counter()
    names: Counter[str] = Counter()
    for message in itertools.islice(corpus.generate_labeled(seed), count):
        for named in set(message.students):
            (ids if named.isdigit() else names)[named] += 1
    spent = time.perf_counter() - start
    log(f"corpus written in {spent:.0f} s")
    doc = {
        "messages": count,
        "seed": seed,
        "mbox_bytes": int(str(summary["bytes"])),
        "generate_seconds": round(spent, 1),
        "ids": dict(sorted(ids.items())),
        "names": dict(sorted(names.items())),
    }
    manifest.write_text(json.dumps(doc, indent=1))
    return Corpus(count, seed, mbox, maildir, doc["mbox_bytes"], spent, dict(ids), dict(names))


def student_ids(names: Sequence[str]) -> dict[str, str]:
    """A stable 9-digit id per name: the same name always gets the same id.

    Nine digits keep them apart from the 6-digit ids the corpus writes in notes (random, and
    on nobody's roster), so no id in a note tags a roster student by accident.
    """
    out: dict[str, str] = {}
    used: set[int] = set()
    for name in sorted(names):
        value = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
        number = 100_000_000 + value % 900_000_000
        while number in used:  # a collision (unlikely): the next free number, in name order
            number = 100_000_000 + (number - 99_999_999) % 900_000_000
        used.add(number)
        out[name] = str(number)
    return out


def write_roster(path: Path, names: Sequence[str]) -> dict[str, str]:
    """A roster (generic export columns) of the named students; returns name -> student id."""
    known = _student_names()
    ids = student_ids([n for n in names if n in known])
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["student_id", "first_name", "last_name", "grade", "status"])
        for name, sid in sorted(ids.items(), key=lambda item: item[1]):
            first, last = known[name]
            out.writerow([sid, first, last, "", "Active"])
    return ids


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    key: str
    label: str
    archiver: dict[str, Any]  # SearchRequest fields
    notmuch: str
    note: str = ""

    def archiver_text(self) -> str:
        return " ".join(
            f"{k}={v if isinstance(v, date) else repr(v)}" for k, v in self.archiver.items()
        )


def choose_queries(c: Corpus, roster: dict[str, str]) -> tuple[list[Query], dict[str, Any]]:
    """The fixed query set, with what it was chosen from."""
    chosen: dict[str, Any] = {}
    if c.ids:  # the student id written in the most notes: a word in a handful of messages
        rare, n = max(c.ids.items(), key=lambda item: (item[1], -int(item[0])))
        chosen["rare_word"] = {"word": rare, "notes_naming_it": n}
        rare_note = f"a student id written in {n} teacher note(s) and nowhere else"
    else:  # a tiny corpus: the least-named student's last name
        name = min(c.names, key=lambda k: (c.names[k], k))
        rare = name.split()[-1]
        chosen["rare_word"] = {"word": rare}
        rare_note = "the last name of the least-named student"
    names = sorted((k for k in c.names if k in roster), key=lambda k: (c.names[k], k))
    student = names[int(len(names) * 0.75)] if names else ""
    chosen["student"] = {
        "name": student,
        "id": roster.get(student, ""),
        "notes_naming": c.names.get(student, 0),
        "roster_size": len(roster),
    }
    since, until = DATE_RANGE
    phrase = " ".join(PHRASE)
    queries = [
        Query("rare", "rare word", {"query": rare}, rare, rare_note),
        Query(
            "common",
            "two common words",
            {"query": " ".join(COMMON_WORDS)},
            " and ".join(COMMON_WORDS),
            "notmuch stems words (please/pleased), archiver does not",
        ),
        Query("phrase", "phrase", {"query": f'"{phrase}"'}, f'"{phrase}"'),
        Query(
            "student",
            "student filter",
            {"student": roster.get(student, "")},
            f'"{student}"',
            f"archiver: the tag of {student} (roster id); notmuch has no such tags: the full "
            "name as a phrase",
        ),
        Query(
            "dates",
            "date range",
            {"since": since, "until": until},
            f"date:{since.isoformat()}..{until.isoformat()}",
            "archiver: the original's sent date; notmuch: the forward's Date header",
        ),
    ]
    return queries, chosen


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


@dataclass
class Timing:
    hits: int | None = None
    runs: list[float] = field(default_factory=list)  # seconds
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.runs) * 1000 if self.runs else None

    @property
    def p95_ms(self) -> float | None:
        if not self.runs:
            return None
        ordered = sorted(self.runs)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] * 1000  # nearest rank

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "hits": self.hits,
            "median_ms": _round(self.median_ms),
            "p95_ms": _round(self.p95_ms),
            "runs": len(self.runs),
        }
        if self.error:
            doc["error"] = self.error
        doc.update(self.extra)
        return doc


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


Call = Callable[[], int]  # one search; returns the hits


def measure(calls: dict[str, Call], warmup: int, runs: int) -> dict[str, Timing]:
    """Time every call `runs` times after `warmup` untimed calls, round-robin: run i of every
    call comes before run i + 1 of any, so a passing load spike hurts all engines alike."""
    out = {name: Timing() for name in calls}
    for i in range(warmup + runs):
        for name, call in calls.items():
            timing = out[name]
            if timing.error:
                continue
            start = time.perf_counter()
            try:
                timing.hits = call()
            except Exception as exc:  # noqa: BLE001 -- report it; the others still count
                timing.error = f"{type(exc).__name__}: {exc}"
                timing.runs = []
                continue
            if i >= warmup:
                timing.runs.append(time.perf_counter() - start)
    return out


# --------------------------------------------------------------------------------------------
# archiver
# --------------------------------------------------------------------------------------------


def _archiver_cmd() -> list[str]:
    exe = shutil.which("archiver", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "archiver"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


class CommandFailed(RuntimeError):
    pass


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(args), env=_env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CommandFailed(
            f"exit {proc.returncode}: {' '.join(args)}\n{proc.stderr.strip()[-2000:]}"
        )
    return proc


def _archiver(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(*_archiver_cmd(), "--config", str(config), *args)


def _pg_url(server: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _pg_admin(server: str, *statements: str) -> list[Any]:
    import sqlalchemy

    engine = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            results = [conn.execute(sqlalchemy.text(s)) for s in statements]
            return [r.fetchall() if r.returns_rows else [] for r in results]
    finally:
        engine.dispose()


def _current(database: str | None, work: Path) -> bool:
    """Whether a kept archive has this program's schema: revision, and search tables' columns."""
    import sqlalchemy

    from archiver.store import schema, tables

    engine = sqlalchemy.create_engine(database or f"sqlite:///{import_bench.sqlite_file(work)}")
    try:
        if schema.current_revision(engine) != schema.head_revision():
            return False
        found = sqlalchemy.inspect(engine)
        for name in import_bench.SEARCH_TABLES:
            want = {c.name for c in tables.metadata.tables[name].columns}
            if {c["name"] for c in found.get_columns(name)} != want:
                return False
    except Exception:  # noqa: BLE001 -- no database, no such table, or another schema
        return False
    finally:
        engine.dispose()
    return True


def build_archive(
    work: Path,
    mbox: Path,
    roster: Path,
    database: str | None,
    workers: int,
    fresh: bool,
    reset: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """A fresh archive in `work` (SQLite, or `database`): roster first, then the mbox.

    Reused as it is when `work/import.json` says it was completed with the same inputs and
    the search tables are there; otherwise `reset()` empties the database first.
    """
    marker = work / "import.json"
    inputs = {"mbox": str(mbox), "roster": str(roster), "database": database}
    if not fresh and marker.exists():
        doc: dict[str, Any] = json.loads(marker.read_text())
        if doc.get("inputs") == inputs and _current(database, work):
            log(f"reusing the archive in {work} (imported earlier in {doc['seconds']:.0f} s)")
            doc["reused"] = True
            return doc
    marker.unlink(missing_ok=True)
    reset()
    shutil.rmtree(work, ignore_errors=True)
    _run(*_archiver_cmd(), "init", str(work))
    config = work / "archiver.toml"
    if database:
        config.write_text(import_bench.with_database(config.read_text(), database))
        import_bench.sqlite_file(work).unlink(missing_ok=True)
        _archiver(config, "db", "upgrade")
        _archiver(config, "keys", "generate")
    _archiver(config, "students", "import", str(roster))
    log(f"archiver import into {'PostgreSQL' if database else 'SQLite'} ({work}) ...")
    start = time.perf_counter()
    proc = _archiver(config, "import", "--json", "--workers", str(workers), str(mbox))
    spent = time.perf_counter() - start
    report = json.loads(proc.stdout)
    doc = {
        "inputs": inputs,
        "config": str(config),
        "seconds": round(spent, 2),
        "archived": report["archived"],
        "quarantined": report["quarantined"],
        "duplicates": report["duplicates"],
        "failed": report["failed"],
    }
    log(f"... {report['archived']} archived in {spent:.0f} s")
    marker.write_text(json.dumps(doc, indent=1))
    doc["reused"] = False
    return doc


def archiver_calls(
    config: Path, queries: Sequence[Query], limit: int, stack: contextlib.ExitStack
) -> tuple[dict[str, Call], Counter[str]]:
    """A call per query through `archiver.archive.search.search`, in this process, on an
    archive kept open until `stack` closes; and the most records found unindexed per query."""
    from archiver.app import App
    from archiver.archive.search import search
    from archiver.domain import SearchRequest

    app = App.from_config(config)
    stack.callback(app.close)
    db, ring = app.store, app.keyring
    unindexed: Counter[str] = Counter()

    def run(key: str, request: SearchRequest) -> int:
        result = search(db, ring, request, app.district)
        unindexed[key] = max(unindexed[key], result.unindexed)
        return result.total

    calls: dict[str, Call] = {
        q.key: functools.partial(run, q.key, SearchRequest(limit=limit, **q.archiver))
        for q in queries
    }
    return calls, unindexed


def time_cli(config: Path, query: str, runs: int) -> Timing:
    """`archiver --config X search --json QUERY`, start-up included (one warm-up run)."""
    cmd = [*_archiver_cmd(), "--config", str(config), "search", "--json", query]

    def call() -> int:
        proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
        return int(json.loads(proc.stdout)["total"])

    timing = measure({"cli": call}, 1, runs)["cli"]
    timing.extra["command"] = " ".join(cmd)
    return timing


def _count(database: str | None, work: Path, table: str) -> int:
    import sqlalchemy

    url = database or f"sqlite:///{import_bench.sqlite_file(work)}"
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sqlalchemy.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def archive_sizes(work: Path, database: str | None) -> dict[str, Any]:
    """The search index's and the whole archive's bytes (as `import_bench.py` measures them)."""
    return {
        "index_bytes": import_bench.index_bytes(work, database),
        "archive_bytes": import_bench.archive_bytes(work, database),
        "records": _count(database, work, "record"),
        "docs": _count(database, work, "search_doc"),
        "method": (
            "pg_total_relation_size of the search tables"
            if database
            else "dbstat: the search tables and their indexes"
        ),
    }


# --------------------------------------------------------------------------------------------
# notmuch
# --------------------------------------------------------------------------------------------


def ensure_notmuch() -> str | None:
    """The notmuch executable; installed with apt-get when missing and we are root."""
    exe = shutil.which("notmuch")
    if exe:
        return exe
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("notmuch is missing: apt-get install -y notmuch ...")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        proc = subprocess.run(
            ["apt-get", "install", "-y", "-qq", "notmuch"], env=env, capture_output=True
        )
        if proc.returncode == 0:
            return shutil.which("notmuch")
    return None


class Notmuch:
    """A private notmuch setup: its own config file, its database inside the maildir."""

    def __init__(self, exe: str, root: Path, maildir: Path) -> None:
        self.exe = exe
        self.maildir = maildir
        self.config = root / f"notmuch-{maildir.name}.config"
        self.xapian = maildir / ".notmuch" / "xapian"
        self.env = dict(os.environ, NOTMUCH_CONFIG=str(self.config))
        self.env.pop("NOTMUCH_PROFILE", None)

    def run(self, *args: str) -> str:
        proc = subprocess.run(
            [self.exe, *args], env=self.env, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"notmuch {' '.join(args)}: exit {proc.returncode}: {proc.stderr}")
        return proc.stdout

    def index(self, fresh: bool) -> dict[str, Any]:
        marker = self.maildir.parent / f"notmuch-{self.maildir.name}.json"
        if not fresh and marker.exists() and self.xapian.is_dir():
            doc: dict[str, Any] = json.loads(marker.read_text())
            log(f"reusing the notmuch index in {self.xapian} (built in {doc['seconds']:.0f} s)")
            doc["reused"] = True
            return doc
        shutil.rmtree(self.maildir / ".notmuch", ignore_errors=True)
        self.config.write_text(
            "[database]\n"
            f"path={self.maildir}\n"
            "[user]\n"
            "name=Search Bench\n"
            "primary_email=search-bench@example.org\n"
            "[new]\n"
            "tags=inbox;\n"
            "ignore=\n"
            "[search]\n"
            "exclude_tags=\n"
            "[maildir]\n"
            "synchronize_flags=false\n"
        )
        log(f"notmuch new ({self.maildir}) ...")
        start = time.perf_counter()
        self.run("new", "--quiet")
        spent = time.perf_counter() - start
        doc = {"seconds": round(spent, 2), "messages": int(self.run("count", "*").strip())}
        log(f"... {doc['messages']} messages indexed in {spent:.0f} s")
        marker.write_text(json.dumps(doc, indent=1))
        doc["reused"] = False
        return doc

    def search_args(self, query: str, limit: int) -> list[str]:
        return ["search", "--format=json", "--output=summary", f"--limit={limit}", query]

    def _page(self, args: list[str]) -> int:
        return len(json.loads(self.run(*args)))

    def _count(self, query: str) -> int:
        return int(self.run("count", query).strip())

    def calls(self, queries: Sequence[Query], limit: int) -> dict[str, Call]:
        """Per query, the first page (`search`) and the exact total (`count`); and a query
        that matches nothing (`floor`: start-up and opening the database alone)."""
        out: dict[str, Call] = {}
        for q in queries:
            out[f"{q.key}/search"] = functools.partial(
                self._page, self.search_args(q.notmuch, limit)
            )
            out[f"{q.key}/count"] = functools.partial(self._count, q.notmuch)
        out["floor"] = functools.partial(self._count, "id:nothing@bench.invalid")
        return out

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.xapian.rglob("*") if p.is_file())


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


def verdicts(figures: dict[str, Any]) -> list[tuple[str, bool | None]]:
    """(what, passed) for each target; None when it could not be measured."""
    out: list[tuple[str, bool | None]] = []
    for key, q in figures["queries"].items():
        nm = q["engines"].get("notmuch", {}).get("median_ms")
        for engine in ("sqlite", "postgresql"):
            e = q["engines"].get(engine)
            if e is None:
                continue
            if e["median_ms"] is not None and nm:
                ok: bool | None = e["median_ms"] <= MEDIAN_RATIO_TARGET * nm
            else:
                ok = None
            out.append((f"{key}: {engine} median <= {MEDIAN_RATIO_TARGET:g}x notmuch", ok))
        s = q["engines"].get("sqlite")
        if s is not None:
            p95 = s["p95_ms"]
            out.append(
                (
                    f"{key}: sqlite p95 < {SQLITE_P95_TARGET_MS:g} ms",
                    None if p95 is None else p95 < SQLITE_P95_TARGET_MS,
                )
            )
    return out


def print_report(figures: dict[str, Any]) -> None:
    c = figures["corpus"]
    print(
        f"Search benchmark: {c['messages']} messages ({_gb(c['mbox_bytes'])} mbox), seed "
        f"{c['seed']}, {figures['runs']} timed runs after {figures['warmup']} warm-up, first "
        f"{figures['limit']} results, {figures['cpu_cores']} cores"
    )
    load = " ".join(f"{x:.2f}" for x in figures["load_average"])
    print(f"load average when timing began: {load} (other work on the machine skews the figures)")
    print()
    print(f"{'build':<34}{'seconds':>9}{'msg/s':>9}")
    for name, b in figures["build"].items():
        if b.get("seconds") is None:
            print(f"  {name:<32}{'-':>9}{'-':>9}  {b.get('error', '')}")
            continue
        rate = b["messages"] / b["seconds"] if b["seconds"] else 0
        reused = "  (kept from an earlier run)" if b.get("reused") else ""
        print(f"  {name:<32}{b['seconds']:>9.0f}{rate:>9.0f}{reused}")
    print()
    header = (
        f"{'query':<18}{'engine':<12}{'hits':>8}{'median ms':>11}{'p95 ms':>9}{'vs notmuch':>12}"
    )
    print(header)
    print("-" * len(header))
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "notmuch": "notmuch"}
    for q in figures["queries"].values():
        first = True
        nm = q["engines"].get("notmuch", {}).get("median_ms")
        for engine, e in q["engines"].items():
            ratio = ""
            if engine != "notmuch" and e["median_ms"] is not None and nm:
                ratio = f"{e['median_ms'] / nm:.2f}x"
            hits = "-" if e["hits"] is None else str(e["hits"])
            print(
                f"{q['label'] if first else '':<18}{names[engine]:<12}{hits:>8}"
                f"{_ms(e['median_ms']):>11}{_ms(e['p95_ms']):>9}{ratio:>12}"
            )
            if e.get("error"):
                print(f"{'':<18}  error: {e['error']}")
            if e.get("unindexed"):
                print(f"{'':<18}  {e['unindexed']} records not yet indexed")
            first = False
    print()
    print("what ran (archiver: SearchRequest fields, in process; notmuch: command line)")
    for q in figures["queries"].values():
        print(f"  {q['label']}:")
        print(f"    archiver  {q['archiver']}")
        if "notmuch" in q["engines"]:
            print(f"    notmuch   notmuch {q['notmuch_search']}   (hits: notmuch count)")
        if q["note"]:
            print(f"    note      {q['note']}")
    floor = figures.get("notmuch_floor_ms")
    if floor is not None:
        print(
            f"  notmuch start-up and database opening alone (count of a query matching "
            f"nothing): median {_ms(floor)} ms, included in every notmuch figure"
        )
    counts = [
        f"{q['label']} {_ms(q['engines']['notmuch'].get('count_median_ms'))}"
        for q in figures["queries"].values()
        if "notmuch" in q["engines"]
    ]
    if counts:
        print("  notmuch count, median ms: " + ", ".join(counts))
    print()
    cli = figures.get("cli")
    if cli:
        print(f"end to end, Python start-up included: `archiver search --json {cli['query']}`")
        for engine, t in cli["engines"].items():
            if t.get("error"):
                print(f"  {names[engine]:<12} error: {t['error']}")
            else:
                print(
                    f"  {names[engine]:<12} median {_ms(t['median_ms'])} ms, "
                    f"p95 {_ms(t['p95_ms'])} ms over {t['runs']} runs ({t['hits']} hits)"
                )
        print()
    print(f"{'index size':<30}{'bytes':>15}{'per record':>12}{'whole archive':>16}")
    for name, s in figures["index_size"].items():
        if s.get("error"):
            print(f"  {name:<28} error: {s['error']}")
            continue
        per = "-" if s["per_record"] is None else f"{s['per_record']:.0f}"
        index = "-" if s["index_bytes"] is None else f"{s['index_bytes']:,}"
        whole = "" if s.get("archive_bytes") is None else _gb(s["archive_bytes"])
        print(f"  {name:<28}{index:>15}{per:>12}{whole:>16}")
    print()
    print("targets")
    for what, ok in verdicts(figures):
        print(f"  {'PASS' if ok else 'FAIL' if ok is False else 'n/a '}  {what}")
    for note in figures["notes"]:
        print(f"note: {note}")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def _free_bytes(path: Path) -> int:
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def check_disk(root: Path, count: int, seed: int, reuse: bool) -> str | None:
    """A message when `root` looks too small for the corpus, the archive and the index."""
    sample = list(itertools.islice(corpus.generate(seed), 200))
    per_message = sum(len(m) for m in sample) / len(sample)
    # mbox + maildir + SQLite archive (encrypted, barely compressible attachments) + notmuch
    need = count * per_message * (0.3 if reuse else 3.4)
    free = _free_bytes(root)
    if need > free * 0.95:
        return (
            f"not enough disk space in {root}: about {_gb(need)} needed, {_gb(free)} free "
            f"(PostgreSQL needs about {_gb(count * per_message)} more on its own disk); use "
            "--keep DIR on a larger disk or a smaller --count"
        )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000, help="messages (default 100000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--runs", type=int, default=30, help="timed runs per query (default 30)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    ap.add_argument("--cli-runs", type=int, default=5, help="timed end-to-end CLI runs")
    ap.add_argument("--limit", type=int, default=50, help="results per page (default 50)")
    ap.add_argument("--workers", type=int, default=0, help="import workers (0 = one per core)")
    ap.add_argument("--keep", type=Path, help="keep the corpus, archives and index here")
    ap.add_argument("--fresh", action="store_true", help="rebuild kept archives and index")
    ap.add_argument(
        "--database",
        default=os.environ.get("ARCHIVER_TEST_DATABASE_URL", DEFAULT_SERVER),
        help="PostgreSQL server URL (default: $ARCHIVER_TEST_DATABASE_URL or the local server)",
    )
    ap.add_argument("--pg-name", default=DEFAULT_PG_NAME, help="database to (re)create on it")
    ap.add_argument("--no-postgres", action="store_true", help="SQLite only")
    ap.add_argument(
        "--no-analyze", action="store_true", help="no VACUUM ANALYZE of the PostgreSQL database"
    )
    ap.add_argument("--no-notmuch", action="store_true", help="no notmuch comparison")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    if args.count < 1 or args.runs < 1 or args.warmup < 0:
        ap.error("--count and --runs must be positive, --warmup not negative")

    root: Path = args.keep or Path(tempfile.mkdtemp(prefix="archiver-search-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    root = root.resolve()
    notes: list[str] = []
    reuse = (root / f"corpus-{args.count}-{args.seed}.json").exists()
    problem = check_disk(root, args.count, args.seed, reuse)
    if problem:
        print(problem, file=sys.stderr)
        return 2

    c = make_corpus(root, args.count, args.seed)
    roster_path = root / f"roster-{args.count}-{args.seed}.csv"
    roster = write_roster(roster_path, list(c.names))
    queries, chosen = choose_queries(c, roster)
    for q in queries:
        log(f"query {q.label}: archiver {q.archiver_text()} | notmuch {q.notmuch}")

    build: dict[str, dict[str, Any]] = {}
    archives: dict[str, tuple[Path, str | None]] = {}
    sqlite_work = root / f"sqlite-{args.count}-{args.seed}"
    try:
        doc = build_archive(sqlite_work, c.mbox, roster_path, None, args.workers, args.fresh)
    except CommandFailed as exc:
        print(f"SQLite archive: {exc}", file=sys.stderr)
        return 1
    build["archiver import (SQLite)"] = {**doc, "messages": c.count}
    archives["sqlite"] = (sqlite_work, None)

    pg_url: str | None = None
    if not args.no_postgres:
        pg_url = _pg_url(args.database, args.pg_name)
        pg_work = root / f"postgresql-{args.count}-{args.seed}"
        server, name = args.database, args.pg_name

        def reset() -> None:
            _pg_admin(
                server,
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                f'CREATE DATABASE "{name}"',
            )

        try:
            exists = _pg_admin(server, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")[0]
            fresh = args.fresh or not exists
            doc = build_archive(pg_work, c.mbox, roster_path, pg_url, args.workers, fresh, reset)
            build["archiver import (PostgreSQL)"] = {**doc, "messages": c.count}
            archives["postgresql"] = (pg_work, pg_url)
            autovacuum = _pg_admin(pg_url, "SHOW autovacuum")[0][0][0]
            if args.no_analyze:
                notes.append(
                    f"PostgreSQL: no ANALYZE after the import (autovacuum is {autovacuum} on "
                    "this server): the planner may still lack statistics"
                )
            else:  # the state autovacuum reaches soon after a bulk load; stated in the output
                # VACUUM too: autovacuum (PostgreSQL 13+) also runs after inserts, and sets the
                # visibility map that index-only scans of the postings need.
                log("PostgreSQL: VACUUM ANALYZE ...")
                _pg_admin(pg_url, "VACUUM ANALYZE")
                notes.append(
                    f"PostgreSQL: VACUUM ANALYZE was run after the import (autovacuum is "
                    f"{autovacuum} on this server); --no-analyze measures without it"
                )
            notes.append(
                "PostgreSQL's index size includes the space of postings rows that packing "
                "deleted, until later rows reuse it (after a vacuum) or VACUUM FULL returns it"
            )
        except Exception as exc:  # noqa: BLE001 -- no server, or the import failed: say so
            message = f"{type(exc).__name__}: {str(exc).strip()[:400]}"
            log(f"PostgreSQL skipped: {message}")
            notes.append(f"PostgreSQL skipped: {message}")
            build["archiver import (PostgreSQL)"] = {"seconds": None, "error": message}
            pg_url = None

    nm: Notmuch | None = None
    if not args.no_notmuch:
        exe = ensure_notmuch()
        if exe is None:
            message = "notmuch is not installed (apt-get install notmuch, as root)"
            notes.append(message)
            build["notmuch new"] = {"seconds": None, "error": message}
        else:
            nm = Notmuch(exe, root, c.maildir)
            build["notmuch new"] = {**nm.index(args.fresh), "messages": c.count}

    timings: dict[str, dict[str, Timing]] = {}
    calls: dict[str, Call] = {}
    floor: Timing | None = None
    with contextlib.ExitStack() as stack:
        unindexed: dict[str, Counter[str]] = {}
        for engine, (work, _database) in archives.items():
            try:
                found, unindexed[engine] = archiver_calls(
                    work / "archiver.toml", queries, args.limit, stack
                )
            except Exception as exc:  # noqa: BLE001 -- the search API is missing or broken
                error = f"{type(exc).__name__}: {exc}"
                timings[engine] = {q.key: Timing(error=error) for q in queries}
                continue
            calls.update({f"{engine}:{key}": call for key, call in found.items()})
        if nm is not None:
            calls.update(
                {f"notmuch:{key}": call for key, call in nm.calls(queries, args.limit).items()}
            )
        load = os.getloadavg()
        log(
            f"timing {len(calls)} searches, round-robin: {args.warmup} warm-up and "
            f"{args.runs} timed runs each ..."
        )
        measured = measure(calls, args.warmup, args.runs)
    for name, timing in measured.items():
        engine, key = name.split(":", 1)
        if engine == "notmuch":
            continue
        if unindexed[engine][key]:
            timing.extra["unindexed"] = unindexed[engine][key]
        timings.setdefault(engine, {})[key] = timing
    if nm is not None:
        timings["notmuch"] = {}
        for q in queries:
            page, count = measured[f"notmuch:{q.key}/search"], measured[f"notmuch:{q.key}/count"]
            page.hits = count.hits
            page.extra["count_median_ms"] = _round(count.median_ms)
            page.extra["count_p95_ms"] = _round(count.p95_ms)
            page.error = page.error or count.error
            timings["notmuch"][q.key] = page
        floor = measured["notmuch:floor"]

    rare = queries[0]
    cli: dict[str, Any] = {"query": rare.notmuch, "engines": {}}
    for engine, (work, _database) in archives.items():
        log(f"timing `archiver search --json` on {engine} ...")
        cli["engines"][engine] = time_cli(
            work / "archiver.toml", str(rare.archiver["query"]), args.cli_runs
        ).to_json()

    sizes: dict[str, dict[str, Any]] = {}
    records = c.count
    try:
        s = archive_sizes(sqlite_work, None)
        records = s["records"] or records
        sizes["SQLite search tables"] = s
    except Exception as exc:  # noqa: BLE001 -- a benchmark reports what it could not measure
        sizes["SQLite search tables"] = {"error": f"{type(exc).__name__}: {exc}"}
    if pg_url:
        try:
            sizes["PostgreSQL search tables"] = archive_sizes(pg_work, pg_url)
        except Exception as exc:  # noqa: BLE001 -- reported, as above
            sizes["PostgreSQL search tables"] = {"error": f"{type(exc).__name__}: {exc}"}
    if nm is not None:
        sizes["notmuch .notmuch/xapian"] = {"index_bytes": nm.size(), "archive_bytes": None}
    for s in sizes.values():
        if "index_bytes" in s:
            n = s.get("records") or c.count
            s["per_record"] = None if s["index_bytes"] is None else s["index_bytes"] / n

    notes.append(
        "archiver is timed in process with its database open; every notmuch figure includes "
        "starting a process and opening the Xapian database (see the start-up line)"
    )
    notes.append(
        "archiver also indexes text extracted from PDF and DOCX attachments, notmuch only text "
        "parts: archiver finds more where a word is in an attachment only"
    )
    notes.append(
        "archiver's figure includes the exact total and decrypting the results' metadata; the "
        "notmuch figure is the first page only (its exact total, `notmuch count`, is apart)"
    )
    if records != c.count:
        notes.append(f"{records} records archived from {c.count} messages")

    figures: dict[str, Any] = {
        "corpus": {
            "messages": c.count,
            "seed": c.seed,
            "mbox_bytes": c.mbox_bytes,
            "generate_seconds": round(c.generate_seconds, 1),
            "workdir": str(root),
        },
        "cpu_cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in load],
        "runs": args.runs,
        "warmup": args.warmup,
        "limit": args.limit,
        "chosen": chosen,
        "build": build,
        "queries": {
            q.key: {
                "label": q.label,
                "archiver": q.archiver_text(),
                "notmuch_search": " ".join(
                    repr(a) if " " in a or '"' in a else a
                    for a in nm.search_args(q.notmuch, args.limit)
                )
                if nm
                else None,
                "note": q.note,
                "engines": {e: timings[e][q.key].to_json() for e in timings},
            }
            for q in queries
        },
        "notmuch_floor_ms": _round(floor.median_ms) if floor else None,
        "cli": cli if cli["engines"] else None,
        "index_size": sizes,
        "notes": notes,
    }
    figures["targets"] = [{"target": w, "passed": ok} for w, ok in verdicts(figures)]
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
    else:
        print_report(figures)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
        if pg_url:
            _pg_admin(args.database, f'DROP DATABASE IF EXISTS "{args.pg_name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
