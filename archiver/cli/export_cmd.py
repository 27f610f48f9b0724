"""`archiver export (--request N | --search QUERY | ID...) OUT` and `archiver export verify
BUNDLE` (DESIGN.md section 9.4): signed export bundles, and checking one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archiver.cli.context import actor_option, app, emit_json

if TYPE_CHECKING:
    from archiver.app import App
    from archiver.records.bundle import Checked

_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.command("export")
@click.argument("args", nargs=-1, metavar="[ID...] OUT | verify BUNDLE")
@click.option("--request", "number", metavar="N", help="Export what request N releases.")
@click.option("--search", "words", metavar="QUERY", help="Export every record this query finds.")
@click.option("--student", metavar="ID|NAME", help="With --search: tagged with this student.")
@click.option("--participant", metavar="WHO", help="With --search: anyone in the message.")
@click.option("--since", type=_DAY, metavar="YYYY-MM-DD", help="With --search: sent from.")
@click.option("--until", type=_DAY, metavar="YYYY-MM-DD", help="With --search: sent until.")
@click.option(
    "--purpose",
    metavar="TEXT",
    help="Why the records are disclosed (the students' access logs); needed without --request.",
)
@click.option("--not-held", metavar="TEXT", help="With --request: for the letter (see request).")
@click.option("--agency", metavar="NAME", help="With --request: for the letter (see request).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@actor_option
@click.pass_context
def export(
    ctx: click.Context,
    args: tuple[str, ...],
    number: str | None,
    words: str | None,
    student: str | None,
    participant: str | None,
    since: datetime | None,
    until: datetime | None,
    purpose: str | None,
    not_held: str | None,
    agency: str | None,
    as_json: bool,
) -> int:
    """Write a signed export bundle at OUT (a directory; a zip if OUT ends in .zip), or check
    one.

    \b
    archiver export --request PRR-2026-0001 OUT    what the request releases, and its letter
    archiver export --purpose TEXT ID... OUT       records by id, released in full
    archiver export --purpose TEXT --search QUERY [filters] OUT
    archiver export verify BUNDLE                  exit 3 naming each file that fails

    Every record produced is an audited access (with the request number, or --purpose, in its
    students' access logs). OUT must not exist (or be an empty directory).
    """
    if args[:1] == ("verify",):
        given = [number, words, student, participant, since, until, purpose, not_held, agency]
        if len(args) != 2 or any(x is not None for x in given):
            raise click.UsageError("usage: archiver export verify BUNDLE [--json]")
        return _verify(ctx, Path(args[1]), as_json)
    if not args:
        raise click.UsageError("give OUT, where the bundle is written")
    a = app(ctx)
    out, ids = Path(args[-1]), list(args[:-1])
    exporter = a.exporter()
    search = any(x is not None for x in (words, student, participant, since, until))
    if number is not None:
        if ids or search or purpose is not None:
            raise click.UsageError("--request N exports that request (its number is the purpose)")
        written = exporter.request(a.requests(), number, out, not_held, agency)
    else:
        if not_held is not None or agency is not None:
            raise click.UsageError("--not-held and --agency go with --request")
        if ids and search:
            raise click.UsageError("give record ids or --search, not both")
        if not ids and not search:
            raise click.UsageError("give record ids, --search QUERY or --request N, then OUT")
        if purpose is None:
            raise click.UsageError("give --purpose: why these records are disclosed")
        if search:
            ids = _found(a, words, student, participant, since, until)
        written = exporter.records(ids, out, purpose)
    if as_json:
        emit_json({"path": str(written.path), "records": written.records, "files": written.files})
    else:
        click.echo(
            f"{written.path}: {written.records} records, {written.files} files, signed by key "
            f"{written.key_id}"
        )
    return 0


def _found(
    a: App,
    words: str | None,
    student: str | None,
    participant: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[str]:
    """The records a search finds (`request add --search`'s filters)."""
    from archiver.archive.roster import resolve_student
    from archiver.archive.search import matching_ids
    from archiver.domain import SearchRequest

    criteria = SearchRequest(
        query=words or "",
        student=resolve_student(a.store, a.keyring, student, "--student"),
        participant=participant,
        since=since.date() if since else None,
        until=until.date() if until else None,
    )
    with a.store.transaction() as tx:
        ids = matching_ids(tx, a.keyring, criteria, a.district)
    if not ids:
        raise click.UsageError("the search finds no records: nothing to export")
    return ids


def _verify(ctx: click.Context, path: Path, as_json: bool) -> int:
    """Check a bundle; against this archive's signing keys when there is an archive."""
    from archiver.records.bundle import check

    checked = check(path)
    known = _known_key(ctx, checked)
    ok = not checked.problems and known.problem is None
    if as_json:
        emit_json(
            {
                "path": str(path),
                "ok": ok,
                "problems": checked.problems + ([known.problem] if known.problem else []),
                "records": checked.records,
                "files": checked.files,
                "signing_key": checked.key_id,
                "known_key": known.known,
                "key": known.says,
            }
        )
    else:
        for problem in checked.problems:
            click.echo(f"error: {problem}", err=True)
        if known.problem:
            click.echo(f"error: {known.problem}", err=True)
        if ok:
            click.echo(
                f"{path}: intact: {checked.records} records, {checked.files} files; {known.says}"
            )
        else:
            click.echo(f"{path}: NOT intact; {known.says}")
    return 0 if ok else 3


@dataclass(frozen=True)
class _Known:
    """Whether this archive knows the key a bundle is signed with: `known` None when not
    checked (no archive, no good signature); `problem` when the bundle names one of this
    archive's keys and is signed by another."""

    known: bool | None
    says: str
    problem: str | None = None


def _known_key(ctx: click.Context, checked: Checked) -> _Known:
    from archiver.archive.keys import signing_keys
    from archiver.errors import ArchiverError

    key_id, public = checked.key_id, checked.public_key
    if key_id is None or public is None:
        return _Known(None, "its signing key could not be read")
    if not checked.signed:
        return _Known(None, f"its signature does not hold (it names key {key_id})")
    try:
        a = app(ctx)
        known, unreadable = signing_keys(a.store, a.settings.keys_dir)
    except ArchiverError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return _Known(None, f"signed by key {key_id}; not checked against an archive ({first})")
    if known.get(key_id) == public:
        return _Known(True, f"signed by this archive's key {key_id}")
    owner = next((k for k, v in known.items() if v == public), None)
    if owner is not None:
        return _Known(True, f"signed by this archive's key {owner}")
    if key_id in unreadable:
        return _Known(
            None, f"signed by key {key_id}, whose file here cannot be read: {unreadable[key_id]}"
        )
    if key_id in known:
        return _Known(
            False,
            f"claims this archive's key {key_id} but is signed by another key",
            f"signing-key.pub: not this archive's key {key_id}, which the bundle names",
        )
    return _Known(False, f"signed by a key this archive does not know ({key_id})")
