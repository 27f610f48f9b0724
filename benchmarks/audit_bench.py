#!/usr/bin/env python3
"""Audit log benchmark: a record's audit trail (the web record page's, `audit log --record`)
on a long log, and `audit verify` on it.

  build  an archive in DIR (its database a SQLite file there, or --database), then
         --events events appended through `audit.append` (the real chain: keyed hashes, the
         head, the records index) in transactions of 10,000: record views (45%), searches
         naming up to 25 records (35%), ingests naming 5 new records with their SHA-256 (6%),
         tags, request decisions, holds, retention changes and sign-ins; one "hot" record is
         shown or listed far more often than the rest. The records to read are kept in
         DIR/audit-bench.json.
  time   the median of --runs calls (after one warm-up) of
         `read_log(store, ring, AuditQuery(record=X), 200)` for the first record ingested
         (events all through the log), one from the middle, the newest and the hot one; then
         one `audit verify` and the size of a SQLite database.

To compare two versions, build and time with the older one, run `archiver db upgrade` with
the newer (timed: its migration may fill new tables from the log), and time again.

Usage:
  python benchmarks/audit_bench.py --dir DIR build [--events 200000] [--seed 7] [--database URL]
  python benchmarks/audit_bench.py --dir DIR time [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from archiver.app import App  # noqa: E402
from archiver.archive import audit  # noqa: E402
from archiver.archive.audit_log import read_log  # noqa: E402
from archiver.cli.main import run  # noqa: E402
from archiver.domain import AuditQuery  # noqa: E402

BATCH = 10_000  # events per transaction
TRAIL = 200  # events the record page shows


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _rid(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _event(rng: random.Random, pool: list[str], hot: str) -> tuple[str, str | None, dict[str, Any]]:
    """One event's (action, target, details), in the proportions the docstring gives."""
    r = rng.random()
    pick = hot if rng.random() < 0.005 else rng.choice(pool)
    if r < 0.45:
        return "show", pick, {"view": rng.choice(["text", "json", "pdf"])}
    if r < 0.80:
        listed = rng.sample(pool, rng.randint(0, 25))
        if rng.random() < 0.05:
            listed[:1] = [hot]
        return "search", None, {"filters": ["words"], "total": len(listed), "records": listed}
    if r < 0.86:
        new = [_rid(rng) for _ in range(5)]
        pool += new
        sha = [f"{rng.getrandbits(256):064x}" for _ in new]
        details = {"source": "local-inbox", "records": new, "sha256": sha}
        return "ingest", None, {**details, "quarantined": 0, "duplicates": 0}
    if r < 0.90:
        return "tag.add", pick, {"student": rng.randint(1, 5000)}
    if r < 0.93:
        decision = {"request": "PRR-2026-0001", "decision": "release", "exemptions": []}
        return "request.decide", pick, decision
    if r < 0.95:
        held = {"hold": 3, "records": rng.sample(pool, 3), "sealed_reason": "ab" * 40}
        return "hold.add", "hold:3", held
    if r < 0.97:
        return "retention.set", pick, {"series": "CORR-GEN", "reason": "ab" * 40}
    return "web.sign_in", "dana@example.org", {"method": "password", "remote": "10.0.0.7"}


def build(work: Path, events: int, seed: int, database: str | None) -> None:
    work.mkdir(parents=True)
    config = work / "archiver.toml"
    url = database or f"sqlite:///{work / 'archive.db'}"
    config.write_text(f'[archive]\ndatabase = "{url}"\nkeys_dir = "keys"\n')
    for step in (["db", "upgrade"], ["keys", "generate"]):
        if run(["--config", str(config), *step]) != 0:
            raise SystemExit(f"archiver {' '.join(step)} failed")
    app = App.from_config(config)
    rng = random.Random(seed)
    pool = [_rid(rng) for _ in range(1000)]
    hot = pool[500]
    ring, store = app.keyring, app.store
    with store.transaction() as tx:
        audit.append(tx, ring, "ingest", details={"records": pool, "source": "local-inbox"})
    done, start = 1, time.perf_counter()
    while done < events:
        with store.transaction() as tx:
            for _ in range(min(BATCH, events - done)):
                action, target, details = _event(rng, pool, hot)
                audit.append(tx, ring, action, target, details, actor="Dana Reyes")
                done += 1
        log(f"{done} events")
    log(f"built {done} events ({len(pool)} records) in {time.perf_counter() - start:.0f} s")
    chosen = {"first": pool[0], "middle": pool[len(pool) // 2], "newest": pool[-1], "hot": hot}
    (work / "audit-bench.json").write_text(json.dumps(chosen))
    app.close()


def timed(work: Path, runs: int) -> dict[str, Any]:
    app = App.from_config(work / "archiver.toml")
    ring, store = app.keyring, app.store
    out: dict[str, Any] = {}
    for name, rid in json.loads((work / "audit-bench.json").read_text()).items():
        times, found = [], 0
        for _ in range(runs + 1):
            start = time.perf_counter()
            found = len(list(read_log(store, ring, AuditQuery(record=rid), TRAIL)))
            times.append(time.perf_counter() - start)
        out[name] = {"events": found, "median_s": statistics.median(times[1:])}
        log(f"{name} record: {found} events in {statistics.median(times[1:]) * 1000:.1f} ms")
    start = time.perf_counter()
    report = audit.verify(store, ring)
    out["verify_s"] = time.perf_counter() - start
    out["verify_ok"] = report.ok
    log(f"audit verify: {report.checked} events, ok={report.ok}, {out['verify_s']:.1f} s")
    if store.engine.dialect.name == "sqlite":
        out["database_mb"] = Path(str(store.engine.url.database)).stat().st_size / 1e6
        log(f"database {out['database_mb']:.0f} MB")
    app.close()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", type=Path, required=True, help="the archive's directory")
    sub = p.add_subparsers(dest="step", required=True)
    b = sub.add_parser("build")
    b.add_argument("--events", type=int, default=200_000)
    b.add_argument("--seed", type=int, default=7)
    b.add_argument("--database", help="a database URL (default: DIR/archive.db, SQLite)")
    t = sub.add_parser("time")
    t.add_argument("--runs", type=int, default=5)
    t.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.step == "build":
        build(args.dir, args.events, args.seed, args.database)
        return
    result = timed(args.dir, args.runs)
    if args.json:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
