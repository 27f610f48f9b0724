"""Disposition batches (issue 15): plan, show, approve, execute, the tombstones and the signed
certificate, on a small archive whose clock is moved forward; both databases."""

from __future__ import annotations

import hashlib
import io
import json
import random
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import corpus
import pypdf
import pytest
from sqlalchemy import create_engine, delete, func, insert, select, update

from archiver.app import App
from archiver.archive.keys import signing_keys
from archiver.clock import FixedClock
from archiver.crypto import signing
from archiver.errors import IntegrityError
from archiver.records import certificate, disposition
from archiver.store.tables import (
    arrival,
    disposition_record,
    record,
    retention,
    sealed_part,
    search_doc,
    tombstone,
)
from tests.conftest import Archive, make_archive
from tests.integration.conftest import kill_at_a_random_point
from tests.integration.test_imap_collect import forward
from tests.integration.test_reconcile import deliver, maildir_archive, record_of
from tests.integration.test_retention import (
    fixed_clock,
    import_one,
    message,
    noon,
    one_line,
    roster,
    search_ids,
)

OFFICER = '[requests]\ndistrict_name = "Milton Public Schools"\n'
PLANNER = ("--actor", "Rita Alvarez")
APPROVER = ("--actor", "Dana Reyes")
RUNNER = ("--actor", "Sam IT")


@pytest.fixture
def archive(tmp_path: Path, database_url: str) -> Archive:
    return make_archive(tmp_path / "archive", database_url, OFFICER)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    return fixed_clock(monkeypatch, noon("2026-03-10"))


def corr_gen(archive: Archive, n: int, words: str = "") -> str:
    """A record of general correspondence sent in 2025: kept until 2027-12-31."""
    return import_one(archive, message(f"Field trip {n}", f"Bus schedule {n}. {words}", n=n))


def batch_json(archive: Archive, number: str) -> dict[str, Any]:
    doc = archive.ok("dispose", "show", "--json", number).json()
    assert isinstance(doc, dict)
    return doc


def events(archive: Archive, action: str) -> list[dict[str, Any]]:
    doc = archive.ok("audit", "log", "--json", "--action", action).json()
    return [e for e in doc["events"] if e["action"] == action]


