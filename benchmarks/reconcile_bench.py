#!/usr/bin/env python3
"""Reconcile benchmark: `archiver reconcile` against a local Dovecot, beside `archiver poll`.

A mailbox of the given size is polled into a fresh archive (every message is then in the
Archived folder). Then, in the same run:
  - reconcile with every record present (the weekly timer's usual work: fetch and hash);
  - reconcile after every record was deleted from the database (the worst loss: every
    message re-ingested);
and, as baselines, the poll itself and a bare fetch of the Archived folder in the same batches.

Usage: python benchmarks/reconcile_bench.py [--size 100M] [--seed 7] [--database URL]
Needs dovecot-imapd (Debian 12, Dovecot 2.3).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from import_bench import _bytes, _exe  # noqa: E402
from poll_bench import (  # noqa: E402
    BATCH_MB,
    BATCH_MESSAGES,
    MB,
    fresh_archive,
    messages,
    reset_database,
    timed,
)

from archiver.settings import load_settings  # noqa: E402
from archiver.sources.imap import batches  # noqa: E402
from archiver.store.db import Store  # noqa: E402
from tests.integration.dovecot import Dovecot  # noqa: E402


def bare_fetch(server: Dovecot, user: str, folder: str) -> float:
    """Seconds to fetch every message of `folder` in the reconciler's batches, no hashing."""
    client = server.client(user)
    client._imap.debug = 0  # as sources/imap.py does
    start = time.perf_counter()
    client.select_folder(folder, readonly=True)
    uids = client.search("ALL")
    sizes = {u: d[b"RFC822.SIZE"] for u, d in client.fetch(uids, ["RFC822.SIZE"]).items()}
    for batch in batches(sizes, BATCH_MESSAGES, BATCH_MB * MB):
        client.fetch(batch, ["BODY.PEEK[]"])
    elapsed = time.perf_counter() - start
    client.logout()
    return elapsed


def lose_everything(config: Path) -> int:
    """Delete every record from the database (as if it had been lost); how many there were."""
    db = Store.open(load_settings(config).database_url)
    deleted = 0
    try:
        while True:
            with db.transaction() as tx:
                page = tx.records.after("", 500)
                for row in page:
                    tx.delete_record(row.id)
            if not page:
                return deleted
            deleted += len(page)
    finally:
        db.close()


def rate(n: int, mb: float, seconds: float) -> dict[str, float]:
    return {
        "seconds": round(seconds, 2),
        "messages_per_s": round(n / seconds, 1),
        "mb_per_s": round(mb / seconds, 2),
    }


def run(server: Dovecot, root: Path, size: int, seed: int, database: str | None) -> dict[str, Any]:
    user = server.new_user()
    server.append(user, "INBOX", messages(seed, size))
    secret = root / "pw"
    secret.write_text(server.password)
    secret.chmod(0o600)
    source = (
        f'[[sources]]\nname = "bench"\nkind = "imap"\nhost = "{server.host}"\n'
        f'port = {server.port}\ntls = "none"\nusername = "{user}"\n'
        f'secret_file = "{secret}"\nbatch_messages = {BATCH_MESSAGES}\n'
        f"batch_mb = {BATCH_MB}\n"
    )
    reset_database(database)
    config = fresh_archive(root / "archive", database, source)
    cmd = [_exe(), "--config", str(config)]
    polled, s_poll, _ = timed([*cmd, "poll", "--json"])
    n = polled["sources"][0]["moved"]
    mb = sum(len(m) for m in messages(seed, size)) / MB
    s_fetch = bare_fetch(server, user, "Archived")
    present, s_present, rss_present = timed([*cmd, "reconcile", "--json"])
    lost = lose_everything(config)
    back, s_back, rss_back = timed([*cmd, "reconcile", "--json"])
    [p], [b] = present["sources"], back["sources"]
    assert p["present"] == n and len(b["reingested"]) == lost, (p, b, n, lost)
    return {
        "messages": n,
        "mailbox_mb": round(mb, 1),
        "poll": rate(n, mb, s_poll),
        "bare_fetch_of_archived": rate(n, mb, s_fetch),
        "reconcile_all_present": {
            **rate(n, mb, s_present),
            "peak_rss_mb_all_processes": round(rss_present / MB, 1),
        },
        "reconcile_all_lost": {
            **rate(n, mb, s_back),
            "peak_rss_mb_all_processes": round(rss_back / MB, 1),
        },
        "present_vs_bare_fetch": round(s_fetch / s_present, 2),
        "lost_vs_poll": round(s_poll / s_back, 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="100M", help="mailbox size")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--database", help="PostgreSQL URL of a scratch database (default: SQLite)")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="archiver-reconcilebench-"))
    server = Dovecot.launch()
    try:
        result = run(server, root, _bytes(args.size), args.seed, args.database)
    finally:
        server.close()
        shutil.rmtree(root, ignore_errors=True)
    result["database"] = "postgresql" if args.database else "sqlite"
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
