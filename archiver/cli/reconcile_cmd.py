"""`archiver reconcile`: compare the sources' filed copies with the archive."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from archiver.cli.context import actor_option, app, emit_json
from archiver.errors import UsageError

if TYPE_CHECKING:
    from archiver.ingest.reconcile import ReconcileReport
from archiver.settings import parse_duration

SHOWN = 100  # re-ingested record ids listed in the text output


@click.command()
@click.option("--source", "source_name", metavar="NAME", help="Reconcile only this source.")
@click.option(
    "--wait",
    metavar="DURATION",
    default="0s",
    show_default=True,
    help="If a poll holds a source, wait up to this long (e.g. 10m) for it to finish.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@actor_option
@click.pass_context
def reconcile(ctx: click.Context, source_name: str | None, wait: str, as_json: bool) -> int:
    """Re-ingest what the sources' archived and quarantine folders hold but the archive lacks.

    Every message there is hashed (SHA-256 of its exact bytes) and looked up; a missing one is
    archived again through the pipeline, as polling would. Nothing is moved. A source with
    remove_archived_after_days set also has its old, confirmed copies removed. Copies of
    records a disposition batch destroyed are removed always.

    Exit code 0 if every copy is present or was re-ingested; 1 if something failed; 2 for a
    configuration problem (an unknown --source); 3 if a record does not match its hash.
    """
    from archiver.ingest.reconcile import reconcile_sources

    a = app(ctx)
    settings = a.settings
    sources = [settings.source(source_name)] if source_name else settings.sources
    if not sources:
        raise UsageError(settings.no_sources)
    try:
        wait_seconds = parse_duration(wait)
    except ValueError as exc:
        raise UsageError(f"--wait: {exc}") from None
    pipeline = a.pipeline()
    try:
        reports = reconcile_sources(settings, pipeline, sources, wait_seconds)
    finally:
        pipeline.close()
    code = max(r.exit_code for r in reports)
    if as_json:
        emit_json({"sources": [r.to_json() for r in reports]})
        return code
    for report in reports:
        _show(report)
    return code


def _show(r: ReconcileReport) -> None:
    click.echo(
        f"{r.source}: checked {r.checked}, present {r.present}, re-ingested "
        f"{len(r.reingested)} ({r.quarantined} quarantined), failed {r.failed}, "
        f"removed {r.removed}"
        + (
            f", copies of destroyed records removed {r.destroyed_removed}"
            if r.destroyed_removed
            else ""
        )
    )
    for record_id in r.reingested[:SHOWN]:
        click.echo(f"{r.source}: re-ingested {record_id}")
    if len(r.reingested) > SHOWN:
        click.echo(f"{r.source}: ... and {len(r.reingested) - SHOWN} more (--json lists them all)")
    for error in r.errors:
        click.echo(f"{r.source}: {error}", err=True)
    if r.error:
        click.echo(f"error: {r.error}", err=True)
