"""`archiver keys generate|list|rotate`: key-encryption, index and signing keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from archiver.app import App
from archiver.cli.context import Progress, actor_option, app, emit_json


@click.group()
def keys() -> None:
    """Key files: generate, list, rotate."""


@keys.command()
@actor_option
@click.pass_context
def generate(ctx: click.Context) -> None:
    """Create a key-encryption key, an index key and a signing key where none is current."""
    from archiver.archive import audit
    from archiver.archive.keys import generate_missing

    a = app(ctx)
    made = generate_missing(a.store, a.settings.keys_dir)
    if not made:
        click.echo("keys already present; nothing to do (use `keys rotate` for a new KEK)")
        return
    audit.record_event(a.store, a.keyring, "keys.generate", details={"keys": made})
    for key_id in made:
        click.echo(f"created {a.settings.keys_dir / (key_id + '.key')}")


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> int:
    """Registered keys, what they protect, and whether their files are usable."""
    from archiver.archive.keys import list_keys

    a = app(ctx)
    infos = list_keys(a.store, a.settings.keys_dir)
    if as_json:
        emit_json(
            {
                "keys": [
                    {
                        "id": k.id,
                        "kind": k.kind,
                        "state": k.state,
                        "created_at": k.created_at.isoformat(),
                        "records": k.records,
                        "file": k.file,
                        "problem": k.problem,
                    }
                    for k in infos
                ]
            }
        )
    else:
        for k in infos:
            used = f"{k.records} records" if k.kind == "kek" else ""
            click.echo(f"{k.id:<24} {k.kind:<6} {k.state:<8} {used:<16} {k.problem or k.file}")
    return 2 if any(k.problem for k in infos) else 0


@keys.command("rotate")
@click.option(
    "--index",
    "index",
    is_flag=True,
    help="Rotate the index key instead: students are sealed again and the search index rebuilt.",
)
@click.option(
    "--signing",
    "signing",
    is_flag=True,
    help="Rotate the signing key instead: export bundles are signed with the new one.",
)
@actor_option
@click.pass_context
def rotate_(ctx: click.Context, index: bool, signing: bool) -> int:
    """Make a new key-encryption key current and re-wrap every data key under it.

    Messages are not re-encrypted. Safe to interrupt: running it again finishes the job.
    """
    from archiver.archive import audit
    from archiver.archive.keys import load_keyring, rotate

    a = app(ctx)
    if index and signing:
        raise click.UsageError("give --index or --signing, not both")
    if index:
        return _rotate_index(a)
    if signing:
        return _rotate_signing(a)
    with a.store.transaction() as tx:
        total = tx.records.count()
    progress = Progress("re-wrapping", total)
    result = rotate(a.store, a.settings.keys_dir, progress=progress)
    progress.finish()
    ring = load_keyring(a.store, a.settings.keys_dir)
    audit.record_event(
        a.store,
        ring,
        "keys.rotate",
        details={
            "kek": result.kek_id,
            "rewrapped": result.rewrapped,
            "resumed": not result.created,
        },
    )
    verb = "created" if result.created else "finished rotating to"
    click.echo(f"{verb} {result.kek_id}; re-wrapped {result.rewrapped} data keys")
    click.echo("Old key files are still needed to read old backups; keep them until those expire.")
    return 0


def _rotate_index(a: App) -> int:
    from archiver.archive import audit
    from archiver.archive.keys import load_keyring, rotate_index_key
    from archiver.archive.reindex import reindex_all

    key_id = rotate_index_key(a.store, a.settings.keys_dir)
    ring = load_keyring(a.store, a.settings.keys_dir)
    audit.record_event(a.store, ring, "keys.rotate", details={"index": key_id})
    click.echo(f"created index key {key_id}; rebuilding the search index")
    progress = Progress("indexing", None, " records")
    result = reindex_all(a.store, ring, progress=progress, text=a.text_limits())
    progress.finish()
    click.echo(
        f"sealed {result.students_resealed} students and indexed {result.indexed} records "
        "under the new key"
    )
    if result.failed or result.remaining:
        click.echo(
            f"{len(result.failed)} records could not be opened and {result.remaining} are not "
            "indexed: see `archiver verify`, then run `archiver reindex`",
            err=True,
        )
        return 1
    click.echo("Restart running daemons so they index new records under the new key.")
    return 0


def _rotate_signing(a: App) -> int:
    from archiver.archive import audit
    from archiver.archive.keys import load_keyring, rotate_signing_key

    key_id = rotate_signing_key(a.store, a.settings.keys_dir)
    ring = load_keyring(a.store, a.settings.keys_dir)
    audit.record_event(a.store, ring, "keys.rotate", details={"signing": key_id})
    click.echo(f"created signing key {key_id}; export bundles are signed with it from now on")
    click.echo("Keep the old key file: `export verify` reads it to recognise older bundles.")
    return 0
