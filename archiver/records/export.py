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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from archiver.archive import audit
from archiver.archive.reading import OpenedRecord, open_record
from archiver.archive.roster import RosterSeal
from archiver.clock import Clock, District
from archiver.crypto.keyring import Keyring
from archiver.errors import UsageError
from archiver.records import gate
from archiver.records.bundle import Bundle, Written, check_target
from archiver.records.letter import Section, compose
from archiver.records.redaction import Redaction, accepted
from archiver.records.requests import RequestDesk
from archiver.store.db import Store, Tx
from archiver.understand.indexing import DEFAULT_TEXT_LIMITS, TextLimits
from archiver.understand.mbox import mboxrd

RELEASE = "release"
REDACT = "redact"
EML = "message/rfc822"
PDF = "application/pdf"
MBOX = "application/mbox"
MBOX_PATH = "records.mbox"


@dataclass(frozen=True)
class Exporter:
    """What producing records needs: the store, the keys, the clock and the district."""

    db: Store
    ring: Keyring
    clock: Clock
    district: District
    organization: str  # [requests] district_name: the bag's Source-Organization
    limits: TextLimits = field(default=DEFAULT_TEXT_LIMITS)  # attachment text, for renderings

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
        bundle = self._bundle(view.number)
        with self.db.transaction() as tx:
            originals = {
                d.record_id: tx.records.get(d.record_id).sha256.hex() for d in view.records
            }
            redactions = {
                d.record_id: accepted(tx, self.ring, view.number, d.record_id) for d in view.records
            }
            spared = _child(tx, self.ring, view.number)
        boxed: list[tuple[str, datetime, bytes]] = []
        withheld: list[str] = []
        for d in view.records:
            if d.decision == RELEASE:
                rec = self._release(bundle, d.record_id, d.exemptions, view.number)
                boxed.append(_boxed(rec))
            elif d.decision == REDACT:
                made = self._redact(bundle, d.record_id, d.exemptions, view.number, redactions)
                boxed.append(made)
                withheld += [f"Record {d.record_id}, {w}" for w in bundle.withheld(d.record_id)]
            else:  # withheld or not responsive: listed, nothing produced
                bundle.add_record(
                    d.record_id, d.decision or "", d.exemptions, originals[d.record_id]
                )
        _add_mbox(bundle, boxed)
        if withheld:
            section = Section("Parts of redacted records not produced", [*withheld])
            letter = replace(letter, sections=[*letter.sections, section])
        from archiver.render.pdf import render_pdf  # WeasyPrint loads only to render

        bundle.set_letter(letter.text(), render_pdf(letter.document(bundle.created)))
        watch = gate.watched(
            (
                gate.Watched(rid, r.id, r.text)
                for rid, items in redactions.items()
                for r in items
                if r.occurrence is None
            ),
            spared,
        )
        return self._write(bundle, out, key_id, private, watch)

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
        bundle = self._bundle(None)
        boxed = [_boxed(self._release(bundle, rid, (), purpose)) for rid in ids]
        _add_mbox(bundle, boxed)
        return self._write(bundle, out, key_id, private, [])

    def _release(
        self, bundle: Bundle, record_id: str, exemptions: Sequence[str], purpose: str
    ) -> OpenedRecord:
        """A record released in full: opened (an access for `purpose`, its attachments
        named), its original bytes and its rendering (the original embedded) added."""
        from archiver.records.rendering import record_pdf, record_text

        rec = open_record(self.db, self.ring, record_id, "export", "all", purpose)
        rid = rec.row.id
        bundle.add_record(rid, RELEASE, exemptions, rec.row.sha256.hex())
        bundle.add_file(f"records/{rid}.eml", rec.raw, EML, [rid])
        pdf = record_pdf(record_text(rec, self.limits), rid, bundle.created, rec.raw)
        bundle.add_file(f"records/{rid}.pdf", pdf, PDF, [rid])
        return rec

    def _redact(
        self,
        bundle: Bundle,
        record_id: str,
        exemptions: Sequence[str],
        number: str,
        redactions: dict[str, list[Redaction]],
    ) -> tuple[str, datetime, bytes]:
        """A record decided `redact`: opened (an access for the request), produced from its
        redacted text only (`records/production.py`); its mbox entry."""
        from archiver.records.production import produce_redacted

        rec = open_record(self.db, self.ring, record_id, "export", "all", number)
        rid = rec.row.id
        bundle.add_record(rid, REDACT, exemptions, rec.row.sha256.hex())
        made = produce_redacted(rec, redactions[rid], bundle.created, self.limits)
        for path, data, media_type in made.files:
            bundle.add_file(path, data, media_type, [rid])
        for w in made.withheld:
            bundle.withhold_part(rid, w.number, w.content_type, w.sha256, w.reason)
        return made.sender, rec.row.sent_at or rec.row.archived_at, made.eml

    def _bundle(self, request: str | None) -> Bundle:
        now = self.clock.now()
        return Bundle(self.organization, request, now, self.district.day_of(now))

    def _write(
        self, bundle: Bundle, out: Path, key_id: str, private: bytes, watch: list[gate.Watched]
    ) -> Written:
        """Write the bundle once the release gate has passed it (a bundle with nothing
        redacted has nothing to look for); audit the export."""
        checked: list[gate.GateReport] = []

        def passes(files: list[tuple[str, bytes]]) -> None:
            if watch:
                checked.append(gate.check(files, watch))

        written = bundle.write(out, key_id, private, passes)
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
                "zip": out.suffix.lower() == ".zip",
                "gate": {"watched": len(watch), "extractors": list(checked[0].extractors)}
                if checked
                else None,
            },
        )
        return written


def _boxed(rec: OpenedRecord) -> tuple[str, datetime, bytes]:
    """A record released in full as the mbox holds it: sender, date, original bytes."""
    sender = rec.meta.sender[0].address if rec.meta.sender else ""
    return sender, rec.row.sent_at or rec.row.archived_at, rec.raw


def _add_mbox(bundle: Bundle, boxed: list[tuple[str, datetime, bytes]]) -> None:
    """All the records produced (originals, and redacted records' new messages), in one
    mbox (mboxrd), in the bundle's order."""
    if not boxed:
        return
    rids = [r for r in bundle.produced()]
    bundle.add_file(MBOX_PATH, mboxrd(boxed), MBOX, rids)


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
