"""Forwarded originals in records, and re-deriving them for an existing archive."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, select, update

from archiver.archive.keys import load_keyring
from archiver.crypto.sealing import META, data_key, seal_meta
from archiver.domain import RecordMeta
from archiver.settings import load_settings
from archiver.store.db import Store
from archiver.store.tables import sealed_part
from tests.conftest import Archive

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _imported(archive: Archive) -> dict[str, str]:
    doc = archive.ok("import", "--json", *sorted(str(p) for p in EXAMPLES.glob("*.eml"))).json()
    return {Path(i["path"]).name: i["id"] for i in doc["items"]}


def test_each_kind_of_forward_gives_its_original(archive: Archive) -> None:
    ids = _imported(archive)
    archive.ok("students", "import", str(EXAMPLES / "students.csv"))

    def view(name: str) -> dict[str, object]:
        doc = archive.ok("show", "--json", ids[name]).json()
        assert isinstance(doc, dict)
        return doc

    gmail = view("01-gmail-inline-absence.eml")
    original = gmail["original"]
    assert isinstance(original, dict)
    assert original["provenance"] == "reconstructed"
    assert original["from"] == {"name": "Patricia Doherty", "address": "pdoherty74@gmail.example"}
    assert original["subject"] == "Liam out Thursday and Friday"
    assert original["date"] == "2025-10-14T01:47:00+00:00"  # "Mon, Oct 13, 2025 at 9:47 PM"
    assert gmail["sent_at"] == original["date"]
    assert gmail["forwarder"] == {
        "name": "Rachel Okafor",
        "address": "rachel.okafor.teach@gmail.example",
    }
    assert str(gmail["note"]).startswith("Forwarding for the record")

    attached = view("04-forward-as-attachment-complaint.eml")["original"]
    assert isinstance(attached, dict) and attached["provenance"] == "headers"
    auto = view("11-gmail-auto-forward-filter.eml")
    assert isinstance(auto["original"], dict) and auto["original"]["provenance"] == "none"
    plain = view("08-not-a-forward-phone-log.eml")
    assert isinstance(plain["original"], dict) and plain["original"]["provenance"] == "none"
    spanish = view("05-spanish-gmail-forward.eml")["original"]
    assert isinstance(spanish, dict) and spanish["provenance"] == "reconstructed"

    students = view("07-outlook-web-students-line.eml")["students"]
    assert isinstance(students, list) and len(students) == 2
    assert {s["source"] for s in students} == {"explicit"}


def test_rederive_fills_in_records_archived_before_forwards_were_understood(
    archive: Archive,
) -> None:
    ids = _imported(archive)
    rid = ids["01-gmail-inline-absence.eml"]
    raw_before = archive.ok("show", "--raw", rid).out
    settings = load_settings(archive.config)
    db = Store.open(settings.database_url)
    ring = load_keyring(db, settings.keys_dir)
    with db.transaction() as tx:  # make it look like a record from the first release
        row = tx.records.get(rid)
        old_meta = RecordMeta.from_json(
            {"subject": "Fwd: Liam out Thursday and Friday", "sender": [], "to": []}
        )
        assert old_meta.originals is None and old_meta.body is None
        tx.records.set_part(rid, META, seal_meta(data_key(ring, row), rid, old_meta))
    db.close()
    assert archive.ok("show", "--json", rid).json()["original"]["provenance"] is None
    doc = archive.ok("rederive", "--json").json()
    assert doc["checked"] == len(ids) and doc["failed"] == []
    view = archive.ok("show", "--json", rid).json()
    assert view["original"]["provenance"] == "reconstructed"
    assert view["original"]["from"]["address"] == "pdoherty74@gmail.example"
    assert archive.ok("show", "--raw", rid).out == raw_before  # the record never changes
    assert archive.ok("verify", "--json").json()["failed"] == []
    assert archive.ok("audit", "verify", "--json").json()["ok"]


def test_rederive_names_records_it_cannot_open(archive: Archive) -> None:
    ids = _imported(archive)
    victim = ids["03-apple-iphone-forward.eml"]
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:
        data = conn.execute(
            select(sealed_part.c.data).where(
                sealed_part.c.record_id == victim, sealed_part.c.part == "raw"
            )
        ).scalar_one()
        conn.execute(
            update(sealed_part)
            .where(sealed_part.c.record_id == victim, sealed_part.c.part == "raw")
            .values(data=data[:-1] + bytes([data[-1] ^ 1]))
        )
    engine.dispose()
    result = archive.cli("rederive", "--json")
    assert result.code == 3 and result.json()["failed"] == [victim]
