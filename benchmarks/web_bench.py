#!/usr/bin/env python3
"""Web benchmark (issue 16): search and record pages under concurrent signed-in sessions.

In one run it
  1. builds an archive of --records records (default 100,000) with dispose_bench's `build`
     (no parsing: sealed rows and search postings written in batches; each record holds 5 of
     200 common words `common0`..`common199` and 25 of a long tail `word0`..`word49999`, sent
     2016-2019), then imports --real (default 300) generated teacher forwards
     (benchmarks/corpus.py) through `archiver import`: the built records' sealed parts are
     random bytes that nothing opens, so record pages are opened on the real ones;
     `--keep DIR` builds in DIR once and reuses it on later runs with the same sizes;
  2. adds --sessions records-officer accounts through the accounts service (one each: a
     TOTP code is accepted once per account);
  3. starts `archiver web` in a process of its own on a free loopback port (waiting for its
     "serving on" line), the server's clock the system's;
  4. runs --sessions sessions, a thread each, each with its own keep-alive connection (no
     pause between pages unless --think gives the mean seconds a person reads one): it
     signs in through the form (CSRF token, password, the authenticator's code for now),
     collects record ids from a search for a word of the real forwards, then, once every
     session has done so (the measured time starts there), for --seconds loops over: a
     search for a common word, for a rare word, for a common word in one month (the date
     filter), and a record page (a random id of those results);
  5. prints, per page kind, the requests, p50/p95/max latency (request sent to body read),
     and the hits the searches found; requests per second; the server's CPU time.

Target (issue 16; DESIGN.md 14): search and record pages p95 under 300 ms with 20 concurrent
sessions on 100,000 records (2 cores).

Usage:
  python benchmarks/web_bench.py [--records 100000] [--real 300] [--sessions 20]
      [--seconds 60] [--think 0] [--server-threads 2] [--server-workers 2] [--seed 7]
      [--keep DIR] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import corpus  # noqa: E402
import dispose_bench  # noqa: E402

from archiver.app import App  # noqa: E402
from archiver.crypto import totp  # noqa: E402

P95_TARGET_MS = 300.0
PASSWORD = "benchmark password 1234"  # noqa: S105 (the benchmark's own accounts)
REAL_WORD = "school"  # in about a quarter of the generated forwards, in none of the built
KINDS = ("search: common word", "search: rare word", "search: date range", "record")
SEARCH_MONTH = ("2017-03-01", "2017-03-31")  # the built records span 2016-2019
COUNT = re.compile(r'<p class="count">(\d+) record')
RECORD_LINK = re.compile(r'href="/records/([0-9a-f]+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SCALE = 2  # build format: bump when what a kept build holds changes


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _exe() -> str:
    return shutil.which("archiver", path=str(Path(sys.executable).parent)) or "archiver"


# --- the archive -------------------------------------------------------------------------


def prepare(work: Path, records: int, real: int, seed: int) -> Path:
    """An archive in `work` (reused when `work` holds one of these sizes); its config."""
    config = work / "archiver.toml"
    marker = work / "web-bench.json"
    wanted = {"records": records, "real": real, "seed": seed, "format": SCALE}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        log(f"reusing the archive in {work}")
        return config
    shutil.rmtree(work, ignore_errors=True)
    subprocess.run([_exe(), "init", str(work)], check=True, stdout=subprocess.DEVNULL)
    app = App.from_config(config)
    try:
        spent = dispose_bench.build(app, records, seed, terms_per_record=30, part_bytes=3000)
    finally:
        app.close()
    log(f"built {records} records in {spent:.0f} s")
    eml = work / "real"
    corpus.write_corpus(eml, "eml", real, seed, None)
    start = time.perf_counter()
    subprocess.run(
        [_exe(), "--config", str(config), "import", "--actor", "web_bench", str(eml)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    log(f"imported {real} generated forwards in {time.perf_counter() - start:.0f} s")
    marker.write_text(json.dumps(wanted))
    return config


def add_accounts(config: Path, n: int) -> list[tuple[str, str]]:
    """`n` fresh records-officer accounts: (name, TOTP secret) each."""
    app = App.from_config(config)
    made = []
    try:
        tag = f"{int(time.time()) % 100000:05d}"  # fresh names on a kept archive
        for i in range(n):
            name = f"bench{tag}-{i:02d}"
            _, secret = app.accounts().add(
                name, "records-officer", password=PASSWORD, actor="web_bench"
            )
            assert secret is not None
            made.append((name, secret))
    finally:
        app.close()
    return made


@contextmanager
def server(config: Path, threads: int, workers: int) -> Iterator[tuple[int, int]]:
    """`archiver web` on a free loopback port: (port, its process id) while it serves."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            *(_exe(), "--config", str(config), "web"),
            *("--bind", f"127.0.0.1:{port}", "--threads", str(threads)),
            *("--workers", str(workers)),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "serving on" in line:
            break
    else:
        proc.wait()
        raise SystemExit(f"archiver web did not start ({proc.returncode}):\n{''.join(seen)}")
    stderr = proc.stderr
    threading.Thread(target=lambda: [None for _ in stderr], daemon=True).start()  # drain
    try:
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User and system CPU time so far of process `pid` and its running children, the
    server's worker processes (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(cpu_seconds(int(child)) for child in children)


