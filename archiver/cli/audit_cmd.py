"""`archiver audit verify`: check the hash chain of audit events, the records it names, and a
head kept outside the database."""

from __future__ import annotations

import click

from archiver.cli.context import app, emit_json


@click.group()
def audit() -> None:
    """The audit log."""


def _head(ctx: click.Context, param: click.Parameter, value: str | None) -> object:
    if value is None:
        return None
    from archiver.archive.audit import parse_head

    try:
        return parse_head(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@audit.command()
@click.option(
    "--expect-head",
    metavar="SEQ:HASH",
    callback=_head,
    help="An audit head kept elsewhere (the daemon logs it after every cycle; `status` and "
    "`import --json` print it): the log must still hold that event with that hash.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def verify(ctx: click.Context, expect_head: tuple[int, bytes] | None, as_json: bool) -> int:
    """Check every audit event's hash and link, that every record ingest created still exists,
    and the head against copies kept outside the database (the anchor file, --expect-head);
    exit code 3 naming the first problem."""
    from archiver.archive.audit import format_head
    from archiver.archive.audit import verify as verify_chain

    a = app(ctx)
    anchor = a.settings.audit_anchor
    report = verify_chain(a.store, a.keyring, expect_head, anchor)
    if as_json:
        emit_json(
            {
                "checked": report.checked,
                "ok": report.ok,
                "head": format_head(report.head_seq, bytes.fromhex(report.head_hash)),
                "head_seq": report.head_seq,
                "head_hash": report.head_hash,
                "broken_seq": report.broken_seq,
                "problem": report.problem,
                "records_named": report.records_named,
                "missing_records": report.missing_count,
                "missing": report.missing,
                "anchor": str(anchor) if anchor else None,
            }
        )
    elif report.ok:
        click.echo(
            f"audit chain intact: {report.checked} events, head "
            f"{format_head(report.head_seq, bytes.fromhex(report.head_hash))}; all "
            f"{report.records_named} records created by ingest are present"
        )
    elif report.broken_seq is not None:
        click.echo(f"audit chain BROKEN at event {report.broken_seq}: {report.problem}", err=True)
    else:
        click.echo(f"records MISSING: {report.problem}", err=True)
        for rid in report.missing:
            click.echo(f"MISSING {rid}", err=True)
    return 0 if report.ok else 3
