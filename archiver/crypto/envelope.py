"""Envelope encryption: per-record data keys (AES-256-GCM) wrapped by key-encryption keys."""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from archiver.errors import IntegrityError

KEY_BYTES = 32
NONCE_BYTES = 12
# AES-GCM takes at most 2**31 - 1 bytes of plaintext in one call (cryptography's limit).
MAX_SEAL_BYTES = 2**31 - 1 - 64
_FORMAT = b"archiver/seal/v1"


def new_key() -> bytes:
    """A fresh random 256-bit key (data key, KEK or index key)."""
    return AESGCM.generate_key(bit_length=256)


def key_check(key: bytes) -> bytes:
    """A 16-byte value that identifies a key without revealing it (stored in the database)."""
    return hmac.new(key, b"archiver key check v1", hashlib.sha256).digest()[:16]


def derive(key: bytes, purpose: str) -> bytes:
    """A 256-bit sub-key of `key` for one purpose (HKDF-SHA256)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode())
    return hkdf.derive(key)


def mac(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256 of `data` under `key`."""
    return hmac.new(key, data, hashlib.sha256).digest()


def _aad(*fields: str) -> bytes:
    # Length-prefixed so no two field lists share an encoding.
    out = bytearray(_FORMAT)
    for f in fields:
        b = f.encode()
        out += len(b).to_bytes(4, "big") + b
    return bytes(out)


def seal(data_key: bytes, record_id: str, part: str, plaintext: bytes) -> bytes:
    """Encrypt one part of a record; the result opens only for the same record id and part."""
    if len(plaintext) > MAX_SEAL_BYTES:
        raise ValueError("part too large to seal in one piece")
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext, _aad("data", record_id, part))


def open_sealed(data_key: bytes, record_id: str, part: str, sealed: bytes) -> bytes:
    """Decrypt a part sealed by `seal`; raises IntegrityError if it was altered or moved."""
    try:
        return AESGCM(data_key).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _aad("data", record_id, part)
        )
    except (InvalidTag, ValueError):
        raise IntegrityError(f"sealed {part} failed authentication (altered or moved)") from None


def wrap(kek: bytes, kek_id: str, record_id: str, data_key: bytes) -> bytes:
    """Wrap a record's data key under a key-encryption key, bound to the record and key id."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, _aad("wrap", record_id, kek_id))


def unwrap(kek: bytes, kek_id: str, record_id: str, wrapped: bytes) -> bytes:
    """Recover a data key wrapped by `wrap`; raises IntegrityError on a wrong key or tampering."""
    try:
        key = AESGCM(kek).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _aad("wrap", record_id, kek_id)
        )
    except (InvalidTag, ValueError):
        raise IntegrityError(
            f"data key does not unwrap with key {kek_id} (wrong key or altered)"
        ) from None
    if len(key) != KEY_BYTES:
        raise IntegrityError("unwrapped data key has the wrong length")
    return key
