"""Parsing: decoded headers, attachments, and quarantine of what is not mail."""

from __future__ import annotations

import itertools
from email.message import EmailMessage

import corpus
import pytest

from archiver.understand import parse as parse_module
from archiver.understand.html import html_to_text
from archiver.understand.parse import QUARANTINE_NO_HEADERS, parse
from tests.conftest import corpus_messages


def test_headers_addresses_and_attachments_are_decoded() -> None:
    msg = EmailMessage()
    msg["From"] = "José Peña <jpena@example.org>"
    msg["To"] = "Ms. Ruiz <mruiz@district.example.org>, office@district.example.org"
    msg["Subject"] = "Excursión del viernes"
    msg["Date"] = "Fri, 06 Mar 2026 07:45:00 -0500"
    msg.set_content("Hola, maestra.")
    msg.add_attachment(
        b"\x00\x01" * 500, maintype="application", subtype="pdf", filename="permiso firmado.pdf"
    )
    parsed = parse(msg.as_bytes())
    assert parsed.quarantine is None
    assert parsed.sender[0].name == "José Peña" and parsed.sender[0].address == "jpena@example.org"
    assert [a.address for a in parsed.to] == [
        "mruiz@district.example.org",
        "office@district.example.org",
    ]
    assert parsed.subject == "Excursión del viernes"
    assert parsed.date is not None and parsed.date.isoformat() == "2026-03-06T12:45:00+00:00"
    assert "Hola, maestra." in parsed.text
    [att] = parsed.attachments
    assert (att.filename, att.content_type, att.size) == (
        "permiso firmado.pdf",
        "application/pdf",
        1000,
    )


def test_binary_garbage_is_quarantined_with_a_reason() -> None:
    parsed = parse(b"\x89PNG\r\n\x1a\n\x00\x00 binary")
    assert parsed.quarantine == QUARANTINE_NO_HEADERS and parsed.problem


def test_html_only_message_gets_readable_text() -> None:
    msg = EmailMessage()
    msg["From"] = "a@example.org"
    msg["Subject"] = "x"
    msg.set_content(
        "<html><head><style>p{}</style></head><body><p>Line one</p>"
        "<div>Line&nbsp;two</div></body></html>",
        subtype="html",
    )
    assert parse(msg.as_bytes()).text == "Line one\n\nLine two"
    assert html_to_text("<p>a</p><p>b</p>") == "a\n\nb"


def test_skipping_base64_runs_changes_nothing_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    messages = [p.read_bytes() for p in corpus_messages()]
    messages += list(itertools.islice(corpus.generate(5), 300))
    assert sum(len(m) > 20_000 for m in messages) > 50  # plenty with big attachments
    fast = [parse(m) for m in messages]
    monkeypatch.setattr(parse_module._Runs, "shrink", lambda self: self.raw)
    slow = [parse(m) for m in messages]
    for a, b in zip(fast, slow, strict=True):
        assert (a.metadata(), a.text, a.html) == (b.metadata(), b.text, b.html)


def test_hostile_html_is_converted_in_linear_time() -> None:
    import time

    for hostile in ("<a " * 30_000, "<!--" * 25_000, "<div>" * 50_000 + "x"):
        start = time.perf_counter()
        html_to_text(hostile)
        assert time.perf_counter() - start < 2.0
