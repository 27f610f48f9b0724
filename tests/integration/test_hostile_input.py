"""Hostile and malformed messages (issue 9): each is archived, shown, re-derived and searched."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from archiver.archive.index_entry import index_entry, replace_entry
from archiver.archive.keys import load_keyring
from archiver.crypto import blind
from archiver.crypto.sealing import META, data_key, open_meta, seal_meta
from archiver.settings import load_settings
from archiver.store.db import Store
from archiver.understand.indexing import index_tokens
from tests.conftest import Archive
from tests.integration.test_students_tags import ASPEN
from tests.unit.test_extract import make_pdf, text_page

WORDS = [f"{a}{b}" for a in ("zor", "quil", "marv", "tesk") for b in ("ab", "ek", "iv", "om")]


def _nested_multipart(depth: int) -> bytes:
    head = "From: Coach <coach@example.org>\nSubject: nested parts\nMIME-Version: 1.0\n"
    opening = [f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(depth)]
    closing = [f"--b{i}--\n" for i in reversed(range(depth))]
    return (
        head + "".join(opening) + "Content-Type: text/plain\n\ndeep\n" + "".join(closing)
    ).encode()


def _nested_messages(depth: int) -> bytes:
    layers = [
        f"From: layer{i}@example.org\nSubject: layer {i}\nContent-Type: message/rfc822\n\n"
        for i in range(depth)
    ]
    return ("".join(layers) + "From: core@example.org\nSubject: core\n\ncore\n").encode()


# Name -> (bytes, the record's status, its quarantine code)
WORDLESS: dict[str, tuple[Callable[[], bytes], str, str | None]] = {
    "punctuation": (lambda: b"!!!\n", "quarantined", "no_headers"),
    "subject_only": (lambda: b"Subject:\n", "active", None),
    "message_id_only": (lambda: b"Message-ID: <a1.b2@example.org>\n", "active", None),
    "mime_5000_deep": (lambda: _nested_multipart(5000), "quarantined", "unparseable"),
    "rfc822_1000_deep": (lambda: _nested_messages(1000), "quarantined", "unparseable"),
}


def _import_one(archive: Archive, path: Path, raw: bytes) -> dict[str, Any]:
    path.write_bytes(raw)
    doc = archive.ok("import", "--json", str(path)).json()
    [item] = doc["items"]
    assert item["id"] and item["error"] is None
    return dict(item)


@pytest.mark.timeout(30)  # ~1 s: nested 5,000 and 1,000 deep, read in bounded time
def test_messages_without_index_terms_are_archived_shown_and_rederived(
    archive: Archive, tmp_path: Path
) -> None:
    ids = {}
    for name, (make, status, code) in WORDLESS.items():
        item = _import_one(archive, tmp_path / f"{name}.eml", make())
        ids[name] = item["id"]
        view = archive.ok("show", "--json", item["id"]).json()
        assert view["status"] == status, name
        if code is None:
            assert view["quarantine"] is None, name
        else:
            assert view["quarantine"]["code"] == code and view["quarantine"]["reason"], name
        assert archive.ok("show", item["id"]).text  # the text view too
    deep = archive.ok("show", "--json", ids["mime_5000_deep"]).json()
    assert deep["quarantine"]["reason"] == "MIME structure nested too deeply"
    assert deep["subject"] == "nested parts"  # its headers are still read
    doc = archive.ok("rederive", "--json").json()
    assert doc["checked"] == len(WORDLESS) and doc["failed"] == []
    assert archive.ok("search", "--json", "layer").json()["total"] >= 0  # the index still reads
    assert archive.ok("verify", "--json").json()["failed"] == []


def _padded_pdf(n: int) -> bytes:
    """A small real PDF whose words are its own: `WORDS[n]`, and enough filler to make more
    than 40 base64 lines (the parser's placeholders only replace long runs)."""
    filler = [f"line {i} of attachment {n}" for i in range(60)]
    return make_pdf(text_page(f"{WORDS[n]} is in attachment {n}", *filler))


def _thirteen_pdfs() -> tuple[bytes, list[bytes]]:
    pdfs = [_padded_pdf(n) for n in range(13)]
    msg = EmailMessage()
    msg["From"] = "Coach <coach@example.org>"
    msg["To"] = "records@district.example.org"
    msg["Subject"] = "Thirteen forms"
    msg.set_content("All the signed forms.")
    for n, pdf in enumerate(pdfs):
        msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"form{n}.pdf")
    return msg.as_bytes(), pdfs


def _attachments(archive: Archive, rid: str) -> list[tuple[str, int, str]]:
    view = archive.ok("show", "--json", rid).json()
    return [(a["filename"], a["size"], a["sha256"]) for a in view["attachments"]]


def _found(archive: Archive, word: str) -> set[str]:
    return {r["id"] for r in archive.ok("search", "--json", word).json()["results"]}


