"""Issue 14: the image attachments of a redacted record are released or withheld by decision
(`redact attachment`), withheld by default; a released image is produced as its original
bytes and still read by the release gate. Both databases, a fixed clock."""

from __future__ import annotations

import email
import json
import struct
import zlib
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from archiver.cli.context import Context
from archiver.clock import FixedClock
from tests.conftest import Archive, make_archive

OFFICER = """
[requests]
district_name = "Milton Public Schools"
officer_name = "Dana Reyes"
officer_contact = "25 Gile Road, Milton MA 02186"
"""
ROSTER = (
    "student_id,first_name,last_name,preferred_name,email,grade,enrollment_status,exit_date\n"
    "104233,Liam,Doherty,,ldoherty28@students.milton.k12.example.org,7,active,\n"
)
NAME = "Liam Doherty"
NOW = datetime(2026, 4, 16, 12, 0, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
# A JPEG's first and last markers around some bytes: what the export copies, never decodes.
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + bytes(range(64))
    + b"\xff\xd9"
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(comment: str | None = None) -> bytes:
    """A 1x1 PNG; with `comment`, a tEXt chunk (plain Latin-1 text) holding it."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    chunks = [_chunk(b"IHDR", header)]
    if comment is not None:
        chunks.append(_chunk(b"tEXt", b"Comment\0" + comment.encode("latin-1")))
    chunks += [_chunk(b"IDAT", zlib.compress(b"\0\xff\x80\x00")), _chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    fixed = FixedClock(NOW)
    monkeypatch.setattr(Context, "clock", fixed)
    return fixed


@pytest.fixture
def archive(tmp_path: Path, database_url: str) -> Archive:
    archive = make_archive(tmp_path / "archive", database_url, OFFICER)
    (tmp_path / "roster.csv").write_text(ROSTER)
    archive.ok("students", "import", str(tmp_path / "roster.csv"))
    return archive


def _record(archive: Archive, tmp_path: Path, png: bytes, n: int = 1) -> str:
    """A record naming Liam with, as `show` numbers them: 1 a PNG, 2 a JPEG, 3 a PDF, 4 a
    CSV file, 5 an attached message."""
    msg = EmailMessage()
    msg["From"] = "Maria Ruiz <mruiz@milton.k12.example.org>"
    msg["To"] = "records-archive@milton.k12.example.org"
    msg["Subject"] = f"Field trip photos {n}"
    msg["Date"] = "Tue, 14 Oct 2025 07:52:11 -0400"
    msg["Message-ID"] = f"<photos-{n}@milton.k12.example.org>"
    msg.set_content(f"Photos of {NAME} at the aquarium, and his permission slip.")
    msg.add_attachment(png, maintype="image", subtype="png", filename="aquarium.png")
    msg.add_attachment(JPEG, maintype="image", subtype="jpeg", filename="bus.jpg")
    msg.add_attachment(b"%PDF-1.4\nnot a PDF", maintype="application", subtype="pdf",
                       filename="slip.pdf")  # fmt: skip
    msg.add_attachment(b"name,grade\n", maintype="text", subtype="csv", filename="list.csv")
    inner = EmailMessage()
    inner["From"] = "Office <office@milton.k12.example.org>"
    inner["Subject"] = "Bus times"
    inner.set_content("The bus leaves at 8.")
    msg.add_attachment(inner)
    path = tmp_path / f"photos-{n}.eml"
    path.write_bytes(msg.as_bytes())
    rid = archive.ok("import", "--json", str(path)).json()["items"][0]["id"]
    assert isinstance(rid, str)
    return rid


def _redacted(archive: Archive, tmp_path: Path, png: bytes) -> tuple[str, str]:
    """A public request with the record in it, decided redact (its student's name)."""
    rid = _record(archive, tmp_path, png)
    number = archive.ok(
        "request", "open", "--kind", "public", "--requester", "Jo Reporter",
        "--received", "2026-04-15 10:00", "--json",
    ).json()["number"]  # fmt: skip
    archive.ok("request", "add", number, rid)
    archive.ok("redact", "add", number, rid, "--text", NAME, "--exemption", "26a:ferpa")
    return number, rid


def _withheld(bag: Path, rid: str) -> dict[int, dict[str, str]]:
    records = json.loads((bag / "manifest.json").read_text())["records"]
    [record] = [r for r in records if r["id"] == rid]
    return {w["attachment"]: w for w in record["withheld_parts"]}


def test_images_are_withheld_until_one_is_released(archive: Archive, tmp_path: Path) -> None:
    png = _png()
    number, rid = _redacted(archive, tmp_path, png)
    shown = archive.ok("show", "--json", rid).json()["attachments"]
    assert [a["content_type"] for a in shown][:2] == ["image/png", "image/jpeg"]
    before = tmp_path / "before"
    archive.ok("export", "--request", number, str(before))
    parts = _withheld(before, rid)
    assert parts[1]["media_type"] == "image/png" and parts[2]["media_type"] == "image/jpeg"
    assert "an image cannot be redacted" in parts[1]["reason"]
    assert not (before / "data" / "records" / rid).exists()  # the PDF is no PDF: withheld too

    decided = archive.ok(
        "redact", "attachment", number, rid, "1", "release", "--json", "--actor", "Dana Reyes"
    ).json()
    assert decided == {
        "request": number,
        "record": rid,
        "attachment": 1,
        "decision": "release",
        "decided_by": "Dana Reyes",
        "decided_at": NOW.isoformat(),
        "name": "aquarium.png",
        "content_type": "image/png",
        "size": len(png),
    }
    after = tmp_path / "after"
    archive.ok("export", "--request", number, str(after))
    produced = after / "data" / "records" / rid / "attachment-1.png"
    assert produced.read_bytes() == png  # the original bytes
    assert sorted(p.name for p in (after / "data" / "records" / rid).iterdir()) == [
        "attachment-1.png"
    ]
    parts = _withheld(after, rid)
    assert 1 not in parts and parts[2]["media_type"] == "image/jpeg"
    [record] = json.loads((after / "manifest.json").read_text())["records"]
    assert f"data/records/{rid}/attachment-1.png" in [f["path"] for f in record["files"]]
    eml = email.message_from_bytes((after / "data" / "records" / f"{rid}.eml").read_bytes())
    images = [p for p in eml.walk() if p.get_content_maintype() == "image"]
    assert [(p.get_content_type(), p.get_filename()) for p in images] == [
        ("image/png", "aquarium.png")
    ]
    assert images[0].get_payload(decode=True) == png
    letter = " ".join((after / "response-letter.txt").read_text().split())
    assert f"Record {rid}, attachment 2 (image/jpeg)" in letter
    assert f"Record {rid}, attachment 1 " not in letter
    assert archive.cli("export", "verify", str(after)).code == 0

    listed = archive.ok("redact", "list", number, "--json").json()
    assert listed["attachments"] == [
        {
            "record": rid,
            "attachment": 1,
            "decision": "release",
            "decided_by": "Dana Reyes",
            "decided_at": NOW.isoformat(),
        }
    ]
    assert [r["text"] for r in listed["redactions"]] == [NAME]
    text = archive.ok("redact", "list", number, rid).text
    assert f"{rid[:12]}           1  release" in text and "Dana Reyes" in text
    events = archive.ok("audit", "log", "--action", "redact.attachment", "--json").json()
    [event] = events["events"]
    assert event["target"] == rid and event["actor"] == "Dana Reyes"
    assert event["details"] == {"request": number, "attachment": 1, "decision": "release"}

    said = archive.ok("redact", "attachment", number, rid, "1", "withhold").text
    assert f"attachment 1 aquarium.png (image/png, {len(png)} bytes): withheld" in said
    again = archive.ok("redact", "list", number, "--json").json()["attachments"]
    assert [(d["attachment"], d["decision"]) for d in again] == [(1, "withhold")]


def test_a_released_image_holding_a_redacted_name_stops_the_export(
    archive: Archive, tmp_path: Path
) -> None:
    number, rid = _redacted(archive, tmp_path, _png(f"Photo of {NAME}, grade 7"))
    withheld = tmp_path / "withheld"
    archive.ok("export", "--request", number, str(withheld))  # withheld: nothing to read
    archive.ok("redact", "attachment", number, rid, "1", "release")
    for target in (tmp_path / "released", tmp_path / "released.zip"):
        result = archive.cli("export", "--request", number, str(target))
        assert result.code == 3, result.err
        assert f"data/records/{rid}/attachment-1.png" in result.err and NAME not in result.err
        assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".released", "released"))]


