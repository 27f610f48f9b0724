"""Producing records (DESIGN.md section 9.4): the records a request releases, or records by id,
as a signed export bundle (`records/bundle.py`), every record opened for it an audited access.

For now a bundle holds full releases only: each record as its original bytes (`.eml`, byte for
byte what `show --raw` writes) and as its PDF rendering (`records/rendering.py`, the original
embedded, as `show --pdf` makes it), and all of them in one mbox; a request's bundle also lists
the records withheld (or not responsive) with their decision and no file, and holds the
written response. Records decided `redact` wait for redacted production.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archiver.archive import audit
from archiver.archive.reading import OpenedRecord, open_record
from archiver.clock import Clock, District
from archiver.crypto.keyring import Keyring
from archiver.errors import UsageError
from archiver.records.bundle import Bundle, Written, check_target
from archiver.records.letter import compose
from archiver.records.requests import RequestDesk
from archiver.store.db import Store
from archiver.understand.indexing import DEFAULT_TEXT_LIMITS, TextLimits
from archiver.understand.mbox import mboxrd

RELEASE = "release"
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
        """The records request `number` released, the ones it withholds listed, and its
        written response (as `request letter` composes it today) in a bundle at `out`.
        UsageError, before any record is opened, for a record not decided yet or decided
        `redact`, a request with nothing decided, an `out` that exists."""
        check_target(out)
        key_id, private = self.ring.signing_key()  # no key: refused before any access
        view, student, received_on = desk.for_letter(number, sent=False)
        undecided = [d.record_id for d in view.records if d.decision is None]
        if undecided:
            raise UsageError(
                f"request {view.number}: {len(undecided)} records have no decision yet "
                f"({', '.join(i[:8] for i in undecided[:5])}): decide them first"
            )
        redacted = [d.record_id for d in view.records if d.decision == "redact"]
        if redacted:
            raise UsageError(
                f"request {view.number}: record {redacted[0][:8]} is decided redact, and "
                "redacted production is not built yet: decide release or withhold"
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
        opened = []
        with self.db.transaction() as tx:
            originals = {
                d.record_id: tx.records.get(d.record_id).sha256.hex() for d in view.records
            }
        for d in view.records:
            if d.decision == RELEASE:
                opened.append(self._release(bundle, d.record_id, d.exemptions, view.number))
            else:  # withheld or not responsive: listed, nothing produced
                bundle.add_record(
                    d.record_id, d.decision or "", d.exemptions, originals[d.record_id]
                )
        _add_mbox(bundle, opened)
        from archiver.render.pdf import render_pdf  # WeasyPrint loads only to render

        bundle.set_letter(letter.text(), render_pdf(letter.document(bundle.created)))
        return self._write(bundle, out, key_id, private)

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
        opened = []
        for rid in ids:
            opened.append(self._release(bundle, rid, (), purpose))
        _add_mbox(bundle, opened)
        return self._write(bundle, out, key_id, private)

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

    def _bundle(self, request: str | None) -> Bundle:
        now = self.clock.now()
        return Bundle(self.organization, request, now, self.district.day_of(now))

    def _write(self, bundle: Bundle, out: Path, key_id: str, private: bytes) -> Written:
        written = bundle.write(out, key_id, private)
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
            },
        )
        return written


def _add_mbox(bundle: Bundle, opened: list[OpenedRecord]) -> None:
    """All the records released, in one mbox (mboxrd), in the bundle's order."""
    if not opened:
        return
    data = mboxrd(
        (
            rec.meta.sender[0].address if rec.meta.sender else "",
            rec.row.sent_at or rec.row.archived_at,
            rec.raw,
        )
        for rec in opened
    )
    bundle.add_file(MBOX_PATH, data, MBOX, [rec.row.id for rec in opened])
