"""Issue 14: redacted production and the release gate. Records decided `redact` are produced
from their redacted text only; no produced file holds a redacted string, however it is read;
a rendering that leaks one stops the export. Both databases, a fixed clock."""

from __future__ import annotations

import email
import email.header
import io
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader, PdfWriter

from archiver.cli.context import Context
from archiver.clock import FixedClock
from archiver.render.document import Document, Paragraph
from archiver.render.pdf import render_pdf
from archiver.understand.redact_text import normalise
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
    "104300,Emma,Walsh,,ewalsh28@students.milton.k12.example.org,7,active,\n"
)
STAFF = (
    "staff_id,first_name,last_name,email,personal_email,title\n"
    "E1,Maria,Ruiz,mruiz@milton.k12.example.org,maria.ruiz.home@yahoo.example,Teacher\n"
)
NAME = "Liam Doherty"
HOME = "maria.ruiz.home@yahoo.example"
NOW = datetime(2026, 4, 16, 12, 0, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
PDFTOTEXT = shutil.which("pdftotext")


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    fixed = FixedClock(NOW)
    monkeypatch.setattr(Context, "clock", fixed)
    return fixed


@pytest.fixture
def archive(tmp_path: Path, database_url: str) -> Archive:
    archive = make_archive(tmp_path / "archive", database_url, OFFICER)
    (tmp_path / "roster.csv").write_text(ROSTER)
    (tmp_path / "staff.csv").write_text(STAFF)
    archive.ok("students", "import", str(tmp_path / "roster.csv"))
    archive.ok("staff", "import", str(tmp_path / "staff.csv"))
    return archive


def _message(n: int, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Maria Ruiz <mruiz@milton.k12.example.org>"
    msg["To"] = "records-archive@milton.k12.example.org"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 14 Oct 2025 07:52:11 -0400"
    msg["Message-ID"] = f"<m-{n}@milton.k12.example.org>"
    return msg


def _import(archive: Archive, tmp_path: Path, n: int, msg: EmailMessage) -> str:
    path = tmp_path / f"m{n}.eml"
    path.write_bytes(msg.as_bytes())
    rid = archive.ok("import", "--json", str(path)).json()["items"][0]["id"]
    assert isinstance(rid, str)
    return rid


def _report_pdf() -> bytes:
    doc = Document(
        "Incident report",
        (Paragraph(f"{NAME} left the playground at 10:40. Parent contact: {HOME}."),),
        "report",
        NOW,
    )
    return render_pdf(doc)


def _three(archive: Archive, tmp_path: Path) -> list[str]:
    """(a) a plain record, (b) an HTML one with the name split by a tag, (c) a forward with
    the original attached, holding a PDF that names the student."""
    plain = _message(1, f"Bus incident: {NAME}")
    plain.set_content(f"{NAME} missed the bus again.\nWrite to me at {HOME} tonight.\n")
    html = _message(2, "Late arrival")
    html.set_content(f"<p>Liam <b>Doherty</b> was late.</p><p>Home: {HOME}</p>", subtype="html")
    inner = _message(3, "Playground report")
    inner.set_content("The report is attached.")
    inner.add_attachment(_report_pdf(), maintype="application", subtype="pdf", filename="r.pdf")
    outer = _message(4, "Fwd: Playground report")
    outer.set_content("For the file.")
    outer.add_attachment(inner)
    return [_import(archive, tmp_path, n, m) for n, m in enumerate((plain, html, outer), 1)]


def _open(archive: Archive, *more: str) -> str:
    number = archive.ok(
        "request", "open", "--received", "2026-04-15 10:00", "--json", *more
    ).json()["number"]
    assert isinstance(number, str)
    return number


def _redact(archive: Archive, number: str, rid: str, text: str, code: str) -> None:
    archive.ok("request", "add", number, rid)
    archive.ok("redact", "add", number, rid, "--text", text, "--exemption", code)


def _pdf_texts(data: bytes) -> list[str]:
    """A PDF's text by pypdf and pdftotext, its metadata and XMP, and its embedded files'."""
    reader = PdfReader(io.BytesIO(data))
    out = [p.extract_text() or "" for p in reader.pages]
    out += [str(v) for v in (reader.metadata or {}).values()]
    xmp = reader.xmp_metadata
    if xmp is not None:
        out.append(xmp.stream.get_data().decode("utf-8", "replace"))
    if PDFTOTEXT:
        done = subprocess.run(
            [PDFTOTEXT, "-q", "-", "-"], input=data, capture_output=True, check=True
        )
        out.append(done.stdout.decode())
    for name, contents in reader.attachments.items():
        out.append(name)
        for content in contents:
            out += _file_texts(name, content)
    return out


def _eml_texts(data: bytes) -> list[str]:
    out = []
    for part in email.message_from_bytes(data).walk():
        out += [str(email.header.make_header(email.header.decode_header(v))) for v in part.values()]
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        if part.get_content_type() == "application/pdf":
            out += _pdf_texts(payload)
        elif part.get_content_maintype() == "text":
            out.append(payload.decode(part.get_content_charset() or "utf-8"))
    return out


def _file_texts(name: str, data: bytes) -> list[str]:
    if name.endswith(".pdf"):
        return [name, *_pdf_texts(data)]
    if name.endswith(".eml"):
        return [name, *_eml_texts(data)]
    if name.endswith(".mbox"):
        chunks = data.split(b"\nFrom ")
        return [name, *(t for c in chunks for t in _eml_texts(c.partition(b"\n")[2]))]
    return [name, data.decode("utf-8", "replace")]


def _every_text(bag: Path) -> str:
    texts = []
    for path in sorted((bag / "data").rglob("*")):
        if path.is_file():
            texts += _file_texts(path.name, path.read_bytes())
    return normalise("\n".join(texts))


def test_redacted_records_hold_no_redacted_string_however_read(
    archive: Archive, tmp_path: Path
) -> None:
    ids = _three(archive, tmp_path)
    number = _open(archive, "--kind", "public", "--requester", "Jo Reporter")
    for rid in ids:
        _redact(archive, number, rid, NAME, "26a:ferpa")
        _redact(archive, number, rid, HOME, "10B")
    out = tmp_path / "bundle"
    doc = archive.ok("export", "--request", number, str(out), "--json").json()
    # each: an EML and a rendering; the forward's PDF rasterised; the mbox
    assert doc == {"path": str(out), "records": 3, "files": 8}
    everything = _every_text(out)
    assert normalise(NAME) not in everything and normalise(HOME) not in everything
    assert "doherty" not in everything and "[redacted 26a]" in everything
    plain, html, forward = ids
    for rid in ids:
        rendering = out / "data" / "records" / f"{rid}.pdf"
        assert PdfReader(rendering).attachments == {}  # never the original
        assert "[REDACTED 26a]" in " ".join(_pdf_texts(rendering.read_bytes()))
        eml = email.message_from_bytes((out / "data" / "records" / f"{rid}.eml").read_bytes())
        assert eml["X-Archiver-Record"] == rid
    body = " ".join(_eml_texts((out / "data" / "records" / f"{plain}.eml").read_bytes()))
    assert "[REDACTED 26a] missed the bus again" in body and "[REDACTED 10B]" in body
    # attachment 1 is the attached message (its text is in the rendering), 2 its PDF
    raster = out / "data" / "records" / forward / "attachment-2.pdf"
    assert PdfReader(raster).pages[0].extract_text().strip() == ""  # pictures only
    manifest = json.loads((out / "manifest.json").read_text())
    by_id = {r["id"]: r for r in manifest["records"]}
    assert by_id[forward]["decision"] == "redact"
    assert sorted(by_id[forward]["exemptions"]) == ["10B", "26a:ferpa"]
    assert f"data/records/{forward}/attachment-2.pdf" in [
        f["path"] for f in by_id[forward]["files"]
    ]
    assert all(r["withheld_parts"] == [] for r in manifest["records"])
    # a disclosure: each record in Liam's access log, for the request
    log = archive.ok("students", "access-log", "--json", "104233").json()["entries"]
    exported = {r for e in log if e["action"] == "exported" for r in e["records"]}
    tagged = archive.ok("search", "--student", "104233", "--json").json()["results"]
    assert exported == {r["id"] for r in tagged} and len(exported) >= 2
    assert {e["purpose"] for e in log if e["action"] == "exported"} == {number}
    assert archive.cli("export", "verify", str(out)).code == 0
    data = bytearray((out / "data" / "records" / f"{html}.pdf").read_bytes())
    data[100] ^= 1
    (out / "data" / "records" / f"{html}.pdf").write_bytes(bytes(data))
    broken = archive.cli("export", "verify", str(out))
    assert broken.code == 3 and f"data/records/{html}.pdf" in broken.err


def test_a_parents_request_keeps_their_childs_name_and_removes_anothers(
    archive: Archive, tmp_path: Path
) -> None:
    msg = _message(1, "Recess")
    msg.set_content("Emma Walsh and Liam Doherty argued at recess. Emma apologised.\n")
    rid = _import(archive, tmp_path, 1, msg)
    number = _open(archive, "--kind", "student", "--requester", "Ann Walsh", "--student", "104300")
    archive.ok("request", "add", number, rid)
    suggested = archive.ok("redact", "suggest", number, "--json").json()
    texts = {s["text"] for s in suggested["redactions"]}
    assert NAME in texts and not any("Emma" in t or "Walsh" in t for t in texts)
    for s in suggested["redactions"]:
        archive.ok("redact", "accept", number, str(s["id"]))
    out = tmp_path / "bundle"
    archive.ok("export", "--request", number, str(out))
    everything = _every_text(out)
    assert "emma walsh and [redacted 26a] argued" in everything
    assert "doherty" not in everything


def test_the_gate_stops_a_rendering_that_leaks_and_writes_nothing(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _three(archive, tmp_path)
    number = _open(archive, "--kind", "public", "--requester", "Jo Reporter")
    _redact(archive, number, ids[1], NAME, "26a:ferpa")
    from archiver.records import production
    from archiver.records.redaction import Redactor

    class Leaky(Redactor):  # a bug that forgets a name
        def __call__(self, text: str) -> str:
            return text

    monkeypatch.setattr(production, "Redactor", Leaky)
    out = tmp_path / "bundle"
    for target in (out, tmp_path / "bundle.zip"):
        result = archive.cli("export", "--request", number, str(target))
        assert result.code == 3, result.err
        assert f"record {ids[1]}'s redacted text" in result.err
        assert f"data/records/{ids[1]}" in result.err and NAME not in result.err
        assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bundle")]
    assert archive.ok("audit", "log", "--action", "export", "--json").json()["events"] == []


def test_the_gate_reads_pdf_metadata_and_a_name_released_elsewhere(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _three(archive, tmp_path)
    number = _open(archive, "--kind", "public", "--requester", "Jo Reporter")
    archive.ok("request", "add", number, *ids)
    archive.ok("request", "decide", number, ids[0], "release")  # names Liam in full
    _redact(archive, number, ids[1], NAME, "26a:ferpa")
    archive.ok("request", "decide", number, ids[2], "withhold", "--exemption", "26a:ferpa")
    result = archive.cli("export", "--request", number, str(tmp_path / "b1"))
    assert result.code == 3 and f"data/records/{ids[0]}" in result.err
    assert not (tmp_path / "b1").exists()
    # a leak in a rendering's metadata only, or in a file embedded in it
    archive.ok("request", "decide", number, ids[0], "withhold", "--exemption", "26a:ferpa")
    from archiver.records import production

    real = production.record_pdf  # type: ignore[attr-defined]

    def titled(*args: Any, **kwargs: Any) -> bytes:
        writer = PdfWriter(clone_from=io.BytesIO(real(*args, **kwargs)))
        writer.add_metadata({"/Title": f"About {NAME}"})
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    def embedding(*args: Any, **kwargs: Any) -> bytes:
        writer = PdfWriter(clone_from=io.BytesIO(real(*args, **kwargs)))
        writer.add_attachment("notes.txt", f"Notes on {NAME}".encode())
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    for n, (leak, where) in enumerate(
        ((titled, "PDF metadata /Title"), (embedding, "embedded file notes.txt")), start=2
    ):
        monkeypatch.setattr(production, "record_pdf", leak)
        result = archive.cli("export", "--request", number, str(tmp_path / f"b{n}"))
        assert result.code == 3 and where in result.err, result.err
        assert f"data/records/{ids[1]}" in result.err
        assert not (tmp_path / f"b{n}").exists()


def test_attachments_that_cannot_be_redacted_are_withheld_and_said_so(
    archive: Archive, tmp_path: Path
) -> None:
    msg = _message(1, "Field trip")
    msg.set_content(f"{NAME}'s permission slip and photo are attached.")
    msg.add_attachment(b"%PDF-1.4\nnot really a PDF", maintype="application", subtype="pdf",
                       filename="slip.pdf")  # fmt: skip
    msg.add_attachment(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", filename="p.png")
    rid = _import(archive, tmp_path, 1, msg)
    number = _open(archive, "--kind", "public", "--requester", "Jo Reporter")
    _redact(archive, number, rid, NAME, "26a:ferpa")
    out = tmp_path / "bundle"
    archive.ok("export", "--request", number, str(out))
    [record] = json.loads((out / "manifest.json").read_text())["records"]
    parts = {w["attachment"]: w for w in record["withheld_parts"]}
    assert sorted(parts) == [1, 2] and "cannot be redacted" in parts[1]["reason"]
    assert parts[2]["media_type"] == "image/png" and "image" in parts[2]["reason"]
    assert sorted(p.name for p in (out / "data" / "records").iterdir()) == [
        f"{rid}.eml",
        f"{rid}.pdf",
    ]
    letter = " ".join((out / "response-letter.txt").read_text().split())
    assert "Parts of redacted records not produced" in letter
    assert f"Record {rid}, attachment 1 (application/pdf): cannot be redacted" in letter
    csv_text = (out / "manifest.csv").read_text()
    assert "attachment 2 not produced: an image cannot be redacted" in csv_text
    assert "[REDACTED 26a]'s permission slip" in _every_text(out).replace(
        "[redacted 26a]", "[REDACTED 26a]"
    )


def test_the_bundle_is_the_same_bytes_made_by_workers_or_by_one_process(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _three(archive, tmp_path)
    other = _message(5, "Lunch menu")
    other.set_content("Pizza on Friday.")
    ids.append(_import(archive, tmp_path, 5, other))
    number = _open(archive, "--kind", "public", "--requester", "Jo Reporter")
    archive.ok("request", "add", number, *ids)
    archive.ok("request", "decide", number, ids[3], "release")
    for rid in ids[:3]:
        _redact(archive, number, rid, NAME, "26a:ferpa")
    archive.ok("export", "--request", number, str(tmp_path / "forked"))  # a worker per core
    monkeypatch.setattr(os, "cpu_count", lambda: 1)  # no workers: all in this process
    archive.ok("export", "--request", number, str(tmp_path / "alone"))

    def files(bag: Path) -> dict[str, bytes]:
        return {str(p.relative_to(bag)): p.read_bytes() for p in bag.rglob("*") if p.is_file()}

    forked, alone = files(tmp_path / "forked"), files(tmp_path / "alone")
    assert len(forked) > 10 and forked == alone
