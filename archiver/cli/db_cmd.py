"""`archiver db upgrade`: create or migrate the schema, then authenticate what older versions
wrote (a migration has no keys)."""

from __future__ import annotations

import click

from archiver.cli.context import actor_option, app

COHORTS_REVISION = "0014"  # the schema that brought disposal-cohort keys


@click.group()
def db() -> None:
    """Database schema."""


@db.command()
@actor_option
@click.pass_context
def upgrade(ctx: click.Context) -> None:
    """Create the schema, or migrate it to this version's; then authenticate the facts of
    records, arrivals, tags, students and index entries written by older versions."""
    from archiver.archive.keys import load_keyring
    from archiver.archive.upgrade import authenticate_existing
    from archiver.store import schema

    a = app(ctx)
    settings = a.settings
    store = a.open_store(check_schema=False, create=True)
    try:
        before = schema.current_revision(store.engine)
        schema.upgrade(store.engine)
        after = schema.current_revision(store.engine)
        with store.transaction() as tx:
            has_keys = bool(tx.keys.registered())
            unclassified = tx.retention.count_unclassified()
            # Records archived before disposal-cohort keys existed are all under the KEK.
            before_cohorts = before is not None and before < COHORTS_REVISION <= (after or "")
            to_wrap = tx.retention.count_classified() if before_cohorts else 0
        if not has_keys:  # a new archive: nothing was written before this version
            report = None
        else:
            report = authenticate_existing(store, load_keyring(store, settings.keys_dir))
    finally:
        store.close()
    if before == after:
        click.echo(f"database is current (revision {after})")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to revision {after}")
    if report is not None and report.changed:
        click.echo(
            f"authenticated what older versions wrote: {report.records} records, "
            f"{report.arrivals} arrivals ({report.duplicate_arrivals} repeated arrivals "
            f"removed), {report.tags} tags, {report.students} students, "
            f"{report.index_entries} index entries"
        )
    for rid in (report.failed or []) if report else []:
        click.echo(f"FAILED {rid}: its arrivals cannot be opened (see `archiver verify`)", err=True)
    if unclassified:
        click.echo(
            f"{unclassified} records have no retention yet: run `archiver retention apply` "
            "to classify them by the schedule (it can be interrupted and run again)"
        )
    if to_wrap:
        click.echo(
            f"{to_wrap} classified records are wrapped by the KEK, not yet by their disposal "
            "cohort's key: run `archiver keys cohorts --apply` (it can be interrupted and run "
            "again)"
        )
