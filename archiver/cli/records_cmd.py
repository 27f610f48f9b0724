"""`archiver show ID` and `archiver verify`."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archiver.cli.context import Progress, actor_option, app, emit_json
from archiver.cli.retention_cmd import print_retention
from archiver.domain import size_text
from archiver.errors import UsageError

if TYPE_CHECKING:
    from archiver.app import App
    from archiver.archive.index_check import IndexReport
    from archiver.archive.reading import Listed, OpenedRecord


_TEXT_NOTES = {
    "truncated": "only part of its text can be searched",
    "timeout": "its text cannot be searched: reading it took too long",
    "failed": "its text cannot be searched: it could not be read",
    "too_large": "its text cannot be searched: too large to read",
    "skipped": "its text cannot be searched: not read",
}


def _text_notes(view: dict[str, Any]) -> list[str]:
    """What to say of PDF and DOCX attachments (at any depth) whose text the index lacks."""
    every = [*view["attachments"], *(a for o in view["chain"] for a in o.get("attachments", []))]
    notes = []
    for att in every:
        note = _TEXT_NOTES.get(att.get("text") or "")
        if note:
            why = att.get("text_problem")
            notes.append(f"{att['filename']}: {note}" + (f" ({why})" if why else ""))
    return notes


def _who(entries: list[dict[str, str] | None]) -> str:
    out = []
    for e in entries:
        if e:
            out.append(f"{e['name']} <{e['address']}>" if e["name"] else e["address"])
    return ", ".join(out)


@click.command()
@click.argument("record_id")
@click.option("--raw", is_flag=True, help="Write the original message bytes exactly.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--attachment",
    type=click.IntRange(min=1),
    metavar="K",
    help="Write attachment K's decoded bytes exactly (K as the text view numbers them).",
)
@click.option(
    "--save-attachments",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Write every attachment into DIR (made if missing); never overwrites a file.",
)
@click.option(
    "--pdf",
    "pdf_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the record as a PDF a person reads (headers, note, body, attachments listed, "
    "their text) with the original message embedded (PDF/A-3); never overwrites FILE.",
)
@click.option(
    "--purpose",
    metavar="TEXT",
    help="Why you are looking (a request number, 'IEP meeting'): kept in the access log of "
    "each student the record concerns.",
)
@actor_option
@click.pass_context
def show(
    ctx: click.Context,
    record_id: str,
    raw: bool,
    as_json: bool,
    attachment: int | None,
    save_attachments: Path | None,
    pdf_path: Path | None,
    purpose: str | None,
) -> None:
    """Show a record (its hash is checked; the access is audited)."""
    given = [raw, as_json, attachment is not None, save_attachments is not None, pdf_path]
    if sum(map(bool, given)) > 1:
        raise click.UsageError(
            "--raw, --json, --attachment, --save-attachments and --pdf cannot be combined"
        )
    from archiver.errors import DestroyedError

    a = app(ctx)
    try:
        _show(a, record_id, raw, as_json, attachment, save_attachments, pdf_path, purpose)
    except DestroyedError as exc:
        if raw or attachment is not None or save_attachments is not None or pdf_path:
            raise UsageError(
                f"record {exc.record_id} was destroyed by a disposition batch: nothing of it "
                f"can be read (`archiver show {exc.record_id}` prints its tombstone)"
            ) from None
        _show_tombstone(a, exc.record_id, as_json)


def _show_tombstone(a: App, record_id: str, as_json: bool) -> None:
    """What `show` says of a destroyed record: its tombstone (audited)."""
    from archiver.cli.context import who

    stone = a.disposal().tombstone(record_id, who())
    doc = {**stone.to_json(), "status": "destroyed"}
    if as_json:
        emit_json(doc)
        return
    lines = [
        ("Record", stone.record_id),
        (
            "Status",
            f"destroyed {stone.destroyed_at:%Y-%m-%d %H:%M} UTC by disposition batch "
            f"{stone.batch} (`archiver dispose show {stone.batch}`)",
        ),
        ("Archived", doc["archived_at"]),
        ("Sent", doc["sent_at"] or "-"),
        ("Size", f"{size_text(stone.size)}   SHA-256 {doc['sha256']}"),
        ("Series", stone.series),
    ]
    for label, value in lines:
        click.echo(f"{label + ':':<10}{value}")
    click.echo("")
    click.echo(
        "Only this tombstone is left: the message, its attachments and its metadata are gone."
    )


def _show(
    a: App,
    record_id: str,
    raw: bool,
    as_json: bool,
    attachment: int | None,
    save_attachments: Path | None,
    pdf_path: Path | None,
    purpose: str | None,
) -> None:
    """`show` of a record that is not destroyed (DestroyedError if it is)."""
    from archiver.archive.reading import attachment_bytes, open_record, record_view

    if pdf_path is not None:
        _write_pdf(a, record_id, pdf_path, purpose)
        return
    if attachment is not None or save_attachments is not None:
        rec = open_record(
            a.store,
            a.keyring,
            record_id,
            "attachments",
            [attachment] if attachment is not None else "all",
            purpose,
        )
        items = attachment_bytes(
            rec, [attachment] if attachment is not None else list(range(1, _count(rec) + 1))
        )
        if not items:
            click.echo(f"record {rec.row.id} has no attachments", err=True)
            return
        if save_attachments is None:
            sys.stdout.buffer.write(items[0][1])
            sys.stdout.buffer.flush()
            return
        for path, size in _save(save_attachments, items):
            click.echo(f"{path} ({size_text(size)})")
        return
    view_kind = "raw" if raw else "json" if as_json else "text"
    rec = open_record(a.store, a.keyring, record_id, view_kind, purpose=purpose)
    if raw:
        sys.stdout.buffer.write(rec.raw)
        sys.stdout.buffer.flush()
        return
    view = record_view(rec)
    view["retention"] = _retention(a, rec.row.id)
    if as_json:
        emit_json(view)
        return
    lines = [
        ("Record", view["id"]),
        (
            "Status",
            view["status"]
            + (
                f" ({view['quarantine']['code']}: {view['quarantine']['reason']})"
                if view["quarantine"]
                else ""
            ),
        ),
        ("Archived", view["archived_at"]),
        ("Size", f"{size_text(view['size'])}   SHA-256 {view['sha256']}"),
        ("From", _who(view["from"])),
        ("To", _who(view["to"])),
        ("Cc", _who(view["cc"])),
        ("Date", view["date"] or ""),
        ("Subject", view["subject"] or ""),
    ]
    for label, value in lines:
        if value:
            click.echo(f"{label + ':':<10}{value}")
    for att in view["all_attachments"]:
        where = f"original {att['original']}" if att["original"] else "the message"
        click.echo(
            f"{'Attached:':<10}{att['index']}. {att['filename']} ({att['content_type']}, "
            f"{size_text(att['size'])}, in {where}) SHA-256 {att['sha256'] or '?'}"
        )
    for note in _text_notes(view):
        click.echo(f"{'Unread:':<10}{note}")
    original = view["original"]
    if original.get("provenance") in ("headers", "reconstructed"):
        who = _who([original["from"]]) if original.get("from") else "?"
        click.echo(
            f"{'Original:':<10}from {who}, {original.get('date_text') or '?'}: "
            f"{original.get('subject') or ''} ({original['provenance']})"
        )
    for s in view["students"]:
        click.echo(f"{'Student:':<10}{s['name']} ({s['id']}, {s['source']})")
    for arr in view["arrivals"]:
        click.echo(
            f"{'Arrived:':<10}{arr['arrived_at']} via {arr['source_name']} "
            f"({arr['source_kind']}) {arr['locator']}"
        )
    if view["retention"] is not None:
        print_retention(view["retention"])
    else:
        click.echo(f"{'Series:':<10}not classified yet (`archiver retention apply`)")
    click.echo("")
    click.echo(view["body"])
    for original in _attached_originals(view):
        click.echo("")
        click.echo("---------- Attached message ----------")
        for label, value in (
            ("From", _who([original["from"]])),
            ("Date", original["date_text"] or ""),
            ("Subject", original["subject"] or ""),
            ("To", _who(original["to"])),
            ("Cc", _who(original["cc"])),
        ):
            if value:
                click.echo(f"{label}: {value}")
        click.echo("")
        click.echo(original["body"] or "")


def _write_pdf(a: App, record_id: str, path: Path, purpose: str | None) -> None:
    """`show --pdf`: the rendering (audited as a copy of the record and its attachments)."""
    from archiver.archive.reading import open_record
    from archiver.records.rendering import record_pdf, record_text

    if os.path.lexists(path):
        raise UsageError(f"{path} exists: a rendering is never written over it")
    rec = open_record(a.store, a.keyring, record_id, "pdf", "all", purpose)
    pdf = record_pdf(record_text(rec, a.text_limits()), rec.row.id, a.clock.now(), rec.raw)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pdf)
    click.echo(f"{path} ({size_text(len(pdf))})")


def _count(rec: OpenedRecord) -> int:
    from archiver.archive.reading import listed

    return len(listed(rec.meta))


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:]+")
_MAX_NAME = 200  # bytes of a saved file's name


def _safe_name(name: str, index: int) -> str:
    """A file name for attachment `index` that stays in its directory: no separators,
    control characters or leading dots; at most `_MAX_NAME` bytes."""
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    while len(name.encode("utf-8", "surrogateescape")) > _MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[:-1]}{dot}{ext}" if dot and len(ext) < 16 and stem else name[:-1]
    return name or f"attachment-{index}"


def _save(folder: Path, items: list[tuple[Listed, bytes]]) -> list[tuple[Path, int]]:
    """Write each attachment into `folder` under a safe name (two of the same name are told
    apart by their number); refuses, before writing any, if a file of one of the names is
    there already."""
    names: list[str] = []
    for item, _data in items:
        name = _safe_name(item.info.filename, item.index)
        if name in names:
            stem, dot, ext = name.rpartition(".")
            name = f"{stem}-{item.index}{dot}{ext}" if dot and stem else f"{name}-{item.index}"
        names.append(name)
    folder.mkdir(parents=True, exist_ok=True)
    there = [n for n in names if os.path.lexists(folder / n)]
    if there:
        raise UsageError(f"{folder / there[0]} exists: attachments are never written over it")
    out = []
    for name, (_item, data) in zip(names, items, strict=True):
        path = folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        out.append((path, len(data)))
    return out


def _attached_originals(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The originals the body does not already show, outermost first: each attached message
    (its own body holds any inline forward inside it)."""
    return [o for o in view["chain"] if o.get("provenance") == "headers"]


