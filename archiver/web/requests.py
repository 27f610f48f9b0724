"""Requests for records (DESIGN.md 9.3, 9.4, 13): the dashboard of due dates, a request's
workspace (its facts and clock, candidates from a search to add, decisions with exemptions,
redaction with the text highlighted, a preview of the produced PDF, export, the letter,
closing). Every action calls what `archiver request`, `redact` and `export` call.

An export runs in the request's thread, one record at a time (waitress's other threads go on
serving other pages); the bundle is handed to the browser as the answer and not kept on the
server, since it holds the records in plain form: exporting again makes another (audited)
bundle.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from archiver.errors import UsageError
from archiver.records.requests import OUTCOMES
from archiver.web.context import archive_of, requires

blueprint = Blueprint("requests", __name__)

KINDS = (("public", "Public records (c.66 §10)"), ("student", "Student records (603 CMR 23.07)"))
KIND_LABELS = {"public": "public records", "student": "student records"}


def _exemption_choices() -> list[tuple[str, str]]:
    """The shipped exemptions as a decision or redaction may cite them: `26a:ferpa` for each
    statute an exemption names, the bare code otherwise; (value, label)."""
    out = []
    for e in archive_of().requests().exemptions:
        if e.statutes:
            # "26a:ferpa: the federal Family Educational Rights and Privacy Act"
            out += [(f"{e.code}:{k}", f"{e.code}:{k}: {w.split(' (')[0]}") for k, w in e.statutes]
        else:
            out.append((e.code, f"{e.code}: {e.title}"))
    return out


def _back(number: str, anchor: str = "") -> Response:
    """Back to the workspace (POST-redirect-GET), keeping its candidate search."""
    kept: dict[str, Any] = request.args.to_dict()
    return redirect(url_for("requests.workspace", number=number, _anchor=anchor or None, **kept))


@blueprint.get("/requests")
@requires("requests.read")
def dashboard() -> str:
    """Open requests with their next due day and days left (overdue ones first said so);
    closed ones below, as `archiver request list` lists them."""
    found = archive_of().requests().listed()
    return render_template(
        "requests_dashboard.html",
        open_requests=[r for r in found if r.row.state != "closed"],
        closed=[r for r in found if r.row.state == "closed"],
        kinds=KIND_LABELS,
    )


@blueprint.get("/requests/new")
@requires("requests.manage")
def new() -> str:
    return _new_form(None)


def _new_form(error: str | None) -> str:
    from archiver.records.requests import CHANNELS

    return render_template(
        "requests_new.html",
        kinds=KINDS,
        channels=CHANNELS,
        form=request.form,
        error=error,
        today=archive_of().district.today(archive_of().clock).isoformat(),
    )


def _received(text: str) -> datetime:
    """When it arrived: the district's day and time from the form; now when not given."""
    archive = archive_of()
    text = text.strip().replace("T", " ", 1)
    if not text:
        return archive.clock.now()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=archive.district.zone)
        except ValueError:
            continue
    raise UsageError(f"Received: {text!r} is not a day and time (YYYY-MM-DD HH:MM)")


@blueprint.post("/requests")
@requires("requests.manage")
def open_request() -> Response | tuple[str, int]:
    """Log a request (`archiver request open`)."""
    from archiver.archive.roster import resolve_student

    archive = archive_of()
    f = request.form
    try:
        student = f.get("student", "").strip() or None
        sid = resolve_student(archive.store, archive.keyring, student, "Student")
        r = archive.requests().open(
            f.get("kind", ""),
            _received(f.get("received", "")),
            f.get("requester", ""),
            f.get("contact", ""),
            f.get("description", ""),
            f.get("channel", "email"),
            sid,
        )
    except UsageError as exc:
        return _new_form(str(exc)), 400
    flash(f"{r.number} opened: due {r.due}")
    return redirect(url_for("requests.workspace", number=r.number))


@blueprint.get("/requests/<number>")
@requires("requests.read")
def workspace(number: str) -> str:
    return _workspace(number, None)[0]


