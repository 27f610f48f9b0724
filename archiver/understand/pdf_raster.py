"""Redacting a PDF by rasterising it: with `produced_text.py`, the importer of pypdfium2
(Apache-2.0 / BSD-3).

A PDF's text can hide in many places a text edit would miss (a font's mapping, an annotation,
a form field, an image of a scanned page), so a redacted PDF is rebuilt from pictures of its
pages, never edited: each page is drawn by PDFium with its annotations and form fields
flattened into it, the characters the caller's `find` names in the page's text layer are
painted out in solid black in the picture, and a new PDF is written holding one image per
page and nothing else: no text layer, fonts, metadata, annotations, links or embedded files.

A page whose text cannot be searched (no text layer but images: a scan whose pixels may hold a
name; or text without a Unicode mapping) cannot be redacted this way: the whole file is then
refused (`RasterRedaction.pdf` is None, `reason` says why), and the caller withholds it.
Known limits: a name drawn only in the pixels of an image on a page that does have text (a
photo, a handwritten note on an OCR'd scan the OCR missed), or drawn as vector outlines, is
not found; nor is one a lying font maps to other letters.

Pure bytes in, bytes out: no keys, no database. PDFium parses the untrusted file in this
process (it is Chrome's hardened parser), with a pixel budget per page.
"""

from __future__ import annotations

import ctypes
import zlib
from collections.abc import Callable
from typing import Any, NamedTuple

import pypdfium2
import pypdfium2.raw as pdfium_c

Find = Callable[[str], list[tuple[int, int]]]

DPI = 150  # pictures of pages: readable, and a page of text is 100-300 KB
MAX_PAGE_PIXELS = 24_000_000  # a larger page is drawn at a lower resolution (a poster, a plan)
PAD = 2  # pixels painted around each character's box (anti-aliased edges)
MAX_UNMAPPED = 0.01  # share of a page's characters without Unicode: more, its text is unsearchable
_BLACK = (0, 0, 0, 255)
_WHITE = (255, 255, 255, 255)


class RasterRedaction(NamedTuple):
    """The outcome: `pdf`, the rasterised PDF (None when the file cannot be redacted this way,
    with `reason`), its `pages`, and `painted`, the characters painted out."""

    pdf: bytes | None
    pages: int
    painted: int
    reason: str | None


def redact_pdf(data: bytes, find: Find) -> bytes | None:
    """The PDF with every span `find` gives in each page's text painted out, as page images
    only; None when that cannot be done (`raster_redact` says why)."""
    return raster_redact(data, find).pdf


def raster_redact(data: bytes, find: Find, dpi: int = DPI) -> RasterRedaction:
    """`redact_pdf` with the reason and counts: `find(page_text)` gives the (start, end)
    character offsets to paint out in one page's text. Never raises for a bad file."""
    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        return _refused(0, f"cannot be opened: {_pdfium_reason(exc)}")
    try:
        pdf.init_forms()  # so form fields are flattened into the pages, and so searched
        pages: list[tuple[float, float, int, int, bytes]] = []
        painted = 0
        for number in range(len(pdf)):
            page, why = _flattened(pdf, number)
            if page is None:
                return _refused(number, f"page {number + 1}: {why}")
            try:
                drawn = _draw(page, number, find, dpi)
            finally:
                page.close()
            if isinstance(drawn, str):
                return _refused(number, drawn)
            painted += drawn[0]
            pages.append(drawn[1])
        if not pages:
            return _refused(0, "it has no pages")
        return RasterRedaction(_image_pdf(pages), len(pages), painted, None)
    except pypdfium2.PdfiumError as exc:
        return _refused(0, f"cannot be read: {_pdfium_reason(exc)}")
    finally:
        pdf.close()


def _refused(pages: int, reason: str) -> RasterRedaction:
    return RasterRedaction(None, pages, 0, reason)


def _pdfium_reason(exc: Exception) -> str:
    """PDFium's reason, which names the kind of failure only (password, format), no content."""
    text = str(exc)
    if "password" in text.lower():
        return "encrypted (it needs a password)"
    return text[:120] or type(exc).__name__


def _flattened(pdf: Any, number: int) -> tuple[Any, str]:
    """Page `number` with its annotations and form fields made part of its content (what a
    printer would draw), loaded again as flattening asks."""
    page = pdf[number]
    # PDFium flattens annotations without a form environment (one exists only for a PDF
    # with a form), which pypdfium2's `flatten` insists on: the raw call.
    done = pdfium_c.FPDFPage_Flatten(page, pdfium_c.FLAT_PRINT)
    page.close()
    if done == pdfium_c.FLATTEN_FAIL:
        return None, "its annotations or form fields cannot be flattened"
    return pdf[number], ""