def test_bad_attachment_decisions_are_one_clear_error(archive: Archive, tmp_path: Path) -> None:
    number, rid = _redacted(archive, tmp_path, _png())
    other = _record(archive, tmp_path, _png(), 2)
    cases = [
        ((number, rid, "3", "release"), "not an image (application/pdf): a PDF is rasterised"),
        ((number, rid, "4", "release"), "(text/csv): a file of this kind cannot be redacted"),
        ((number, rid, "5", "release"), "an attached message is produced as its redacted text"),
        ((number, rid, "6", "release"), f"record {rid} has no attachment 6: it has 5"),
        ((number, rid, "0", "withhold"), "has no attachment 0: it has 5, numbered 1 to 5"),
        ((number, other, "1", "release"), f"record {other} is not in request {number}"),
        (("PRR-2026-0999", rid, "1", "release"), "no request PRR-2026-0999"),
        ((number, "zz", "1", "release"), "not a record id"),
    ]
    for args, says in cases:
        result = archive.cli("redact", "attachment", *args)
        assert result.code == 2, (args, result.code, result.err)
        assert says in result.err, (args, result.err)
        assert result.err.startswith("error: ") and result.err.count("\n") == 1, result.err
    archive.ok("request", "add", number, other)
    undecided = archive.cli("redact", "attachment", number, other, "1", "release")
    assert undecided.code == 2 and "is not decided in request" in undecided.err
    archive.ok("request", "decide", number, other, "release")
    released = archive.cli("redact", "attachment", number, other, "1", "release")
    assert released.code == 2 and "decided 'release'" in released.err
    assert "only the image attachments of a record decided redact" in released.err
    bad = archive.cli("redact", "attachment", number, rid, "1", "publish")
    assert bad.code == 2
    assert archive.ok("redact", "list", number, "--json").json()["attachments"] == []
    archive.ok("request", "close", number, "--outcome", "produced")
    closed = archive.cli("redact", "attachment", number, rid, "1", "release")
    assert closed.code == 2 and "is closed" in closed.err
    assert archive.ok("redact", "list", number, "--json").json()["attachments"] == []


def test_a_decision_changed_outside_the_archiver_is_detected(
    archive: Archive, tmp_path: Path
) -> None:
    from sqlalchemy import create_engine, update

    from archiver.store.tables import attachment_decision

    number, rid = _redacted(archive, tmp_path, _png())
    archive.ok("redact", "attachment", number, rid, "2", "withhold")
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:  # the withheld photo made "release" behind the officer's back
        conn.execute(update(attachment_decision).values(decision="release"))
    engine.dispose()
    listed = archive.cli("redact", "list", number)
    assert listed.code == 3 and "decision does not match" in listed.err
    assert f"attachment 2 of record {rid} in request {number}" in listed.err
    exported = archive.cli("export", "--request", number, str(tmp_path / "bundle"))
    assert exported.code == 3 and "decision does not match" in exported.err
    assert not (tmp_path / "bundle").exists()
    redecided = archive.cli("redact", "attachment", number, rid, "2", "withhold")
    assert redecided.code == 3  # not overwritten: the tampering stays for someone to see
