"""What a record puts in the search index: blind terms for its words, phrases and people.

Fields (the `field` of each blind term):
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
from typing import Any, NamedTuple

from archiver.crypto.blind import BlindIndex, pack
from archiver.understand.extract import Extractor
from archiver.understand.parse import MESSAGE_TYPES, Extractable
from archiver.understand.tokens import bigrams, words

TOKENIZER = 1  # bump when `tokens` or this module change what is indexed: reindex follows
MAX_TEXT_CHARS = 400_000  # text indexed per record; more is left out (said in the docs)
MIN_TEXT_SECONDS = 0.5  # less left of a message's budget than this: its attachments are skipped
WORDS = "w"
PAIRS = "p"


@dataclass(frozen=True)
class IndexDoc:
    """One record's index entry: its terms (sorted, unique) and its attachment count."""

    key_id: str
    tokenizer: int
    terms: bytes  # packed signed 64-bit integers, native order
    attachments: int


_extractor: Extractor | None = None


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
    global _extractor
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
        if _extractor is None or _extractor.timeout != timeout:
            if _extractor is not None:
                _extractor.close()
            _extractor = Extractor(timeout=timeout, max_chars=MAX_TEXT_CHARS)
        started = time.monotonic()
        result = _extractor.extract(item.data, item.content_type, item.filename, left)
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


def _people(meta: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    originals = meta.get("originals") or []
    senders = [o["from"] for o in originals if o.get("from")]
    recipients = [p for o in originals for p in (*o.get("to", []), *o.get("cc", []))]
    outer = [*meta.get("sender", []), *meta.get("to", []), *meta.get("cc", [])]
    forwarder = [meta["forwarder"]] if meta.get("forwarder") else []
    return {
        "from": senders,
        "to": recipients,
        "forwarder": forwarder,
        "participant": [*senders, *recipients, *outer],
    }


def files(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The files attached to the message or to the originals in it (forwarded messages are
    originals, not files)."""
    every = [
        *(meta.get("attachments") or []),
        *(a for o in meta.get("originals") or [] for a in o.get("attachments") or []),
    ]
    return [a for a in every if a.get("content_type") not in MESSAGE_TYPES]


def texts(meta: dict[str, Any], attachment_texts: Iterable[str] = ()) -> list[str]:
    """The texts a record is searched by, each indexed on its own (phrases do not span two)."""
    out = [meta.get("subject") or "", meta.get("note") or ""]
    for o in meta.get("originals") or []:
        out += [o.get("subject") or "", o.get("body") or ""]
    out += [a.get("filename") or "" for a in files(meta)]
    out += list(attachment_texts)
    return [t for t in out if t]


def index_doc(
    blind: BlindIndex, key_id: str, meta: dict[str, Any], attachment_texts: Iterable[str] = ()
) -> IndexDoc:
    """The index entry of a record with sealed metadata `meta`."""
    terms: set[int] = set()
    budget = MAX_TEXT_CHARS
    for text in texts(meta, attachment_texts):
        if budget <= 0:
            break
        seq = words(text[:budget])
        budget -= len(text)
        terms.update(blind.terms(WORDS, seq))
        terms.update(blind.terms(PAIRS, bigrams(seq)))
    for field, people in _people(meta).items():
        for p in people:
            terms.update(
                blind.terms(field, address_tokens(p.get("address", ""), p.get("name", "")))
            )
    return IndexDoc(key_id, TOKENIZER, pack(terms), min(len(files(meta)), 32767))
