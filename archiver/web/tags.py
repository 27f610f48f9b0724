"""Correcting a record's student tags from its page (`archiver tag add|remove`): confirm an
automatic tag (it becomes manual), remove a wrong one for good, or tag another student (by
roster id, or a full name only one student has). Each goes back to the record's page."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from werkzeug.wrappers import Response

from archiver.errors import UsageError
from archiver.web.context import archive_of, requires

blueprint = Blueprint("tags", __name__)


@blueprint.post("/records/<record_id>/tags")
@requires("records.tag")
def add(record_id: str) -> Response:
    """Tag the record with a student (or confirm a tag: it becomes manual)."""
    from archiver.archive.roster import resolve_student
    from archiver.archive.tagging import add_tag

    archive = archive_of()
    given = request.form.get("student", "")
    sid = resolve_student(archive.store, archive.keyring, given.strip() or None, "Student")
    if sid is None:
        raise UsageError("Student: give a roster id or a full name")
    rid = add_tag(archive.store, archive.keyring, record_id, sid, archive.records_changed())
    return redirect(url_for("records.record", record_id=rid) + "#students-h")


@blueprint.post("/records/<record_id>/tags/<student_id>/remove")
@requires("records.tag")
def remove(record_id: str, student_id: str) -> Response:
    """Remove a student from the record for good: automatic tagging will not put it back."""
    from archiver.archive.tagging import remove_tag

    archive = archive_of()
    rid, _ = remove_tag(
        archive.store, archive.keyring, record_id, student_id, archive.records_changed()
    )
    return redirect(url_for("records.record", record_id=rid) + "#students-h")
