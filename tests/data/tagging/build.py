#!/usr/bin/env python3
"""Render the student-tagging test set (messages/NNN.eml, labels.json, staff.csv) from source.txt.

Usage::

    python tests/data/tagging/build.py           # rewrite messages/, labels.json and staff.csv
    python tests/data/tagging/build.py --check   # exit 1 if the files on disk differ

The messages, notes and labels were written by hand in ``source.txt``; this script only turns
them into MIME the way each mail client lays out a forward (Gmail, Outlook desktop and web,
Apple Mail on iPhone and Mac, Thunderbird, Yahoo, forward as attachment, Gmail auto-forward,
replies copied to the archive, and notes written straight to the archive). It uses the standard
library only and no randomness: every token (Message-ID, boundary, seconds) is derived from the
message number with SHA-256, so the output is the same bytes on every run.

Each label also says which part of the set the message is in, ``"split": "tuning"`` or
``"heldout"`` (see ``split_of``): about a third of each category is held out, chosen by a keyed
hash of the file name, so the split depends only on the names and the hand-written categories,
never on what any tagger makes of the messages.

``staff.csv`` is the district's staff directory (HR export) the tagger may be given besides
the roster: every ``@teacher`` and ``@staff`` line of ``source.txt``, with an employee id
derived from the line's key (``staff_id``), so adding a line never renumbers the others.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import csv
import hashlib
import html
import io
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.header import Header
from email.utils import formataddr, parseaddr
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source.txt"
MESSAGES = HERE / "messages"
LABELS = HERE / "labels.json"
STAFF = HERE / "staff.csv"
STAFF_HEADER = ("staff_id", "first_name", "last_name", "email", "personal_email", "title")

DOMAIN = "milton.k12.example.org"
ARCHIVE = f"records-archive@{DOMAIN}"
MX = f"mx1.{DOMAIN}"

CLIENTS = (
    "gmail",  # Gmail web, multipart/alternative, "---------- Forwarded message ---------"
    "outlook",  # Outlook desktop (classic), multipart/alternative, From/Sent/To/Subject block
    "outlook_web",  # Outlook on the web / new Outlook, 32 underscores, div#divRplyFwdMsg
    "outlook_html",  # Outlook desktop, text/html only
    "outlook_plain",  # Outlook desktop in plain-text mode, "-----Original Message-----"
    "apple_ios",  # iPhone Mail, text/plain, "Begin forwarded message:", quoted with "> "
    "apple_ios_noquote",  # iPhone Mail, text/plain, block not quoted
    "apple_mac",  # Apple Mail on a Mac, multipart/alternative, blockquote type=cite
    "thunderbird",  # Thunderbird, text/plain format=flowed, "-------- Forwarded Message --------"
    "yahoo",  # Yahoo Mail web, multipart/alternative, "----- Forwarded Message -----"
    "yahoo_plain",  # Yahoo Mail, text/plain 8bit
    "attached_gmail",  # forward as attachment (message/rfc822) from Gmail
    "attached_outlook",  # forward as attachment from Outlook desktop
    "attached_thunderbird",  # forward as attachment from Thunderbird
    "autofwd_gmail",  # Gmail forwarding rule: the original itself, X-Forwarded-To headers
    "reply_gmail",  # the teacher's reply to the parent with the archive in Cc, quoting
    "reply_apple",  # same from an iPhone
    "direct_outlook",  # a note written to the archive from the school Microsoft 365 account
    "direct_gmail",  # a note written to the archive from a personal Gmail account
    "direct_cc",  # a teacher's own message to students or parents with the archive in Cc
)

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

EDT = timezone(timedelta(hours=-4), "EDT")
EST = timezone(timedelta(hours=-5), "EST")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
DAYS_ES = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
MONTHS_ES = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic")
DAYS_PT = ("seg.", "ter.", "qua.", "qui.", "sex.", "sáb.", "dom.")
MONTHS_PT = (
    "jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.", "dez.",
)  # fmt: skip
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
LOWER_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789"


# ------------------------------------------------------------------------------------------
# Source file
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Teacher:
    """One staff member: an ``@teacher`` line (forwards messages in the set) or ``@staff`` line.

    ``personal`` is the first personal address ("" when the directory lists none), the one the
    person forwards from; ``more_personal`` holds any others the directory lists.
    """

    key: str
    name: str
    addressed: str
    personal: str
    school: str
    signature: str
    more_personal: tuple[str, ...] = ()


@dataclass
class Original:
    sender: tuple[str, str]
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    date: datetime
    subject: str
    body: str


@dataclass
class Message:
    number: str
    fields: dict[str, str] = field(default_factory=dict)
    attach: list[str] = field(default_factory=list)
    note: str = ""
    body: str = ""
    original_text: str | None = None
    original: Original | None = None


def parse_people(value: str, teacher: Teacher) -> list[tuple[str, str]]:
    """Parse "Name <addr>, Name <addr>" (names may contain commas only inside quotes)."""
    people = []
    for raw in re.findall(r'(?:"[^"]*"|[^,])+', value):
        chunk = raw.strip()
        if not chunk:
            continue
        if chunk == "@teacher":
            if not teacher.personal:
                raise ValueError(f"{teacher.key} has no personal address for @teacher")
            people.append((teacher.name, teacher.personal))
            continue
        if chunk == "@school":
            people.append((teacher.name, teacher.school))
            continue
        if chunk == "@archive":
            people.append(("", ARCHIVE))
            continue
        name, addr = parseaddr(chunk)
        if "@" not in addr:
            raise ValueError(f"bad address {chunk!r}")
        people.append((name.strip('"'), addr))
    return people


def local_time(text: str) -> datetime:
    """'2025-10-13 21:47' or '2025-10-13 21:47:05' in US Eastern time."""
    # Read the wall-clock time as if it were UTC, so the DST boundaries (also wall-clock
    # times) compare like with like; the real offset is attached afterwards.
    with_seconds = text.count(":") == 2
    wall = (
        datetime.strptime(text + "+0000", "%Y-%m-%d %H:%M:%S%z")
        if with_seconds
        else datetime.strptime(text + "+0000", "%Y-%m-%d %H:%M%z")
    )
    # DST 2025: until 2 Nov 02:00; 2026: from 8 Mar 02:00.
    dst = datetime(2025, 3, 9, 2, tzinfo=UTC) <= wall < datetime(2025, 11, 2, 2, tzinfo=UTC) or (
        datetime(2026, 3, 8, 2, tzinfo=UTC) <= wall < datetime(2026, 11, 1, 2, tzinfo=UTC)
    )
    return wall.replace(tzinfo=EDT if dst else EST)


def read_source(path: Path) -> tuple[dict[str, Teacher], list[Message]]:
    teachers: dict[str, Teacher] = {}
    messages: list[Message] = []
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    current: Message | None = None
    section: str | None = None
    buf: list[str] = []

    def flush() -> None:
        nonlocal buf
        if current is None or section is None:
            buf = []
            return
        text = "\n".join(buf).strip("\n")
        if section == "note":
            current.note = text
        elif section == "body":
            current.body = text
        elif section == "original":
            current.original_text = text
        buf = []

    while i < len(lines):
        line = lines[i]
        i += 1
        m = re.fullmatch(r"=== (\d{3})", line)
        if m:
            flush()
            current = Message(m.group(1))
            messages.append(current)
            section = None
            continue
        if current is None:
            if line.startswith("@teacher "):
                parts = [p.strip() for p in line[len("@teacher ") :].split("|")]
                key, name, addressed, personal, school, signature = parts
                if key in teachers:
                    raise ValueError(f"duplicate staff key {key}")
                teachers[key] = Teacher(key, name, addressed, personal, school, signature)
            elif line.startswith("@staff "):
                parts = [p.strip() for p in line[len("@staff ") :].split("|")]
                key, name, addressed, personals, school, signature = parts
                if key in teachers:
                    raise ValueError(f"duplicate staff key {key}")
                found = [a.strip() for a in personals.split(";") if a.strip()]
                first = found[0] if found else ""
                teachers[key] = Teacher(
                    key, name, addressed, first, school, signature, tuple(found[1:])
                )
            continue
        m = re.fullmatch(r"--- (note|body|original)", line)
        if m:
            flush()
            section = m.group(1)
            continue
        if section is None:
            if not line.strip() or line.startswith("%"):
                continue
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "attach":
                current.attach.append(value)
            else:
                if key in current.fields:
                    raise ValueError(f"{current.number}: duplicate field {key}")
                current.fields[key] = value
            continue
        buf.append(line)
    flush()

    for msg in messages:
        teacher = teachers[msg.fields["teacher"]]
        if msg.original_text is not None:
            head, _, body = msg.original_text.partition("\n\n")
            hdr: dict[str, str] = {}
            for h in head.split("\n"):
                k, _, v = h.partition(":")
                hdr[k.strip().lower()] = v.strip()
            msg.original = Original(
                sender=parse_people(hdr["from"], teacher)[0],
                to=parse_people(hdr.get("to", "@teacher"), teacher),
                cc=parse_people(hdr["cc"], teacher) if hdr.get("cc") else [],
                date=local_time(hdr["date"]),
                subject=hdr["subject"],
                body=body.strip("\n"),
            )
    return teachers, messages


# ------------------------------------------------------------------------------------------
# Deterministic tokens
# ------------------------------------------------------------------------------------------


class Tokens:
    """Pseudo-random but reproducible tokens for one message."""

    def __init__(self, number: str) -> None:
        self.seed = f"tagging-{number}"
        self.n = 0

    def raw(self) -> bytes:
        self.n += 1
        return hashlib.sha256(f"{self.seed}/{self.n}".encode()).digest()

    def num(self, lo: int, hi: int) -> int:
        return lo + int.from_bytes(self.raw()[:8], "big") % (hi - lo + 1)

    def text(self, n: int, alphabet: str = "0123456789abcdef") -> str:
        out = ""
        while len(out) < n:
            for b in self.raw():
                out += alphabet[b % len(alphabet)]
        return out[:n]


def doc_ip(tok: Tokens) -> str:
    net = ("192.0.2", "198.51.100", "203.0.113")[tok.num(0, 2)]
    return f"{net}.{tok.num(2, 254)}"


# ------------------------------------------------------------------------------------------
# Dates
# ------------------------------------------------------------------------------------------


def clock(dt: datetime, seconds: bool = False, sep: str = " ") -> str:
    hour = dt.hour % 12 or 12
    sec = f":{dt.second:02d}" if seconds else ""
    return f"{hour}:{dt.minute:02d}{sec}{sep}{'AM' if dt.hour < 12 else 'PM'}"


def rfc5322(dt: datetime) -> str:
    off = int((dt.utcoffset() or timedelta(0)).total_seconds()) // 60
    sign = "-" if off < 0 else "+"
    off = abs(off)
    return (
        f"{DAYS[dt.weekday()][:3]}, {dt.day} {MONTHS[dt.month - 1][:3]} {dt.year} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} {sign}{off // 60:02d}{off % 60:02d}"
    )


def gmail_date(dt: datetime, lang: str) -> str:
    if lang == "es":
        return (
            f"{DAYS_ES[dt.weekday()]}, {dt.day} {MONTHS_ES[dt.month - 1]} {dt.year} a las "
            f"{dt.hour}:{dt.minute:02d}"
        )
    if lang == "pt":
        return (
            f"{DAYS_PT[dt.weekday()]}, {dt.day} de {MONTHS_PT[dt.month - 1]} de {dt.year} às "
            f"{dt.hour:02d}:{dt.minute:02d}"
        )
    return (
        f"{DAYS[dt.weekday()][:3]}, {MONTHS[dt.month - 1][:3]} {dt.day}, {dt.year} at {clock(dt)}"
    )


def outlook_date(dt: datetime) -> str:
    return f"{DAYS[dt.weekday()]}, {MONTHS[dt.month - 1]} {dt.day}, {dt.year} {clock(dt)}"


def apple_date(dt: datetime, narrow: bool) -> str:
    sep = "\u202f" if narrow else " "
    return f"{MONTHS[dt.month - 1]} {dt.day}, {dt.year} at {clock(dt, True, sep)} {dt.tzname()}"


def yahoo_date(dt: datetime) -> str:
    hour = dt.hour % 12 or 12
    return (
        f"{DAYS[dt.weekday()]}, {MONTHS[dt.month - 1]} {dt.day}, {dt.year}, "
        f"{hour:02d}:{dt.minute:02d}:{dt.second:02d} {'AM' if dt.hour < 12 else 'PM'} "
        f"{dt.tzname()}"
    )


# ------------------------------------------------------------------------------------------
# MIME building blocks (str with CRLF line endings, converted to bytes at the end)
# ------------------------------------------------------------------------------------------


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def header(name: str, value: str) -> str:
    """One unstructured header field, RFC 2047-encoded when not ASCII, folded, with CRLF."""
    if value.isascii() and len(name) + len(value) + 2 <= 78:
        return f"{name}: {value}\r\n"
    charset = "us-ascii" if value.isascii() else "utf-8"
    encoded = Header(value, charset, header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n"


def addr(name: str, address: str) -> str:
    if not name:
        return address
    if name.isascii():
        return formataddr((name, address))
    return formataddr((name, address), charset="utf-8")


def address_header(name: str, people: list[tuple[str, str]], quote_plain: bool = False) -> str:
    items = []
    for n, a in people:
        if quote_plain and n and n.isascii():
            items.append(f'"{n}" <{a}>')
        else:
            items.append(addr(n, a))
    line = f"{name}: " + ", ".join(items)
    if len(line) <= 78:
        return line + "\r\n"
    return f"{name}: " + ",\r\n ".join(items) + "\r\n"


def qp(text: str) -> str:
    data = crlf(text).encode("utf-8")
    return binascii.b2a_qp(data, istext=True).decode("ascii")


def b64(data: bytes) -> str:
    enc = base64.b64encode(data).decode("ascii")
    return "".join(enc[i : i + 76] + "\r\n" for i in range(0, len(enc), 76))


def text_part(
    text: str, subtype: str, cte: str, ctype_style: str = "plain", extra: str = ""
) -> str:
    """A text/* part: headers, blank line, encoded body ending in CRLF.

    cte is 7bit, 8bit, quoted-printable, base64, or auto (7bit when ASCII with short lines,
    else quoted-printable). ctype_style picks how the client spells Content-Type.
    """
    if not text.endswith("\n"):
        text += "\n"
    ascii_only = text.isascii()
    if cte == "auto":
        short = all(len(x) <= 76 for x in text.split("\n"))
        cte = "7bit" if ascii_only and short else "quoted-printable"
    if cte in ("7bit",) and not ascii_only:
        cte = "8bit"
    charset = "utf-8"
    if ctype_style == "gmail":
        ctype = f'text/{subtype}; charset="UTF-8"'
    elif ctype_style == "outlook":
        ctype = f'text/{subtype}; charset="{"us-ascii" if ascii_only else "utf-8"}"'
    elif ctype_style == "apple":
        ctype = f"text/{subtype};\r\n\tcharset=utf-8"
    elif ctype_style == "flowed":
        ctype = f"text/{subtype}; charset=UTF-8; format=flowed"
    elif ctype_style == "yahoo":
        ctype = f"text/{subtype}; charset=UTF-8"
    else:
        ctype = f"text/{subtype}; charset={charset}"
    if cte == "quoted-printable":
        body = qp(text)
    elif cte == "base64":
        body = b64(crlf(text).encode("utf-8"))
    else:
        body = crlf(text)
    if not body.endswith("\r\n"):
        body += "\r\n"
    hdrs = f"Content-Type: {ctype}{extra}\r\n"
    if not (ctype_style == "gmail" and cte == "7bit"):
        hdrs += f"Content-Transfer-Encoding: {cte}\r\n"
    return hdrs + "\r\n" + body


def multipart(subtype: str, boundary: str, parts: list[str], preamble: str = "") -> str:
    out = f'Content-Type: multipart/{subtype};\r\n\tboundary="{boundary}"\r\n\r\n'
    if preamble:
        out += preamble + "\r\n\r\n"
    for p in parts:
        out += f"--{boundary}\r\n" + p
        if not p.endswith("\r\n"):
            out += "\r\n"
        out += "\r\n"
    return out + f"--{boundary}--\r\n"


def boundary(tok: Tokens, style: str) -> str:
    if style == "gmail":
        return "000000000000" + tok.text(16)
    if style == "outlook":
        return f"_000_{tok.text(28, B64[:26] + B64[52:])}_"
    if style == "apple":
        u = tok.text(32, "0123456789ABCDEF")
        return f"Apple-Mail-{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}"
    if style == "yahoo":
        return (
            f"----=_Part_{tok.num(10**5, 10**6)}_{tok.num(10**8, 10**9)}.{tok.num(10**12, 10**13)}"
        )
    return f"------------{tok.text(24, B64)}"


# Tiny valid attachments that carry no names: a 1x1 grey JPEG and a one-page blank PDF.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c"
    "1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc000"
    "0b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400"
    "b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c1"
    "1552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63"
    "6465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6"
    "b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008"
    "010100003f00fbd3ffd9"
)
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    b"0000000115 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n"
)


def attachment_part(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()
    ctype, data = {
        "jpg": ("image/jpeg", JPEG),
        "jpeg": ("image/jpeg", JPEG),
        "pdf": ("application/pdf", PDF),
    }[ext]
    if filename.isascii():
        name_param, file_param = f'name="{filename}"', f'filename="{filename}"'
    else:
        q = "".join(
            chr(b) if (chr(b).isalnum() and b < 128) or chr(b) in "-._" else f"%{b:02X}"
            for b in filename.encode("utf-8")
        )
        name_param, file_param = f"name*=UTF-8''{q}", f"filename*=UTF-8''{q}"
    return (
        f"Content-Type: {ctype};\r\n\t{name_param}\r\n"
        f"Content-Disposition: attachment;\r\n\t{file_param}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + b64(data)
    )


# ------------------------------------------------------------------------------------------
# Text and HTML layout of forwards
# ------------------------------------------------------------------------------------------


def person(name: str, address: str, angle_only: bool = True) -> str:
    if name:
        return f"{name} <{address}>"
    return f"<{address}>" if angle_only else address


def people(items: list[tuple[str, str]], sep: str, angle_only: bool = True) -> str:
    return sep.join(person(n, a, angle_only) for n, a in items)


def html_paras(text: str) -> str:
    blocks = text.strip("\n").split("\n\n")
    return "\n".join(
        "<div>"
        + "<br>\n".join(html.escape(x, quote=False) for x in b.split("\n"))
        + "</div>"
        + "\n<div><br></div>"
        for b in blocks
    )


def html_person(name: str, address: str) -> str:
    link = f'&lt;<a href="mailto:{address}">{address}</a>&gt;'
    return f"{html.escape(name, quote=False)} {link}" if name else link


GMAIL_LABELS = {
    "en": ("From", "Date", "Subject", "To", "Cc"),
    "es": ("De", "Fecha", "Asunto", "Para", "Cc"),
    "pt": ("De", "Date", "Subject", "To", "Cc"),
}


def gmail_block(o: Original, lang: str) -> str:
    f, d, s, t, c = GMAIL_LABELS[lang]
    lines = [
        "---------- Forwarded message ---------",
        f"{f}: {person(*o.sender)}",
        f"{d}: {gmail_date(o.date, lang)}",
        f"{s}: {o.subject}",
        f"{t}: {people(o.to, ', ')}",
    ]
    if o.cc:
        lines.append(f"{c}: {people(o.cc, ', ')}")
    return "\n".join(lines) + "\n\n\n" + o.body + "\n"


def gmail_html(note: str, o: Original, lang: str) -> str:
    f, d, s, t, c = GMAIL_LABELS[lang]
    name, address = o.sender
    sender = (
        f'<strong class="gmail_sendername" dir="auto">{html.escape(name, quote=False)}</strong> '
        f'<span dir="auto">&lt;<a href="mailto:{address}">{address}</a>&gt;</span>'
        if name
        else f'<span dir="auto">&lt;<a href="mailto:{address}">{address}</a>&gt;</span>'
    )
    attr = [
        "---------- Forwarded message ---------<br>",
        f"{f}: {sender}<br>",
        f"{d}: {html.escape(gmail_date(o.date, lang), quote=False)}<br>",
        f"{s}: {html.escape(o.subject, quote=False)}<br>",
        f"{t}: " + ", ".join(html_person(n, a) for n, a in o.to) + "<br>",
    ]
    if o.cc:
        attr.append(f"{c}: " + ", ".join(html_person(n, a) for n, a in o.cc) + "<br>")
    return (
        f'<div dir="ltr">{html_paras(note) if note else ""}<br>\n'
        '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
        + "\n".join(attr)
        + f'</div><br><br>\n<div dir="ltr">\n{html_paras(o.body)}\n</div>\n</div></div>\n'
    )


def outlook_block(o: Original, web: bool) -> str:
    lines = ["________________________________"] if web else []
    lines += [
        f"From: {person(*o.sender)}",
        f"Sent: {outlook_date(o.date)}",
        f"To: {people(o.to, '; ')}",
    ]
    if o.cc:
        lines.append(f"Cc: {people(o.cc, '; ')}")
    lines.append(f"Subject: {o.subject}")
    return "\n".join(lines) + "\n\n" + o.body + "\n"


OUTLOOK_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" \
xmlns:o="urn:schemas-microsoft-com:office:office" \
xmlns:w="urn:schemas-microsoft-com:office:word" \
xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" \
xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<style><!--
p.MsoNormal, li.MsoNormal, div.MsoNormal
\t{margin:0in;
\tfont-size:12.0pt;
\tfont-family:"Aptos",sans-serif;}
span.EmailStyle18
\t{mso-style-type:personal-reply;
\tfont-family:"Aptos",sans-serif;
\tcolor:windowtext;}
@page WordSection1
\t{size:8.5in 11.0in;
\tmargin:1.0in 1.0in 1.0in 1.0in;}
div.WordSection1
\t{page:WordSection1;}
--></style>
</head>
<body lang="EN-US" link="#467886" vlink="#96607D" style="word-wrap:break-word">
<div class="WordSection1">
"""


def outlook_p(text: str) -> str:
    out = ""
    for block in text.strip("\n").split("\n\n"):
        inner = "<br>\n".join(html.escape(x, quote=False) for x in block.split("\n"))
        out += f'<p class="MsoNormal">{inner}<o:p></o:p></p>\n'
        out += '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n'
    return out


def outlook_html(note: str, o: Original | None, web: bool) -> str:
    if web:
        font = (
            "font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, "
            "sans-serif; font-size: 12pt; color: rgb(0, 0, 0);"
        )
        note_html = "".join(
            f'<div class="elementToProof" style="{font}">\n'
            + ("<br>" if not x else html.escape(x, quote=False))
            + "</div>\n"
            for x in note.split("\n")
        )
        out = (
            '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} '
            '</style>\n</head>\n<body dir="ltr">\n' + note_html
        )
        if o is None:
            return out + "</body>\n</html>\n"
        frm = html.escape(person(*o.sender), quote=False)
        to = html.escape(people(o.to, "; "), quote=False)
        cc = f"<br>\n<b>Cc:</b> {html.escape(people(o.cc, '; '), quote=False)}" if o.cc else ""
        return (
            out + '<div id="appendonsend"></div>\n<hr style="display:inline-block;width:98%" '
            'tabindex="-1">\n<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" '
            f'style="font-size:11pt" color="#000000"><b>From:</b> {frm}<br>\n'
            f"<b>Sent:</b> {outlook_date(o.date)}<br>\n<b>To:</b> {to}{cc}<br>\n"
            f"<b>Subject:</b> {html.escape(o.subject, quote=False)}</font>\n<div>&nbsp;</div>\n"
            '</div>\n<div>\n<div dir="ltr">\n'
            + "\n".join(
                '<div dir="ltr">'
                + "<br>".join(html.escape(x, quote=False) for x in b.split("\n"))
                + '</div>\n<div dir="ltr"><br>\n</div>'
                for b in o.body.strip("\n").split("\n\n")
            )
            + "\n</div>\n</div>\n</body>\n</html>\n"
        )
    out = OUTLOOK_HEAD + (outlook_p(note) if note else "")
    if o is not None:
        frm = html.escape(person(*o.sender), quote=False)
        to = html.escape(people(o.to, "; "), quote=False)
        cc = f"<br>\n<b>Cc:</b> {html.escape(people(o.cc, '; '), quote=False)}" if o.cc else ""
        out += (
            '<div>\n<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in '
            '0in 0in">\n<p class="MsoNormal"><b><span style="font-size:11.0pt;'
            'font-family:&quot;Calibri&quot;,sans-serif">From:</span></b><span '
            'style="font-size:11.0pt;font-family:&quot;Calibri&quot;,sans-serif"> '
            f"{frm}<br>\n<b>Sent:</b> {outlook_date(o.date)}<br>\n"
            f"<b>To:</b> {to}{cc}<br>\n<b>Subject:</b> {html.escape(o.subject, quote=False)}"
            "<o:p></o:p></span></p>\n</div>\n</div>\n"
            '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n' + outlook_p(o.body)
        )
    return out + "</div>\n</body>\n</html>\n"


def apple_block(o: Original, ios: bool, quote: bool) -> str:
    frm = f"From: {person(*o.sender)}"
    date = f"Date: {apple_date(o.date, narrow=ios)}"
    to = f"To: {people(o.to, ', ')}"
    subj = f"Subject: {o.subject}"
    fields = [frm, date, to, subj] if ios else [frm, subj, date, to]
    if o.cc:
        fields.append(f"Cc: {people(o.cc, ', ')}")
    block = "\n".join(fields) + "\n\n" + o.body
    if quote:
        block = "\n".join("> " + x if x else ">" for x in block.split("\n"))
    return "Begin forwarded message:\n\n" + block + "\n"


def apple_html(note: str, o: Original) -> str:
    rows = [
        ("From", html_person(*o.sender)),
        ("Subject", f"<b>{html.escape(o.subject, quote=False)}</b>"),
        ("Date", html.escape(apple_date(o.date, False), quote=False)),
        ("To", ", ".join(html_person(n, a) for n, a in o.to)),
    ]
    if o.cc:
        rows.append(("Cc", ", ".join(html_person(n, a) for n, a in o.cc)))
    head = "".join(
        '<div style="margin: 0px;"><span style="font-family: -apple-system, Helvetica Neue;">'
        f'<b>{k}: </b></span><span style="font-family: -apple-system, Helvetica Neue;">{v}<br>'
        "</span></div>\n"
        for k, v in rows
    )
    note_html = "<br>".join(html.escape(x, quote=False) for x in note.split("\n")) if note else ""
    return (
        '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
        '<body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: '
        'after-white-space;">\n'
        f'{note_html}<br>\n<div><br><blockquote type="cite"><div>Begin forwarded message:</div>'
        '<br class="Apple-interchange-newline">\n'
        + head
        + f'<br><div><div dir="ltr">\n{html_paras(o.body)}\n</div></div></blockquote></div>'
        "<br></body></html>\n"
    )


def thunderbird_block(o: Original) -> str:
    lines = [
        "-------- Forwarded Message --------",
        f"Subject: \t{o.subject}",
        f"Date: \t{rfc5322(o.date)}",
        f"From: \t{person(*o.sender, angle_only=False)}",
        f"To: \t{people(o.to, ', ', angle_only=False)}",
    ]
    if o.cc:
        lines.append(f"CC: \t{people(o.cc, ', ', angle_only=False)}")
    return "\n".join(lines) + "\n\n\n\n" + o.body + "\n"


def yahoo_block(o: Original) -> str:
    lines = [
        "----- Forwarded Message -----",
        f"From: {person(*o.sender, angle_only=False)}",
        f"To: {people(o.to, ', ')}",
    ]
    if o.cc:
        lines.append(f"Cc: {people(o.cc, ', ')}")
    lines += [f"Sent: {yahoo_date(o.date)}", f"Subject: {o.subject}"]
    return "\n".join(lines) + "\n\n" + o.body + "\n"


def yahoo_html(note: str, o: Original, yid: str) -> str:
    rows = [
        f"<b>From:</b> {html.escape(person(*o.sender), quote=False)}",
        f"<b>To:</b> {html.escape(people(o.to, ', '), quote=False)}",
    ]
    if o.cc:
        rows.append(f"<b>Cc:</b> {html.escape(people(o.cc, ', '), quote=False)}")
    rows += [
        f"<b>Sent:</b> {html.escape(yahoo_date(o.date), quote=False)}",
        f"<b>Subject:</b> {html.escape(o.subject, quote=False)}",
    ]
    return (
        '<html><head></head><body><div class="ydp-fwd-wrap" style="font-family:Helvetica Neue, '
        'Helvetica, Arial, sans-serif;font-size:16px;"><div dir="ltr" data-setdir="false">'
        + html_paras(note)
        + '</div><div><br></div><div><br></div><div id="yahoo_quoted_fwd" class="yahoo_quoted">'
        '<div style="font-family:Helvetica Neue, Helvetica, Arial, sans-serif;font-size:13px;'
        'color:#26282a;"><div>----- Forwarded Message -----</div>'
        + "".join(f"<div>{r}</div>" for r in rows)
        + "<div><br></div><div><br></div>"
        + f'<div id="yiv{yid}">'
        + html_paras(o.body)
        + "</div></div></div></div></body></html>\n"
    )


def flowed(text: str, width: int = 72) -> str:
    """Encode text as format=flowed (RFC 3676): soft breaks end in a space, space-stuffing."""
    out = []
    for given in text.split("\n"):
        if given == "-- ":
            out.append(given)
            continue
        line = given.rstrip(" ")
        pieces = []
        while len(line) > 78:
            cut = line.rfind(" ", 0, width)
            if cut <= 0:
                break
            pieces.append(line[: cut + 1])
            line = line[cut + 1 :]
        pieces.append(line)
        # Space-stuffing: a line that could be read as quoted or as a flowed space gets one.
        out.extend(" " + p if p.startswith((" ", ">", "From ")) else p for p in pieces)
    return "\n".join(out)


# ------------------------------------------------------------------------------------------
# Envelope headers
# ------------------------------------------------------------------------------------------


def received(tok: Tokens, style: str, sender_addr: str, rcpt: str, when: datetime, mx: str) -> str:
    t2 = when + timedelta(seconds=tok.num(2, 6))
    t1 = when + timedelta(seconds=tok.num(0, 1))
    local = t2.astimezone(when.tzinfo)
    domain = sender_addr.rsplit("@", 1)[1]
    ip = doc_ip(tok)
    if style == "gmail":
        host = f"mail-sor-f{tok.num(10, 99)}.google.example"
        pacific = timezone(timedelta(hours=-8 if local.utcoffset() == timedelta(hours=-5) else -7))
        inner = (
            f"Received: by {host} with SMTP id {tok.text(8)}-{tok.text(11, LOWER_DIGITS)}"
            f"so{tok.num(100000, 9999999)}cf.{tok.num(0, 9)}\r\n"
            f"        for <{rcpt}>; {rfc5322(t1.astimezone(pacific))}"
            f" ({'PST' if local.utcoffset() == timedelta(hours=-5) else 'PDT'})\r\n"
        )
    elif style == "outlook":
        host = f"NAM{tok.num(2, 12):02d}-BN{tok.num(1, 9)}-obe.outbound.protection.outlook.example"
        box = f"SJ0PR{tok.num(10, 19)}MB{tok.num(1000, 9999)}"
        inner = (
            f"Received: from {box}.namprd{tok.num(10, 19)}.prod.outlook.example "
            f"(2603:10b6:a03:{tok.text(3)}::{tok.num(1, 9)})\r\n"
            f"        by {box}.namprd{tok.num(10, 19)}.prod.outlook.example with HTTPS; "
            f"{rfc5322(t1.astimezone(UTC))}\r\n"
        )
    elif style == "yahoo":
        host = f"sonic{tok.num(300, 330)}-{tok.num(10, 40)}.consmr.mail.bf2.yahoo.example"
        inner = (
            f"Received: from sonic.gate.mail.ne1.yahoo.example by {host} with HTTP;\r\n"
            f"        {rfc5322(t1.astimezone(UTC))}\r\n"
        )
    elif style == "apple":
        host = f"st43p00im-ztdg{tok.num(10000000, 99999999)}.me.example"
        inner = (
            f"Received: from smtpclient.apple (unknown [{doc_ip(tok)}])\r\n"
            f"        by {host} (Postfix) with ESMTPSA id {tok.text(11, '0123456789ABCDEF')}\r\n"
            f"        for <{rcpt}>; {rfc5322(t1.astimezone(UTC))}\r\n"
        )
    elif style == "m365":
        host = f"NAM{tok.num(2, 12):02d}-BN{tok.num(1, 9)}-obe.outbound.protection.outlook.example"
        box = f"BL1PR{tok.num(10, 19)}MB{tok.num(1000, 9999)}"
        inner = (
            f"Received: from {box}.namprd{tok.num(10, 19)}.prod.outlook.example "
            f"([fe80::{tok.text(4)}:{tok.text(4)}:{tok.text(4)}:{tok.text(4)}])\r\n"
            f"        by {box}.namprd{tok.num(10, 19)}.prod.outlook.example with mapi id "
            f"15.20.{tok.num(8000, 9700)}.{tok.num(10, 30):03d};\r\n"
            f"        {rfc5322(t1.astimezone(UTC))}\r\n"
        )
    else:
        host = f"mail-out.{domain}"
        inner = (
            f"Received: from [{doc_ip(tok)}] ([{doc_ip(tok)}])\r\n"
            f"        by {host} with ESMTPSA id {tok.text(22, B64)};\r\n"
            f"        {rfc5322(t1.astimezone(UTC))}\r\n"
        )
    tz = "EDT" if local.utcoffset() == timedelta(hours=-4) else "EST"
    outer = (
        f"Received: from {host} ({host} [{ip}])\r\n"
        f"        by {mx}{' (Postfix)' if mx == MX else ''} with ESMTPS id "
        f"{tok.text(13, B64[:26] + B64[52:])}\r\n"
        f"        for <{rcpt}>; {rfc5322(local)} ({tz})\r\n"
    )
    return outer + inner


def auth_results(tok: Tokens, mx: str, sender_addr: str) -> str:
    domain = sender_addr.rsplit("@", 1)[1]
    sel = {"gmail.example": "20230601", "yahoo.example": "s2048"}.get(domain, "selector1")
    return (
        f"Authentication-Results: {mx};\r\n"
        f"        dkim=pass header.d={domain} header.s={sel} header.b={tok.text(8, B64)};\r\n"
        f"        spf=pass smtp.mailfrom={sender_addr};\r\n"
        f"        dmarc=pass (p=NONE) header.from={domain}\r\n"
    )


def message_id(tok: Tokens, style: str, sender_addr: str) -> str:
    domain = sender_addr.rsplit("@", 1)[1]
    if style == "gmail":
        return f"<CA{tok.text(44, B64 + '+-_')}@mail.gmail.example>"
    if style in ("outlook", "m365"):
        box = f"SJ0PR{tok.num(10, 19)}MB{tok.num(1000, 9999)}"
        return f"<{box}{tok.text(24, '0123456789ABCDEF')}@{box}.namprd19.prod.outlook.example>"
    if style == "apple":
        u = tok.text(32, "0123456789ABCDEF")
        return f"<{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}@{domain}>"
    if style == "yahoo":
        a, b, c = tok.num(10**9, 2 * 10**9), tok.num(10**6, 10**7), tok.num(10**12, 2 * 10**12)
        return f"<{a}.{b}.{c}@mail.yahoo.example>"
    u = tok.text(32)
    return f"<{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}@{domain}>"


def style_of(address: str) -> str:
    domain = address.rsplit("@", 1)[1]
    return {
        "gmail.example": "gmail",
        "yahoo.example": "yahoo",
        "outlook.example": "outlook",
        "hotmail.example": "outlook",
        "icloud.example": "apple",
        "me.example": "apple",
        DOMAIN: "m365",
        f"students.{DOMAIN}": "gmail",
    }.get(domain, "other")


def client_headers(tok: Tokens, style: str, subject: str) -> str:
    if style in ("outlook", "m365"):
        topic = re.sub(r"^(?:(?:re|fwd?|rv|enc):\s*)+", "", subject, flags=re.I)
        return (
            header("Thread-Topic", topic)
            + f"Thread-Index: {tok.text(30, B64)}==\r\n"
            + "Accept-Language: en-US\r\nContent-Language: en-US\r\n"
            + "X-MS-Has-Attach:\r\nX-MS-TNEF-Correlator:\r\n"
        )
    if style == "yahoo":
        return "X-Mailer: WebService/1.1.24562 YMailNorrin\r\n"
    return ""


# ------------------------------------------------------------------------------------------
# Whole messages
# ------------------------------------------------------------------------------------------


def envelope(tok: Tokens, style: str, sender: str, rcpt: str, when: datetime) -> str:
    """Return-Path, Delivered-To, Received and Authentication-Results for a delivery.

    The relays follow the sender's provider (an iPhone sending from a Gmail account goes out
    through Gmail), whatever the client that laid out the message.
    """
    mx = MX
    by_domain = style_of(sender)
    style = by_domain if by_domain != "other" or style != "m365" else style
    out = f"Return-Path: <{sender}>\r\nDelivered-To: {rcpt}\r\n"
    out += received(tok, style, sender, rcpt, when, mx)
    if style != "m365" or rcpt == ARCHIVE:
        out += auth_results(tok, mx, sender)
    return out


def inner_message(tok: Tokens, o: Original, attach: list[str]) -> str:
    """The original as the teacher's personal mailbox received it (for message/rfc822)."""
    style = style_of(o.sender[1])
    rcpt = o.to[0][1]
    mx = {"gmail.example": "mx.google.example", "yahoo.example": "mta7.am0.yahoodns.example"}.get(
        rcpt.rsplit("@", 1)[1], f"mx.{rcpt.rsplit('@', 1)[1]}"
    )
    out = envelope(tok, style if style != "m365" else "outlook", o.sender[1], rcpt, o.date)
    out = out.replace(MX, mx)
    out += f"Date: {rfc5322(o.date)}\r\n"
    out += address_header("From", [o.sender])
    out += address_header("To", o.to)
    if o.cc:
        out += address_header("Cc", o.cc)
    out += f"Message-ID: {message_id(tok, style, o.sender[1])}\r\n"
    out += header("Subject", o.subject)
    out += "MIME-Version: 1.0\r\n"
    out += client_headers(tok, style, o.subject)
    body = o.body + "\n"
    if style in ("gmail", "yahoo", "outlook", "m365"):
        cs = {"gmail": "gmail", "yahoo": "yahoo"}.get(style, "outlook")
        html_body = f'<div dir="ltr">\n{html_paras(o.body)}\n</div>\n'
        main = multipart(
            "alternative",
            boundary(tok, "outlook" if style == "m365" else style),
            [
                text_part(body, "plain", "quoted-printable", cs),
                text_part(html_body, "html", "quoted-printable", cs),
            ],
        )
    else:
        main = text_part(
            body, "plain", "quoted-printable", "apple" if style == "apple" else "plain"
        )
    if attach:
        main = multipart(
            "mixed", boundary(tok, style), [main] + [attachment_part(a) for a in attach]
        )
    return out + main


def subject_prefix(client: str) -> str:
    if client in ("outlook", "outlook_html", "outlook_plain", "attached_outlook"):
        return "FW: "
    if client == "outlook_web":
        return "Fw: "
    return "Fwd: "


def render(msg: Message, teachers: dict[str, Teacher]) -> bytes:
    f = msg.fields
    client = f["client"]
    if client not in CLIENTS:
        raise ValueError(f"{msg.number}: unknown client {client}")
    t = teachers[f["teacher"]]
    tok = Tokens(msg.number)
    when = local_time(f["sent"])
    when = when.replace(second=tok.num(0, 59))
    o = msg.original
    if o is not None:
        o.date = o.date.replace(second=o.date.second or tok.num(0, 59))
    hl = f.get("hl", "en")
    note = msg.note
    attach = msg.attach
    use_school = f.get("from") == "school"
    sender_addr = t.school if use_school else t.personal
    if not sender_addr:
        raise ValueError(f"{msg.number}: {t.key} has no personal address; use from: school")
    sender = (t.name, sender_addr)

    if client == "autofwd_gmail":
        assert o is not None
        gm = t.personal
        out = (
            f"Return-Path: <{gm.split('@')[0]}+caf_={ARCHIVE.replace('@', '=')}@gmail.example>\r\n"
            f"Delivered-To: {ARCHIVE}\r\n"
        )
        out += received(tok, "gmail", gm, ARCHIVE, when, MX)
        out += auth_results(tok, MX, gm)
        out += f"X-Forwarded-To: {ARCHIVE}\r\nX-Forwarded-For: {gm} {ARCHIVE}\r\n"
        out += f"Delivered-To: {gm}\r\n"
        out += (
            f"Received: by 2002:a05:7300:{tok.text(4)}:b0:{tok.text(3)}:"
            f"{tok.text(4)}:{tok.text(4)} "
            f"with SMTP id {tok.text(8, 'abcdefghijklmnopqrstuvwxyz0123456789')};\r\n"
            f"        {rfc5322(o.date)}\r\n"
        )
        out += "MIME-Version: 1.0\r\n"
        out += address_header("From", [o.sender])
        out += f"Date: {rfc5322(o.date)}\r\n"
        id_style = style_of(o.sender[1]) if style_of(o.sender[1]) != "other" else "gmail"
        out += f"Message-ID: {message_id(tok, id_style, o.sender[1])}\r\n"
        out += header("Subject", o.subject)
        out += address_header("To", o.to)
        if o.cc:
            out += address_header("Cc", o.cc)
        html_body = f'<div dir="ltr">{html_paras(o.body)}</div>\n'
        main = multipart(
            "alternative",
            boundary(tok, "gmail"),
            [
                text_part(o.body, "plain", "auto", "gmail"),
                text_part(html_body, "html", "quoted-printable", "gmail"),
            ],
        )
        return finish(out + main)

    if client.startswith("direct") or client.startswith("reply"):
        subject = f["subject"]
        if client == "direct_outlook":
            style, sender = "m365", (t.name, t.school)
        elif client == "direct_cc":
            style = "m365" if use_school else style_of(sender_addr)
        else:
            style = "apple" if client == "reply_apple" else "gmail"
        rcpt = ARCHIVE
        out = envelope(tok, style, sender[1], rcpt, when)
        if client in ("reply_gmail", "reply_apple", "direct_cc"):
            to = parse_people(f["to"], t) if "to" in f else [o.sender] if o else []
            cc = parse_people(f["cc"], t) if "cc" in f else [("", ARCHIVE)]
        else:
            to, cc = [("", ARCHIVE)], []
        text = msg.body if client.startswith("direct") else note
        if client.startswith("reply"):
            assert o is not None
            quoted = "\n".join("> " + x if x else ">" for x in o.body.split("\n"))
            if client == "reply_gmail":
                intro = f"On {gmail_date(o.date, 'en')} {o.sender[0]} <{o.sender[1]}> wrote:"
            else:
                intro = (
                    f"On {MONTHS[o.date.month - 1][:3]} {o.date.day}, {o.date.year}, at "
                    f"{clock(o.date, sep=chr(0x202F))}, {o.sender[0]} <{o.sender[1]}> wrote:"
                )
            text = text + "\n\n" + intro + "\n\n" + quoted
        hdrs = ""
        if style == "m365":
            hdrs += address_header("From", [sender])
            hdrs += address_header("To", to, quote_plain=True)
            if cc:
                hdrs += address_header("Cc", cc, quote_plain=True)
            hdrs += header("Subject", subject)
            hdrs += client_headers(tok, "m365", subject)
            hdrs += f"Date: {rfc5322(when.astimezone(UTC))}\r\n"
            hdrs += f"Message-ID: {message_id(tok, 'm365', sender[1])}\r\n"
            hdrs += "MIME-Version: 1.0\r\n"
        else:
            hdrs += "MIME-Version: 1.0\r\n"
            hdrs += address_header("From", [sender])
            hdrs += f"Date: {rfc5322(when)}\r\n"
            hdrs += f"Message-ID: {message_id(tok, style, sender[1])}\r\n"
            if o is not None and client.startswith("reply"):
                ref = f"<CA{tok.text(40, B64)}@mail.gmail.example>"
                hdrs += f"In-Reply-To: {ref}\r\nReferences: {ref}\r\n"
            hdrs += header("Subject", subject)
            hdrs += address_header("To", to)
            if cc:
                hdrs += address_header("Cc", cc)
            if style == "apple":
                hdrs += "X-Mailer: iPhone Mail (23A355)\r\n"
        if style == "m365" and f.get("html") != "no":
            main = multipart(
                "alternative",
                boundary(tok, "outlook"),
                [
                    text_part(text, "plain", "quoted-printable", "outlook"),
                    text_part(
                        outlook_html(text, None, web=True), "html", "quoted-printable", "outlook"
                    ),
                ],
            )
        elif style == "gmail":
            html_body = f'<div dir="ltr">{html_paras(text)}</div>\n'
            main = multipart(
                "alternative",
                boundary(tok, "gmail"),
                [
                    text_part(text, "plain", "auto", "gmail"),
                    text_part(html_body, "html", "quoted-printable", "gmail"),
                ],
            )
        elif style == "apple":
            main = text_part(text, "plain", "quoted-printable", "apple")
        else:
            main = text_part(
                text, "plain", "quoted-printable", "outlook" if style == "m365" else "plain"
            )
        if attach:
            main = multipart(
                "mixed", boundary(tok, style), [main] + [attachment_part(a) for a in attach]
            )
        return finish(hdrs_order(out, hdrs) + main)

    assert o is not None, msg.number
    subject = f.get("subject") or subject_prefix(client) + o.subject

    if client.startswith("attached"):
        style = {
            "attached_gmail": "gmail",
            "attached_outlook": "outlook",
            "attached_thunderbird": "other",
        }[client]
        inner = inner_message(tok, o, attach)
        fname = re.sub(r'[\\/:*?"<>|]', "", o.subject)[:60].strip() + ".eml"
        if fname.isascii():
            np, fp = f'name="{fname}"', f'filename="{fname}"'
        else:
            q = "".join(
                chr(b) if (chr(b).isalnum() and b < 128) or chr(b) in "-._" else f"%{b:02X}"
                for b in fname.encode("utf-8")
            )
            np, fp = f"name*=UTF-8''{q}", f"filename*=UTF-8''{q}"
        rfc822 = (
            f"Content-Type: message/rfc822;\r\n\t{np}\r\n"
            f"Content-Disposition: attachment;\r\n\t{fp}\r\n\r\n" + inner
        )
        if style == "gmail":
            note_part = multipart(
                "alternative",
                boundary(tok, "gmail"),
                [
                    text_part(note, "plain", "auto", "gmail"),
                    text_part(
                        f'<div dir="ltr">{html_paras(note)}</div>\n',
                        "html",
                        "quoted-printable",
                        "gmail",
                    ),
                ],
            )
        elif style == "outlook":
            note_part = multipart(
                "alternative",
                boundary(tok, "outlook"),
                [
                    text_part(note, "plain", "quoted-printable", "outlook"),
                    text_part(
                        outlook_html(note, None, web=False), "html", "quoted-printable", "outlook"
                    ),
                ],
            )
        else:
            note_part = text_part(
                flowed(note), "plain", "auto" if note.isascii() else "8bit", "flowed"
            )
        pre = "This is a multi-part message in MIME format." if style != "gmail" else ""
        body = multipart("mixed", boundary(tok, style), [note_part, rfc822], pre)
        hdrs = outer_headers(tok, style, sender, subject, when, o)
        return finish(
            envelope(tok, style if style != "other" else "other", sender[1], ARCHIVE, when)
            + hdrs
            + body
        )

    if client == "gmail":
        style = "gmail"
        plain = (note + "\n\n" if note else "") + gmail_block(o, hl)
        main = multipart(
            "alternative",
            boundary(tok, style),
            [
                text_part(plain, "plain", "auto", "gmail"),
                text_part(gmail_html(note, o, hl), "html", "quoted-printable", "gmail"),
            ],
        )
    elif client in ("outlook", "outlook_web", "outlook_html", "outlook_plain"):
        style = "m365" if use_school else "outlook"
        web = client == "outlook_web"
        if client == "outlook_plain":
            plain = (
                (note + "\n\n" if note else "")
                + "-----Original Message-----\n"
                + outlook_block(o, False)
            )
            main = text_part(plain, "plain", "quoted-printable", "outlook")
        else:
            plain = (note + "\n\n" if note else "") + outlook_block(o, web)
            html_part = text_part(outlook_html(note, o, web), "html", "quoted-printable", "outlook")
            if client == "outlook_html":
                main = html_part
            else:
                cte = (
                    "base64"
                    if not plain.isascii() and f.get("cte") == "base64"
                    else "quoted-printable"
                )
                main = multipart(
                    "alternative",
                    boundary(tok, "outlook"),
                    [text_part(plain, "plain", cte, "outlook"), html_part],
                )
    elif client in ("apple_ios", "apple_ios_noquote"):
        style = "apple"
        plain = (
            (note + "\n\n" if note else "")
            + "Sent from my iPhone\n\n"
            + apple_block(o, True, client == "apple_ios")
        )
        main = text_part(plain, "plain", "quoted-printable", "apple")
    elif client == "apple_mac":
        style = "apple"
        plain = (note + "\n\n" if note else "") + apple_block(o, False, False)
        main = multipart(
            "alternative",
            boundary(tok, "apple"),
            [
                text_part(plain, "plain", "quoted-printable", "apple"),
                text_part(apple_html(note, o), "html", "quoted-printable", "apple"),
            ],
        )
    elif client == "thunderbird":
        style = "other"
        plain = (note + "\n\n\n" if note else "") + thunderbird_block(o)
        main = text_part(flowed(plain), "plain", "7bit" if plain.isascii() else "8bit", "flowed")
    elif client in ("yahoo", "yahoo_plain"):
        style = "yahoo"
        plain = (note + "\n\n\n" if note else "") + yahoo_block(o)
        if client == "yahoo_plain":
            main = text_part(plain, "plain", "8bit" if not plain.isascii() else "7bit", "yahoo")
        else:
            main = multipart(
                "alternative",
                boundary(tok, "yahoo"),
                [
                    text_part(plain, "plain", "quoted-printable", "yahoo"),
                    text_part(
                        yahoo_html(note, o, tok.text(10, "0123456789")),
                        "html",
                        "quoted-printable",
                        "yahoo",
                    ),
                ],
            )
    else:
        raise ValueError(client)
    if attach:
        pre = (
            "This is a multi-part message in MIME format."
            if style in ("outlook", "m365", "other")
            else ""
        )
        main = multipart(
            "mixed",
            boundary(tok, "outlook" if style == "m365" else style),
            [main] + [attachment_part(a) for a in attach],
            pre,
        )
    hdrs = outer_headers(tok, style, sender, subject, when, o)
    return finish(envelope(tok, style, sender[1], ARCHIVE, when) + hdrs + main)


def outer_headers(
    tok: Tokens, style: str, sender: tuple[str, str], subject: str, when: datetime, o: Original
) -> str:
    to = [("", ARCHIVE)]
    if style in ("outlook", "m365"):
        out = address_header("From", [sender])
        out += f'To: "{ARCHIVE}" <{ARCHIVE}>\r\n'
        out += header("Subject", subject)
        out += client_headers(tok, style, subject)
        out += f"Date: {rfc5322(when.astimezone(UTC))}\r\n"
        out += f"Message-ID: {message_id(tok, style, sender[1])}\r\n"
        out += "X-Mailer: Microsoft Outlook 16.0\r\n" if style == "outlook" else ""
        out += "MIME-Version: 1.0\r\n"
        return out
    if style == "yahoo":
        out = f"Date: {rfc5322(when.astimezone(UTC))} (UTC)\r\n"
        out += address_header("From", [sender])
        out += f'To: "{ARCHIVE}" <{ARCHIVE}>\r\n'
        out += f"Message-ID: {message_id(tok, style, sender[1])}\r\n"
        out += header("Subject", subject)
        out += "MIME-Version: 1.0\r\n"
        out += client_headers(tok, style, subject)
        return out
    if style == "apple":
        out = address_header("From", [sender])
        out += "Mime-Version: 1.0 (1.0)\r\n"
        out += f"Date: {rfc5322(when)}\r\n"
        out += header("Subject", subject)
        out += f"Message-Id: {message_id(tok, style, sender[1])}\r\n"
        out += address_header("To", to)
        out += "X-Mailer: iPhone Mail (23A355)\r\n"
        return out
    if style == "other":
        out = f"Message-ID: {message_id(tok, style, sender[1])}\r\n"
        out += f"Date: {rfc5322(when)}\r\n"
        out += "MIME-Version: 1.0\r\n"
        out += "User-Agent: Mozilla Thunderbird\r\nContent-Language: en-US\r\n"
        out += address_header("To", to)
        out += address_header("From", [sender])
        out += header("Subject", subject)
        return out
    out = "MIME-Version: 1.0\r\n"
    out += address_header("From", [sender])
    out += f"Date: {rfc5322(when)}\r\n"
    out += f"Message-ID: {message_id(tok, style, sender[1])}\r\n"
    out += header("Subject", subject)
    out += address_header("To", to)
    return out


def hdrs_order(envelope_part: str, hdrs: str) -> str:
    return envelope_part + hdrs


def finish(text: str) -> bytes:
    if "\n" in text.replace("\r\n", ""):
        raise ValueError("bare LF in output")
    return text.encode("utf-8")


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------

# The held-out part: in each category, the messages ranked by SHA-256 of SPLIT_KEY + ":" + file
# name, the first third of them (rounded to the nearest whole message). The key was fixed once,
# before any tagger was run on either part; changing it would make a new split.
SPLIT_KEY = "archiver-tagging-split-v1"
SPLITS = ("tuning", "heldout")


def split_rank(name: str) -> str:
    return hashlib.sha256(f"{SPLIT_KEY}:{name}".encode()).hexdigest()


def split_of(categories: dict[str, str]) -> dict[str, str]:
    """File name -> "tuning" or "heldout", given each message's category."""
    by_category: dict[str, list[str]] = {}
    for name, category in categories.items():
        by_category.setdefault(category, []).append(name)
    split = {}
    for names in by_category.values():
        ranked = sorted(names, key=lambda n: (split_rank(n), n))
        held = (len(ranked) + 1) // 3
        for i, name in enumerate(ranked):
            split[name] = "heldout" if i < held else "tuning"
    return split


STAFF_KEY = "archiver-tagging-staff-v1"


def staff_id(key: str) -> str:
    """The employee id of a staff line: E + five digits from SHA-256 of its key."""
    digest = hashlib.sha256(f"{STAFF_KEY}:{key}".encode()).digest()
    return f"E{10000 + int.from_bytes(digest[:8], 'big') % 90000}"


def render_staff(teachers: dict[str, Teacher]) -> bytes:
    """staff.csv: the HR directory export, sorted by last then first name, CRLF lines."""
    rows = []
    ids: dict[str, str] = {}
    for t in teachers.values():
        sid = staff_id(t.key)
        if sid in ids:
            raise ValueError(f"staff ids of {ids[sid]} and {t.key} collide: {sid}")
        ids[sid] = t.key
        first, _, last = t.name.partition(" ")
        personal = ";".join(a for a in (t.personal, *t.more_personal) if a)
        rows.append((sid, first, last, t.school, personal, t.signature))
    rows.sort(key=lambda r: (r[2].casefold(), r[1].casefold(), r[0]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(STAFF_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def build() -> tuple[dict[str, bytes], bytes, bytes]:
    teachers, messages = read_source(SOURCE)
    files: dict[str, bytes] = {}
    labels: dict[str, dict[str, object]] = {}
    seen = set()
    for msg in messages:
        if msg.number in seen:
            raise ValueError(f"duplicate message number {msg.number}")
        seen.add(msg.number)
        name = f"{msg.number}.eml"
        files[name] = render(msg, teachers)
        students = [
            s.strip() for s in msg.fields["students"].split(",") if s.strip() not in ("", "-")
        ]
        category = msg.fields["category"]
        if category not in CATEGORIES:
            raise ValueError(f"{msg.number}: unknown category {category}")
        labels[name] = {"students": students, "category": category, "why": msg.fields["why"]}
    split = split_of({name: str(label["category"]) for name, label in labels.items()})
    for name, label in labels.items():
        label["split"] = split[name]
    text = json.dumps(labels, ensure_ascii=False, indent=1) + "\n"
    return files, text.encode("utf-8"), render_staff(teachers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk")
    args = parser.parse_args()
    files, labels, staff = build()
    if args.check:
        bad = [
            n
            for n, data in files.items()
            if not (MESSAGES / n).is_file() or (MESSAGES / n).read_bytes() != data
        ]
        extra = sorted(p.name for p in MESSAGES.glob("*.eml") if p.name not in files)
        if not LABELS.is_file() or LABELS.read_bytes() != labels:
            bad.append("labels.json")
        if not STAFF.is_file() or STAFF.read_bytes() != staff:
            bad.append("staff.csv")
        if bad or extra:
            print(f"differs: {', '.join(bad + extra)}", file=sys.stderr)
            return 1
        print(f"{len(files)} messages, labels.json and staff.csv match source.txt")
        return 0
    MESSAGES.mkdir(exist_ok=True)
    for old in MESSAGES.glob("*.eml"):
        if old.name not in files:
            old.unlink()
    for name, data in files.items():
        (MESSAGES / name).write_bytes(data)
    LABELS.write_bytes(labels)
    STAFF.write_bytes(staff)
    print(f"wrote {len(files)} messages, labels.json and staff.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
