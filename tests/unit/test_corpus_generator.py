"""The benchmark corpus generator (benchmarks/corpus.py) makes realistic, reproducible mail."""

from __future__ import annotations

import email
import email.message
import email.policy
import itertools
import json
import mailbox
import re
import sys
import zlib
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import corpus

SEED = 20260
SAMPLE = 250

Parsed = tuple[corpus.GeneratedMessage, email.message.EmailMessage]


def _parse(raw: bytes) -> email.message.EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


@pytest.fixture(scope="module")
def parsed() -> list[Parsed]:
    return [(m, _parse(m.raw)) for m in itertools.islice(corpus.generate_labeled(SEED), SAMPLE)]


@pytest.fixture(scope="module")
def sample(parsed: list[Parsed]) -> list[corpus.GeneratedMessage]:
    return [m for m, _ in parsed]


def _plain_text(msg: email.message.EmailMessage) -> str:
    return "\n".join(
        str(p.get_content()).replace("\r\n", "\n")
        for p in msg.walk()
        if p.get_content_type() == "text/plain"
    )


def _problems(msg: email.message.EmailMessage) -> list[str]:
    """Every defect the stdlib parser reports, on any part or header, after decoding bodies."""
    found: list[str] = []
    for part in msg.walk():
        for name, value in part.items():
            found += [f"{name}: {d!r}" for d in getattr(value, "defects", ())]
        if not part.is_multipart():
            part.get_payload(decode=True)
            if part.get_content_maintype() == "text":
                part.get_content()
        found += [repr(d) for d in part.defects]
    return found


def test_same_seed_gives_identical_bytes() -> None:
    first = list(itertools.islice(corpus.generate(7), 40))
    again = list(itertools.islice(corpus.generate(7), 40))
    assert first == again


def test_different_seeds_give_different_messages() -> None:
    a = list(itertools.islice(corpus.generate(1), 20))
    b = list(itertools.islice(corpus.generate(2), 20))
    assert not set(a) & set(b)


def test_sample_parses_without_defects(parsed: list[Parsed]) -> None:
    bad = {}
    for i, (_, msg) in enumerate(parsed):
        problems = _problems(msg)
        if problems:
            bad[i] = problems
    assert bad == {}


def test_messages_are_rfc5322_with_crlf_and_ascii_headers(parsed: list[Parsed]) -> None:
    for m, msg in parsed:
        assert b"\n" not in m.raw.replace(b"\r\n", b""), "bare LF"
        assert b"\r" not in m.raw.replace(b"\r\n", b""), "bare CR"
        head = m.raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii(), "non-ASCII header bytes (names must be RFC 2047 encoded)"
        assert max(len(line) for line in m.raw.split(b"\r\n")) <= 998
        for name in ("From", "To", "Date", "Subject", "Message-ID", "MIME-Version"):
            assert msg[name], name
        assert msg["From"].addresses[0].domain == "district.example.org"
        assert "records-archive@district.example.org" in str(msg["To"]) + str(msg["Cc"] or "")
        date = msg["Date"].datetime
        assert date is not None and date.year in (2025, 2026)
    ids = [msg["Message-ID"] for _, msg in parsed]
    assert len(set(ids)) == len(ids)


def test_accented_names_survive_encoding(parsed: list[Parsed]) -> None:
    sample = [m for m, _ in parsed]
    decoded = [str(msg["From"]) for _, msg in parsed]
    assert any(not name.isascii() for name in decoded), "no accented teacher names in sample"
    raw_from = [m.raw.split(b"\r\nFrom: ", 1)[1].split(b"\r\n", 1)[0] for m in sample]
    assert any(b"=?utf-8?" in line.lower() for line in raw_from)


def test_mix_contains_every_kind_in_roughly_the_stated_shares(
    sample: list[corpus.GeneratedMessage],
) -> None:
    counts = Counter(m.kind for m in sample)
    assert set(counts) == set(corpus.KINDS)
    for kind, share in corpus.KINDS.items():
        assert abs(counts[kind] / len(sample) - share) < 0.08, (kind, counts)
    variants = {m.variant for m in sample}
    assert {"gmail_html", "outlook_classic", "outlook_web", "apple_ios", "note", "reply"} <= (
        variants
    )
    languages = Counter(m.language for m in sample)
    assert {"en", "es", "pt", "ht"} <= set(languages)


def test_inline_forwards_carry_their_banner(parsed: list[Parsed]) -> None:
    banners = {
        "gmail_inline": "---------- Forwarded message ---------",
        "apple_inline": "Begin forwarded message:",
    }
    for m, msg in parsed:
        body = msg.get_body(preferencelist=("plain",))
        assert body is not None
        text = str(body.get_content()).replace("\r\n", "\n")
        if m.kind in banners:
            assert banners[m.kind] in text
        if m.variant == "outlook_web":
            assert re.search(r"^_{32}$", text, re.MULTILINE) and "\nSent: " in text
            html = msg.get_body(preferencelist=("html",))
            assert html is not None and "<hr" in html.get_content()
        if m.variant == "gmail_html":
            html = msg.get_body(preferencelist=("html",))
            assert html is not None and 'class="gmail_quote' in html.get_content()
        if m.original_from is not None and m.kind != "attached":
            assert m.original_from in text
        if m.kind == "not_forward":
            assert "Forwarded message" not in text and "Begin forwarded" not in text