def _workspace(number: str, error: str | None) -> tuple[str, int]:
    """The workspace page, with a service's refusal shown when an action was refused."""
    from archiver.archive.search import search, summaries
    from archiver.domain import STATUSES
    from archiver.web.context import allowed
    from archiver.web.search import PAGE, search_request

    archive = archive_of()
    view = archive.requests().show(number)
    listed = {
        s["id"]: s
        for s in summaries(archive.store, archive.keyring, [d.record_id for d in view.records])
    }
    result, asked, search_error = None, None, None
    if allowed("requests.manage") and view.row.state != "closed":
        try:
            asked = search_request()
            if asked is not None:
                result = search(archive.store, archive.keyring, asked, archive.district)
        except UsageError as exc:
            search_error = str(exc)
    html = render_template(
        "requests_workspace.html",
        r=view,
        kinds=KIND_LABELS,
        listed=listed,
        members={d.record_id for d in view.records},
        exemptions=_exemption_choices(),
        args=request.args,
        result=result,
        search_error=search_error,
        page=asked.offset // PAGE + 1 if asked else 1,
        per_page=PAGE,
        statuses=STATUSES,
        series=sorted(archive.schedule.series),
        outcomes=OUTCOMES,
        error=error,
    )
    return html, 400 if error else 200


def _refused(number: str, exc: UsageError) -> tuple[str, int]:
    return _workspace(number, str(exc))


@blueprint.post("/requests/<number>/records")
@requires("requests.manage")
def add(number: str) -> Response | tuple[str, int]:
    """Put the checked records, or every record the search finds, in the request (`archiver
    request add`)."""
    from archiver.archive.search import matching_ids
    from archiver.web.search import search_request

    archive = archive_of()
    desk = archive.requests()
    try:
        if request.form.get("all"):
            asked = search_request()
            if asked is None:
                raise UsageError("Search first: adding every record found needs a search")
            added = desk.add_matching(
                number, lambda tx: matching_ids(tx, archive.keyring, asked, archive.district)
            )
        else:
            ids = request.form.getlist("record")
            if not ids:
                raise UsageError("Tick the records to add (or add every record found)")
            added = desk.add(number, ids)
    except UsageError as exc:
        return _refused(number, exc)
    flash(f"{added} records added to {number.upper()}")
    return _back(number, "records")


@blueprint.post("/requests/<number>/records/<record_id>/decision")
@requires("requests.decide")
def decide(number: str, record_id: str) -> Response | tuple[str, int]:
    """Decide what a record gets (`archiver request decide`)."""
    decision = request.form.get("decision", "")
    codes = request.form.getlist("exemption") if decision in ("redact", "withhold") else []
    try:
        archive_of().requests().decide(
            number, record_id, decision, codes, request.form.get("note", "").strip() or None
        )
    except UsageError as exc:
        return _refused(number, exc)
    flash(f"{record_id[:12]}: {decision}")
    return _back(number, "records")


@blueprint.get("/requests/<number>/records/<record_id>")
@requires("requests.read")
def redaction(number: str, record_id: str) -> str:
    return _redaction(number, record_id, None)[0]


def _redaction(number: str, record_id: str, error: str | None) -> tuple[str, int]:
    """A record of a request with its redactions marked in its text, each to accept or
    reject; adding one by hand; the preview of the PDF it produces."""
    archive = archive_of()
    view = archive.requests().show(number)
    rid = next((d for d in view.records if d.record_id.startswith(record_id)), None)
    if rid is None:
        raise UsageError(f"record {record_id} is not in request {view.number}")
    marked = archive.redactions().marked(number, rid.record_id)
    [summary] = _summaries([rid.record_id])
    html = render_template(
        "requests_redaction.html",
        r=view,
        d=rid,
        s=summary,
        marked=marked,
        exemptions=_exemption_choices(),
        error=error,
    )
    return html, 400 if error else 200


def _summaries(ids: list[str]) -> list[dict[str, Any]]:
    from archiver.archive.search import summaries

    archive = archive_of()
    return summaries(archive.store, archive.keyring, ids)


def _to_record(number: str, record_id: str) -> Response:
    return redirect(url_for("requests.redaction", number=number, record_id=record_id))


@blueprint.post("/requests/<number>/records/<record_id>/suggest")
@requires("requests.decide")
def suggest(number: str, record_id: str) -> Response | tuple[str, int]:
    """Propose redactions for the record (`archiver redact suggest N ID`)."""
    try:
        new, _ = archive_of().redactions().suggest(number, record_id)
    except UsageError as exc:
        return _redaction(number, record_id, str(exc))
    flash(f"{len(new)} redactions suggested")
    return _to_record(number, record_id)


@blueprint.post("/requests/<number>/records/<record_id>/redactions")
@requires("requests.decide")
def add_redaction(number: str, record_id: str) -> Response | tuple[str, int]:
    """Redact words by hand, accepted at once (`archiver redact add`)."""
    f = request.form
    try:
        occurrence = f.get("occurrence", "").strip()
        if occurrence and not occurrence.isdigit():
            raise UsageError(f"Only occurrence: {occurrence!r} is not a number")
        r = (
            archive_of()
            .redactions()
            .add(
                number,
                record_id,
                f.get("text", ""),
                f.get("exemption", ""),
                int(occurrence) if occurrence else None,
            )
        )
    except UsageError as exc:
        return _redaction(number, record_id, str(exc))
    found = "" if r.occurrences else " (not found in the record's text)"
    flash(f"Redaction {r.id} added{found}")
    return _to_record(number, record_id)


