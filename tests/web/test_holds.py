"""Legal holds in a real browser (issue 16): a hold placed on a student and a coach's address
catches the records archived after it, as `archiver hold show` says too; and each role reaches
only its own records-management pages."""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage
from typing import Any

import pytest
from flask.testing import FlaskClient

from archiver.web import roles
from archiver.web.app import create_app
from tests.integration.test_retention import about, import_one, roster
from tests.web.conftest import Site, screenshot, sign_in
from tests.web.test_security import HTTPS, _csrf
from tests.web.test_security import sign_in as sign_in_client

COACH = "coach.walsh.pe@gmail.example"
PARENT = "Maria Doherty <mdoherty.home@mail.example>"


def mail(sender: str, to: str, subject: str, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Tue, 03 Mar 2026 15:10:00 -0500"
    msg["Message-ID"] = f"<{hashlib.sha256((sender + subject).encode()).hexdigest()[:16]}@x>"
    msg.set_content(body)
    return msg.as_bytes()


def listed_ids(page: Any) -> set[str]:
    section = page.get_by_role("region", name=re.compile("Records it covers"))
    return set(section.locator("ul.ids").first.locator("code").all_inner_texts())


def test_a_hold_on_a_student_and_a_coach_catches_later_records(site: Site, page: Any) -> None:
    roster(site.archive, {"104233": None})
    before = import_one(
        site.archive,
        mail(f"Coach Walsh <{COACH}>", PARENT, "Practice", "Liam Doherty missed practice today."),
    )
    elsewhere = about(site.archive, "104233", n=1)  # the student, but not the coach
    rita = site.user("rita", "records-officer", "Rita Alvarez")
    sign_in(page, site, rita)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Holds").click()
    page.get_by_role("heading", name="Legal holds").wait_for()

    page.get_by_label("Name", exact=True).fill("Doherty v. Milton")
    page.get_by_label("Reason (kept sealed)").fill("Demand letter from the family's attorney")
    page.get_by_label("Student (name or id)").fill("Liam Doherty")
    page.get_by_label("Anyone in it (address or name)").fill(COACH)
    page.get_by_role("button", name="Place the hold").click()
    page.get_by_role("heading", name="Hold: Doherty v. Milton").wait_for()
    assert listed_ids(page) == {before}  # what matched when it was placed

    # Archived later: a parent's message to the coach about the student, and the coach's
    # reply; the counselor's note names the student without the coach: not the hold's.
    to_coach = import_one(
        site.archive,
        mail(PARENT, f"Coach Walsh <{COACH}>", "Liam", "Why was Liam Doherty benched?"),
    )
    from_coach = import_one(
        site.archive,
        mail(f"Coach Walsh <{COACH}>", PARENT, "Re: Liam", "Liam Doherty was late twice."),
    )
    later_elsewhere = about(site.archive, "104233", n=2)
    page.reload()
    shown = listed_ids(page)
    assert shown == {before, to_coach, from_coach}
    assert elsewhere not in shown and later_elsewhere not in shown
    text = page.locator("main").inner_text()
    assert "Demand letter from the family's attorney" in text and "104233" in text
    assert "Rita Alvarez (rita)" in text  # who placed it, and its events
    cli = site.archive.ok("hold", "show", "Doherty v. Milton", "--json").json()
    assert set(cli["ids"]) == shown and cli["created_by"] == "Rita Alvarez (rita)"
    assert cli["criteria"]["participant"] == COACH and cli["criteria"]["student"] == "104233"
    screenshot(page, "hold")

    # By hand: a record added (with a reason), then the hold released (with a reason).
    page.get_by_label("Records to add or take out (ids)").fill(elsewhere)
    page.get_by_label("Why (kept sealed)").fill("The counselor's notes were asked for too")
    page.get_by_role("button", name="Add to the hold").click()
    page.get_by_role("heading", name="Hold: Doherty v. Milton").wait_for()
    assert elsewhere in listed_ids(page)
    page.get_by_label("Why it is released (kept sealed)").fill("Settled")
    page.get_by_role("button", name="Release the hold").click()
    page.get_by_role("heading", name="Hold: Doherty v. Milton").wait_for()
    assert "Settled" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Release the hold").count() == 0
    assert site.archive.ok("hold", "show", "Doherty v. Milton", "--json").json()["state"] == (
        "released"
    )
    actions = [
        (e["action"], e["actor"])
        for e in site.archive.ok("audit", "log", "--json", "--action", "hold").json()["events"]
    ]
    for action in ("hold.create", "hold.add", "hold.release"):
        assert (action, "Rita Alvarez (rita)") in actions

    page.get_by_role("link", name="All holds").click()
    page.get_by_role("heading", name="Legal holds").wait_for()
    row = page.get_by_role("row", name=re.compile("Doherty v. Milton"))
    assert "released" in row.inner_text()
    screenshot(page, "holds")


def test_a_hold_without_anything_to_hold_is_refused_in_the_services_words(
    site: Site, page: Any
) -> None:
    rita = site.user("rita", "records-officer")
    sign_in(page, site, rita)
    page.goto(site.url + "/holds")
    page.get_by_label("Name", exact=True).fill("Empty")
    page.get_by_label("Reason (kept sealed)").fill("nothing")
    page.get_by_role("button", name="Place the hold").click()
    alert = page.get_by_role("alert")
    assert "a hold needs criteria" in alert.inner_text()
    assert page.get_by_label("Name", exact=True).input_value() == "Empty"  # kept as typed


@pytest.fixture
def client(site: Site) -> FlaskClient:
    return create_app(site.app).test_client()


PAGES = {
    "/holds": "holds.read",
    "/retention": "retention.read",
    "/disposition": "disposition.read",
}
CHANGES = {  # a form the service refuses (no criteria; a series not in the schedule)
    "/holds": ("holds.manage", {"name": "x", "reason": "y"}),
    "/disposition": ("disposition.manage", {"series": "NO-SUCH"}),
}


@pytest.mark.parametrize("role", sorted(roles.HOME))
def test_each_role_reaches_only_its_records_management_pages(
    site: Site, client: FlaskClient, role: str
) -> None:
    login = site.user("someone", role)
    assert sign_in_client(client, site, login).status_code == 302
    for path, action in PAGES.items():
        got = client.get(path, base_url=HTTPS)
        assert got.status_code == (200 if roles.allowed(role, action) else 403), (path, role)
        for menu_path, menu_action in PAGES.items():  # the menu shows only what it may open
            shown = f'href="{menu_path}"' in got.text
            assert shown == roles.allowed(role, menu_action), (path, menu_path, role)
    token = _csrf(got.text)  # a refusal's page has the sign-out form, and its token
    for path, (action, form) in CHANGES.items():
        # Refused for the role (403) before the service is asked, else in its words (400).
        sent = client.post(path, base_url=HTTPS, data={"csrf": token, **form})
        assert sent.status_code == (400 if roles.allowed(role, action) else 403), (path, role)
