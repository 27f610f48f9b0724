"""`archiver students import|list|find`, `archiver tag add|remove` and `archiver tags review`."""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archiver.cli.context import Progress, actor_option, app, emit_json
from archiver.understand.roster_file import PRESETS

if TYPE_CHECKING:
    from archiver.app import App
    from archiver.archive.tagging import Rework


def retag_everything(a: App) -> Rework:
    """Tag every record again after the roster or the staff directory changed, with a
    progress bar on a terminal."""
    from archiver.archive.tagging import retag_all

    with a.store.transaction() as tx:
        total = tx.records.count()
    progress = Progress("re-tagging", total)
    retag = retag_all(a.store, a.keyring, progress, a.records_changed())
    progress.finish()
    return retag


@click.group()
def students() -> None:
    """The student roster."""


@students.command("import")
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
    """Import or update the roster from a student-information-system CSV export, then tag
    every record again (a new student, address or name can change what records concern)."""
    from archiver.archive.roster import import_students
    from archiver.understand.roster_file import read_roster

    a = app(ctx)
    name, rows = read_roster(csv_path, fmt)
    changed = a.records_changed()
    result = import_students(a.store, a.keyring, rows, name, csv_path.read_bytes(), changed)
    retag = retag_everything(a)
    if as_json:
        emit_json(
            {
                "format": result.format,
                "added": result.added,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "roster_version": result.version,
                "records_checked": retag.checked,
                "records_retagged": retag.changed,
            }
        )
        return
    click.echo(
        f"{csv_path}: {result.format} export; {result.added} added, {result.updated} "
        f"updated, {result.unchanged} unchanged"
    )
    click.echo(f"re-tagged {retag.changed} of {retag.checked} records")


@students.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """The roster as imported (the access is audited)."""
    from archiver.archive import audit
    from archiver.archive.roster import load_roster

    a = app(ctx)
    ring = a.keyring  # loaded before the transaction: loading opens one of its own
    with a.store.transaction() as tx:
        roster = load_roster(tx, ring)
        audit.append(tx, ring, "students.list", details={"count": len(roster.students)})
    rows = sorted(roster.students.values(), key=lambda s: (s.last.lower(), s.first.lower()))
    if as_json:
        emit_json(
            {
                "students": [
                    {
                        "id": s.student_id,
                        "first": s.first,
                        "last": s.last,
                        "preferred": s.preferred,
                        "email": s.email,
                        "grade": s.grade,
                        "status": s.status,
                        "exit_date": s.exit_date.isoformat() if s.exit_date else None,
                    }
                    for s in rows
                ]
            }
        )
        return
    for s in rows:
        click.echo(
            f"{s.student_id:<10} {s.last}, {s.first}"
            + (f" ({s.preferred})" if s.preferred else "")
            + f"  grade {s.grade or '?'}  {s.status}"
            + (f"  left {s.exit_date}" if s.exit_date else "")
        )