def test_forward_as_attachment_holds_a_complete_original(parsed: list[Parsed]) -> None:
    attached = [(m, msg) for m, msg in parsed if m.kind == "attached"]
    assert attached
    for m, msg in attached:
        assert msg.get_content_type() == "multipart/mixed"
        parts = [p for p in msg.walk() if p.get_content_type() == "message/rfc822"]
        assert len(parts) == 1
        assert parts[0].get_content_disposition() == "attachment"
        inner = parts[0].get_content()
        assert isinstance(inner, email.message.EmailMessage)
        for name in ("From", "Date", "Subject", "Message-ID", "Received"):
            assert inner[name], name
        assert inner["From"].addresses[0].addr_spec == m.original_from
        assert inner["Subject"] == m.original_subject


def test_named_students_appear_in_the_teacher_note(parsed: list[Parsed]) -> None:
    named = [(m, msg) for m, msg in parsed if m.students]
    assert 0.2 < len(named) / len(parsed) < 0.7
    assert any(re.fullmatch(r"\d{6}", s) for m, _ in named for s in m.students)
    assert any(len(m.students) == 2 for m, _ in named)
    for m, msg in named:
        text = _plain_text(msg)
        assert re.search(r"^Students?( ID)?: ", text, re.MULTILINE)
        for student in m.students:
            assert student in text


def test_attachments_are_base64_with_real_looking_content(parsed: list[Parsed]) -> None:
    sample = [m for m, _ in parsed]
    with_atts = [msg for m, msg in parsed if m.attachments]
    assert 0.15 < len(with_atts) / len(sample) < 0.35
    magic = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff"}
    seen: set[str] = set()
    for msg in with_atts:
        for part in msg.walk():
            if part.get_content_disposition() != "attachment" or part.is_multipart():
                continue
            if part.get_content_type() == "message/rfc822":
                continue
            assert part["Content-Transfer-Encoding"] == "base64"
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            assert 20 * 1024 <= len(data) <= 400 * 1024 + 4096
            ctype = part.get_content_type()
            seen.add(ctype)
            assert data.startswith(magic.get(ctype, b"PK\x03\x04"))
            assert len(zlib.compress(data, 1)) > 0.9 * len(data), "should be incompressible"
            assert part.get_filename()
    assert {"application/pdf", "image/jpeg"} <= seen
    sizes = [len(m.raw) for m in sample]
    assert 30_000 < sum(sizes) / len(sizes) < 90_000
    assert sorted(sizes)[len(sizes) // 2] < 20_000, "most messages should be small"


def test_mbox_splits_back_into_the_same_messages(tmp_path: Path) -> None:
    out = tmp_path / "corpus.mbox"
    summary = corpus.write_corpus(out, "mbox", 60, SEED, None)
    assert summary == {"messages": 60, "bytes": out.stat().st_size, "path": str(out)}
    data = out.read_bytes()
    assert b"\r\n" not in data
    separators = re.findall(
        rb"^From \S+@\S+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$", data, re.MULTILINE
    )
    assert len(separators) == 60
    box = mailbox.mbox(out, create=False)
    try:
        messages = list(box)
    finally:
        box.close()
    assert len(messages) == 60
    originals = list(itertools.islice(corpus.generate(SEED), 60))
    for parsed, raw in zip(messages, originals, strict=True):
        assert parsed["Message-ID"] == _parse(raw)["Message-ID"]


def test_mbox_quotes_from_lines_mboxrd_style() -> None:
    messages = itertools.islice(corpus.generate_labeled(SEED), 1500)
    quoted = next(m for m in messages if re.search(rb"^From ", m.raw, re.MULTILINE))
    entry = corpus._mbox_entry(quoted)
    body = entry.split(b"\n", 1)[1]
    assert not re.search(rb"^From ", body, re.MULTILINE)
    assert re.search(rb"^>From ", body, re.MULTILINE)
    assert entry.endswith(b"\n\n")


def test_target_bytes_stops_near_the_target(tmp_path: Path) -> None:
    target = 3_000_000
    summary = corpus.write_corpus(tmp_path / "t.mbox", "mbox", None, 5, target)
    total = summary["bytes"]
    assert isinstance(total, int)
    assert target <= total < target + 1_200_000
    assert (tmp_path / "t.mbox").stat().st_size == total
    capped = corpus.write_corpus(tmp_path / "c.mbox", "mbox", 3, 5, target)
    assert capped["messages"] == 3


def test_eml_and_maildir_outputs(tmp_path: Path) -> None:
    eml = corpus.write_corpus(tmp_path / "eml", "eml", 5, SEED, None)
    names = sorted(p.name for p in (tmp_path / "eml").iterdir())
    assert names == [f"{i:06d}.eml" for i in range(1, 6)]
    assert (tmp_path / "eml" / "000001.eml").read_bytes() == next(corpus.generate(SEED))
    assert eml["bytes"] == sum(p.stat().st_size for p in (tmp_path / "eml").iterdir())

    corpus.write_corpus(tmp_path / "md", "maildir", 5, SEED, None)
    assert {p.name for p in (tmp_path / "md").iterdir()} == {"cur", "new", "tmp"}
    box = mailbox.Maildir(tmp_path / "md", create=False)
    assert len(box) == 5
    with pytest.raises(ValueError, match="not an empty directory"):
        corpus.write_corpus(tmp_path / "md", "maildir", 5, SEED, None)


def test_cli_prints_one_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.mbox"
    assert corpus.main(["--out", str(out), "--count", "4", "--seed", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == {"messages": 4, "bytes": out.stat().st_size, "path": str(out)}
    with pytest.raises(SystemExit):
        corpus.main(["--out", str(out)])
    assert corpus._size("1G") == 1 << 30
    assert corpus._size("1073741824") == 1 << 30