@blueprint.post("/requests/<number>/redactions/<int:redaction_id>/<verb>")
@requires("requests.decide")
def change_redaction(number: str, redaction_id: int, verb: str) -> Response | tuple[str, int]:
    """Accept, reject or remove a redaction (`archiver redact accept|reject|remove`)."""
    desk = archive_of().redactions()
    act = {"accept": desk.accept, "reject": desk.reject, "remove": desk.remove}.get(verb)
    record_id = request.form.get("record", "")
    if act is None:
        raise UsageError(f"{verb!r}: a redaction is accepted, rejected or removed")
    try:
        r = act(number, redaction_id)
    except UsageError as exc:
        return _redaction(number, record_id, str(exc))
    flash(f"Redaction {r.id} {'removed' if verb == 'remove' else r.state}")
    return _to_record(number, r.record_id)


@blueprint.get("/requests/<number>/records/<record_id>/preview.pdf")
@requires("requests.read")
def preview(number: str, record_id: str) -> Response:
    """The PDF the export would produce of this record now, shown inline (framed by the
    workspace only)."""
    archive = archive_of()
    pdf = archive.exporter(workers=1).preview(archive.requests(), number, record_id)
    response = Response(pdf, mimetype="application/pdf")
    response.headers.set("Content-Disposition", "inline", filename=f"{record_id[:12]}-preview.pdf")
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@blueprint.post("/requests/<number>/export")
@requires("requests.manage")
def export(number: str) -> Response | tuple[str, int]:
    """The signed bundle of what the request releases, and its letter (`archiver export
    --request N OUT.zip`), handed to the browser as a file and not kept here."""
    archive = archive_of()
    f = request.form
    folder = Path(tempfile.mkdtemp(prefix="archiver-export-"))
    name = f"{number.strip().upper()}.zip"
    try:
        archive.exporter(workers=1).request(
            archive.requests(),
            number,
            folder / name,
            f.get("not_held", "").strip() or None,
            f.get("agency", "").strip() or None,
        )
    except UsageError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return _refused(number, exc)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    response = send_file(
        folder / name, mimetype="application/zip", as_attachment=True, download_name=name
    )
    response.call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))
    return response


@blueprint.get("/requests/<number>/letter.<fmt>")
@requires("requests.manage")
def letter(number: str, fmt: str) -> Response:
    """The written response as it stands today, PDF or text (`archiver request letter`)."""
    from archiver.records.letter import written_response

    if fmt not in ("pdf", "txt"):
        raise UsageError(f"letter.{fmt}: the letter is a .pdf or a .txt")
    archive = archive_of()
    a = request.args
    doc = written_response(
        archive.requests(),
        archive.district.today(archive.clock),
        number,
        False,
        a.get("not_held", "").strip() or None,
        a.get("agency", "").strip() or None,
    )
    if fmt == "pdf":
        from archiver.render.pdf import render_pdf

        response = Response(
            render_pdf(doc.document(archive.clock.now())), mimetype="application/pdf"
        )
    else:
        response = Response(doc.text(), mimetype="text/plain; charset=utf-8")
    response.headers.set("Content-Disposition", "attachment", filename=f"{doc.number}-letter.{fmt}")
    return response


@blueprint.post("/requests/<number>/letter/sent")
@requires("requests.manage")
def letter_sent(number: str) -> Response | tuple[str, int]:
    """Record the written response as given today (`archiver request letter --sent`)."""
    from archiver.records.letter import written_response

    archive = archive_of()
    try:
        written_response(archive.requests(), archive.district.today(archive.clock), number, True)
    except UsageError as exc:
        return _refused(number, exc)
    flash("The written response is recorded as sent today")
    return _back(number)


@blueprint.post("/requests/<number>/close")
@requires("requests.manage")
def close(number: str) -> Response | tuple[str, int]:
    """Close the request with its outcome (`archiver request close`)."""
    try:
        r = archive_of().requests().close(number, request.form.get("outcome", ""))
    except UsageError as exc:
        return _refused(number, exc)
    flash(f"{r.number} closed: {r.row.outcome}")
    return redirect(url_for("requests.workspace", number=r.number))
