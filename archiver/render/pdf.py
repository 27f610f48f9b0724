"""A `Document` as PDF bytes: the only importer of WeasyPrint (BSD). Nothing is fetched."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from archiver.render.document import Document, EmbeddedFile, checked_files
from archiver.render.markup import document_html, stylesheet

_shared: dict[int, tuple[Any, Any]] = {}  # process id: (its fonts, its parsed stylesheet)


def _fonts_and_style() -> tuple[Any, Any]:
    """This process's font configuration and parsed stylesheet, made at its first rendering.
    WeasyPrint otherwise loads every installed font afresh for each document (fontconfig's
    whole configuration), which is a fifth of a short rendering's time and is never all
    given back: an export's workers grew by 0.2 MB a record. A forked process makes its own
    (what it inherited belongs to its parent's fontconfig)."""
    pid = os.getpid()
    if pid not in _shared:
        _shared.clear()
        fonts = FontConfiguration()
        css = weasyprint.CSS(string=stylesheet(), url_fetcher=_RefusingFetcher(), font_config=fonts)
        _shared[pid] = (fonts, css)
    return _shared[pid]


class _RefusingFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type hints
    """Refuses every URL (http, https, file, data: all of them). A rendering must not reach
    the network (a remote image in an email would tell its sender when and where the record
    was produced) or the disk (a `file:` URL would put a server's file in a release)."""

    def fetch(self, url: str, headers: Any = None) -> NoReturn:
        raise ValueError(f"rendering fetches nothing: {url[:120]}")


def render_pdf(
    doc: Document, *, attachments: Sequence[EmbeddedFile] = (), pdf_a: bool = False
) -> bytes:
    """The document as a PDF, with `attachments` embedded (as PDF/A-3b associated files when
    `pdf_a`). The same document and files give the same bytes (where HarfBuzz's subsetter,
    libharfbuzz-subset0, is installed: WeasyPrint's fallback stamps the time in fonts).

    Raises RenderError for an embedded file without a usable name, MIME type or relationship.
    """
    return _pdf_from_html(
        document_html(doc), created=doc.created, attachments=checked_files(attachments), pdf_a=pdf_a
    )


def _pdf_from_html(
    html: str, *, created: datetime, attachments: Sequence[EmbeddedFile], pdf_a: bool
) -> bytes:
    """The PDF of an HTML page; apart from the HTML, every input is in the arguments (the
    fetcher refuses everything, fonts come from fontconfig). Only `render_pdf`'s own HTML
    comes here; the tests hand it hostile HTML to prove the fetcher holds on its own."""
    fetcher = _RefusingFetcher()
    # WeasyPrint writes these dates with a "Z" and takes naive datetimes: give it UTC.
    when = created.astimezone(UTC).replace(tzinfo=None)
    files = [
        weasyprint.Attachment(
            string=file.data,
            name=file.name,
            description=file.description,
            created=when,
            modified=when,
            relationship=file.relationship,
            url_fetcher=fetcher,
        )
        for file in attachments
    ]
    mime_types = {file.name: file.mime_type for file in attachments}

    def finish(_document: Any, pdf: Any) -> None:
        """Two fixes to what WeasyPrint wrote. It guesses an embedded file's type from its
        name, and PDF/A-3 wants the real one (`message.eml` is guessed right, a record's
        attachment may not be); and it lists each associated file twice in the catalog's
        /AF (once from the name tree, once from the file specifications)."""
        for item in pdf.objects:
            if isinstance(item, dict) and item.get("Type") == "/Filespec":
                mime = mime_types.get(item["UF"].string)
                stream = pdf.objects[int(item["EF"]["F"].split()[0])]
                if mime is not None:
                    stream.extra["Subtype"] = "/" + mime.replace("/", "#2f")
        if "AF" in pdf.catalog:
            pdf.catalog["AF"][:] = list(dict.fromkeys(pdf.catalog["AF"]))

    page = weasyprint.HTML(string=html, url_fetcher=fetcher)
    fonts, css = _fonts_and_style()
    pdf: bytes = page.write_pdf(
        stylesheets=[css],
        font_config=fonts,
        attachments=files,
        pdf_variant="pdf/a-3b" if pdf_a else None,
        finisher=finish,
    )
    return pdf
