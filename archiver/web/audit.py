"""The audit log page: `archiver audit log` with its filters, a page of events at a time, each
checked against its hash and link (a problem is shown on its row); and `archiver audit
verify` of the whole chain, on request."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from archiver.domain import AuditQuery
from archiver.errors import UsageError
from archiver.web.context import archive_of, requires

blueprint = Blueprint("audit", __name__)

PAGE = 100  # events a page shows
FILTERS = ("since", "until", "actor", "action", "record")


def _query() -> AuditQuery:
    """The filters the query string gives, as `audit log` reads its options; UsageError
    naming the field for a bad one."""
    from archiver.archive.audit_log import day_or_time, period, record_id

    archive = archive_of()
    args = {k: request.args.get(k, "").strip() for k in FILTERS}
    when = {}
    for name, label in (("since", "From"), ("until", "To")):
        try:
            when[name] = day_or_time(args[name]) if args[name] else None
        except UsageError as exc:
            raise UsageError(f"{label}: {exc}") from None
    start, before = period(archive.district, when["since"], when["until"])
    return AuditQuery(
        since=start,
        before=before,
        actor=args["actor"] or None,
        action=args["action"] or None,
        record=record_id(archive.store, args["record"]) if args["record"] else None,
    )


@blueprint.get("/audit")
@requires("audit.read")
def log() -> str:
    """The events matching the filters, oldest first, `PAGE` at a time (reading the log is
    not audited, as on the command line)."""
    from archiver.archive.audit_log import read_log

    archive = archive_of()
    try:
        after = max(0, int(request.args.get("after", "0")))
    except ValueError:
        after = 0
    events: list[Any] = []
    error = None
    try:
        query = _query()
        events = list(read_log(archive.store, archive.keyring, query, PAGE + 1, after))
    except UsageError as exc:
        error = str(exc)
    more = len(events) > PAGE
    events = events[:PAGE]
    filters = {k: request.args.get(k, "") for k in FILTERS if request.args.get(k)}
    return render_template(
        "audit_log.html",
        events=events,
        error=error,
        args=request.args,
        filters=filters,
        after=after,
        next_after=events[-1].event.seq if more else None,
        broken=sum(1 for e in events if e.problem),
    )


@blueprint.get("/audit/verify")
@requires("audit.read")
def verify() -> str:
    """`archiver audit verify`: the whole chain, the records ingest created, and the head
    against the anchor file. It writes nothing, so it is a plain GET."""
    from archiver.archive.audit import format_head
    from archiver.archive.audit import verify as verify_chain

    archive = archive_of()
    anchor = archive.settings.audit_anchor
    report = verify_chain(archive.store, archive.keyring, None, anchor)
    head = format_head(report.head_seq, bytes.fromhex(report.head_hash))
    return render_template("audit_verify.html", report=report, head=head, anchor=anchor)
