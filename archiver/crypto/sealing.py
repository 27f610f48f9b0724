"""Sealing a record's parts and opening them again, checking the SHA-256 of the original bytes.

Layout (seal version 1): each part is zstd-compressed, then AES-256-GCM encrypted with the
record's data key; the associated data names the record and the part. The data key is wrapped
by the current key-encryption key, bound to the record id and the key id.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass

from archiver.crypto import compression, envelope
from archiver.crypto.keyring import Keyring
from archiver.domain import RecordMeta, RecordRow
from archiver.errors import CompressionError, IntegrityError

SEAL_VERSION = 1
RAW = "raw"
META = "meta"
LOCATOR = "locator"


def new_record_id() -> str:
    """A random record id: 32 hex digits, revealing nothing."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class SealedRecord:
    """A record's sealed parts, its fresh data key, and that key wrapped by a KEK."""

    record_id: str
    kek_id: str
    wrapped_key: bytes
    data_key: bytes
    parts: dict[str, bytes]


def seal_record(raw: bytes, meta: RecordMeta, kek_id: str, kek: bytes, level: int) -> SealedRecord:
    """Seal `raw` and its derived `meta` under a fresh data key wrapped by `kek`."""
    record_id = new_record_id()
    data_key = envelope.new_key()
    parts = {
        RAW: envelope.seal(data_key, record_id, RAW, compression.compress(raw, level)),
        META: seal_meta(data_key, record_id, meta, level),
    }
    wrapped = envelope.wrap(kek, kek_id, record_id, data_key)
    return SealedRecord(record_id, kek_id, wrapped, data_key, parts)


def seal_meta(key: bytes, record_id: str, meta: RecordMeta, level: int = 3) -> bytes:
    """A record's derived metadata, sealed under its data key (used again when re-derived)."""
    data = json.dumps(meta.to_json(), ensure_ascii=False, separators=(",", ":")).encode()
    return envelope.seal(key, record_id, META, compression.compress(data, level))


def data_key(ring: Keyring, row: RecordRow) -> bytes:
    """The record's data key; raises IntegrityError naming the record, KeyFileError."""
    try:
        return envelope.unwrap(ring.material(row.kek_id), row.kek_id, row.id, row.wrapped_key)
    except IntegrityError as exc:
        raise IntegrityError(f"record {row.id}: {exc}") from None


def _open(key: bytes, row: RecordRow, part: str, sealed: bytes | None) -> bytes:
    if sealed is None:
        raise IntegrityError(f"record {row.id}: sealed {part} is missing")
    try:
        return compression.decompress(envelope.open_sealed(key, row.id, part, sealed))
    except IntegrityError as exc:
        raise IntegrityError(f"record {row.id}: {exc}") from None
    except CompressionError as exc:
        raise IntegrityError(f"record {row.id}: sealed {part}: {exc}") from None


def open_raw(key: bytes, row: RecordRow, sealed: bytes | None) -> bytes:
    """The original bytes, checked against the record's SHA-256; raises IntegrityError."""
    raw = _open(key, row, RAW, sealed)
    if len(raw) != row.size or hashlib.sha256(raw).digest() != row.sha256:
        raise IntegrityError(f"record {row.id}: original bytes do not match their SHA-256")
    return raw


def open_meta(key: bytes, row: RecordRow, sealed: bytes | None) -> RecordMeta:
    """The derived metadata, of any sealed version; raises IntegrityError."""
    data = _open(key, row, META, sealed)
    try:
        meta = json.loads(data)
    except ValueError:
        raise IntegrityError(f"record {row.id}: metadata is not valid JSON") from None
    if not isinstance(meta, dict):
        raise IntegrityError(f"record {row.id}: metadata is not an object")
    try:
        return RecordMeta.from_json(meta)
    except (TypeError, ValueError, AttributeError) as exc:
        raise IntegrityError(f"record {row.id}: metadata is not readable ({exc})") from None


def seal_locator(key: bytes, record_id: str, label: str) -> bytes:
    """An arrival's locator (file path, mailbox) sealed with its record's data key."""
    return envelope.seal(key, record_id, LOCATOR, label.encode("utf-8", "surrogateescape"))


def arrival_position(
    key: bytes, record_id: str, source: str, label: str, epoch: int | None
) -> bytes:
    """Where a copy of a record came from, as a keyed hash under the record's data key (which
    never changes, so neither does this): `source` and `label` (a path, an mbox position, a
    mailbox UID) and the mailbox's UIDVALIDITY `epoch`. Equal for the same place only."""
    place = "\0".join((record_id, source, label, "" if epoch is None else str(epoch)))
    return envelope.mac(
        envelope.derive(key, "archiver arrival position v1"),
        place.encode("utf-8", "surrogateescape"),
    )[:16]


def open_locator(key: bytes, record_id: str, sealed: bytes) -> str:
    """An arrival's locator; raises IntegrityError naming the record."""
    try:
        data = envelope.open_sealed(key, record_id, LOCATOR, sealed)
    except IntegrityError as exc:
        raise IntegrityError(f"record {record_id}: {exc}") from None
    return data.decode("utf-8", "surrogateescape")
