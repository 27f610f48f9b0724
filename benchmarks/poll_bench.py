#!/usr/bin/env python3
"""Poll benchmark: `archiver poll` against a local Dovecot, beside a bare fetch loop and
`archiver import` of the same messages from disk, all in one run.

For each mailbox size it prints:
  - a bare imapclient fetch loop (same batches, no ingest): messages/s, MB/s;
  - `archiver poll` of the mailbox into a fresh archive: messages/s, MB/s, peak RSS;
  - `archiver import` of the same messages from an mbox: messages/s, MB/s;
  - poll / import (target: at least 0.8).
Two sizes show whether memory follows the batch size or the mailbox size.

Usage: python benchmarks/poll_bench.py [--sizes 100M,400M] [--seed 7] [--database URL]
Needs dovecot-imapd (Debian 12, Dovecot 2.3).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import corpus  # noqa: E402
from import_bench import RssSampler, _bytes, _exe, with_database  # noqa: E402

from archiver.sources.imap import batches  # noqa: E402
from tests.integration.dovecot import Dovecot  # noqa: E402

BATCH_MESSAGES = 50
BATCH_MB = 25
MB = 1 << 20


def messages(seed: int, size: int) -> Iterator[bytes]:
    total = 0
    for raw in corpus.generate(seed):
        if total >= size:
            return
        total += len(raw)
        yield raw


def bare_fetch(server: Dovecot, user: str) -> tuple[int, int, float]:
    """(messages, bytes, seconds) of fetching everything in the poller's batches, no ingest."""
    client = server.client(user)
    client._imap.debug = 0  # as the poller does: no protocol trace (see sources/imap.py)
    start = time.perf_counter()
    client.select_folder("INBOX", readonly=True)
    uids = client.search("ALL")
    sizes = {u: d[b"RFC822.SIZE"] for u, d in client.fetch(uids, ["RFC822.SIZE"]).items()}
    count = size = 0
    for batch in batches(sizes, BATCH_MESSAGES, BATCH_MB * MB):
        for data in client.fetch(batch, ["BODY.PEEK[]"]).values():
            count += 1
            size += len(data[b"BODY[]"])
    elapsed = time.perf_counter() - start
    client.logout()
    return count, size, elapsed


def fresh_archive(work: Path, database: str | None, source: str = "") -> Path:
    subprocess.run([_exe(), "init", str(work)], check=True, stdout=subprocess.DEVNULL)
    config = work / "archiver.toml"
    text = config.read_text()
    if database:
        text = with_database(text, database)
    start = text.index("\n[[sources]]")  # replace the demo's maildir source
    config.write_text(text[: start + 1] + source)
    if database:
        for step in (["db", "upgrade"], ["keys", "generate"]):
            subprocess.run(
                [_exe(), "--config", str(config), *step], check=True, stdout=subprocess.DEVNULL
            )
    return config


def timed(cmd: list[str]) -> tuple[Any, float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    sampler = RssSampler(proc.pid)
    sampler.start()
    out, _ = proc.communicate()
    elapsed = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
    return json.loads(out), elapsed, sampler.peak_tree


def reset_database(database: str | None) -> None:
    if database:
        import sqlalchemy

        url = sqlalchemy.engine.make_url(database)
        admin = sqlalchemy.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()


def run_size(
    server: Dovecot, root: Path, size: int, seed: int, database: str | None
) -> dict[str, Any]:
    user = server.new_user()
    t = time.perf_counter()
    server.append(user, "INBOX", messages(seed, size))
    print(
        f"appended {size // MB} MB to Dovecot in {time.perf_counter() - t:.1f} s", file=sys.stderr
    )
    n_fetch, b_fetch, s_fetch = bare_fetch(server, user)

    secret = root / f"pw-{size}"
    secret.write_text(server.password)
    secret.chmod(0o600)
    source = (
        f'[[sources]]\nname = "bench"\nkind = "imap"\nhost = "{server.host}"\n'
        f'port = {server.port}\ntls = "none"\nusername = "{user}"\n'
        f'secret_file = "{secret}"\nbatch_messages = {BATCH_MESSAGES}\n'
        f"batch_mb = {BATCH_MB}\n"
    )
    reset_database(database)
    config = fresh_archive(root / f"poll-{size}", database, source)
    doc, s_poll, rss_poll = timed([_exe(), "--config", str(config), "poll", "--json"])
    [polled] = doc["sources"]

    mbox = root / f"same-{size}.mbox"
    with mbox.open("wb") as f:
        for raw in messages(seed, size):
            f.write(b"From bench@example.org Sat Nov 28 12:00:00 2026\n" + raw + b"\n")
    reset_database(database)
    config = fresh_archive(root / f"import-{size}", database)
    imported, s_import, rss_import = timed(
        [_exe(), "--config", str(config), "import", "--json", str(mbox)]
    )
    n = polled["archived"] + polled["quarantined"]
    n_import = imported["archived"] + imported["quarantined"]
    return {
        "mailbox_mb": round(b_fetch / MB, 1),
        "messages": n_fetch,
        "bare_fetch": {
            "messages_per_s": round(n_fetch / s_fetch, 1),
            "mb_per_s": round(b_fetch / MB / s_fetch, 2),
        },
        "poll": {
            "messages_per_s": round(n / s_poll, 1),
            "mb_per_s": round(b_fetch / MB / s_poll, 2),
            "seconds": round(s_poll, 2),
            "archived": n,
            "moved": polled["moved"],
            "peak_rss_mb_all_processes": round(rss_poll / MB, 1),
        },
        "import": {
            "messages_per_s": round(n_import / s_import, 1),
            "mb_per_s": round(mbox.stat().st_size / MB / s_import, 2),
            "seconds": round(s_import, 2),
            "peak_rss_mb_all_processes": round(rss_import / MB, 1),
        },
        "poll_vs_import": round((n / s_poll) / (n_import / s_import), 2),
        "poll_vs_bare_fetch": round((n / s_poll) / (n_fetch / s_fetch), 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100M,400M", help="mailbox sizes, comma-separated")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--database", help="PostgreSQL URL of a scratch database (default: SQLite)")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="archiver-pollbench-"))
    server = Dovecot.launch()
    try:
        results = [
            run_size(server, root, _bytes(s), args.seed, args.database)
            for s in args.sizes.split(",")
        ]
    finally:
        server.close()
        shutil.rmtree(root, ignore_errors=True)
    print(
        json.dumps(
            {
                "database": "postgresql" if args.database else "sqlite",
                "batch": {"messages": BATCH_MESSAGES, "mb": BATCH_MB},
                "sizes": results,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
