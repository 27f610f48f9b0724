"""Authenticating the plaintext facts the database states about records (DESIGN.md promise 2).

A row's facts (status, dates, sizes, tag sources...) are plaintext so they can be filtered on.
Each fact gets its own keyed tag, so a change names the fact that changed: HMAC-SHA256 under a
key derived from an index key, over the row kind, the row's identity, the fact's name and its
value, truncated to 64 bits. The tags are stored in one blob per row, which also names the
key they were made with (keys rotate; retired keys stay readable).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from archiver.crypto import envelope

FORMAT = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
TAG_BYTES = 8
_BLOCK = 64  # SHA-256's block size, which HMAC pads its key to
Value = str | int | bytes | datetime | date | None
Facts = Sequence[tuple[str, Value]]


def _canonical(value: Value) -> bytes:
    # Typed and unambiguous: None, b"", "" and 0 must all differ.
    if type(value) is str:  # most facts: first, without the checks below
        return b"s" + value.encode("utf-8", "surrogatepass")
    if value is None:
        return b"n"
    if isinstance(value, bool):
        return b"b" + (b"1" if value else b"0")
    if isinstance(value, int):
        return b"i" + str(value).encode()
    if isinstance(value, bytes):
        return b"x" + value.hex().encode()
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=UTC)
        return b"t%d" % ((when - _EPOCH) // _MICROSECOND)  # exact, whatever the zone
    if isinstance(value, date):
        return b"d" + value.isoformat().encode()
    return b"s" + value.encode("utf-8", "surrogatepass")


class FactSeal:
    """Makes and checks fact tags under one index key."""

    def __init__(self, key_id: str, index_key: bytes) -> None:
        self.key_id = key_id
        # HMAC-SHA256 (RFC 2104) keyed once: its inner and outer hashes, each already fed
        # its padded key. Each tag continues copies of them: the same tags as `hmac`, with
        # less Python per tag (a search checks hundreds).
        key = envelope.derive(index_key, "archiver record facts v1")
        block = key.ljust(_BLOCK, b"\0")  # 32 bytes: never longer than the block
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def _tags(self, kind: str, ident: str, facts: Facts) -> list[bytes]:
        # Kind, identity and fact name never hold a NUL, and the typed value comes last: the
        # message is unambiguous without length prefixes.
        head = f"{kind}\0{ident}\0".encode()
        inner, outer = self._inner, self._outer
        out = []
        for name, value in facts:
            mac = inner.copy()
            mac.update(head + name.encode() + b"\0" + _canonical(value))
            done = outer.copy()
            done.update(mac.digest())
            out.append(done.digest()[:TAG_BYTES])
        return out

    def seal(self, kind: str, ident: str, facts: Facts) -> bytes:
        """The blob to store beside the facts of row `ident` of kind `kind`."""
        key_id = self.key_id.encode()
        return bytes([FORMAT, len(key_id)]) + key_id + b"".join(self._tags(kind, ident, facts))

    def altered(self, kind: str, ident: str, facts: Facts, blob: bytes) -> list[str]:
        """The names of the facts that do not match their tags in `blob` (made by this key)."""
        tags = blob[2 + blob[1] :]
        if len(tags) != TAG_BYTES * len(facts):
            return [name for name, _ in facts]
        want = self._tags(kind, ident, facts)
        if hmac.compare_digest(b"".join(want), tags):
            return []  # all of them (the usual case): one comparison
        return [
            name
            for i, ((name, _), tag) in enumerate(zip(facts, want, strict=True))
            if not hmac.compare_digest(tag, tags[i * TAG_BYTES : (i + 1) * TAG_BYTES])
        ]


def key_of(blob: bytes) -> str | None:
    """The id of the key a blob was made with, or None if it is not a fact blob."""
    if len(blob) < 2 or blob[0] != FORMAT or len(blob) < 2 + blob[1]:
        return None
    try:
        return blob[2 : 2 + blob[1]].decode("ascii")
    except UnicodeDecodeError:
        return None


def altered(
    seal_for: Callable[[str], FactSeal], kind: str, ident: str, facts: Facts, blob: bytes | None
) -> list[str]:
    """The facts of a row that do not match their stored tags (every fact, if the blob is
    missing or unreadable); `seal_for` gives the seal of a key id (raises if unknown)."""
    key_id = key_of(blob) if blob else None
    if blob is None or key_id is None:
        return [name for name, _ in facts]
    return seal_for(key_id).altered(kind, ident, facts, blob)
