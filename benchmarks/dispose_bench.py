#!/usr/bin/env python3
"""Disposition benchmark (issue 15): plan and execute a batch of N records on SQLite.

In one run it
  1. builds an archive of --records records (default 100,000) without parsing a message:
     `archiver init`, then rows written through the store's tables in big batches, every
     row's facts sealed as ingest seals them: records (sent 2016-2019, so general
     correspondence whose retention has passed), their sealed parts (--part-bytes of random
     bytes for the message, a fifth of that for its metadata), an arrival each, a student tag
     on a third of them, a retention row each (CORR-GEN, until the end of the second year
     after), a search document each with --terms postings (a few common words, the rest from a
     long tail; full blocks packed, as the index packs them);
  2. wraps the records into their disposal-cohort keys as an upgraded archive would
     (`archiver keys cohorts --apply`, timed: one cohort per series and month of the
     retain-until day), so execution destroys real cohort keys;
  3. runs, as the records officer would, each command in its own process (start-up
     included): `archiver dispose plan` (timed), `dispose approve` by another person (with a
     permit), a hold on 1% of the batch's records placed after planning (execution must skip
     them), then `archiver dispose execute` (timed);
  4. reports records per second for plan and execute, each command's peak RSS (of that
     process alone, `wait4`), the database's size before and after (WAL checkpointed), and
     after VACUUM.

Targets (issue 15; DESIGN.md 14): plan < 30 s and execute < 5 min for 100,000 records on 2
cores; memory flat (compare the peak RSS of a run at 10,000 with one at 100,000).

Usage:
  python benchmarks/dispose_bench.py [--records 100000] [--seed 7] [--terms 30]
      [--part-bytes 3000] [--keep DIR] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlalchemy import insert  # noqa: E402

from archiver.app import App  # noqa: E402
from archiver.archive import facts  # noqa: E402
from archiver.archive.index_entry import entry_digest  # noqa: E402
from archiver.archive.roster import RosterSeal  # noqa: E402
from archiver.crypto import blind, envelope  # noqa: E402
from archiver.domain import (  # noqa: E402
    ArrivalRow,
    IndexEntry,
    RecordRow,
    RetentionRow,
    TagRow,
    pack_terms,
    unpack_terms,
)
from archiver.store import tables  # noqa: E402
from archiver.understand.indexing import TOKENIZER, WORDS  # noqa: E402
from archiver.understand.students import Student  # noqa: E402

PLAN_TARGET = 30.0
EXECUTE_TARGET = 300.0
BATCH = 10_000  # records written per transaction by the build
FIRST_SENT = datetime(2016, 1, 1, tzinfo=UTC)
LAST_SENT = datetime(2019, 12, 1, tzinfo=UTC)
COMMON = 200  # common words (every record has a few of them)
TAIL = 50_000  # the long tail of words
SOURCE = "local-inbox"
STUDENTS = 500


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _exe() -> str:
    return shutil.which("archiver", path=str(Path(sys.executable).parent)) or "archiver"


def _add_students(app: App) -> list[int]:
    seal = RosterSeal(app.keyring)
    ids = []
    with app.store.transaction() as tx:
        for i in range(STUDENTS):
            row = seal.seal(
                Student(student_id=str(200_000 + i), first="Ana", last=f"Student{i}", grade="5")
            )
            row_id = tx.roster.add_student(row, tx.now)
            sealed = facts.seal_student(app.keyring, replace(row, id=row_id))
            tx.roster.set_student_facts(row_id, sealed.facts or b"")
            ids.append(row_id)
        tx.roster.bump_version(tx.now)
    return ids


def build(app: App, n: int, seed: int, terms_per_record: int, part_bytes: int) -> float:
    """Fill the archive of `app` with `n` records; seconds taken."""
    start = time.perf_counter()
    rng = random.Random(seed)
    ring, store = app.keyring, app.store
    students = _add_students(app)
    kek_id, kek = ring.current_kek()
    index_key_id, index_key = ring.index_key()
    terms_of = blind.for_key(index_key)
    common = [terms_of.term(WORDS, f"common{i}") for i in range(COMMON)]
    tail = [terms_of.term(WORDS, f"word{i}") for i in range(TAIL)]
    with store.transaction() as tx:
        generation = tx.index.state().generation
    span = int((LAST_SENT - FIRST_SENT).total_seconds())
    now = datetime.now(UTC)
    for first in range(0, n, BATCH):
        rows: dict[Any, list[dict[str, Any]]] = {
            t: []
            for t in (
                tables.record,
                tables.sealed_part,
                tables.arrival,
                tables.record_tag,
                tables.retention,
                tables.search_doc,
            )
        }
        postings: list[dict[str, int]] = []
        for i in range(first, min(n, first + BATCH)):
            rid = f"{rng.getrandbits(128):032x}"
            sent = FIRST_SENT + timedelta(seconds=rng.randrange(span))
            archived = sent + timedelta(seconds=rng.randrange(7 * 86400))
            size = rng.randint(part_bytes, 3 * part_bytes)
            rec = facts.seal_record(
                ring,
                RecordRow(
                    id=rid,
                    sha256=hashlib.sha256(rid.encode()).digest(),
                    size=size,
                    archived_at=archived,
                    source_kind="maildir",
                    status="active",
                    quarantine_code=None,
                    sent_at=sent,
                    kek_id=kek_id,
                    # A real data key, wrapped as ingest wraps it (the parts are random
                    # bytes: nothing opens them), so `keys cohorts --apply` can re-wrap it.
                    wrapped_key=envelope.wrap(kek, kek_id, rid, envelope.new_key()),
                    seal_version=1,
                    stored_size=part_bytes + part_bytes // 5,
                ),
            )
            rows[tables.record].append(rec.__dict__)
            rows[tables.sealed_part] += [
                {"record_id": rid, "part": "raw", "data": os.urandom(part_bytes)},
                {"record_id": rid, "part": "meta", "data": os.urandom(part_bytes // 5)},
            ]
            arrival = ArrivalRow(
                record_id=rid,
                arrived_at=archived,
                source_kind="maildir",
                source_name=SOURCE,
                locator=rng.randbytes(48),
                position=rng.randbytes(16),
            )
            rows[tables.arrival].append(facts.seal_arrival(ring, arrival).__dict__)
            if rng.random() < 0.33:
                tag = TagRow(rid, rng.choice(students), "name", archived)
                rows[tables.record_tag].append(facts.seal_tag(ring, tag).__dict__)
            until = date(sent.year + 2, 12, 31)
            kept = facts.seal_retention(
                ring,
                RetentionRow(
                    rid,
                    "CORR-GEN",
                    "default",
                    date(sent.year, 12, 31),
                    until,
                    "minimum",
                    "destroy",
                    now,
                ),
            )
            values = dict(kept.__dict__)
            values["limit_kind"] = values.pop("limit")
            rows[tables.retention].append(values)
            words = set(rng.sample(common, 5)) | set(rng.sample(tail, max(0, terms_per_record - 5)))
            entry = IndexEntry(rid, index_key_id, TOKENIZER, pack_terms(sorted(words)), 0, sent)
            seq = i + 1
            rows[tables.search_doc].append(
                {
                    "seq": seq,
                    "record_id": rid,
                    "key_id": index_key_id,
                    "tokenizer": TOKENIZER,
                    "generation": generation,
                    "attachments": 0,
                    "sent": entry.sent,
                    "digest": entry_digest(ring, entry),
                }
            )
            postings += [
                {"block": seq // tables.POSTING_BLOCK, "term": t, "doc": seq}
                for t in unpack_terms(entry.terms)
            ]
        with store.engine.begin() as conn:
            for table, values_list in rows.items():
                if values_list:
                    conn.execute(insert(table), values_list)
            conn.execute(insert(tables.search_term), postings)
        done = min(n, first + BATCH)
        if done % 50_000 == 0 or done == n:
            log(f"built {done} records ({time.perf_counter() - start:.0f} s)")
    with store.transaction() as tx:
        state = tx.index.state()
        tx.index.set_state(replace(state, key_id=index_key_id, complete=True), tx.now)
        tx.index.pack(1 << 30)
    return time.perf_counter() - start


def _db_path(app: App) -> Path:
    return Path(app.store.engine.url.database or "")


def db_size(path: Path, vacuum: bool = False) -> int:
    """The database's bytes on disk once its WAL is checkpointed (and VACUUMed, if asked)."""
    lite = sqlite3.connect(path)  # outside the store: VACUUM cannot run in a transaction
    if vacuum:
        lite.execute("VACUUM")
    lite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    lite.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def command(config: Path, *args: str) -> tuple[float, int, str]:
    """Run `archiver --config CONFIG ARGS`: seconds, peak RSS (KB, of that process), stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [_exe(), "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out_fd = proc.stdout
    err_fd = proc.stderr
    assert out_fd is not None and err_fd is not None
    out, err = out_fd.read(), err_fd.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    spent = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"archiver {' '.join(args)} failed ({proc.returncode}): {err}")
    return spent, int(usage.ru_maxrss), out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--terms", type=int, default=30, help="index terms per record")
    p.add_argument("--part-bytes", type=int, default=3000, help="sealed message bytes")
    p.add_argument("--keep", type=Path, help="build in this directory and keep it")
    p.add_argument("--json", action="store_true")
    p.add_argument("--build-only", type=Path, help=argparse.SUPPRESS)  # the build's process
    args = p.parse_args()
    if args.build_only is not None:
        app = App.from_config(args.build_only)
        print(build(app, args.records, args.seed, args.terms, args.part_bytes))
        app.close()
        return

    work = args.keep or Path(tempfile.mkdtemp(prefix="dispose-bench-"))
    try:
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run([_exe(), "init", str(work)], check=True, stdout=subprocess.DEVNULL)
        config = work / "archiver.toml"
        # The build runs in a process of its own: a command forked from a process that has
        # grown would count its parent's pages in its peak RSS.
        built = float(
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--build-only",
                    str(config),
                    "--records",
                    str(args.records),
                    "--seed",
                    str(args.seed),
                    "--terms",
                    str(args.terms),
                    "--part-bytes",
                    str(args.part_bytes),
                ],
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            ).stdout.strip()
        )
        app = App.from_config(config)
        path = _db_path(app)
        app.close()
        before = db_size(path)
        log(f"built {args.records} records in {built:.0f} s; database {before / 1e6:.0f} MB")
        wrap_s, wrap_rss, _ = command(config, "keys", "cohorts", "--apply", "--json")
        log(f"wrapped into cohorts in {wrap_s:.1f} s")

        plan_s, plan_rss, out = command(config, "dispose", "plan", "--json", "--actor", "Rita")
        planned = json.loads(out)
        number, count = planned["batch"], planned["records"]
        log(f"plan: {count} records in {plan_s:.1f} s")
        command(config, "dispose", "approve", number, "--permit", "RMU-1", "--actor", "Dana")
        lite = sqlite3.connect(path)
        members = [
            r[0]
            for r in lite.execute(
                "SELECT record_id FROM disposition_record WHERE batch = ? ORDER BY record_id",
                (number,),
            )
        ]
        lite.close()
        held = random.Random(args.seed).sample(members, len(members) // 100)
        hold = ["hold", "create", "Audit", "--reason", "state audit", "--actor", "Rita"]
        for i in range(0, len(held), 500):  # added 500 at a time: a command line's length
            part = [a for rid in held[i : i + 500] for a in ("--record", rid)]
            if i == 0:
                command(config, *hold, *part)
            else:
                ids = held[i : i + 500]
                command(config, "hold", "add", "Audit", *ids, "--reason", "more")
        exec_s, exec_rss, out = command(
            config, "dispose", "execute", number, "--json", "--actor", "Sam"
        )
        done = json.loads(out)
        log(f"execute: {done['destroyed']} destroyed in {exec_s:.1f} s")
        _, _, cert = command(config, "dispose", "certificate", number, "--json")
        doc = json.loads(cert)
        keys_destroyed = len(doc.get("certificate", doc)["keys_destroyed"])
        after = db_size(path)
        vacuum_s = time.perf_counter()
        vacuumed = db_size(path, vacuum=True)
        vacuum_s = time.perf_counter() - vacuum_s
        result = {
            "records": args.records,
            "batch": count,
            "build_s": round(built, 1),
            "cohorts_apply": {
                "seconds": round(wrap_s, 2),
                "peak_rss_mb": round(wrap_rss / 1024, 1),
            },
            "plan": {
                "seconds": round(plan_s, 2),
                "records_per_s": round(count / plan_s),
                "peak_rss_mb": round(plan_rss / 1024, 1),
                "target_s": PLAN_TARGET,
                "ok": plan_s < PLAN_TARGET,
            },
            "execute": {
                "seconds": round(exec_s, 2),
                "destroyed": done["destroyed"],
                "skipped": len(done["skipped"]),
                "cohort_keys_destroyed": keys_destroyed,
                "records_per_s": round(done["destroyed"] / exec_s),
                "peak_rss_mb": round(exec_rss / 1024, 1),
                "target_s": EXECUTE_TARGET,
                "ok": exec_s < EXECUTE_TARGET,
            },
            "database_mb": {
                "before": round(before / 1e6, 1),
                "after": round(after / 1e6, 1),
                "after_vacuum": round(vacuumed / 1e6, 1),
                "vacuum_s": round(vacuum_s, 1),
            },
        }
        if args.json:
            print(json.dumps(result, indent=2))
            return
        pl, ex, db = result["plan"], result["execute"], result["database_mb"]
        print(f"dispose_bench: {args.records} records, batch of {count} (SQLite)")
        wrap = result["cohorts_apply"]
        print(f"  keys cohorts --apply {wrap['seconds']:.2f} s  peak RSS {wrap['peak_rss_mb']} MB")
        print(
            f"  plan     {pl['seconds']:>8.2f} s  {pl['records_per_s']:>7} records/s  "
            f"peak RSS {pl['peak_rss_mb']} MB  (target < {PLAN_TARGET:.0f} s: "
            f"{'ok' if pl['ok'] else 'MISSED'})"
        )
        print(
            f"  execute  {ex['seconds']:>8.2f} s  {ex['records_per_s']:>7} records/s  "
            f"peak RSS {ex['peak_rss_mb']} MB  (target < {EXECUTE_TARGET:.0f} s: "
            f"{'ok' if ex['ok'] else 'MISSED'}); {ex['destroyed']} destroyed, "
            f"{ex['skipped']} skipped (held after planning), "
            f"{ex['cohort_keys_destroyed']} cohort keys destroyed"
        )
        print(
            f"  database {db['before']} MB before, {db['after']} MB after, "
            f"{db['after_vacuum']} MB after VACUUM ({db['vacuum_s']} s)"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
