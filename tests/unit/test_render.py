"""Rendering documents as PDF (archiver/render/): what a person reads in the file, what the
file carries, and what rendering must never do (run markup from a record, fetch anything)."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pypdf import PdfReader

from archiver.errors import RenderError
from archiver.render.document import (
    Document,
    EmbeddedFile,
    Heading,
    ItemList,
    KeyValueTable,
    PageBreak,
    Paragraph,
    Preformatted,
    paragraphs,
)
from archiver.render.pdf import _pdf_from_html, render_pdf

CREATED = datetime(2026, 3, 2, 14, 30, tzinfo=timezone(timedelta(hours=-5)))
# A 1x1 PNG, what the loopback server answers: had it been fetched, it would be in the PDF.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101003d8b4b5a0000000049454e44ae426082"
)


def _doc(*blocks: Any, title: str = "Record 01J0ABCDEF", footer: str = "01J0ABCDEF") -> Document:
    return Document(title=title, blocks=blocks, footer=footer, created=CREATED)


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _cmap_entries(font: Any, key: str, section: str, pattern: str) -> list[tuple[str, str]]:
    """The entries of a font's CMap (`/ToUnicode` or `/Encoding`) in its `begin<section>` …
    `end<section>` parts. WeasyPrint writes one entry per code, never a range."""
    cmap = font[key].get_object().get_data().decode("latin-1").lower()
    assert "range" not in cmap.replace("codespacerange", ""), cmap
    parts = " ".join(re.findall(rf"begin{section}(.*?)end{section}", cmap, re.DOTALL))
    return re.findall(pattern, parts)


def missing_glyphs(pdf: bytes) -> set[str]:
    """The characters a PDF draws with glyph 0 (.notdef, an empty box): its fonts have no
    glyph for them. Each code of a font is read through its encoding to a glyph, and
    through its ToUnicode map to the text it stands for."""
    missing: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font = ref.get_object()
            assert font["/Subtype"] == "/Type0", font  # WeasyPrint embeds CID fonts only
            text = {
                code: bytes.fromhex(utf16).decode("utf-16-be")
                for code, utf16 in _cmap_entries(
                    font, "/ToUnicode", "bfchar", r"<([0-9a-f]+)>\s*<([0-9a-f]+)>"
                )
            }
            if font["/Encoding"] == "/Identity-H":  # the code is the glyph
                glyphs = {code: int(code, 16) for code in text}
            else:  # a CMap of its own, `<code> glyph` entries
                entries = _cmap_entries(font, "/Encoding", "cidchar", r"<([0-9a-f]+)>\s*(\d+)")
                glyphs = {code: int(gid) for code, gid in entries}
            missing |= {text[code] for code, gid in glyphs.items() if gid == 0 and code in text}
    return missing


class _Recorder(BaseHTTPRequestHandler):
    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png" if self.path.endswith(".png") else "text/css")
        self.end_headers()
        self.wfile.write(PIXEL if self.path.endswith(".png") else b"body { color: red }")

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A web server on loopback that records every request: its base URL and the paths."""
    seen: list[str] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def _images_and_files(pdf: bytes) -> tuple[int, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    images = sum(len(page.images) for page in reader.pages)
    return images, list(reader.attachments)


def test_a_three_page_document_shows_every_block_and_the_footer_on_each_page() -> None:
    doc = _doc(
        Heading("Message"),
        KeyValueTable(
            (
                ("From", "Maria Lopez <mlopez@example.org>"),
                ("Date", "Mon, 2 Mar 2026 09:14:00 -0500"),
                ("Subject", "Absence on Friday"),
            )
        ),
        Paragraph("Dear Ms. Lopez,\nthank you for letting us know."),
        PageBreak(),
        Heading("Body", level=2),
        Preformatted("> quoted line\n    indented reply"),
        ItemList(("report.pdf, 12 KB", "photo.jpg, 1.2 MB")),
        PageBreak(),
        Heading("Attachments", level=3),
        ItemList(("first step", "second step"), ordered=True),
    )
    started = time.perf_counter()
    pdf = render_pdf(doc)
    print(f"render of a 3-page document: {time.perf_counter() - started:.3f} s, {len(pdf)} bytes")

    assert pdf.startswith(b"%PDF-")
    pages = _pages(pdf)
    assert len(pages) == 3
    for number, text in enumerate(pages, start=1):
        assert "01J0ABCDEF" in text.replace(doc.title, "")  # the footer, not the title
        assert f"page {number} of 3" in text
    first, second, third = pages
    assert "Record 01J0ABCDEF" in first
    for piece in ("Message", "From", "Maria Lopez <mlopez@example.org>", "Subject"):
        assert piece in first
    assert "Absence on Friday" in first and "thank you for letting us know." in first
    assert "> quoted line" in second and "indented reply" in second
    assert "report.pdf, 12 KB" in second and "photo.jpg, 1.2 MB" in second
    assert "Attachments" in third and "second step" in third


def test_names_in_other_scripts_are_drawn_with_real_glyphs() -> None:
    names = ("Nguyễn Thị Hương", "王丽", "Ольга Смирнова", "Αικατερίνη", "김민준", "さくら")
    doc = _doc(
        KeyValueTable(tuple(("To", name) for name in names)),
        Preformatted("\n".join(names)),
        footer="Αρχείο · 档案 01J0",
    )
    pdf = render_pdf(doc)

    assert missing_glyphs(pdf) == set()
    (text,) = _pages(pdf)
    for name in names:
        assert text.count(name) == 2, name
    assert "Αρχείο · 档案 01J0 page 1 of 1" in text


def test_a_character_no_font_has_is_caught_as_missing() -> None:
    """The glyph check itself can fail: U+0378 is unassigned, so no font draws it."""
    pdf = render_pdf(_doc(Paragraph("before \u0378 after")))
    assert missing_glyphs(pdf) == {"\u0378"}


def test_markup_in_a_record_is_shown_as_text(server: tuple[str, list[str]]) -> None:
    base, seen = server
    hostile = (
        f'<img src="{base}/pixel.png"><script>document.title = "x"</script>'
        f'<link rel="stylesheet" href="{base}/style.css"><b>bold?</b>'
    )
    doc = _doc(
        KeyValueTable((("Subject", hostile),)),
        Paragraph(hostile),
        Preformatted("</pre><h1>not a heading</h1>"),
        title="<script>alert(1)</script>",
        footer='"} @page { @bottom-left { content: "owned" } } </style><i>',
    )
    pdf = render_pdf(doc)

    (text,) = _pages(pdf)
    assert "<script>alert(1)</script>" in text
    assert text.count(f'<img src="{base}/pixel.png">') == 2
    assert "<b>bold?</b>" in text and "</pre><h1>not a heading</h1>" in text
    assert '"} @page { @bottom-left { content: "owned" } } </style><i>' in text
    assert seen == []
    assert _images_and_files(pdf) == (0, [])
    assert b"/JavaScript" not in pdf and b"/JS" not in pdf


def test_the_fetcher_refuses_every_url_even_in_hostile_html(
    server: tuple[str, list[str]], tmp_path: Any
) -> None:
    """Only render_pdf's own (escaped) HTML reaches the engine; this hands the engine hostile
    HTML directly, to show the fetcher alone stops every kind of reference."""
    base, seen = server
    secret = tmp_path / "secret.txt"
    secret.write_text("server secret")
    html = f"""<!DOCTYPE html><html><head>
      <link rel="stylesheet" href="{base}/linked.css">
      <style>
        @import url("{base}/imported.css");
        @font-face {{ font-family: Remote; src: url("{base}/font.woff") }}
        body {{ background: url("{base}/background.png"); font-family: Remote }}
      </style></head><body>
      <img src="{base}/pixel.png"> <img src="file://{secret}">
      <object data="{base}/object.png"></object> <embed src="{base}/embed.png">
      <svg><image href="{base}/svg.png" width="10" height="10"/></svg>
      <a rel="attachment" href="{base}/attached.txt">a</a>
      <a rel="attachment" href="file://{secret}">b</a>
      <link rel="attachment" href="file://{secret}">
      <p>body text</p></body></html>"""

    pdf = _pdf_from_html(html, created=CREATED, attachments=(), pdf_a=False)

    assert pdf.startswith(b"%PDF-")
    assert "body text" in _pages(pdf)[0]
    assert seen == []
    assert _images_and_files(pdf) == (0, [])
    assert b"server secret" not in pdf


def test_an_embedded_file_comes_back_byte_for_byte() -> None:
    eml = b"From: a@example.org\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\nbody \xff\xfe\x00 end\r\n"
    blob = bytes(range(256)) * 40
    files = (
        EmbeddedFile("01J0ABCDEF.eml", eml, "message/rfc822", "The original message"),
        EmbeddedFile("data", blob, "application/octet-stream", "", "Data"),
    )
    pdf = render_pdf(_doc(Paragraph("see the files")), attachments=files)

    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {"01J0ABCDEF.eml": [eml], "data": [blob]}
    root: Any = reader.trailer["/Root"]
    specs = root["/Names"]["/EmbeddedFiles"]["/Names"][1::2]
    first = specs[0].get_object()
    assert first["/Desc"] == "The original message"
    assert first["/EF"]["/F"].get_object()["/Subtype"] == "/message/rfc822"


def test_pdf_a_declares_pdf_a_3b_with_the_original_as_its_source() -> None:
    eml = b"From: a@example.org\r\n\r\nhello\r\n"
    files = (EmbeddedFile("message.eml", eml, "message/rfc822", "The original message"),)
    pdf = render_pdf(_doc(Paragraph("released in full")), attachments=files, pdf_a=True)

    reader = PdfReader(io.BytesIO(pdf))
    root: Any = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "<xmp:CreateDate>2026-03-02T19:30:00Z</xmp:CreateDate>" in xmp
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    (associated,) = root["/AF"]
    spec = associated.get_object()
    assert spec["/AFRelationship"] == "/Source"
    stream = spec["/EF"]["/F"].get_object()
    assert stream["/Subtype"] == "/message/rfc822"
    assert stream["/Params"]["/ModDate"] == "D:20260302193000Z"
    assert reader.attachments == {"message.eml": [eml]}


def test_the_same_document_renders_to_the_same_bytes() -> None:
    """Reproducible output (so a produced file's SHA-256 can be made again): the dates come
    from the document, and the fonts are subset by HarfBuzz, which adds no timestamp."""
    doc = _doc(Heading("Message"), Paragraph("王丽 and Ольга"))
    files = (EmbeddedFile("m.eml", b"x", "message/rfc822", "original"),)
    assert render_pdf(doc, attachments=files, pdf_a=True) == render_pdf(
        doc, attachments=files, pdf_a=True
    )


def test_paragraphs_split_text_at_blank_lines() -> None:
    text = "Hello,\r\n\r\nline one\nline two\n  \n\n\nBest,\nMaria\n"
    assert paragraphs(text) == (
        Paragraph("Hello,"),
        Paragraph("line one\nline two"),
        Paragraph("Best,\nMaria"),
    )
    assert paragraphs(" \n\n") == ()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ((EmbeddedFile("", b"", "text/plain", ""),), "embedded file '': a file name"),
        ((EmbeddedFile("a/b.eml", b"", "text/plain", ""),), "'a/b.eml': a file name"),
        (
            (EmbeddedFile("a", b"", "text/plain", ""), EmbeddedFile("a", b"", "text/plain", "")),
            "'a': two embedded files have this name",
        ),
        ((EmbeddedFile("a", b"", "Text/Plain", ""),), "'a': 'Text/Plain' is not a MIME type"),
        ((EmbeddedFile("a", b"", "text", ""),), "'a': 'text' is not a MIME type"),
        ((EmbeddedFile("a", b"", "text/plain", "", "Own"),), "relationship 'Own'"),  # type: ignore[arg-type]
    ],
)
def test_an_unusable_embedded_file_is_refused_by_name(
    files: tuple[EmbeddedFile, ...], message: str
) -> None:
    with pytest.raises(RenderError, match=re.escape(message)):
        render_pdf(_doc(Paragraph("x")), attachments=files)


def test_a_document_needs_an_aware_time_and_headings_a_known_level() -> None:
    with pytest.raises(RenderError, match="'Letter': created has no time zone"):
        Document("Letter", (), "PRR-2026-0042", datetime(2026, 3, 2, 12, 0))  # noqa: DTZ001
    with pytest.raises(RenderError, match="heading 'Fees': level 4 is not 1, 2 or 3"):
        Heading("Fees", level=4)  # type: ignore[arg-type]
    assert Document("Letter", (), "x", datetime(2026, 3, 2, tzinfo=UTC)).title == "Letter"
