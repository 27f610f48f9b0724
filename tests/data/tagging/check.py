#!/usr/bin/env python3
"""Self-check of the student-tagging test set: MIME validity, roster, staff, labels, counts.

Usage::

    python tests/data/tagging/check.py             # checks and counts; exit 1 on any problem
    python tests/data/tagging/check.py --evidence  # also print, per message, which roster
                                                   # names, ids and addresses occur in its text,
                                                   # and which staff names and addresses
    python tests/data/tagging/check.py --baseline  # score a naive exact-match strawman tagger

Checks: every messages/NNN.eml parses with ``email.policy.default`` and no part has defects,
every text part decodes, lines end in CRLF and stay within 998 octets, only example domains
occur; roster.csv has the expected header and valid rows; staff.csv has its header, unique
employee ids and addresses, and exactly the staff namesakes listed in ``NAMESAKES``, each of
whom really shares a roster student's full name; labels.json covers exactly the
messages, uses known categories, and names only roster ids; every label has a ``split``
(``tuning`` or ``heldout``) and every category has messages in both parts. The ``--evidence``
listing is for a person reviewing the labels; it is a plain string search, not a tagger, and
labels were not tuned to it. ``--baseline`` scores the same string search used as a tagger (tag
a student when their id, school address, "First Last", "Preferred Last" or "Last, First" occurs,
accents and case ignored) to show what the easy cases are worth; it is a strawman, not the
product's tagger.
"""

from __future__ import annotations

import argparse
import csv
import email
import email.policy
import io
import json
import re
import sys
import unicodedata
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = [
    "Student ID",
    "First Name",
    "Last Name",
    "Preferred Name",
    "Student Email",
    "Grade",
    "Enrollment Status",
    "Withdrawal Date",
]
GRADES = {"KF", *(f"{g:02d}" for g in range(1, 13))}
STAFF_HEADER = ["staff_id", "first_name", "last_name", "email", "personal_email", "title"]
SCHOOL_DOMAIN = "@milton.k12.example.org"
# Staff who share a roster student's full name (legal or preferred first name and surname,
# accents and case aside), with the students they share it with. The check fails if one of
# them stops matching, or if staff.csv gains a namesake that is not listed here.
NAMESAKES = {
    "Ryan Walsh": ("105810",),
    "Owen Parker": ("109347",),
    "Sophia Lopes": ("100852",),
    "Jose Pena": ("101249",),
    "Thais Araujo": ("105093",),
    "Fatima Hassan": ("101902",),
    "Rohan Patel": ("103665",),
    "Finn McCarthy": ("108159",),
    "Joao Goncalves": ("103158",),
}
CATEGORIES = (
    "explicit_line",
    "full_name",
    "preferred_name",
    "last_first",
    "address",
    "name_variant",
    "multiple",
    "sibling",
    "near_miss",
    "same_name",
    "common_word",
    "first_name_only",
    "ambiguous",
    "staff_namesake",
    "none",
)
ALLOWED_DOMAIN = re.compile(r"(?:^|\.)(?:example|example\.org|example\.com|example\.net)$", re.I)


