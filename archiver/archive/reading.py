"""Opening records for people to read: `show`, with every access written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archiver.archive import audit, facts
from archiver.archive.roster import load_roster, record_students
from archiver.crypto import sealing
from archiver.crypto.keyring import Keyring
from archiver.domain import ArrivalRow, RecordMeta, RecordRow
from archiver.errors import IntegrityError
from archiver.store.db import Store


@dataclass(frozen=True)
class OpenedRecord:
    row: RecordRow
    raw: bytes
    meta: RecordMeta
    arrivals: list[tuple[ArrivalRow, str]]  # each arrival with its unsealed locator
    students: list[dict[str, str]]  # id, name, source of each student tag


def open_record(db: Store, ring: Keyring, record_id: str, view: str) -> OpenedRecord:
    """Open a record (hash checked) and audit the access as `view` (text, json, raw).

    Raises UsageError for an unknown id, IntegrityError naming the record if it fails to open
    or any plaintext fact about it (status, dates, arrivals, tags) was changed outside the
    archiver.
    """
    with db.transaction() as tx:
        row = tx.records.get(record_id)
        try:
            facts.check(next(iter(facts.problems(tx, ring, row)), None))
            key = sealing.data_key(ring, row)
            raw = sealing.open_raw(key, row, tx.records.part(row.id, sealing.RAW))
            meta = sealing.open_meta(key, row, tx.records.part(row.id, sealing.META))
            arrivals = [
                (a, sealing.open_locator(key, row.id, a.locator) if a.locator else "")
                for a in tx.records.arrivals(row.id)
            ]
        except IntegrityError as exc:
            failure = str(exc)
        else:
            students = record_students(tx, load_roster(tx, ring), row.id)
            audit.append(tx, ring, "show", target=row.id, details={"view": view})
            return OpenedRecord(row, raw, meta, arrivals, students)
    audit.record_event(db, ring, "show", target=row.id, details={"view": view, "ok": False})
    raise IntegrityError(failure)


_NO_ORIGINAL: dict[str, Any] = {
    "from": None,
    "to": [],
    "cc": [],
    "date": None,
    "date_text": None,
    "subject": None,
    "body": None,
    "provenance": None,
}


def record_view(rec: OpenedRecord) -> dict[str, Any]:
    """The `show --json` document (DESIGN.md section 10), plus outer headers and arrivals.

    Records archived before forwards were understood have no `originals` until
    `archiver rederive` has run.
    """
    row, meta = rec.row, rec.meta
    originals = [o.to_json() for o in meta.originals or ()]
    return {
        "id": row.id,
        "sha256": row.sha256.hex(),
        "size": row.size,
        "status": row.status,
        "quarantine": (
            {"code": row.quarantine_code, "reason": meta.problem} if row.quarantine_code else None
        ),
        "archived_at": row.archived_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "forwarder": meta.forwarder.to_json() if meta.forwarder else None,
        "note": meta.note,
        "original": originals[0] if originals else dict(_NO_ORIGINAL),
        "chain": originals,
        "students": rec.students,
        "subject": meta.subject,
        "from": [p.to_json() for p in meta.sender],
        "to": [p.to_json() for p in meta.to],
        "cc": [p.to_json() for p in meta.cc],
        "date": meta.date_text,
        "message_id": meta.message_id,
        "authentication_results": list(meta.authentication_results),
        "attachments": [a.to_json() for a in meta.attachments],
        "defects": list(meta.defects),
        "body": meta.body if meta.body is not None else _body(rec.raw),
        "arrivals": [
            {
                "arrived_at": a.arrived_at.isoformat(),
                "source_kind": a.source_kind,
                "source_name": a.source_name,
                "mailbox": a.mailbox,
                "uidvalidity": a.uidvalidity,
                "uid": a.uid,
                "locator": label,
            }
            for a, label in rec.arrivals
        ],
    }


def _body(raw: bytes) -> str:
    """The message's own text, for a record sealed before it was kept with the metadata
    (`archiver rederive` keeps it): read again from the original bytes."""
    from archiver.understand.parse import parse  # only old records need the parser

    return parse(raw).text
