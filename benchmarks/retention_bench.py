#!/usr/bin/env python3
"""Retention and legal-hold benchmark (issue 11): the records officer's queries on a big archive,
and what classification and holds cost at ingest.

In one run it
  1. imports a generated corpus (benchmarks/corpus.py, --messages) into fresh SQLite archives,
     --runs times each way, alternating which goes first: without records management
     (`Pipeline(..., intake=None)`: no classification, no holds) and with it (`App.intake()`,
     20 open holds placed beforehand on words, phrases, students, participants, forwarders and
     dates); both with the same roster, so tagging costs the same. It prints the median
     rates, their ratio, each run's ratio (its two imports ran back to back), the share of
     the import spent inside the intake (timed around the callable), and the ratio of CPU
     seconds (the writing process's, and with its workers'): on a shared machine others' load
     moves elapsed times far more than CPU times;
  2. builds an archive of --records records (default 1,000,000) on SQLite without parsing a
     message: `archiver init`, then rows written through the store's tables in big batches:
     records, arrivals, ~5,000 sealed students (40% exited), tags (~60% of records, a few with
     two students), every record classified by the shipped schedule's rules (the real
     `Classifier`; SR-TMP, CORR-GEN, UNSCHED for the 1% quarantined), search documents, and
     postings of one word that 10,000 records contain. Every row's facts are sealed, as ingest
     seals them. Records have no sealed parts: nothing measured opens one;
  3. times, through the functions the CLI calls (in process, after one warm-up where the
     operation can be repeated):
       - placing a hold on a word 10,000 records contain, and one on a student tagged on
         10,000 records (`records.holds.create`);
       - `retention report` (`records.retention.report`), and the whole command;
       - the first page of `retention due` (`records.retention.due`, 50 records), also for one
         series and for a day far ahead (every classified record with a date due), and the
         whole command;
       - a roster re-import that changes 1,000 exit dates (`archive.roster.import_students`
         with `App.records_changed()`: reclassification and the holds' sweep of every record
         tagged with those students).

Targets (issue 11): report < 5 s; first page of due < 1 s; a hold matching 10,000 records
< 30 s; 1,000 exit dates recomputed < 30 s; import with classification and 20 holds at most 5%
slower than without. The whole commands are held to the same targets as their functions.
Timed calls report the median of --runs after one warm-up (whose time is shown too).

Usage:
  python benchmarks/retention_bench.py [--records 1000000] [--seed 7] [--keep DIR] [--json]
      [--messages 5000] [--runs 3] [--workers 0] [--no-import] [--no-cli]

--keep DIR keeps the corpus and the big archive in DIR, and a later run with the same
--records and --seed reuses the archive (its holds get new names; the roster change is made
from whatever exit dates the archive has). Without --keep, a temporary directory is used and
removed. Whole-command timings include Python's start-up.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import corpus  # noqa: E402
import search_bench  # noqa: E402
from sqlalchemy import Connection, insert  # noqa: E402

from archiver.app import App  # noqa: E402
from archiver.archive import facts  # noqa: E402
from archiver.archive.index_entry import entry_digest  # noqa: E402
from archiver.archive.roster import RosterSeal, import_students, load_roster  # noqa: E402
from archiver.crypto import blind  # noqa: E402
from archiver.crypto.keyring import Keyring  # noqa: E402
from archiver.domain import (  # noqa: E402
    ArrivalRow,
    IndexEntry,
    NewRecord,
    RecordRow,
    SearchRequest,
    TagRow,
    pack_terms,
    unpack_terms,
)
from archiver.ingest.importer import import_paths  # noqa: E402
from archiver.ingest.pipeline import Pipeline  # noqa: E402
from archiver.records import holds, retention  # noqa: E402
from archiver.records.retention import Classifier, RecordFacts  # noqa: E402
from archiver.store import schema, tables  # noqa: E402
from archiver.store.db import Store, Tx  # noqa: E402
from archiver.understand.indexing import TOKENIZER, WORDS  # noqa: E402
from archiver.understand.roster_file import read_roster  # noqa: E402
from archiver.understand.students import Student  # noqa: E402
from archiver.understand.tokens import parse_query  # noqa: E402

# Targets (seconds; the import's as a ratio of rates)
REPORT_TARGET = 5.0
DUE_TARGET = 1.0
HOLD_TARGET = 30.0
ROSTER_TARGET = 30.0
IMPORT_SLOWDOWN_TARGET = 1.05

HOLD_MATCHES = 10_000  # records a hold matches (at --records 1,000,000)
EXIT_CHANGES = 1_000  # exit dates a roster re-import changes
HOLD_WORD = "subpoena"  # the word HOLD_MATCHES records contain (and nothing else in the build)
SOURCE = "local-inbox"  # the source `archiver init` configures
BATCH = 20_000  # records written per transaction by the build
FIRST_SENT = datetime(2016, 1, 1, tzinfo=UTC)  # records were sent from here ...
LAST_SENT = datetime(2026, 11, 1, tzinfo=UTC)  # ... to here
FIRST_NAMES = ("Ava", "Liam", "Sofia", "Noah", "Mia", "Mateo", "Amara", "Kenji", "Zoe", "Omar")
LAST_NAMES = ("Silva", "Nguyen", "Okafor", "Murphy", "Cohen", "Patel", "Rossi", "Kim", "Diaz")
IMPORT_HOLDS = 20


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _exe() -> str:
    return shutil.which("archiver", path=str(Path(sys.executable).parent)) or "archiver"


def init_archive(work: Path) -> Path:
    """`archiver init work`; the config file it wrote."""
    shutil.rmtree(work, ignore_errors=True)
    subprocess.run([_exe(), "init", str(work)], check=True, stdout=subprocess.DEVNULL)
    return work / "archiver.toml"


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured operation: its times (seconds), what it found, and its target."""

    key: str
    label: str
    runs: list[float] = field(default_factory=list)
    target: float | None = None  # seconds, or a ratio for the import
    unit: str = "s"
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> float:
        return statistics.median(self.runs)

    @property
    def ok(self) -> bool | None:
        return None if self.target is None else self.value <= self.target

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": round(self.value, 3),
            "unit": self.unit,
            "runs": [round(r, 3) for r in self.runs],
            "target": self.target,
            "ok": self.ok,
            "note": self.note,
            **self.extra,
        }


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def repeat(call: Callable[[], Any], runs: int) -> tuple[float, list[float], Any]:
    """The time of a first (warm-up) call, the times of `runs` more, and the last result."""
    first, result = timed(call)
    times = []
    for _ in range(runs):
        spent, result = timed(call)
        times.append(spent)
    return first, times, result


