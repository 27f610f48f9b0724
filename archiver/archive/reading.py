"""Opening records for people to read: `show`, with every access written to the audit log."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any, Literal

from archiver.archive import access, audit, facts
from archiver.archive.roster import record_students
from archiver.crypto import sealing
from archiver.crypto.keyring import Keyring
from archiver.domain import PROVENANCE_HEADERS, ArrivalRow, AttachmentInfo, RecordMeta, RecordRow
from archiver.errors import IntegrityError, UsageError
from archiver.store.db import Store


@dataclass(frozen=True)
class OpenedRecord:
    row: RecordRow
    raw: bytes
    meta: RecordMeta
    arrivals: list[tuple[ArrivalRow, str]]  # each arrival with its unsealed locator
    students: list[dict[str, str]]  # id, name, source of each student tag


@dataclass(frozen=True)
class Listed:
    """An attachment as `show` lists it: its number (from 1), what it is, and which original
    it belongs to (None: the message itself; N: the Nth original of the chain)."""

    index: int
    info: AttachmentInfo
    original: int | None

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, **self.info.to_json(), "original": self.original}


def listed(meta: RecordMeta) -> list[Listed]:
    """Every attachment of a record, numbered: the message's own, then each attached
    original's, outermost first."""
    every: list[tuple[int | None, AttachmentInfo]] = [(None, a) for a in meta.attachments]
    for n, o in enumerate(meta.originals or (), start=1):
        if o.provenance == PROVENANCE_HEADERS:
            every += [(n, a) for a in o.attachments]
    return [Listed(k, a, n) for k, (n, a) in enumerate(every, start=1)]


Wanted = Literal["all"] | list[int] | None  # attachments an access reads


# How each view appears in a student's access log.
_ACCESS = {
    "text": "viewed",
    "json": "viewed",
    "raw": "copied (original message)",
    "attachments": "copied (attachments)",
    "pdf": "copied (PDF rendering)",
    "export": "exported",
}


def open_record(
    db: Store,
    ring: Keyring,
    record_id: str,
    view: str,
    attachments: Wanted = None,
    purpose: str | None = None,
) -> OpenedRecord:
    """Open a record (hash checked) and audit the access as `view` (text, json, raw,
    attachments, pdf, export), naming the `attachments` read (their numbers, or all of them);
    the access is logged for each student the record is tagged with, with its `purpose`.

    Raises UsageError for an unknown id or attachment number, IntegrityError naming the
    record if it fails to open or any plaintext fact about it (status, dates, arrivals, tags)
    was changed outside the archiver.
    """
    # Read from a snapshot without the write lock (pages open records side by side), then
    # write the access in a short transaction of its own before anything is returned.
    with db.reading() as tx:
        row = tx.records.get(record_id)
        failure: str | None = None
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
            meta = _current(meta, raw)
            details: dict[str, Any] = {"view": view}
            if attachments is not None:
                details["attachments"] = _numbers(meta, row.id, attachments)
            students = record_students(tx, ring, row.id)
    if failure is None:
        with db.transaction() as tx:
            seq = audit.append(tx, ring, "show", target=row.id, details=details)
            access.log(tx, ring, [row.id], _ACCESS.get(view, view), seq, purpose)
        return OpenedRecord(row, raw, meta, arrivals, students)
    audit.record_event(db, ring, "show", target=row.id, details={"view": view, "ok": False})
    raise IntegrityError(failure)


def _numbers(meta: RecordMeta, record_id: str, wanted: Literal["all"] | list[int]) -> list[int]:
    count = len(listed(meta))
    if wanted == "all":
        return list(range(1, count + 1))
    for k in wanted:
        if not 1 <= k <= count:
            has = f"attachments 1-{count}" if count else "no attachments"
            raise UsageError(f"record {record_id} has {has}, not attachment {k}")
    return list(wanted)


def _current(meta: RecordMeta, raw: bytes) -> RecordMeta:
    """`meta` with its attachments read again from the original bytes if it was sealed before
    attached messages had their real size and a SHA-256 (`archiver rederive` seals them)."""
    if all(item.info.sha256 for item in listed(meta)):
        return meta
    from archiver.understand.parse import parse

    fresh = parse(raw).metadata()
    old, new = listed(meta), listed(fresh)
    if [(i.original, i.info.filename) for i in old] != [(i.original, i.info.filename) for i in new]:
        return meta  # understood differently now: `rederive` will say how

    def same(a: AttachmentInfo, b: AttachmentInfo) -> AttachmentInfo:
        return replace(a, size=b.size, sha256=b.sha256)

    originals = meta.originals
    if originals is not None and fresh.originals is not None:
        originals = (
            tuple(
                replace(o, attachments=tuple(map(same, o.attachments, f.attachments)))
                for o, f in zip(originals, fresh.originals, strict=False)
            )
            + originals[len(fresh.originals) :]
        )
    return replace(
        meta,
        attachments=tuple(map(same, meta.attachments, fresh.attachments)),
        originals=originals,
    )


def attachment_bytes(rec: OpenedRecord, numbers: list[int]) -> list[tuple[Listed, bytes]]:
    """The listed attachments `numbers`, each with its decoded bytes, read again from the
    record's original bytes (their SHA-256 is the one listed)."""
    from archiver.understand.parse import parse

    every = listed(rec.meta)
    wanted = [every[k - 1] for k in numbers]
    found = parse(rec.raw, frozenset(item.info.sha256 for item in wanted)).found
    out = []
    for item in wanted:
        data = found.get(item.info.sha256)
        if data is None or hashlib.sha256(data).hexdigest() != item.info.sha256:
            raise IntegrityError(
                f"record {rec.row.id}: attachment {item.index} cannot be read again from the "
                "original bytes as it was listed (run `archiver rederive`)"
            )
        out.append((item, data))
    return out


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
    every = listed(meta)
    for n, o in enumerate(originals, start=1):  # with each attachment's number
        if o["provenance"] == PROVENANCE_HEADERS:
            o["attachments"] = [i.to_json() for i in every if i.original == n]
    outer = [i.to_json() for i in every if i.original is None]
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
        "attachments": outer,
        "all_attachments": [i.to_json() for i in every],
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
