"""`archiver request open|list|show|add|decide|extend|close` (DESIGN.md section 9.3)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archiver.cli.context import actor_option, app, emit_json

if TYPE_CHECKING:
    from archiver.records.requests import Request

_DAY = click.DateTime(formats=["%Y-%m-%d"])
_KINDS = ("public", "student")
_DECISIONS = ("release", "redact", "withhold", "not-responsive")
_OUTCOMES = ("produced", "partly-produced", "withheld", "no-records", "withdrawn", "abandoned")
_CHANNELS = ("email", "mail", "web", "in-person", "phone", "fax", "other")


@click.group()
def request() -> None:
    """Requests for records: public records (c.66 §10) and student records (603 CMR 23.07)."""


def _received(text: str | None, ctx: click.Context) -> datetime:
    """--received as the district's local time ("2026-03-12 16:30", "2026-03-12"), or an ISO
    time with its offset; now when not given."""
    a = app(ctx)
    if text is None:
        return a.clock.now()
    value = text.strip().replace("T", " ", 1)
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=a.district.zone)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r}: give the day and time it arrived, e.g. 2026-03-12 16:30 (the "
            "district's time) or 2026-03-12T21:30:00+00:00",
            param_hint="--received",
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=a.district.zone)


def _json(r: Request) -> dict[str, Any]:
    row = r.row
    return {
        "number": r.number,
        "kind": row.kind,
        "state": row.state,
        "received": row.received_day.isoformat(),
        "received_at": row.received_at.isoformat(),
        "channel": row.channel,
        "requester": r.requester,
        "contact": r.contact,
        "description": r.description,
        "student": r.student,
        "respond_by": row.respond_by.isoformat(),
        "produce_by": row.produce_by.isoformat() if row.produce_by else None,
        "petition_by": row.petition_by.isoformat() if row.petition_by else None,
        "extended_to": row.extended_to.isoformat() if row.extended_to else None,
        "due": r.due.isoformat() if r.due else None,
        "business_days_left": r.business_days_left,
        "days_left": r.days_left,
        "overdue": r.overdue,
        "responded_at": row.responded_at.isoformat() if row.responded_at else None,
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
        "outcome": row.outcome,
        "records": [
            {
                "id": d.record_id,
                "decision": d.decision,
                "exemptions": list(d.exemptions),
                "note": d.note,
                "decided_by": d.decided_by,
            }
            for d in r.records
        ],
    }


def _left(r: Request) -> str:
    if r.days_left is None or r.due is None:
        return ""
    unit = "business days" if r.row.kind == "public" else "days"
    if r.days_left < 0:
        return f"OVERDUE by {-r.days_left} {unit}"
    return f"{r.days_left} {unit} left"


@request.command("open")
@click.option("--kind", type=click.Choice(_KINDS), required=True, help="public or student.")
@click.option(
    "--received",
    metavar="DATETIME",
    help="When it arrived (the district's time, e.g. '2026-03-12 16:30'); default: now.",
)
@click.option("--requester", required=True, help="Who asked (kept sealed).")
@click.option("--contact", default="", help="How to reach them (kept sealed).")
@click.option("--description", default="", help="What they asked for (kept sealed).")
@click.option("--channel", type=click.Choice(_CHANNELS), default="email", show_default=True)
@click.option(
    "--student",
    metavar="ID|NAME",
    help="The student whose records a student-records request is for.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def open_(
    ctx: click.Context,
    kind: str,
    received: str | None,
    requester: str,
    contact: str,
    description: str,
    channel: str,
    student: str | None,
    as_json: bool,
) -> None:
    """Log a request: its number and the dates the law sets."""
    from archiver.archive.roster import resolve_student

    a = app(ctx)
    at = _received(received, ctx)
    sid = resolve_student(a.store, a.keyring, student, "--student")
    r = a.requests().open(kind, at, requester, contact, description, channel, sid)
    row = r.row
    if as_json:
        emit_json(
            {
                "number": r.number,
                "kind": kind,
                "received": row.received_day.isoformat(),
                "respond_by": row.respond_by.isoformat(),
                "produce_by": row.produce_by.isoformat() if row.produce_by else None,
                "petition_by": row.petition_by.isoformat() if row.petition_by else None,
            }
        )
        return
    click.echo(f"{r.number} opened; received {row.received_day:%a %Y-%m-%d} (day 0)")
    if kind == "public":
        click.echo(f"  written response due {row.respond_by:%a %Y-%m-%d} (10 business days)")
        click.echo(f"  production due       {row.produce_by:%a %Y-%m-%d}")
        click.echo(f"  petition for more time by {row.petition_by:%a %Y-%m-%d}")
    else:
        click.echo(f"  records due {row.respond_by:%a %Y-%m-%d} (10 days)")


@request.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only requests not closed.")
@click.option(
    "--due-within",
    type=click.IntRange(min=0),
    metavar="DAYS",
    help="Only those due within DAYS business days (calendar days for student records).",
)
@click.option("--overdue", is_flag=True, help="Only those past their due date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def list_(
    ctx: click.Context, open_only: bool, due_within: int | None, overdue: bool, as_json: bool
) -> None:
    """Requests, newest first, with the next deadline and the days left."""
    found = app(ctx).requests().listed(open_only, due_within, overdue)
    if as_json:
        emit_json({"requests": [_json(r) for r in found]})
        return
    for r in found:
        due = f"due {r.due:%Y-%m-%d}  {_left(r)}" if r.due else (r.row.outcome or r.row.state)
        click.echo(f"{r.number}  {r.row.state:<9} {r.requester[:28]:<28}  {due}")
    if not found:
        click.echo("no requests")


@request.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def show(ctx: click.Context, number: str, as_json: bool) -> None:
    """A request: who asked, the dates, its records and what was decided for each."""
    r = app(ctx).requests().show(number)
    if as_json:
        emit_json(_json(r))
        return
    row = r.row
    lines = [
        ("Request", f"{r.number} ({row.kind}, {row.state})"),
        ("Requester", r.requester + (f" ({r.contact})" if r.contact else "")),
        ("Asked for", r.description),
        ("Student", r.student or ""),
        ("Received", f"{row.received_day:%a %Y-%m-%d} by {row.channel}"),
        ("Respond by", f"{row.respond_by:%a %Y-%m-%d}"),
        ("Produce by", f"{row.produce_by:%a %Y-%m-%d}" if row.produce_by else ""),
        ("Petition by", f"{row.petition_by:%a %Y-%m-%d}" if row.petition_by else ""),
        ("Extended to", f"{row.extended_to:%a %Y-%m-%d}" if row.extended_to else ""),
        ("Next due", f"{r.due:%a %Y-%m-%d}, {_left(r)}" if r.due else ""),
        ("Outcome", row.outcome or ""),
    ]
    for label, value in lines:
        if value:
            click.echo(f"{label + ':':<13}{value}")
    click.echo(f"Records:     {len(r.records)}")
    for d in r.records:
        why = f" ({', '.join(d.exemptions)})" if d.exemptions else ""
        note = f"  {d.note}" if d.note else ""
        click.echo(f"  {d.record_id}  {d.decision or 'undecided'}{why}{note}")


@request.command("add", context_settings={"ignore_unknown_options": True})
@click.argument("number")
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--search", "words", metavar="QUERY", help="Add every record this query finds.")
@click.option("--student", metavar="ID|NAME", help="With --search: tagged with this student.")
@click.option("--participant", metavar="WHO", help="With --search: anyone in the message.")
@click.option("--since", type=_DAY, metavar="YYYY-MM-DD", help="With --search: sent from.")
@click.option("--until", type=_DAY, metavar="YYYY-MM-DD", help="With --search: sent until.")
@actor_option
@click.pass_context
def add(
    ctx: click.Context,
    number: str,
    ids: tuple[str, ...],
    words: str | None,
    student: str | None,
    participant: str | None,
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Put records in a request: by id, or every record a search finds."""
    from archiver.archive.roster import resolve_student
    from archiver.domain import SearchRequest

    a = app(ctx)
    desk = a.requests()
    filters = any(x is not None for x in (words, student, participant, since, until))
    if not ids and not filters:
        raise click.UsageError("give record ids, or --search QUERY (and filters)")
    added = desk.add(number, list(ids)) if ids else 0
    if filters:
        from archiver.archive.search import matching_ids

        criteria = SearchRequest(
            query=words or "",
            student=resolve_student(a.store, a.keyring, student, "--student"),
            participant=participant,
            since=since.date() if since else None,
            until=until.date() if until else None,
        )
        added += desk.add_matching(
            number,
            lambda tx: matching_ids(tx, a.keyring, criteria, a.district),
        )
    click.echo(f"{added} records added to {number.upper()}")


