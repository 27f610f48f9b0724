"""A record rendered for a person (records/rendering.py, `show --pdf`): what the PDF says, that
a message's markup stays text, and that `RecordText.map` reaches every field redaction needs."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import create_engine, select

from archiver.archive.keys import load_keyring
from archiver.archive.reading import open_record
from archiver.records.rendering import RecordText, record_document, record_pdf, record_text
from archiver.render.document import Document, Paragraph
from archiver.render.pdf import render_pdf
from archiver.settings import load_settings
from archiver.store.db import Store
from archiver.store.tables import audit_event
from tests.conftest import Archive

CREATED = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


def _report_pdf() -> bytes:
    doc = Document(
        "Incident report",
        (Paragraph("Jane Doe left the playground at 10:40 without permission."),),
        "report",
        CREATED,
    )
    return render_pdf(doc)


def _docx() -> bytes:
    import docx  # python-docx: what the extractor reads DOCX with

    document = docx.Document()
    document.add_paragraph("Meeting notes: Jane Doe will join the reading group.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _plain() -> bytes:
    m = EmailMessage()
    m["From"] = "Ms. Carter <carter@school.example>"
    m["To"] = "Jane Doe <jdoe@students.example>"
    m["Cc"] = "Parent Doe <parent@home.example>"
    m["Date"] = "Mon, 02 Mar 2026 09:15:00 -0500"
    m["Subject"] = "Jane Doe: reading progress"
    m["Message-ID"] = "<plain-1@school.example>"
    m.set_content(
        "Hello,\n\nJane Doe has finished the <b>second</b> reading level.\n\nMs. Carter\n"
    )
    return m.as_bytes(policy=SMTP)


def _html() -> bytes:
    m = EmailMessage()
    m["From"] = "Mr. Lee <lee@school.example>"
    m["To"] = "office@school.example"
    m["Date"] = "Tue, 03 Mar 2026 10:00:00 -0500"
    m["Subject"] = "Field trip"
    m["Message-ID"] = "<html-1@school.example>"
    m.set_content(
        "<html><head><style>p { color: red }</style></head><body>"
        "<p>The bus leaves at <b>8:30</b>.</p><script>alert('x')</script>"
        "<p>Bring a lunch &amp; water; 3 &lt; 4.</p></body></html>",
        subtype="html",
    )
    return m.as_bytes(policy=SMTP)


def _forward() -> tuple[bytes, bytes]:
    """A forward-as-attachment: the staff member's note, and the original with a PDF."""
    report = _report_pdf()
    original = EmailMessage()
    original["From"] = "Parent Doe <parent@home.example>"
    original["To"] = "Ms. Carter <carter@school.example>"
    original["Date"] = "Wed, 04 Mar 2026 08:00:00 -0500"
    original["Subject"] = "About Jane Doe and the playground"
    original["Message-ID"] = "<orig-1@home.example>"
    original.set_content("Please see the attached report about Jane Doe.\n")
    original.add_attachment(
        report, maintype="application", subtype="pdf", filename="Jane Doe report.pdf"
    )
    original.add_attachment(
        _docx(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="notes.docx",
    )
    outer = EmailMessage()
    outer["From"] = "Ms. Carter <carter@school.example>"
    outer["To"] = "archive@school.example"
    outer["Date"] = "Wed, 04 Mar 2026 09:00:00 -0500"
    outer["Subject"] = "Fwd: About Jane Doe and the playground"
    outer["Message-ID"] = "<fwd-1@school.example>"
    outer.set_content("Filing this for Jane Doe's record.\n")
    outer.add_attachment(original)
    return outer.as_bytes(policy=SMTP), report


def _import(archive: Archive, tmp_path: Path, name: str, raw: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(raw)
    return str(archive.ok("import", "--json", str(path)).json()["items"][0]["id"])


def _opened_text(archive: Archive, rid: str) -> RecordText:
    settings = load_settings(archive.config)
    db = Store.open(settings.database_url)
    try:
        ring = load_keyring(db, settings.keys_dir)
        return record_text(open_record(db, ring, rid, "pdf"))
    finally:
        db.close()


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_show_pdf_renders_headers_and_body_with_the_original_embedded(
    archive: Archive, tmp_path: Path
) -> None:
    raw = _plain()
    rid = _import(archive, tmp_path, "plain.eml", raw)
    out = tmp_path / "plain.pdf"
    archive.ok("show", rid, "--pdf", str(out))
    pdf = out.read_bytes()
    text = _flat(_text(pdf))
    for expected in (
        "Jane Doe: reading progress",
        "From Ms. Carter <carter@school.example>",
        "To Jane Doe <jdoe@students.example>",
        "Cc Parent Doe <parent@home.example>",
        "Date Mon, 02 Mar 2026 09:15:00 -0500",
        "Jane Doe has finished the <b>second</b> reading level.",  # a body's markup is text
        f"{rid} page 1 of 1",
    ):
        assert expected in text, expected
    assert "Forwarded to the archive" not in text  # sent straight to the archive
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {f"{rid}.eml": [raw]}
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()  # type: ignore[index]
    assert 'pdfaid:part="3"' in xmp  # PDF/A-3, the original its associated file

    again = archive.cli("show", rid, "--pdf", str(out))
    assert again.code == 2 and "never written over" in again.err
    assert out.read_bytes() == pdf
    both = archive.cli("show", rid, "--pdf", str(tmp_path / "x.pdf"), "--raw")
    assert both.code == 2 and not (tmp_path / "x.pdf").exists()

    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        details = [
            json.loads(d)
            for (d,) in conn.execute(
                select(audit_event.c.details).where(audit_event.c.action == "show")
            )
        ]
    engine.dispose()
    assert {"view": "pdf", "attachments": []} in details


def test_an_html_body_is_rendered_as_its_text(archive: Archive, tmp_path: Path) -> None:
    rid = _import(archive, tmp_path, "html.eml", _html())
    rt = _opened_text(archive, rid)
    [message] = rt.messages
    assert "The bus leaves at 8:30." in message.body
    assert "Bring a lunch & water; 3 < 4." in message.body
    assert "<" not in message.body.replace("3 < 4", "") and "alert" not in message.body
    text = _flat(_text(record_pdf(rt, rid, CREATED)))
    assert "The bus leaves at 8:30." in text and "Bring a lunch & water; 3 < 4." in text
    assert "<p>" not in text and "alert" not in text and "color" not in text


def test_a_forward_with_a_pdf_lists_and_reads_its_attachments(
    archive: Archive, tmp_path: Path
) -> None:
    raw, report = _forward()
    rid = _import(archive, tmp_path, "forward.eml", raw)
    rt = _opened_text(archive, rid)
    assert rt.forwarder == "Ms. Carter <carter@school.example>"
    assert rt.note == "Filing this for Jane Doe's record."
    [original] = rt.messages
    assert original.provenance == "headers" and original.sender.startswith("Parent Doe")
    pdf_item = next(a for a in rt.attachments if a.content_type == "application/pdf")
    assert pdf_item.sha256 == hashlib.sha256(report).hexdigest() and pdf_item.original == 1
    assert pdf_item.text is not None and "left the playground" in pdf_item.text
    docx_item = next(a for a in rt.attachments if a.name == "notes.docx")
    assert docx_item.text is not None and "will join the reading group" in docx_item.text

    text = _flat(_text(record_pdf(rt, rid, CREATED, raw)))
    for expected in (
        "Forwarded to the archive",
        "By Ms. Carter <carter@school.example>",
        "Filing this for Jane Doe's record.",
        "From Parent Doe <parent@home.example>",
        "Subject About Jane Doe and the playground",
        "Please see the attached report about Jane Doe.",
        f"Jane Doe report.pdf (application/pdf, {len(report):,} bytes, in original message 1)",
        f"SHA-256 {pdf_item.sha256}",
        "Text of attachment",
        "Jane Doe left the playground at 10:40 without permission.",
        "Text of attachment 3: notes.docx",
        "Meeting notes: Jane Doe will join the reading group.",
    ):
        assert expected in text, expected
    assert re.search(r"page 1 of \d", text)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_map_with_a_redaction_removes_a_name_from_every_field(
    archive: Archive, tmp_path: Path
) -> None:
    rts = [
        _opened_text(archive, _import(archive, tmp_path, "plain.eml", _plain())),
        _opened_text(archive, _import(archive, tmp_path, "forward.eml", _forward()[0])),
    ]
    name = re.compile(r"Jane\s+Doe")

    def redact(value: str) -> str:
        return name.sub("[REDACTED 26a]", value)

    for rt in rts:
        before = list(rt.texts())
        assert sum(bool(name.search(t)) for t in before) >= 3
        redacted = rt.map(redact)
        assert not any(name.search(t) for t in redacted.texts())
        assert redacted.map(lambda v: v) == redacted  # the facts (hashes, sizes) untouched
        assert [a.sha256 for a in redacted.attachments] == [a.sha256 for a in rt.attachments]
        text = _text(render_pdf(record_document(redacted, "01TEST", CREATED)))
        assert "Jane" not in text and "[REDACTED 26a]" in text
    plain, forward = (rt.map(redact) for rt in rts)
    assert "[REDACTED 26a]" in plain.messages[0].subject
    assert "[REDACTED 26a]" in plain.messages[0].to and "[REDACTED 26a]" in plain.messages[0].body
    assert "[REDACTED 26a]" in forward.subject and "[REDACTED 26a]" in forward.note
    pdf_item = next(a for a in forward.attachments if a.content_type == "application/pdf")
    assert pdf_item.name == "[REDACTED 26a] report.pdf"
    assert pdf_item.text is not None and "[REDACTED 26a]" in pdf_item.text
    docx_item = next(a for a in forward.attachments if a.name == "notes.docx")
    assert docx_item.text == "Meeting notes: [REDACTED 26a] will join the reading group."


def test_show_pdf_prints_only_the_file_it_wrote(archive: Archive, tmp_path: Path) -> None:
    """The console command (its own process, logging at the archive's level, `info`): no
    WeasyPrint progress lines on stderr (it logs its default stylesheets while imported)."""
    import subprocess
    import sys

    rid = _import(archive, tmp_path, "plain.eml", _plain())
    out = tmp_path / "quiet.pdf"
    args = ["--config", str(archive.config), "show", rid, "--pdf", str(out), "--purpose", "t"]
    done = subprocess.run(
        [sys.executable, "-m", "archiver", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert out.exists() and "weasyprint" not in done.stderr.lower(), done.stderr
