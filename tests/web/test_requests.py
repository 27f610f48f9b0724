"""Requests in a real browser (issue 16): a parent's request for one child and a journalist's
for a coach's messages, end to end; who may do what; the dashboard's overdue requests."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from archiver.cli.context import Context
from archiver.clock import FixedClock
from tests.conftest import make_archive
from tests.integration.test_retention import about, import_one, roster
from tests.web.conftest import START, Site, screenshot, serve, sign_in

OFFICER = """
[requests]
district_name = "Milton Public Schools"
officer_name = "Dana Reyes"
officer_contact = "25 Gile Road, Milton MA 02186"
"""


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """A served archive whose config names the Records Access Officer (the letter needs it);
    the commands a test runs read the site's clock."""
    archive = make_archive(tmp_path / "archive", f"sqlite:///{tmp_path / 'archive.db'}", OFFICER)
    clock = FixedClock(START)
    monkeypatch.setattr(Context, "clock", clock)
    yield from serve(archive, clock)


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


def _open_request(page: Any, site: Site, kind: str, requester: str, student: str = "") -> str:
    """Open a request through the dashboard's form; its number."""
    page.goto(site.url + "/requests")
    page.get_by_role("link", name="Open a new request").click()
    page.get_by_role("radio", name=re.compile(f"^{kind}")).check()
    page.get_by_label("Requester").fill(requester)
    if student:
        page.get_by_label("Student (name or id: student records only)").fill(student)
    page.get_by_role("button", name="Open the request").click()
    heading = page.get_by_role("heading", name=re.compile(r"^Request [PS]RR-"))
    heading.wait_for()
    number: str = heading.inner_text().removeprefix("Request ")
    return number


def _export(page: Any, tmp_path: Path, number: str) -> Path:
    """Export the request from its workspace; the bundle the browser downloads."""
    with page.expect_download() as download:
        page.get_by_role("button", name="Export the bundle").click()
    assert download.value.suggested_filename == f"{number}.zip"
    saved = tmp_path / f"{number}.zip"
    download.value.save_as(saved)
    return saved


