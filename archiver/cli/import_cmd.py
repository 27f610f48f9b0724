"""`archiver import PATH...`: .eml files, directories, mbox files and maildirs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from archiver.cli.context import Progress, actor_option, app, emit_json

if TYPE_CHECKING:
    from archiver.app import App
    from archiver.ingest.importer import ImportReport

LIST_AT_MOST = 100  # a terminal list longer than this helps nobody; --json has them all


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="Parsing processes (default: ingest.workers; 0 = one per core).",
)
@actor_option
@click.pass_context
def import_(ctx: click.Context, paths: tuple[Path, ...], as_json: bool, workers: int | None) -> int:
    """Archive messages from files, directories, mbox files and maildirs.

    Exit code 1 if any input could not be archived; everything else is kept.
    """
    from archiver.ingest import prepare
    from archiver.ingest.importer import import_paths
    from archiver.sources.files import total_size

    a = app(ctx)
    total = total_size(list(paths))
    progress = Progress("importing", total)
    report = import_paths(
        a.pipeline,
        list(paths),
        a.settings.ingest.workers if workers is None else workers,
        progress,
        total,
    )
    progress.finish()
    try:
        _print(report, as_json, a)
    finally:
        report.close()
    if report.interrupted:
        click.echo(
            "interrupted: what was archived is kept; run the same import again to finish", err=True
        )
        return 130
    return 1 if report.count(prepare.FAILED) else 0


def _print(report: ImportReport, as_json: bool, a: App) -> None:
    from archiver.archive import audit
    from archiver.ingest import prepare

    counts = report.totals()
    if as_json:  # DESIGN.md section 10; the items as they are read back, not all at once
        doc = {**counts, "skipped": report.skipped, "items": [], "audit_head": audit.head(a.store)}
        emit_json(doc, ("items", (item.to_json() for item in report.items())))
        return
    click.echo(
        f"archived {counts['archived']}, duplicates {counts['duplicates']}, "
        f"quarantined {counts['quarantined']}, failed {counts['failed']}"
        + (f", skipped {len(report.skipped)} files that are not mail" if report.skipped else "")
    )
    listed = report.total <= LIST_AT_MOST
    for item in report.items():
        if item.status == prepare.FAILED:
            click.echo(f"failed: {item.error}", err=True)
        elif listed or item.status == prepare.QUARANTINED:
            click.echo(f"{item.status:<12}{item.record_id}  {item.label}")
    if not listed:
        click.echo(f"(records not listed: more than {LIST_AT_MOST}; --json lists every one)")
    for path in report.skipped:
        click.echo(f"skipped (not a message): {path}", err=True)