@request.command("decide")
@click.argument("number")
@click.argument("record_id", metavar="ID")
@click.argument("decision", type=click.Choice(_DECISIONS))
@click.option(
    "--exemption",
    "exemptions",
    multiple=True,
    metavar="CODE",
    help="The exemption it rests on (repeatable): 26a, 26c, 26d, 26e, 26f, 26n, acp, 10B; "
    "26a names its statute: 26a:ferpa, 26a:student-records, 26a:special-education.",
)
@click.option("--note", help="Why (kept sealed; the letter gives the exemption's reason).")
@actor_option
@click.pass_context
def decide(
    ctx: click.Context,
    number: str,
    record_id: str,
    decision: str,
    exemptions: tuple[str, ...],
    note: str | None,
) -> None:
    """Decide what a record of a request gets: release, redact, withhold or
    not-responsive (withhold and redact need an exemption)."""
    d = app(ctx).requests().decide(number, record_id, decision, exemptions, note)
    why = f" under {', '.join(d.exemptions)}" if d.exemptions else ""
    click.echo(f"{number.upper()}: {d.record_id}: {decision}{why}")


@request.command("extend")
@click.argument("number")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    help="Business days the Supervisor of Records granted after the production date "
    "(default 30, the most a municipality gets).",
)
@click.option("--until", "until", type=_DAY, metavar="YYYY-MM-DD", help="Or the day granted.")
@actor_option
@click.pass_context
def extend(ctx: click.Context, number: str, days: int | None, until: datetime | None) -> None:
    """Record the Supervisor of Records' extension of a public-records request."""
    if days is not None and until is not None:
        raise click.UsageError("--days and --until cannot be combined")
    grant: Any = until.date() if until else days or 30
    r = app(ctx).requests().extend(number, grant)
    click.echo(f"{r.number}: production now due {r.row.extended_to:%a %Y-%m-%d}")


