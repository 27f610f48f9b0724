"""The release gate (DESIGN.md section 9.4): before an export bundle is written, every
produced file is searched for every redacted string, and one hit stops the export.

What is searched: each payload file's name and every text `understand/produced_text.py`
reads out of it (a message's decoded headers and text parts, a PDF's text by PDFium and by
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
from pathlib import Path

from archiver.errors import IntegrityError
from archiver.understand.produced_text import (
    UNREADABLE,
    mbox_file_texts,
    pdftotext_available,
    texts,
)
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


def extractors() -> tuple[str, ...]:
    """The PDF text extractors the gate reads with, here."""
    return ("pdfium", "pdftotext") if pdftotext_available() else ("pdfium",)


@dataclass(frozen=True)
class Checked:
    """What one gate passed (a worker's share of a bundle), for the gate of the whole bundle:
    the files, the digests of the PDFs and messages read in them, how many texts searched."""

    names: tuple[str, ...]
    known: frozenset[bytes]
    texts: int


class Gate:
    """The gate of one bundle, fed one payload file at a time (`file`), in the bundle's
    order: in worker processes, each for its records' files, then in the exporting process
    for the rest (`rest`), with what the workers passed (`merge`) not read again."""

    def __init__(self, watch: Sequence[Watched]) -> None:
        self.watch = list(watch)
        # Each distinct string searched once (a name redacted from 500 records is one search,
        # not 500), reported as its first record's: the hit the search of every one would give.
        self._distinct: dict[str, Watched] = {}
        for w in self.watch:
            self._distinct.setdefault(w.text, w)
        self._names: list[str] = []
        self._done: set[str] = set()
        self._seen: set[bytes] = set()  # a text met twice (the same text in two files) once
        self._known: set[bytes] = set()  # a PDF or message met twice (the rendering in its EML)
        self._texts = 0

    def file(self, name: str, data: bytes) -> None:
        """Search one file (`data/...`; any other is not searched); IntegrityError naming the
        record, the redaction, the file and the part at the first hit, or for a file that
        cannot be read."""
        if name.startswith(PAYLOAD):
            self._search(name, texts(name.removeprefix(PAYLOAD), data, known=self._known))

    def file_at(self, name: str, path: Path) -> None:
        """`file` for a file on disk: an mbox read message by message, never whole."""
        if not name.startswith(PAYLOAD):
            return
        if name.lower().endswith(".mbox"):
            self._search(name, mbox_file_texts(name.removeprefix(PAYLOAD), path, self._known))
        else:
            self.file(name, path.read_bytes())

    def _search(self, name: str, found: Iterable[tuple[str, str]]) -> None:
        for where, text in found:
            if where == UNREADABLE or where.endswith(f"> {UNREADABLE}"):
                raise IntegrityError(
                    f"release gate: {name} cannot be read to check it ({text}): nothing was written"
                )
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
            if digest in self._seen or not self.watch:
                continue
            self._seen.add(digest)
            self._texts += 1
            norm = normalised(text)
            for w in self._distinct.values():
                if find_in(norm, w.text):
                    raise IntegrityError(
                        f"release gate: record {w.record_id}'s redacted text (redaction "
                        f"{w.redaction}) is in {name} ({where}): nothing was written"
                    )
        self._names.append(name)
        self._done.add(name)

    def checked(self) -> Checked:
        return Checked(tuple(self._names), frozenset(self._known), self._texts)

    def merge(self, other: Checked) -> None:
        """Count the files another gate passed as passed here, and its PDFs and messages as
        read (they are not read again when the mbox holds the same messages)."""
        self._names += other.names
        self._done.update(other.names)
        self._known |= other.known
        self._texts += other.texts

    def rest(self, files: Sequence[tuple[str, Path]]) -> GateReport:
        """Search the payload files of `files` (name, where it is on disk) not passed yet,
        in order; the whole report."""
        for name, path in files:
            if name.startswith(PAYLOAD) and name not in self._done:
                self.file_at(name, path)
        return GateReport(len(self._done), self._texts, len(self.watch), extractors())
