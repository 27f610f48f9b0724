"""Sealing binds ciphertext to its record and part; wrong keys and flipped bytes never open."""

from __future__ import annotations

import pytest

from archiver.crypto import envelope
from archiver.errors import IntegrityError


def test_seal_opens_only_for_the_same_record_and_part() -> None:
    key = envelope.new_key()
    sealed = envelope.seal(key, "rec1", "raw", b"hello")
    assert envelope.open_sealed(key, "rec1", "raw", sealed) == b"hello"
    for rid, part in (("rec2", "raw"), ("rec1", "meta")):
        with pytest.raises(IntegrityError):
            envelope.open_sealed(key, rid, part, sealed)
    with pytest.raises(IntegrityError):
        envelope.open_sealed(envelope.new_key(), "rec1", "raw", sealed)
    flipped = bytearray(sealed)
    flipped[-1] ^= 1
    with pytest.raises(IntegrityError):
        envelope.open_sealed(key, "rec1", "raw", bytes(flipped))


def test_same_plaintext_seals_differently_each_time() -> None:
    key = envelope.new_key()
    assert envelope.seal(key, "r", "raw", b"x") != envelope.seal(key, "r", "raw", b"x")


def test_wrapped_key_is_bound_to_record_and_kek_id() -> None:
    kek, dek = envelope.new_key(), envelope.new_key()
    wrapped = envelope.wrap(kek, "kek-1", "rec1", dek)
    assert envelope.unwrap(kek, "kek-1", "rec1", wrapped) == dek
    for kek_id, rid in (("kek-2", "rec1"), ("kek-1", "rec2")):
        with pytest.raises(IntegrityError, match="kek-"):
            envelope.unwrap(kek, kek_id, rid, wrapped)


def test_key_check_identifies_a_key_without_being_it() -> None:
    key = envelope.new_key()
    check = envelope.key_check(key)
    assert check == envelope.key_check(key) and check not in key and len(check) == 16
    assert envelope.key_check(envelope.new_key()) != check