def _page_text(textpage: Any) -> tuple[str, int]:
    """The page's characters, one per PDFium character index (so offsets in the text are
    indices of character boxes), and how many have no Unicode value."""
    count = textpage.count_chars()
    chars = []
    unmapped = 0
    for i in range(count):
        code = pdfium_c.FPDFText_GetUnicode(textpage, i)
        if code in (0, 0xFFFD, 0xFFFE):
            unmapped += 1
            chars.append("\ufffd")
        else:
            chars.append(chr(code))
    return "".join(chars), unmapped


def _has_images(page: Any) -> bool:
    return any(True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))


def _draw(
    page: Any, number: int, find: Find, dpi: int
) -> tuple[int, tuple[float, float, int, int, bytes]] | str:
    """The page as an RGB picture with the found characters painted out: (characters painted,
    (width and height in points, in pixels, Flate-compressed pixels)); or why it cannot be."""
    width, height = page.get_size()
    scale = dpi / 72
    if width * height * scale * scale > MAX_PAGE_PIXELS:
        scale = (MAX_PAGE_PIXELS / (width * height)) ** 0.5
    textpage = page.get_textpage()
    try:
        text, unmapped = _page_text(textpage)
        if not text.strip() and _has_images(page):
            return f"page {number + 1}: it has images but no text layer (a scan?)"
        if text and unmapped > MAX_UNMAPPED * len(text):
            return f"page {number + 1}: {unmapped} characters have no Unicode value"
        spans = find(text) if text else []
        bitmap = page.render(
            scale=scale,
            may_draw_forms=False,  # flattened above: what is left unflattened is not drawn
            draw_annots=False,
            rev_byteorder=True,  # RGB, as the PDF image wants
            fill_color=_WHITE,
        )
        painted = 0
        try:
            where = bitmap.get_posconv(page)
            for start, end in spans:
                for index in range(max(start, 0), min(end, len(text))):
                    if pdfium_c.FPDFText_IsGenerated(textpage, index) == 1:
                        continue  # a space or line end PDFium added: it has no box
                    painted += _paint(bitmap, where, textpage, index)
            pixels = _rgb(bitmap)
            size = (bitmap.width, bitmap.height)
        finally:
            bitmap.close()
    finally:
        textpage.close()
    return painted, (width, height, size[0], size[1], zlib.compress(pixels, 6))


def _paint(bitmap: Any, where: Any, textpage: Any, index: int) -> int:
    """Paint character `index`'s loose box (its advance and the font's full height) black."""
    left, bottom, right, top = textpage.get_charbox(index, loose=True)
    if right <= left or top <= bottom:
        return 0
    corners = [where.to_bitmap(x, y) for x in (left, right) for y in (bottom, top)]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    x0, y0 = max(min(xs) - PAD, 0), max(min(ys) - PAD, 0)
    x1, y1 = min(max(xs) + PAD, bitmap.width), min(max(ys) + PAD, bitmap.height)
    if x1 <= x0 or y1 <= y0:
        return 0
    bitmap.fill_rect(_BLACK, x0, y0, x1 - x0, y1 - y0)
    return 1


def _rgb(bitmap: Any) -> bytes:
    """The bitmap's pixels as packed RGB rows (PDFium pads rows to its stride, and may have
    drawn RGBx)."""
    raw = ctypes.string_at(bitmap.buffer, bitmap.stride * bitmap.height)
    channels = bitmap.n_channels
    row = bitmap.width * channels
    rows = [raw[y * bitmap.stride : y * bitmap.stride + row] for y in range(bitmap.height)]
    packed = b"".join(rows)
    if channels == 3:
        return packed
    out = bytearray(bitmap.width * bitmap.height * 3)
    for c in range(3):
        out[c::3] = packed[c::channels]
    return bytes(out)


def _image_pdf(pages: list[tuple[float, float, int, int, bytes]]) -> bytes:
    """A PDF of one full-page image per page, and nothing else (no dates, producer or
    metadata: the same pictures give the same bytes)."""
    objects: list[bytes] = [b"", b""]  # the catalog and the page tree, written last
    kids = []
    for width, height, px_w, px_h, pixels in pages:
        image = len(objects) + 1
        objects.append(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
            % (px_w, px_h, len(pixels), pixels)
        )
        draw = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (width, height)
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(draw), draw))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] "
            b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
            % (width, height, image, image + 1)
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
