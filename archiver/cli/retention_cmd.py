"""`archiver retention report|due|show|set|apply|notices` (DESIGN.md section 9.1)."""

from __future__ import annotations

import csv
import sys
from datetime import date, datetime

import click

from archiver.cli.context import Progress, actor_option, app, emit_json, who

_DAY = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: date | None) -> str:
    return value.isoformat() if value else "-"


@click.group()
def retention() -> None:
    """Retention: how long each record is kept, by the schedule (docs/records-management.md)."""


@retention.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def report(ctx: click.Context, as_json: bool) -> None:
    """Per series: records, pending an event, eligible now, held, the next eligible day, and
    overdue destruction for series that must be destroyed by a date."""
    from archiver.records.retention import report as series_report

    a = app(ctx)
    today = a.district.today(a.clock)
    rows, unclassified = series_report(
        a.store, a.keyring, a.schedule, today, a.requests_since(today)
    )
    if as_json:
        emit_json(
            {
                "today": today.isoformat(),
                "schedule": a.schedule.source,
                "unclassified": unclassified,
                "series": [r.to_json() for r in rows],
            }
        )
        return
    click.echo(f"retention on {today} (schedule: {a.schedule.source})")
    click.echo(
        f"{'series':<10} {'records':>8} {'pending':>8} {'eligible':>8} {'held':>6}  "
        "next eligible  overdue"
    )
    for r in rows:
        doc = r.to_json()
        overdue = str(doc["overdue"]) if doc["limit"] == "maximum" else "-"
        click.echo(
            f"{r.code:<10} {r.counts.records:>8} {r.counts.pending:>8} {r.counts.eligible:>8} "
            f"{r.counts.held:>6}  {_day(r.counts.next_eligible):<13}  {overdue:>7}"
        )
    for r in rows:
        doc = r.to_json()
        if doc["limit"] == "maximum" and doc["overdue"]:
            click.echo(
                f"warning: {doc['overdue']} records of {r.code} are past the day they must be "
                f"destroyed by: `archiver dispose plan --series {r.code}`",
                err=True,
            )
    if unclassified:
        click.echo(
            f"{unclassified} records are not classified yet: run `archiver retention apply`",
            err=True,
        )


