"""A `Document` as HTML for the PDF engine, every piece of text escaped, and the stylesheet."""

from __future__ import annotations

import re
from datetime import UTC
from functools import cache
from html import escape
from importlib.resources import files

from archiver.render.document import (
    Block,
    Document,
    Heading,
    ItemList,
    KeyValueTable,
    PageBreak,
    Paragraph,
    Preformatted,
)

# C0 controls other than tab and newline, DEL, C1 controls and lone surrogates (from bytes
# decoded with surrogateescape): not text a font can show, nor valid HTML or UTF-8.
_UNSHOWABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _text(value: str) -> str:
    """Text as HTML character data: escaped, line ends made `\\n`, unshowables made U+FFFD."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return escape(_UNSHOWABLE.sub("\ufffd", value), quote=True)


def _css_string(value: str) -> str:
    """A CSS string holding `value`: every character but ASCII letters and digits is a
    six-digit escape (six digits, so no following space is taken into the escape), so the
    value can close neither the string nor the `<style>` element it sits in."""
    value = _UNSHOWABLE.sub("\ufffd", value.replace("\r\n", " ").replace("\n", " "))
    escaped = "".join(c if c.isascii() and c.isalnum() else f"\\{ord(c):06x}" for c in value)
    return f'"{escaped}"'


def _block(block: Block) -> str:
    match block:
        case Heading(text, level):
            return f"<h{level + 1}>{_text(text)}</h{level + 1}>"
        case Paragraph(text):
            return f"<p>{_text(text)}</p>"
        case Preformatted(text):
            return f"<pre>{_text(text)}</pre>"
        case KeyValueTable(rows):
            cells = "".join(
                f'<tr><th scope="row">{_text(key)}</th><td>{_text(value)}</td></tr>'
                for key, value in rows
            )
            return f'<table class="fields">{cells}</table>'
        case ItemList(items, ordered):
            tag = "ol" if ordered else "ul"
            return f"<{tag}>{''.join(f'<li>{_text(item)}</li>' for item in items)}</{tag}>"
        case PageBreak():
            return '<div class="page-break"></div>'


def document_html(doc: Document) -> str:
    """The document as one HTML page. Only this function writes markup; every text of the
    document is escaped, so what a record says is shown, never read as HTML or CSS."""
    created = doc.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = "\n".join(_block(block) for block in doc.blocks)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_text(doc.title)}</title>"
        f'<meta name="dcterms.created" content="{created}">'
        f'<meta name="dcterms.modified" content="{created}">'
        '<meta name="generator" content="archiver">'
        f"<style>@page {{ @bottom-left {{ content: {_css_string(doc.footer)} }} }}</style>"
        f"</head><body>\n<h1>{_text(doc.title)}</h1>\n{body}\n</body></html>\n"
    )


@cache
def stylesheet() -> str:
    """The one stylesheet of every rendered document (`style.css`, shipped in the package)."""
    return files("archiver.render").joinpath("style.css").read_text(encoding="utf-8")
