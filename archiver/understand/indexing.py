"""What a record puts in the search index: the tokens of its words, phrases and people, per
field (plaintext; `crypto/blind` turns them into blind terms).

Fields:
- `w`: words of the subjects, the forwarder's note, the originals' bodies, attachment names
  and the text of PDF and DOCX attachments; `p`: adjacent word pairs of the same texts, so a
  quoted phrase is a lookup, not a scan.
- `from` (each original's sender), `to` (its To and Cc), `forwarder`, and `participant`
  (anyone in the message or its originals): for each address the address itself, its
  `@domain`, its local part, and the words of the display name.

Student tags are not terms: they live in `record_tag`, where manual changes are kept.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from archiver.domain import IndexTokens, Party, RecordMeta
from archiver.understand.tokens import bigrams, words

if TYPE_CHECKING:
    from archiver.understand.extract import Extractor
    from archiver.understand.parse import Extractable

TOKENIZER = 1  # bump when `tokens` or this module change what is indexed: reindex follows
MAX_TEXT_CHARS = 400_000  # text indexed per record; more is left out (said in the docs)
MIN_TEXT_SECONDS = 0.5  # less left of a message's budget than this: its attachments are skipped
WORDS = "w"
PAIRS = "p"


@dataclass
class _ExtractorHolder:
    """This process's extractor: made on first use, remade when the timeout changes."""

    extractor: Extractor | None = None


_HOLDER = _ExtractorHolder()


class TextLimits(NamedTuple):
    """How long attachment text may take: `timeout` seconds an attachment, `budget` seconds
    a message (settings `ingest.attachment_text_timeout` and `_budget`)."""

    timeout: float = 10.0
    budget: float = 60.0


DEFAULT_TEXT_LIMITS = TextLimits()


@dataclass(frozen=True)
class AttachmentTexts:
    """The text read from a message's attachments, and per attachment (by SHA-256) how its
    reading went: `status` (ok, truncated, failed, timeout, too_large, or skipped when the
    message's budget was spent) and `problem`, a short reason or None."""

    texts: list[str]
    status: dict[str, tuple[str, str | None]]


def attachment_texts(
    items: Iterable[Extractable], timeout: float = 10.0, budget: float = 60.0
) -> AttachmentTexts:
    """The text of PDF and DOCX attachments, read by this process's sandboxed extractor:
    `timeout` seconds at most each, `budget` seconds at most for them all (those left when it
    is spent are skipped). Unreadable ones give no text; the record is kept all the same."""
    texts: list[str] = []
    status: dict[str, tuple[str, str | None]] = {}
    spent = 0.0
    for item in items:
        left = budget - spent
        if left < MIN_TEXT_SECONDS:
            status[item.sha256] = (
                "skipped",
                f"the message's {budget:g} s for attachment text was spent",
            )
            continue
        extractor = _HOLDER.extractor
        if extractor is None or extractor.timeout != timeout:
            if extractor is not None:
                extractor.close()
            from archiver.understand.extract import Extractor  # only ingest reads attachments

            extractor = _HOLDER.extractor = Extractor(timeout=timeout, max_chars=MAX_TEXT_CHARS)
        started = time.monotonic()
        result = extractor.extract(item.data, item.content_type, item.filename, left)
        spent += time.monotonic() - started
        status[item.sha256] = (result.status, result.error)
        if result.text:
            texts.append(result.text)
    return AttachmentTexts(texts, status)


def address_tokens(address: str, name: str = "") -> set[str]:
    """What an address is found by: itself, its @domain, its local part, its name's words."""
    found = set(words(name))
    addr = address.strip().strip("<>").lower()
    if addr:
        found.add(addr)
        local, at, domain = addr.rpartition("@")
        if at:
            found.add("@" + domain)
            found.update(words(local))
    return found


def filter_tokens(value: str) -> set[str]:
    """The tokens a `--from`-style filter value must all match (see `address_tokens`)."""
    value = value.strip()
    if "@" in value:
        return {value.strip("<>").lower()}
    return set(words(value))


def _people(meta: RecordMeta) -> dict[str, list[Party]]:
    originals = meta.originals or ()
    senders = [o.sender for o in originals if o.sender]
    recipients = [p for o in originals for p in (*o.to, *o.cc)]
    outer = [*meta.sender, *meta.to, *meta.cc]
    return {
        "from": senders,
        "to": recipients,
        "forwarder": [meta.forwarder] if meta.forwarder else [],
        "participant": [*senders, *recipients, *outer],
    }


def texts(meta: RecordMeta, attachment_texts: Iterable[str] = ()) -> list[str]:
    """The texts a record is searched by, each indexed on its own (phrases do not span two)."""
    out = [meta.subject, meta.note]
    for o in meta.originals or ():
        out += [o.subject or "", o.body]
    out += [a.filename for a in meta.files()]
    out += list(attachment_texts)
    return [t for t in out if t]


def index_tokens(meta: RecordMeta, attachment_texts: Iterable[str] = ()) -> IndexTokens:
    """The tokens of a record with metadata `meta` (and its attachments' text)."""
    fields: dict[str, set[str]] = {WORDS: set(), PAIRS: set()}
    budget = MAX_TEXT_CHARS
    for text in texts(meta, attachment_texts):
        if budget <= 0:
            break
        seq = words(text[:budget])
        budget -= len(text)
        fields[WORDS].update(seq)
        fields[PAIRS].update(bigrams(seq))
    for field, people in _people(meta).items():
        found = fields.setdefault(field, set())
        for p in people:
            found.update(address_tokens(p.address, p.name))
    return IndexTokens(TOKENIZER, fields, min(len(meta.files()), 32767))
