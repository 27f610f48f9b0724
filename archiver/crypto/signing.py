"""Ed25519 signatures: what signs an export bundle's manifest (DESIGN.md section 9.4).

A signing key is a key file like the others (base64 of 32 bytes, `crypto/keyring.py`): the 32
bytes are the Ed25519 private key (RFC 8032's seed). Its public key is handed out in every
bundle as PEM (SubjectPublicKeyInfo), which `openssl pkeyutl -verify -pubin` reads, and a
signature is RFC 8032's 64 raw bytes.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from archiver.errors import IntegrityError

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


def public_key(private: bytes) -> bytes:
    """The raw 32-byte public key of a 32-byte private key."""
    return (
        Ed25519PrivateKey.from_private_bytes(private)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def sign(private: bytes, data: bytes) -> bytes:
    """The 64-byte Ed25519 signature of `data`."""
    return Ed25519PrivateKey.from_private_bytes(private).sign(data)


def valid(public: bytes, signature: bytes, data: bytes) -> bool:
    """Whether `signature` is `public`'s signature of `data` (a malformed one is not)."""
    if len(public) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def public_pem(public: bytes) -> bytes:
    """The public key as PEM (SubjectPublicKeyInfo), as OpenSSL reads it."""
    return Ed25519PublicKey.from_public_bytes(public).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def read_public_pem(pem: bytes, where: str) -> bytes:
    """The raw public key in a PEM file; IntegrityError naming `where` if it is not an Ed25519
    public key."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise IntegrityError(f"{where}: not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise IntegrityError(f"{where}: not an Ed25519 public key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
