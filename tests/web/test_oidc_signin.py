"""Signing in to the web application with the district's identity provider (a stand-in on
127.0.0.1 signing real ID tokens), in a real browser: a known account is let in; a token
from the wrong issuer or for another audience, or an address with no account, is not."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.clock import FixedClock
from tests.conftest import make_archive
from tests.web.conftest import START, Site, free_port, serve
from tests.web.oidc_provider import StandInProvider

BUTTON = "Sign in with your district account"


@pytest.fixture
def oidc_site(tmp_path: Path, oidc_provider: StandInProvider) -> Iterator[Site]:
    root = tmp_path / "archive"
    secret = root / "secrets" / "oidc-client"
    secret.parent.mkdir(parents=True)
    secret.write_text(oidc_provider.client_secret + "\n")
    os.chmod(secret, 0o600)
    port = free_port()
    extra = (
        f'[web]\npublic_url = "http://127.0.0.1:{port}"\n'
        "[web.oidc]\n"
        f'issuer = "{oidc_provider.issuer}"\n'
        f'client_id = "{oidc_provider.client_id}"\n'
        'client_secret_file = "secrets/oidc-client"\n'
    )
    archive = make_archive(root, f"sqlite:///{tmp_path / 'archive.db'}", extra)
    oidc_provider.now = START.timestamp()
    yield from serve(archive, FixedClock(START), port)


def _sign_in_with_the_provider(page: Any, site: Site) -> None:
    page.goto(site.url + "/search")  # not signed in: sent to the sign-in page
    page.get_by_role("link", name=BUTTON).click()
    page.wait_for_load_state()


def test_a_district_account_signs_in_with_the_identity_provider(
    oidc_site: Site, oidc_provider: StandInProvider, page: Any
) -> None:
    oidc_site.app.accounts().add(
        "pat@district.example", "records-officer", "Pat Officer", sso=True, actor="setup"
    )
    oidc_provider.next_user("Pat@District.example", "Pat Officer")
    _sign_in_with_the_provider(page, oidc_site)
    page.get_by_role("heading", name="Search the archive").wait_for()
    assert "/search" in page.url  # back where the person was going
    assert "Pat Officer" in page.locator("header").inner_text()
    events = oidc_site.archive.ok("audit", "log", "--json", "--action", "web").json()["events"]
    assert any(e["action"] == "web.sign_in" for e in events)

    # The address handed to someone else later: the provider's subject differs, so the
    # account (bound at its first sign-in) does not open for them until IT unbinds it.
    page.context.clear_cookies()
    oidc_provider.next_user("pat@district.example", "Pat Newcomer", subject="sub-newcomer")
    _sign_in_with_the_provider(page, oidc_site)
    assert "may not use it" in page.get_by_role("alert").inner_text()
    oidc_site.archive.ok("users", "unbind", "pat@district.example", "--actor", "IT")
    _sign_in_with_the_provider(page, oidc_site)
    page.get_by_role("heading", name="Search the archive").wait_for()


@pytest.mark.parametrize("kind", ["wrong_iss", "wrong_aud", "other_key"])
def test_a_token_that_does_not_check_out_signs_no_one_in(
    oidc_site: Site, oidc_provider: StandInProvider, page: Any, kind: Any
) -> None:
    oidc_site.app.accounts().add("pat@district.example", "records-officer", sso=True, actor="x")
    oidc_provider.next_user("pat@district.example", "Pat Officer")
    oidc_provider.misbehave(kind)
    _sign_in_with_the_provider(page, oidc_site)
    assert "did not check out" in page.get_by_role("alert").inner_text()
    page.goto(oidc_site.url + "/search")
    assert "/signin" in page.url


def test_an_address_without_an_account_is_refused(
    oidc_site: Site, oidc_provider: StandInProvider, page: Any
) -> None:
    oidc_site.app.accounts().add(
        "pat@district.example", "records-officer", "Pat", password="x" * 12, actor="x"
    )
    oidc_provider.next_user("stranger@district.example", "Stranger")
    _sign_in_with_the_provider(page, oidc_site)
    assert "may not use it" in page.get_by_role("alert").inner_text()