def fold(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def read_roster(problems: list[str]) -> list[dict[str, str]]:
    path = HERE / "roster.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    if rows[0] != HEADER:
        problems.append(f"roster.csv: header is {rows[0]}")
    out = [dict(zip(HEADER, r, strict=True)) for r in rows[1:]]
    ids = Counter(r["Student ID"] for r in out)
    mails = Counter(r["Student Email"].lower() for r in out)
    for r in out:
        sid = r["Student ID"]
        if not re.fullmatch(r"\d{6}", sid):
            problems.append(f"roster: bad id {sid}")
        if ids[sid] > 1:
            problems.append(f"roster: duplicate id {sid}")
        if mails[r["Student Email"].lower()] > 1:
            problems.append(f"roster: duplicate email {r['Student Email']}")
        if not r["Student Email"].endswith("@students.milton.k12.example.org"):
            problems.append(f"roster: {sid} email {r['Student Email']}")
        if r["Grade"] not in GRADES:
            problems.append(f"roster: {sid} grade {r['Grade']}")
        status, wd = r["Enrollment Status"], r["Withdrawal Date"]
        if status not in ("Active", "Inactive"):
            problems.append(f"roster: {sid} status {status}")
        if (status == "Inactive") != bool(wd):
            problems.append(f"roster: {sid} status {status} with withdrawal date {wd!r}")
        if wd and not re.fullmatch(r"(1[0-2]|[1-9])/(3[01]|[12]\d|[1-9])/20\d\d", wd):
            problems.append(f"roster: {sid} withdrawal date {wd}")
    return out


def full_names(student: dict[str, str]) -> set[str]:
    """A student's "First Last" and "Preferred Last", folded."""
    last = student["Last Name"]
    return {fold(f"{f} {last}") for f in (student["First Name"], student["Preferred Name"]) if f}


def read_staff(problems: list[str], roster: list[dict[str, str]]) -> list[dict[str, str]]:
    """staff.csv rows; problems with its layout, ids, addresses and namesakes are appended."""
    raw = (HERE / "staff.csv").read_bytes()
    if re.search(rb"(?<!\r)\n", raw):
        problems.append("staff.csv: line ending other than CRLF")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    if rows[0] != STAFF_HEADER:
        problems.append(f"staff.csv: header is {rows[0]}")
    out = []
    for i, r in enumerate(rows[1:], 2):
        if len(r) != len(STAFF_HEADER):
            problems.append(f"staff.csv: line {i} has {len(r)} fields")
            continue
        out.append(dict(zip(STAFF_HEADER, r, strict=True)))
    ids = Counter(s["staff_id"] for s in out)
    students = {r["Student Email"].lower() for r in roster}
    addresses: Counter[str] = Counter()
    for s in out:
        sid = s["staff_id"]
        if not re.fullmatch(r"E\d{5}", sid):
            problems.append(f"staff: bad id {sid}")
        if ids[sid] > 1:
            problems.append(f"staff: duplicate id {sid}")
        if not (s["first_name"] and s["last_name"] and s["title"]):
            problems.append(f"staff: {sid} lacks a name or title")
        if not s["email"].lower().endswith(SCHOOL_DOMAIN):
            problems.append(f"staff: {sid} school email {s['email']}")
        personal = [a for a in s["personal_email"].split(";") if a] if s["personal_email"] else []
        for a in [s["email"], *personal]:
            addresses[a.lower()] += 1
            if a.lower() in students:
                problems.append(f"staff: {sid} has the student address {a}")
        for a in personal:
            m = re.fullmatch(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)", a)
            if not m or not ALLOWED_DOMAIN.search(m.group(1)):
                problems.append(f"staff: {sid} personal email {a!r}")
            elif a.lower().endswith(SCHOOL_DOMAIN):
                problems.append(f"staff: {sid} personal email {a} is a school address")
    for a, n in addresses.items():
        if n > 1:
            problems.append(f"staff: address {a} listed {n} times")
    found: dict[str, tuple[str, ...]] = {}
    for s in out:
        name = f"{s['first_name']} {s['last_name']}"
        same = tuple(r["Student ID"] for r in roster if fold(name) in full_names(r))
        if same:
            found[name] = same
    for name, same in sorted(found.items()):
        if name not in NAMESAKES:
            problems.append(f"staff: {name} shares a student's name ({', '.join(same)})")
    listed = {f"{s['first_name']} {s['last_name']}" for s in out}
    for name, same in NAMESAKES.items():
        if name not in listed:
            problems.append(f"staff: namesake {name} is not in staff.csv")
        elif found.get(name) != same:
            problems.append(f"staff: namesake {name} matches {found.get(name)}, not {same}")
    return out


def staff_evidence(text: str, staff: list[dict[str, str]]) -> list[str]:
    """Staff whose full name or an address occurs in text."""
    folded, lowered = fold(text), text.lower()
    found = []
    for s in staff:
        forms = []
        personal = [a for a in s["personal_email"].split(";") if a]
        if any(a.lower() in lowered for a in [s["email"], *personal]):
            forms.append("email")
        first, last = fold(s["first_name"]), fold(s["last_name"])
        if re.search(rf"\b{re.escape(first)}\s+{re.escape(last)}\b", folded):
            forms.append(f"'{s['first_name']} {s['last_name']}'")
        if re.search(rf"\b{re.escape(last)},\s*{re.escape(first)}\b", folded):
            forms.append(f"'{s['last_name']}, {s['first_name']}'")
        if forms:
            found.append(
                f"{s['staff_id']} {s['first_name']} {s['last_name']} (staff) [{', '.join(forms)}]"
            )
    return found


def walk(msg: EmailMessage) -> list[EmailMessage]:
    """All parts, descending into message/rfc822 attachments."""
    parts = []
    for part in msg.walk():
        parts.append(part)
        if part.get_content_type() == "message/rfc822":
            for inner in part.iter_parts():
                parts.extend(walk(inner))  # type: ignore[arg-type]
    return parts


def message_text(msg: EmailMessage) -> str:
    """Headers and decoded text parts, for the evidence listing."""
    chunks = []
    for part in walk(msg):
        for k in ("From", "To", "Cc", "Subject"):
            for v in part.get_all(k, []):
                chunks.append(str(v))
        if part.get_content_maintype() == "text":
            text = part.get_content()
            if part.get_content_subtype() == "html":
                text = re.sub(r"<[^>]+>", " ", text)
                text = text.replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">")
                text = text.replace("&amp;", "&").replace("&quot;", '"').replace("&#39;", "'")
            chunks.append(text)
    return "\n".join(chunks)


