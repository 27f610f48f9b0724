"""The release gate (DESIGN.md section 9.4): before an export bundle is written, every
produced file is searched for every redacted string, and one hit stops the export.

What is searched: each payload file's name and every text `understand/produced_text.py`
reads out of it (a message's decoded headers and text parts, a PDF's text by pypdf and by
pdftotext, its metadata, XMP, outline, annotations and embedded files, each in turn), for
the text of every accepted redaction of every record of the request, normalised as
redaction matches (case, accents, white space, line breaks: `understand/redact_text.py`).
Every file against every record's strings: a name redacted from one record and released in
another is a mistake the officer must see. A file the gate cannot read fails it too.

Not searched for: a redaction limited to one occurrence (the other occurrences are meant to
stay), and, in a student-records request, the requested student's own names, id and address
(the family's child is not redacted from the family's own records, and a first name shared
with another child must not stop the export). The response letter is not searched: it
quotes the requester's own words and lists record ids, and the officer writes it.

A hit is an integrity failure of the product (exit 3, `IntegrityError`), naming the record
whose redaction was found, the redaction's id (never its text: the message may reach a log)
and the file and part where it was found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from archiver.errors import IntegrityError
from archiver.understand.produced_text import UNREADABLE, pdftotext_available, texts
from archiver.understand.redact_text import find_in, normalise, normalised

PAYLOAD = "data/"


@dataclass(frozen=True)
class Watched:
    """A string no produced file may hold: the text of redaction `redaction` of `record_id`."""

    record_id: str
    redaction: int
    text: str


@dataclass(frozen=True)
class GateReport:
    """What the gate read: files, texts searched (after de-duplication), strings watched,
    and the PDF text extractors used."""

    files: int
    texts: int
    watched: int
    extractors: tuple[str, ...]


def watched(items: Iterable[Watched], spared: Iterable[str] = ()) -> list[Watched]:
    """The strings to search for: one per normalised text and record, none that normalises
    to one of `spared` (the requested student's own names, id and address)."""
    keep = {normalise(s) for s in spared if normalise(s)}
    out: dict[tuple[str, str], Watched] = {}
    for w in items:
        key = normalise(w.text)
        if key and key not in keep:
            out.setdefault((w.record_id, key), w)
    return list(out.values())


def check(files: Sequence[tuple[str, bytes]], watch: Sequence[Watched]) -> GateReport:
    """Search every payload file (`data/...`) of a bundle for every watched string; raise
    IntegrityError naming the record, the redaction, the file and the part at the first hit,
    or for a file that cannot be read."""
    payload = [(name, data) for name, data in files if name.startswith(PAYLOAD)]
    extractors = ("pypdf", "pdftotext") if pdftotext_available() else ("pypdf",)
    seen: set[bytes] = set()  # a text read twice (the same text in two files) searched once
    known: set[bytes] = set()  # a PDF or message met twice (records/ID.pdf in its EML) read once
    searched = 0
    for name, data in payload:
        for where, text in texts(name.removeprefix(PAYLOAD), data, known=known):
            if where == UNREADABLE or where.endswith(f"> {UNREADABLE}"):
                raise IntegrityError(
                    f"release gate: {name} cannot be read to check it ({text}): nothing was written"
                )
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
            if digest in seen or not watch:
                continue
            seen.add(digest)
            searched += 1
            norm = normalised(text)
            for w in watch:
                if find_in(norm, w.text):
                    raise IntegrityError(
                        f"release gate: record {w.record_id}'s redacted text (redaction "
                        f"{w.redaction}) is in {name} ({where}): nothing was written"
                    )
    return GateReport(len(payload), searched, len(watch), extractors)
