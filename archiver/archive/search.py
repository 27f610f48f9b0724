"""Searching the archive through the blind index: words, phrases and filters, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from archiver.archive import audit, facts
from archiver.archive.roster import RosterSeal
from archiver.clock import District
from archiver.crypto import blind, sealing
from archiver.crypto.blind import BlindIndex
from archiver.crypto.keyring import Keyring
from archiver.domain import (
    MAX_LIMIT,
    STATUSES,
    RecordMeta,
    RecordRow,
    SearchRequest,
    SearchState,
)
from archiver.errors import IntegrityError, UsageError
from archiver.store.db import Store, Tx
from archiver.store.search import TermQuery
from archiver.understand.indexing import (
    PAIRS,
    TOKENIZER,
    WORDS,
    filter_tokens,
    texts,
)
from archiver.understand.tokens import Query, bigrams, parse_query, words

MAX_TERMS = 64  # words, phrase pairs and filter tokens in one search


@dataclass(frozen=True)
class SearchResult:
    """One page of a search's results, with the total and the records not indexed."""

    total: int  # every matching record, not just this page
    results: list[dict[str, Any]]
    unindexed: int  # records not searchable by words until `archiver reindex` has run


# SearchRequest attribute -> index field
_ADDRESS_FILTERS = (
    ("sender", "from"),
    ("to", "to"),
    ("participant", "participant"),
    ("forwarder", "forwarder"),
)


def _terms(terms: BlindIndex, req: SearchRequest) -> tuple[list[int], list[int], list[str]]:
    """Required and excluded index terms of a request, and the names of the filters used."""
    q = parse_query(req.query)
    required = [terms.term(WORDS, w) for w in q.words]
    for phrase in q.phrases:
        required += [terms.term(PAIRS, pair) for pair in bigrams(list(phrase))]
    used = [
        n for n, v in (("words", q.words), ("phrases", q.phrases), ("excluded", q.excluded)) if v
    ]
    for attr, fld in _ADDRESS_FILTERS:
        value = getattr(req, attr)
        if value is None:
            continue
        option = "--from" if attr == "sender" else f"--{attr}"
        tokens = filter_tokens(value)
        if not tokens:
            raise UsageError(f"{option} {value!r}: give an address, an @domain or name words")
        required += [terms.term(fld, t) for t in tokens]
        used.append(option[2:])
    return required, [terms.term(WORDS, w) for w in q.excluded], used


def _check(req: SearchRequest) -> None:
    if not 1 <= req.limit <= MAX_LIMIT or req.offset < 0:
        raise UsageError(f"--limit must be 1 to {MAX_LIMIT} and --offset at least 0")
    if req.since and req.until and req.since > req.until:
        raise UsageError(f"--since {req.since} is after --until {req.until}")
    if req.status is not None and req.status not in STATUSES:
        raise UsageError(f"--status {req.status!r}: one of {', '.join(STATUSES)}")


def _summary(row: RecordRow, meta: RecordMeta) -> dict[str, Any]:
    first = meta.original
    sender = (first.sender if first else None) or (meta.sender[0] if meta.sender else None)
    return {
        "id": row.id,
        "date": row.sent_at.isoformat() if row.sent_at else None,
        "subject": (first.subject if first else None) or meta.subject,
        "from": sender.to_json() if sender else None,
        "to": [p.to_json() for p in (first.to if first and first.to else meta.to)],
        "forwarder": meta.forwarder.to_json() if meta.forwarder else None,
        "status": row.status,
        "attachments": len(meta.files()),
        "archived_at": row.archived_at.isoformat(),
        "size": row.size,
        "quarantine": row.quarantine_code,
    }


_READ = ("ok", "truncated")  # a PDF's or DOCX's text is in the index


def _matched_in(meta: RecordMeta, q: Query) -> list[str]:
    """The attachments whose text the query's words or phrases were found in, when some of
    them are nowhere else in the record (its subjects, note, bodies and file names): the one
    PDF or DOCX whose text was read, or each of them when several were (the index does not
    say which)."""
    read = [a.filename for a in meta.files() if a.text in _READ]
    if not read or (not q.words and not q.phrases):
        return []  # nothing but the record's own text could have matched: no need to look
    unseen = set(q.words)
    pairs = {pair for phrase in q.phrases for pair in bigrams(list(phrase))}
    for text in texts(meta):
        if not unseen and not pairs:
            break  # every word and phrase pair seen: the rest need not be read
        seq = words(text)
        unseen.difference_update(seq)
        if pairs:
            pairs.difference_update(bigrams(seq))
    return read if unseen or pairs else []


def _students(
    tx: Tx, ring: Keyring, ids: list[str], problems: dict[str, str]
) -> dict[str, list[dict[str, str]]]:
    """Each record's students (id, name, tag source); a tag or student whose facts fail puts
    the record in `problems`."""
    tags = tx.roster.tag_rows(ids)
    for t in tags:
        problem = facts.tag_problem(ring, t)
        if problem:
            problems.setdefault(t.record_id, problem)
    rows = tx.roster.students_by_id(sorted({t.student_id for t in tags}))
    seal = RosterSeal(ring)
    people = {}
    for row in rows:
        problem = facts.student_problem(ring, row)
        if problem:
            problems.update({t.record_id: problem for t in tags if t.student_id == row.id})
        else:
            people[row.id] = seal.open(row)
    out: dict[str, list[dict[str, str]]] = {}
    for t in sorted(tags, key=lambda t: t.student_id):
        s = people.get(t.student_id)
        if s is not None:
            out.setdefault(t.record_id, []).append(
                {"id": s.student_id, "name": s.name, "source": t.source}
            )
    return out


