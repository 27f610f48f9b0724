"""Tampering with stored ciphertext, wrapped keys and audit events is reported by name."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, select, update

from archiver.store.tables import audit_event, audit_head, record, sealed_part
from tests.conftest import CORPUS, Archive


def _flip(data: bytes, at: int) -> bytes:
    b = bytearray(data)
    b[at] ^= 0x01
    return bytes(b)


def _import_some(archive: Archive) -> list[str]:
    doc = archive.ok("import", "--json", str(CORPUS / "mikel-mail" / "plain_emails")).json()
    return [i["id"] for i in doc["items"] if i["status"] in ("archived", "quarantined")]


def _engine(archive: Archive) -> Engine:
    return create_engine(archive.database_url)


def test_flipped_ciphertext_byte_is_named_by_verify_and_show(archive: Archive) -> None:
    ids = _import_some(archive)
    victim = ids[3]
    engine = _engine(archive)
    with engine.begin() as conn:
        data = conn.execute(
            select(sealed_part.c.data).where(
                sealed_part.c.record_id == victim, sealed_part.c.part == "raw"
            )
        ).scalar_one()
        conn.execute(
            update(sealed_part)
            .where(sealed_part.c.record_id == victim, sealed_part.c.part == "raw")
            .values(data=_flip(data, len(data) // 2))
        )
    engine.dispose()
    result = archive.cli("verify", "--json")
    assert result.code == 3
    doc = result.json()
    assert [f["id"] for f in doc["failed"]] == [victim]
    assert doc["ok"] == len(ids) - 1
    shown = archive.cli("show", victim)
    assert shown.code == 3 and victim in shown.err and shown.out == b""
    assert archive.cli("show", "--raw", victim).out == b""  # never garbage
    plain = archive.cli("verify")
    assert plain.code == 3 and victim in plain.err


def test_ciphertext_moved_to_another_record_does_not_open(archive: Archive) -> None:
    a, b = _import_some(archive)[:2]
    engine = _engine(archive)
    with engine.begin() as conn:
        data = conn.execute(
            select(sealed_part.c.data).where(
                sealed_part.c.record_id == a, sealed_part.c.part == "raw"
            )
        ).scalar_one()
        conn.execute(
            update(sealed_part)
            .where(sealed_part.c.record_id == b, sealed_part.c.part == "raw")
            .values(data=data)
        )
    engine.dispose()
    result = archive.cli("verify", "--json")
    assert result.code == 3 and [f["id"] for f in result.json()["failed"]] == [b]


def test_flipped_wrapped_key_is_named(archive: Archive) -> None:
    victim = _import_some(archive)[1]
    engine = _engine(archive)
    with engine.begin() as conn:
        wrapped = conn.execute(
            select(record.c.wrapped_key).where(record.c.id == victim)
        ).scalar_one()
        conn.execute(
            update(record).where(record.c.id == victim).values(wrapped_key=_flip(wrapped, 20))
        )
    engine.dispose()
    result = archive.cli("verify", "--json")
    assert result.code == 3
    [failure] = result.json()["failed"]
    assert failure["id"] == victim and "key" in failure["error"]


def test_edited_audit_event_is_named(archive: Archive) -> None:
    _import_some(archive)
    archive.ok("verify")
    assert archive.ok("audit", "verify").code == 0
    engine = _engine(archive)
    with engine.begin() as conn:
        seq, details = conn.execute(  # the first ingest (after its cohort keys were made)
            select(audit_event.c.seq, audit_event.c.details)
            .where(audit_event.c.action == "ingest")
            .order_by(audit_event.c.seq)
            .limit(1)
        ).one()
        conn.execute(
            update(audit_event)
            .where(audit_event.c.seq == seq)
            .values(details=details.replace('"duplicates":0', '"duplicates":1'))
        )
    engine.dispose()
    result = archive.cli("audit", "verify", "--json")
    assert result.code == 3
    doc = result.json()
    assert doc["broken_seq"] == seq and "altered" in doc["problem"]
    plain = archive.cli("audit", "verify")
    assert plain.code == 3 and f"event {seq}" in plain.err


def test_flipped_audit_hash_and_removed_tail_are_detected(archive: Archive) -> None:
    _import_some(archive)
    archive.ok("verify")
    archive.ok("verify")
    engine = _engine(archive)
    with engine.begin() as conn:
        digest = conn.execute(select(audit_event.c.hash).where(audit_event.c.seq == 1)).scalar_one()
        conn.execute(
            update(audit_event).where(audit_event.c.seq == 1).values(hash=_flip(digest, 0))
        )
    result = archive.cli("audit", "verify", "--json")
    assert result.code == 3 and result.json()["broken_seq"] == 1
    with engine.begin() as conn:  # put it back, then cut the newest event off the end
        conn.execute(update(audit_event).where(audit_event.c.seq == 1).values(hash=digest))
        last = conn.execute(select(audit_head.c.seq)).scalar_one()
        conn.execute(audit_event.delete().where(audit_event.c.seq == last))
    engine.dispose()
    result = archive.cli("audit", "verify", "--json")
    assert result.code == 3
    assert "removed" in result.json()["problem"]
