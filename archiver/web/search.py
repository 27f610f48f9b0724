"""The search page: every filter of `archiver search`, a student by name or id, results a
page at a time (htmx swaps the results without reloading the form)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from archiver.domain import MAX_LIMIT, STATUSES, SearchRequest
from archiver.errors import UsageError
from archiver.web.context import archive_of, form_day, requires
from archiver.web.saved_searches import saved_of_current

blueprint = Blueprint("search", __name__)

PAGE = 25
TEXT_FIELDS = ("q", "sender", "to", "participant", "forwarder", "student", "series")
DAY_FIELDS = ("since", "until", "eligible_by")


def _tristate(name: str) -> bool | None:
    value = request.args.get(name, "")
    return True if value == "yes" else False if value == "no" else None


def search_request() -> SearchRequest | None:
    """The search the query string asks for (None: nothing asked yet)."""
    args = request.args
    if not any(args.get(k, "").strip() for k in (*TEXT_FIELDS, *DAY_FIELDS, "status")) and not (
        args.get("attachments") or args.get("held")
    ):
        return None
    from archiver.archive.roster import resolve_student

    archive = archive_of()
    student = args.get("student", "").strip() or None
    student = resolve_student(archive.store, archive.keyring, student, "Student")
    status = args.get("status") or None
    if status is not None and status not in STATUSES:
        raise UsageError(f"Status: {status!r} is not one of {', '.join(STATUSES)}")
    try:
        page = max(1, int(args.get("page", "1")))
    except ValueError:
        page = 1
    return SearchRequest(
        query=args.get("q", "").strip(),
        sender=args.get("sender", "").strip() or None,
        to=args.get("to", "").strip() or None,
        participant=args.get("participant", "").strip() or None,
        forwarder=args.get("forwarder", "").strip() or None,
        student=student,
        since=form_day("since", "Sent on or after"),
        until=form_day("until", "Sent on or before"),
        status=status,
        has_attachment=_tristate("attachments"),
        limit=min(PAGE, MAX_LIMIT),
        offset=(page - 1) * PAGE,
        series=args.get("series", "").strip() or None,
        eligible_by=form_day("eligible_by", "Retention passed by"),
        held=_tristate("held"),
    )


@blueprint.get("/search")
@requires("records.read")
def search() -> str:
    """The form, and the results of what it asks (audited as `archiver search` is)."""
    from archiver.archive.search import search as run

    archive = archive_of()
    error = None
    result = None
    asked = None
    try:
        asked = search_request()
        if asked is not None:
            result = run(archive.store, archive.keyring, asked, archive.district)
    except UsageError as exc:
        error = str(exc)
    page = asked.offset // PAGE + 1 if asked else 1
    partial = request.headers.get("HX-Request")
    template = "search_results.html" if partial else "search.html"
    return render_template(
        template,
        args=request.args,
        result=result,
        error=error,
        page=page,
        per_page=PAGE,
        statuses=STATUSES,
        series=sorted(archive.schedule.series),
        saved=[] if partial else saved_of_current(),
        query=request.query_string.decode("utf-8", "replace"),
    )
