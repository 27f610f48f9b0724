"""Search through the blind index, as a records officer uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from archiver.archive import reindex as search_service
from archiver.archive.keys import load_keyring
from archiver.store import postings, schema
from archiver.store.db import Store
from archiver.store.engine import make_engine
from archiver.store.tables import (
    audit_event,
    search_doc,
    search_live,
    search_packed,
    search_term,
)
from tests.conftest import Archive
from tests.unit.test_extract import make_docx, make_pdf, slow_pdf, text_page

ROSTER = (
    "Student ID,First Name,Last Name,Preferred Name,Student Email,Grade,Enrollment Status,"
    "Withdrawal Date\n"
    "104233,Liam,Doherty,,ldoherty31@students.milton.k12.example.org,7,Active,\n"
    "102486,Isabela,Mendes,Izzy,imendes28@students.milton.k12.example.org,10,Active,\n"
)


def forward(
    subject: str,
    body: str,
    parent: str = "Pat Rivera <pat.rivera@gmail.example>",
    date: str = "Tue, 14 Oct 2025 07:52:11 -0400",
    forwarder: str = "Coach Byrne <kbyrne@milton.k12.example.org>",
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> bytes:
    """A teacher's forward of a parent's message, attached with its real headers."""
    inner = EmailMessage()
    inner["From"] = parent
    inner["To"] = "kbyrne.coach@gmail.example"
    inner["Subject"] = subject
    inner["Date"] = date
    inner.set_content(body)
    for name, ctype, data in attachments or []:
        main, sub = ctype.split("/")
        inner.add_attachment(data, maintype=main, subtype=sub, filename=name)
    outer = EmailMessage()
    outer["From"] = forwarder
    outer["To"] = "records-archive@milton.k12.example.org"
    outer["Subject"] = f"Fwd: {subject}"
    outer["Date"] = "Wed, 15 Oct 2025 08:00:00 -0400"
    outer.set_content("Forwarding for the record.")
    outer.add_attachment(inner)
    return outer.as_bytes()


def import_all(archive: Archive, folder: Path, messages: dict[str, bytes]) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in messages.items():
        (folder / f"{name}.eml").write_bytes(raw)
    doc = archive.ok("import", "--json", str(folder)).json()
    return {Path(i["path"]).stem: i["id"] for i in doc["items"]}


def found(archive: Archive, *args: str) -> set[str]:
    doc = archive.ok("search", "--json", "--limit", "1000", *args).json()
    assert doc["total"] == len(doc["results"])
    return {r["id"] for r in doc["results"]}


@pytest.fixture
def officer_archive(archive: Archive, tmp_path: Path) -> tuple[Archive, dict[str, str]]:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    archive.ok("students", "import", str(roster))
    ids = import_all(
        archive,
        tmp_path / "in",
        {
            "trip": forward(
                "Field trip permission",
                "Liam Doherty can go on the field trip to the aquarium on Friday.",
                date="Mon, 02 Mar 2026 09:00:00 -0500",
            ),
            "practice": forward(
                "Practice schedule",
                "Izzy Mendes will miss practice; the trip to the field is cancelled.",
                parent="Ana Mendes <ana.mendes@yahoo.example>",
                date="Fri, 15 May 2026 17:30:00 -0400",
            ),
            "menu": forward(
                "Lunch menu",
                "Pizza on Friday. Field day is next week.",
                parent="Cafeteria <cafe@milton.k12.example.org>",
                forwarder="Ms. Ruiz <mruiz@milton.k12.example.org>",
                date="Thu, 10 Sep 2025 12:00:00 -0400",
                attachments=[("menu.pdf", "application/pdf", make_pdf(text_page("Tacos Tuesday")))],
            ),
            "report": forward(
                "Progress report",
                "See the attached report.",
                date="Wed, 04 Feb 2026 10:00:00 -0500",
                attachments=[
                    (
                        "report.docx",
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        make_docx(),
                    )
                ],
            ),
        },
    )
    return archive, ids


def test_words_phrases_and_excluded_words(officer_archive: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = officer_archive
    assert found(archive, "field") == {ids["trip"], ids["practice"], ids["menu"]}
    assert found(archive, "field", "friday") == {ids["trip"], ids["menu"]}  # every word
    assert found(archive, '"field trip"') == {ids["trip"]}  # not "trip to the field"
    assert found(archive, "field trip") == {ids["trip"]}  # the shell kept the phrase whole
    assert found(archive, "field", "-friday") == {ids["practice"]}
    assert found(archive, "FIELD", "Aquárium") == {ids["trip"]}  # case and accents folded
    assert found(archive, "practice", "schedule") == {ids["practice"]}  # subject words
    assert found(archive, "nothing-like-this") == set()


def test_attachment_text_of_pdf_and_docx_is_searchable(
    officer_archive: tuple[Archive, dict[str, str]],
) -> None:
    archive, ids = officer_archive
    assert found(archive, "tacos") == {ids["menu"]}  # inside menu.pdf
    assert found(archive, '"charlie cell two"') == {ids["report"]}  # a table in report.docx
    assert found(archive, "menu.pdf") == {ids["menu"]}  # the file's name
    assert found(archive, "--has-attachment") == {ids["menu"], ids["report"]}
    assert found(archive, "--no-attachment", "friday") == {ids["trip"]}


def test_results_say_when_words_matched_only_in_an_attachments_text(
    officer_archive: tuple[Archive, dict[str, str]],
) -> None:
    archive, ids = officer_archive
    [tacos] = archive.ok("search", "--json", "tacos").json()["results"]
    assert tacos["id"] == ids["menu"] and tacos["matched_in"] == ["menu.pdf"]
    [both] = archive.ok("search", "--json", "tacos", "pizza").json()["results"]
    assert both["matched_in"] == ["menu.pdf"]  # pizza is in the body, tacos only in the PDF
    [phrase] = archive.ok("search", "--json", '"charlie cell two"').json()["results"]
    assert phrase["matched_in"] == ["report.docx"]
    [pdf_phrase] = archive.ok("search", "--json", '"tacos tuesday"', "friday").json()["results"]
    assert pdf_phrase["matched_in"] == ["menu.pdf"]  # the word is in the body, not the phrase
    elsewhere = (["pizza"], ['"pizza on friday"', "field"], ["menu.pdf"], ["--has-attachment"])
    for words in elsewhere:  # found elsewhere, or no words
        assert all(
            r["matched_in"] == [] for r in archive.ok("search", "--json", *words).json()["results"]
        )
    text = archive.ok("search", "tacos").text
    assert "Lunch menu" in text and "matched in: menu.pdf" in text
    assert "matched in" not in archive.ok("search", "pizza").text


def test_quarantined_results_show_archived_day_size_and_reason(
    archive: Archive, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\x00\x01\x02 this is not mail at all\n\x00\xff" * 50)
    rid = archive.ok("import", "--json", str(junk)).json()["items"][0]["id"]
    [entry] = archive.ok("search", "--json", "--status", "quarantined").json()["results"]
    assert entry["id"] == rid and entry["date"] is None and entry["from"] is None
    assert (entry["quarantine"], entry["size"]) == ("no_headers", len(junk.read_bytes()))
    archived = datetime.fromisoformat(entry["archived_at"])
    [line] = [
        ln
        for ln in archive.ok("search", "--status", "quarantined").text.splitlines()
        if rid[:12] in ln
    ]
    day = date.fromisoformat(line[:10])  # the archived day, in the district's time zone
    assert abs(day - archived.date()) <= timedelta(days=1)
    assert "quarantined: no_headers, 1.5 KB" in line
    assert "?" not in line


def test_filters(officer_archive: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = officer_archive
    assert found(archive, "--from", "ana.mendes@yahoo.example") == {ids["practice"]}
    assert found(archive, "--from", "@yahoo.example") == {ids["practice"]}
    assert found(archive, "--from", "Pat Rivera") == {ids["trip"], ids["report"]}
    assert found(archive, "--to", "kbyrne.coach@gmail.example", "pizza") == {ids["menu"]}
    assert found(archive, "--forwarder", "mruiz@milton.k12.example.org") == {ids["menu"]}
    assert found(archive, "--participant", "Ruiz") == {ids["menu"]}
    assert found(archive, "--student", "104233") == {ids["trip"]}
    assert found(archive, "--student", "102486", "practice") == {ids["practice"]}
    assert found(archive, "--since", "2026-01-01", "--until", "2026-03-02") == {
        ids["trip"],
        ids["report"],
    }
    assert found(archive, "--until", "2025-12-31") == {ids["menu"]}
    assert found(archive, "--status", "active", "field") == {
        ids["trip"],
        ids["practice"],
        ids["menu"],
    }
    assert found(archive, "--status", "quarantined") == set()


@pytest.fixture
def on_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server runs on UTC, as servers often do."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("on_utc")
def test_days_are_the_districts_days_whatever_the_servers_zone(
    archive: Archive, tmp_path: Path
) -> None:
    """A message sent Friday Oct 31, 11:21 PM in Boston is Oct 31's (November's in UTC)."""
    ids = import_all(
        archive,
        tmp_path / "in",
        {
            "late": forward(
                "Bus late", "The bus was late.", date="Fri, 31 Oct 2025 23:21:00 -0400"
            ),
            "next": forward("Bus again", "The bus again.", date="Sat, 01 Nov 2025 08:00:00 -0400"),
        },
    )
    assert found(archive, "--until", "2025-10-31") == {ids["late"]}
    assert found(archive, "--since", "2025-10-31", "--until", "2025-10-31") == {ids["late"]}
    assert found(archive, "--since", "2025-11-01") == {ids["next"]}
    assert found(archive, "bus", "--until", "2025-10-31") == {ids["late"]}  # with words too
    lines = archive.ok("search", "bus").out.decode().splitlines()
    assert lines[0].startswith(f"2025-11-01  {ids['next'][:12]}")
    assert lines[1].startswith(f"2025-10-31  {ids['late'][:12]}")
    # JSON keeps the instant in UTC.
    doc = archive.ok("search", "--json", "bus").json()
    assert doc["results"][1]["date"] == "2025-11-01T03:21:00+00:00"
    # Another district's days are its own: in Los Angeles it was 8:21 PM on Oct 31.
    (archive.root / "archiver.toml").write_text(
        archive.config.read_text().replace(
            "[archive]\n", '[archive]\ntimezone = "America/Los_Angeles"\n'
        )
    )
    assert found(archive, "--since", "2025-11-01") == {ids["next"]}
    assert found(archive, "--until", "2025-10-31") == {ids["late"]}


def test_json_shape_order_paging_and_text_output(
    officer_archive: tuple[Archive, dict[str, str]],
) -> None:
    archive, ids = officer_archive
    doc = archive.ok("search", "--json", "--limit", "2", "field").json()
    assert doc["total"] == 3 and doc["unindexed"] == 0
    first = doc["results"][0]
    assert first["id"] == ids["practice"]  # newest first, by the original's date
    assert first["date"].startswith("2026-05-15")
    assert first["subject"] == "Practice schedule"
    assert first["from"] == {"name": "Ana Mendes", "address": "ana.mendes@yahoo.example"}
    assert first["forwarder"]["address"] == "kbyrne@milton.k12.example.org"
    assert first["students"] == [{"id": "102486", "name": "Izzy Mendes", "source": "name"}]
    assert [r["id"] for r in doc["results"]] == [ids["practice"], ids["trip"]]
    rest = archive.ok("search", "--json", "--offset", "2", "field").json()
    assert [r["id"] for r in rest["results"]] == [ids["menu"]]
    shown = archive.ok("search", "field trip").text
    assert "Field trip permission" in shown and "[Liam Doherty]" in shown
    assert "1-1 of 1 records" in shown


def test_bad_searches_are_usage_errors(officer_archive: tuple[Archive, dict[str, str]]) -> None:
    archive, _ = officer_archive
    for args, message in (
        ((), "give words to search for"),
        (("--student", "999999"), "no student with that id"),
        (("--since", "2026-05-01", "--until", "2026-01-01"), "is after"),
        (("--since", "May 1"), "'--since': 'May 1'"),
        (("--from", "!!!"), "--from"),
        (tuple(f"w{i}" for i in range(70)), "too many words"),
        (("--limit", "20000", "x"), "--limit"),
    ):
        result = archive.cli("search", *args)
        assert result.code == 2, (args, result.err)
        assert message in result.err, (args, result.err)


def test_every_search_is_audited_without_its_words(
    officer_archive: tuple[Archive, dict[str, str]],
) -> None:
    archive, ids = officer_archive
    archive.ok("search", "aquarium", "--student", "104233")
    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        row = conn.execute(
            select(audit_event.c.details)
            .where(audit_event.c.action == "search")
            .order_by(audit_event.c.seq.desc())
        ).first()
    engine.dispose()
    assert row is not None
    details = json.loads(row[0])
    assert details == {"filters": ["student", "words"], "records": [ids["trip"]], "total": 1}
    assert "aquarium" not in row[0] and "104233" not in row[0]
    archive.ok("audit", "verify")


def held_postings(url: str) -> set[tuple[int, int]]:
    """Every (term, document) the index holds, in whichever form."""
    engine = create_engine(url)
    with engine.connect() as conn:
        found = postings.bitmaps(
            conn,
            list(
                conn.execute(
                    select(search_term.c.term).union(select(search_packed.c.term))
                ).scalars()
            ),
            postings.last_seq(conn),
        )
    engine.dispose()
    return {(t, s) for t, blocks in found.items() for s in postings.seqs_of(blocks)}


def _counts(url: str) -> tuple[int, int]:
    """Index entries, and postings (however many rows hold them)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        docs = conn.execute(select(func.count()).select_from(search_doc)).scalar_one()
    engine.dispose()
    return int(docs), len(held_postings(url))


