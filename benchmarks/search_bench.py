#!/usr/bin/env python3
"""Search benchmark: archiver's blind-index search on SQLite and PostgreSQL beside notmuch.

Generates N teacher forwards (benchmarks/corpus.py) once as an mbox and as a maildir, imports a
roster of the students they name and then the mbox into a fresh SQLite archive and a fresh
PostgreSQL database, indexes the maildir with notmuch (Debian packages `notmuch` and
`python3-notmuch2`), and prints, for a fixed set of queries (one rare word, two common words, a
phrase, a student filter, a date range):
  - hits: each engine's, how many both find and each alone, with the reason for any difference
    (and a few message ids of each side to check it by);
  - in process against in process: `archiver.archive.search.search` with the archive open
    (first page of 50 with the exact total, metadata opened, as `archiver search` shows them)
    against notmuch's Python bindings in a warm process (`notmuch_inprocess.py`, run with
    /usr/bin/python3: the exact total and the first 50 messages with their headers): median
    and 95th-percentile latency and archiver's median over notmuch's;
  - whole process against whole process: `archiver search --json ...` against
    `notmuch search --output=summary --limit=50 ...`, start-up included, and each one's
    start-up floor (a query matching nothing);
  - the index size per record: SQLite's and PostgreSQL's search tables, notmuch's Xapian
    database, and the whole archive for context.

Both engines are asked the same question as far as they can be: notmuch's words are
capitalised (Xapian then does not stem them, as archiver does not), notmuch runs in the
district's time zone (TZ) so dates are the same days, and the two common words are words of the
messages' text that the corpus never writes in attachments (archiver also indexes PDF and DOCX
text, notmuch does not). The commands run are printed.

Usage:
  python benchmarks/search_bench.py [--count 100000] [--seed 7] [--runs 30] [--warmup 3]
      [--cli-runs 10] [--keep DIR] [--fresh] [--json]
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
When run as root without notmuch, the script installs it with apt-get. When notmuch's Python
bindings cannot be imported by /usr/bin/python3, the in-process notmuch column is skipped, and
the report says so.

Targets (issue 17): in process, archiver's median within 1.5x of notmuch's for every query;
whole process, `archiver search` under 0.25 s; and (issue: search) the 95th percentile under
200 ms on SQLite in process. 100,000 records need about 6 GB per corpus copy (mbox, maildir),
as much for each archive, and 20-60 minutes, most of it in the imports.
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
import shlex
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
from bytecode import NOTE as BYTECODE_NOTE  # noqa: E402
from bytecode import compile_archiver  # noqa: E402
from notmuch_db import MISSING, NEW, NotmuchDb, ensure_notmuch  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_PG_NAME = "archiver_search_bench"
MEDIAN_RATIO_TARGET = 1.5  # in process against in process
CLI_TARGET_MS = 250.0  # whole process: `archiver search`, start-up included
SQLITE_P95_TARGET_MS = 200.0
# Each in about a third of the corpus's messages, both in a tenth; never in the attachments'
# text ("please school" was: archiver found 8% more, in PDF and DOCX text notmuch skips).
COMMON_WORDS = ("personal", "thanks")
PHRASE = ("field", "trip")  # in about 4% of them
DATE_RANGE = (date(2025, 3, 1), date(2025, 3, 31))  # the corpus spans 2025-2026: ~1/24 of it
NOTHING = "zzqxnothing"  # a word in no message: a whole-process search's start-up floor
NOTMUCH_PYTHON = "/usr/bin/python3"  # the Python Debian's python3-notmuch2 is built for


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
    how: str = ""  # how the two are made to ask the same question
    differs: str = ""  # why their hits can still differ (checked on the generated corpus)

    def archiver_text(self) -> str:
        return " ".join(
            f"{k}={v if isinstance(v, date) else repr(v)}" for k, v in self.archiver.items()
        )

    def cli_args(self) -> list[str]:
        """The same request as `archiver search` options and words (an argument with a space
        is a phrase there, as a quoted phrase in `query`)."""
        out: list[str] = []
        for name, value in self.archiver.items():
            if name != "query":
                out += [f"--{name}", value.isoformat() if isinstance(value, date) else value]
        words = shlex.split(self.archiver.get("query", ""))
        return [*out, *(["--"] if any(w.startswith("-") for w in words) else []), *words]


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
    unstemmed = "capitalised words: Xapian does not stem them (archiver never stems)"
    queries = [
        Query("rare", "rare word", {"query": rare}, rare.capitalize(), rare_note),
        Query(
            "common",
            "two common words",
            {"query": " ".join(COMMON_WORDS)},
            " AND ".join(w.capitalize() for w in COMMON_WORDS),
            f"{unstemmed}; words the corpus writes in message text, never in attachments",
        ),
        Query(
            "phrase",
            "phrase",
            {"query": f'"{phrase}"'},
            f'"{phrase}"',
            "Xapian does not stem phrases",
        ),
        Query(
            "student",
            "student filter",
            {"student": roster.get(student, "")},
            f'"{student}"',
            f"archiver: the tag of {student} (roster id); notmuch has no such tags: the full "
            "name as a phrase",
            "not the same question: archiver's tags come from the roster matcher (also a first "
            "name beside a parent of the family name, ids, PDF/DOCX text); notmuch's phrase "
            "needs the full name, and also finds it in headers, forwarded-header lines and file "
            "names (a parent of the same name)",
        ),
        Query(
            "dates",
            "date range",
            {"since": since, "until": until},
            f"date:{since.isoformat()}..{until.isoformat()}",
            "both in the district's time zone (notmuch through TZ)",
            "archiver filters on the original's sent date, notmuch on the forward's Date "
            "header: forwards sent days after an original of the range's edge differ",
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


Call = Callable[[], "int | tuple[int, float]"]  # one search: hits, or hits and its own time


def measure(calls: dict[str, Call], warmup: int, runs: int) -> dict[str, Timing]:
    """Time every call `runs` times after `warmup` untimed calls, round-robin: run i of every
    call comes before run i + 1 of any, so a passing load spike hurts all engines alike. A call
    that times itself (another process's search, without the pipe) returns its seconds."""
    out = {name: Timing() for name in calls}
    for i in range(warmup + runs):
        for name, call in calls.items():
            timing = out[name]
            if timing.error:
                continue
            start = time.perf_counter()
            try:
                result = call()
            except Exception as exc:  # noqa: BLE001 -- report it; the others still count
                timing.error = f"{type(exc).__name__}: {exc}"
                timing.runs = []
                continue
            spent = time.perf_counter() - start
            if isinstance(result, tuple):
                timing.hits, spent = result
            else:
                timing.hits = result
            if i >= warmup:
                timing.runs.append(spent)
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


def message_ids(config: Path, queries: Sequence[Query]) -> dict[str, set[str]]:
    """Per query, the Message-ID of every record archiver finds (what notmuch names messages by):
    all the matching records, each one's metadata opened."""
    from archiver.app import App
    from archiver.archive.search import matching_ids
    from archiver.crypto import sealing
    from archiver.domain import SearchRequest

    app = App.from_config(config)
    try:
        out: dict[str, set[str]] = {}
        with app.store.reading() as tx:
            for q in queries:
                ids = matching_ids(tx, app.keyring, SearchRequest(**q.archiver), app.district)
                rows, metas = tx.records.by_id(ids), tx.records.parts(ids, sealing.META)
                found = out[q.key] = set()
                for rid in ids:
                    key = sealing.data_key(app.keyring, rows[rid])
                    meta = sealing.open_meta(key, rows[rid], metas.get(rid))
                    found.add((meta.message_id or f"record:{rid}").strip().strip("<>"))
        return out
    finally:
        app.close()


def district_zone(config: Path) -> str:
    """The archive's time zone (`[archive] timezone`): notmuch is run in it."""
    from archiver.settings import load_settings

    return str(load_settings(config).archive.timezone)


def archiver_cli_calls(config: Path, queries: Sequence[Query], limit: int) -> dict[str, Call]:
    """Per query, `archiver --config X search --json --limit N ...` as a command, start-up
    included; and `nothing`, a word no message has (the start-up floor)."""
    base = [*_archiver_cmd(), "--config", str(config), "search", "--json", f"--limit={limit}"]

    def call(args: list[str]) -> int:
        proc = subprocess.run([*base, *args], env=_env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
        return int(json.loads(proc.stdout)["total"])

    out: dict[str, Call] = {q.key: functools.partial(call, q.cli_args()) for q in queries}
    out["nothing"] = functools.partial(call, [NOTHING])
    return out


def archiver_cli_text(queries: Sequence[Query], limit: int) -> dict[str, str]:
    return {
        q.key: _shell(["archiver", "search", "--json", f"--limit={limit}", *q.cli_args()])
        for q in queries
    }


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


# What notmuch is told beyond the maildir: tag new mail "inbox" only, exclude nothing from
# searches, leave the files' names alone.
SEARCH_SETTINGS = (
    "[new]\ntags=inbox;\nignore=\n[search]\nexclude_tags=\n[maildir]\nsynchronize_flags=false\n"
)


class Notmuch(NotmuchDb):
    """The benchmark's notmuch: its index of the corpus's maildir, and its searches."""

    def index(self, fresh: bool) -> dict[str, Any]:
        marker = self.maildir.parent / f"notmuch-{self.maildir.name}.json"
        if not fresh and marker.exists() and self.xapian.is_dir():
            doc: dict[str, Any] = json.loads(marker.read_text())
            log(f"reusing the notmuch index in {self.xapian} (built in {doc['seconds']:.0f} s)")
            doc["reused"] = True
            return doc
        self.create(SEARCH_SETTINGS)
        log(f"notmuch new ({self.maildir}) ...")
        start = time.perf_counter()
        self.run(*NEW)
        spent = time.perf_counter() - start
        doc = {"seconds": round(spent, 2), "messages": self.count()}
        log(f"... {doc['messages']} messages indexed in {spent:.0f} s")
        marker.write_text(json.dumps(doc, indent=1))
        doc["reused"] = False
        return doc

    def search_args(self, query: str, limit: int) -> list[str]:
        return ["search", "--format=json", "--output=summary", f"--limit={limit}", query]

    def _page(self, args: list[str]) -> int:
        return len(json.loads(self.run(*args)))

    def ids(self, query: str) -> set[str]:
        """The Message-ID of every message `query` finds."""
        out = self.run("search", "--output=messages", query).split()
        return {line.removeprefix("id:") for line in out}

    def calls(self, queries: Sequence[Query], limit: int) -> dict[str, Call]:
        """Per query, the first page as a command (`notmuch search`, start-up included); and
        `nothing`, a word no message has (start-up and opening the database alone)."""
        out: dict[str, Call] = {
            q.key: functools.partial(self._page, self.search_args(q.notmuch, limit))
            for q in queries
        }
        out["nothing"] = functools.partial(self._page, self.search_args(NOTHING, limit))
        return out


class NotmuchInProcess:
    """notmuch's Python bindings in one warm process (`notmuch_inprocess.py`, run with the
    system Python they are built for), asked one search at a time over a pipe; each answer
    carries the search's own time, so the pipe is not counted."""

    def __init__(self, nm: Notmuch) -> None:
        script = HERE / "notmuch_inprocess.py"
        self.proc = subprocess.Popen(
            [NOTMUCH_PYTHON, str(script)],
            env=nm.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        first = self._read()
        if "error" in first:
            self.close()
            raise RuntimeError(first["error"])
        self.version = first["ready"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{NOTMUCH_PYTHON} notmuch_inprocess.py exited")
        doc: dict[str, Any] = json.loads(line)
        return doc

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def search(self, query: str, limit: int) -> tuple[int, float]:
        doc = self.ask({"query": query, "limit": limit})
        return int(doc["hits"]), float(doc["seconds"])

    def calls(self, queries: Sequence[Query], limit: int) -> dict[str, Call]:
        return {q.key: functools.partial(self.search, q.notmuch, limit) for q in queries}

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def start_bindings(nm: Notmuch) -> tuple[NotmuchInProcess | None, str | None]:
    """The in-process notmuch, or why there is none (no system Python, no bindings)."""
    if not Path(NOTMUCH_PYTHON).exists():
        return None, f"{NOTMUCH_PYTHON} not found"
    try:
        return NotmuchInProcess(nm), None
    except Exception as exc:  # noqa: BLE001 -- the column is skipped, and the report says why
        return None, f"{exc} (apt-get install python3-notmuch2)"


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


def _shell(args: Sequence[str]) -> str:
    return " ".join(repr(a) if " " in a or '"' in a else a for a in args)


EXAMPLES = 3  # message ids shown of each side of a difference


def compare_hits(archiver: set[str], notmuch: set[str]) -> dict[str, Any]:
    """Both engines' hits for one query: how many each finds, both, and each alone (with a few
    message ids of each, to look the difference up by)."""
    only_a, only_n = sorted(archiver - notmuch), sorted(notmuch - archiver)
    return {
        "archiver": len(archiver),
        "notmuch": len(notmuch),
        "both": len(archiver & notmuch),
        "archiver_only": len(only_a),
        "notmuch_only": len(only_n),
        "archiver_only_examples": only_a[:EXAMPLES],
        "notmuch_only_examples": only_n[:EXAMPLES],
    }


ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "notmuch": "notmuch"}


def verdicts(figures: dict[str, Any]) -> list[tuple[str, bool | None]]:
    """(what, passed) for each target; None when it could not be measured."""
    out: list[tuple[str, bool | None]] = []
    for key, q in figures["queries"].items():
        nm = q["in_process"].get("notmuch", {}).get("median_ms")
        for engine in ("sqlite", "postgresql"):
            e = q["in_process"].get(engine)
            if e is None:
                continue
            ok: bool | None = None
            if e["median_ms"] is not None and nm:
                ok = e["median_ms"] <= MEDIAN_RATIO_TARGET * nm
            out.append(
                (f"{key}: in process, {engine} median <= {MEDIAN_RATIO_TARGET:g}x notmuch", ok)
            )
        s = q["in_process"].get("sqlite")
        if s is not None:
            p95 = s["p95_ms"]
            out.append(
                (
                    f"{key}: in process, sqlite p95 < {SQLITE_P95_TARGET_MS:g} ms",
                    None if p95 is None else p95 < SQLITE_P95_TARGET_MS,
                )
            )
        for engine in ("sqlite", "postgresql"):
            e = q["whole_process"].get(engine)
            if e is None:
                continue
            median = e["median_ms"]
            out.append(
                (
                    f"{key}: whole process, `archiver search` ({engine}) median < "
                    f"{CLI_TARGET_MS:g} ms",
                    None if median is None else median < CLI_TARGET_MS,
                )
            )
    return out


def _timing_table(title: str, figures: dict[str, Any], part: str) -> None:
    """One comparison: per query, each engine's hits, median and p95, and archiver's median
    over notmuch's."""
    print(title)
    header = (
        f"{'query':<18}{'engine':<12}{'hits':>8}{'median ms':>11}{'p95 ms':>9}{'vs notmuch':>12}"
    )
    print(header)
    print("-" * len(header))
    rows = [(q["label"], q[part]) for q in figures["queries"].values()]
    if part == "whole_process" and figures["startup"]:
        rows.append(("start-up (no hit)", figures["startup"]))
    for label, engines in rows:
        nm = engines.get("notmuch", {}).get("median_ms")
        for i, (engine, e) in enumerate(engines.items()):
            ratio = ""
            if engine != "notmuch" and e["median_ms"] is not None and nm:
                ratio = f"{e['median_ms'] / nm:.2f}x"
            hits = "-" if e["hits"] is None else str(e["hits"])
            print(
                f"{label if i == 0 else '':<18}{ENGINES[engine]:<12}{hits:>8}"
                f"{_ms(e['median_ms']):>11}{_ms(e['p95_ms']):>9}{ratio:>12}"
            )
            if e.get("error"):
                print(f"{'':<18}  error: {e['error']}")
            if e.get("unindexed"):
                print(f"{'':<18}  {e['unindexed']} records not yet indexed")
    print()


def print_report(figures: dict[str, Any]) -> None:
    c = figures["corpus"]
    print(
        f"Search benchmark: {c['messages']} messages ({_gb(c['mbox_bytes'])} mbox), seed "
        f"{c['seed']}, first {figures['limit']} results, {figures['cpu_cores']} cores"
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
    queries = figures["queries"].values()
    if any(q["hits"] for q in queries):
        header = (
            f"{'hits':<18}{'archiver':>9}{'notmuch':>9}{'both':>7}{'archiver only':>15}"
            f"{'notmuch only':>14}"
        )
        print(header)
        print("-" * len(header))
        for q in queries:
            h = q["hits"]
            if not h:
                continue
            print(
                f"{q['label']:<18}{h['archiver']:>9}{h['notmuch']:>9}{h['both']:>7}"
                f"{h['archiver_only']:>15}{h['notmuch_only']:>14}"
            )
            if h["archiver_only"] or h["notmuch_only"]:
                print(f"{'':<2}why: {q['differs'] or 'not explained'}")
                for side in ("archiver", "notmuch"):
                    if h[f"{side}_only_examples"]:
                        ids = " ".join(h[f"{side}_only_examples"])
                        print(f"{'':<4}{side} only, e.g.: {ids}")
        print()
    bindings = figures["notmuch_bindings"]
    _timing_table(
        f"in process, {figures['runs']} timed runs after {figures['warmup']} warm-up "
        f"(archiver: its search service, archive open; notmuch: python3-notmuch2"
        f"{', not available' if bindings is None else ''}, database open)",
        figures,
        "in_process",
    )
    _timing_table(
        f"whole process, start-up included, {figures['cli_runs']} timed runs after 1 warm-up "
        "(`archiver search --json` against `notmuch search`)",
        figures,
        "whole_process",
    )
    print("what ran")
    for q in queries:
        print(f"  {q['label']}:")
        print(f"    archiver  {q['archiver']}   |   {q['archiver_command']}")
        if q["notmuch_command"]:
            print(f"    notmuch   {q['notmuch_command']}")
        if q["how"]:
            print(f"    how       {q['how']}")
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
    ap.add_argument(
        "--cli-runs", type=int, default=10, help="timed whole-process runs per command (default 10)"
    )
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
    compile_archiver()
    notes: list[str] = [BYTECODE_NOTE]
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
    bindings: NotmuchInProcess | None = None
    if not args.no_notmuch:
        exe = ensure_notmuch()
        if exe is None:
            notes.append(MISSING)
            build["notmuch new"] = {"seconds": None, "error": MISSING}
        else:
            zone = district_zone(sqlite_work / "archiver.toml")
            nm = Notmuch(exe, root, c.maildir, zone)
            build["notmuch new"] = {**nm.index(args.fresh), "messages": c.count}
            bindings, why = start_bindings(nm)
            if why:
                log(f"notmuch in process skipped: {why}")
                notes.append(f"notmuch in process skipped: {why}")

    hits: dict[str, dict[str, Any]] = {}
    if nm is not None:
        log("comparing the hits of every query ...")
        found = message_ids(sqlite_work / "archiver.toml", queries)
        for q in queries:
            hits[q.key] = compare_hits(found[q.key], nm.ids(q.notmuch))

    inproc: dict[str, dict[str, Timing]] = {}
    with contextlib.ExitStack() as stack:
        if bindings is not None:
            stack.callback(bindings.close)
        calls: dict[str, Call] = {}
        unindexed: dict[str, Counter[str]] = {}
        for engine, (work, _database) in archives.items():
            try:
                found_calls, unindexed[engine] = archiver_calls(
                    work / "archiver.toml", queries, args.limit, stack
                )
            except Exception as exc:  # noqa: BLE001 -- the search API is missing or broken
                error = f"{type(exc).__name__}: {exc}"
                inproc[engine] = {q.key: Timing(error=error) for q in queries}
                continue
            calls.update({f"{engine}:{key}": call for key, call in found_calls.items()})
        if bindings is not None:
            calls.update(
                {f"notmuch:{k}": call for k, call in bindings.calls(queries, args.limit).items()}
            )
        load = os.getloadavg()
        log(
            f"in process: timing {len(calls)} searches, round-robin: {args.warmup} warm-up and "
            f"{args.runs} timed runs each ..."
        )
        for name, timing in measure(calls, args.warmup, args.runs).items():
            engine, key = name.split(":", 1)
            if engine in unindexed and unindexed[engine][key]:
                timing.extra["unindexed"] = unindexed[engine][key]
            inproc.setdefault(engine, {})[key] = timing

    cli_calls: dict[str, Call] = {}
    for engine, (work, _database) in archives.items():
        for key, call in archiver_cli_calls(work / "archiver.toml", queries, args.limit).items():
            cli_calls[f"{engine}:{key}"] = call
    if nm is not None:
        cli_calls.update(
            {f"notmuch:{k}": call for k, call in nm.calls(queries, args.limit).items()}
        )
    log(
        f"whole process: timing {len(cli_calls)} commands, round-robin: 1 warm-up and "
        f"{args.cli_runs} timed runs each ..."
    )
    whole: dict[str, dict[str, Timing]] = {}
    for name, timing in measure(cli_calls, 1, args.cli_runs).items():
        engine, key = name.split(":", 1)
        if engine == "notmuch":
            timing.hits = None  # `notmuch search` prints the page, not the total
        whole.setdefault(engine, {})[key] = timing

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
        "in process, archiver's figure includes writing the search's audit event, the exact "
        "total and opening the page's metadata; notmuch's the exact total (count_messages) and "
        "the first page's headers from its database"
    )
    notes.append(
        "whole process: `archiver search --json` prints the exact total and the page; "
        "`notmuch search --output=summary` the page only, by thread (one message each here)"
    )
    if records != c.count:
        notes.append(f"{records} records archived from {c.count} messages")

    nm_text = {
        q.key: _shell(nm.search_args(q.notmuch, args.limit)) if nm else None for q in queries
    }
    cli_text = archiver_cli_text(queries, args.limit)
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
        "cli_runs": args.cli_runs,
        "limit": args.limit,
        "notmuch_bindings": bindings.version if bindings else None,
        "chosen": chosen,
        "build": build,
        "queries": {
            q.key: {
                "label": q.label,
                "archiver": q.archiver_text(),
                "archiver_command": cli_text[q.key],
                "notmuch": q.notmuch,
                "notmuch_command": f"notmuch {nm_text[q.key]}" if nm else None,
                "how": q.how,
                "differs": q.differs,
                "hits": hits.get(q.key),
                "in_process": {e: inproc[e][q.key].to_json() for e in inproc},
                "whole_process": {e: whole[e][q.key].to_json() for e in whole},
            }
            for q in queries
        },
        "startup": {e: whole[e]["nothing"].to_json() for e in whole},
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