@students.command("find")
@click.argument("name", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def find(ctx: click.Context, name: tuple[str, ...], as_json: bool) -> None:
    """Students by name, accents and case folded: those whose full name (first or preferred,
    and last) it is, else those with every word of it among their names. Audited: it
    discloses names."""
    from archiver.archive.roster import find as find_students

    a = app(ctx)
    found = find_students(a.store, a.keyring, " ".join(name))
    if as_json:
        emit_json(
            {
                "students": [
                    {
                        "id": s.student_id,
                        "name": s.name,
                        "first": s.first,
                        "last": s.last,
                        "preferred": s.preferred,
                        "grade": s.grade,
                        "status": s.status,
                    }
                    for s in found
                ]
            }
        )
    else:
        for s in found:
            click.echo(
                f"{s.student_id:<10} {s.last}, {s.first}"
                + (f" ({s.preferred})" if s.preferred else "")
                + f"  grade {s.grade or '?'}  {s.status}"
            )
        if not found:
            click.echo(f"no student named {' '.join(name)!r}")


@students.command("access-log")
@click.argument("student", metavar="STUDENT")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Only accesses on or after this day (the district's).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (for a parent, a spreadsheet).")
@actor_option
@click.pass_context
def access_log(
    ctx: click.Context, student: str, since: datetime | None, as_json: bool, as_csv: bool
) -> None:
    """Who saw a student's records (603 CMR 23.07(1), 34 CFR 99.32): every display, copy,
    export or request decision of a record tagged with the student, when, by whom, which
    records and what for. STUDENT is a roster id, or a full name only one student has."""
    from archiver.archive.access import access_log as read_log
    from archiver.archive.roster import resolve_student

    if as_json and as_csv:
        raise click.UsageError("--json and --csv cannot be combined")
    a = app(ctx)
    sid = resolve_student(a.store, a.keyring, student, "STUDENT") or student
    start = a.district.start(since.date()) if since else None
    entries = read_log(a.store, a.keyring, sid, start)
    rows: list[dict[str, Any]] = [
        {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "records": e.records,
            "purpose": e.purpose,
        }
        for e in entries
    ]
    if as_json:
        emit_json({"student": sid, "entries": rows})
        return
    if as_csv:
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["at", "actor", "action", "records", "purpose"])
        for r in rows:
            out.writerow(
                [r["at"], r["actor"], r["action"], " ".join(r["records"]), r["purpose"] or ""]
            )
        return
    for e in entries:
        local = e.at.astimezone(a.district.zone)
        click.echo(
            f"{local:%Y-%m-%d %H:%M}  {e.actor}  {e.action}  {' '.join(r[:8] for r in e.records)}"
            + (f"  purpose: {e.purpose}" if e.purpose else "")
        )
    if not entries:
        click.echo(f"no access to the records of student {sid} is logged")


@click.group()
def tag() -> None:
    """Student tags on records, set by hand."""


@tag.command("add")
@click.argument("record_id")
@click.argument("student_id")
@actor_option
@click.pass_context
def tag_add(ctx: click.Context, record_id: str, student_id: str) -> None:
    """Tag record RECORD_ID with student STUDENT_ID (audited)."""
    from archiver.archive.tagging import add_tag

    a = app(ctx)
    rid = add_tag(a.store, a.keyring, record_id, student_id, a.records_changed())
    click.echo(f"tagged {rid} with student {student_id}")


@tag.command("remove")
@click.argument("record_id")
@click.argument("student_id")
@actor_option
@click.pass_context
def tag_remove(ctx: click.Context, record_id: str, student_id: str) -> None:
    """Remove student STUDENT_ID from record RECORD_ID for good: automatic tagging will not
    put it back (audited)."""
    from archiver.archive.tagging import remove_tag

    a = app(ctx)
    rid, had = remove_tag(a.store, a.keyring, record_id, student_id, a.records_changed())
    click.echo(
        f"removed student {student_id} from {rid}"
        if had
        else f"{rid} had no tag for student {student_id}; it will not be tagged with it"
    )


@click.group()
def tags() -> None:
    """Student tags across the archive."""


@tags.command("review")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="List at most this many tags.",
)
@click.option(
    "--source",
    "sources",
    type=click.Choice(["context", "name"]),
    multiple=True,
    help="Only tags of this source (repeatable; default: context, then name).",
)
@actor_option
@click.pass_context
def tags_review(ctx: click.Context, as_json: bool, limit: int, sources: tuple[str, ...]) -> None:
    """The weaker automatic tags to confirm or remove: `context` (a first name with the
    family's surname elsewhere in the message), then `name` (a name in the original).
    Confirm one with `tag add RECORD STUDENT` (it becomes manual) or remove it with `tag
    remove RECORD STUDENT`. Audited as a read."""
    from archiver.archive.tagging import REVIEWED, review

    a = app(ctx)
    chosen = tuple(s for s in REVIEWED if s in sources) or REVIEWED
    items = review(a.store, a.keyring, limit, chosen)
    if as_json:
        emit_json(
            {
                "tags": [
                    {
                        "record": i.record_id,
                        "sent_at": i.sent_at,
                        "subject": i.subject,
                        "student": {"id": i.student_id, "name": i.student_name},
                        "source": i.source,
                    }
                    for i in items
                ]
            }
        )
        return
    if not items:
        click.echo("no tags to review")
        return
    for i in items:
        click.echo(
            f"{i.record_id[:12]}  {(i.sent_at or '?')[:10]}  {i.source:<7}  "
            f"{i.student_id} {i.student_name}  {i.subject or ''}".rstrip()
        )
    click.echo(
        f"{len(items)} tag(s); confirm with `archiver tag add RECORD STUDENT`, "
        "remove with `archiver tag remove RECORD STUDENT`"
    )