@retention.command()
@click.option(
    "--by", type=_DAY, metavar="YYYY-MM-DD", help="Eligible on or before this day (default: today)."
)
@click.option("--series", metavar="CODE", help="Only records of this series.")
@click.option("--limit", type=click.IntRange(min=1, max=10_000), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def due(
    ctx: click.Context,
    by: datetime | None,
    series: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Records whose retention has passed by a day and that no hold or request keeps (a
    request keeps its records until its appeal window has passed), earliest first."""
    from archiver.errors import UsageError
    from archiver.records.retention import due as due_records

    a = app(ctx)
    day = by.date() if by else a.district.today(a.clock)
    if series is not None and series not in a.schedule.series:
        raise UsageError(f"--series {series}: not in the schedule ({', '.join(a.schedule.series)})")
    total, rows = due_records(a.store, a.keyring, day, series, limit, offset, a.requests_since(day))
    if as_json:
        emit_json(
            {
                "by": day.isoformat(),
                "total": total,
                "offset": offset,
                "records": [
                    {
                        "id": r.record_id,
                        "series": r.series,
                        "retain_until": _day(r.retain_until),
                        "limit": r.limit,
                        "disposition": r.disposition,
                    }
                    for r in rows
                ],
            }
        )
        return
    for r in rows:
        click.echo(f"{_day(r.retain_until)}  {r.record_id}  {r.series:<10} {r.disposition}")
    shown = len(rows)
    click.echo(
        f"{offset + 1}-{offset + shown} of {total} records due by {day}"
        if shown
        else f"{total} records due by {day}"
    )


@retention.command()
@click.argument("record_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def show(ctx: click.Context, record_id: str, as_json: bool) -> int:
    """A record's series, dates and holds."""
    from archiver.archive import audit
    from archiver.records.retention import of_record

    a = app(ctx)
    ring = a.keyring
    with a.store.transaction() as tx:
        row = tx.records.get(record_id)
        kept = of_record(tx, ring, a.schedule, row.id)
        audit.append(tx, ring, "retention.show", target=row.id)
    if kept is None:
        click.echo(f"{row.id}: not classified yet: run `archiver retention apply`", err=True)
        return 1
    doc = kept.to_json()
    if as_json:
        emit_json(doc)
        return 0
    print_retention(doc)
    return 0


def print_retention(doc: dict[str, object]) -> None:
    """The retention lines of `show` and `retention show`."""
    rule = "chosen by hand" if doc["rule"] == "manual" else f"rule {doc['rule']}"
    click.echo(f"{'Series:':<10}{doc['series']} {doc['title'] or ''} ({rule})")
    period, until, trigger = doc["period"], doc["retain_until"], doc["trigger_date"]
    if doc["disposition"] == "permanent":
        line = "permanently"
    elif trigger is None:
        line = "pending: counted from an event that has not happened yet (a student's exit)"
    else:
        since = f"{period} from {trigger}" if period else f"from {trigger}; the schedule changed"
        if doc["limit"] == "maximum":
            line = f"destroy by {until} ({since})"
        else:
            line = f"until {until} ({since}), then {doc['disposition']}"
    click.echo(f"{'Retain:':<10}{line}")
    if doc["rule"] == "manual":
        click.echo(f"{'Chosen:':<10}by {doc['classified_by']}: {doc['reason'] or ''}")
    holds = doc["holds"]
    if isinstance(holds, list) and holds:
        click.echo(f"{'Held:':<10}{', '.join(str(h) for h in holds)}")


@retention.command("set")
@click.argument("record_id")
@click.argument("series")
@click.option("--reason", required=True, help="Why this series (kept, sealed).")
@actor_option
@click.pass_context
def set_(ctx: click.Context, record_id: str, series: str, reason: str) -> None:
    """Classify a record by hand; the schedule's rules never overwrite it."""
    from archiver.records.retention import set_series

    a = app(ctx)
    row = set_series(
        a.store,
        a.keyring,
        a.schedule,
        a.district,
        a.settings.school_year_end,
        record_id,
        series,
        reason,
        who(),
    )
    click.echo(f"{row.record_id}: series {row.series}, retain until {_day(row.retain_until)}")


@retention.command("apply")
@click.option(
    "--yes", is_flag=True, help="Write even if records become eligible sooner than before."
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@actor_option
@click.pass_context
def apply_(ctx: click.Context, yes: bool, as_json: bool) -> int:
    """Classify every record by the schedule again (after it changed, or after an upgrade).
    Prints what moves; wants --yes before any record becomes eligible sooner. Safe to
    interrupt: run it again to go on."""
    from archiver.records.retention import apply

    a = app(ctx)
    progress = Progress("classifying", None, " records")
    result = apply(
        a.store,
        a.keyring,
        a.schedule,
        a.district,
        a.settings.school_year_end,
        yes,
        who(),
        progress,
    )
    progress.finish()
    if as_json:
        emit_json(result.to_json())
    else:
        if result.resumed:
            click.echo("resumed an unfinished apply of this schedule")
        click.echo(
            f"checked {result.checked} records: {result.changed} change "
            f"({result.classified} classified for the first time, {result.earlier} eligible "
            "sooner)"
        )
        for m in sorted(result.moves.values(), key=lambda m: (m.before or "", m.after)):
            src = m.before or "unclassified"
            sooner = f", {m.earlier} eligible sooner" if m.earlier else ""
            click.echo(f"  {src} -> {m.after}: {m.records} records{sooner}")
    if not result.written:
        click.echo(
            f"nothing written: {result.earlier} records would become eligible sooner than "
            "before; check the schedule with counsel, then run again with --yes",
            err=True,
        )
        return 1
    return 0


@retention.command()
@click.option("--exited-since", "since", type=_DAY, required=True, metavar="YYYY-MM-DD")
@click.option(
    "--until", type=_DAY, metavar="YYYY-MM-DD", help="Exited on or before (default: today)."
)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (for a mail merge).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def notices(
    ctx: click.Context, since: datetime, until: datetime | None, as_csv: bool, as_json: bool
) -> None:
    """Students who left in a period, with the day their temporary records will be destroyed
    (603 CMR 23.06: parents are told at the student's exit)."""
    from archiver.errors import UsageError
    from archiver.records.retention import notices as exit_notices

    if as_csv and as_json:
        raise UsageError("--csv and --json cannot be combined")
    a = app(ctx)
    end = until.date() if until else a.district.today(a.clock)
    found = exit_notices(a.store, a.keyring, a.schedule, since.date(), end)
    if as_json:
        emit_json(
            {
                "since": since.date().isoformat(),
                "until": end.isoformat(),
                "students": [n.to_json() for n in found],
            }
        )
        return
    if as_csv:
        out = csv.writer(sys.stdout)
        out.writerow(["student_id", "name", "exit_date", "destroy_by", "records"])
        for n in found:
            out.writerow([n.student_id, n.name, n.exit_date, _day(n.destroy_by), n.records])
        return
    for n in found:
        click.echo(
            f"{n.exit_date}  {n.student_id:<10} {n.name:<28} destroy by {_day(n.destroy_by)}  "
            f"({n.records} records)"
        )
    click.echo(f"{len(found)} students left between {since.date()} and {end}")
