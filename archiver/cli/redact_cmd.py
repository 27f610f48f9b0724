"""`archiver redact suggest|add|accept|reject|remove|attachment|list` (DESIGN.md section 9.4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from archiver.cli.context import actor_option, app, emit_json

if TYPE_CHECKING:
    from archiver.records.redaction import AttachmentDecision, Redaction


@click.group()
def redact() -> None:
    """Redactions of a request's records: text removed before anything is produced."""


def _line(r: Redaction) -> str:
    where = "every" if r.occurrence is None else f"#{r.occurrence}"
    found = "" if r.occurrences is None else f"{r.occurrences}x"
    return (
        f"{r.id:>5}  {r.record_id[:12]}  {r.state:<8}  {r.source:<9}  {r.exemption:<10}  "
        f"{where:<5}  {found:>4}  {r.text}"
    )


def _warn(r: Redaction) -> None:
    if r.occurrences == 0:
        click.echo(
            f"warning: redaction {r.id}: {r.text!r} is not found in record {r.record_id[:12]}'s "
            "text (headers, note, bodies, attachments' names and text)",
            err=True,
        )
    elif r.occurrence is not None and r.occurrences is not None and r.occurrences < r.occurrence:
        click.echo(
            f"warning: redaction {r.id}: record {r.record_id[:12]} has {r.occurrences} "
            f"occurrences of {r.text!r}, not {r.occurrence}",
            err=True,
        )


@redact.command("suggest")
@click.argument("number")
@click.argument("record_id", metavar="[ID]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def suggest(ctx: click.Context, number: str, record_id: str | None, as_json: bool) -> None:
    """Propose redactions for a request's records (or one): students' names, ids and
    addresses (not the requested child's), staff personal addresses, phone numbers, SSNs.
    Proposals already made are not repeated."""
    new, records = app(ctx).redactions().suggest(number, record_id)
    if as_json:
        emit_json(
            {
                "request": number.strip().upper(),
                "records": records,
                "proposed": len(new),
                "redactions": [r.to_json() for r in new],
            }
        )
        return
    for r in new:
        click.echo(_line(r))
    click.echo(f"{len(new)} redactions proposed for {records} records of {number.upper()}")


@redact.command("add")
@click.argument("number")
@click.argument("record_id", metavar="ID")
@click.option("--text", required=True, help="The words to remove (kept sealed).")
@click.option(
    "--exemption",
    required=True,
    metavar="CODE",
    help="The exemption it rests on: 26a (with its statute: 26a:ferpa, 26a:student-records, "
    "26a:special-education), 26c, 26d, 26e, 26f, 26n, acp, 10B.",
)
@click.option(
    "--occurrence",
    type=click.IntRange(min=1),
    metavar="K",
    help="Only the Kth occurrence in the record (as `redact list` counts); default: every.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def add(
    ctx: click.Context,
    number: str,
    record_id: str,
    text: str,
    exemption: str,
    occurrence: int | None,
    as_json: bool,
) -> None:
    """Redact text from a record of a request (accepted at once). An undecided record is
    decided `redact` under the exemption."""
    r = app(ctx).redactions().add(number, record_id, text, exemption, occurrence)
    _warn(r)
    if as_json:
        emit_json({**r.to_json(), "decision": r.decided})
        return
    click.echo(_line(r))
    if r.decided:
        click.echo(f"{r.number}: record {r.record_id[:12]}: {r.decided}")


def _decide(ctx: click.Context, number: str, redaction_id: int, accept: bool) -> None:
    desk = app(ctx).redactions()
    r = desk.accept(number, redaction_id) if accept else desk.reject(number, redaction_id)
    click.echo(f"{r.number}: redaction {r.id} {r.state}")
    if r.decided:
        click.echo(f"{r.number}: record {r.record_id[:12]}: {r.decided}")


@redact.command("accept")
@click.argument("number")
@click.argument("redaction_id", metavar="REDACTION_ID", type=int)
@actor_option
@click.pass_context
def accept(ctx: click.Context, number: str, redaction_id: int) -> None:
    """Accept a proposed (or rejected) redaction: the export removes it."""
    _decide(ctx, number, redaction_id, True)


@redact.command("reject")
@click.argument("number")
@click.argument("redaction_id", metavar="REDACTION_ID", type=int)
@actor_option
@click.pass_context
def reject(ctx: click.Context, number: str, redaction_id: int) -> None:
    """Reject a redaction: kept (not proposed again) but not applied."""
    _decide(ctx, number, redaction_id, False)


@redact.command("remove")
@click.argument("number")
@click.argument("redaction_id", metavar="REDACTION_ID", type=int)
@actor_option
@click.pass_context
def remove(ctx: click.Context, number: str, redaction_id: int) -> None:
    """Delete a redaction (a removed suggestion can be proposed again; reject keeps it out)."""
    r = app(ctx).redactions().remove(number, redaction_id)
    click.echo(f"{r.number}: redaction {r.id} removed")


@redact.command("attachment")
@click.argument("number")
@click.argument("record_id", metavar="ID")
@click.argument("attachment", metavar="K", type=int)
@click.argument("decision", type=click.Choice(("release", "withhold")))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def attachment(
    ctx: click.Context, number: str, record_id: str, attachment: int, decision: str, as_json: bool
) -> None:
    """Release image attachment K (numbered as `archiver show` lists them) of a record decided
    redact as it is, or withhold it (the default). An image cannot be redacted: it is given
    whole or not at all."""
    d = app(ctx).redactions().decide_attachment(number, record_id, attachment, decision)
    if as_json:
        emit_json(
            {
                "request": d.number,
                **d.to_json(),
                "name": d.name,
                "content_type": d.content_type,
                "size": d.size,
            }
        )
        return
    click.echo(
        f"{d.number}: record {d.record_id[:12]}: attachment {d.attachment} {d.name} "
        f"({d.content_type}, {d.size:,} bytes): {_decided(d.decision)}"
    )


def _decided(decision: str) -> str:
    return "released as it is" if decision == "release" else "withheld"


def _attachment_line(d: AttachmentDecision) -> str:
    return (
        f"{d.record_id[:12]}  {d.attachment:>10}  {d.decision:<8}  "
        f"{d.decided_at:%Y-%m-%d %H:%M}  {d.decided_by}"
    )


@redact.command("list")
@click.argument("number")
@click.argument("record_id", metavar="[ID]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def list_(ctx: click.Context, number: str, record_id: str | None, as_json: bool) -> None:
    """A request's redactions (or one record's): id, record, state, source, exemption,
    occurrence, how many times the text is found, and the text; then the decisions on image
    attachments."""
    desk = app(ctx).redactions()
    found = desk.listed(number, record_id)
    decided = desk.attachments(number, record_id)
    if as_json:
        emit_json(
            {
                "request": number.strip().upper(),
                "redactions": [r.to_json() for r in found],
                "attachments": [d.to_json() for d in decided],
            }
        )
        return
    if not found:
        click.echo("no redactions")
    else:
        click.echo(
            f"{'id':>5}  {'record':<12}  {'state':<8}  {'source':<9}  {'exemption':<10}  "
            f"{'which':<5}  {'found':>4}  text"
        )
        for r in found:
            click.echo(_line(r))
    if decided:
        click.echo("")
        click.echo(f"{'record':<12}  {'attachment':>10}  {'decision':<8}  {'decided':<16}  by")
        for d in decided:
            click.echo(_attachment_line(d))