def _page(tx: Tx, ring: Keyring, ids: list[str], q: Query) -> list[dict[str, Any]]:
    """The result entries of `ids`: each record's metadata opened for display, and where the
    query `q` matched when that was only in an attachment's text."""
    rows = tx.records.by_id(ids)
    metas = tx.records.parts(ids, sealing.META)
    problems = {row.id: p for row in rows.values() if (p := facts.record_problem(ring, row))}
    students = _students(tx, ring, ids, problems)
    out = []
    for rid in ids:
        row = rows[rid]
        try:
            facts.check(problems.get(rid))
            meta = sealing.open_meta(sealing.data_key(ring, row), row, metas.get(rid))
        except IntegrityError as exc:
            out.append({"id": rid, "status": row.status, "error": str(exc)})
            continue
        entry = _summary(row, meta)
        entry["students"] = students.get(rid, [])
        entry["matched_in"] = _matched_in(meta, q)
        out.append(entry)
    return out


def _unindexed(tx: Tx, key_id: str) -> int:
    state = tx.index.state()
    if state.complete and state.tokenizer == TOKENIZER and state.key_id in (None, key_id):
        return 0
    return tx.index.count_unindexed(SearchState(state.generation, key_id, TOKENIZER, False), False)


def index_status(db: Store) -> dict[str, Any]:
    """For `archiver status`: whether every record can be found by words, and when the index
    was last checked against the records (no key is read)."""
    with db.transaction() as tx:
        current = [k.id for k in tx.keys.registered() if k.kind == "index" and k.state == "current"]
        unindexed = _unindexed(tx, current[0]) if current else tx.records.count()
        check = tx.index.check_state()
    return {
        "complete": unindexed == 0,
        "unindexed": unindexed,
        "verified_at": check.verified_at.isoformat() if check.verified_at else None,
        "verified_scope": check.scope,
        "verified_problems": check.verified_problems,
        "verify_unfinished": check.next_block is not None,
    }


def _filters_used(req: SearchRequest) -> list[str]:
    return [
        name
        for name, value in (
            ("student", req.student),
            ("since", req.since),
            ("until", req.until),
            ("status", req.status),
            ("has-attachment", req.has_attachment),
            ("series", req.series),
            ("eligible-by", req.eligible_by),
            ("held", req.held),
        )
        if value is not None
    ]


def term_query(tx: Tx, ring: Keyring, req: SearchRequest, district: District) -> TermQuery:
    """A request in index terms (under the current index key) and plaintext filters; raises
    UsageError for a request with nothing to match, too many words, or an unknown student."""
    return _compile(tx, ring, req, district)[0]


def _compile(
    tx: Tx, ring: Keyring, req: SearchRequest, district: District
) -> tuple[TermQuery, list[str]]:
    """`term_query`, and the names of the parts of the request used (for the audit log)."""
    key_id, key = ring.index_key()
    required, excluded, used = _terms(blind.for_key(key), req)
    used += _filters_used(req)
    if not required and not used:
        raise UsageError("give words to search for, or a filter (see archiver search --help)")
    if len(set(required)) + len(set(excluded)) > MAX_TERMS:
        raise UsageError(f"too many words: a search takes at most {MAX_TERMS}")
    student = None
    if req.student is not None:
        found = tx.roster.student_by_lookup(RosterSeal(ring).lookup(req.student.strip()))
        if found is None:
            raise UsageError(f"--student {req.student}: no student with that id in the roster")
        student = found.id
    query = TermQuery(
        key_id=key_id,
        tokenizer=TOKENIZER,
        required=tuple(required),
        excluded=tuple(excluded),
        student=student,
        since=district.start(req.since) if req.since else None,
        before=district.start(req.until + timedelta(days=1)) if req.until else None,
        status=req.status,
        has_attachment=req.has_attachment,
        series=req.series,
        eligible_by=req.eligible_by,
        held=req.held,
    )
    return query, used


def matching_ids(tx: Tx, ring: Keyring, req: SearchRequest, district: District) -> list[str]:
    """Every record a request matches (not audited: the caller says why it asked)."""
    return tx.index.find(term_query(tx, ring, req, district), 0, None).ids


def summaries(db: Store, ring: Keyring, ids: list[str]) -> list[dict[str, Any]]:
    """Records as a search lists them (date, sender, subject, students), in `ids`' order:
    for a page that lists records it already audited the reading of (a request's)."""
    with db.transaction() as tx:
        return _page(tx, ring, ids, parse_query(""))


def search(db: Store, ring: Keyring, req: SearchRequest, district: District) -> SearchResult:
    """Run a search; the results on the requested page are opened for display. Audited.
    `since` and `until` are the district's days: a records officer's "March" is the
    district's March, whatever the server's clock says."""
    _check(req)
    # Read from a snapshot without the write lock, so searches run side by side (the web
    # server's threads); the event is then written in a short transaction of its own, before
    # anything is returned: no results leave without their event.
    with db.reading() as tx:
        query, used = _compile(tx, ring, req, district)
        hits = tx.index.find(query, req.offset, req.limit)
        results = _page(tx, ring, hits.ids, parse_query(req.query))
        unindexed = _unindexed(tx, query.key_id)
    details = {"filters": sorted(used), "total": hits.total, "records": hits.ids}
    audit.record_event(db, ring, "search", details=details)
    return SearchResult(hits.total, results, unindexed)
