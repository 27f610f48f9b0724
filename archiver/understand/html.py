"""Readable text from an HTML body (for display and indexing, never for storage of record bytes)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {
    "p",
    "div",
    "br",
    "tr",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "blockquote",
    "pre",
    "ul",
    "ol",
}
_SKIP = {"script", "style", "head", "title"}


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Text of an HTML document, one line per block element, whitespace tidied.

    Safe on hostile input: the HTML is first reduced to what the parser reads in one pass.
    """
    collector = _TextCollector()
    collector.feed(_safe_html(html))
    collector.close()
    text = "".join(collector.parts).replace("\xa0", " ")
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>|<![^<>]*>|<\?[^<>]*>")


def _safe_html(html: str) -> str:
    """The HTML with comments dropped and every '<' that does not open a closed tag escaped.

    The stdlib HTMLParser behind html_to_text takes quadratic time on unclosed tags and
    comments ("<a <a <a …" costs minutes for 100 KB); what is left here it reads in one pass.
    """
    out: list[str] = []
    n = len(html)
    i = 0
    gt = -2  # the next '>' after the current '<' (cached: positions only grow)
    lt = html.find("<")
    while lt != -1:
        out.append(html[i:lt])
        if html.startswith("<!--", lt):
            end = html.find("-->", lt + 4)
            if end == -1:
                return "".join(out)
            i = end + 3
            lt = html.find("<", i)
            continue
        following = html.find("<", lt + 1)
        if gt != -1 and gt <= lt:
            gt = html.find(">", lt + 1)
        if (
            gt == -1
            or (following != -1 and following < gt)
            or not _TAG_RE.fullmatch(html, lt, gt + 1)
        ):
            out.append("&lt;")
            i = lt + 1
        else:
            out.append(html[lt : gt + 1])
            i = gt + 1
        lt = following
    out.append(html[i:n])
    return "".join(out)
