#!/usr/bin/env python3
"""Export benchmark (issue 14): one request's bundle of --records records, half of them
redacted, with the release gate.

It makes an archive (`archiver init`), imports a generated corpus (benchmarks/corpus.py) with
a share of the messages given a PDF attachment naming a student (--pdf-share, 0.15), opens a
public-records request holding every record, decides half `release` and redacts the other
half (two accepted redactions each: a name and a personal address, both written in the
message), then times one `Exporter.request` (rendering, rasterising, the gate, signing,
writing) in a process of its own. Prints the wall time, rendered and rasterised pages per
second, the bundle's size and the peak resident memory of that process (ru_maxrss) and of its
largest child (a worker producing records, or a `pdftotext` run): run it with two sizes to see
whether memory stays flat.

Target (issue 14): 1,000 records under 2 minutes on 2 cores, memory flat.

Usage: python benchmarks/export_bench.py [--records 1000] [--pdf-share 0.15] [--seed 7]
    [--keep DIR] [--json]
       python benchmarks/export_bench.py --again DIR   (time the export of a kept archive)
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archiver.cli.main import run
from archiver.render.document import Document, Paragraph

NAME = "Tobias Wexford"  # not a name benchmarks/corpus.py makes: released records must not hold it
HOME = "maria.ruiz.home@yahoo.example"


def _pdf(n: int, named: bool) -> bytes:
    from archiver.render.pdf import render_pdf

    who = f"{NAME} left the playground at 10:40. Contact {HOME}." if named else "All stayed."
    text = f"Report {n}: {who}"
    made = datetime(2026, 1, 1, tzinfo=UTC)
    return render_pdf(Document(f"Report {n}", (Paragraph(text),), "r", made))


def _messages(count: int, pdf_share: float, seed: int, out: Path) -> int:
    """Write `count` .eml files: corpus messages with the name and address appended, a share
    with a PDF attachment. How many have one."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from corpus import generate

    pdfs = 0
    every = max(1, round(1 / pdf_share)) if pdf_share > 0 else 0
    for n, raw in enumerate(generate(seed)):
        if n >= count:
            break
        msg = EmailMessage()
        msg["From"] = "Maria Ruiz <mruiz@district.example.org>"
        msg["To"] = "records-archive@district.example.org"
        msg["Subject"] = f"Note {n}"
        msg["Date"] = "Tue, 14 Oct 2025 07:52:11 -0400"
        msg["Message-ID"] = f"<bench-{n}@district.example.org>"
        body = raw.decode("utf-8", "replace")[:3000]
        named = n % 2 == 0  # to be redacted; the others, released, must not name them
        lead = f"{NAME} was mentioned. Write to {HOME}." if named else "Nobody was named."
        msg.set_content(f"{lead}\n\n{body}")
        if every and n % every == 0:
            pdf = _pdf(n, named)
            msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="r.pdf")
            pdfs += 1
        (out / ("redact" if named else "release") / f"{n:06d}.eml").write_bytes(msg.as_bytes())
    return pdfs


def _ids(config: Path) -> set[str]:
    from archiver.app import App

    app = App.from_config(config)
    with app.store.transaction() as tx:
        return {r.id for r in tx.records.after("", 1_000_000)}


def _export(root: Path) -> dict[str, object]:
    """Export the request of the archive in `root` (made by `_setup`) to `root/bundle`: the
    measured part, in this process."""
    from archiver.app import App
    from archiver.records.export import Exporter

    app = App.from_config(root / "a" / "archiver.toml")
    desk = app.requests()
    number = desk.listed()[0].number
    exporter = Exporter(
        app.store, app.keyring, app.clock, app.district, "Bench District", app.text_limits()
    )
    out = root / "bundle"
    if out.exists():
        shutil.rmtree(out)
    start = time.perf_counter()
    written = exporter.request(desk, number, out)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    pages = 0
    from pypdf import PdfReader

    for f in (out / "data").rglob("*.pdf"):
        pages += len(PdfReader(f).pages)
    return {
        "records": written.records,
        "files": written.files,
        "wall_seconds": round(wall, 1),
        "pages": pages,
        "pages_per_second": round(pages / wall, 1),
        "bundle_mb": round(size / 1e6, 1),
        "peak_rss_mb": round(peak),
        "peak_child_rss_mb": round(children),
    }


def _setup(root: Path, records: int, pdf_share: float, seed: int) -> int:
    """An archive in `root/a` of `records` messages in one request, half decided `release`,
    half redacted; how many messages have a PDF attachment."""
    eml = root / "eml"
    for half in ("redact", "release"):
        (eml / half).mkdir(parents=True, exist_ok=True)
    pdfs = _messages(records, pdf_share, seed, eml)
    assert run(["init", str(root / "a")]) == 0
    config = root / "a" / "archiver.toml"
    text = config.read_text()  # the letter names the officer
    for key, value in (
        ("district_name", "Bench District"),
        ("officer_name", "Dana Reyes"),
        ("officer_contact", "1 Main St"),
    ):
        text = re.sub(rf"(?m)^{key} = .*$", f'{key} = "{value}"', text)
    config.write_text(text)
    halves = []
    for half in ("redact", "release"):
        assert run(["--config", str(config), "import", str(eml / half)]) == 0
        halves.append(_ids(config))

    from archiver.app import App

    app = App.from_config(config)
    desk = app.requests()
    number = desk.open("public", app.clock.now(), "Jo Reporter").number
    redacted, every = halves
    desk.add(number, sorted(every))
    redactions = app.redactions()
    for rid in sorted(every):
        if rid in redacted:
            redactions.add(number, rid, NAME, "26a:ferpa")
            redactions.add(number, rid, HOME, "10B")
        else:
            desk.decide(number, rid, "release")
    return pdfs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=1000)
    p.add_argument("--pdf-share", type=float, default=0.15)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--keep", type=Path)
    p.add_argument("--again", type=Path, help="only export the kept archive in this directory")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.again:
        doc = _export(args.again)
    else:
        root = args.keep or Path(tempfile.mkdtemp(prefix="export-bench-"))
        root.mkdir(parents=True, exist_ok=True)
        pdfs = _setup(root, args.records, args.pdf_share, args.seed)
        # The export in a process of its own: its memory is the export's, not the import's.
        done = subprocess.run(
            [sys.executable, __file__, "--again", str(root), "--json"],
            check=True,
            capture_output=True,
            text=True,
        )
        doc = {"with_pdf_attachment": pdfs, **json.loads(done.stdout.strip().splitlines()[-1])}
    print(json.dumps(doc) if args.json else "\n".join(f"{k}: {v}" for k, v in doc.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
