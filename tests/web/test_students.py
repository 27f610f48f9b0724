"""The students pages, tag correction and attachment search in a real browser (issue 16): a
student found by name, whose access log names the person who read their record in the
browser; exit notices; a wrong tag removed from a record's page (and `archiver show` agrees);
words in a PDF attachment find their record."""

from __future__ import annotations

from typing import Any

from tests.integration.test_retention import about, import_one, message, roster
from tests.integration.test_search import forward
from tests.unit.test_extract import make_pdf, text_page
from tests.web.conftest import Site, screenshot, sign_in


def test_a_student_found_by_name_and_their_access_log_names_the_reader(
    site: Site, page: Any
) -> None:
    roster(site.archive, {"104233": None, "102486": "2026-02-27"})
    rid = about(site.archive, "104233")
    about(site.archive, "102486", n=1)
    rita = site.user("rita", "records-officer", "Rita Alvarez")
    sign_in(page, site, rita)
    page.goto(f"{site.url}/records/{rid}")  # Rita reads Liam's record
    page.get_by_role("heading", name="Students").wait_for()

    page.get_by_role("link", name="Students").click()
    page.get_by_label("Name or roster id").fill("liam doherty")
    page.get_by_role("button", name="Find").click()
    found = page.locator("table.students tbody tr")
    assert found.count() == 1 and "104233" in found.inner_text()
    screenshot(page, "students")
    page.get_by_role("link", name="Doherty, Liam").click()
    page.get_by_role("heading", name="Liam Doherty").wait_for()
    log = page.locator("table.access tbody tr")
    assert log.count() == 1
    assert "Rita Alvarez (rita)" in log.inner_text() and rid[:12] in log.inner_text()
    screenshot(page, "student")

    page.get_by_role("link", name="Search this student's records").click()
    page.locator("#results table.results tbody tr").first.wait_for()
    assert page.locator("#results table.results tbody tr").count() == 1

    # Exit notices: Isabela left on 2026-02-27, in this school year.
    page.get_by_role("link", name="Students").click()
    page.get_by_role("button", name="Show who left").click()
    exits = page.get_by_role("table", name="Students who left between 2025-07-01 and 2026-03-10")
    assert "Isabela Mendes" in exits.inner_text() and "2026-02-27" in exits.inner_text()
    assert "Liam" not in exits.inner_text()


def test_an_auditor_opens_a_students_access_log_from_the_audit_log(site: Site, page: Any) -> None:
    roster(site.archive, {"104233": None})
    about(site.archive, "104233")
    audrey = site.user("audrey", "auditor")
    sign_in(page, site, audrey)
    page.get_by_label("A student's access log (roster id or full name)").fill("Liam Doherty")
    page.get_by_role("button", name="Open").click()
    page.get_by_role("heading", name="Access log").wait_for()
    assert page.get_by_role("link", name="Search this student's records").count() == 0


def test_a_wrong_tag_is_removed_from_the_records_page(site: Site, page: Any) -> None:
    roster(site.archive, {"104233": None, "102486": None})
    rid = about(site.archive, "104233", "102486")
    rita = site.user("rita", "records-officer")
    sign_in(page, site, rita)
    page.goto(f"{site.url}/records/{rid}")
    page.get_by_role("button", name="Remove Isabela Mendes").click()
    page.get_by_role("heading", name="Students").wait_for()
    students = page.get_by_role("list").filter(has_text="Liam Doherty")
    assert "Isabela" not in students.inner_text()
    shown = site.archive.ok("show", "--json", rid).json()["students"]
    assert [s["id"] for s in shown] == ["104233"]

    page.get_by_label("Add a student (roster id or full name)").fill("Isabela Mendes")
    page.get_by_role("button", name="Add the student").click()
    page.get_by_role("button", name="Remove Isabela Mendes").wait_for()
    shown = site.archive.ok("show", "--json", rid).json()["students"]
    assert {(s["id"], s["source"]) for s in shown} >= {("102486", "manual")}
    events = site.archive.ok("audit", "log", "--json", "--record", rid).json()["events"]
    assert [e["action"] for e in events if e["action"].startswith("tag.")] == [
        "tag.remove",
        "tag.add",
    ]

    page.get_by_label("Add a student (roster id or full name)").fill("Nobody Here")
    page.get_by_role("button", name="Add the student").click()
    assert "no student with that id or full name" in page.get_by_role("alert").inner_text()


def test_words_in_a_pdf_attachment_find_the_record(site: Site, page: Any) -> None:
    pdf = make_pdf(text_page("Tacos Tuesday", "Chowder on Friday"))
    rid = import_one(
        site.archive,
        forward(
            "Lunch menu",
            "See the menu attached.",
            attachments=[("menu.pdf", "application/pdf", pdf)],
        ),
    )
    import_one(site.archive, message("Bus schedule", "The field trip bus leaves at 8."))
    rita = site.user("rita", "records-officer")
    sign_in(page, site, rita)
    page.get_by_label("Words").fill("chowder")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#results table.results tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    assert "Lunch menu" in rows.inner_text() and "matched in" in rows.inner_text()
    assert "menu.pdf" in rows.inner_text()
    assert rid[:12] in (rows.get_by_role("link").first.get_attribute("href") or "")
