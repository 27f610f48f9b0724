"""`archiver staff import|list`: the district's staff directory."""

from __future__ import annotations

from pathlib import Path

import click

from archiver.cli.context import actor_option, app, emit_json
from archiver.understand.staff_file import PRESETS


@click.group()
def staff() -> None:
    """The staff directory: staff names are never tagged as students."""


@staff.command("import")
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *PRESETS]),
    default="auto",
    show_default=True,
    help="The export's layout (auto: recognised by its columns).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@actor_option
@click.pass_context
def import_(ctx: click.Context, csv_path: Path, fmt: str, as_json: bool) -> None:
    """Import or update the staff directory from an HR or directory CSV export (name, school
    address, personal addresses where known), then tag every record again: a student who
    shares a name with a member of staff is no longer tagged for that person's name."""
    from archiver.archive.roster import import_staff
    from archiver.cli.students_cmd import retag_everything
    from archiver.understand.staff_file import read_staff

    a = app(ctx)
    name, rows = read_staff(csv_path, fmt)
    result = import_staff(a.store, a.keyring, rows, name, csv_path.read_bytes())
    retag = retag_everything(a)
    if as_json:
        emit_json(
            {
                "format": result.format,
                "added": result.added,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "students_skipped": result.students_skipped,
                "records_checked": retag.checked,
                "records_retagged": retag.changed,
            }
        )
        return
    click.echo(
        f"{csv_path}: {result.format} export; {result.added} added, {result.updated} "
        f"updated, {result.unchanged} unchanged"
    )
    if result.students_skipped:
        click.echo(
            f"skipped {result.students_skipped} rows with a student's school address "
            "(students are never staff)"
        )
    click.echo(f"re-tagged {retag.changed} of {retag.checked} records")


@staff.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """The staff directory as imported (the access is audited: it holds personal
    addresses)."""
    from archiver.archive.roster import list_staff

    a = app(ctx)
    members = list_staff(a.store, a.keyring)
    if as_json:
        emit_json(
            {
                "staff": [
                    {
                        "id": m.staff_id,
                        "first": m.first,
                        "last": m.last,
                        "email": m.email,
                        "personal": list(m.personal),
                        "title": m.title,
                    }
                    for m in members
                ]
            }
        )
        return
    for m in members:
        click.echo(
            f"{m.staff_id:<12} {m.last}, {m.first}"
            + (f"  {m.email}" if m.email else "")
            + (f"  personal: {', '.join(m.personal)}" if m.personal else "")
            + (f"  ({m.title})" if m.title else "")
        )
    if not members:
        click.echo("no staff imported (archiver staff import CSV)")
