"""Fact tags stay what archives already hold: the same bytes as HMAC-SHA256 made them, and a
changed fact is named, whichever of them changed."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime

from archiver.crypto import envelope
from archiver.crypto.facts import Facts, FactSeal

INDEX_KEY = bytes(range(32))
IDENT = "0123456789abcdef0123456789abcdef"
FACTS: Facts = [
    ("sha256", b"\x00\xff"),
    ("size", 1234),
    ("archived_at", datetime(2026, 3, 1, 12, 30, tzinfo=UTC)),
    ("status", "active"),
    ("quarantine_code", None),
    ("flag", True),
    ("exit_date", date(2027, 6, 30)),
    ("name", "Peña"),
]
# Made by the release before tags were computed from the hash states: an archive's blob.
STORED = bytes.fromhex(
    "01056964782d31d6697b7074a372f293c354f6bbc4749225f53997a9c53807de4a5e9a13c5cedca37aa37a4c"
    "82195af84c49a8fdb2a8c6ebc9e09ffd3196ef67c03deb5aa4d1fe"
)
# The typed values as the tags' messages spell them (crypto/facts.py `_canonical`).
SPELLED = [b"x00ff", b"i1234", b"t1772368200000000", b"sactive", b"n", b"b1", b"d2027-06-30"]


def test_tags_are_the_bytes_archives_already_hold() -> None:
    seal = FactSeal("idx-1", INDEX_KEY)
    assert seal.seal("record", IDENT, FACTS) == STORED
    assert seal.altered("record", IDENT, FACTS, STORED) == []


def test_each_tag_is_hmac_sha256_of_kind_identity_name_and_value() -> None:
    key = envelope.derive(INDEX_KEY, "archiver record facts v1")
    values = [*SPELLED, "sPeña".encode()]
    want = b"".join(
        hmac.new(key, f"record\0{IDENT}\0{name}\0".encode() + value, hashlib.sha256).digest()[:8]
        for (name, _), value in zip(FACTS, values, strict=True)
    )
    assert b"\x01\x05idx-1" + want == STORED


def test_a_changed_fact_is_named_alone() -> None:
    seal = FactSeal("idx-1", INDEX_KEY)
    for i, (name, _) in enumerate(FACTS):
        changed = [*FACTS[:i], (name, "edited"), *FACTS[i + 1 :]]
        assert seal.altered("record", IDENT, changed, STORED) == [name]
    assert seal.altered("record", "another-record", FACTS, STORED) == [n for n, _ in FACTS]
    assert seal.altered("record", IDENT, FACTS[:-1], STORED) == [n for n, _ in FACTS[:-1]]
