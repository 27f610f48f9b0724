"""`archiver dispose plan|list|show|approve|cancel|execute|certificate` (DESIGN.md 9.6)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archiver.cli.context import Progress, actor_option, app, emit_json, who
from archiver.domain import size_text

if TYPE_CHECKING:
    from archiver.records.disposition import BatchView

_DAY = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: object) -> str:
    return str(value)[:10] if value else "-"


@click.group()
def dispose() -> None:
    """Disposition: destroy records whose retention has passed, in batches a second person
    approves, with a tombstone per record and a signed certificate (docs/records-management.md)."""


@dispose.command()
@click.option(
    "--by",
    type=_DAY,
    metavar="YYYY-MM-DD",
    help="Records whose retention has passed by this day (default: today).",
)
@click.option(
    "--series",
    metavar="CODE",
    help="Only this series. A series whose disposition is `review` is planned only when named "
    "here (naming it is the review).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def plan(ctx: click.Context, by: datetime | None, series: str | None, as_json: bool) -> None:
    """Plan a batch of the records that may be destroyed: retention passed, series destroyed
    by the schedule, no hold, no request, in no other batch."""
    a = app(ctx)
    number, count = a.disposal().plan(by.date() if by else None, series, who())
    if as_json:
        emit_json({"batch": number, "records": count})
        return
    if number is None:
        click.echo("no records are eligible: no batch was made")
        return
    click.echo(f"batch {number} planned: {count} records")
    click.echo(
        f"next: `archiver dispose show {number} --rmu2` (what Form RMU-2 needs), then "
        f"another person runs `archiver dispose approve {number} --permit NUMBER`"
    )


@dispose.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """Every batch, newest first."""
    rows = app(ctx).disposal().listed(who())
    if as_json:
        emit_json(
            {
                "batches": [
                    {
                        "batch": r.number,
                        "state": r.state,
                        "by": r.by_day.isoformat(),
                        "planned_by": r.planned_by,
                        "approved_by": r.approved_by,
                        "permit": r.permit,
                        "counts": counts,
                    }
                    for r, counts in rows
                ]
            }
        )
        return
    for r, counts in rows:
        tally = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        click.echo(
            f"{r.number}  {r.state:<10} by {r.by_day}  planned by {r.planned_by}"
            + (f", approved by {r.approved_by}" if r.approved_by else "")
            + f"  ({tally or 'no records'})"
        )
    if not rows:
        click.echo("no disposition batches")


def _print_view(v: BatchView) -> None:
    r = v.row
    click.echo(f"{'Batch:':<11}{r.number} ({r.state})")
    click.echo(
        f"{'Records:':<11}{v.records} ({size_text(v.size)}) whose retention passed by {r.by_day}"
        + (f", series {r.series}" if r.series else "")
    )
    click.echo(f"{'Planned:':<11}{r.planned_at:%Y-%m-%d %H:%M} UTC by {r.planned_by}")
    if r.approved_at:
        click.echo(
            f"{'Approved:':<11}{r.approved_at:%Y-%m-%d %H:%M} UTC by {r.approved_by}"
            + (f", permit {r.permit}" if r.permit else "")
        )
    if r.executed_at:
        click.echo(f"{'Executed:':<11}{r.executed_at:%Y-%m-%d %H:%M} UTC")
    if r.cancelled_at:
        click.echo(f"{'Cancelled:':<11}{r.cancelled_at:%Y-%m-%d %H:%M} UTC by {r.cancelled_by}")
    tally = ", ".join(f"{n} {state}" for state, n in sorted(v.counts.items()))
    click.echo(f"{'State:':<11}{tally or 'no records'}")
    for s in v.series:
        doc: dict[str, Any] = s.to_json()
        click.echo(
            f"  {doc['code']:<10} {doc['records']:>7} records {size_text(doc['bytes']):>10}  "
            f"sent {_day(doc['sent']['first'])} to {_day(doc['sent']['last'])}  "
            f"archived {_day(doc['archived']['first'])} to {_day(doc['archived']['last'])}  "
            f"approval {doc['approval']}"
        )
        click.echo(
            f"             {doc['title'] or '(not in the schedule)'}; {doc['citation'] or '-'}"
        )
    for m in v.skipped:
        click.echo(f"  skipped {m.record_id}: {m.reason}: {m.detail}")
    if v.checked_on is not None and not v.certifiable():
        click.echo(
            f"warning: {v.held} records are now under a legal hold and {v.requested} kept by a "
            "request: execution will skip them",
            err=True,
        )


def _print_rmu2(v: BatchView, organization: str) -> None:
    """What Form RMU-2 (Application for Destruction Permission) asks, as the archive knows it."""
    r = v.row
    sent = [s.summary for s in v.series]
    first = min((s.first_sent for s in sent if s.first_sent), default=None)
    last = max((s.last_sent for s in sent if s.last_sent), default=None)
    click.echo(f"Form RMU-2, Application for Destruction Permission: batch {r.number}")
    click.echo(
        f"{'Municipal entity:':<24}"
        + (organization or "(set [requests] district_name)")
        + " (school committee)"
    )
    click.echo(
        f"{'Records:':<24}{v.records} electronic records (email kept in the records archive), "
        f"{size_text(v.size)}"
    )
    click.echo(f"{'Location:':<24}the district's records archive (encrypted archive database)")
    click.echo(f"{'Inclusive dates:':<24}sent {_day(first)} to {_day(last)}")
    click.echo(f"{'Retention passed by:':<24}{r.by_day}")
    click.echo("Series and authority:")
    for s in v.series:
        doc: dict[str, Any] = s.to_json()
        click.echo(
            f"  {doc['code']}: {doc['title'] or '(not in the schedule)'}; "
            f"{doc['citation'] or '-'}; approval {doc['approval']}"
        )
        click.echo(
            f"    {doc['records']} records, {size_text(doc['bytes'])}, sent "
            f"{_day(doc['sent']['first'])} to {_day(doc['sent']['last'])}"
        )
    click.echo(f"{'Last audit of accounts:':<24}(from the district's finance office)")
    if v.checked_on is None:
        click.echo(f"Certification: the batch is {r.state}")
    elif v.certifiable():
        click.echo(
            f"Certification (computed {v.checked_on}): the records are not subject to a pending "
            "audit, investigation, litigation or public records request: no open legal hold "
            "covers any of them and no request keeps any of them."
        )
    else:
        click.echo(
            f"Certification (computed {v.checked_on}) NOT possible: {v.held} records are under "
            f"an open legal hold and {v.requested} are kept by a request. Execution skips them; "
            "or cancel the batch and plan again."
        )


@dispose.command()
@click.argument("batch")
@click.option("--rmu2", is_flag=True, help="Print what Form RMU-2 needs.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def show(ctx: click.Context, batch: str, rmu2: bool, as_json: bool) -> None:
    """A batch: its state, who planned and approved it, and per series its citation,
    approval, dates, counts and volume."""
    a = app(ctx)
    view = a.disposal().show(batch, who())
    organization = a.settings.requests.district_name.strip()
    if as_json:
        emit_json({**view.to_json(), "organization": organization or None})
        return
    if rmu2:
        _print_rmu2(view, organization)
        return
    _print_view(view)


@dispose.command()
@click.argument("batch")
@click.option(
    "--permit",
    metavar="NUMBER",
    help="The Supervisor of Records' permit number (Form RMU-2): needed when a series of the "
    "batch needs that approval.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def approve(ctx: click.Context, batch: str, permit: str | None, as_json: bool) -> None:
    """Approve a planned batch (by someone other than its planner)."""
    view = app(ctx).disposal().approve(batch, permit, who())
    if as_json:
        emit_json(view.to_json())
        return
    r = view.row
    click.echo(
        f"batch {r.number} approved by {r.approved_by}"
        + (f" (permit {r.permit})" if r.permit else "")
        + f": {view.records} records; `archiver dispose execute {r.number}` destroys them"
    )


@dispose.command()
@click.argument("batch")
@click.option("--reason", required=True, help="Why (kept sealed).")
@actor_option
@click.pass_context
def cancel(ctx: click.Context, batch: str, reason: str) -> None:
    """Cancel a batch not yet executing: its records may be planned again."""
    row = app(ctx).disposal().cancel(batch, reason, who())
    click.echo(f"batch {row.number} cancelled")


_OUT = click.Path(dir_okay=False, path_type=Path)


@dispose.command()
@click.argument("batch")
@click.option(
    "--out",
    type=_OUT,
    metavar="FILE.pdf|FILE.json",
    help="Also write the certificate here (FILE.json gets FILE.json.sig, FILE.json.pub and "
    "FILE.tombstones.jsonl).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def execute(ctx: click.Context, batch: str, out: Path | None, as_json: bool) -> None:
    """Destroy an approved batch's records: each is checked again (a hold or request since
    planning, or a changed retention, skips it); a tombstone is left and a signed certificate
    made. Safe to interrupt: run it again to finish."""
    from archiver.records import certificate

    if out is not None:  # refused before anything is destroyed
        certificate.free_targets(out)
    a = app(ctx)
    desk = a.disposal()
    progress = Progress("destroying", None, " records")
    result = desk.execute(batch, who(), progress)
    progress.finish()
    written: list[Path] = []
    if out is not None:
        written = certificate.write(desk.certificate(result.batch, who(), str(out)), out)
    if as_json:
        emit_json({**result.to_json(), "certificate": str(written[0]) if written else None})
        return
    if result.already:
        click.echo(f"batch {result.batch} was executed already; nothing more was done")
    click.echo(
        f"batch {result.batch}: {result.destroyed} records destroyed, {len(result.skipped)} skipped"
    )
    for m in result.skipped:
        click.echo(f"  skipped {m.record_id}: {m.reason}: {m.detail}")
    click.echo(f"certificate SHA-256 {result.certificate_sha256}")
    for path in written:
        click.echo(f"written: {path}")
    if not written:
        click.echo(f"`archiver dispose certificate {result.batch} --out FILE.pdf` writes it")


@dispose.command("certificate")
@click.argument("batch")
@click.option("--out", type=_OUT, metavar="FILE.pdf|FILE.json", help="Write it to this file.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the certificate's JSON (signed bytes)."
)
@click.option(
    "--tombstones",
    is_flag=True,
    help="Print the tombstone listing the certificate names (one JSON object a line).",
)
@actor_option
@click.pass_context
def certificate_(
    ctx: click.Context, batch: str, out: Path | None, as_json: bool, tombstones: bool
) -> None:
    """An executed batch's certificate (its signature and tombstones checked): printed, or
    written (FILE.json gets FILE.json.sig, FILE.json.pub and FILE.tombstones.jsonl)."""
    import sys

    from archiver.errors import UsageError
    from archiver.records import certificate

    if sum((out is not None, as_json, tombstones)) > 1:
        raise UsageError("--out, --json and --tombstones cannot be combined")
    if out is not None and out.suffix.lower() not in (".pdf", ".json"):
        raise UsageError(f"--out {out}: a certificate is written as FILE.pdf or FILE.json")
    cert = app(ctx).disposal().certificate(batch, who(), str(out) if out else None)
    if as_json:
        sys.stdout.buffer.write(cert.data)
        sys.stdout.buffer.flush()
        return
    if tombstones:  # checked again as it is printed: a listing changed meanwhile fails
        certificate.copy_listing(cert, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    if out is not None:
        for path in certificate.write(cert, out):
            click.echo(f"written: {path}")
        return
    for line in certificate.summary_lines(cert.document()):
        click.echo(line)