def test_a_parents_request_for_one_child_end_to_end(
    office: Site, page: Any, tmp_path: Path
) -> None:
    site = office
    roster(site.archive, {"104233": None, "102486": None})
    alone = about(site.archive, "104233", n=1)
    shared = about(site.archive, "104233", "102486", n=2)
    about(site.archive, "102486", n=3)  # Isabela's alone: not part of Liam's request
    rita = site.user("rita", "records-officer", "Rita Alvarez")
    sign_in(page, site, rita)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Requests").click()
    number = _open_request(page, site, "Student records", "Patricia Doherty", "Liam Doherty")
    assert number.startswith("SRR-2026-")
    assert "10 days left" in page.locator("dl.facts").inner_text()

    # Find the child by name and tick what the search finds.
    page.get_by_label("Student (name or id)").fill("Liam Doherty")
    page.get_by_role("button", name="Search", exact=True).click()
    candidates = page.locator("table.candidates tbody tr")
    candidates.first.wait_for()
    assert candidates.count() == 2
    page.get_by_label("Add Meeting 1").check()
    page.get_by_label("Add Meeting 2").check()
    page.get_by_role("button", name="Add the ticked records").click()
    members = page.locator("table.members tbody tr")
    members.first.wait_for()
    assert members.count() == 2
    assert page.locator("table.candidates").inner_text().count("in the request") == 2

    # Release the record about Liam alone.
    page.get_by_label("Decision for Meeting 1").select_option("release")
    page.get_by_role("button", name="Decide Meeting 1").click()
    assert "release" in page.locator(f"#record-{alone[:12]} td.decision").inner_text()
    screenshot(page, "request-workspace")

    # The other: Isabela's name suggested, highlighted in the text, accepted; Liam's never.
    page.get_by_role("link", name="Meeting 2").click()
    page.get_by_role("button", name="Suggest redactions").click()
    text = page.locator(".record-text")
    text.locator("mark.suggested").first.wait_for()
    marked = text.locator("mark.suggested").all_inner_texts()
    assert "Isabela Mendes" in marked and not any("Liam" in m for m in marked)
    screenshot(page, "redaction")
    page.get_by_role("button", name="Accept Isabela Mendes").click()
    page.locator(".record-text mark.redacted").first.wait_for()
    assert "Isabela Mendes" in text.locator("mark.redacted").all_inner_texts()
    assert "redact (26a:ferpa)" in page.locator("dd.decision").inner_text()
    if page.get_by_role("button", name="Reject Isabela", exact=True).count():
        page.get_by_role("button", name="Reject Isabela", exact=True).click()

    # The preview of what the export produces: the name is gone.
    preview = page.get_by_role("link", name="Preview the PDF").get_attribute("href")
    answer = page.request.get(site.url + preview)
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    shown = _pdf_text(answer.body())
    assert "Liam Doherty" in shown and "Isabela" not in shown and "[REDACTED 26a]" in shown

    # Export: the signed bundle is downloaded, verifies, and holds the redacted record.
    page.get_by_role("link", name=f"Back to {number}").click()
    bundle = _export(page, tmp_path, number)
    checked = site.archive.ok("export", "verify", str(bundle), "--json").json()
    assert checked["ok"] and checked["records"] == 2
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        assert any(n.endswith(f"/data/records/{shared}.pdf") for n in names)
        assert any(n.endswith(f"/data/records/{alone}.eml") for n in names)
        [eml] = [n for n in names if n.endswith(f"/data/records/{shared}.eml")]
        assert b"Isabela" not in z.read(eml) and b"Liam Doherty" in z.read(eml)

    # The letter.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the letter (PDF)").click()
    letter = tmp_path / "letter.pdf"
    download.value.save_as(letter)
    assert number in _pdf_text(letter.read_bytes())

    # Liam's access log: the export, under the officer's own name.
    log = site.archive.ok("students", "access-log", "104233", "--json").json()["entries"]
    exported = [e for e in log if e["action"] == "exported"]
    assert {e["actor"] for e in exported} == {"Rita Alvarez (rita)"}
    assert {e["purpose"] for e in exported} == {number}
    assert sorted(r for e in exported for r in e["records"]) == sorted([alone, shared])

    # Closed: it leaves the open list.
    page.get_by_label("Outcome").select_option("produced")
    page.get_by_role("button", name="Close the request").click()
    assert "produced, closed" in page.locator("dl.facts").inner_text()


def _from_coach(site: Site, subject: str, sent: str, n: int) -> str:
    msg = EmailMessage()
    msg["From"] = "Coach Barros <tbarros@milton.k12.example.org>"
    msg["To"] = "athletics@milton.k12.example.org"
    msg["Subject"] = subject
    msg["Date"] = sent
    msg["Message-ID"] = f"<coach-{n}@milton.k12.example.org>"
    msg.set_content(f"{subject}: practice moves to the upper field.")
    return import_one(site.archive, msg.as_bytes())


def test_a_journalists_request_for_a_coachs_messages_in_a_season(
    office: Site, page: Any, tmp_path: Path
) -> None:
    site = office
    before = _from_coach(site, "Summer camp", "Mon, 18 Aug 2025 09:00:00 -0400", 1)
    season = [
        _from_coach(site, "Opening game", "Mon, 08 Sep 2025 09:00:00 -0400", 2),
        _from_coach(site, "Midseason", "Wed, 15 Oct 2025 09:00:00 -0400", 3),
        _from_coach(site, "Playoffs", "Fri, 21 Nov 2025 09:00:00 -0500", 4),
    ]
    after = _from_coach(site, "Winter gym", "Mon, 05 Jan 2026 09:00:00 -0500", 5)
    import_one(site.archive, b"From: someone@example.org\nSubject: Opening game\n\nTickets.\n")
    rita = site.user("rita", "records-officer", "Rita Alvarez")
    sign_in(page, site, rita)
    number = _open_request(page, site, "Public records", "Jo Reporter")
    assert number.startswith("PRR-2026-")

    page.get_by_label("From").fill("tbarros@milton.k12.example.org")
    page.get_by_label("Sent on or after").fill("2025-09-01")
    page.get_by_label("Sent on or before").fill("2025-11-30")
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator("table.candidates tbody tr").first.wait_for()
    assert "3 records found" in page.locator("main").inner_text()
    found = page.locator("table.candidates tbody").inner_text()
    assert all(s in found for s in ("Opening game", "Midseason", "Playoffs"))
    assert "Summer camp" not in found and "Winter gym" not in found
    page.get_by_role("button", name="Add all 3 found").click()
    page.locator("table.members tbody tr").first.wait_for()
    assert page.locator("table.members tbody tr").count() == 3

    for subject in ("Opening game", "Midseason", "Playoffs"):
        page.get_by_label(f"Decision for {subject}").select_option("release")
        page.get_by_role("button", name=f"Decide {subject}").click()
    decisions = page.locator("table.members td.decision").all_inner_texts()
    assert all(d.startswith("release") for d in decisions) and len(decisions) == 3

    bundle = _export(page, tmp_path, number)
    assert site.archive.ok("export", "verify", str(bundle), "--json").json()["records"] == 3
    with zipfile.ZipFile(bundle) as z:
        produced = {n.rsplit("/", 1)[1] for n in z.namelist() if "/data/records/" in n}
    assert produced == {f"{rid}.{ext}" for rid in season for ext in ("eml", "pdf")}
    assert not {f"{before}.eml", f"{after}.eml"} & produced
    shown = site.archive.ok("request", "show", number, "--json").json()
    assert sorted(r["id"] for r in shown["records"]) == sorted(season)


