"""The users page in a real browser (issue 16): an administrator adds a local account whose
shown TOTP secret lets its owner sign in, disables it (its open session refused at once),
cannot disable or demote themselves; the status page; each page refused to roles not
allowed it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from archiver.crypto import totp
from archiver.errors import SignInError, UsageError
from archiver.web import roles
from archiver.web.app import create_app
from tests.web.conftest import PASSWORD, Login, Site, screenshot, sign_in
from tests.web.test_security import HTTPS
from tests.web.test_security import sign_in as client_sign_in


def test_an_admin_adds_a_local_user_who_signs_in_then_is_disabled_at_once(
    site: Site, page: Any, browser: Any
) -> None:
    ada = site.user("ada", "admin", "Ada Byron")
    sign_in(page, site, ada)
    page.get_by_role("heading", name="Status").wait_for()  # the administrator's first page
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Sign-in name (the district address for district sign-in)").fill("kim")
    page.get_by_label("Display name").fill("Kim Nguyen")
    page.get_by_label("Role", exact=True).select_option("reviewer")
    page.get_by_label("Password (at least 12 characters; not for district sign-in only)").fill(
        PASSWORD
    )
    page.get_by_label("The password again").fill(PASSWORD)
    page.get_by_role("button", name="Add the account").click()
    page.get_by_role("heading", name="Account kim added (reviewer).").wait_for()
    secret = page.locator("#totp-secret").inner_text()
    assert page.locator("#totp-uri").inner_text().startswith("otpauth://totp/")
    page.get_by_role("link", name="Back to the users").click()
    assert secret not in page.content()  # shown once
    screenshot(page, "users")

    # Kim signs in, in another browser, with the secret the page showed.
    kim_context = browser.new_context(viewport={"width": 1280, "height": 900})
    kim = kim_context.new_page()
    try:
        kim.goto(site.url + "/signin")
        kim.get_by_label("Name").fill("kim")
        kim.get_by_label("Password").fill(PASSWORD)
        site.clock.advance(timedelta(seconds=30))
        kim.get_by_label("Code from your authenticator app").fill(
            totp.code(secret, totp.step_of(site.clock.now()))
        )
        kim.get_by_role("button", name="Sign in").click()
        kim.get_by_role("heading", name="Search the archive").wait_for()
        assert "Kim Nguyen · reviewer" in kim.locator("header").inner_text()

        page.get_by_role("button", name="Disable kim").click()
        assert "Account kim disabled" in page.get_by_role("status").inner_text()
        assert "disabled" in page.get_by_role("row", name="kim").inner_text()

        kim.reload()  # the open session is refused at once
        kim.wait_for_url(lambda url: "/signin" in url)
    finally:
        kim_context.close()

    # Ada cannot lock herself out.
    page.get_by_role("button", name="Disable ada").click()
    alert = page.get_by_role("alert").inner_text()
    assert "you cannot disable your own account (ada)" in alert
    page.get_by_label("Role of ada", exact=True).select_option("auditor")
    page.get_by_role("button", name="Change the role of ada").click()
    assert "you cannot give your own account another role" in page.get_by_role("alert").inner_text()
    assert not site.app.accounts().get("ada").disabled
    assert site.app.accounts().get("ada").role == "admin"
    events = site.archive.ok("audit", "log", "--json", "--action", "users").json()["events"]
    assert [(e["action"], e["target"], e["actor"]) for e in events][-2:] == [
        ("users.add", "kim", "Ada Byron (ada)"),
        ("users.disable", "kim", "Ada Byron (ada)"),
    ]


def test_the_passwords_must_match_and_a_reset_shows_a_new_secret(site: Site, page: Any) -> None:
    ada = site.user("ada", "admin")
    bob = site.user("bob", "records-officer")
    sign_in(page, site, ada)
    page.goto(site.url + "/admin/users")
    page.get_by_label("Sign-in name (the district address for district sign-in)").fill("kim")
    page.get_by_label("Password (at least 12 characters; not for district sign-in only)").fill(
        PASSWORD
    )
    page.get_by_label("The password again").fill(PASSWORD + "x")
    page.get_by_role("button", name="Add the account").click()
    assert "the two passwords differ" in page.get_by_role("alert").inner_text()
    name = page.get_by_label("Sign-in name (the district address for district sign-in)")
    assert name.input_value() == "kim"  # the form is kept

    page.get_by_text("Reset the password of bob").click()
    page.get_by_label("New password for bob").fill("a brand new passphrase")
    page.get_by_label("The new password again for bob").fill("a brand new passphrase")
    page.get_by_role("button", name="Set the password and a new code secret for bob").click()
    secret = page.locator("#totp-secret").inner_text()
    assert secret != bob.secret
    renewed = Login("bob", "a brand new passphrase", secret, bob.role)
    site.clock.advance(timedelta(seconds=30))
    with pytest.raises(SignInError):  # the old password and secret no longer sign in
        site.app.accounts().sign_in("bob", bob.password, site.code(bob, False), "test")
    assert site.app.accounts().sign_in("bob", renewed.password, site.code(renewed), "t").name


def test_the_service_refuses_an_account_disabling_or_demoting_itself(site: Site) -> None:
    site.user("ada", "admin")
    accounts = site.app.accounts()
    with pytest.raises(UsageError, match="another administrator must"):
        accounts.disable("ada", "Ada", by="ADA")
    with pytest.raises(UsageError, match="another administrator must"):
        accounts.set_role("ada", "auditor", "Ada", by="ada")
    site.user("grace", "admin")
    assert accounts.disable("grace", "Ada", by="ada").disabled  # another admin may


def test_the_status_page_shows_the_index_the_audit_head_and_the_last_verify(
    site: Site, page: Any
) -> None:
    from tests.integration.test_retention import import_one, message

    import_one(site.archive, message("Bus schedule", "The field trip bus leaves at 8."))
    ada = site.user("ada", "admin")
    sign_in(page, site, ada)
    main = page.locator("main")
    assert "The archive has never been verified." in main.inner_text()
    assert "Every record is in the search index." in main.inner_text()
    site.archive.ok("verify")
    page.reload()
    text = main.inner_text()
    assert "Last verified" in text and "1 records checked" in text and "no problems" in text
    head = site.archive.ok("status", "--json").json()["audit_head"]
    assert head in text
    screenshot(page, "status")


PAGES = {  # path -> the action it needs
    "/students": "students.read",
    "/students/104233": "students.access_log",
    "/audit": "audit.read",
    "/audit/verify": "audit.read",
    "/status": "status.read",
    "/admin/users": "users.manage",
}


@pytest.fixture
def client(any_site: Site) -> FlaskClient:
    return create_app(any_site.app).test_client()


@pytest.mark.parametrize("role", sorted(roles.HOME))
def test_each_role_opens_only_the_pages_it_is_allowed(
    any_site: Site, client: FlaskClient, role: str
) -> None:
    from tests.integration.test_retention import roster

    roster(any_site.archive, {"104233": None})
    login = any_site.user("someone", role)
    client_sign_in(client, any_site, login)
    for path, action in PAGES.items():
        expected = 200 if roles.allowed(role, action) else 403
        assert client.get(path, base_url=HTTPS).status_code == expected, (path, role)
    posts = {
        "/admin/users/someone/disable": "users.manage",
        "/records/0123456789abcdef0123456789abcdef/tags/104233/remove": "records.tag",
    }
    page = client.get("/", base_url=HTTPS, follow_redirects=True).text
    from tests.web.test_security import _csrf

    for path, action in posts.items():
        got = client.post(path, base_url=HTTPS, data={"csrf": _csrf(page)}).status_code
        if roles.allowed(role, action):
            assert got != 403, (path, role)
        else:
            assert got == 403, (path, role)
