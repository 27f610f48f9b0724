"""Producing records (DESIGN.md section 9.4): the records a request releases, or records by id,
as a signed export bundle (`records/bundle.py`), every record opened for it an audited access.

A record released in full is its original bytes (`.eml`, byte for byte what `show --raw`
writes) and its PDF rendering (`records/rendering.py`, the original embedded, as `show --pdf`
makes it); a record decided `redact` is produced from its redacted text only
(`records/production.py`: a rendering, its PDF attachments rasterised, a new EML); all the
messages are also in one mbox. A request's bundle also lists the records withheld (or not
responsive) with their decision and no file, and holds the written response. Before a
request's bundle is written, the release gate (`records/gate.py`) searches every produced
file for every redacted string.

Records are produced (rendered, rasterised, and each one's files passed by the gate) in
worker processes forked from this one, a few at a time: this process opens each record (the
audited access: the database and the keys stay here), hands a worker its bytes and text, and
adds what comes back to the bundle in the request's order, so the bundle is the same bytes
whichever worker made what.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.archive import audit
from archiver.archive.reading import OpenedRecord, open_record
from archiver.archive.roster import RosterSeal
from archiver.clock import Clock, District
from archiver.crypto.keyring import Keyring
from archiver.errors import IntegrityError, UsageError, WorkerError
from archiver.platform.children import die_with_parent
from archiver.records import gate
from archiver.records.bundle import PAYLOAD, Bundle, Written, check_target
from archiver.records.letter import Section, compose
from archiver.records.redaction import Redaction, accepted, released_attachments
from archiver.records.requests import RequestDesk
from archiver.store.db import Store, Tx
from archiver.understand import mbox
from archiver.understand.indexing import DEFAULT_TEXT_LIMITS, TextLimits

if TYPE_CHECKING:
    from archiver.records.production import Withheld

RELEASE = "release"
REDACT = "redact"
EML = "message/rfc822"
PDF = "application/pdf"
MBOX = "application/mbox"
MBOX_PATH = "records.mbox"
AHEAD = 2  # records handed to each worker ahead of the one being added (memory stays flat)


@dataclass(frozen=True)
class Exporter:
    """What producing records needs: the store, the keys, the clock and the district."""

    db: Store
    ring: Keyring
    clock: Clock
    district: District
    organization: str  # [requests] district_name: the bag's Source-Organization
    limits: TextLimits = field(default=DEFAULT_TEXT_LIMITS)  # attachment text, for renderings
    workers: int = 0  # processes producing records; 0: one per core

    def request(
        self,
        desk: RequestDesk,
        number: str,
        out: Path,
        not_held: str | None = None,
        agency: str | None = None,
    ) -> Written:
        """The records request `number` releases (in full, or redacted: `records/production.py`),
        the ones it withholds listed, and its written response (as `request letter` composes
        it today, with the parts of redacted records not produced) in a bundle at `out`,
        written only if the release gate (`records/gate.py`) finds no redacted text in it
        (IntegrityError otherwise, naming the record and the file). UsageError, before any
        record is opened, for a record not decided yet, a request with nothing decided, an
        `out` that exists."""
        check_target(out)
        key_id, private = self.ring.signing_key()  # no key: refused before any access
        view, student, received_on = desk.for_letter(number, sent=False)
        undecided = [d.record_id for d in view.records if d.decision is None]
        if undecided:
            raise UsageError(
                f"request {view.number}: {len(undecided)} records have no decision yet "
                f"({', '.join(i[:8] for i in undecided[:5])}): decide them first"
            )
        if not view.records:
            raise UsageError(f"request {view.number} has no records to export")
        letter = compose(
            view,
            desk.exemptions,
            desk.fee_estimate(view),
            desk.settings,
            self.district.today(self.clock),
            received_on,
            student,
            not_held,
            agency,
        )
        with self.db.transaction() as tx:
            originals = {
                d.record_id: tx.records.get(d.record_id).sha256.hex() for d in view.records
            }
            redactions = {
                d.record_id: accepted(tx, self.ring, view.number, d.record_id) for d in view.records
            }
            released = released_attachments(tx, self.ring, view.number)
            spared = _child(tx, self.ring, view.number)
        watch = gate.watched(
            (
                gate.Watched(rid, r.id, r.text)
                for rid, items in redactions.items()
                for r in items
                if r.occurrence is None
            ),
            spared,
        )
        checker = gate.Gate(watch)
        boxed: list[tuple[str, datetime]] = []
        withheld: list[str] = []
        produced = [d for d in view.records if d.decision in (RELEASE, REDACT)]
        with self._bundle(view.number, out) as bundle:  # removed unless written

            def jobs() -> Iterator[_Job]:
                for d in produced:
                    purpose = view.number
                    rec = open_record(self.db, self.ring, d.record_id, "export", "all", purpose)
                    mine = redactions[d.record_id] if d.decision == REDACT else []
                    shown = released.get(d.record_id, frozenset())
                    yield _Job(
                        d.decision or "", rec, mine, bundle.created, self.limits, watch, shown
                    )

            with closing(self._produced(jobs(), len(produced))) as made:  # its workers end
                for d in view.records:
                    if d.decision not in (RELEASE, REDACT):  # withheld, not responsive: listed
                        bundle.add_record(
                            d.record_id, d.decision or "", d.exemptions, originals[d.record_id]
                        )
                        continue
                    rec = next(made)
                    rid = rec.record_id
                    bundle.add_record(rid, d.decision or "", d.exemptions, rec.original_sha256)
                    _add(bundle, checker, rec)
                    boxed.append(rec.boxed)
                    withheld += [f"Record {rid}, {w}" for w in bundle.withheld(rid)]
            _add_mbox(bundle, boxed)
            if withheld:
                section = Section("Parts of redacted records not produced", [*withheld])
                letter = replace(letter, sections=[*letter.sections, section])
            from archiver.render.pdf import render_pdf  # WeasyPrint loads only to render

            bundle.set_letter(letter.text(), render_pdf(letter.document(bundle.created)))
            return self._write(bundle, key_id, private, checker)

    def preview(self, desk: RequestDesk, number: str, record_id: str) -> bytes:
        """The PDF the export of request `number` would produce of one of its records now: its
        rendering, released in full or with its accepted redactions removed. Opening the
        record is an audited access for the request (nothing is disclosed: the gate is the
        export's). UsageError for a record not in the request, or one that produces nothing
        (undecided, withheld, not responsive)."""
        view = desk.show(number)
        with self.db.transaction() as tx:
            rid = tx.records.get(record_id).id
            decision = next((d for d in view.records if d.record_id == rid), None)
            if decision is None:
                raise UsageError(f"record {rid} is not in request {view.number}")
            if decision.decision not in (RELEASE, REDACT):
                said = decision.decision or "not decided yet"
                raise UsageError(
                    f"record {rid} of request {view.number} is {said}: no PDF is produced of it"
                )
            mine = accepted(tx, self.ring, view.number, rid) if decision.decision == REDACT else []
            shown = released_attachments(tx, self.ring, view.number).get(rid, frozenset())
        rec = open_record(self.db, self.ring, rid, "pdf", "all", view.number)
        made = _make(_Job(decision.decision, rec, mine, self.clock.now(), self.limits, [], shown))
        return next(data for path, data, _ in made.files if path == f"records/{rid}.pdf")

    def records(self, record_ids: Sequence[str], out: Path, purpose: str) -> Written:
        """Records (ids or unique prefixes) released in full, with no request: each opened
        as an access for `purpose`. UsageError for an unknown id or an `out` that exists."""
        if not purpose.strip():
            raise UsageError("an export without a request needs its purpose (--purpose)")
        check_target(out)
        key_id, private = self.ring.signing_key()
        with self.db.transaction() as tx:
            ids = list(dict.fromkeys(tx.records.get(rid).id for rid in record_ids))
        if not ids:
            raise UsageError("nothing to export: no records given or found")
        checker = gate.Gate([])  # nothing redacted: nothing to look for
        with self._bundle(None, out) as bundle:  # removed unless written

            def jobs() -> Iterator[_Job]:
                for rid in ids:
                    rec = open_record(self.db, self.ring, rid, "export", "all", purpose)
                    yield _Job(RELEASE, rec, [], bundle.created, self.limits, [])

            boxed = []
            with closing(self._produced(jobs(), len(ids))) as made:  # its workers end
                for rec in made:
                    bundle.add_record(rec.record_id, RELEASE, (), rec.original_sha256)
                    _add(bundle, checker, rec)
                    boxed.append(rec.boxed)
            _add_mbox(bundle, boxed)
            return self._write(bundle, key_id, private, checker)

    def _produced(self, jobs: Iterator[_Job], count: int) -> Generator[_Made, None, None]:
        """Each job's record produced (`_make`), in the jobs' order: in worker processes when
        there are several records and cores, a few records ahead; here otherwise. Opening a
        record (the next job) happens here, as its turn comes."""
        workers = min(self.workers or os.cpu_count() or 1, count)
        if workers < 2:
            yield from (_checked(_make(job)) for job in jobs)
            return
        with _pool(workers) as pool:
            pending: deque[Future[_Made]] = deque()
            for job in jobs:
                pending.append(_submit(pool, job))
                while len(pending) > AHEAD * workers:
                    yield _checked(_result(pending.popleft()))
            while pending:
                yield _checked(_result(pending.popleft()))

    def _bundle(self, request: str | None, out: Path) -> Bundle:
        now = self.clock.now()
        return Bundle(self.organization, request, now, self.district.day_of(now), out)

    def _write(self, bundle: Bundle, key_id: str, private: bytes, checker: gate.Gate) -> Written:
        """Write the bundle once the release gate has passed it: the files the workers have
        not passed (the mbox; a bundle with nothing redacted has nothing to look for); audit
        the export."""
        checked: list[gate.GateReport] = []
        watch = checker.watch

        def passes(files: list[tuple[str, Path]]) -> None:
            if watch:
                checked.append(checker.rest(files))

        written = bundle.write(key_id, private, passes)
        audit.record_event(
            self.db,
            self.ring,
            "export",
            target=bundle.request,
            details={
                "records": written.records,
                "files": written.files,
                "manifest_sha256": written.manifest_sha256,
                "signing_key": key_id,
                "zip": bundle.out.suffix.lower() == ".zip",
                "gate": {"watched": len(watch), "extractors": list(checked[0].extractors)}
                if checked
                else None,
            },
        )
        return written


@dataclass(frozen=True)
class _Job:
    """A record to produce, as a worker gets it: opened here, with its accepted redactions
    and image attachments decided `release` (a record decided `redact`) and the strings the
    gate watches for."""

    decision: str
    opened: OpenedRecord
    redactions: list[Redaction]
    created: datetime
    limits: TextLimits
    watch: list[gate.Watched]
    released: frozenset[int] = frozenset()


@dataclass(frozen=True)
class _Made:
    """A record produced: its files `(path, bytes, media type)`, the parts withheld, its mbox
    envelope (sender, date: the message is its `.eml`), and what the gate passed in its files
    (or why it stopped: `failure`)."""

    record_id: str
    original_sha256: str
    files: list[tuple[str, bytes, str]]
    withheld: list[Withheld]
    boxed: tuple[str, datetime]
    checked: gate.Checked | None
    failure: str | None


def _make(job: _Job) -> _Made:
    """Produce one record (in a worker, or here): released in full, its original bytes and
    its rendering (the original embedded); decided `redact`, from its redacted text only
    (`records/production.py`). Its files are then passed through the gate, when it watches."""
    from archiver.records.production import produce_redacted
    from archiver.records.rendering import record_pdf, record_text

    rec = job.opened
    rid = rec.row.id
    if job.decision == RELEASE:
        pdf = record_pdf(record_text(rec, job.limits), rid, job.created, rec.raw)
        files = [(f"records/{rid}.eml", rec.raw, EML), (f"records/{rid}.pdf", pdf, PDF)]
        withheld: list[Withheld] = []
        boxed = _boxed(rec)
    else:
        made = produce_redacted(rec, job.redactions, job.created, job.limits, job.released)
        files, withheld = made.files, made.withheld
        boxed = (made.sender, rec.row.sent_at or rec.row.archived_at)
    checked, failure = None, None
    if job.watch:
        checker = gate.Gate(job.watch)
        try:
            for path, data, _ in files:
                checker.file(PAYLOAD + path, data)
        except IntegrityError as exc:
            failure = str(exc)
        else:
            checked = checker.checked()
    return _Made(rid, rec.row.sha256.hex(), files, withheld, boxed, checked, failure)


def _checked(made: _Made) -> _Made:
    """A record's production, or the gate's failure in its files, raised here."""
    if made.failure is not None:
        raise IntegrityError(made.failure)
    return made


def _add(bundle: Bundle, checker: gate.Gate, made: _Made) -> None:
    """A produced record's files and withheld parts, into the bundle (its record added)."""
    rid = made.record_id
    for path, data, media_type in made.files:
        bundle.add_file(path, data, media_type, [rid])
    for w in made.withheld:
        bundle.withhold_part(rid, w.number, w.content_type, w.sha256, w.reason)
    if made.checked is not None:
        checker.merge(made.checked)


def _worker_init(parent: int) -> None:
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the exporting process decides


@contextmanager
def _pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Worker processes forked from this one (everything imported already; no database
    connection or key is used in them: they get opened records and give back bytes), ended
    when the export ends, or fails."""
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_worker_init,
        initargs=(os.getpid(),),
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _submit(pool: ProcessPoolExecutor, job: _Job) -> Future[_Made]:
    try:
        return pool.submit(_make, job)
    except BrokenProcessPool:
        raise _died() from None


def _result(task: Future[_Made]) -> _Made:
    try:
        return task.result()
    except BrokenProcessPool:
        raise _died() from None


def _died() -> WorkerError:
    return WorkerError(
        "a worker process died while producing records (killed for lack of memory?): "
        "nothing was written; export again, with fewer workers if it happens again"
    )


def _boxed(rec: OpenedRecord) -> tuple[str, datetime]:
    """A record released in full as the mbox holds it: its sender and date."""
    sender = rec.meta.sender[0].address if rec.meta.sender else ""
    return sender, rec.row.sent_at or rec.row.archived_at


def _add_mbox(bundle: Bundle, boxed: list[tuple[str, datetime]]) -> None:
    """All the records produced (originals, and redacted records' new messages: each its
    `.eml`, read back one at a time), in one mbox (mboxrd), in the bundle's order."""
    if not boxed:
        return
    rids = bundle.produced()
    entries = (
        mbox.entry(sender, when, bundle.staged(f"records/{rid}.eml").read_bytes())
        for rid, (sender, when) in zip(rids, boxed, strict=True)
    )
    bundle.add_stream(MBOX_PATH, entries, MBOX, rids)


def _child(tx: Tx, ring: Keyring, number: str) -> list[str]:
    """The requested student's own names, id and address (a student-records request): the
    gate does not look for them."""
    row = tx.requests.get(number)
    if row is None or row.student_id is None:
        return []
    rows = tx.roster.students_by_id([row.student_id])
    if not rows:
        return []
    kid = RosterSeal(ring).open(rows[0])
    given = [g for g in (kid.first, kid.preferred) if g.strip()]
    names = [*given, kid.last, *(f"{g} {kid.last}" for g in given)]
    names += [f"{kid.last}, {g}" for g in given]
    return [*names, kid.student_id, kid.email]