def test_a_reviewer_decides_but_cannot_export_or_close_and_other_roles_are_refused(
    office: Site, page: Any
) -> None:
    site = office
    rid = about(site.archive, "104233", n=1)
    number = site.archive.ok(
        "request", "open", "--kind", "public", "--requester", "Jo Reporter", "--json"
    ).json()["number"]
    site.archive.ok("request", "add", number, rid)
    reviewer = site.user("rev", "reviewer", "Sam Reviewer")
    sign_in(page, site, reviewer)
    page.goto(f"{site.url}/requests/{number}")
    page.get_by_label("Decision for Meeting 1").select_option("withhold")
    page.get_by_label("Exemptions for Meeting 1 (redact, withhold)").select_option("26c")
    page.get_by_role("button", name="Decide Meeting 1").click()
    assert "withhold (26c)" in page.locator("table.members td.decision").inner_text()
    assert "by Sam Reviewer (rev)" in page.locator("table.members td.decision").inner_text()
    main = page.locator("main")
    for absent in ("Export the bundle", "Close the request", "Add the ticked records"):
        assert main.get_by_role("button", name=absent).count() == 0
    assert page.get_by_role("link", name="Open a new request").count() == 0
    assert page.get_by_role("heading", name="Find records to add").count() == 0
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    for action in ("export", "close", "records", "letter/sent"):
        answer = page.request.post(
            f"{site.url}/requests/{number}/{action}",
            form={"csrf": token, "outcome": "withheld", "record": rid},
        )
        assert answer.status == 403, action
    assert page.request.get(f"{site.url}/requests/{number}/letter.pdf").status == 403
    assert site.archive.ok("request", "show", number, "--json").json()["state"] == "open"

    for role in ("auditor", "approver", "admin"):
        page.context.clear_cookies()
        sign_in(page, site, site.user(f"u-{role}", role))
        for path in ("/requests", f"/requests/{number}", "/requests/new"):
            assert page.goto(site.url + path).status == 403, (role, path)
        assert page.get_by_role("link", name="Requests").count() == 0


def test_the_dashboard_highlights_an_overdue_request(office: Site, page: Any) -> None:
    site = office
    late = site.archive.ok(
        "request", "open", "--kind", "public", "--requester", "Jo Reporter", "--json"
    ).json()
    site.clock.advance(timedelta(days=20))  # past its 10th business day
    rita = site.user("rita", "records-officer", "Rita Alvarez")
    sign_in(page, site, rita)
    page.goto(site.url + "/requests")
    fresh = _open_request(page, site, "Public records", "Pat Neighbour")
    page.goto(site.url + "/requests")
    row = page.get_by_role("row", name=re.compile(late["number"]))
    assert row.get_attribute("class") == "overdue"
    assert "overdue by" in row.inner_text() and late["respond_by"] in row.inner_text()
    other = page.get_by_role("row", name=re.compile(fresh))
    assert other.get_attribute("class") is None and "10 business days left" in other.inner_text()
    screenshot(page, "requests-dashboard")
