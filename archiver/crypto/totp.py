"""Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, six digits), the web
application's second factor, and the otpauth:// URI authenticator apps read."""

from __future__ import annotations

import base64
import hmac
import secrets
import struct
from datetime import datetime
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20  # RFC 4226 recommends 160 bits
ISSUER = "archiver"


def new_secret() -> str:
    """A random secret, base32 without padding (what authenticator apps take)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def step_of(at: datetime) -> int:
    """The time step `at` falls in."""
    return int(at.timestamp()) // STEP_SECONDS


def code(secret: str, step: int) -> str:
    """The code of time step `step` (RFC 4226's HOTP with the step as the counter)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.digest(key, struct.pack(">Q", step), "sha1")
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def matching_step(secret: str, given: str, at: datetime, drift: int = 1) -> int | None:
    """The time step within `drift` steps of `at` whose code is `given`, or None (the latest
    one, should two match). Every candidate is compared in constant time."""
    text = given.strip().replace(" ", "")
    if len(text) != DIGITS or not text.isascii() or not text.isdigit():
        return None
    now = step_of(at)
    found = None
    for step in range(now - drift, now + drift + 1):
        if hmac.compare_digest(code(secret, step), text):
            found = step
    return found


def uri(account: str, secret: str, issuer: str = ISSUER) -> str:
    """The otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER URI for an authenticator
    app (as text or a QR code)."""
    label = quote(f"{issuer}:{account}", safe=":@")
    return f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": issuer})
