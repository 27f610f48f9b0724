"""The sign-in page as a person first meets it (and its screenshot for docs/web.md)."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Site, screenshot


def test_the_sign_in_page_asks_for_name_password_and_code(site: Site, page: Any) -> None:
    page.goto(site.url + "/search")
    page.wait_for_url(lambda url: "/signin" in url)  # every page needs a signed-in person
    assert page.get_by_role("heading", name="Sign in").is_visible()
    for label in ("Name", "Password", "Code from your authenticator app"):
        assert page.get_by_label(label).is_visible()
    assert page.get_by_role("button", name="Sign in").is_visible()
    assert page.get_by_role("navigation", name="Main").count() == 0  # no menu before sign-in
    screenshot(page, "signin")