def test_plan_show_approve_execute_end_to_end(
    archive: Archive, clock: FixedClock, tmp_path: Path
) -> None:
    roster(archive, {"104233": "2026-06-30"})
    plain = [corr_gen(archive, n, "zebra") for n in range(3)]
    held = corr_gen(archive, 10)
    requested = corr_gen(archive, 11)
    reclassified = corr_gen(archive, 12)
    student = import_one(archive, message("Meeting", "Liam Doherty met the counselor.", n=20))
    sizes = {
        rid: archive.ok("show", "--json", rid).json()["size"]
        for rid in [*plain, held, requested, reclassified]
    }
    assert search_ids(archive, "zebra") == set(plain)

    clock.at = noon("2027-06-01")
    assert archive.ok("dispose", "plan", "--json", *PLANNER).json() == {
        "batch": None,
        "records": 0,
    }  # nothing has passed yet: no batch
    clock.at = noon("2028-01-10")
    planned = archive.ok("dispose", "plan", "--json", *PLANNER).json()
    assert planned == {"batch": "D-2028-001", "records": 6}  # not the student's record
    number = planned["batch"]
    doc = batch_json(archive, number)
    assert doc["state"] == "planned" and doc["planned_by"] == "Rita Alvarez"
    [series] = doc["series"]
    assert series["code"] == "CORR-GEN" and series["approval"] == "rmu-2"
    assert series["citation"].startswith("MRRS") and series["records"] == 6
    assert series["bytes"] == sum(sizes.values())
    assert series["sent"]["first"].startswith("2025-10-14")
    assert doc["certification"]["nothing_pending"] is True
    rmu2 = archive.ok("dispose", "show", "--rmu2", number).text
    assert "Milton Public Schools" in rmu2 and "CORR-GEN" in rmu2
    assert "not subject to a pending audit, investigation, litigation" in rmu2
    # Another plan finds nothing: the records are in this batch.
    assert archive.ok("dispose", "plan", "--json", *PLANNER).json()["records"] == 0

    # Between planning and execution: a hold, a request, a new series.
    archive.ok("hold", "create", "Doe v. District", "--record", held, "--reason", "demand")
    request = archive.ok(
        "request", "open", "--kind", "public", "--requester", "Jo Reporter", "--json"
    ).json()["number"]
    archive.ok("request", "add", request, requested)
    archive.ok("retention", "set", reclassified, "PERS", "--reason", "a personnel matter")
    warned = archive.ok("dispose", "show", number)
    assert "1 records are now under a legal hold and 1 kept by a request" in warned.err
    assert "NOT possible" in archive.ok("dispose", "show", "--rmu2", number).text

    # Approval: not by the planner, and not without the permit RMU-2 asks for.
    early = archive.cli("dispose", "execute", number, *RUNNER)
    assert early.code == 2 and "not approved yet" in one_line(early.err)
    same = archive.cli("dispose", "approve", number, "--permit", "RMU-2028-17", *PLANNER)
    assert same.code == 2 and "another person must approve it" in one_line(same.err)
    bare = archive.cli("dispose", "approve", number, *APPROVER)
    assert bare.code == 2 and "RMU-2" in one_line(bare.err) and "--permit" in bare.err
    archive.ok("dispose", "approve", number, "--permit", "RMU-2028-17", *APPROVER)
    again = archive.cli("dispose", "approve", number, "--permit", "X", *APPROVER)
    assert again.code == 2 and "approved already, by Dana Reyes" in one_line(again.err)

    out = tmp_path / "certificate.json"
    result = archive.ok("dispose", "execute", number, "--json", "--out", str(out), *RUNNER).json()
    assert result["batch"] == number and result["destroyed"] == 3
    assert result["certificate"] == str(out)
    skipped = {s["id"]: s["reason"] for s in result["skipped"]}
    assert skipped == {held: "hold", requested: "request", reclassified: "retention"}

    # What a person sees of a destroyed record: its tombstone.
    gone = plain[0]
    text = archive.ok("show", gone)
    assert "destroyed" in text.text and number in text.text and "SHA-256" in text.text
    stone = archive.ok("show", "--json", gone).json()
    assert stone["status"] == "destroyed" and stone["batch"] == number
    assert stone["id"] == gone and len(stone["sha256"]) == 64 and stone["destroyed_at"]
    raw = archive.cli("show", "--raw", gone)
    assert raw.code == 2 and raw.out == b"" and "destroyed" in one_line(raw.err)
    for rid in (held, requested, reclassified, student):
        assert archive.ok("show", "--json", rid).json()["status"] == "active"
    assert search_ids(archive, "zebra") == set()
    assert not set(plain) & search_ids(archive, "--since", "2025-01-01")
    refused = archive.cli("hold", "add", "Doe v. District", gone, "--reason", "too late")
    assert refused.code == 2 and "destroyed" in one_line(refused.err)

    verified = archive.ok("verify", "--json").json()
    assert verified["failed"] == [] and verified["destroyed"] == 3
    assert verified["checked"] == 4  # the records left
    assert archive.ok("audit", "verify", "--json").json()["ok"]
    report = {s["code"]: s for s in archive.ok("retention", "report", "--json").json()["series"]}
    assert report["CORR-GEN"]["records"] == 2  # the held and the requested ones are left

    # Run again: nothing more happens.
    before = len(events(archive, "dispose.execute"))
    rerun = archive.ok("dispose", "execute", number, "--json", *RUNNER).json()
    assert rerun["destroyed"] == 3 and rerun["already_executed"] is True
    assert rerun["certificate_sha256"] == result["certificate_sha256"]
    assert len(events(archive, "dispose.execute")) == before

    # The certificate: signed by the archive's signing key, over its exact bytes.
    data = out.read_bytes()
    signature = Path(str(out) + ".sig").read_bytes()
    public = signing.read_public_pem(Path(str(out) + ".pub").read_bytes(), "pub")
    app = App.from_config(archive.config)
    known, _ = signing_keys(app.store, archive.keys_dir)
    app.close()
    cert = json.loads(data)
    assert known[cert["signing_key"]["id"]] == public
    assert signing.valid(public, signature, data)
    assert not signing.valid(public, signature, data.replace(b"Dana Reyes", b"Dana Reyez"))
    assert cert["batch"] == number and cert["method"] == "cryptographic erasure"
    assert cert["planned"]["by"] == "Rita Alvarez" and cert["approved"]["by"] == "Dana Reyes"
    assert cert["approved"]["permit"] == "RMU-2028-17"
    assert cert["counts"] == {
        "planned": 6,
        "destroyed": 3,
        "skipped": 3,
        "bytes": sum(sizes[r] for r in plain),
    }
    # The tombstones: a listing beside it, one a line, named by its count and SHA-256.
    listing = (tmp_path / "certificate.tombstones.jsonl").read_bytes()
    assert cert["tombstones"]["count"] == 3
    assert cert["tombstones"]["sha256"] == hashlib.sha256(listing).hexdigest()
    stones = [json.loads(line) for line in listing.splitlines()]
    assert [t["id"] for t in stones] == sorted(plain)
    assert {t["id"]: t["sha256"] for t in stones} == {
        rid: archive.ok("show", "--json", rid).json()["sha256"] for rid in plain
    }
    assert archive.ok("dispose", "certificate", number, "--tombstones").out == listing
    assert {s["id"] for s in cert["skipped"]} == set(skipped)
    assert archive.ok("dispose", "certificate", "--json", number).out == data
    summary = archive.ok("dispose", "certificate", number).text
    assert hashlib.sha256(listing).hexdigest() in summary and "Dana Reyes" in summary
    pdf = tmp_path / "certificate.pdf"
    archive.ok("dispose", "certificate", number, "--out", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    embedded = pypdf.PdfReader(pdf).attachments
    assert embedded["certificate.json"] == [data] and embedded["tombstones.jsonl"] == [listing]
    exists = archive.cli("dispose", "certificate", number, "--out", str(pdf))
    assert exists.code == 2 and "exists" in one_line(exists.err)
    # As the web application hands it out: the same files, zipped.
    app = App.from_config(archive.config)
    zipped = io.BytesIO()
    cert_files = certificate.write_zip(app.disposal().certificate(number, "test"), zipped, "c")
    assert cert_files == ["c.json", "c.json.sig", "c.json.pub", "c.tombstones.jsonl"]
    with zipfile.ZipFile(zipped) as z:
        assert [z.read(n) for n in cert_files] == [
            data,
            signature,
            Path(str(out) + ".pub").read_bytes(),
            listing,
        ]

    # Every step is in the audit log, under the person who took it.
    who = {e["action"]: e["actor"] for e in archive.ok("audit", "log", "--json").json()["events"]}
    assert who["dispose.plan"] == "Rita Alvarez" and who["dispose.approve"] == "Dana Reyes"
    assert who["dispose.execute"] == "Sam IT"
    [executed] = events(archive, "dispose.execute")
    assert executed["details"]["destroyed"] == 3 and executed["details"]["skipped"] == 3
    assert events(archive, "dispose.certificate")
    # The keys still rotate: destroyed records have no data key to re-wrap.
    archive.ok("keys", "rotate")
    assert archive.ok("verify", "--json").json()["failed"] == []

    # A tombstone deleted outside the archiver: the certificate no longer matches, and says so.
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:
        conn.execute(delete(tombstone).where(tombstone.c.record_id == plain[0]))
    engine.dispose()
    for args in ((), ("--tombstones",), ("--out", str(tmp_path / "again.json"))):
        broken = archive.cli("dispose", "certificate", number, *args)
        assert broken.code == 3 and "not the 3 its certificate names" in one_line(broken.err)
    assert not list(tmp_path.glob("again*"))
    with pytest.raises(IntegrityError, match="not the 3 its certificate names"):
        certificate.write_zip(app.disposal().certificate(number, "test"), io.BytesIO(), "c")
    app.close()


def test_verify_catches_what_was_put_back_of_a_destroyed_record(
    archive: Archive, clock: FixedClock
) -> None:
    rid = corr_gen(archive, 1)
    clock.at = noon("2028-01-10")
    number = archive.ok("dispose", "plan", "--json", *PLANNER).json()["batch"]
    archive.ok("dispose", "approve", number, "--permit", "P-1", *APPROVER)
    archive.ok("dispose", "execute", number, *RUNNER)
    assert archive.ok("verify").code == 0
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:
        conn.execute(insert(sealed_part).values(record_id=rid, part="raw", data=b"\x01" * 40))
    engine.dispose()
    found = archive.cli("verify", "--json")
    assert found.code == 3
    [failed] = found.json()["failed"]
    assert failed["id"] == rid and "sealed parts" in failed["error"]


def test_review_series_only_when_named_and_batches_do_not_share_records(
    archive: Archive, clock: FixedClock
) -> None:
    transitory = corr_gen(archive, 1)
    archive.ok("retention", "set", transitory, "CORR-TRN", "--reason", "an announcement")
    general = corr_gen(archive, 2)
    clock.at = noon("2028-01-10")
    first = archive.ok("dispose", "plan", "--json", *PLANNER).json()
    assert first["records"] == 1
    assert batch_json(archive, first["batch"])["series"][0]["code"] == "CORR-GEN"
    review = archive.ok("dispose", "plan", "--series", "CORR-TRN", "--json", *PLANNER).json()
    assert review == {"batch": "D-2028-002", "records": 1}
    permanent = archive.cli("dispose", "plan", "--series", "SC-MIN", *PLANNER)
    assert permanent.code == 2 and "permanently" in one_line(permanent.err)
    unknown = archive.cli("dispose", "plan", "--series", "NOPE", *PLANNER)
    assert unknown.code == 2 and "not in the schedule" in one_line(unknown.err)
    # Cancelled, a batch lets its records go into another.
    archive.ok("dispose", "cancel", first["batch"], "--reason", "permit refused", *APPROVER)
    third = archive.ok("dispose", "plan", "--json", *PLANNER).json()
    assert third == {"batch": "D-2028-003", "records": 1}
    listed = archive.ok("dispose", "list", "--json").json()["batches"]
    assert [(b["batch"], b["state"]) for b in listed] == [
        ("D-2028-003", "planned"),
        ("D-2028-002", "planned"),
        ("D-2028-001", "cancelled"),
    ]
    assert general and transitory
    bad = archive.cli("dispose", "show", "D-28-1")
    assert bad.code == 2 and "not a batch number" in one_line(bad.err)
    missing = archive.cli("dispose", "show", "D-2028-009")
    assert missing.code == 2 and "no disposition batch D-2028-009" in one_line(missing.err)


def test_a_batch_planned_ahead_waits_for_its_day_and_one_person_may_do_all_if_configured(
    tmp_path: Path, database_url: str, clock: FixedClock
) -> None:
    extra = OFFICER + "\n[disposition]\nrequire_second_person = false\n"
    archive = make_archive(tmp_path / "archive", database_url, extra)
    corr_gen(archive, 1)
    clock.at = noon("2027-06-01")
    number = archive.ok("dispose", "plan", "--by", "2028-01-01", "--json", *PLANNER).json()
    assert number["records"] == 1
    none_yet = archive.cli("dispose", "certificate", number["batch"])
    assert none_yet.code == 2 and "made when it is executed" in one_line(none_yet.err)
    archive.ok("dispose", "approve", number["batch"], "--permit", "P-9", *PLANNER)
    early = archive.cli("dispose", "execute", number["batch"], *PLANNER)
    assert early.code == 2 and "on or after that day" in one_line(early.err)
    clock.at = noon("2028-01-02")
    done = archive.ok("dispose", "execute", number["batch"], "--json", *PLANNER).json()
    assert done["destroyed"] == 1
    late = archive.cli("dispose", "cancel", number["batch"], "--reason", "too late", *PLANNER)
    assert late.code == 2 and "cannot be cancelled" in one_line(late.err)
    wrong = archive.cli("dispose", "certificate", number["batch"], "--out", str(tmp_path / "c.txt"))
    assert wrong.code == 2 and "FILE.pdf or FILE.json" in one_line(wrong.err)


def test_status_and_report_flag_temporary_student_records_overdue(
    archive: Archive, clock: FixedClock
) -> None:
    roster(archive, {"104233": "2026-06-30"})
    rid = import_one(archive, message("Meeting", "Liam Doherty met the counselor.", n=1))
    clock.at = noon("2033-07-05")  # 7 years after the exit, and a few days
    status = archive.cli("status", "--json")
    assert status.json()["retention"]["overdue_destruction"] == 1
    text = archive.cli("status")
    assert "1 temporary student records are past the day" in text.err
    assert "past the day they must be destroyed by" in archive.ok("retention", "report").err
    number = archive.ok("dispose", "plan", "--json", *PLANNER).json()["batch"]
    assert archive.cli("status", "--json").json()["disposition"]["planned"] == 1
    archive.ok("dispose", "approve", number, "--permit", "P-2", *APPROVER)
    archive.ok("dispose", "execute", number, *RUNNER)
    assert archive.cli("status", "--json").json()["retention"]["overdue_destruction"] == 0
    assert archive.ok("show", "--json", rid).json()["status"] == "destroyed"
    # The tombstone's facts are authenticated: an edit is an integrity failure.
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:
        conn.execute(update(tombstone).values(series="CORR-GEN"))
    engine.dispose()
    shown = archive.cli("show", rid)
    assert shown.code == 3 and "its tombstone: series" in one_line(shown.err)
    assert archive.cli("verify").code == 3


# --- Killed while executing -------------------------------------------------------------------

KILL_MESSAGES = 1200  # about five transactions of records (CHUNK = 250)
EXECUTE_AT = "2030-01-15T17:00:00+00:00"  # every 2025-2026 message's CORR-GEN has passed
_RUN_AT = (
    "import sys; from datetime import datetime; from archiver.cli.context import Context; "
    "from archiver.clock import FixedClock; "
    "Context.clock = FixedClock(datetime.fromisoformat(sys.argv[1])); "
    "from archiver.cli.main import run; sys.exit(run(sys.argv[2:]))"
)


def _count(url: str, table: Any) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    engine.dispose()
    return n


def _halves(url: str, number: str) -> tuple[int, int, list[str]]:
    """How many of the batch's records are intact and how many destroyed, and every record
    that is neither (something of it destroyed, something not)."""
    engine = create_engine(url)
    intact = destroyed = 0
    half: list[str] = []
    with engine.connect() as conn:
        members = conn.execute(
            select(disposition_record.c.record_id, disposition_record.c.state).where(
                disposition_record.c.batch == number
            )
        ).all()
        status = dict(conn.execute(select(record.c.id, record.c.status)).all())
        keyed = {r for r, k in conn.execute(select(record.c.id, record.c.wrapped_key)) if k}
        parts = set(conn.execute(select(sealed_part.c.record_id)).scalars())
        stones = set(conn.execute(select(tombstone.c.record_id)).scalars())
        indexed = set(conn.execute(select(search_doc.c.record_id)).scalars())
        arrived = set(conn.execute(select(arrival.c.record_id)).scalars())
        classified = set(conn.execute(select(retention.c.record_id)).scalars())
    engine.dispose()
    for rid, state in members:
        alive = (
            status[rid] != "destroyed",
            rid in keyed,
            rid in parts,
            rid not in stones,
            rid in arrived,
            rid in classified,
            state == "planned",
        )
        if all(alive):
            intact += 1
        elif not any(alive) and rid not in indexed:
            destroyed += 1
        else:
            half.append(rid)
    return intact, destroyed, half


@pytest.mark.timeout(300)
def test_sigkill_while_executing_then_run_again_leaves_no_record_half_destroyed(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = tmp_path / "teachers.mbox"
    corpus.write_corpus(box, "mbox", KILL_MESSAGES, seed=11, target_bytes=None)
    archive.ok("import", str(box))
    fixed_clock(monkeypatch, datetime.fromisoformat(EXECUTE_AT))
    planned = archive.ok("dispose", "plan", "--json", *PLANNER).json()
    number, total = planned["batch"], planned["records"]
    assert total > 4 * 250  # more transactions than kills
    archive.ok("dispose", "approve", number, "--permit", "RMU-2030-1", *APPROVER)
    cmd = [
        sys.executable, "-c", _RUN_AT, EXECUTE_AT, "--config", str(archive.config),
        "dispose", "execute", number, *RUNNER,
    ]  # fmt: skip
    rng = random.Random(18)  # kills in start-up, after a transaction, in start-up, after one
    progress = {"tombstones": lambda: _count(archive.database_url, tombstone)}
    for _ in range(4):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kill_at_a_random_point(proc, progress, rng, most=250, start_up=2.0)
        intact, destroyed, half = _halves(archive.database_url, number)
        assert half == [] and intact + destroyed == total
    assert 0 < _count(archive.database_url, tombstone) < total  # the kills left work undone
    assert number in archive.ok("status", "--json").json()["disposition"]["executing"]

    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=240)
    assert done.returncode == 0, done.stderr
    intact, destroyed, half = _halves(archive.database_url, number)
    assert (intact, destroyed, half) == (0, total, [])
    shown = batch_json(archive, number)
    assert shown["state"] == "executed" and shown["counts"]["destroyed"] == total
    verified = archive.ok("verify", "--json").json()
    assert verified["failed"] == [] and verified["destroyed"] == total
    assert archive.ok("audit", "verify", "--json").json()["ok"]
    cert = json.loads(archive.ok("dispose", "certificate", "--json", number).out)
    assert cert["tombstones"]["count"] == total and cert["counts"]["destroyed"] == total
    listing = archive.ok("dispose", "certificate", number, "--tombstones").out
    assert len(listing.splitlines()) == total
    assert hashlib.sha256(listing).hexdigest() == cert["tombstones"]["sha256"]


# --- Copies outside the archive ---------------------------------------------------------------


@pytest.mark.timeout(120)
def test_execution_removes_the_filed_copy_of_a_destroyed_record_and_it_never_comes_back(
    tmp_path: Path, database_url: str, clock: FixedClock
) -> None:
    archive = maildir_archive(tmp_path, database_url, "drop")
    messages = [forward(1), forward(2)]
    filed = deliver(archive, "drop", messages)
    gone, kept = record_of(archive, messages[0]), record_of(archive, messages[1])
    archive.ok("hold", "create", "Audit", "--record", kept, "--reason", "state audit")
    clock.at = noon("2029-01-10")
    number = archive.ok("dispose", "plan", "--json", *PLANNER).json()["batch"]
    archive.ok("dispose", "approve", number, "--permit", "P-3", *APPROVER)
    archive.ok("dispose", "execute", number, *RUNNER)
    # Executing removed the filed copy (the kept record's stays), and says so.
    assert not filed[0].exists() and filed[1].exists()
    cert = json.loads(archive.ok("dispose", "certificate", number, "--json").text)
    cert = cert.get("certificate", cert)
    assert cert["source_copies"] == [{"source": "drop", "removed": 1, "pending": 0, "reason": None}]

    result = archive.cli("reconcile", "--json")
    assert result.code == 0, result.err
    [doc] = result.json()["sources"]
    assert (doc["destroyed_removed"], doc["present"], doc["reingested"]) == (0, 1, [])
    # The same bytes delivered again are known, and stay destroyed: nothing is archived.
    root = archive.root.parent / "mail" / "drop"
    (root / "new" / "again.drop.host").write_bytes(messages[0])
    polled = archive.ok("poll", "--json", "--source", "drop").json()["sources"][0]
    assert (polled["archived"], polled["duplicates"]) == (0, 1)
    assert archive.ok("show", "--json", gone).json()["status"] == "destroyed"
    assert archive.ok("verify", "--json").json()["failed"] == []


def test_a_copy_a_busy_source_still_holds_is_pending_until_its_next_poll(
    tmp_path: Path, database_url: str, clock: FixedClock
) -> None:
    from archiver.ingest.collect import Collector

    archive = maildir_archive(tmp_path, database_url, "drop")
    messages = [forward(1)]
    [filed] = deliver(archive, "drop", messages)
    clock.at = noon("2029-01-10")
    number = archive.ok("dispose", "plan", "--json", *PLANNER).json()["batch"]
    archive.ok("dispose", "approve", number, "--permit", "P-3", *APPROVER)
    app = App.from_config(archive.config, clock)
    [source] = app.settings.sources
    poller = Collector(app.settings, app.pipeline(workers=1))
    poller.owner = "another-host:4242"  # a poll running elsewhere holds the source
    with poller.leased(source):
        archive.ok("dispose", "execute", number, *RUNNER)
    assert filed.exists()  # the source was busy: its copy is still there, and known
    doc = json.loads(archive.ok("dispose", "certificate", number, "--json").text)
    [copies] = doc.get("certificate", doc)["source_copies"]
    assert (copies["source"], copies["removed"], copies["pending"]) == ("drop", 0, 1)
    assert copies["reason"]
    assert len(app.pending_copies().pending("drop")) == 1
    status = archive.cli("status", "--json")
    assert status.json()["disposition"]["copies_pending"] == {"drop": 1}
    told = archive.cli("status")
    assert "source drop still holds 1 copies of destroyed records" in told.err
    clock.at = noon("2029-01-11")  # later: the poll that held the source has ended
    polled = archive.cli("poll", "--json", "--source", "drop")  # its next cycle removes it
    assert polled.code == 0, polled.text
    assert not filed.exists()
    assert app.pending_copies().pending("drop") == {}
    assert archive.cli("status", "--json").json()["disposition"]["copies_pending"] == {}


def test_the_backup_proof_a_backup_made_before_execution_cannot_open_what_was_destroyed(
    archive: Archive, clock: FixedClock, tmp_path: Path
) -> None:
    """Issue 15's backup proof: copy the database (a backup) before `dispose execute`; after
    it, with the keys directory as it is now, the backup's destroyed records do not open
    (their cohort key is gone) while its other records do; in the live archive the record a
    hold kept, of the same cohort, still opens."""
    from tests.integration.test_cohorts import SENT_2026, backup_of, key_of

    gone = [corr_gen(archive, n) for n in range(2)]
    held = corr_gen(archive, 10)
    later = import_one(archive, message("Later", "Another year.", SENT_2026, 30))
    assert key_of(archive, gone[0]) == key_of(archive, held) != key_of(archive, later)
    doomed_key = key_of(archive, gone[0])
    clock.at = noon("2028-01-10")
    number = archive.ok("dispose", "plan", "--json", *PLANNER).json()["batch"]
    archive.ok("dispose", "approve", number, "--permit", "P-1", *APPROVER)
    archive.ok("hold", "create", "Doe v. District", "--record", held, "--reason", "demand")
    with backup_of(archive, tmp_path) as backup:
        done = archive.ok("dispose", "execute", "--json", number, *RUNNER).json()
        assert done["destroyed"] == 2
        cert = json.loads(archive.ok("dispose", "certificate", number, "--json").text)
        assert doomed_key in cert.get("certificate", cert)["keys_destroyed"]
        assert not list(archive.keys_dir.rglob(f"{doomed_key}.key"))  # its file is gone
        for rid in gone:
            assert backup.cli("show", "--raw", rid).code != 0, rid  # unreadable in the backup
        for rid in (held, later):
            assert backup.cli("show", "--raw", rid).code == 0, rid  # the rest still opens
        assert archive.cli("show", "--raw", held).code == 0  # re-wrapped before the key went
        assert key_of(archive, held) != doomed_key
    assert archive.ok("verify", "--json").json()["failed"] == []


def test_execute_pages_through_indexed_then_never_indexed_records(
    tmp_path: Path, database_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planned records are read a page at a time, those with a search document first (in its
    order), then those never indexed: with pages of two, every one of seven is destroyed."""
    extra = OFFICER + "\n[disposition]\nrequire_second_person = false\n"
    archive = make_archive(tmp_path / "archive", database_url, extra)
    ids = [corr_gen(archive, n) for n in range(7)]
    engine = create_engine(archive.database_url)
    with engine.begin() as conn:  # as if indexing had failed for three of them
        conn.execute(delete(search_doc).where(search_doc.c.record_id.in_(ids[1:4])))
    engine.dispose()
    clock.at = noon("2028-01-02")
    number = archive.ok("dispose", "plan", "--json", *PLANNER).json()["batch"]
    archive.ok("dispose", "approve", number, "--permit", "P-1", *PLANNER)
    monkeypatch.setattr(disposition, "PAGE", 2)
    seen: list[int] = []
    app = App.from_config(archive.config, clock)
    try:
        done = app.disposal().execute(number, "Sam IT", seen.append)
    finally:
        app.close()
    assert done.destroyed == 7 and seen == [2, 4, 6, 7]  # a page at a time
    assert _halves(archive.database_url, number) == (0, 7, [])
    listing = archive.ok("dispose", "certificate", number, "--tombstones").out
    assert [json.loads(line)["id"] for line in listing.splitlines()] == sorted(ids)
