"""`archiver audit verify`: check the hash chain of audit events, the records it names, and a
head kept outside the database; `archiver audit log`: read the events, filtered."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import click

from archiver.cli.context import app, emit_json

if TYPE_CHECKING:
    from archiver.archive.audit_log import LoggedEvent
    from archiver.clock import District

BROKEN_LISTED = 20  # events that do not verify, named one by one; the count covers them all


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
        problem = _plain(report.problem or "")
        click.echo(f"audit chain BROKEN at event {report.broken_seq}: {problem}", err=True)
    else:
        click.echo(f"records MISSING: {report.problem}", err=True)
        for rid in report.missing:
            click.echo(f"MISSING {rid}", err=True)
    return 0 if report.ok else 3


def _day_or_time(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> date | datetime | None:
    """A day (YYYY-MM-DD) or an ISO 8601 time; BadParameter (exit 2) for anything else."""
    if value is None:
        return None
    from archiver.archive.audit_log import day_or_time
    from archiver.errors import UsageError

    try:
        return day_or_time(value)
    except UsageError as exc:
        raise click.BadParameter(str(exc)) from None


@audit.command("log")
@click.option(
    "--since",
    callback=_day_or_time,
    metavar="DAY|TIME",
    help="Events at or after this time, or from the start of this day (the district's).",
)
@click.option(
    "--until",
    callback=_day_or_time,
    metavar="DAY|TIME",
    help="Events at or before this time, or to the end of this day (the district's).",
)
@click.option("--actor", metavar="NAME", help="Only events of this actor (the exact name).")
@click.option(
    "--action",
    metavar="ACTION",
    help="Only this action, or its family: `hold` is hold.create, hold.add and the others.",
)
@click.option(
    "--record",
    "record",
    metavar="ID",
    help="Only events about this record (an id or a unique prefix): its target, or named in "
    "its details (the ingest that made it, searches that listed it, holds).",
)
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="At most N events.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def log(
    ctx: click.Context,
    since: date | datetime | None,
    until: date | datetime | None,
    actor: str | None,
    action: str | None,
    record: str | None,
    limit: int | None,
    as_json: bool,
) -> int:
    """The audit log in order, oldest first, filtered; every event read is checked against its
    hash and its link to the event before it (exit 3 after printing, naming any that fail).
    Reading the log is not audited."""
    from archiver.archive.audit_log import period, read_log, record_id
    from archiver.domain import AuditQuery

    a = app(ctx)
    start, before = period(a.district, since, until)
    query = AuditQuery(
        since=start,
        before=before,
        actor=actor.strip() if actor is not None else None,
        action=action.strip() if action is not None else None,
        record=record_id(a.store, record) if record is not None else None,
    )
    broken: list[LoggedEvent] = []  # the first BROKEN_LISTED
    count = failed = 0
    if as_json:
        sys.stdout.write('{"events": [')
    for item in read_log(a.store, a.keyring, query, limit):
        if item.problem is not None:
            failed += 1
            if len(broken) < BROKEN_LISTED:
                broken.append(item)
                problem = _plain(item.problem)
                click.echo(f"audit chain BROKEN at event {item.event.seq}: {problem}", err=True)
        if as_json:
            sys.stdout.write(
                ("," if count else "") + "\n  " + json.dumps(_event_doc(item), ensure_ascii=False)
            )
        else:
            click.echo(_line(item, a.district))
        count += 1
    if as_json:
        listed = [{"seq": b.event.seq, "problem": b.problem} for b in broken]
        tail = json.dumps({"broken": listed, "broken_count": failed}, ensure_ascii=False)
        sys.stdout.write(("\n" if count else "") + "], " + tail[1:] + "\n")
    if failed:
        more = f" ({failed - BROKEN_LISTED} more not named)" if failed > BROKEN_LISTED else ""
        click.echo(
            f"{failed} of the {count} events read do not verify{more}: the audit log was "
            "altered; run `archiver audit verify`",
            err=True,
        )
        return 3
    return 0


def _event_doc(item: LoggedEvent) -> dict[str, Any]:
    ev = item.event
    return {
        "seq": ev.seq,
        "at": ev.at.astimezone(UTC).isoformat(),
        "actor": ev.actor,
        "action": ev.action,
        "target": ev.target,
        "details": item.details,
    }


def _line(item: LoggedEvent, district: District) -> str:
    ev = item.event
    when = ev.at.astimezone(district.zone)
    return "  ".join(
        [
            f"{ev.seq:>6}",
            f"{when:%Y-%m-%d %H:%M:%S %Z}",
            _plain(ev.actor),
            _plain(ev.action),
            _plain(ev.target or "-"),
            _plain(_summary(item.details)),
        ]
    ).rstrip()


def _plain(text: str) -> str:
    """`text` safe for a terminal: an event altered in the database could carry escape
    sequences; each unprintable character is shown escaped instead."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def _summary(details: Any) -> str:
    """Details in a few words: `key=value` each, lists by their length, long text cut."""
    if not isinstance(details, dict):
        return _short(details)
    parts = []
    for key in sorted(details):
        value = details[key]
        if isinstance(value, list):
            shown = f"[{len(value)}]"
            if (
                value
                and len(value) <= 3
                and all(isinstance(v, str) and len(v) <= 16 for v in value)
            ):
                shown = ",".join(value)
        elif isinstance(value, dict):
            shown = f"{{{len(value)}}}"
        else:
            shown = _short(value)
        parts.append(f"{key}={shown}")
    return " ".join(parts)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    text = " ".join(text.split())  # no line breaks in a line
    return text if len(text) <= 24 else text[:12] + "…"
