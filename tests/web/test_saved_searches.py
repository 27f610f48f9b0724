"""Saved searches on the search page in a real browser (issue 16): save the search on screen,
see it listed, run it by its link, delete it; each person sees only their own."""

from __future__ import annotations

from typing import Any

import pytest

from archiver.archive import saved_searches
from archiver.errors import UsageError
from tests.integration.test_retention import import_one, message
from tests.web.conftest import Site, sign_in


def test_a_search_is_saved_listed_run_and_deleted(site: Site, page: Any) -> None:
    import_one(site.archive, message("Bus schedule", "The field trip bus leaves at 8."))
    import_one(site.archive, message("Lunch menu", "Tacos on Tuesday."))
    rita = site.user("rita", "records-officer", "Rita Alvarez")
    sign_in(page, site, rita)
    page.get_by_label("Words").fill("field trip")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Save this search as").fill("Trips this fall")
    page.get_by_role("button", name="Save", exact=True).click()
    saved = page.get_by_role("region", name="Your saved searches")
    saved.wait_for()
    assert saved.get_by_role("link", name="Trips this fall").is_visible()

    page.goto(site.url + "/search")  # a fresh form
    saved.get_by_role("link", name="Trips this fall").click()
    rows = page.locator("#results table.results tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1 and "Bus schedule" in rows.inner_text()
    assert page.get_by_label("Words").input_value() == "field trip"

    page.get_by_role("button", name="Delete the saved search Trips this fall").click()
    page.get_by_role("heading", name="Search the archive").wait_for()
    assert page.get_by_role("region", name="Your saved searches").count() == 0
    actions = site.archive.ok("audit", "log", "--json", "--action", "search").json()["events"]
    assert [e["action"] for e in actions if e["action"] != "search"] == [
        "search.save",
        "search.unsave",
    ]


def test_saved_searches_are_each_persons_own(site: Site) -> None:
    rita = site.app.accounts().get(site.user("rita", "records-officer").name)
    ray = site.app.accounts().get(site.user("ray", "reviewer").name)
    store, ring = site.app.store, site.app.keyring
    mine = saved_searches.add(store, ring, rita.id, " Trips ", "?q=trip&page=3&sender=", "rita")
    assert (mine.name, mine.query) == ("Trips", "q=trip")
    assert saved_searches.of_user(store, ring, ray.id) == []
    with pytest.raises(UsageError, match="no saved search with that id"):
        saved_searches.delete(store, ring, ray.id, mine.id, "ray")
    with pytest.raises(UsageError, match="search for something first"):
        saved_searches.add(store, ring, rita.id, "Nothing", "page=2", "rita")
    assert [s.name for s in saved_searches.of_user(store, ring, rita.id)] == ["Trips"]
