#!/usr/bin/env python3
"""Large-message benchmark: peak memory and time of `archiver import` on ~150 MB messages.

For each shape it writes `--count` distinct messages of `--mb` megabytes into a directory,
with `--small` ordinary generated messages among them (so the workers are alive and busy),
imports the directory into a fresh SQLite archive with `--workers N`, and prints (JSON) per
shape: the peak RSS of the importer (main process, and summed over its process tree), the
tree's peak PSS, the wall time, and the outcome counts. Memory is read from /proc (see
import_bench.py), so no third-party tool is needed.

Shapes:
  pdf      one base64 PDF-like attachment (76-character lines) and a short text body
  many     many base64 attachments of about 1 MB each
  line     a text body on a single line of words (no base64 run in it)
  qp       a quoted-printable text body
  b64line  a text body on a single line of base64 characters (the pre-pass's worst case)

Usage:
  python benchmarks/large_message_bench.py [--shapes pdf,many,line,qp] [--count 6]
      [--mb 149] [--small 60] [--workers 6] [--keep DIR]

Target (issue 9): peak RSS summed over the process tree under 1.5 GB for 150 MB messages,
whatever the worker count.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
from import_bench import RssSampler, _archiver, _exe  # noqa: E402

MB = 1 << 20
WORDS = [
    "attendance",
    "field",
    "trip",
    "permission",
    "slip",
    "homework",
    "grade",
    "report",
    "conference",
]


def _headers(n: int, shape: str, content_type: str) -> bytes:
    return (
        f"From: Teacher {n} <teacher{n}@district.example.org>\r\n"
        f"To: records-archive@district.example.org\r\n"
        f"Subject: Large message {shape} {n}\r\n"
        f"Date: Mon, 02 Mar 2026 08:{n % 60:02d}:00 -0500\r\n"
        f"Message-ID: <large-{shape}-{n}@district.example.org>\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}\r\n"
    ).encode()


def _base64_lines(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _attachment(boundary: str, name: str, ctype: str, data: bytes) -> bytes:
    return (
        f'--{boundary}\r\nContent-Type: {ctype}; name="{name}"\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + _base64_lines(data)


def _text_part(boundary: str, text: str) -> bytes:
    return f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n".encode()


def _pdf_like(rng: random.Random, size: int) -> bytes:
    head = b"%PDF-1.4\n% large attachment\n"
    return head + rng.randbytes(size - len(head) - 6) + b"\n%%EOF"


def write_pdf(path: Path, n: int, size: int, rng: random.Random) -> None:
    b = f"pdf-{n}"
    raw = size * 3 // 4 * 76 // 78 - 4096  # base64 grows bytes by 4/3, and 2 in 76 for CRLF
    with path.open("wb") as f:
        f.write(_headers(n, "pdf", f'multipart/mixed; boundary="{b}"') + b"\r\n")
        f.write(_text_part(b, "Attached is the scanned report."))
        f.write(_attachment(b, f"scan-{n}.pdf", "application/pdf", _pdf_like(rng, raw)))
        f.write(f"--{b}--\r\n".encode())


def write_many(path: Path, n: int, size: int, rng: random.Random) -> None:
    b = f"many-{n}"
    each = MB * 3 // 4
    with path.open("wb") as f:
        f.write(_headers(n, "many", f'multipart/mixed; boundary="{b}"') + b"\r\n")
        f.write(_text_part(b, "Photos from the field trip."))
        i = 0
        while f.tell() < size - each * 4 // 3:
            f.write(_attachment(b, f"photo-{i}.jpg", "image/jpeg", rng.randbytes(each)))
            i += 1
        f.write(f"--{b}--\r\n".encode())


def _words(rng: random.Random, size: int) -> Iterator[bytes]:
    chunk = " ".join(rng.choice(WORDS) for _ in range(20_000)).encode() + b" "
    for _ in range(size // len(chunk)):
        yield chunk


def write_line(path: Path, n: int, size: int, rng: random.Random) -> None:
    with path.open("wb") as f:
        f.write(_headers(n, "line", "text/plain; charset=utf-8") + b"\r\n")
        for chunk in _words(rng, size):
            f.write(chunk)
        f.write(f"end {n}\r\n".encode())


def write_qp(path: Path, n: int, size: int, rng: random.Random) -> None:
    with path.open("wb") as f:
        head = _headers(n, "qp", "text/plain; charset=utf-8")
        f.write(head + b"Content-Transfer-Encoding: quoted-printable\r\n\r\n")
        for chunk in _words(rng, size):
            text = chunk.replace(b"e", b"=C3=A9")  # an accented letter, encoded
            f.write(b"".join(text[i : i + 75] + b"=\r\n" for i in range(0, len(text), 75)))
            if f.tell() >= size - len(text) * 2:
                break
        f.write(f"end {n}\r\n".encode())


def write_b64line(path: Path, n: int, size: int, rng: random.Random) -> None:
    with path.open("wb") as f:
        f.write(_headers(n, "b64line", "text/plain; charset=us-ascii") + b"\r\n")
        step = 48 * MB
        for start in range(0, size * 3 // 4, step):
            f.write(base64.b64encode(rng.randbytes(min(step, size * 3 // 4 - start))))
        f.write(b"\r\n")


SHAPES: dict[str, Callable[[Path, int, int, random.Random], None]] = {
    "pdf": write_pdf,
    "many": write_many,
    "line": write_line,
    "qp": write_qp,
    "b64line": write_b64line,
}


def write_folder(
    folder: Path, shape: str, count: int, small: int, size: int, rng: random.Random
) -> None:
    """`count` large messages of `shape` with `small` ordinary ones spread among them (files
    are imported in name order)."""
    ordinary = corpus.generate(rng.randrange(1 << 30))
    per = small // max(1, count)
    names = iter(range(count * (per + 1) + small + 1))
    for n in range(count):
        for _ in range(per):
            (folder / f"{next(names):04d}.eml").write_bytes(next(ordinary))
        SHAPES[shape](folder / f"{next(names):04d}.eml", n, size, rng)
    for _ in range(small - per * count):
        (folder / f"{next(names):04d}.eml").write_bytes(next(ordinary))


def import_dir(folder: Path, work: Path, workers: int) -> dict[str, float]:
    """Import every message in `folder` into a new archive in `work`; time, peaks, counts."""
    subprocess.run([_exe(), "init", str(work)], check=True, stdout=subprocess.DEVNULL)
    config = work / "archiver.toml"
    start = time.perf_counter()
    proc = subprocess.Popen(
        _archiver(config, "import", "--json", "--workers", str(workers), str(folder)),
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
        "seconds": round(elapsed, 1),
        "archived": doc["archived"],
        "quarantined": doc["quarantined"],
        "failed": doc["failed"],
        "peak_rss_main_mb": round(sampler.peak_main / MB),
        "peak_rss_tree_mb": round(sampler.peak_tree / MB),
        "peak_pss_tree_mb": round(sampler.peak_pss / MB),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", default="pdf,many,line,qp", help=f"of {','.join(SHAPES)}")
    ap.add_argument("--count", type=int, default=6, help="messages of each shape")
    ap.add_argument(
        "--small", type=int, default=60, help="ordinary messages among them (keeps workers busy)"
    )
    ap.add_argument("--mb", type=float, default=149, help="size of each message, MB")
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--keep", type=Path, help="keep the messages and archives here")
    args = ap.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="archiver-large-"))
    figures: dict[str, object] = {
        "cpu_cores": os.cpu_count(),
        "workers": args.workers,
        "messages_per_shape": args.count,
        "small_messages_per_shape": args.small,
        "message_mb": args.mb,
    }
    try:
        for shape in args.shapes.split(","):
            folder = root / shape
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            rng = random.Random(f"{args.seed}-{shape}")
            write_folder(folder, shape, args.count, args.small, int(args.mb * MB), rng)
            work = root / f"archive-{shape}"
            shutil.rmtree(work, ignore_errors=True)
            result = import_dir(folder, work, args.workers)
            result["message_bytes"] = sum(p.stat().st_size for p in folder.iterdir())
            figures[shape] = result
            print(shape, json.dumps(result), file=sys.stderr)
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
                shutil.rmtree(work, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
