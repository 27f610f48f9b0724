"""The students pages: find a student by name or roster id (`archiver students find`), a
student's page (their records, their access log as `archiver students access-log` gives it,
their exit and when their temporary records go), and the exit notices of a period
(`archiver retention notices`). Every read of names is audited by the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from archiver.errors import UsageError
from archiver.web.context import allowed, archive_of, form_day, requires

blueprint = Blueprint("students", __name__)


def _school_year_start(today: date) -> date:
    """July 1 of the school year `today` is in (the default start of the exit notices)."""
    return date(today.year if today.month >= 7 else today.year - 1, 7, 1)


@blueprint.get("/students")
@requires("students.read")
def students() -> str:
    """Find a student; the exit notices of a period when asked."""
    from archiver.archive.roster import lookup
    from archiver.records.retention import notices

    archive = archive_of()
    today = archive.district.today(archive.clock)
    q = request.args.get("q", "").strip()
    found: list[Any] | None = None
    exits: list[Any] | None = None
    error = None
    since = until = None
    try:
        if q:
            found = lookup(archive.store, archive.keyring, q)
        since = form_day("exited_since", "Left on or after", _school_year_start(today))
        until = form_day("exited_until", "Left on or before", today)
        if request.args.get("exited_since") is not None and since and until:
            exits = notices(archive.store, archive.keyring, archive.schedule, since, until)
    except UsageError as exc:
        error = str(exc)
    return render_template(
        "students_find.html",
        q=q,
        found=found,
        exits=exits,
        since=since,
        until=until,
        error=error,
    )


@blueprint.get("/students/access-log")
@requires("students.access_log")
def access_log_of() -> Response | tuple[str, int]:
    """A student given by roster id or a full name only one student has (as
    `students access-log STUDENT` takes it): to their page."""
    from archiver.archive.roster import resolve_student

    archive = archive_of()
    given = request.args.get("student", "").strip()
    try:
        if not given:
            raise UsageError("Student: give a roster id or a full name")
        sid = resolve_student(archive.store, archive.keyring, given, "Student")
    except UsageError as exc:
        page = render_template("error.html", title="Cannot do that", message=str(exc), code=400)
        return page, 400
    return redirect(url_for("students.student", student_id=sid))


@blueprint.get("/students/<student_id>")
@requires("students.access_log")
def student(student_id: str) -> str:
    """A student: who they are, their records (to the search page), their exit and when
    their temporary records go, and who saw their records."""
    from archiver.archive.access import access_log
    from archiver.archive.roster import student as get_student
    from archiver.records.retention import notices

    archive = archive_of()
    who = get_student(archive.store, archive.keyring, student_id)
    error = None
    since = None
    try:
        since = form_day("since", "Accesses on or after")
    except UsageError as exc:
        error = str(exc)
    start = archive.district.start(since) if since else None
    entries = access_log(archive.store, archive.keyring, who.student_id, start)
    exit_notice = None
    if who.exit_date is not None and allowed("students.read"):
        day = who.exit_date
        found = notices(archive.store, archive.keyring, archive.schedule, day, day)
        exit_notice = next((n for n in found if n.student_id == who.student_id), None)
    return render_template(
        "students_student.html",
        s=who,
        entries=entries,
        since=since,
        error=error,
        exit_notice=exit_notice,
    )
