"""`archiver keys generate|list|rotate|cohorts`: key-encryption, index, signing and
disposal-cohort keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from archiver.app import App
    from archiver.archive.keys import KeyInfo
from archiver.cli.context import Progress, actor_option, app, emit_json


@click.group()
def keys() -> None:
    """Key files: generate, list, rotate, and the disposal-cohort keys."""


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
        emit_json({"keys": [_key_json(k) for k in infos]})
        return 2 if any(k.problem for k in infos) else 0
    cohort = [k for k in infos if k.kind == "cohort"]
    for k in infos:
        if k.kind != "cohort" or k.problem:  # cohort keys: a summary, and any with a problem
            used = f"{k.records} records" if k.kind in ("kek", "cohort") else ""
            click.echo(f"{k.id:<24} {k.kind:<6} {k.state:<8} {used:<16} {k.problem or k.file}")
    if cohort:
        states = ("current", "retired", "destroyed")
        n = {s: sum(k.state == s for k in cohort) for s in states}
        wrapped = sum(k.records for k in cohort)
        click.echo(
            f"cohort keys: {n['current']} current, {n['retired']} retired, {n['destroyed']} "
            f"destroyed, wrapping {wrapped} records (`archiver keys cohorts` lists them)"
        )
    return 2 if any(k.problem for k in infos) else 0


def _key_json(k: KeyInfo) -> dict[str, object]:
    doc: dict[str, object] = {
        "id": k.id,
        "kind": k.kind,
        "state": k.state,
        "created_at": k.created_at.isoformat(),
        "records": k.records,
        "file": k.file,
        "problem": k.problem,
    }
    if k.kind == "cohort":
        doc["series"], doc["month"] = k.series, k.month
        doc["destroyed_at"] = k.destroyed_at.isoformat() if k.destroyed_at else None
    return doc


@keys.command("cohorts")
@click.option(
    "--apply",
    "apply_",
    is_flag=True,
    help="Wrap every record not yet under its cohort's key (resumable), and finish removing "
    "the files of destroyed keys.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def cohorts_(ctx: click.Context, apply_: bool, as_json: bool) -> int:
    """Disposal-cohort keys: their series, month, state and how many records each wraps.

    With --apply, records written before cohort keys existed (or left by an interrupted run)
    are re-wrapped into their cohorts, a page per transaction: safe to interrupt and run
    again. Messages are not re-encrypted.
    """
    from archiver.archive import audit
    from archiver.archive.cohorts import report, wrap_all

    a = app(ctx)
    applied = None
    if apply_:
        with a.store.transaction() as tx:
            total = tx.retention.count_classified()
        progress = Progress("wrapping", total)
        applied = wrap_all(a.store, a.keyring, progress=progress)
        progress.finish()
        audit.record_event(
            a.store,
            a.keyring,
            "keys.cohorts",
            details={
                "checked": applied.checked,
                "rewrapped": applied.rewrapped,
                "files_removed": applied.files_removed,
            },
        )
    found = report(a.store, a.keyring)
    if as_json:
        doc = found.to_json()
        if applied is not None:
            doc["applied"] = {
                "checked": applied.checked,
                "rewrapped": applied.rewrapped,
                "files_removed": applied.files_removed,
            }
        emit_json(doc)
    else:
        if applied is not None:
            click.echo(
                f"checked {applied.checked} classified records; re-wrapped {applied.rewrapped} "
                "data keys"
            )
            for key_id in applied.files_removed:
                click.echo(f"removed the file of destroyed key {key_id}")
        for k in found.keys:
            click.echo(
                f"{k.id:<36} {k.series or '':<10} {k.month or '':<7} {k.state:<9} "
                f"{k.records:>7} records  {k.problem or k.file}"
            )
        if not found.keys:
            click.echo("no cohort keys yet")
        if found.unplaced:
            click.echo(
                f"{found.unplaced} records are not under their cohort's key yet: run "
                "`archiver keys cohorts --apply`"
            )
    return 2 if any(k.problem for k in found.keys) else 0


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
@click.option(
    "--cohorts",
    "cohorts",
    is_flag=True,
    help="Rotate the disposal-cohort keys instead: a new key per cohort, its records re-wrapped.",
)
@actor_option
@click.pass_context
def rotate_(ctx: click.Context, index: bool, signing: bool, cohorts: bool) -> int:
    """Make a new key-encryption key current and re-wrap under it every data key a KEK wraps
    (records in a disposal cohort stay with their cohort's key).

    Messages are not re-encrypted. Safe to interrupt: running it again finishes the job.
    """
    from archiver.archive import audit
    from archiver.archive.keys import load_keyring, rotate

    a = app(ctx)
    if index + signing + cohorts > 1:
        raise click.UsageError("give one of --index, --signing and --cohorts")
    if index:
        return _rotate_index(a)
    if signing:
        return _rotate_signing(a)
    if cohorts:
        return _rotate_cohorts(a)
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


def _rotate_cohorts(a: App) -> int:
    from archiver.archive import audit
    from archiver.archive.cohorts import rotate

    progress = Progress("re-wrapping", None, " records")
    result = rotate(a.store, a.keyring, progress=progress)
    progress.finish()
    audit.record_event(
        a.store,
        a.keyring,
        "keys.rotate",
        details={
            "cohorts": result.created,
            "rewrapped": result.rewrapped,
            "resumed": result.resumed,
        },
    )
    if result.resumed:
        click.echo(f"finished rotating the cohort keys; re-wrapped {result.rewrapped} data keys")
    elif not result.created:
        click.echo("no cohort keys yet: nothing to rotate")
        return 0
    else:
        click.echo(f"created {result.created} cohort keys; re-wrapped {result.rewrapped} data keys")
    click.echo(
        "The retired cohort keys still open backups made before; back up the cohorts "
        "directory now, and keep the retired files until those backups expire."
    )
    return 0
