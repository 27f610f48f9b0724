"""This year's due list and a disposition batch in a real browser (issue 16): the records
officer plans it, cannot approve it herself (the service says why), an approver approves it
with the permit, the officer executes it and downloads the certificate, whose signature
checks; temporary student records overdue are flagged."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.clock import FixedClock
from archiver.crypto import signing
from tests.conftest import make_archive
from tests.integration.test_disposition import OFFICER, corr_gen
from tests.integration.test_retention import import_one, message, noon, roster
from tests.web.conftest import START, Site, screenshot, serve, sign_in


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A served archive whose district is named (Form RMU-2 names it)."""
    archive = make_archive(tmp_path / "archive", f"sqlite:///{tmp_path / 'a.db'}", OFFICER)
    yield from serve(archive, FixedClock(START))


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile("/signin"))


def download(page: Any, link: str | re.Pattern[str]) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link).click()
    return Path(info.value.path()).read_bytes()


def test_due_list_then_a_batch_planned_approved_by_another_executed_and_certified(
    site: Site, page: Any
) -> None:
    gone = [corr_gen(site.archive, n) for n in range(3)]  # kept until 2027-12-31
    site.clock.at = noon("2028-01-10")
    rita = site.user("rita", "records-officer", "Rita Alvarez")
    dana = site.user("dana", "approver", "Dana Reyes")
    ann = site.user("ann", "auditor", "Ann Auditor")

    sign_in(page, site, rita)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Retention").click()
    page.get_by_role("heading", name="Due for destruction by 2028-06-30").wait_for()  # this year
    due = page.get_by_role("region", name=re.compile("Due for destruction"))
    assert "3 records whose retention has passed by 2028-06-30" in due.inner_text()
    assert set(due.locator("tbody code").all_inner_texts()) == set(gone)
    corr = page.get_by_role("row", name=re.compile("^CORR-GEN"))
    assert re.search(r"\b3\b", corr.inner_text())
    screenshot(page, "retention")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Disposition").click()
    page.get_by_role("heading", name="Disposition batches").wait_for()
    assert page.get_by_label("Retention passed by").input_value() == "2028-01-10"  # today
    page.get_by_role("button", name="Plan the batch").click()
    page.get_by_role("heading", name="Disposition batch D-2028-001").wait_for()
    main = page.locator("main").inner_text()
    assert "planned" in main and "3 electronic records" in main and "Milton Public Schools" in main
    assert "not subject to a pending audit, investigation, litigation" in main
    # The planner may not approve it: the service says why.
    page.get_by_label(re.compile("Permit number")).fill("RMU-2028-17")
    page.get_by_role("button", name="Approve the batch").click()
    assert "another person must approve it" in page.get_by_role("alert").inner_text()
    assert site.archive.ok("dispose", "show", "--json", "D-2028-001").json()["state"] == "planned"
    sign_out(page)

    # An auditor reads the batch; approving, executing and cancelling are not hers.
    sign_in(page, site, ann)
    page.goto(site.url + "/disposition/D-2028-001")
    page.get_by_role("heading", name="Disposition batch D-2028-001").wait_for()
    for action in ("Approve the batch", "Cancel the batch"):
        assert page.get_by_role("button", name=action).count() == 0
    sign_out(page)

    sign_in(page, site, dana)  # an approver lands on the batches
    page.get_by_role("heading", name="Disposition batches").wait_for()
    assert page.get_by_role("button", name="Plan the batch").count() == 0
    page.get_by_role("link", name="D-2028-001").click()
    page.get_by_label(re.compile("Permit number")).fill("RMU-2028-17")
    page.get_by_role("button", name="Approve the batch").click()
    page.get_by_text("by Dana Reyes (dana), permit RMU-2028-17").wait_for()
    assert page.get_by_role("link", name="Execute the batch…").count() == 0
    sign_out(page)

    sign_in(page, site, rita)
    page.goto(site.url + "/disposition/D-2028-001")
    page.get_by_role("link", name="Execute the batch…").click()
    page.get_by_role("heading", name="Execute batch D-2028-001").wait_for()
    page.get_by_label("I confirm that these records are to be destroyed").check()
    page.get_by_role("button", name="Destroy the records").click()
    page.get_by_role("link", name="Certificate (PDF)").wait_for()
    assert "3 destroyed" in page.locator("main").inner_text()
    screenshot(page, "disposition-batch")

    assert download(page, "Certificate (PDF)").startswith(b"%PDF")
    files = zipfile.ZipFile(io.BytesIO(download(page, re.compile("Signed certificate files"))))
    stem = "D-2028-001-certificate"
    data = files.read(f"{stem}.json")
    public = signing.read_public_pem(files.read(f"{stem}.json.pub"), "pub")
    assert signing.valid(public, files.read(f"{stem}.json.sig"), data)
    cert = json.loads(data)
    assert cert["approved"] == {
        "at": cert["approved"]["at"],
        "by": "Dana Reyes (dana)",
        "permit": "RMU-2028-17",
    }
    assert cert["planned"]["by"] == "Rita Alvarez (rita)" and cert["counts"]["destroyed"] == 3
    listing = files.read(f"{stem}.tombstones.jsonl")
    assert cert["tombstones"]["sha256"] == hashlib.sha256(listing).hexdigest()
    assert [json.loads(line)["id"] for line in listing.splitlines()] == sorted(gone)
    assert data == site.archive.ok("dispose", "certificate", "--json", "D-2028-001").out
    for rid in gone:
        assert site.archive.ok("show", "--json", rid).json()["status"] == "destroyed"
    actors = {
        e["action"]: e["actor"]
        for e in site.archive.ok("audit", "log", "--json", "--action", "dispose").json()["events"]
    }
    assert actors["dispose.plan"] == actors["dispose.execute"] == "Rita Alvarez (rita)"
    assert actors["dispose.approve"] == "Dana Reyes (dana)"


def test_temporary_student_records_overdue_are_flagged(site: Site, page: Any) -> None:
    roster(site.archive, {"104233": "2026-06-30"})
    rid = import_one(site.archive, message("Meeting", "Liam Doherty met the counselor.", n=1))
    site.clock.at = noon("2033-07-05")  # destroy by 2033-06-30: seven years after the exit
    sign_in(page, site, site.user("rita", "records-officer"))
    page.goto(site.url + "/retention")
    assert "past the day they must be destroyed by" in page.get_by_role("alert").inner_text()
    row = page.get_by_role("row", name=re.compile(rid))
    assert "overdue" in row.inner_text()
    page.get_by_role("link", name=re.compile("^Plan a batch of")).click()
    page.get_by_role("button", name="Plan the batch").click()
    page.get_by_role("heading", name=re.compile("Disposition batch D-2033-")).wait_for()
