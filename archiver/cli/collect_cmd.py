"""`archiver poll`, `archiver run` and `archiver status`: collecting from the sources."""

from __future__ import annotations

from typing import Any

import click

from archiver.cli.context import actor_option, app, context, emit_json
from archiver.errors import ArchiverError, UsageError


@click.command()
@click.option("--source", "source_name", metavar="NAME", help="Poll only this source.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@actor_option
@click.pass_context
def poll(ctx: click.Context, source_name: str | None, as_json: bool) -> int:
    """One poll cycle of every source (or one), then exit.

    After a source's good cycle, copies of destroyed records it may still hold (a disposition
    batch could not remove them then) are removed.

    Exit code 1 if a source failed, a message could not be archived (it stays in the
    mailbox) or such a copy is still there; 2 for a configuration problem.
    """
    from archiver.archive import audit
    from archiver.ingest.collect import Collector
    from archiver.ingest.copies import retry_pending

    a = app(ctx)
    settings = a.settings
    sources = [settings.source(source_name)] if source_name else settings.sources
    if not sources:
        raise UsageError(settings.no_sources)
    pipeline = a.pipeline()
    collector = Collector(settings, pipeline)
    pending = a.pending_copies()
    results = []
    code = 0
    try:
        for source in sources:
            try:
                doc = collector.poll(source).to_json()
                doc["error"] = None
                code = max(code, 1 if doc["failed"] else 0)
                copies = retry_pending(settings, collector, pending, source)
                doc["copies"] = copies.to_json() if copies else None
                code = max(code, 1 if copies and copies.pending else 0)
            except ArchiverError as exc:
                doc = {"source": source.name, "error": str(exc)}
                code = max(code, exc.exit_code)
            results.append(doc)
    finally:
        pipeline.close()
    if as_json:
        emit_json({"sources": results, "audit_head": audit.head(a.store)})
        return code
    for doc in results:
        if doc["error"]:
            click.echo(f"error: {doc['error']}", err=True)
            continue
        click.echo(
            f"{doc['source']}: fetched {doc['fetched']}, archived {doc['archived']}, "
            f"duplicates {doc['duplicates']}, quarantined {doc['quarantined']}, "
            f"moved {doc['moved']}, failed {doc['failed']}, waiting {doc['waiting']}"
        )
        for error in doc["errors"]:
            click.echo(f"{doc['source']}: {error}", err=True)
        _show_copies(doc["source"], doc["copies"])
    return code


def _show_copies(source: str, copies: dict[str, Any] | None) -> None:
    """What removing copies of destroyed records did, if anything was pending."""
    if copies is None:
        return
    removed = sum(copies["removed"].values())
    if removed:
        click.echo(f"{source}: removed {removed} copies of destroyed records")
    if copies["pending"]:
        click.echo(
            f"{source}: {len(copies['pending'])} copies of destroyed records still to remove: "
            f"{copies['errors'][0]}",
            err=True,
        )


@click.command()
@click.pass_context
def run(ctx: click.Context) -> int:
    """The collection daemon: poll every source on its interval until SIGTERM."""
    from archiver.daemon import Daemon

    return Daemon(context(ctx).config_path).run()


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def status_(ctx: click.Context, as_json: bool) -> int:
    """Per source: last successful cycle, last error, messages waiting, archived today.

    Exit code 1 if a source's latest cycle failed or left messages it could not archive, 2 if
    the daemon cannot run (a key file missing or too open), 3 for a wrong key file (for
    monitoring: each needs a person, and is said on stderr).
    """
    from archiver.records.status import gather

    a = app(ctx)
    today = a.district.today(a.clock)
    report = gather(
        a.settings,
        a.store,
        a.district,
        today,
        a.requests_since(today),
        lambda: a.keyring,
        lambda: a.requests().deadlines(),
    )
    rows, index, head = report.sources, report.search_index, report.audit_head
    kept, deadlines, problems, failing = (
        report.retention,
        report.requests,
        report.problems,
        report.failing,
    )
    batches = report.disposition
    executing, copies = batches["executing"], batches["copies_pending"]
    if as_json:
        emit_json(report.to_json())
        return failing
    if not rows:
        click.echo(a.settings.no_sources)
    for r in rows:
        failed = (r["last_cycle"] or {}).get("failed")
        state = (
            f"ERROR since {r['last_error_at']}: {r['last_error']}"
            if r["last_error"]
            else f"FAILING: {failed} messages not archived"
            if failed
            else "ok"
        )
        click.echo(f"{r['source']} ({r['kind']}): {state}")
        click.echo(
            f"  last success {r['last_success_at'] or 'never'}; waiting "
            f"{'?' if r['waiting'] is None else r['waiting']}; archived today "
            f"{r['archived_today']}, quarantined today {r['quarantined_today']}"
            + (f"; being polled by {r['polled_by']}" if r["polled_by"] else "")
        )
    click.echo(
        f"audit head: {head or 'none'} (keep a copy elsewhere: `audit verify --expect-head`)"
    )
    if kept["unclassified"]:
        click.echo(
            f"retention: {kept['unclassified']} records not classified: "
            "run `archiver retention apply`"
        )
    if kept["overdue_destruction"]:  # the law says "no later than": the officer must act
        click.echo(
            f"warning: {kept['overdue_destruction']} temporary student records are past the "
            "day they must be destroyed by (603 CMR 23.06): `archiver dispose plan`",
            err=True,
        )
    click.echo(f"legal holds: {kept['open_holds']} open (`archiver hold list`)")
    if batches.get("planned") or batches.get("approved") or executing:
        click.echo(
            f"disposition: {batches.get('planned', 0)} batches to approve, "
            f"{batches.get('approved', 0)} to execute (`archiver dispose list`)"
        )
    for number in executing:
        click.echo(
            f"warning: disposition batch {number} did not finish executing: run "
            f"`archiver dispose execute {number}` again",
            err=True,
        )
    for source, count in sorted(copies.items()):
        click.echo(
            f"warning: source {source} still holds {count} copies of destroyed records; each "
            f"of its poll cycles tries again to remove them (`archiver poll --source {source}`)",
            err=True,
        )
    click.echo(f"requests: {len(deadlines)} open (`archiver request list --open`)")
    for d in deadlines:
        if d.overdue:  # a warning: the Records Access Officer must act, not IT
            click.echo(f"warning: {d.describe()}", err=True)
        else:
            click.echo(f"  {d.describe()}")
    if not index["complete"]:
        click.echo(
            f"search index: {index['unindexed']} records not indexed: run `archiver reindex`"
        )
    if index["verified_at"] is None:
        click.echo("search index: never checked against the records (`archiver verify --index`)")
    else:
        found = index["verified_problems"]
        click.echo(
            f"search index: last checked {index['verified_at']} ({index['verified_scope']}): "
            + (f"{found} problems: run `archiver reindex --repair`" if found else "no problems")
        )
    if index["verify_unfinished"]:
        click.echo("search index: a check is unfinished: `archiver verify --index` resumes it")
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    return failing
