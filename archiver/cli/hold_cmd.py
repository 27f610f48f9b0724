"""`archiver hold create|list|show|add|remove|release` (DESIGN.md section 9.2)."""

from __future__ import annotations

from datetime import datetime

import click

from archiver.cli.context import actor_option, app, emit_json, who

_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group()
def hold() -> None:
    """Legal holds: keep what a lawsuit, an audit or an investigation needs."""


@hold.command(context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
@click.option("--reason", required=True, help="Why (kept sealed): the matter, who asked.")
@click.option(
    "--student",
    metavar="ID|NAME",
    help="Records tagged with this student (roster id, or a full name only one student has).",
)
@click.option("--participant", metavar="WHO", help="Anyone in the message or its originals.")
@click.option("--forwarder", metavar="WHO", help="Whoever forwarded it to the archive.")
@click.option("--since", type=_DAY, metavar="YYYY-MM-DD", help="Sent on or after this day.")
@click.option("--until", type=_DAY, metavar="YYYY-MM-DD", help="Sent on or before this day.")
@click.option(
    "--record", "records", multiple=True, metavar="ID", help="A record to hold (repeatable)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def create(
    ctx: click.Context,
    name: str,
    words: tuple[str, ...],
    reason: str,
    student: str | None,
    participant: str | None,
    forwarder: str | None,
    since: datetime | None,
    until: datetime | None,
    records: tuple[str, ...],
    as_json: bool,
) -> None:
    """Place a hold NAME on the records its criteria match (WORDS as `search` takes them, and
    the filters; all must hold) and on every record that matches later, and on --record ids."""
    from archiver.archive.roster import resolve_student
    from archiver.cli.search_cmd import query_text
    from archiver.domain import SearchRequest
    from archiver.records.holds import create as create_hold

    a = app(ctx)
    student = resolve_student(a.store, a.keyring, student, "--student")
    criteria = SearchRequest(
        query=query_text(words),
        student=student,
        participant=participant,
        forwarder=forwarder,
        since=since.date() if since else None,
        until=until.date() if until else None,
    )
    h, count = create_hold(
        a.store, a.keyring, a.district, name, reason, criteria, list(records), who()
    )
    if as_json:
        emit_json({"name": h.name, "records": count})
        return
    click.echo(f"hold {h.name!r} placed: {count} records held")
    if h.has_criteria():
        click.echo("records archived or tagged later that match it are held too")


@hold.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """Every hold: open ones first."""
    from archiver.records.holds import list_holds

    a = app(ctx)
    holds = list_holds(a.store, a.keyring)
    if as_json:
        emit_json({"holds": [h.to_json(n) for h, n in holds]})
        return
    for h, n in holds:
        state = "open" if h.open else f"released {h.released_at:%Y-%m-%d}"
        click.echo(
            f"{h.name:<30} {n:>7} records  {state:<20} "
            f"placed {h.created_at:%Y-%m-%d} by {h.created_by}"
        )
    if not holds:
        click.echo("no holds")


@hold.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def show(ctx: click.Context, name: str, as_json: bool) -> None:
    """A hold: its reason, criteria and the records it covers."""
    from archiver.records.holds import show as show_hold

    a = app(ctx)
    h, ids, removed = show_hold(a.store, a.keyring, name)
    if as_json:
        emit_json({**h.to_json(len(ids)), "ids": ids, "removed": removed})
        return
    click.echo(f"{'Hold:':<10}{h.name}")
    click.echo(f"{'Reason:':<10}{h.reason}")
    click.echo(f"{'Placed:':<10}{h.created_at:%Y-%m-%d %H:%M} UTC by {h.created_by}")
    if not h.open:
        click.echo(
            f"{'Released:':<10}{h.released_at:%Y-%m-%d %H:%M} UTC by {h.released_by}: "
            f"{h.release_reason}"
        )
    for key, value in h.criteria_json().items():
        if value:
            click.echo(f"{key.capitalize() + ':':<10}{value}")
    click.echo(f"{'Records:':<10}{len(ids)}" + (f" ({len(removed)} taken out)" if removed else ""))
    for rid in ids:
        click.echo(f"  {rid}")


def _change(ctx: click.Context, name: str, ids: tuple[str, ...], reason: str, add: bool) -> None:
    from archiver.records.holds import change

    a = app(ctx)
    h, changed = change(a.store, a.keyring, name, list(ids), reason, who(), add)
    verb = "added to" if add else "taken out of"
    click.echo(f"{len(changed)} records {verb} hold {h.name!r}")


@hold.command()
@click.argument("name")
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@click.option("--reason", required=True, help="Why (kept sealed).")
@actor_option
@click.pass_context
def add(ctx: click.Context, name: str, ids: tuple[str, ...], reason: str) -> None:
    """Add records to a hold by hand."""
    _change(ctx, name, ids, reason, add=True)


@hold.command()
@click.argument("name")
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@click.option("--reason", required=True, help="Why (kept sealed).")
@actor_option
@click.pass_context
def remove(ctx: click.Context, name: str, ids: tuple[str, ...], reason: str) -> None:
    """Take records out of a hold (its criteria will not catch them again)."""
    _change(ctx, name, ids, reason, add=False)


@hold.command()
@click.argument("name")
@click.option("--reason", required=True, help="Why it is released (kept sealed).")
@actor_option
@click.pass_context
def release(ctx: click.Context, name: str, reason: str) -> None:
    """Release a hold; its records stay held if another hold covers them."""
    from archiver.records.holds import release as release_hold

    a = app(ctx)
    h, count = release_hold(a.store, a.keyring, name, reason, who())
    click.echo(f"hold {h.name!r} released ({count} records it covered)")
