"""A record: its original with headers, the forwarder's note, the body, attachments to view
or download, students and their tag sources, retention, holds, requests and its audit trail.
Opening it writes the access event (and the students' access log) with the signed-in
person, as `archiver show` does."""

from __future__ import annotations

import mimetypes
from typing import Any

from flask import Blueprint, Response, render_template

from archiver.errors import DestroyedError
from archiver.web.context import archive_of, requires

blueprint = Blueprint("records", __name__)

# Attachments a browser may show inline: images only (never HTML, SVG or PDF from a message:
# they could run script or hide content); everything else is downloaded.
INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
TRAIL = 100  # audit events shown on a record's page, the newest (the audit log has them all)


def _trail(record_id: str) -> dict[str, Any]:
    """The newest events about a record, and how many there are in all (for the template)."""
    from archiver.archive.audit_log import about_record

    archive = archive_of()
    events, total = about_record(archive.store, archive.keyring, record_id, TRAIL)
    return {"trail": events, "trail_total": total, "trail_record": record_id}


@blueprint.get("/records/<record_id>")
@requires("records.read")
def record(record_id: str) -> str | tuple[str, int]:
    """The record's page (a destroyed record's tombstone)."""
    from archiver.archive.reading import open_record, record_view
    from archiver.records.retention import of_record
    from archiver.web.auth import actor_name
    from archiver.web.context import current

    archive = archive_of()
    try:
        rec = open_record(archive.store, archive.keyring, record_id, "text")
    except DestroyedError as exc:
        stone = archive.disposal().tombstone(exc.record_id, actor_name(current()))
        return render_template("tombstone.html", stone=stone, **_trail(stone.record_id))
    view = record_view(rec)
    with archive.store.reading() as tx:
        kept = of_record(tx, archive.keyring, archive.schedule, rec.row.id)
    return render_template(
        "record.html",
        r=view,
        retention=kept.to_json() if kept else None,
        **_trail(rec.row.id),
        inline=INLINE,
    )


@blueprint.get("/records/<record_id>/attachments/<int:number>")
@requires("records.read")
def attachment(record_id: str, number: int) -> Response:
    """One attachment's bytes (audited as a copy): images shown, everything else saved."""
    from archiver.archive.reading import attachment_bytes, open_record

    archive = archive_of()
    rec = open_record(archive.store, archive.keyring, record_id, "attachments", [number])
    [(item, data)] = attachment_bytes(rec, [number])
    kind = (item.info.content_type or "").lower()
    if kind not in INLINE:
        kind = "application/octet-stream"
    response = Response(data, mimetype=kind)
    name = item.info.filename or f"attachment-{number}{mimetypes.guess_extension(kind) or ''}"
    disposition = "inline" if kind in INLINE else "attachment"
    response.headers.set("Content-Disposition", disposition, filename=name)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@blueprint.get("/records/<record_id>/original.eml")
@requires("records.read")
def original(record_id: str) -> Response:
    """The message as it arrived, byte for byte (audited as a copy)."""
    from archiver.archive.reading import open_record

    archive = archive_of()
    rec = open_record(archive.store, archive.keyring, record_id, "raw")
    response = Response(rec.raw, mimetype="message/rfc822")
    response.headers.set("Content-Disposition", "attachment", filename=f"{rec.row.id}.eml")
    return response
