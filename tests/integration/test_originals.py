"""Forwarded originals in records, and re-deriving them for an existing archive."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from sqlalchemy import create_engine, select, update

from archiver.archive.keys import load_keyring
from archiver.crypto.sealing import META, data_key, open_meta, seal_meta
from archiver.domain import RecordMeta
from archiver.settings import load_settings
from archiver.store.db import Store
from archiver.store.tables import audit_event, sealed_part
from tests.conftest import Archive

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _imported(archive: Archive) -> dict[str, str]:
    doc = archive.ok("import", "--json", *sorted(str(p) for p in EXAMPLES.glob("*.eml"))).json()
    return {Path(i["path"]).name: i["id"] for i in doc["items"]}


def test_each_kind_of_forward_gives_its_original(archive: Archive) -> None:
    ids = _imported(archive)
    archive.ok("students", "import", str(EXAMPLES / "students.csv"))

    def view(name: str) -> dict[str, object]:
        doc = archive.ok("show", "--json", ids[name]).json()
        assert isinstance(doc, dict)
        return doc

    gmail = view("01-gmail-inline-absence.eml")
    original = gmail["original"]
    assert isinstance(original, dict)
    assert original["provenance"] == "reconstructed"
    assert original["from"] == {"name": "Patricia Doherty", "address": "pdoherty74@gmail.example"}
    assert original["subject"] == "Liam out Thursday and Friday"
    assert original["date"] == "2025-10-14T01:47:00+00:00"  # "Mon, Oct 13, 2025 at 9:47 PM"
    assert gmail["sent_at"] == original["date"]
    assert gmail["forwarder"] == {
        "name": "Rachel Okafor",
        "address": "rachel.okafor.teach@gmail.example",
    }
    assert str(gmail["note"]).startswith("Forwarding for the record")

    attached = view("04-forward-as-attachment-complaint.eml")["original"]
    assert isinstance(attached, dict) and attached["provenance"] == "headers"
    auto = view("11-gmail-auto-forward-filter.eml")
    assert isinstance(auto["original"], dict) and auto["original"]["provenance"] == "none"
    plain = view("08-not-a-forward-phone-log.eml")
    assert isinstance(plain["original"], dict) and plain["original"]["provenance"] == "none"
    spanish = view("05-spanish-gmail-forward.eml")["original"]
    assert isinstance(spanish, dict) and spanish["provenance"] == "reconstructed"

    students = view("07-outlook-web-students-line.eml")["students"]
    assert isinstance(students, list) and len(students) == 2
    assert {s["source"] for s in students} == {"explicit"}


def test_rederive_fills_in_records_archived_before_forwards_were_understood(
    archive: Archive,
) -> None:
    ids = _imported(archive)
    rid = ids["01-gmail-inline-absence.eml"]
    raw_before = archive.ok("show", "--raw", rid).out
    settings = load_settings(archive.config)
    db = Store.open(settings.database_url)
    ring = load_keyring(db, settings.keys_dir)
    with db.transaction() as tx:  # make it look like a record from the first release
        row = tx.records.get(rid)
        old_meta = RecordMeta.from_json(
            {"subject": "Fwd: Liam out Thursday and Friday", "sender": [], "to": []}
        )
        assert old_meta.originals is None and old_meta.body is None
        tx.records.set_part(rid, META, seal_meta(data_key(ring, row), rid, old_meta))
    db.close()
    assert archive.ok("show", "--json", rid).json()["original"]["provenance"] is None
    doc = archive.ok("rederive", "--json").json()
    assert doc["checked"] == len(ids) and doc["failed"] == []
    view = archive.ok("show", "--json", rid).json()
    assert view["original"]["provenance"] == "reconstructed"
    assert view["original"]["from"]["address"] == "pdoherty74@gmail.example"
    assert archive.ok("show", "--raw", rid).out == raw_before  # the record never changes
    assert archive.ok("verify", "--json").json()["failed"] == []
    assert archive.ok("audit", "verify", "--json").json()["ok"]


def test_rederive_names_records_it_cannot_open(archive: Archive) -> None:
    ids = _imported(archive)
    victim = ids["03-apple-iphone-forward.eml"]
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:
        data = conn.execute(
            select(sealed_part.c.data).where(
                sealed_part.c.record_id == victim, sealed_part.c.part == "raw"
            )
        ).scalar_one()
        conn.execute(
            update(sealed_part)
            .where(sealed_part.c.record_id == victim, sealed_part.c.part == "raw")
            .values(data=data[:-1] + bytes([data[-1] ^ 1]))
        )
    engine.dispose()
    result = archive.cli("rederive", "--json")
    assert result.code == 3 and result.json()["failed"] == [victim]


def _message(
    sender: str, subject: str, body: str, attached: tuple[tuple[str, str, bytes], ...] = ()
) -> bytes:
    """A message with `attached` parts: (filename, content type, bytes); message/rfc822 parts
    are attached as they are, others base64-encoded."""
    boundary = f"b-{abs(hash(subject)):x}"
    head = (
        f"From: {sender}\nTo: Pat Rivera <pat@district.example>\nCc: cc@district.example\n"
        f"Date: Mon, 13 Oct 2025 09:47:00 -0400\nSubject: {subject}\nMIME-Version: 1.0\n"
    )
    if not attached:
        return f"{head}Content-Type: text/plain; charset=utf-8\n\n{body}\n".encode()
    out = f'{head}Content-Type: multipart/mixed; boundary="{boundary}"\n\n'.encode()
    out += f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n\n{body}\n".encode()
    for name, ctype, data in attached:
        out += f"--{boundary}\nContent-Type: {ctype}\n".encode()
        out += f'Content-Disposition: attachment; filename="{name}"\n'.encode()
        if ctype == "message/rfc822":
            out += b"\n" + data + b"\n"
        else:
            out += b"Content-Transfer-Encoding: base64\n\n"
            out += base64.encodebytes(data)
    return out + f"--{boundary}--\n".encode()


INNERMOST = _message("Gran Doe <gran@home.example>", "First complaint", "Innermost body text.")
REPORT = b"%PDF-1.4 not really a pdf\n" * 7
MIDDLE = _message(
    "Parent Doe <parent@home.example>",
    "Second complaint",
    "Middle body text.",
    (("report.pdf", "application/pdf", REPORT), ("first.eml", "message/rfc822", INNERMOST)),
)
OUTER = _message(
    "Teacher <teacher@district.example>",
    "Fwd: Second complaint",
    "Teacher's note.",
    (("second.eml", "message/rfc822", MIDDLE), ("notes.txt", "text/plain", b"a\x00b\n")),
)


def test_text_view_prints_every_attached_original_outermost_first(
    archive: Archive, tmp_path: Path
) -> None:
    path = tmp_path / "chain.eml"
    path.write_bytes(OUTER)
    rid = archive.ok("import", "--json", str(path)).json()["items"][0]["id"]
    text = archive.ok("show", rid).text
    note, middle, inner = (
        text.index("Teacher's note."),
        text.index("Middle body text."),
        text.index("Innermost body text."),
    )
    assert note < middle < inner
    first = text.index("From: Parent Doe <parent@home.example>")
    assert note < first < text.index("Subject: Second complaint") < middle
    assert text.index("Cc: cc@district.example", first) < middle
    second = text.index("From: Gran Doe <gran@home.example>")
    assert middle < second < text.index("Subject: First complaint") < inner


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _show_events(archive: Archive) -> list[tuple[str, dict[str, object]]]:
    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_event.c.target, audit_event.c.details)
            .where(audit_event.c.action == "show")
            .order_by(audit_event.c.seq)
        ).all()
    engine.dispose()
    return [(str(t), json.loads(d)) for t, d in rows]


def test_attachments_are_listed_with_real_sizes_and_saved_exactly(
    archive: Archive, tmp_path: Path
) -> None:
    path = tmp_path / "chain.eml"
    path.write_bytes(OUTER)
    rid = archive.ok("import", "--json", str(path)).json()["items"][0]["id"]
    expected = [
        (1, "second.eml", "message/rfc822", MIDDLE, None),
        (2, "notes.txt", "text/plain", b"a\x00b\n", None),
        (3, "report.pdf", "application/pdf", REPORT, 1),
        (4, "first.eml", "message/rfc822", INNERMOST, 1),
    ]
    view = archive.ok("show", "--json", rid).json()
    assert [
        (a["index"], a["filename"], a["content_type"], a["size"], a["sha256"], a["original"])
        for a in view["all_attachments"]
    ] == [(k, n, t, len(d), _sha(d), o) for k, n, t, d, o in expected]
    assert [a["index"] for a in view["attachments"]] == [1, 2]
    assert [a["index"] for a in view["chain"][0]["attachments"]] == [3, 4]
    text = archive.ok("show", rid).text
    for k, name, ctype, data, _o in expected:
        assert f"{k}. {name} ({ctype}, " in text and _sha(data) in text
    assert f"first.eml (message/rfc822, {len(INNERMOST)} bytes, in original 1)" in text

    for k, _n, _t, data, _o in expected:
        assert archive.ok("show", rid, "--attachment", str(k)).out == data
    missing = archive.cli("show", rid, "--attachment", "5")
    assert missing.code == 2 and "attachments 1-4" in missing.err and not missing.out

    folder = tmp_path / "saved"
    archive.ok("show", rid, "--save-attachments", str(folder))
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {
        n: d for _k, n, _t, d, _o in expected
    }
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_bytes(b"mine")
    again = archive.cli("show", rid, "--save-attachments", str(other))
    assert again.code == 2 and "notes.txt exists" in again.err
    assert [(p.name, p.read_bytes()) for p in other.iterdir()] == [("notes.txt", b"mine")]

    events = _show_events(archive)
    assert (rid, {"view": "attachments", "attachments": [3]}) in events
    assert (rid, {"view": "attachments", "attachments": [1, 2, 3, 4]}) in events
    assert not any(e[1].get("attachments") == [5] for e in events)  # refused: nothing read
    archive.ok("audit", "verify")


def test_saved_attachments_stay_in_their_directory(archive: Archive, tmp_path: Path) -> None:
    hostile = _message(
        "Someone <someone@home.example>",
        "Files",
        "See attached.",
        (
            ("../../escape.txt", "text/plain", b"one"),
            ("..", "text/plain", b"two"),
            ("/etc/passwd", "text/plain", b"three"),
            ("escape.txt", "text/plain", b"four"),
        ),
    )
    path = tmp_path / "hostile.eml"
    path.write_bytes(hostile)
    rid = archive.ok("import", "--json", str(path)).json()["items"][0]["id"]
    folder = tmp_path / "deep" / "saved"
    archive.ok("show", rid, "--save-attachments", str(folder))
    saved = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert sorted(saved.values()) == [b"four", b"one", b"three", b"two"]
    assert all("/" not in n and not n.startswith(".") for n in saved)
    assert {
        p.parent for p in tmp_path.rglob("*") if p.is_file() and p.read_bytes() in saved.values()
    } == {folder}


def test_records_sealed_with_wrong_attached_message_sizes_list_and_give_the_real_ones(
    archive: Archive, tmp_path: Path
) -> None:
    """Records sealed before attached messages had their real size and a SHA-256 list them
    right, and give their bytes, before `rederive`; `rederive` seals them."""
    path = tmp_path / "chain.eml"
    path.write_bytes(OUTER)
    rid = archive.ok("import", "--json", str(path)).json()["items"][0]["id"]
    settings = load_settings(archive.config)
    db = Store.open(settings.database_url)
    ring = load_keyring(db, settings.keys_dir)
    with db.transaction() as tx:  # as the parser sealed them before: parts' lengths, no hash
        row = tx.records.get(rid)
        key = data_key(ring, row)
        doc = open_meta(key, row, tx.records.part(rid, META)).to_json()
        doc["attachments"][0].update(size=83, sha256="")
        doc["originals"][0]["attachments"][1].update(size=12, sha256="")
        tx.records.set_part(rid, META, seal_meta(key, rid, RecordMeta.from_json(doc)))
    db.close()
    for _ in range(2):
        listed = archive.ok("show", "--json", rid).json()["all_attachments"]
        assert [(a["size"], a["sha256"]) for a in listed if a["content_type"] != "text/plain"] == [
            (len(MIDDLE), _sha(MIDDLE)),
            (len(REPORT), _sha(REPORT)),
            (len(INNERMOST), _sha(INNERMOST)),
        ]
        assert archive.ok("show", rid, "--attachment", "4").out == INNERMOST
        assert (
            f"second.eml (message/rfc822, {_size_text(len(MIDDLE))}" in archive.ok("show", rid).text
        )
        archive.ok("rederive")


def _size_text(n: int) -> str:
    return f"{n} bytes" if n < 1024 else f"{n / 1024:.1f} KB"
