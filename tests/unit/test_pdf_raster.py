"""Redacting a PDF attachment by rasterising it (understand/pdf_raster.py): the name is gone
from the text (pypdf and poppler's pdftotext find nothing), painted out in the pictures, the
pages all there; files it cannot redact (encrypted, broken, scanned) are refused with a reason."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime

import pypdfium2
from pypdf import PdfReader, PdfWriter

from archiver.render.document import Document, PageBreak, Paragraph
from archiver.render.pdf import render_pdf
from archiver.understand.pdf_raster import raster_redact, redact_pdf

CREATED = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
NAME = re.compile(r"Jane\s+Doe", re.IGNORECASE)


def _find(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in NAME.finditer(text)]


def _pdf(*pages: str) -> bytes:
    blocks: list[Paragraph | PageBreak] = []
    for k, text in enumerate(pages):
        blocks += [PageBreak()] if k else []
        blocks.append(Paragraph(text))
    return render_pdf(Document("Incident report", tuple(blocks), "report", CREATED))


def _pdftotext(pdf: bytes) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext (Debian poppler-utils, installed by .ci/run) is needed"
    done = subprocess.run([tool, "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def _boxes(pdf: bytes, word: str) -> list[tuple[int, tuple[float, float, float, float]]]:
    """Where `word` is drawn: (page index, its box in PDF points) for each occurrence."""
    doc = pypdfium2.PdfDocument(pdf)
    found = []
    for k in range(len(doc)):
        textpage = doc[k].get_textpage()
        text = textpage.get_text_range()
        for m in re.finditer(word, text):
            boxes = [textpage.get_charbox(i) for i in range(m.start(), m.end())]
            found.append(
                (
                    k,
                    (
                        min(b[0] for b in boxes),
                        min(b[1] for b in boxes),
                        max(b[2] for b in boxes),
                        max(b[3] for b in boxes),
                    ),
                )
            )
    return found


def _darkness(pdf: bytes, page: int, box: tuple[float, float, float, float]) -> float:
    """The mean darkness (0 white, 1 black) of `box` (points) on `page` of a PDF."""
    doc = pypdfium2.PdfDocument(pdf)
    scale = 2.0
    image = doc[page].render(scale=scale, grayscale=True).to_pil().convert("L")
    height = doc[page].get_height()
    left, bottom, right, top = box
    crop = image.crop(
        (
            int(left * scale),
            int((height - top) * scale),
            int(right * scale),
            int((height - bottom) * scale),
        )
    )
    data: bytes = crop.tobytes()
    return 1 - sum(data) / (255 * len(data))


def test_a_name_on_two_pages_is_painted_out_and_no_text_is_left() -> None:
    source = _pdf(
        "Student Jane Doe was late to class on Monday.",
        "On Tuesday, Jane\nDoe was late again. Signed, Mr. Smith.",
    )
    assert (
        len(NAME.findall(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(source)).pages)))
        == 2
    )
    result = raster_redact(source, _find)
    assert result.reason is None and result.pdf is not None
    assert result.pages == 2 and result.painted == len("JaneDoe") * 2 + 1  # one real space
    out = result.pdf
    reader = PdfReader(io.BytesIO(out))
    assert len(reader.pages) == 2
    assert all(not (page.extract_text() or "").strip() for page in reader.pages)
    assert not _pdftotext(out).strip()
    assert b"Jane" not in out and not reader.metadata and not reader.attachments
    # The pictures: where the name was is black; a word left alone is still there.
    names = _boxes(source, "Jane") + _boxes(source, "Doe")
    assert {page for page, _ in names} == {0, 1}
    for page, box in names:
        assert _darkness(out, page, box) > 0.95, (page, box)
    for page, box in _boxes(source, "Smith") + _boxes(source, "Student"):
        assert _darkness(out, page, box) < 0.5, (page, box)
    assert redact_pdf(source, _find) == out  # the same pages give the same bytes


def test_nothing_found_keeps_every_page_readable_as_a_picture() -> None:
    source = _pdf("Nothing to hide here.", "Nor here.")
    result = raster_redact(source, lambda text: [])
    assert result.pdf is not None and result.painted == 0 and result.pages == 2
    [(page, box)] = _boxes(source, "Nothing")
    assert _darkness(result.pdf, page, box) > 0.05  # the word is drawn, not blank


def test_what_cannot_be_redacted_is_refused_with_a_reason() -> None:
    source = _pdf("Student Jane Doe was late.")
    writer = PdfWriter(clone_from=io.BytesIO(source))
    writer.encrypt(user_password="secret", owner_password="owner")
    locked = io.BytesIO()
    writer.write(locked)
    encrypted = raster_redact(locked.getvalue(), _find)
    assert encrypted.pdf is None and "encrypted" in (encrypted.reason or "")

    for broken in (b"", b"%PDF-1.7\nnot really a pdf\n", source[: len(source) // 3]):
        result = raster_redact(broken, _find)
        assert result.pdf is None and result.reason, broken[:20]
        assert redact_pdf(broken, _find) is None

    # A page of pixels only (a scan): the name may be in them, nothing can find it.
    scanned = redact_pdf(source, lambda text: [])
    assert scanned is not None
    again = raster_redact(scanned, _find)
    assert again.pdf is None and "no text layer" in (again.reason or "")


def test_time_to_rasterise_five_pages() -> None:
    source = _pdf(
        *(f"Page {k}: Jane Doe. " + "Lorem ipsum dolor sit amet. " * 80 for k in range(5))
    )
    started = time.monotonic()
    result = raster_redact(source, _find)
    seconds = time.monotonic() - started
    assert result.pdf is not None and result.pages == 5
    print(
        f"\nraster redaction of 5 pages at 150 dpi: {seconds:.2f} s, "
        f"{len(source) // 1024} KB in, {len(result.pdf) // 1024} KB out"
    )
    assert seconds < 30
