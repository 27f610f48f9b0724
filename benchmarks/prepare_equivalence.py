#!/usr/bin/env python3
"""Dump what ingest's workers make of each message, to show that a change leaves it the same.

For every message of the inputs (mbox files, message files, directories of them, read
recursively) one JSON line: the metadata `prepare` seals (`parsed.metadata(...)`), the sent
date, the quarantine code, the tag input and the students tagged against the labelled roster of
tests/data/tagging, the index tokens, the PDF and DOCX attachments handed to text extraction,
and the SHA-256 of each attachment's decoded bytes as `parse(raw, want)` returns them. Run it
with one checkout's interpreter, then another's, and compare the files (`cmp`, `diff`).

Usage::

    python benchmarks/prepare_equivalence.py --out before.jsonl corpus.mbox tests/data
    python benchmarks/prepare_equivalence.py --no-texts --out after.jsonl corpus.mbox tests/data
    python benchmarks/prepare_equivalence.py --digests \
        --out tests/data/prepare_digests.json tests/data

The last writes what tests/unit/test_prepare_equivalence.py expects of the messages under
tests/data; write it again only when a change to what ingest makes of a message is meant.

`--no-texts` skips reading PDF and DOCX text (the sandboxed extractor), which this work does
not touch; the rest is the same.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import corpus  # this folder's generator

from archiver.sources.files import read_mbox
from archiver.understand.indexing import AttachmentTexts, attachment_texts, index_tokens
from archiver.understand.parse import parse
from archiver.understand.roster_file import read_roster
from archiver.understand.staff_file import read_staff
from archiver.understand.students import Tagger

# The archiver imported is the interpreter's (its checkout's editable install), not this file's.
TAGGING = Path(__file__).resolve().parents[1] / "tests" / "data" / "tagging"
_MESSAGE_SUFFIXES = {".eml", ".msg", ".txt", ".html"}


def messages(paths: list[Path]) -> Iterator[tuple[str, bytes]]:
    """(label, raw bytes) of every message in `paths`, in a stable order."""
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                if file.suffix.lower() in _MESSAGE_SUFFIXES:
                    yield str(file.relative_to(path)), file.read_bytes()
        elif path.suffix == ".mbox":
            for m in read_mbox(path, 1 << 30):
                if m.raw is not None:
                    yield m.arrival.name.rpartition("/")[2], m.raw
        else:
            yield path.name, path.read_bytes()


def tagger() -> Tagger:
    _, roster = read_roster(TAGGING / "roster.csv")
    _, staff = read_staff(TAGGING / "staff.csv")
    return Tagger(roster, staff)


def dump(raw: bytes, tag: Tagger, texts: bool) -> dict[str, Any]:
    """What `prepare.prepare` makes of `raw` before sealing, as JSON."""
    parsed = parse(raw)
    read = (
        attachment_texts(parsed.extractable)
        if texts
        else AttachmentTexts([], {e.sha256: ("skipped", None) for e in parsed.extractable})
    )
    extractable = [[e.filename, e.content_type, e.sha256, len(e.data)] for e in parsed.extractable]
    meta = parsed.metadata(read.status)
    item = parsed.tag_input(meta)
    tokens = index_tokens(meta, read.texts)
    digests = {a.sha256 for a in meta.files()}
    found = parse(raw, frozenset(digests)).found
    return {
        "quarantine": parsed.quarantine,
        "sent_at": parsed.sent_at.isoformat() if parsed.sent_at else None,
        "metadata": meta.to_json(),
        "html": parsed.html,
        "text_from_html": parsed.text_from_html,
        "tag_input": dataclasses.asdict(item),
        "students": tag.tag(item),
        "tokens": {
            "tokenizer": tokens.tokenizer,
            "attachments": tokens.attachments,
            "fields": {f: sorted(v) for f, v in sorted(tokens.fields.items())},
        },
        "extractable": extractable,
        "found": {k: hashlib.sha256(v).hexdigest() for k, v in sorted(found.items())},
    }


def as_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, ensure_ascii=True)


GENERATED = 80  # messages of the benchmark corpus (seed 7) the test also compares


def digests(folder: Path) -> dict[str, str]:
    """Each message file under `folder` (by its path there), and the first GENERATED messages
    of the benchmark corpus -> the SHA-256 of its dump, with no PDF or DOCX text: what
    tests/unit/test_prepare_equivalence.py compares."""
    tag = tagger()
    sample = itertools.islice(corpus.generate(7), GENERATED)
    found = [*messages([folder]), *((f"generated/{n:03d}", raw) for n, raw in enumerate(sample))]
    return {
        label: hashlib.sha256(as_json(dump(raw, tag, False)).encode()).hexdigest()
        for label, raw in found
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+", type=Path, help="mbox files, message files, folders")
    ap.add_argument("--out", type=Path, required=True, help="the file to write")
    ap.add_argument("--no-texts", action="store_true", help="do not read PDF and DOCX text")
    ap.add_argument(
        "--digests",
        action="store_true",
        help="write the digests of one folder's messages as JSON (the test's expectations)",
    )
    args = ap.parse_args()
    if args.digests:
        found = digests(args.inputs[0])
        args.out.write_text(json.dumps(found, indent=0, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{len(found)} digests -> {args.out}", file=sys.stderr)
        return 0
    tag = tagger()
    count = 0
    with args.out.open("w", encoding="utf-8") as out:
        for label, raw in messages(args.inputs):
            doc = {"label": label, "sha256": hashlib.sha256(raw).hexdigest()}
            out.write(as_json(doc | dump(raw, tag, not args.no_texts)) + "\n")
            count += 1
    print(f"{count} messages -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
