"""The audit log page in a real browser (issue 16): an auditor filters the log by who did
what and reads a record's events; the whole chain is verified from the page."""

from __future__ import annotations

from typing import Any

from tests.integration.test_retention import import_one, message
from tests.web.conftest import Site, screenshot, sign_in


def test_an_auditor_filters_the_log_by_actor_and_action_and_reads_a_records_events(
    site: Site, page: Any
) -> None:
    bus = import_one(site.archive, message("Bus schedule", "The field trip bus leaves at 8."))
    import_one(site.archive, message("Lunch menu", "Tacos on Tuesday."))
    rita = site.user("rita", "records-officer", "Rita Alvarez")
    sign_in(page, site, rita)
    page.goto(f"{site.url}/records/{bus}")  # Rita reads one record
    page.get_by_role("heading", name="Bus schedule").wait_for()
    page.get_by_role("button", name="Sign out").click()

    audrey = site.user("audrey", "auditor", "Audrey Chen")
    sign_in(page, site, audrey)
    page.get_by_role("heading", name="Audit log").wait_for()  # the auditor's first page
    page.get_by_label("Who (exact name)").fill("Rita Alvarez (rita)")
    page.get_by_label("Action (or its family)").fill("show")
    page.get_by_role("button", name="Show events").click()
    rows = page.locator("table.audit tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1, rows.all_inner_texts()
    assert "Rita Alvarez (rita)" in rows.inner_text() and bus[:12] in rows.inner_text()
    screenshot(page, "audit-log")

    page.get_by_role("link", name="Clear the filters").click()
    page.get_by_label("Record (id or prefix)").fill(bus[:10])
    page.get_by_role("button", name="Show events").click()
    page.wait_for_url(lambda url: "record=" in url)
    actions = [t.split("\t")[3] for t in rows.all_inner_texts()]
    assert actions[0] == "ingest" and "show" in actions, actions
    assert all("Lunch" not in t for t in rows.all_inner_texts())

    page.get_by_role("button", name="Verify the whole chain").click()
    assert "The audit chain is intact" in page.get_by_role("status").inner_text()


def test_a_bad_day_is_named_on_the_page(site: Site, page: Any) -> None:
    audrey = site.user("audrey", "auditor")
    sign_in(page, site, audrey)
    page.goto(f"{site.url}/audit?since=last+tuesday")
    assert "'last tuesday' is neither a day" in page.get_by_role("alert").inner_text()
