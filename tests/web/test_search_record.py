"""Searching and reading a record in a real browser (issue 16): the officer's first task, the
access it leaves in the audit log under their own name, and hostile content made inert."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.integration.test_retention import about, import_one, message, roster
from tests.web.conftest import Site, screenshot, sign_in


def test_an_officer_finds_a_record_by_word_and_reads_it(site: Site, page: Any) -> None:
    roster(site.archive, {"104233": None})
    about(site.archive, "104233", n=1)
    other = import_one(site.archive, message("Bus schedule", "The field trip bus leaves at 8."))
    rita = site.user("rita", "records-officer", "Rita Alvarez")
    sign_in(page, site, rita)
    assert page.get_by_role("heading", name="Search the archive").is_visible()

    page.get_by_label("Words").fill("field trip")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#results table.results tbody tr")
    results.first.wait_for()
    assert results.count() == 1 and "Bus schedule" in results.inner_text()
    assert parse_qs(urlparse(page.url).query)["q"] == ["field trip"]  # bookmarkable
    screenshot(page, "search")

    page.get_by_role("link", name="Bus schedule").click()
    page.get_by_role("heading", name="Bus schedule").wait_for()
    assert "The field trip bus leaves at 8." in page.locator("main").inner_text()
    newest = page.locator("table.trail tbody tr").first.inner_text()
    assert "Rita Alvarez (rita)" in newest and "show (text)" in newest  # newest first
    screenshot(page, "record")

    shows = site.archive.ok("audit", "log", "--json", "--record", other).json()["events"]
    viewed = [e for e in shows if e["action"] == "show"]
    assert viewed and viewed[-1]["actor"] == "Rita Alvarez (rita)"
    searches = site.archive.ok("audit", "log", "--json", "--action", "search").json()["events"]
    assert searches[-1]["actor"] == "Rita Alvarez (rita)"


def test_a_student_found_by_name_and_the_access_log_names_the_officer(
    site: Site, page: Any
) -> None:
    roster(site.archive, {"104233": None})
    rid = about(site.archive, "104233", n=2)
    rita = site.user("rita", "records-officer", "Rita Alvarez")
    sign_in(page, site, rita)
    page.get_by_text("Filters").click()
    page.get_by_label("Student (name or id)").fill("Liam Doherty")
    page.get_by_role("button", name="Search").click()
    page.locator("#results table.results tbody tr").first.wait_for()
    assert page.locator("#results table.results tbody tr").count() == 1
    page.locator("#results a").first.click()
    page.get_by_role("heading", name="Students").wait_for()
    assert "Liam Doherty (104233" in page.locator("main").inner_text()
    log = site.archive.ok("students", "access-log", "104233", "--json").json()["entries"]
    assert any(rid in e["records"] and e["actor"] == "Rita Alvarez (rita)" for e in log), log


def test_a_message_with_script_and_javascript_links_renders_inert(site: Site, page: Any) -> None:
    hostile = message(
        '<script>window.pwned = "subject"</script> Field trip',
        'Hello <script>window.pwned = "body"</script>\n'
        '<a href="javascript:window.pwned=1">click</a> <img src=x onerror="window.pwned=2">\n'
        "javascript:window.pwned=3",
    )
    rid = import_one(site.archive, hostile)
    rita = site.user("rita", "records-officer")
    sign_in(page, site, rita)
    page.goto(f"{site.url}/search?q=field+trip")
    page.locator("#results table.results tbody tr").first.wait_for()
    page.goto(f"{site.url}/records/{rid}")
    main = page.locator("main")
    assert "<script>window.pwned" in main.inner_text()  # shown as text
    assert page.evaluate("window.pwned") is None
    assert main.locator("script, img, a[href^='javascript']").count() == 0


def test_a_busy_record_shows_its_newest_events_and_links_to_the_rest(site: Site, page: Any) -> None:
    from archiver.archive.reading import open_record
    from archiver.web.records import TRAIL

    rid = import_one(site.archive, message("Bus schedule", "The field trip bus leaves at 8."))
    for _ in range(TRAIL + 5):
        open_record(site.app.store, site.app.keyring, rid, "text")
    total = len(site.archive.ok("audit", "log", "--json", "--record", rid).json()["events"])
    rita = site.user("rita", "records-officer", "Rita Alvarez")
    sign_in(page, site, rita)
    page.goto(f"{site.url}/records/{rid}")
    page.get_by_role("heading", name="Bus schedule").wait_for()
    assert page.locator("table.trail tbody tr").count() == TRAIL
    told = page.get_by_text(f"The newest {TRAIL} of {total + 1} events about this record")
    assert told.is_visible()  # the page's own view is one more
    page.get_by_role("link", name="all of them in the audit log").click()
    page.get_by_role("heading", name="Audit log").wait_for()
    assert rid in page.url