# --------------------------------------------------------------------------------------------
# 1. Import with and without records management
# --------------------------------------------------------------------------------------------


class TimedIntake:
    """Records management's ingest part, with the time spent in it added up."""

    def __init__(self, inner: Callable[[Tx, list[NewRecord]], None]) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.records = 0

    def __call__(self, tx: Tx, new: list[NewRecord]) -> None:
        start = time.perf_counter()
        self.inner(tx, new)
        self.seconds += time.perf_counter() - start
        self.records += len(new)


@dataclass(frozen=True)
class ImportCorpus:
    mbox: Path
    messages: int
    roster: Path
    holds: list[tuple[str, SearchRequest]]


def import_corpus(root: Path, count: int, seed: int) -> ImportCorpus:
    """The corpus (an mbox), a roster of the students it names, and 20 holds' criteria."""
    mbox = root / f"import-{count}-{seed}.mbox"
    if not mbox.exists():
        log(f"writing {count} messages to {mbox.name} ...")
        corpus.write_corpus(mbox, "mbox", count, seed, None)
    names: Counter[str] = Counter()
    forwarders: Counter[str] = Counter()
    senders: Counter[str] = Counter()
    for message in itertools.islice(corpus.generate_labeled(seed), count):
        names.update(n for n in set(message.students) if not n.isdigit())
        forwarders[message.envelope_from] += 1
        if message.original_from:
            senders[message.original_from] += 1
    roster = root / f"import-roster-{count}-{seed}.csv"
    ids = search_bench.write_roster(roster, sorted(names))
    students = [ids[n] for n, _ in names.most_common() if n in ids]
    picked = students[:: max(1, len(students) // 8)][:8]  # common and rarer students
    criteria = [
        SearchRequest(query="please"),
        SearchRequest(query="school"),
        SearchRequest(query='"field trip"'),
        SearchRequest(query="please school"),
        SearchRequest(query="counselor"),
        SearchRequest(query="absent -sick"),
        *[SearchRequest(student=s) for s in picked],
        *[SearchRequest(forwarder=a) for a, _ in forwarders.most_common(2)],
        *[SearchRequest(participant=a) for a, _ in senders.most_common(2)],
        SearchRequest(query="homework", since=date(2025, 9, 1), until=date(2025, 12, 31)),
        SearchRequest(query="please", since=date(2026, 1, 1)),
    ]
    named = [(f"import hold {i + 1}", c) for i, c in enumerate(criteria[:IMPORT_HOLDS])]
    return ImportCorpus(mbox, count, roster, named)


def import_once(
    c: ImportCorpus, work: Path, workers: int, with_records: bool
) -> dict[str, float | int]:
    """Import the corpus into a fresh archive (its roster imported first; with records
    management: its holds placed first); seconds, records written, time in the intake."""
    app = App.from_config(init_archive(work))
    try:
        fmt, rows = read_roster(c.roster)
        import_students(app.store, app.keyring, rows, fmt, c.roster.read_bytes())
        intake: TimedIntake | None = None
        if with_records:
            for name, criteria in c.holds:
                holds.create(
                    app.store, app.keyring, app.district, name, "benchmark", criteria, [], "bench"
                )
            intake = TimedIntake(app.intake())
        store, ring, policy = app.store, app.keyring, app.ingest_policy()

        def pipeline(n: int) -> Pipeline:
            return Pipeline(store, ring, policy, n, intake)

        cpu, before = time.process_time(), os.times()
        spent, report = timed(lambda: import_paths(pipeline, [c.mbox], workers))
        cpu, after = time.process_time() - cpu, os.times()  # workers are reaped by now
        workers_cpu = sum(after[2:4]) - sum(before[2:4])
        written = report.count("archived") + report.count("quarantined")
        with store.transaction() as tx:
            held = sum(tx.holds.counts().values())
    finally:
        app.close()
        shutil.rmtree(work, ignore_errors=True)
    return {
        "seconds": spent,
        "records": written,
        "intake_seconds": intake.seconds if intake else 0.0,
        "held": held,
        "main_cpu": cpu,
        "workers_cpu": workers_cpu,
    }


WAYS = {"without": False, "with": True}


def compare_imports(c: ImportCorpus, root: Path, runs: int, workers: int) -> Figure:
    rates: dict[bool, list[float]] = {False: [], True: []}
    # CPU seconds of the writing process, and of it and its workers: a shared machine's load
    # moves them much less than the elapsed time.
    main_cpu: dict[bool, list[float]] = {False: [], True: []}
    all_cpu: dict[bool, list[float]] = {False: [], True: []}
    intake_share: list[float] = []
    held = 0
    for i in range(runs):
        for with_records in (False, True) if i % 2 == 0 else (True, False):
            what = "with" if with_records else "without"
            r = import_once(c, root / f"import-{what}", workers, with_records)
            rate = r["records"] / r["seconds"]
            rates[with_records].append(rate)
            main_cpu[with_records].append(r["main_cpu"])
            all_cpu[with_records].append(r["main_cpu"] + r["workers_cpu"])
            if with_records:
                intake_share.append(r["intake_seconds"] / r["seconds"])
                held = int(r["held"])
            log(
                f"import run {i + 1} {what} records management: {r['records']} records in "
                f"{r['seconds']:.1f} s ({rate:.1f} msg/s), intake {r['intake_seconds']:.2f} s, "
                f"CPU {r['main_cpu']:.1f} s writing + {r['workers_cpu']:.1f} s workers"
            )
    without, with_ = statistics.median(rates[False]), statistics.median(rates[True])
    # Each run's two imports ran one after the other: their ratio sees the same load.
    pairs = [a / b for a, b in zip(rates[False], rates[True], strict=True)]
    cpu_main = statistics.median(main_cpu[True]) / statistics.median(main_cpu[False])
    cpu_all = statistics.median(all_cpu[True]) / statistics.median(all_cpu[False])
    return Figure(
        "import_slowdown",
        f"import {c.messages} msgs: without / with classification + {len(c.holds)} holds",
        [without / with_],
        IMPORT_SLOWDOWN_TARGET,
        unit="x",
        note=f"{without:.1f} vs {with_:.1f} msg/s (medians of {runs}); each run's ratio "
        f"{', '.join(f'{p:.3f}' for p in pairs)}; time in the intake "
        f"{100 * statistics.median(intake_share):.1f}% of the import's; CPU with / without: "
        f"{cpu_main:.3f}x the writing process's, {cpu_all:.3f}x with the workers'",
        extra={
            "without_msg_per_s": [round(r, 1) for r in rates[False]],
            "with_msg_per_s": [round(r, 1) for r in rates[True]],
            "run_ratios": [round(p, 3) for p in pairs],
            "cpu_ratio_writer": round(cpu_main, 3),
            "cpu_ratio_all": round(cpu_all, 3),
            "writer_cpu_s": {k: [round(v, 2) for v in main_cpu[b]] for k, b in WAYS.items()},
            "all_cpu_s": {k: [round(v, 2) for v in all_cpu[b]] for k, b in WAYS.items()},
            "intake_share": [round(s, 4) for s in intake_share],
            "held_after_import": held,
        },
    )


# --------------------------------------------------------------------------------------------
# 2. The big archive
# --------------------------------------------------------------------------------------------


def student_id(i: int) -> str:
    return str(100_000_001 + i)


BIG_STUDENT = 0  # the student HOLD_MATCHES records are tagged with (enrolled: pending)


def make_students(count: int, rng: random.Random) -> list[Student]:
    out = []
    for i in range(count):
        exited = i != BIG_STUDENT and rng.random() < 0.4
        out.append(
            Student(
                student_id=student_id(i),
                first=rng.choice(FIRST_NAMES),
                last=rng.choice(LAST_NAMES),
                grade=str(rng.randint(1, 12)),
                status="Inactive" if exited else "Active",
                exit_date=date(rng.randint(2014, 2026), 6, 30) if exited else None,
            )
        )
    return out


def add_students(store: Store, ring: Keyring, students: list[Student]) -> dict[int, date | None]:
    """The students stored (sealed, their facts too); row id -> exit date."""
    seal = RosterSeal(ring)
    exits: dict[int, date | None] = {}
    with store.transaction() as tx:
        for s in students:
            row = seal.seal(s)
            row_id = tx.roster.add_student(row, tx.now)
            tx.roster.set_student_facts(
                row_id, facts.seal_student(ring, replace(row, id=row_id)).facts or b""
            )
            exits[row_id] = s.exit_date
        tx.roster.bump_version(tx.now)
    return exits


@dataclass
class Built:
    records: int
    seconds: float
    phases: dict[str, float]
    series: dict[str, int]
    db_bytes: int


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table), rows)