def check_message(path: Path, problems: list[str]) -> EmailMessage:
    raw = path.read_bytes()
    name = path.name
    if re.search(rb"(?<!\r)\n", raw) or re.search(rb"\r(?!\n)", raw):
        problems.append(f"{name}: line ending other than CRLF")
    for i, line in enumerate(raw.split(b"\r\n"), 1):
        if len(line) > 998:
            problems.append(f"{name}: line {i} is {len(line)} octets")
    head = raw.split(b"\r\n\r\n", 1)[0]
    if not head.isascii():
        problems.append(f"{name}: 8-bit bytes in the header")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    for part in walk(msg):
        for d in part.defects:
            problems.append(f"{name}: defect {type(d).__name__}: {d}")
        for k, v in part.items():
            for d in getattr(v, "defects", ()):
                problems.append(f"{name}: header {k} defect {type(d).__name__}: {d}")
        if part.get_content_maintype() == "text":
            try:
                part.get_content()
            except (LookupError, ValueError, UnicodeError) as exc:
                problems.append(f"{name}: cannot decode a text part: {exc}")
    text = message_text(msg)
    for m in re.finditer(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)", text):
        if not ALLOWED_DOMAIN.search(m.group(1)):
            problems.append(f"{name}: non-example domain {m.group(1)}")
    for m in re.finditer(r"https?://([\w.-]+)", text):
        if not ALLOWED_DOMAIN.search(m.group(1)):
            problems.append(f"{name}: non-example URL host {m.group(1)}")
    return msg


def evidence(text: str, roster: list[dict[str, str]]) -> list[str]:
    """Roster students whose id, address, full name or first name occur in text."""
    folded = fold(text)
    found = []
    for r in roster:
        first, last, pref = r["First Name"], r["Last Name"], r["Preferred Name"]
        forms = []
        if r["Student ID"] in text:
            forms.append("id")
        if r["Student Email"].lower() in text.lower():
            forms.append("email")
        for f in {first, pref} - {""}:
            if re.search(rf"\b{re.escape(fold(f))}\s+{re.escape(fold(last))}\b", folded):
                forms.append(f"'{f} {last}'")
            if re.search(rf"\b{re.escape(fold(last))},\s*{re.escape(fold(f))}\b", folded):
                forms.append(f"'{last}, {f}'")
        if not forms:
            for f in {first, pref} - {""}:
                if re.search(rf"\b{re.escape(f)}\b", text):
                    forms.append(f"first:{f}")
        if forms:
            found.append(f"{r['Student ID']} {first} {last} gr{r['Grade']} [{', '.join(forms)}]")
    return found


def strawman(text: str, roster: list[dict[str, str]]) -> set[str]:
    """Ids whose id, address or full name form occurs in text (see --baseline)."""
    return {
        line.split()[0]
        for line in evidence(text, roster)
        if not line.rstrip("]").split("[", 1)[1].startswith("first:")
    }


