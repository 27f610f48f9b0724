"""`archiver audit verify`: check the hash chain of audit events."""

from __future__ import annotations

import click

from archiver.cli.context import app, emit_json
from archiver.records.audit import verify as verify_chain


@click.group()
def audit() -> None:
    """The audit log."""


@audit.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def verify(ctx: click.Context, as_json: bool) -> int:
    """Check every audit event's hash and link; exit code 3 naming the first broken one."""
    a = app(ctx)
    report = verify_chain(a.store, a.keyring)
    if as_json:
        emit_json(
            {
                "checked": report.checked,
                "ok": report.ok,
                "head_seq": report.head_seq,
                "head_hash": report.head_hash,
                "broken_seq": report.broken_seq,
                "problem": report.problem,
            }
        )
    elif report.ok:
        click.echo(f"audit chain intact: {report.checked} events, head {report.head_hash[:16]}")
    else:
        click.echo(f"audit chain BROKEN at event {report.broken_seq}: {report.problem}", err=True)
    return 0 if report.ok else 3