def build(app: App, n: int, seed: int) -> Built:
    """Fill the archive of `app` with `n` records, written through the store's tables."""
    start = time.perf_counter()
    store, ring, district = app.store, app.keyring, app.district
    rng = random.Random(seed)
    phases: dict[str, float] = {}
    students = make_students(max(50, n // 200), rng)
    spent, exits = timed(lambda: add_students(store, ring, students))
    phases["students"] = spent
    row_ids = sorted(exits)
    big = row_ids[BIG_STUDENT]
    others = row_ids[1:]
    matches = hold_matches(n)
    tagged_big = set(rng.sample(range(n), matches))
    with_word = set(rng.sample(range(n), matches))
    kek_id, _ = ring.current_kek()
    index_key_id, index_key = ring.index_key()
    term = blind.for_key(index_key).term(WORDS, parse_query(HOLD_WORD).words[0])
    with store.transaction() as tx:
        classifier = Classifier(tx, ring, app.schedule, district, app.settings.school_year_end)
        generation = tx.index.state().generation
    series: Counter[str] = Counter()
    span = int((LAST_SENT - FIRST_SENT).total_seconds())
    now = datetime.now(UTC)
    make = write = 0.0
    for first in range(0, n, BATCH):
        t0 = time.perf_counter()
        rows: dict[Any, list[dict[str, Any]]] = {
            t: []
            for t in (
                tables.record,
                tables.arrival,
                tables.record_tag,
                tables.retention,
                tables.search_doc,
            )
        }
        postings: list[tuple[int, int]] = []
        for i in range(first, min(n, first + BATCH)):
            rid = f"{rng.getrandbits(128):032x}"
            sent: datetime | None = None
            if rng.random() < 0.01:
                archived = FIRST_SENT + timedelta(seconds=rng.randrange(span))
            else:
                sent = FIRST_SENT + timedelta(seconds=rng.randrange(span))
                archived = min(now, sent + timedelta(seconds=rng.randrange(7 * 86400)))
            quarantined = i not in tagged_big and rng.random() < 0.01
            size = rng.randint(3_000, 300_000)
            rec = facts.seal_record(
                ring,
                RecordRow(
                    id=rid,
                    sha256=hashlib.sha256(rid.encode()).digest(),
                    size=size,
                    archived_at=archived,
                    source_kind="maildir",
                    status="quarantined" if quarantined else "active",
                    quarantine_code="unreadable" if quarantined else None,
                    sent_at=sent,
                    kek_id=kek_id,
                    wrapped_key=rng.randbytes(60),
                    seal_version=1,
                    stored_size=size * 2 // 3,
                ),
            )
            rows[tables.record].append(rec.__dict__)
            arrival = facts.seal_arrival(
                ring,
                ArrivalRow(
                    record_id=rid,
                    arrived_at=archived,
                    source_kind="maildir",
                    source_name=SOURCE,
                    locator=rng.randbytes(48),
                    position=rng.randbytes(16),
                ),
            )
            rows[tables.arrival].append(arrival.__dict__)
            tags: dict[int, str] = {}
            if not quarantined:
                if rng.random() < 0.6:
                    tags[rng.choice(others)] = rng.choice(("explicit", "address", "name"))
                    if rng.random() < 0.1:
                        tags[rng.choice(others)] = "name"
                if i in tagged_big:
                    tags[big] = "explicit"
            for sid, how in tags.items():
                tag = facts.seal_tag(ring, TagRow(rid, sid, how, archived))
                rows[tables.record_tag].append(tag.__dict__)
            kept = facts.seal_retention(
                ring,
                classifier.classify(
                    RecordFacts(
                        rid,
                        rec.status,
                        district.day_of(sent or archived),
                        frozenset([SOURCE]),
                        tags,
                    ),
                    exits,
                    now,
                ),
            )
            series[kept.series] += 1
            rows[tables.retention].append(
                {
                    "record_id": rid,
                    "series": kept.series,
                    "rule": kept.rule,
                    "trigger_date": kept.trigger_date,
                    "retain_until": kept.retain_until,
                    "limit_kind": kept.limit,
                    "disposition": kept.disposition,
                    "classified_at": kept.classified_at,
                    "classified_by": None,
                    "note": None,
                    "facts": kept.facts,
                }
            )
            entry = IndexEntry(
                rid,
                index_key_id,
                TOKENIZER,
                pack_terms([term] if i in with_word else []),
                int(rng.random() < 0.25),
                sent,
            )
            rows[tables.search_doc].append(
                {
                    "seq": i + 1,
                    "record_id": rid,
                    "key_id": index_key_id,
                    "tokenizer": TOKENIZER,
                    "generation": generation,
                    "attachments": entry.attachments,
                    "sent": entry.sent,
                    "digest": entry_digest(ring, entry),
                }
            )
            postings += [(i + 1, t) for t in unpack_terms(entry.terms)]
        t1 = time.perf_counter()
        with store.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MB for the bulk load
            for table, values in rows.items():
                _insert(conn, table, values)
            if postings:
                conn.execute(
                    insert(tables.search_term),
                    [
                        {"block": seq // tables.POSTING_BLOCK, "term": t, "doc": seq}
                        for seq, t in postings
                    ],
                )
        t2 = time.perf_counter()
        make += t1 - t0
        write += t2 - t1
        done = min(n, first + BATCH)
        if done % 100_000 == 0 or done == n:
            log(f"built {done} records ({time.perf_counter() - start:.0f} s)")
    phases["make_and_seal_rows"] = make
    phases["write_rows"] = write
    t = time.perf_counter()
    with store.transaction() as tx:
        state = tx.index.state()
        tx.index.set_state(replace(state, key_id=index_key_id, complete=True), tx.now)
        tx.index.pack(1 << 30)
    phases["index_state_and_pack"] = time.perf_counter() - t
    t = time.perf_counter()
    db = Path(store.engine.url.database or "")
    lite = sqlite3.connect(db)  # outside a transaction: the store's connections begin one
    lite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    lite.close()
    phases["checkpoint"] = time.perf_counter() - t
    size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    return Built(n, time.perf_counter() - start, phases, dict(series), size)


# --------------------------------------------------------------------------------------------
# 3. The measurements
# --------------------------------------------------------------------------------------------


def upgrade_archive(config: Path) -> dict[str, Any] | None:
    """Upgrade a kept archive an older version made (`archiver db upgrade`, timed)."""
    store = Store.open(App.from_config(config).settings.database_url, check_schema=False)
    current = schema.current_revision(store.engine)
    store.close()
    if current == schema.HEAD:
        return None
    spent, _ = timed(lambda: cli(config, "db", "upgrade"))
    log(f"upgraded the archive from {current} to {schema.HEAD} in {spent:.1f} s")
    return {"from": current, "to": schema.HEAD, "seconds": round(spent, 1)}


def cli(config: Path, *args: str) -> tuple[float, str]:
    """Seconds for one whole command (Python's start-up included), and its output."""
    start = time.perf_counter()
    done = subprocess.run(
        [_exe(), "--config", str(config), *args], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - start, done.stdout


def hold_matches(records: int) -> int:
    """How many records the build gives the hold word and the hold student."""
    return min(HOLD_MATCHES, records // 10)


def place_holds(app: App, records: int, suffix: str) -> list[Figure]:
    matches = hold_matches(records)
    out = []
    for key, label, criteria in (
        ("hold_word", f"hold create (a word in {matches} records)", SearchRequest(HOLD_WORD)),
        (
            "hold_student",
            f"hold create (--student tagged on {matches} records)",
            SearchRequest(student=student_id(BIG_STUDENT)),
        ),
    ):
        spent, (_, count) = timed(
            functools.partial(
                holds.create,
                app.store,
                app.keyring,
                app.district,
                f"{key} {suffix}",
                "benchmark: a threatened lawsuit",
                criteria,
                [],
                "bench",
            )
        )
        out.append(Figure(key, label, [spent], HOLD_TARGET, note=f"{count} records held"))
        log(f"{label}: {spent:.2f} s, {count} records")
    return out


def measure_queries(app: App, config: Path, runs: int, with_cli: bool) -> list[Figure]:
    store, ring, schedule = app.store, app.keyring, app.schedule
    today = app.district.today(app.clock)
    cutoff = app.requests_since(today)  # requests closed since then still keep records
    out = []

    first, times, (series, unclassified) = repeat(
        lambda: retention.report(store, ring, schedule, today, cutoff), runs
    )
    counts = {
        s.code: {k: v for k, v in s.to_json().items() if k not in ("title", "limit")}
        for s in series
    }
    out.append(
        Figure(
            "report",
            "retention report",
            times,
            REPORT_TARGET,
            note=f"median of {runs} after a warm-up ({first:.3f} s); {unclassified} unclassified",
            extra={"first_call": round(first, 3), "series": counts},
        )
    )
    log(f"retention report: {[round(t, 2) for t in times]} s")
    for key, label, by, code in (
        ("due", "retention due, first page (50)", today, None),
        ("due_series", "retention due --series CORR-GEN, first page", today, "CORR-GEN"),
        ("due_far", "retention due --by 2040-01-01, first page", date(2040, 1, 1), None),
    ):
        first, times, (total, rows) = repeat(
            functools.partial(retention.due, store, ring, by, code, 50, 0, cutoff), runs
        )
        out.append(
            Figure(
                key,
                label,
                times,
                DUE_TARGET,
                note=f"median of {runs} after a warm-up ({first:.3f} s); {total} due, "
                f"{len(rows)} shown",
                extra={"first_call": round(first, 3), "due": total},
            )
        )
        log(f"{label}: {[round(t, 3) for t in times]} s, {total} due")
    if with_cli:
        for key, label, args, target in (
            ("report_cli", "`archiver retention report` (whole command)", ["report"], 5.0),
            ("due_cli", "`archiver retention due` (whole command)", ["due"], 1.0),
        ):
            times = [cli(config, "retention", *args)[0] for _ in range(2)]
            out.append(
                Figure(key, label, times, target, note="median of 2, Python start-up included")
            )
            log(f"{label}: {[round(t, 2) for t in times]} s")
    return out


def change_exits(app: App, seed: int) -> Figure:
    """Re-import the roster with EXIT_CHANGES exit dates changed (students still enrolled
    leave, some who left come back, others' dates move); the time of the whole import."""
    store, ring = app.store, app.keyring
    with store.transaction() as tx:
        roster = load_roster(tx, ring)
    students = [roster.students[i] for i in sorted(roster.students)]
    rng = random.Random(seed + 1)
    chosen = set(rng.sample(range(1, len(students)), min(EXIT_CHANGES, len(students) - 1)))
    new = []
    moves: Counter[str] = Counter()
    for i, s in enumerate(students):
        changed_to = s
        if i in chosen:
            if s.exit_date is None:
                changed_to = replace(s, exit_date=date(2026, 6, 30), status="Inactive")
                moves["left"] += 1
            elif i % 2:
                changed_to = replace(s, exit_date=None, status="Active")
                moves["came back"] += 1
            else:
                moved = s.exit_date.replace(year=s.exit_date.year + 1)
                changed_to = replace(s, exit_date=moved)
                moves["date moved"] += 1
        new.append(changed_to)
    ids = [roster.row_ids[s.student_id] for i, s in enumerate(students) if i in chosen]
    with store.transaction() as tx:
        affected = len(tx.retention.tagged_with(ids))
    changed = app.records_changed()
    spent, result = timed(
        lambda: import_students(store, ring, new, "generic", b"benchmark roster", changed)
    )
    how = ", ".join(f"{v} {k}" for k, v in moves.items())
    log(f"roster re-import: {spent:.2f} s, {result.updated} updated, {affected} records")
    return Figure(
        "roster",
        f"roster re-import changing {len(chosen)} exit dates",
        [spent],
        ROSTER_TARGET,
        note=f"{result.updated} students updated ({how}); "
        f"{affected} tagged records reclassified and swept",
        extra={"records": affected, "students": len(students)},
    )


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def _table(figures: list[Figure]) -> Iterator[str]:
    yield f"{'operation':<62} {'time':>9} {'target':>8}  result"
    for f in figures:
        value = f"{f.value:.2f}{f.unit}" if f.unit == "x" else f"{f.value:.3f} s"
        target = (
            "-"
            if f.target is None
            else (f"<={f.target:.2f}x" if f.unit == "x" else f"<{f.target:g} s")
        )
        verdict = "-" if f.ok is None else ("ok" if f.ok else "MISSED")
        yield f"{f.label:<62} {value:>9} {target:>8}  {verdict}"
        if f.note:
            yield f"    {f.note}"


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="keep (and reuse) the corpus and archive here")
    ap.add_argument("--json", action="store_true", help="print JSON (the table on stderr)")
    ap.add_argument("--messages", type=int, default=5000, help="import comparison's corpus")
    ap.add_argument("--runs", type=int, default=3, help="runs of each timed operation")
    ap.add_argument("--workers", type=int, default=0, help="import workers (0 = one per core)")
    ap.add_argument("--no-import", action="store_true", help="skip the import comparison")
    ap.add_argument("--no-cli", action="store_true", help="skip the whole-command timings")
    args = ap.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="archiver-retention-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    figures: list[Figure] = []
    doc: dict[str, Any] = {
        "records": args.records,
        "seed": args.seed,
        "cpu_cores": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
    }
    try:
        if not args.no_import:
            c = import_corpus(root, args.messages, args.seed)
            figures.append(compare_imports(c, root, args.runs, args.workers))

        work = root / f"archive-{args.records}-{args.seed}"
        manifest = work / "bench.json"
        reuse = manifest.exists()
        config = work / "archiver.toml"
        if reuse:
            log(f"reusing the archive in {work}")
            doc["build"] = json.loads(manifest.read_text())
            upgrade = upgrade_archive(config)
            if upgrade:
                doc["upgrade"] = upgrade
        else:
            config = init_archive(work)
        app = App.from_config(config)
        try:
            if not reuse:
                log(f"building {args.records} records in {work} ...")
                built = build(app, args.records, args.seed)
                doc["build"] = {
                    "records": built.records,
                    "seconds": round(built.seconds, 1),
                    "phases": {k: round(v, 1) for k, v in built.phases.items()},
                    "series": built.series,
                    "db_bytes": built.db_bytes,
                }
                manifest.write_text(json.dumps(doc["build"], indent=1))
                log(f"built in {built.seconds:.0f} s, {built.db_bytes / 1e9:.2f} GB")
            suffix = time.strftime("%Y%m%d-%H%M%S")
            figures += place_holds(app, args.records, suffix)
            figures += measure_queries(app, config, args.runs, not args.no_cli)
            figures.append(change_exits(app, args.seed))
        finally:
            app.close()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    doc["load_average_at_end"] = os.getloadavg()
    doc["figures"] = {f.key: f.to_json() for f in figures}
    build_doc = doc.get("build", {})
    summary = [
        f"archive: {args.records} records, built in {build_doc.get('seconds')} s "
        f"({build_doc.get('db_bytes', 0) / 1e9:.2f} GB); series {build_doc.get('series')}",
        f"load average at start {doc['load_average_at_start']}, at end "
        f"{doc['load_average_at_end']} ({os.cpu_count()} cores, shared)",
        *_table(figures),
    ]
    if args.json:  # the table still goes to the terminal, on stderr
        print(json.dumps(doc, indent=2, default=str))
    for line in summary:
        print(line, file=sys.stderr if args.json else sys.stdout)
    return 0 if all(f.ok is not False for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