# --- a session ---------------------------------------------------------------------------


class Session:
    """One person's browser: a keep-alive connection and its cookies. The cookies are kept
    by hand: they are `Secure` (`__Host-`), which http.cookiejar would not send over the
    plain-HTTP loopback a reverse proxy would forward to."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Any:
        """(status, body, seconds from sending the request to reading its body)."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        spent = time.perf_counter() - start
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "Max-Age=0" not in cookie:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response.status, text, spent

    def sign_in(self, name: str, secret: str) -> None:
        status, page, _ = self.request("GET", "/signin")
        found = CSRF.search(page)
        if status != 200 or found is None:
            raise RuntimeError(f"GET /signin: {status}")
        code = totp.code(secret, totp.step_of(datetime.now(UTC)))
        form = {"csrf": found.group(1), "name": name, "password": PASSWORD, "code": code}
        status, page, _ = self.request("POST", "/signin", form)
        if status != 302 or "__Host-archiver-session" not in self.cookies:
            raise RuntimeError(f"POST /signin as {name}: {status} {page[:300]}")


@dataclass
class Tally:
    """What one session saw: latencies per page kind, hits per search kind, failures."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    hits: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: list[str] = field(default_factory=list)


def _search_path(rng: random.Random, kind: str) -> str:
    if kind == "search: common word":
        return "/search?" + urlencode({"q": f"common{rng.randrange(dispose_bench.COMMON)}"})
    if kind == "search: rare word":
        return "/search?" + urlencode({"q": f"word{rng.randrange(dispose_bench.TAIL)}"})
    since, until = SEARCH_MONTH
    q = f"common{rng.randrange(dispose_bench.COMMON)}"
    return "/search?" + urlencode({"q": q, "since": since, "until": until})


@dataclass
class Window:
    """The measured time: it starts once every session has signed in and found its records
    (sign-in hashes a password on purpose: a burst of them is not a search or record page)."""

    seconds: float
    pid: int  # the server's
    start: float = 0.0  # perf_counter
    cpu: float = 0.0  # the server's CPU seconds at the start

    def begin(self) -> None:
        self.start = time.perf_counter()
        self.cpu = cpu_seconds(self.pid)

    @property
    def until(self) -> float:
        return self.start + self.seconds


def run_session(
    port: int,
    name: str,
    secret: str,
    ready: threading.Barrier,
    window: Window,
    think: float,
    seed: int,
    tally: Tally,
) -> None:
    """Sign in, find records, wait for every other session to be `ready`, then page through
    the kinds until the `window` ends, `think` seconds on average between pages."""
    rng = random.Random(seed)
    session = Session(port)
    try:
        session.sign_in(name, secret)
        ids: list[str] = []
        for page in (1, 2, 3, 4):
            path = "/search?" + urlencode({"q": REAL_WORD, "page": page})
            status, text, _ = session.request("GET", path)
            ids += RECORD_LINK.findall(text) if status == 200 else []
        if not ids:
            raise RuntimeError(f"a search for {REAL_WORD!r} found no record to open")
        ready.wait()
        if think:  # people do not all click at the same instant
            time.sleep(rng.uniform(0, 2 * think))
        while time.perf_counter() < window.until:
            for kind in KINDS:
                path = (
                    f"/records/{rng.choice(ids)}" if kind == "record" else _search_path(rng, kind)
                )
                status, text, spent = session.request("GET", path)
                if status != 200:
                    tally.errors.append(f"{path}: {status}")
                    continue
                tally.seconds[kind].append(spent)
                if think:
                    time.sleep(rng.uniform(0, 2 * think))  # a person reading the page
                if kind != "record" and (m := COUNT.search(text)):
                    tally.hits[kind].append(int(m.group(1)))
    except (OSError, RuntimeError, http.client.HTTPException) as exc:
        ready.abort()  # the others stop waiting (threading.BrokenBarrierError)
        tally.errors.append(f"{name}: {exc!r}")
    finally:
        session.conn.close()


# --- the report --------------------------------------------------------------------------


def _pct(ordered: list[float], q: float) -> float:
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]  # nearest rank


def summary(tallies: list[Tally], elapsed: float) -> dict[str, Any]:
    pages: dict[str, Any] = {}
    for kind in KINDS:
        runs = sorted(s for t in tallies for s in t.seconds[kind])
        hits = [h for t in tallies for h in t.hits[kind]]
        pages[kind] = {
            "requests": len(runs),
            "p50_ms": round(_pct(runs, 0.5) * 1000, 1) if runs else None,
            "p95_ms": round(_pct(runs, 0.95) * 1000, 1) if runs else None,
            "max_ms": round(runs[-1] * 1000, 1) if runs else None,
            "mean_hits": round(statistics.mean(hits), 1) if hits else None,
            "ok": bool(runs) and _pct(runs, 0.95) * 1000 < P95_TARGET_MS,
        }
    total = sum(p["requests"] for p in pages.values())
    errors = [e for t in tallies for e in t.errors]
    return {
        "pages": pages,
        "requests": total,
        "requests_per_s": round(total / elapsed, 1),
        "errors": len(errors),
        "first_errors": errors[:5],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--real", type=int, default=300, help="generated forwards imported")
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument(
        "--think", type=float, default=0.0, help="mean seconds between a session's pages"
    )
    p.add_argument("--server-threads", type=int, default=2, help="archiver web --threads")
    p.add_argument("--server-workers", type=int, default=2, help="archiver web --workers")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--keep", type=Path, help="build in this directory once and reuse it")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="web-bench-"))
    try:
        config = prepare(work, args.records, args.real, args.seed)
        accounts = add_accounts(config, args.sessions)
        with server(config, args.server_threads, args.server_workers) as (port, pid):
            log(f"archiver web on port {port}; {args.sessions} sessions for {args.seconds:g} s")
            tallies = [Tally() for _ in accounts]
            window = Window(args.seconds, pid)
            ready = threading.Barrier(len(accounts), action=window.begin)
            threads = [
                threading.Thread(
                    target=run_session,
                    args=(port, name, secret, ready, window, args.think, args.seed + i, tally),
                )
                for i, ((name, secret), tally) in enumerate(zip(accounts, tallies, strict=True))
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - window.start
            cpu = cpu_seconds(pid) - window.cpu
        result = {
            "records": args.records,
            "real_records": args.real,
            "sessions": args.sessions,
            "think_s": args.think,
            "server_threads": args.server_threads,
            "server_workers": args.server_workers,
            "seconds": round(elapsed, 1),
            "server_cpu_s": round(cpu, 1),
            "load_average": round(os.getloadavg()[0], 1),  # others' work on the cores too
            **summary(tallies, elapsed),
            "target_p95_ms": P95_TARGET_MS,
        }
        if args.json:
            print(json.dumps(result, indent=2))
            return
        print(
            f"web_bench: {args.records} records (+{args.real} real), {args.sessions} sessions, "
            f"{elapsed:.0f} s, {args.think:g} s between pages, archiver web --threads "
            f"{args.server_threads} --workers {args.server_workers} (SQLite)"
        )
        print(f"  {'page':<22}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'hits':>8}")
        for kind, s in result["pages"].items():
            hits = "" if s["mean_hits"] is None else f"{s['mean_hits']:.0f}"
            verdict = "ok" if s["ok"] else "MISSED"
            print(
                f"  {kind:<22}{s['requests']:>9}{s['p50_ms'] or 0:>9.1f}{s['p95_ms'] or 0:>9.1f}"
                f"{s['max_ms'] or 0:>9.1f}{hits:>8}  (p95 < {P95_TARGET_MS:.0f} ms: {verdict})"
            )
        print(
            f"  {result['requests']} requests, {result['requests_per_s']} requests/s; server CPU "
            f"{cpu:.1f} s ({cpu / elapsed:.2f} cores, {cpu / max(1, result['requests']) * 1000:.0f}"
            f" ms a request); load average {result['load_average']}; {result['errors']} errors "
            f"{result['first_errors'] or ''}"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
