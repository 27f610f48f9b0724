"""Disposition batches (DESIGN.md 9.6): the list (`dispose list`), planning one (`dispose
plan`), a batch's review page with what Form RMU-2 asks (`dispose show --rmu2`), approving it
with the permit number (`dispose approve`: never by its planner, the service says so),
cancelling, executing after a confirmation (`dispose execute`), and its certificate: the PDF,
and the signed JSON with its signature, public key and tombstone listing as one zip
(`dispose certificate --out FILE.json` writes the same files)."""

from __future__ import annotations

import tempfile
from typing import TYPE_CHECKING, Any

from flask import Blueprint, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from archiver.errors import UsageError
from archiver.web.context import archive_of, current, form_day, requires

if TYPE_CHECKING:
    from archiver.records.disposition import BatchView

blueprint = Blueprint("disposition", __name__)

SPOOL = 8 << 20  # a certificate zip larger than this is spooled to a temporary file


def _actor() -> str:
    from archiver.web.auth import actor_name

    return actor_name(current())


@blueprint.get("/disposition")
@requires("disposition.read")
def batches(error: str | None = None, status: int = 200) -> tuple[str, int]:
    """Every batch, newest first, and (for those who may) the form planning one."""
    archive = archive_of()
    rows = archive.disposal().listed(_actor())
    today = archive.district.today(archive.clock)
    return render_template(
        "disposition_list.html",
        rows=rows,
        series=[s for s in archive.schedule.series.values() if s.disposition != "permanent"],
        by=request.values.get("by") or today.isoformat(),
        chosen=request.values.get("series", ""),
        nothing=request.args.get("planned") == "none",
        error=error,
    ), status


@blueprint.post("/disposition")
@requires("disposition.manage")
def plan() -> Response | tuple[str, int]:
    """Plan a batch of what may be destroyed by a day (`dispose plan --by --series`)."""
    series = request.form.get("series", "").strip() or None
    try:
        by = form_day("by", "Retention passed by")
        number, _ = archive_of().disposal().plan(by, series, _actor())
    except UsageError as exc:
        return batches(str(exc), 400)
    if number is None:
        return redirect(url_for("disposition.batches", planned="none"))
    return redirect(url_for("disposition.batch", number=number))


def _rmu2(view: BatchView) -> dict[str, Any]:
    """What Form RMU-2 asks that the batch's summary answers (as `dispose show --rmu2`)."""
    sent = [s.summary for s in view.series]
    return {
        "organization": archive_of().settings.requests.district_name.strip() or None,
        "first": min((s.first_sent for s in sent if s.first_sent), default=None),
        "last": max((s.last_sent for s in sent if s.last_sent), default=None),
    }


@blueprint.get("/disposition/<number>")
@requires("disposition.read")
def batch(number: str, error: str | None = None, status: int = 200) -> tuple[str, int]:
    """A batch: its state and people, per series its citation, approval, dates, counts and
    volume, what RMU-2 asks, and the actions the signed-in person may take now."""
    view = archive_of().disposal().show(number, _actor())
    return render_template(
        "disposition_batch.html",
        v=view,
        r=view.row,
        series=[(s, s.to_json()) for s in view.series],
        rmu2=_rmu2(view),
        error=error,
    ), status


@blueprint.post("/disposition/<number>/approve")
@requires("disposition.approve")
def approve(number: str) -> Response | tuple[str, int]:
    """Approve with the Supervisor's permit number; the service refuses the planner."""
    try:
        archive_of().disposal().approve(number, request.form.get("permit"), _actor())
    except UsageError as exc:
        return batch(number, str(exc), 400)
    return redirect(url_for("disposition.batch", number=number))


@blueprint.post("/disposition/<number>/cancel")
@requires("disposition.manage")
def cancel(number: str) -> Response | tuple[str, int]:
    """Cancel a batch not yet executing, with a reason: its records may be planned again."""
    try:
        archive_of().disposal().cancel(number, request.form.get("reason", ""), _actor())
    except UsageError as exc:
        return batch(number, str(exc), 400)
    return redirect(url_for("disposition.batch", number=number))


@blueprint.get("/disposition/<number>/execute")
@requires("disposition.manage")
def confirm(number: str) -> str:
    """The confirmation step before records are destroyed: what will go, and that it is
    final."""
    view = archive_of().disposal().show(number, _actor())
    return render_template("disposition_execute.html", v=view, r=view.row, error=None)


@blueprint.post("/disposition/<number>/execute")
@requires("disposition.manage")
def execute(number: str) -> Response | tuple[str, int]:
    """Destroy the approved batch's records (`dispose execute`): each checked again, a
    tombstone left, the certificate signed."""
    if request.form.get("confirm") != "yes":
        view = archive_of().disposal().show(number, _actor())
        message = "Tick the box to confirm that these records are to be destroyed."
        return render_template("disposition_execute.html", v=view, r=view.row, error=message), 400
    try:
        archive_of().disposal().execute(number, _actor())
    except UsageError as exc:
        return batch(number, str(exc), 400)
    return redirect(url_for("disposition.batch", number=number))


@blueprint.get("/disposition/<number>/certificate.pdf")
@requires("disposition.read")
def certificate_pdf(number: str) -> Response:
    """The certificate as a PDF (the signed JSON, signature and key embedded)."""
    from archiver.records import certificate

    name = f"{number}-certificate.pdf"
    cert = archive_of().disposal().certificate(number, _actor(), f"download {name}")
    response = Response(certificate.pdf(cert), mimetype="application/pdf")
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


@blueprint.get("/disposition/<number>/certificate.zip")
@requires("disposition.read")
def certificate_zip(number: str) -> Response:
    """The signed JSON, its signature, the public key and the tombstone listing, zipped: the
    files `dispose certificate --out FILE.json` writes."""
    from archiver.records import certificate

    stem = f"{number}-certificate"
    cert = archive_of().disposal().certificate(number, _actor(), f"download {stem}.zip")
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 (send_file closes it)
    try:
        certificate.write_zip(cert, spool, stem)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return send_file(
        spool, mimetype="application/zip", as_attachment=True, download_name=f"{stem}.zip"
    )
