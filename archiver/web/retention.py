"""Retention (DESIGN.md 9.1): the report per series (`archiver retention report`), temporary
student records overdue for destruction flagged, and the due list by a day (`archiver
retention due`), this school year's by default."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from archiver.domain import RetentionRow
from archiver.errors import UsageError
from archiver.web.context import archive_of, form_day, requires

blueprint = Blueprint("retention", __name__)

PAGE = 50  # due records a page, as `retention due` lists them by default


@blueprint.get("/retention")
@requires("retention.read")
def report() -> tuple[str, int]:
    """The report per series, and the due list by the day asked (default: the end of this
    school year), a page at a time."""
    from archiver.records.retention import due
    from archiver.records.retention import report as series_report
    from archiver.records.schedule import school_year_end_of

    archive = archive_of()
    today = archive.district.today(archive.clock)
    rows, unclassified = series_report(
        archive.store, archive.keyring, archive.schedule, today, archive.requests_since(today)
    )
    year_end = school_year_end_of(today, archive.settings.school_year_end)
    error = None
    series = request.args.get("series", "").strip() or None
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    total, due_rows = 0, list[RetentionRow]()
    by = year_end
    try:
        by = form_day("by", "Due by", year_end) or year_end
        if series is not None and series not in archive.schedule.series:
            known = ", ".join(archive.schedule.series)
            raise UsageError(f"Series: {series!r} is not in the schedule ({known})")
        total, due_rows = due(
            archive.store,
            archive.keyring,
            by,
            series,
            PAGE,
            (page - 1) * PAGE,
            archive.requests_since(by),
        )
    except UsageError as exc:
        error = str(exc)
    return render_template(
        "retention_report.html",
        rows=[(r, r.to_json()) for r in rows],
        unclassified=unclassified,
        schedule=archive.schedule,
        today=today,
        year_end=year_end,
        by=by,
        series=series,
        total=total,
        due=due_rows,
        page=page,
        per_page=PAGE,
        error=error,
    ), 400 if error else 200