def test_deleting_a_record_deletes_its_index_entries(
    officer_archive: tuple[Archive, dict[str, str]],
) -> None:
    archive, ids = officer_archive
    docs, terms = _counts(archive.database_url)
    assert docs == 4 and terms > 100
    store = Store.open(archive.database_url)
    try:
        with store.transaction() as tx:
            tx.delete_record(ids["trip"])
    finally:
        store.close()
    assert found(archive, "aquarium") == set()
    left_docs, left_terms = _counts(archive.database_url)
    assert left_docs == 3
    # Only the deleted record's postings went: reindexing the rest gives the same count.
    archive.ok("reindex", "--all")
    assert _counts(archive.database_url) == (3, left_terms)
    assert left_terms < terms


def _drop_index(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in (search_term, search_packed, search_live, search_doc):
            conn.execute(table.delete())
        conn.execute(text("UPDATE search_state SET packed_blocks = 0"))
        conn.execute(text("UPDATE search_state SET complete = :no"), {"no": False})
    engine.dispose()


def test_reindex_rebuilds_an_empty_index_and_resumes_after_an_interruption(
    officer_archive: tuple[Archive, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    archive, ids = officer_archive
    before = _counts(archive.database_url)
    index = archive.ok("status", "--json").json()["search_index"]
    assert (index["complete"], index["unindexed"]) == (True, 0)
    _drop_index(archive.database_url)
    status = archive.ok("status")
    assert "search index: 4 records not indexed: run `archiver reindex`" in status.text
    result = archive.ok("search", "--json", "aquarium")
    assert result.json()["total"] == 0 and result.json()["unindexed"] == 4
    assert "4 records are not in the search index" in result.err

    monkeypatch.setattr(search_service, "REINDEX_PAGE", 1)
    pages = 0

    def interrupt(done: int) -> None:
        nonlocal pages
        pages += 1
        if pages == 2:
            raise KeyboardInterrupt

    store = Store.open(archive.database_url)
    try:
        ring = load_keyring(store, archive.keys_dir)
        with pytest.raises(KeyboardInterrupt):
            search_service.reindex_all(store, ring, progress=interrupt)
    finally:
        store.close()
    assert _counts(archive.database_url)[0] == 2  # two pages committed before the interruption
    doc = archive.ok("reindex", "--json").json()
    assert doc == {
        "indexed": 2,
        "failed": [],
        "remaining": 0,
        "students_resealed": 0,
        "repair": None,
    }
    assert _counts(archive.database_url) == before
    after = archive.ok("search", "--json", "aquarium")
    assert {r["id"] for r in after.json()["results"]} == {ids["trip"]}
    assert after.json()["unindexed"] == 0 and after.err == ""
    assert archive.ok("reindex", "--json").json()["indexed"] == 0  # nothing stale is left


@pytest.mark.timeout(30)  # takes ~2 s: the 2 s attachment timeout, and no more
def test_hostile_attachment_cannot_hang_ingest(archive: Archive, tmp_path: Path) -> None:
    (archive.root / "archiver.toml").write_text(
        archive.config.read_text() + "\n[ingest]\nattachment_text_timeout = 2\n"
    )
    ids = import_all(
        archive,
        tmp_path / "in",
        {
            "slow": forward(
                "Slow file",
                "A document that takes PDFium minutes.",
                attachments=[("slow.pdf", "application/pdf", slow_pdf())],
            )
        },
    )
    assert found(archive, "pdfium") == {ids["slow"]}  # archived and searchable by its body
    view: dict[str, Any] = archive.ok("show", "--json", ids["slow"]).json()
    assert view["original"]["subject"] == "Slow file"
    [attached] = view["chain"][0]["attachments"]
    assert (attached["filename"], attached["text"]) == ("slow.pdf", "timeout")  # given up on


@pytest.mark.timeout(60)  # takes ~7 s: twice (import, rederive) the 3 s budget
def test_a_message_full_of_slow_attachments_spends_its_budget_and_says_so(
    archive: Archive, tmp_path: Path
) -> None:
    """Four PDFs that each take PDFium minutes: with 2 s an attachment and 3 s a message, the
    first times out, the second times out or is not read (depending on how long the reader
    took to start), the rest are not read, and `show` says which and why."""
    (archive.root / "archiver.toml").write_text(
        archive.config.read_text()
        + "\n[ingest]\nattachment_text_timeout = 2\nattachment_text_budget = 3\n"
    )
    slow = slow_pdf()
    pdfs = [(f"slow{i}.pdf", "application/pdf", slow + bytes([i])) for i in range(4)]
    ids = import_all(
        archive,
        tmp_path / "in",
        {
            "slow": forward(
                "Slow files", "Four documents that take PDFium minutes.", attachments=pdfs
            )
        },
    )
    assert found(archive, "pdfium") == {ids["slow"]}
    view = archive.ok("show", "--json", ids["slow"]).json()
    attached = view["chain"][0]["attachments"]
    assert [a["filename"] for a in attached] == [f"slow{i}.pdf" for i in range(4)]
    statuses = [a["text"] for a in attached]
    assert statuses[0] == "timeout" and statuses[1] in ("timeout", "skipped")
    assert statuses[2:] == ["skipped", "skipped"]
    skipped = attached[3]
    assert "3 s for attachment text was spent" in skipped["text_problem"]
    shown = archive.ok("show", ids["slow"]).text
    assert "Unread:   slow0.pdf: its text cannot be searched: reading it took too long" in shown
    assert "Unread:   slow3.pdf: its text cannot be searched: not read" in shown
    # `rederive` reads them again under the same budget, and says the same.
    archive.ok("rederive")
    again = archive.ok("show", "--json", ids["slow"]).json()["chain"][0]["attachments"]
    assert [a["text"] for a in again][2:] == ["skipped", "skipped"]


def test_index_key_rotation_reseals_students_and_rebuilds_the_index(
    officer_archive: tuple[Archive, dict[str, str]],
) -> None:
    archive, ids = officer_archive
    before = _counts(archive.database_url)
    result = archive.ok("keys", "rotate", "--index")
    assert "sealed 2 students and indexed 4 records" in result.text
    keys = archive.ok("keys", "list", "--json").json()["keys"]
    assert [k["state"] for k in keys if k["kind"] == "index"] == ["retired", "current"]
    assert _counts(archive.database_url) == before  # the same postings, under the new key
    assert found(archive, '"field trip"') == {ids["trip"]}
    assert found(archive, "--student", "102486") == {ids["practice"]}
    assert archive.ok("search", "--json", "tacos").json()["unindexed"] == 0
    archive.ok("audit", "verify")  # events before and after the rotation


def test_filters_find_records_the_index_lacks(
    officer_archive: tuple[Archive, dict[str, str]],
) -> None:
    archive, ids = officer_archive
    _drop_index(archive.database_url)
    assert found(archive, "--student", "104233") == {ids["trip"]}
    assert found(archive, "--since", "2026-05-01") == {ids["practice"]}
    assert found(archive, "aquarium") == set()  # words need the index


def test_upgrading_an_archive_with_records_asks_for_reindex(
    officer_archive: tuple[Archive, dict[str, str]],
) -> None:
    archive, ids = officer_archive
    engine = make_engine(archive.database_url)
    try:
        schema.downgrade(engine, "0003")  # as the archive was before search existed
    finally:
        engine.dispose()
    archive.ok("db", "upgrade")
    before = archive.ok("search", "--json", "aquarium")
    assert before.json()["unindexed"] == 4 and "archiver reindex" in before.err
    assert archive.ok("reindex", "--json").json()["indexed"] == 4
    assert found(archive, "aquarium") == {ids["trip"]}


def test_rederive_replaces_index_entries_in_place(
    officer_archive: tuple[Archive, dict[str, str]],
) -> None:
    archive, ids = officer_archive
    before = _counts(archive.database_url)
    archive.ok("rederive")
    assert _counts(archive.database_url) == before
    assert found(archive, '"field trip"', "--since", "2026-03-02") == {ids["trip"]}
    assert found(archive, "tacos") == {ids["menu"]}
    assert archive.ok("search", "--json", "aquarium").json()["unindexed"] == 0
