"""Sealing the short texts records management keeps: a hold's name, reason and criteria, the
reason a record's series was chosen by hand or a hold released. They can name a child or a
lawsuit, so they are never stored in the clear.

Each is sealed (AES-256-GCM, bound to what it belongs to) under a key derived from the current
index key; the blob names that key, so notes stay readable after the key rotates.
"""

from __future__ import annotations

from archiver.crypto import envelope
from archiver.crypto.keyring import Keyring
from archiver.errors import IntegrityError

_PURPOSE = "archiver records-management notes v1"
_LOOKUP = "archiver records-management lookup v1"


class NoteSeal:
    """Seals and opens notes; `lookup` is a keyed hash for finding one by a name."""

    def __init__(self, ring: Keyring) -> None:
        self.ring = ring
        self.key_id, key = ring.index_key()
        self._key = envelope.derive(key, _PURPOSE)
        self._lookup = envelope.derive(key, _LOOKUP)

    def lookup(self, kind: str, name: str) -> bytes:
        return envelope.mac(self._lookup, f"{kind}\0{name}".encode())[:16]

    def seal(self, owner: str, part: str, text: str) -> bytes:
        key_id = self.key_id.encode()
        sealed = envelope.seal(self._key, owner, part, text.encode("utf-8"))
        return bytes([len(key_id)]) + key_id + sealed

    def open(self, owner: str, part: str, blob: bytes) -> str:
        """The text of a note; IntegrityError if it was altered or moved to another owner."""
        if not blob or len(blob) < 1 + blob[0]:
            raise IntegrityError(f"{owner}: its {part} is not a sealed note")
        key_id = blob[1 : 1 + blob[0]].decode("ascii", "replace")
        key = (
            self._key
            if key_id == self.key_id
            else envelope.derive(self.ring.material(key_id), _PURPOSE)
        )
        return envelope.open_sealed(key, owner, part, blob[1 + blob[0] :]).decode("utf-8")
