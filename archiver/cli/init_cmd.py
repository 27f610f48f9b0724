"""`archiver init DIR`: a working config, keys and an embedded SQLite archive."""

from __future__ import annotations

from pathlib import Path

import click

from archiver.cli.context import actor_option
from archiver.errors import UsageError
from archiver.settings import MAILDIR, ArchiveSettings, load_settings, render_example


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@actor_option
def init(directory: Path) -> None:
    """Create DIR/archiver.toml, DIR/archive/archive.db, DIR/keys/ and the maildir DIR/inbox/.

    The sealed archive has a directory of its own, apart from the maildir's plaintext mail.
    """
    from archiver.app import App
    from archiver.archive import audit
    from archiver.archive.keys import generate_missing, load_keyring
    from archiver.platform.timezone import district_zone
    from archiver.sources import maildir
    from archiver.store import schema

    config_path = directory / "archiver.toml"
    if config_path.exists():
        raise UsageError(f"{config_path} already exists: {directory} is already set up")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    default_zone = ArchiveSettings().timezone
    config_path.write_text(render_example(district_zone(default_zone)), encoding="utf-8")
    settings = load_settings(config_path)
    database = settings.path(settings.archive.database)
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for source in settings.sources:
        if source.kind == MAILDIR:
            maildir.create(settings.path(source.path))
    db = App(settings).open_store(check_schema=False, create=True)
    try:
        schema.upgrade(db.engine)
        made = generate_missing(db, settings.keys_dir)
        ring = load_keyring(db, settings.keys_dir)
        audit.record_event(db, ring, "init", details={"keys": made})
    finally:
        db.close()
    click.echo(f"Wrote {config_path}")
    click.echo(f"Created {database} (the sealed archive: back it up)")
    for key_id in made:
        click.echo(f"Wrote {settings.keys_dir / (key_id + '.key')} (mode 0600)")
    for source in settings.sources:
        click.echo(
            f"Created maildir {settings.path(source.path)} (source {source.name}: plaintext "
            "mail waiting or filed, not part of the archive)"
        )
    click.echo(f"Back up {settings.keys_dir} separately from the archive: without the keys,")
    click.echo("the archive cannot be read; with them, anyone holding both can read it. Next:")
    click.echo(f"  archiver --config {config_path} import PATH...   # files, mbox, maildirs")
    click.echo(f"  archiver --config {config_path} poll             # collect from the sources")
