"""Legal holds (DESIGN.md 9.2): the list, a hold's page (its reason, criteria, the records it
covers and its events), placing a hold, adding or taking out records, releasing it. Every
action calls what `archiver hold ...` calls, with the signed-in person as the actor."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from archiver.domain import AuditQuery, SearchRequest
from archiver.errors import UsageError
from archiver.web.context import archive_of, current, form_day, requires

blueprint = Blueprint("holds", __name__)

EVENTS = 200  # audit events shown on a hold's page
CRITERIA = ("words", "student", "participant", "forwarder", "since", "until")


def _text(name: str) -> str | None:
    return request.form.get(name, "").strip() or None


def _ids() -> list[str]:
    """Record ids from the form's text area (spaces, commas or lines between them)."""
    return request.form.get("records", "").replace(",", " ").split()


def _actor() -> str:
    from archiver.web.auth import actor_name

    return actor_name(current())


@blueprint.get("/holds")
@requires("holds.read")
def holds(error: str | None = None, status: int = 200) -> tuple[str, int]:
    """Every hold, open ones first, and (for those who may) the form placing one."""
    from archiver.records.holds import list_holds

    archive = archive_of()
    found = list_holds(archive.store, archive.keyring)
    return render_template("holds_list.html", holds=found, error=error, form=request.form), status


@blueprint.post("/holds")
@requires("holds.manage")
def create() -> Response | tuple[str, int]:
    """Place a hold, as `archiver hold create` does: its criteria catch later records too."""
    from archiver.archive.roster import resolve_student
    from archiver.records.holds import create as create_hold

    archive = archive_of()
    try:
        student = resolve_student(archive.store, archive.keyring, _text("student"), "Student")
        criteria = SearchRequest(
            query=request.form.get("words", "").strip(),
            student=student,
            participant=_text("participant"),
            forwarder=_text("forwarder"),
            since=form_day("since", "Sent on or after"),
            until=form_day("until", "Sent on or before"),
        )
        h, _ = create_hold(
            archive.store,
            archive.keyring,
            archive.district,
            request.form.get("name", ""),
            request.form.get("reason", ""),
            criteria,
            _ids(),
            _actor(),
        )
    except UsageError as exc:
        return holds(str(exc), 400)
    return redirect(url_for("holds.hold", name=h.name))


@blueprint.get("/holds/<path:name>")
@requires("holds.read")
def hold(name: str, error: str | None = None, status: int = 200) -> tuple[str, int]:
    """A hold: its reason, criteria, the records it covers and what was done with it."""
    from archiver.archive.audit_log import read_log
    from archiver.records.holds import show

    archive = archive_of()
    h, ids, removed = show(archive.store, archive.keyring, name)
    # The log's record filter matches an event's target too: a hold's events target hold:N.
    query = AuditQuery(record=f"hold:{h.id}")
    events = list(read_log(archive.store, archive.keyring, query, EVENTS))
    return render_template(
        "holds_hold.html",
        h=h,
        criteria=h.criteria_json(),
        ids=ids,
        removed=removed,
        trail=events,
        error=error,
    ), status


def _change(name: str, add: bool) -> Response | tuple[str, int]:
    from archiver.records.holds import change

    archive = archive_of()
    try:
        if not _ids():  # as the command's ID... argument: at least one
            raise UsageError("Records: name at least one record id")
        h, _ = change(
            archive.store,
            archive.keyring,
            name,
            _ids(),
            request.form.get("reason", ""),
            _actor(),
            add,
        )
    except UsageError as exc:
        return hold(name, str(exc), 400)
    return redirect(url_for("holds.hold", name=h.name))


@blueprint.post("/holds/<path:name>/add")
@requires("holds.manage")
def add(name: str) -> Response | tuple[str, int]:
    """Add records to the hold by hand (`archiver hold add`)."""
    return _change(name, add=True)


@blueprint.post("/holds/<path:name>/remove")
@requires("holds.manage")
def remove(name: str) -> Response | tuple[str, int]:
    """Take records out of the hold (`archiver hold remove`): its criteria will not catch
    them again."""
    return _change(name, add=False)


@blueprint.post("/holds/<path:name>/release")
@requires("holds.manage")
def release(name: str) -> Response | tuple[str, int]:
    """Release the hold with a reason (`archiver hold release`)."""
    from archiver.records.holds import release as release_hold

    archive = archive_of()
    try:
        h, _ = release_hold(
            archive.store, archive.keyring, name, request.form.get("reason", ""), _actor()
        )
    except UsageError as exc:
        return hold(name, str(exc), 400)
    return redirect(url_for("holds.hold", name=h.name))
