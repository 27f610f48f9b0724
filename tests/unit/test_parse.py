"""Parsing: decoded headers, attachments, and quarantine of what is not mail."""

from __future__ import annotations

import base64
import email.message
import email.policy
import hashlib
import itertools
import quopri
import random
import textwrap
from email.message import EmailMessage

import corpus
import pytest

from archiver.domain import PROVENANCE_NONE, PROVENANCE_RECONSTRUCTED
from archiver.understand import parse as parse_module
from archiver.understand.html import html_to_text
from archiver.understand.parse import QUARANTINE_NO_HEADERS, QUARANTINE_UNPARSEABLE, parse
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


def _b64_part(name: str, ctype: str, data: bytes, eol: str = "\r\n") -> str:
    lines = base64.encodebytes(data).decode().splitlines()
    return eol.join(
        [
            f'Content-Type: {ctype}; name="{name}"',
            f'Content-Disposition: attachment; filename="{name}"',
            "Content-Transfer-Encoding: base64",
            "",
            *lines,
        ]
    )


def _multipart(parts: list[str], eol: str = "\r\n", preamble: str = "") -> bytes:
    head = [
        "From: Coach <coach@example.org>",
        "To: records@district.example.org",
        "Subject: hostile shapes",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="XYZ"',
        "",
        preamble,
    ]
    body = [f"--XYZ{eol}{p}" for p in parts]
    return (eol.join(head) + eol + eol.join(body) + f"{eol}--XYZ--{eol}").encode(
        "utf-8", "surrogateescape"
    )


def _hostile_messages() -> list[bytes]:
    """Shapes the placeholders must survive: many runs, runs at every kind of edge."""
    rng = random.Random(5)
    words = ["Maria", "missed", "the", "field", "trip;", "permission", "slip", "attached:"]
    text = " ".join(rng.choice(words) for _ in range(3000))
    lines = textwrap.wrap(text, 70)
    qp = quopri.encodestring(("é " + text).encode()).decode()
    out = []
    for eol in ("\r\n", "\n"):
        many = [
            _b64_part(f"a{i}.bin", "application/octet-stream", rng.randbytes(4000 + i), eol)
            for i in range(13)
        ]
        out.append(_multipart(many, eol, preamble=eol.join(lines[:60])))
        b64_body = eol.join(
            [
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: base64",
                "",
                *base64.encodebytes(text.encode()).decode().splitlines(),
            ]
        )
        out.append(_multipart([*many[:10], b64_body], eol))
        plain = eol.join(["Content-Type: text/plain", "", *lines])
        spaced = eol.join(["Content-Type: text/plain", "", lines[0], *(" " + x for x in lines)])
        qp_head = (
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable"
        )
        qp_part = eol.join([*qp_head.split("\n"), "", *qp.splitlines()])
        latin = eol.join(["Content-Type: text/plain; charset=latin-1", "", *lines])
        latin = latin.replace("Maria", "Mar\udce9a")  # a raw 8-bit byte in the text
        one_line = eol.join(["Content-Type: text/html", "", "<p>" + text * 5 + "</p>"])
        colons = eol.join(
            ["Content-Type: text/plain", "", lines[0], *(f"Note: {x}" for x in lines)]
        )
        no_blank = eol.join(["Content-Type: text/plain", *lines])  # no header/body separator
        dashes = eol.join(["Content-Type: text/plain", "", lines[0], *(f"-{x}" for x in lines)])
        status = eol.join(
            [
                "Content-Type: message/delivery-status",
                "",
                "Reporting-MTA: dns; x",
                "",
                *lines,
                "",
                "Action: failed",
                *lines,
            ]
        )
        inner = _multipart([plain, many[0]], eol).decode("utf-8", "surrogateescape")
        attached = eol.join(["Content-Type: message/rfc822", "", inner])
        from_lines = eol.join(
            ["Content-Type: text/plain", "", lines[0], *(f"From {x}" for x in lines)]
        )
        bare_cr = eol.join(["Content-Type: text/plain", "", *(f"{x}\r{x}" for x in lines)])
        for part in (
            plain,
            spaced,
            qp_part,
            latin,
            one_line,
            colons,
            no_blank,
            dashes,
            status,
            attached,
            from_lines,
            bare_cr,
        ):
            out.append(_multipart([part, part], eol))
        flat = ["From: a@example.org", "Subject: flat", "", *lines, *lines[:3]]
        out.append(eol.join(flat).encode())
        out.append(eol.join(flat).encode() + b"no final line end " * 1000)
        out.append(eol.join(["From: a@example.org", *lines]).encode())  # no blank line at all
    return out


def test_placeholders_change_nothing_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    messages = [p.read_bytes() for p in corpus_messages()]
    messages += list(itertools.islice(corpus.generate(5), 300))
    messages += _hostile_messages()
    assert sum(len(m) > 20_000 for m in messages) > 50  # plenty with big attachments
    fast = [parse(m) for m in messages]
    assert sum(len(a.attachments) >= 10 for a in fast) >= 4  # ten runs and more
    monkeypatch.setattr(parse_module._Runs, "shrink", lambda self: self.raw)
    slow = [parse(m) for m in messages]
    for a, b in zip(fast, slow, strict=True):
        assert (a.metadata(), a.text, a.html, a.extractable) == (
            b.metadata(),
            b.text,
            b.html,
            b.extractable,
        )


def test_thirteen_attachments_keep_their_own_bytes() -> None:
    data = [bytes([i]) * (5000 + i) for i in range(13)]
    raw = _multipart(
        [_b64_part(f"f{i}.bin", "application/octet-stream", d) for i, d in enumerate(data)]
    )
    parsed = parse(raw)
    assert [(a.filename, a.size, a.sha256) for a in parsed.attachments] == [
        (f"f{i}.bin", len(d), hashlib.sha256(d).hexdigest()) for i, d in enumerate(data)
    ]


