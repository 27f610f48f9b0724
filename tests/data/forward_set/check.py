#!/usr/bin/env python3
"""Self-check of the forward test set: MIME validity, fictional data, labels, split, counts.

Usage::

    python tests/data/forward_set/check.py   # checks and counts; exit 1 on any problem
    python tests/data/forward_set/check.py --dir tests/data/forward_set2   # another set

Checks: every NNN.eml parses with ``email.policy.default`` with no defect in any part (attached
messages included), every text part decodes, lines end in CRLF and stay within 998 octets,
headers are 7-bit; every address and link is at a reserved domain (``*.example``,
``example.org/.com/.net``) and every phone number is in the fictional 555-01xx range;
labels.json has exactly one label per file, with the fields its ``forward`` value asks for
and a known kind; the split follows the rule in README.md (recomputed here from the file
names), or every file is ``tuning`` in a set whose source.toml says ``split = "tuning"``.
Then prints the counts per kind and split, per language and per client.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import hashlib
import json
import re
import sys
import tomllib
from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SPLIT_KEY = "archiver-forward-split-v1:"
KINDS = (
    "inline_html",
    "inline_text",
    "attached",
    "attribution",
    "quoted_headers",
    "original_message",
    "quoted_body",
    "chain",
    "not_forward",
)
COMMON = ("client", "language", "kind", "forward", "about", "split")
FORWARD = ("from_address", "from_name", "subject", "body_first", "body_last", "date")
ALLOWED_DOMAIN = re.compile(r"(?:^|\.)(?:example|example\.org|example\.com|example\.net)$", re.I)
ADDRESS = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
LINK = re.compile(r"(?<!xmlns=\")(?<!xmlns:\w\=\")https?://([\w.-]+)")
PHONE = re.compile(r"(?<![\d-])(\d{3})-(\d{4})(?![\d-])")


def walk(msg: Message) -> list[Message]:
    """Every part, attached messages included."""
    parts: list[Message] = []
    for part in msg.walk():
        parts.append(part)
        if part.get_content_type() == "message/rfc822":
            for inner in part.get_payload():
                if isinstance(inner, Message):
                    parts.extend(walk(inner))
    return parts


def text_of(msg: Message) -> str:
    """Address headers and decoded text parts, for the fictional-data checks."""
    chunks: list[str] = []
    for part in walk(msg):
        for key in ("From", "To", "Cc", "Subject"):
            chunks.extend(str(v) for v in part.get_all(key, []))
        if part.get_content_maintype() == "text" and isinstance(part, EmailMessage):
            content = part.get_content()
            chunks.append(content if isinstance(content, str) else "")
    return "\n".join(chunks)


def check_file(path: Path, problems: list[str]) -> None:
    raw = path.read_bytes()
    name = path.name
    if re.search(rb"(?<!\r)\n", raw) or re.search(rb"\r(?!\n)", raw):
        problems.append(f"{name}: a line ending other than CRLF")
    for i, line in enumerate(raw.split(b"\r\n"), 1):
        if len(line) > 998:
            problems.append(f"{name}: line {i} is {len(line)} octets")
    if not raw.split(b"\r\n\r\n", 1)[0].isascii():
        problems.append(f"{name}: 8-bit bytes in the header")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for part in walk(msg):
        for d in part.defects:
            problems.append(f"{name}: defect {type(d).__name__}: {d}")
        for key, value in part.items():
            for d in getattr(value, "defects", ()):
                problems.append(f"{name}: header {key}: {type(d).__name__}: {d}")
        if part.get_content_maintype() == "text" and isinstance(part, EmailMessage):
            try:
                part.get_content()
            except (LookupError, ValueError, UnicodeError) as exc:
                problems.append(f"{name}: a text part does not decode: {exc}")
    text = text_of(msg)
    for m in ADDRESS.finditer(text):
        if not ALLOWED_DOMAIN.search(m.group(1)):
            problems.append(f"{name}: address at a real domain: {m.group(0)}")
    for m in LINK.finditer(text):
        if not ALLOWED_DOMAIN.search(m.group(1)):
            problems.append(f"{name}: link to a real host: {m.group(1)}")
    for m in PHONE.finditer(text):
        if m.group(1) != "555" or not m.group(2).startswith("01"):
            problems.append(f"{name}: phone number outside 555-01xx: {m.group(0)}")


def check_label(name: str, label: dict[str, Any], problems: list[str]) -> None:
    for key in COMMON:
        if key not in label:
            problems.append(f"{name}: label without {key}")
    if label.get("kind") not in KINDS:
        problems.append(f"{name}: unknown kind {label.get('kind')!r}")
    if label.get("split") not in ("tuning", "heldout"):
        problems.append(f"{name}: split {label.get('split')!r}")
    forward = label.get("forward")
    if not isinstance(forward, bool):
        problems.append(f"{name}: forward is not true or false")
        return
    if forward == (label.get("kind") == "not_forward"):
        problems.append(f"{name}: forward={forward} with kind {label.get('kind')}")
    if not forward:
        extra = [k for k in FORWARD if k in label]
        if extra:
            problems.append(f"{name}: a non-forward with {', '.join(extra)}")
        return
    for key in FORWARD:
        if key not in label:
            problems.append(f"{name}: forward label without {key}")
    for key in ("from_address", "subject", "body_first", "body_last"):
        if not isinstance(label.get(key), str):
            problems.append(f"{name}: {key} is not text")
    for key in ("body_first", "body_last", "from_address"):
        if not str(label.get(key) or "").strip():
            problems.append(f"{name}: {key} is empty")
    if label.get("from_name") is not None and not isinstance(label.get("from_name"), str):
        problems.append(f"{name}: from_name is neither text nor null")
    date = label.get("date")
    if date is not None:
        try:
            parsed = datetime.fromisoformat(date)
        except (TypeError, ValueError):
            problems.append(f"{name}: date {date!r} is not ISO 8601")
        else:
            if parsed.utcoffset() is None or parsed.utcoffset() != UTC.utcoffset(None):
                problems.append(f"{name}: date {date!r} is not in UTC")


def expected_split(labels: dict[str, dict[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for kind in KINDS:
        names = sorted(
            (n for n, v in labels.items() if v.get("kind") == kind),
            key=lambda n: hashlib.sha256((SPLIT_KEY + n).encode()).hexdigest(),
        )
        for i, n in enumerate(names):
            out[n] = "heldout" if i < (len(names) + 1) // 3 else "tuning"
    return out


def main() -> int:
    global HERE  # noqa: PLW0603  (the one run's set)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=HERE, help="the set's folder (default: this one)")
    HERE = ap.parse_args().dir.resolve()
    whole_set = tomllib.loads((HERE / "source.toml").read_text(encoding="utf-8")).get("split")
    problems: list[str] = []
    labels: dict[str, dict[str, Any]] = json.loads(
        (HERE / "labels.json").read_text(encoding="utf-8")
    )
    files = sorted(HERE.glob("*.eml"))
    names = {p.name for p in files}
    for n in sorted(names - set(labels)):
        problems.append(f"{n}: no label")
    for n in sorted(set(labels) - names):
        problems.append(f"{n}: a label with no file")
    for path in files:
        check_file(path, problems)
    for name, label in sorted(labels.items()):
        check_label(name, label, problems)
    for name, rule in expected_split(labels).items():
        part = whole_set or rule
        if labels[name].get("split") != part:
            problems.append(f"{name}: split {labels[name].get('split')} where the rule says {part}")
    splits = Counter((v["kind"], v["split"]) for v in labels.values())
    print(f"messages: {len(files)}")
    print("kinds (all = tuning + held-out):")
    for kind in KINDS:
        tuning, heldout = splits[kind, "tuning"], splits[kind, "heldout"]
        print(f"  {kind:17} {tuning + heldout:3} = {tuning:3} + {heldout:2}")
        if not tuning or (not heldout and not whole_set):
            problems.append(f"kind {kind}: {tuning} tuning and {heldout} held-out files")
    total_t = sum(v for (_, s), v in splits.items() if s == "tuning")
    total_h = sum(v for (_, s), v in splits.items() if s == "heldout")
    print(f"  {'all':17} {total_t + total_h:3} = {total_t:3} + {total_h:2}")
    not_fwd = sum(1 for v in labels.values() if not v["forward"])
    print(f"not forwards: {not_fwd} ({not_fwd / max(len(labels), 1):.0%})")
    languages = Counter(v["language"] for v in labels.values())
    print(
        f"languages ({len(languages)}): "
        + ", ".join(f"{k} {n}" for k, n in languages.most_common())
    )
    texts = Counter(v["text_language"] for v in labels.values() if "text_language" in v)
    if texts:
        print("text in another language: " + ", ".join(f"{k} {n}" for k, n in texts.items()))
    clients = Counter(v["client"] for v in labels.values())
    print(f"clients ({len(clients)}): " + ", ".join(f"{k} {n}" for k, n in clients.most_common()))
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print("ok: every file parses without defects, every label is complete, the split is the rule's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