@request.command("close")
@click.argument("number")
@click.option("--outcome", type=click.Choice(_OUTCOMES), required=True)
@actor_option
@click.pass_context
def close(ctx: click.Context, number: str, outcome: str) -> None:
    """Close a request. Its records stay held until the appeal window has passed."""
    a = app(ctx)
    r = a.requests().close(number, outcome)
    click.echo(f"{r.number} closed: {outcome}")


@request.command("fees")
@click.argument("number")
@click.option(
    "--hours",
    metavar="H",
    help="Hours of search and retrieval (the first hours may be free, by population).",
)
@click.option(
    "--task",
    "tasks",
    multiple=True,
    metavar="NAME=H",
    help="Another task and its hours (repeatable), e.g. 'review=1.5'.",
)
@click.option(
    "--redaction",
    metavar="H",
    help="Hours segregating or redacting: chargeable only with the Supervisor's approval.",
)
@click.option("--redaction-approved", is_flag=True, help="The Supervisor approved that charge.")
@click.option("--pages", type=click.IntRange(min=0), default=0, help="Black-and-white pages.")
@click.option("--rate", metavar="DOLLARS", help="Hourly rate (default: [requests] hourly_rate).")
@click.option("--rate-approved", is_flag=True, help="The Supervisor approved a rate over $25.")
@actor_option
@click.pass_context
def fees(
    ctx: click.Context,
    number: str,
    hours: str | None,
    tasks: tuple[str, ...],
    redaction: str | None,
    redaction_approved: bool,
    pages: int,
    rate: str | None,
    rate_approved: bool,
) -> None:
    """Estimate the fee of a public-records request (950 CMR 32.07), itemised; kept for the
    letter. No fee at all once the written response is late."""
    items: list[tuple[str, str, bool]] = []
    if hours is not None:
        items.append(("Search and retrieval", hours, False))
    for t in tasks:
        name, eq, value = t.partition("=")
        if not eq or not name.strip():
            raise click.BadParameter(f"{t!r}: give NAME=HOURS", param_hint="--task")
        items.append((name.strip(), value.strip(), False))
    if redaction is not None:
        items.append(("Segregation and redaction", redaction, True))
    estimate = (
        app(ctx).requests().set_fees(number, items, pages, rate, rate_approved, redaction_approved)
    )
    click.echo(estimate.render())


@request.command("letter")
@click.argument("number")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the letter here instead of printing it: a PDF if FILE ends in .pdf, else text.",
)
@click.option(
    "--not-held", metavar="TEXT", help="What was asked for that the district does not hold."
)
@click.option("--agency", metavar="NAME", help="Who may hold what the district does not.")
@click.option(
    "--sent",
    is_flag=True,
    help="Record that this letter is sent today as the written response (once).",
)
@actor_option
@click.pass_context
def letter(
    ctx: click.Context,
    number: str,
    out: Path | None,
    not_held: str | None,
    agency: str | None,
    sent: bool,
) -> None:
    """The written response to a request, with every element the law lists (c.66 §10(b);
    603 CMR 23.07 for student records)."""
    from archiver.records.letter import written_response

    a = app(ctx)
    doc = written_response(a.requests(), a.district.today(a.clock), number, sent, not_held, agency)
    if out is None:
        click.echo(doc.text(), nl=False)
        return
    if out.suffix.lower() == ".pdf":
        from archiver.render.pdf import render_pdf

        out.write_bytes(render_pdf(doc.document(a.clock.now())))
    else:
        out.write_text(doc.text(), encoding="utf-8")
    click.echo(f"{doc.number}: letter written to {out}")
