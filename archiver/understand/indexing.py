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

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from archiver.crypto.blind import BlindIndex, pack
from archiver.understand.extract import Extractor
from archiver.understand.parse import MESSAGE_TYPES
from archiver.understand.tokens import bigrams, words

TOKENIZER = 1  # bump when `tokens` or this module change what is indexed: reindex follows
MAX_TEXT_CHARS = 400_000  # text indexed per record; more is left out (said in the docs)
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


def attachment_texts(items: Iterable[tuple[str, str, bytes]], timeout: float = 10.0) -> list[str]:
    """The text of PDF and DOCX attachments (filename, content type, bytes), read by this
    process's sandboxed extractor, `timeout` seconds at most each; unreadable ones give
    nothing (the record is still kept)."""
    global _extractor
    out = []
    for name, ctype, data in items:
        if _extractor is None or _extractor.timeout != timeout:
            if _extractor is not None:
                _extractor.close()
            _extractor = Extractor(timeout=timeout, max_chars=MAX_TEXT_CHARS)
        text = _extractor.extract(data, ctype, name).text
        if text:
            out.append(text)
    return out


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