def score(
    labels: dict[str, dict[str, object]], predicted: dict[str, set[str]]
) -> tuple[float, float, dict[str, tuple[int, int, int]]]:
    """Micro precision and recall over (message, student) pairs, and per-category tp/fp/fn."""
    tp = fp = fn = 0
    per: dict[str, tuple[int, int, int]] = {}
    for name, label in labels.items():
        gold = set(label["students"])  # type: ignore[call-overload]
        got = predicted.get(name, set())
        a, b, c = len(gold & got), len(got - gold), len(gold - got)
        tp, fp, fn = tp + a, fp + b, fn + c
        cat = str(label["category"])
        x, y, z = per.get(cat, (0, 0, 0))
        per[cat] = (x + a, y + b, z + c)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, per


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--evidence", action="store_true")
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("only", nargs="*", help="message numbers for --evidence")
    args = parser.parse_args()
    problems: list[str] = []
    roster = read_roster(problems)
    staff = read_staff(problems, roster)
    by_id = {r["Student ID"]: r for r in roster}
    labels = json.loads((HERE / "labels.json").read_text(encoding="utf-8"))
    files = sorted((HERE / "messages").glob("*.eml"))
    names = {p.name for p in files}
    if set(labels) != names:
        problems.append(f"labels/messages mismatch: {sorted(set(labels) ^ names)}")
    categories: Counter[str] = Counter()
    tagged: Counter[str] = Counter()
    splits: Counter[tuple[str, str]] = Counter()
    pairs = 0
    predicted: dict[str, set[str]] = {}
    for path in files:
        msg = check_message(path, problems)
        if args.baseline:
            predicted[path.name] = strawman(message_text(msg), roster)
        label = labels.get(path.name)
        if label is None:
            continue
        if label["category"] not in CATEGORIES:
            problems.append(f"{path.name}: unknown category {label['category']}")
        if not label.get("why"):
            problems.append(f"{path.name}: no why")
        if len(set(label["students"])) != len(label["students"]):
            problems.append(f"{path.name}: duplicate student id")
        for sid in label["students"]:
            if sid not in by_id:
                problems.append(f"{path.name}: id {sid} not in roster.csv")
            tagged[sid] += 1
        if label.get("split") not in ("tuning", "heldout"):
            problems.append(f"{path.name}: split {label.get('split')!r} is not tuning or heldout")
        else:
            splits[label["category"], label["split"]] += 1
        if label["category"] == "none" and label["students"]:
            problems.append(f"{path.name}: category none with students")
        categories[label["category"]] += 1
        pairs += len(label["students"])
        if args.evidence and (not args.only or path.stem in args.only):
            print(f"--- {path.name} {label['category']} labels={label['students']}")
            for line in evidence(message_text(msg), roster):
                mark = "*" if line.split()[0] in label["students"] else " "
                print(f"  {mark} {line}")
            missing = [
                s
                for s in label["students"]
                if not any(line.startswith(s) for line in evidence(message_text(msg), roster))
            ]
            for s in missing:
                r = by_id[s]
                print(f"  ! {s} {r['First Name']} {r['Last Name']}: no name form found")
            for line in staff_evidence(message_text(msg), staff):
                print(f"  ~ {line}")
    print(f"messages: {len(files)}")
    print(
        f"roster: {len(roster)} students "
        f"({sum(r['Enrollment Status'] == 'Inactive' for r in roster)} inactive)"
    )
    print(f"staff: {len(staff)}, {len(NAMESAKES)} of them sharing a student's full name:")
    for name, ids in NAMESAKES.items():
        same = [by_id[i] for i in ids if i in by_id]
        students = ", ".join(
            f"{r['Student ID']} {r['First Name']} {r['Last Name']} gr{r['Grade']}" for r in same
        )
        print(f"  {name:16} {students}")
    print(f"labelled (message, student) pairs: {pairs}; distinct students tagged: {len(tagged)}")
    print(f"messages with no student: {sum(1 for v in labels.values() if not v['students'])}")
    print("categories (tuning + held-out):")
    for c in CATEGORIES:
        tuning, heldout = splits[c, "tuning"], splits[c, "heldout"]
        print(f"  {c:16} {categories[c]:3} = {tuning:3} + {heldout:2}")
        if not tuning or not heldout:
            problems.append(f"category {c}: {tuning} tuning and {heldout} held-out messages")
    if args.baseline:
        precision, recall, per = score(labels, predicted)
        print(f"strawman exact-match tagger: precision {precision:.3f}, recall {recall:.3f}")
        for cat in CATEGORIES:
            n_tp, n_fp, n_fn = per.get(cat, (0, 0, 0))
            print(f"  {cat:16} tp {n_tp:3}  fp {n_fp:3}  fn {n_fn:3}")
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print("ok: all messages parse without defects; all labelled ids are in roster.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
