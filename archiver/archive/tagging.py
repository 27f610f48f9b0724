"""Student tags on records: re-tagging after a roster change, and tags set by hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from archiver.archive import audit, facts
from archiver.archive.index_entry import index_entry, replace_entry
from archiver.archive.roster import Changed, Roster, RosterSeal, load_roster
from archiver.crypto import blind, sealing
from archiver.crypto.keyring import Keyring
from archiver.domain import RecordRow, TagRow
from archiver.errors import IntegrityError, UsageError
from archiver.store.db import Store, Tx
from archiver.understand.indexing import (
    DEFAULT_TEXT_LIMITS,
    TextLimits,
    attachment_texts,
    index_tokens,
)
from archiver.understand.parse import parse, tag_input
from archiver.understand.students import TagInput

_PAGE = 200


@dataclass(frozen=True)
class Rework:
    checked: int
    changed: int
    failed: list[str]  # record ids that could not be opened (`verify` says why)


def _each_record(
    db: Store,
    ring: Keyring,
    progress: Callable[[int], None] | None,
    work: Callable[[Tx, RecordRow, bytes], bool],
    changed: Changed | None = None,
) -> Rework:
    """Run `work` (given the record's data key) on every record, page by page, each page in
    its own transaction; `work` says whether it changed the record (`changed` is then told
    which did, in that transaction)."""
    checked = count = 0
    failed: list[str] = []
    after = ""
    while True:
        with db.transaction() as tx:
            page = tx.records.after(after, _PAGE)
            touched = []
            for row in page:
                checked += 1
                try:
                    if work(tx, row, sealing.data_key(ring, row)):
                        touched.append(row.id)
                except IntegrityError:
                    failed.append(row.id)
            count += len(touched)
            if changed is not None and touched:
                changed(tx, touched)
        if not page:
            break
        after = page[-1].id
        if progress:
            progress(checked)
    return Rework(checked, count, failed)


def _retag(tx: Tx, ring: Keyring, roster: Roster, record_id: str, item: TagInput) -> bool:
    found = roster.tagger.tag(item)
    tags = {roster.row_ids[sid]: src for sid, src in found.items()}
    before = {k: v for k, v in tx.roster.tags(record_id).items() if v != "manual"}
    if tags == before:
        return False
    tx.roster.set_automatic_tags(record_id, tags, tx.now, lambda row: facts.seal_tag(ring, row))
    return True


def retag_all(
    db: Store,
    ring: Keyring,
    progress: Callable[[int], None] | None = None,
    changed: Changed | None = None,
) -> Rework:
    """Tag every record again with the current roster (from its sealed metadata); manual tags
    and manual removals are kept. `changed` is told, in each page's transaction, the records
    whose tags changed."""
    with db.transaction() as tx:
        roster = load_roster(tx, ring)

    def work(tx: Tx, row: RecordRow, key: bytes) -> bool:
        meta = sealing.open_meta(key, row, tx.records.part(row.id, sealing.META))
        if meta.originals is None:  # archived before forwards were understood
            return _retag(
                tx,
                ring,
                roster,
                row.id,
                parse(sealing.open_raw(key, row, tx.records.part(row.id, sealing.RAW))).tag_input(),
            )
        return _retag(tx, ring, roster, row.id, tag_input(meta))

    result = _each_record(db, ring, progress, work, changed)
    audit.record_event(
        db,
        ring,
        "tags.retag",
        details={
            "checked": result.checked,
            "changed": result.changed,
            "roster_version": roster.version,
            "failed": result.failed,
        },
    )
    return result


def rederive_all(
    db: Store,
    ring: Keyring,
    level: int,
    progress: Callable[[int], None] | None = None,
    text: TextLimits = DEFAULT_TEXT_LIMITS,
    changed: Changed | None = None,
) -> Rework:
    """Understand every record again from its original bytes (which never change): new
    metadata sealed in place of the old, the original's date, automatic tags, and the record's
    search index entry. `changed` is told which records changed (their date or tags can move
    their retention)."""
    with db.transaction() as tx:
        roster = load_roster(tx, ring)
    key_id, index_key = ring.index_key()
    terms = blind.for_key(index_key)

    def work(tx: Tx, row: RecordRow, key: bytes) -> bool:
        parsed = parse(sealing.open_raw(key, row, tx.records.part(row.id, sealing.RAW)))
        texts = attachment_texts(parsed.extractable, *text)
        meta = parsed.metadata(texts.status)
        if row.quarantine_code:  # a quarantine's reason may come from its source's rules
            old = sealing.open_meta(key, row, tx.records.part(row.id, sealing.META))
            meta = replace(meta, quarantine=old.quarantine, problem=old.problem)
        tx.records.set_part(row.id, sealing.META, sealing.seal_meta(key, row.id, meta, level))
        if parsed.sent_at != row.sent_at:
            tx.records.set_sent_at(facts.seal_record(ring, replace(row, sent_at=parsed.sent_at)))
        doc = terms.document(key_id, index_tokens(meta, texts.texts))
        replace_entry(tx, index_entry(ring, row.id, doc, parsed.sent_at))  # in the same transaction
        _retag(tx, ring, roster, row.id, parsed.tag_input(meta))
        return True

    result = _each_record(db, ring, progress, work, changed)
    audit.record_event(
        db,
        ring,
        "records.rederive",
        details={
            "checked": result.checked,
            "rederived": result.changed,
            "failed": result.failed,
        },
    )
    return result


REVIEWED = ("context", "name")  # the weaker automatic sources, weakest first


@dataclass(frozen=True)
class ReviewItem:
    """A weaker tag to confirm (`tag add`) or remove (`tag remove`)."""

    record_id: str
    sent_at: str | None
    subject: str | None
    student_id: str
    student_name: str
    source: str


def review(
    db: Store, ring: Keyring, limit: int, sources: tuple[str, ...] = REVIEWED
) -> list[ReviewItem]:
    """The weaker automatic tags (`context`, then `name`), newest first within each, for a
    person to confirm or remove; each tag's facts checked. Audited as a read: it discloses
    which students records concern."""
    with db.transaction() as tx:
        roster = load_roster(tx, ring)
    out: list[ReviewItem] = []
    with db.transaction() as tx:
        for source in sources:
            if len(out) >= limit:
                break
            for tag in tx.roster.tags_with_source((source,), limit - len(out)):
                facts.check(facts.tag_problem(ring, tag))
                student = roster.students.get(tag.student_id)
                if student is None:
                    continue
                row = tx.records.get(tag.record_id)
                subject = None
                try:
                    key = sealing.data_key(ring, row)
                    meta = sealing.open_meta(key, row, tx.records.part(row.id, sealing.META))
                    first = meta.originals[0] if meta.originals else None
                    subject = (first.subject if first else None) or meta.subject
                except IntegrityError:
                    subject = None  # `verify` says why
                out.append(
                    ReviewItem(
                        row.id,
                        row.sent_at.isoformat() if row.sent_at else None,
                        subject,
                        student.student_id,
                        student.name,
                        tag.source,
                    )
                )
        audit.append(
            tx,
            ring,
            "tags.review",
            details={"count": len(out), "sources": list(sources), "limit": limit},
        )
    return out


def _student_row(tx: Tx, ring: Keyring, student_id: str) -> int:
    row = tx.roster.student_by_lookup(RosterSeal(ring).lookup(student_id.strip()))
    if row is None:
        raise UsageError(f"no student with id {student_id} in the roster")
    return row.id


def add_tag(
    db: Store, ring: Keyring, record_id: str, student_id: str, changed: Changed | None = None
) -> str:
    """Tag a record with a student by hand; the full record id."""
    with db.transaction() as tx:
        rec = tx.records.get(record_id)
        sid = _student_row(tx, ring, student_id)
        tx.roster.add_manual_tag(facts.seal_tag(ring, TagRow(rec.id, sid, "manual", tx.now)))
        if changed is not None:
            changed(tx, [rec.id])
        audit.append(tx, ring, "tag.add", target=rec.id, details={"student": sid})
    return rec.id


def remove_tag(
    db: Store, ring: Keyring, record_id: str, student_id: str, changed: Changed | None = None
) -> tuple[str, bool]:
    """Remove a tag by hand, for good; the full record id and whether a tag was there."""
    with db.transaction() as tx:
        rec = tx.records.get(record_id)
        sid = _student_row(tx, ring, student_id)
        had = tx.roster.remove_tag(facts.seal_tag(ring, TagRow(rec.id, sid, "removed", tx.now)))
        if changed is not None and had:
            changed(tx, [rec.id])
        audit.append(tx, ring, "tag.remove", target=rec.id, details={"student": sid})
    return rec.id, had