def _retention(a: App, record_id: str) -> dict[str, object] | None:
    """A record's retention and holds for `show` (None if it is not classified yet)."""
    from archiver.records.retention import of_record

    with a.store.transaction() as tx:
        kept = of_record(tx, a.keyring, a.schedule, record_id)
    return kept.to_json() if kept else None


def print_index_report(report: IndexReport, as_json: bool, repairing: bool) -> int:
    """Print a check of the search index; its exit code."""
    if as_json:
        emit_json(report.to_json())
    else:
        if report.resumed_at_block is not None:
            click.echo(
                f"resumed an unfinished check at block {report.resumed_at_block} "
                f"({report.earlier_problems} problems found before it stopped)"
            )
        click.echo(
            f"checked {report.checked} index entries ({report.scope}): "
            f"{len(report.problems)} problems"
            + (f", {report.repaired} repaired" if repairing else "")
        )
        for rid, problem in report.problems:
            click.echo(f"{'REPAIRED' if repairing else 'FAILED'} {rid}: {problem}", err=True)
        if report.problems and not repairing:
            click.echo("run `archiver reindex --repair` to rebuild what is wrong", err=True)
    return 3 if report.problems and not repairing else 0


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report.")
@click.option(
    "--index",
    "check_index",
    is_flag=True,
    help="Check the search index against the records instead (resumes an unfinished check).",
)
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --index: check N random index entries, not all.",
)
@actor_option
@click.pass_context
def verify(ctx: click.Context, as_json: bool, check_index: bool, sample: int | None) -> int:
    """Open every record, check every hash and every authenticated fact (status, dates,
    arrivals, tags, retention, holds, students, requests' decisions and redactions); exit
    code 3 naming any that fail. With --index, check that the
    search index holds exactly what was written for each record."""
    from archiver.archive.index_check import verify_index
    from archiver.archive.integrity import verify_all

    a = app(ctx)
    if sample is not None and not check_index:
        raise click.UsageError("--sample goes with --index")
    if check_index:
        checking = Progress("checking the index", None, " blocks")
        index_report = verify_index(a.store, a.keyring, sample, progress=checking)
        checking.finish()
        return print_index_report(index_report, as_json, repairing=False)
    with a.store.transaction() as tx:
        total = tx.records.count()
    progress = Progress("verifying", total)
    report = verify_all(a.store, a.keyring, progress)
    progress.finish()
    if as_json:
        emit_json(report.to_json())
    else:
        live_failed = len(report.failed) - report.destroyed_failed
        click.echo(f"checked {report.checked} records: {report.ok} ok, {live_failed} failed")
        if report.destroyed:
            click.echo(
                f"checked {report.destroyed} destroyed records: "
                + (
                    f"{report.destroyed_failed} not as a destruction leaves them"
                    if report.destroyed_failed
                    else "each has its tombstone and nothing readable remains"
                )
            )
        for rid, err in report.problems():
            click.echo(f"FAILED {rid}: {err}", err=True)
    return 3 if report.problems() else 0


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@actor_option
@click.pass_context
def rederive(ctx: click.Context, as_json: bool) -> int:
    """Understand every record again from its original bytes: forwarded originals, dates,
    student tags. Run after an upgrade that improves them; the original bytes never change."""
    from archiver.archive.tagging import rederive_all

    a = app(ctx)
    with a.store.transaction() as tx:
        total = tx.records.count()
    progress = Progress("re-deriving", total)
    ingest = a.settings.ingest
    result = rederive_all(
        a.store,
        a.keyring,
        ingest.compression_level,
        progress,
        a.text_limits(),
        a.records_changed(),
    )
    progress.finish()
    if as_json:
        emit_json({"checked": result.checked, "rederived": result.changed, "failed": result.failed})
    else:
        click.echo(f"re-derived {result.changed} of {result.checked} records")
        for rid in result.failed:
            click.echo(f"FAILED {rid}: cannot be opened (see `archiver verify`)", err=True)
    return 3 if result.failed else 0
