"""What a rendered document holds: a title, blocks of text, a footer label, embedded files.

The model is text only: no block carries markup, so nothing a record says (a subject reading
`<script>`, an `<img src=…>` in a body) can become markup in the rendering. An email's HTML
body is reduced to text before it gets here (`understand/html.py`'s `html_to_text`, the same
text redaction works on), so render never sees an email's HTML at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from archiver.errors import RenderError


@dataclass(frozen=True)
class Heading:
    """A section heading; level 1 is a section of the document, 2 and 3 are below it."""

    text: str
    level: Literal[1, 2, 3] = 1

    def __post_init__(self) -> None:
        if self.level not in (1, 2, 3):
            raise RenderError(f"heading {self.text[:40]!r}: level {self.level!r} is not 1, 2 or 3")


@dataclass(frozen=True)
class Paragraph:
    """Running text, wrapped to the page; its line breaks are kept (an address, a signature)."""

    text: str


@dataclass(frozen=True)
class Preformatted:
    """Text in a fixed-width font, spaces and line breaks kept, long lines wrapped."""

    text: str


@dataclass(frozen=True)
class KeyValueTable:
    """Rows of a label and its value: a message's headers, a request's facts."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ItemList:
    """A bulleted list, or a numbered one when `ordered`."""

    items: tuple[str, ...]
    ordered: bool = False


@dataclass(frozen=True)
class PageBreak:
    """What follows starts on a new page."""


Block = Heading | Paragraph | Preformatted | KeyValueTable | ItemList | PageBreak


@dataclass(frozen=True)
class Document:
    """A document to render: `title` (the first heading and the PDF's title), `blocks` in
    order, `footer` (a label on every page beside "page N of M": a record id, a request
    number) and `created`, the moment it is made (from the injected clock: the PDF's and its
    embedded files' dates, so the same document renders to the same bytes).

    Raises RenderError when `created` has no time zone.
    """

    title: str
    blocks: tuple[Block, ...]
    footer: str
    created: datetime

    def __post_init__(self) -> None:
        if self.created.utcoffset() is None:
            raise RenderError(f"document {self.title[:40]!r}: created has no time zone")


def paragraphs(text: str) -> tuple[Paragraph, ...]:
    """One paragraph per run of text between blank lines (a plain-text email body, or the
    text `html_to_text` made of an HTML one); line breaks within a paragraph are kept."""
    chunks = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return tuple(Paragraph(chunk.strip("\n")) for chunk in chunks if chunk.strip())


# PDF/A-3's relationships of an associated file to the document (ISO 32000-2, 7.11.3).
Relationship = Literal["Source", "Data", "Alternative", "Supplement", "Unspecified"]
_RELATIONSHIPS = ("Source", "Data", "Alternative", "Supplement", "Unspecified")
_MIME = re.compile(r"[a-z0-9][a-z0-9!$&^_.+-]*/[a-z0-9][a-z0-9!$&^_.+-]*")


class EmbeddedFile(NamedTuple):
    """A file carried inside the PDF (an associated file in PDF/A-3): a record's original EML
    is its `Source`, the message the rendering was made from."""

    name: str
    data: bytes
    mime_type: str
    description: str
    relationship: Relationship = "Source"


def checked_files(files: Sequence[EmbeddedFile]) -> tuple[EmbeddedFile, ...]:
    """The files, each with a usable name and type and no two with one name.

    Raises RenderError naming the first file that is not.
    """
    seen: set[str] = set()
    for file in files:
        where = f"embedded file {file.name[:80]!r}"
        if not file.name.strip() or "/" in file.name or "\\" in file.name:
            raise RenderError(f"{where}: a file name must be non-empty and have no path")
        if file.name in seen:
            raise RenderError(f"{where}: two embedded files have this name")
        if not _MIME.fullmatch(file.mime_type):
            raise RenderError(f"{where}: {file.mime_type[:80]!r} is not a MIME type in lower case")
        if file.relationship not in _RELATIONSHIPS:
            raise RenderError(f"{where}: relationship {file.relationship!r} is not one of PDF's")
        seen.add(file.name)
    return tuple(files)
