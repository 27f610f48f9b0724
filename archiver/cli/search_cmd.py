"""`archiver search` and `archiver reindex`."""

from __future__ import annotations

import re
from datetime import datetime

import click

from archiver.cli.context import Progress, actor_option, app, emit_json
from archiver.domain import MAX_LIMIT, STATUSES, SearchRequest, size_text

_SPACE = re.compile(r"\s")


def query_text(parts: tuple[str, ...]) -> str:
    """The query from the command line's words: an argument the shell kept whole despite its
    spaces (`"field trip"`) is a phrase."""
    return " ".join(
        f'"{p}"' if _SPACE.search(p) and '"' not in p and not p.startswith("-") else p
        for p in parts
    )


def _who(entry: dict[str, str] | None) -> str:
    if not entry:
        return "?"
    return entry["name"] or entry["address"] or "?"


_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.command("search", context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--from", "sender", metavar="WHO", help="The original's sender: address, @domain or name."
)
@click.option("--to", metavar="WHO", help="A recipient (To or Cc) of the original.")
@click.option("--participant", metavar="WHO", help="Anyone in the message or its originals.")
@click.option("--forwarder", metavar="WHO", help="Whoever forwarded it to the archive.")
@click.option(
    "--student",
    metavar="ID|NAME",
    help="Tagged with this student (roster id, or a full name only one student has).",
)
@click.option(
    "--since",
    type=_DAY,
    metavar="YYYY-MM-DD",
    help="Sent on or after this day (in the district's time zone, [archive] timezone).",
)
@click.option(
    "--until",
    type=_DAY,
    metavar="YYYY-MM-DD",
    help="Sent on or before this day (in the district's time zone).",
)
@click.option("--status", type=click.Choice(STATUSES), help="Only records in this state.")
@click.option(
    "--has-attachment/--no-attachment",
    "has_attachment",
    default=None,
    help="Only records with (or without) attached files.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=MAX_LIMIT),
    default=50,
    show_default=True,
    help="Records to show.",
)
@click.option(
    "--offset",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Matching records to skip (the next page).",
)
@click.option("--series", metavar="CODE", help="Only records of this retention series.")
@click.option(
    "--eligible-by",
    type=_DAY,
    metavar="YYYY-MM-DD",
    help="Only records whose retention has passed by this day.",
)
@click.option(
    "--held/--not-held",
    "held",
    default=None,
    help="Only records a legal hold covers (or that none does).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def search_(
    ctx: click.Context,
    query: tuple[str, ...],
    sender: str | None,
    to: str | None,
    participant: str | None,
    forwarder: str | None,
    student: str | None,
    since: datetime | None,
    until: datetime | None,
    status: str | None,
    has_attachment: bool | None,
    limit: int,
    offset: int,
    series: str | None,
    eligible_by: datetime | None,
    held: bool | None,
    as_json: bool,
) -> int:
    """Search the archive: every WORD must match, "quoted phrases" match as phrases, and
    -WORD excludes. Filters narrow it; newest first. The search is audited."""
    from archiver.archive.roster import resolve_student
    from archiver.archive.search import search

    a = app(ctx)
    student = resolve_student(a.store, a.keyring, student, "--student")
    result = search(
        a.store,
        a.keyring,
        SearchRequest(
            query=query_text(query),
            sender=sender,
            to=to,
            participant=participant,
            forwarder=forwarder,
            student=student,
            since=since.date() if since else None,
            until=until.date() if until else None,
            status=status,
            has_attachment=has_attachment,
            limit=limit,
            offset=offset,
            series=series,
            eligible_by=eligible_by.date() if eligible_by else None,
            held=held,
        ),
        a.district,
    )
    if result.unindexed:
        click.echo(
            f"warning: {result.unindexed} records are not in the search index yet "
            "(run `archiver reindex`): words cannot find them",
            err=True,
        )
    if as_json:
        emit_json(
            {
                "total": result.total,
                "offset": offset,
                "unindexed": result.unindexed,
                "results": result.results,
            }
        )
        return 0
    for r in result.results:
        if "error" in r:
            click.echo(f"{'':<10}  {r['id'][:12]}  cannot be opened: {r['error']}")
            continue
        students = ", ".join(s["name"] for s in r["students"])
        if r["quarantine"] and not r["date"]:  # its archived day, its size and why
            day = a.district.day_of(datetime.fromisoformat(r["archived_at"])).isoformat()
            who = f"quarantined: {r['quarantine']}, {size_text(r['size'])}"
        else:
            when = r["date"]
            day = a.district.day_of(datetime.fromisoformat(when)).isoformat() if when else "?"
            who = _who(r["from"])[:28]
        line = f"{day:<10}  {r['id'][:12]}  {who:<28}  {r['subject'] or ''}"
        if r["quarantine"] and r["date"]:
            line += f"  (quarantined: {r['quarantine']}, {size_text(r['size'])})"
        click.echo(line + (f"  [{students}]" if students else ""))
        if r["matched_in"]:
            click.echo(f"{'':<10}  matched in: {', '.join(r['matched_in'])}")
    shown = len(result.results)
    first = offset + 1 if shown else offset
    click.echo(
        f"{first}-{offset + shown} of {result.total} records"
        if shown
        else f"{result.total} records"
    )
    return 0


@click.command()
@click.option(
    "--all", "rebuild_all", is_flag=True, help="Index every record again, not just stale ones."
)
@click.option(
    "--repair",
    is_flag=True,
    help="First check the whole index against the records (as `verify --index`) and rebuild "
    "every entry found wrong.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@actor_option
@click.pass_context
def reindex(ctx: click.Context, rebuild_all: bool, repair: bool, as_json: bool) -> int:
    """Rebuild the search index from the sealed records: the records not indexed under the
    current index key and tokenizer (all of them with --all). Safe to interrupt: run it again
    to go on."""
    from archiver.archive.index_check import verify_index
    from archiver.archive.reindex import reindex_all
    from archiver.cli.records_cmd import print_index_report

    a = app(ctx)
    text = a.text_limits()
    if repair:
        checking = Progress("checking the index", None, " blocks")
        check = verify_index(a.store, a.keyring, repair=True, progress=checking, text=text)
        checking.finish()
        if not as_json:
            print_index_report(check, False, repairing=True)
    progress = Progress("indexing", None, " records")
    result = reindex_all(a.store, a.keyring, rebuild_all, progress, text)
    progress.finish()
    if as_json:
        emit_json(
            {
                "indexed": result.indexed,
                "failed": result.failed,
                "remaining": result.remaining,
                "students_resealed": result.students_resealed,
                "repair": check.to_json() if repair else None,
            }
        )
    else:
        click.echo(f"indexed {result.indexed} records; {result.remaining} not indexed")
        if result.students_resealed:
            click.echo(f"sealed {result.students_resealed} students under the current index key")
        for rid in result.failed:
            click.echo(f"FAILED {rid}: cannot be opened (see `archiver verify`)", err=True)
    return 3 if result.failed else 1 if result.remaining else 0