@pytest.mark.timeout(30)  # under a second
def test_a_long_line_of_base64_characters_is_parsed_in_linear_time() -> None:
    body = base64.b64encode(random.Random(3).randbytes(15 << 20))  # 20 MB on one line
    raw = b"From: a@example.org\r\nSubject: one line\r\n\r\n" + body + b"\r\n"
    parsed = parse(raw)
    assert parsed.quarantine is None and parsed.subject == "one line"
    assert parsed.text.strip() == body.decode()


@pytest.mark.parametrize("header", ["From", "To", "Cc"])
def test_a_bad_encoded_word_costs_only_its_header(header: str) -> None:
    fields = {"From": "Coach <coach@example.org>", "To": "records@example.org", "Cc": ""}
    fields[header] = "=?utf-8?B?A?= <b@e.org>"
    msg = EmailMessage()
    msg.set_content("Maria Lopez missed practice.")
    msg.add_attachment(b"%PDF-1.4 x", maintype="application", subtype="pdf", filename="note.pdf")
    head = "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v)
    raw = head.encode() + b"Subject: Practice\r\n" + msg.as_bytes(policy=email.policy.SMTP)
    parsed = parse(raw)
    assert parsed.subject == "Practice"
    assert "Maria Lopez missed practice." in parsed.text
    assert [a.filename for a in parsed.attachments] == ["note.pdf"]
    people = {"From": parsed.sender, "To": parsed.to, "Cc": parsed.cc}[header]
    assert [p.address for p in people] == ["b@e.org"]  # the address is kept
    assert f"HeaderDefect: {header}: HeaderParseError" in parsed.defects


@pytest.mark.timeout(30)  # under a second
def test_a_message_nested_too_deeply_keeps_its_headers() -> None:
    head = "From: Coach <coach@example.org>\nSubject: deep\nMIME-Version: 1.0\n"
    parts = [f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(2000)]
    parsed = parse((head + "".join(parts) + "\nx\n").encode())
    assert parsed.quarantine == QUARANTINE_UNPARSEABLE and parsed.problem
    assert parsed.subject == "deep" and parsed.sender[0].address == "coach@example.org"


@pytest.mark.timeout(30)  # under a second
def test_hostile_html_is_converted_in_linear_time() -> None:
    import time

    for hostile in ("<a " * 30_000, "<!--" * 25_000, "<div>" * 50_000 + "x"):
        start = time.perf_counter()
        html_to_text(hostile)
        assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    ("subject", "forward"),
    [("FW: Bus pass", True), ("TR: Bus pass", True), ("RE: Bus pass", False), ("Bus pass", False)],
)
def test_an_attribution_under_a_forward_subject_is_a_forward(subject: str, forward: bool) -> None:
    # Issue 12: Outlook 2019 and others forward under "On … wrote:"; under "RE:" it is a reply.
    msg = EmailMessage()
    msg["From"] = "Lena Brooks <lena@district.example.org>"
    msg["Subject"] = subject
    msg.set_content(
        'For the record.\n\nOn 28/10/2021 12:46, "John Doe" <john.doe@acme.example> wrote:\n\n'
        "> Hi Ms. Brooks,\n>\n> Sam lost his bus pass again.\n"
    )
    parsed = parse(msg.as_bytes())
    [original] = parsed.originals
    if not forward:
        assert original.provenance == PROVENANCE_NONE
        return
    assert original.provenance == PROVENANCE_RECONSTRUCTED
    assert original.sender is not None
    assert (original.sender.name, original.sender.address) == ("John Doe", "john.doe@acme.example")
    assert original.subject == "Bus pass"
    assert original.body == "Hi Ms. Brooks,\n\nSam lost his bus pass again."
    assert original.date is not None and original.date.isoformat() == "2021-10-28T16:46:00+00:00"
    assert parsed.note == "For the record."


def _mangled_base64(rng: random.Random) -> bytes:
    """Base64 as mail carries it (lines, CRLF or LF), often damaged: characters put in, taken
    out or changed, padding moved."""
    data = rng.randbytes(rng.randint(0, 40))
    text = bytearray(
        base64.encodebytes(data) if rng.random() < 0.5 else base64.b64encode(data) + b"\n"
    )
    if rng.random() < 0.3:
        text = bytearray(text.replace(b"\n", b"\r\n"))
    for _ in range(rng.choice((0, 0, 1, 2, 3))):
        at = rng.randrange(len(text) + 1)
        char = rng.choice(b"AZaz09+/=\r\n -_.:\x00")
        action = rng.random()
        if action < 0.4:
            text[at:at] = bytes([char])
        elif at < len(text):
            text[at : at + 1] = b"" if action < 0.7 else bytes([char])
    return bytes(text)


def test_base64_is_decoded_as_the_stdlib_decodes_it() -> None:
    rng = random.Random(11)
    fast_path = 0
    for _ in range(20_000):
        data = _mangled_base64(rng)
        part = email.message.Message()
        part["Content-Transfer-Encoding"] = "base64"
        part.set_payload(data.decode("ascii", "surrogateescape"))
        fast = parse_module._b64decode(data)
        expected = part.get_payload(decode=True)
        if fast is not None:  # else the stdlib decodes it, defects and all
            fast_path += 1
            assert (fast, part.defects) == (expected, []), data
    assert fast_path > 8_000  # the undamaged and the harmlessly damaged
    assert parse_module._b64decode(base64.encodebytes(b"x" * 1000).replace(b"\n", b"\r\n"))
