"""The web application's defences, over HTTP (Flask's test client against the real
application and a real archive): CSRF, sign-out, throttling, headers, roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from archiver.web import roles
from archiver.web.app import create_app
from tests.web.conftest import Login, Site

HTTPS = "https://archive.example.org"  # __Host- cookies are Secure: the client speaks https


@pytest.fixture
def client(any_site: Site) -> Iterator[FlaskClient]:
    yield create_app(any_site.app).test_client()


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(
    client: FlaskClient, site: Site, login: Login, password: str | None = None, fresh: bool = True
) -> Any:
    page = client.get("/signin", base_url=HTTPS)
    return client.post(
        "/signin",
        base_url=HTTPS,
        data={
            "csrf": _csrf(page.text),
            "name": login.name,
            "password": login.password if password is None else password,
            "code": site.code(login, fresh),
        },
    )


def test_sign_in_then_a_form_without_its_csrf_token_is_refused(
    any_site: Site, client: FlaskClient
) -> None:
    rita = any_site.user("rita", "records-officer")
    assert sign_in(client, any_site, rita).status_code == 302
    page = client.get("/search", base_url=HTTPS)
    assert page.status_code == 200
    refused = client.post("/signout", base_url=HTTPS, data={})
    assert refused.status_code == 403 and "reload the page" in refused.text
    forged = client.post("/signout", base_url=HTTPS, data={"csrf": "0" * 64})
    assert forged.status_code == 403
    assert client.get("/search", base_url=HTTPS).status_code == 200  # still signed in
    done = client.post("/signout", base_url=HTTPS, data={"csrf": _csrf(page.text)})
    assert done.status_code == 302


def test_a_session_cookie_from_before_sign_out_is_refused(
    any_site: Site, client: FlaskClient
) -> None:
    rita = any_site.user("rita", "records-officer")
    sign_in(client, any_site, rita)
    page = client.get("/search", base_url=HTTPS)
    cookie = client.get_cookie("__Host-archiver-session", domain="archive.example.org")
    assert cookie is not None
    client.post("/signout", base_url=HTTPS, data={"csrf": _csrf(page.text)})
    other = create_app(any_site.app).test_client()
    other.set_cookie("__Host-archiver-session", cookie.value, domain="archive.example.org")
    again = other.get("/search", base_url=HTTPS)
    assert again.status_code == 302 and "/signin" in again.headers["Location"]


def test_the_eleventh_wrong_password_in_a_minute_is_throttled(
    any_site: Site, client: FlaskClient
) -> None:
    rita = any_site.user("rita", "records-officer")
    any_site.code(rita)  # a step of its own: the clock stands still from here
    for _ in range(10):
        wrong = sign_in(client, any_site, rita, password="not the password at all", fresh=False)
        assert wrong.status_code == 401 and "Wrong name, password or code" in wrong.text
    throttled = sign_in(client, any_site, rita, fresh=False)  # right, but too many tries
    assert throttled.status_code == 429
    assert client.get("/search", base_url=HTTPS).status_code == 302
    any_site.clock.advance(timedelta(seconds=61))
    assert sign_in(client, any_site, rita).status_code == 302


def test_every_page_sends_a_strict_content_security_policy(
    any_site: Site, client: FlaskClient
) -> None:
    page = client.get("/signin", base_url=HTTPS)
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and page.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in page.text  # every script is a file of the application's own
    assert not re.search(r"\son[a-z]+\s*=", page.text)  # and no inline event handler


@pytest.mark.parametrize("role", sorted(roles.HOME))
def test_each_role_reaches_only_its_own_pages(
    any_site: Site, client: FlaskClient, role: str
) -> None:
    login = any_site.user("someone", role)
    sign_in(client, any_site, login)
    expected = 200 if roles.allowed(role, "records.read") else 403
    assert client.get("/search", base_url=HTTPS).status_code == expected
