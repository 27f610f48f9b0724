"""`archiver db upgrade`: create or migrate the schema."""

from __future__ import annotations

import click

from archiver.cli.context import app
from archiver.store import schema
from archiver.store.repository import Store


@click.group()
def db() -> None:
    """Database schema."""


@db.command()
@click.pass_context
def upgrade(ctx: click.Context) -> None:
    """Create the schema, or migrate it to this version's."""
    settings = app(ctx).settings
    store = Store.open(settings.database_url, check_schema=False)
    try:
        before = schema.current_revision(store.engine)
        schema.upgrade(store.engine)
        after = schema.current_revision(store.engine)
    finally:
        store.close()
    if before == after:
        click.echo(f"database is current (revision {after})")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to revision {after}")