def _damage(archive: Archive, rid: str) -> None:
    """Seal the metadata and index entry the old parser made: attachments 11-13 with the
    first one's hash and size, and none of their words indexed."""
    settings = load_settings(archive.config)
    db = Store.open(settings.database_url)
    ring = load_keyring(db, settings.keys_dir)
    key_id, index_key = ring.index_key()
    with db.transaction() as tx:
        row = tx.records.get(rid)
        key = data_key(ring, row)
        meta = open_meta(key, row, tx.records.part(rid, META))
        first = meta.attachments[0]
        wrong = [
            replace(a, size=first.size, sha256=first.sha256) if i >= 10 else a
            for i, a in enumerate(meta.attachments)
        ]
        meta = replace(meta, attachments=tuple(wrong))
        tx.records.set_part(rid, META, seal_meta(key, rid, meta))
        doc = blind.for_key(index_key).document(key_id, index_tokens(meta))
        replace_entry(tx, index_entry(ring, rid, doc, row.sent_at))
    db.close()


@pytest.mark.timeout(30)  # ~0.5 s
def test_attachments_past_the_tenth_keep_their_own_metadata_and_words(
    archive: Archive, tmp_path: Path
) -> None:
    raw, pdfs = _thirteen_pdfs()
    rid = _import_one(archive, tmp_path / "forms.eml", raw)["id"]
    right = [
        (f"form{n}.pdf", len(pdf), hashlib.sha256(pdf).hexdigest()) for n, pdf in enumerate(pdfs)
    ]
    assert _attachments(archive, rid) == right
    for n in (10, 11, 12):
        assert _found(archive, WORDS[n]) == {rid}, WORDS[n]

    _damage(archive, rid)  # as an archive made by the old parser holds it
    assert _attachments(archive, rid) != right and _found(archive, WORDS[12]) == set()
    assert archive.ok("rederive", "--json").json()["failed"] == []
    assert _attachments(archive, rid) == right
    for n in (0, 10, 11, 12):
        assert _found(archive, WORDS[n]) == {rid}, WORDS[n]


def _text_part(text: str, name: str | None = None) -> EmailMessage:
    part = EmailMessage()
    part.set_content(text, cte="base64")
    if name:
        part.add_header("Content-Disposition", "attachment", filename=name)
    return part


@pytest.mark.timeout(30)  # ~0.5 s
def test_a_base64_body_after_ten_base64_text_attachments_is_the_body(
    archive: Archive, tmp_path: Path
) -> None:
    rng = random.Random(4)
    msg = EmailMessage()
    msg["From"] = "Coach <coach@example.org>"
    msg["To"] = "records@district.example.org"
    msg["Subject"] = "Notes"
    msg.make_mixed()
    for n in range(10):  # each long enough to be a run of more than 40 base64 lines
        notes = " ".join(f"attachment{n}word{rng.randrange(10**6)}" for _ in range(250))
        msg.attach(_text_part(notes, f"notes{n}.txt"))
    body = "This is the body the teacher wrote. " * 120
    msg.attach(_text_part(body))
    rid = _import_one(archive, tmp_path / "notes.eml", msg.as_bytes())["id"]
    view = archive.ok("show", "--json", rid).json()
    assert view["body"].strip() == body.strip()
    assert [a["filename"] for a in view["attachments"]] == [f"notes{n}.txt" for n in range(10)]
    shown = archive.ok("show", rid).text
    assert "This is the body the teacher wrote." in shown and "attachment0word" not in shown


@pytest.mark.timeout(30)  # ~0.5 s
@pytest.mark.parametrize("header", ["From", "To", "Cc"])
def test_a_malformed_encoded_word_costs_only_its_header(
    archive: Archive, tmp_path: Path, header: str
) -> None:
    roster = tmp_path / "aspen.csv"
    roster.write_text(ASPEN)
    archive.ok("students", "import", str(roster))
    fields = {"From": "Coach <coach@example.org>", "To": "records@example.org", "Cc": ""}
    fields[header] = "=?utf-8?B?A?= <b@e.org>"  # "A" is no base64: the word cannot be decoded
    msg = EmailMessage()
    msg["Subject"] = "Izzy Mendes - ankle"
    msg.set_content("Isabela Mendes rolled her ankle at practice.")
    msg.add_attachment(_padded_pdf(0), maintype="application", subtype="pdf", filename="note.pdf")
    head = "".join(f"{name}: {value}\n" for name, value in fields.items() if value)
    raw = head.encode() + msg.as_bytes()  # the header as sent: EmailMessage would decode it
    rid = _import_one(archive, tmp_path / "bad-header.eml", raw)["id"]
    view = archive.ok("show", "--json", rid).json()
    assert view["status"] == "active"
    assert view["subject"] == "Izzy Mendes - ankle"
    assert "rolled her ankle" in view["body"]
    assert [a["filename"] for a in view["attachments"]] == ["note.pdf"]
    assert [s["id"] for s in view["students"]] == ["102486"]
    assert f"HeaderDefect: {header}: HeaderParseError" in view["defects"]
    people = view[header.lower()]
    assert [p["address"] for p in people] == ["b@e.org"]  # the address is kept
    assert _found(archive, WORDS[0]) == {rid}  # the attachment's words
