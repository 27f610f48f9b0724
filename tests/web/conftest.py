"""The web application under test: an archive served by waitress on 127.0.0.1 in a thread of
this process (so a test moves its clock), and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archiver.app import App
from archiver.clock import FixedClock
from tests.conftest import Archive, make_archive
from tests.web.oidc_provider import oidc_provider

__all__ = ["oidc_provider"]

CHROMIUM = os.environ.get("ARCHIVER_TEST_CHROMIUM", "/usr/bin/chromium")
ARTEFACTS = Path(os.environ.get("ARCHIVER_TEST_ARTEFACTS", "test-artefacts"))
START = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # noon in Massachusetts
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Login:
    name: str
    password: str
    secret: str  # the TOTP secret an authenticator app would hold
    role: str


@dataclass
class Site:
    """A served archive: its address, its App (the server's), its clock and its config."""

    url: str
    app: App
    clock: FixedClock
    archive: Archive

    def user(self, name: str, role: str, display_name: str | None = None) -> Login:
        """A local account (password and TOTP), added as an administrator would."""
        _, secret = self.app.accounts().add(
            name, role, display_name=display_name, password=PASSWORD, actor="test setup"
        )
        assert secret is not None
        return Login(name, PASSWORD, secret, role)

    def code(self, login: Login, fresh: bool = True) -> str:
        """The authenticator's code by the site's clock; `fresh`: in the next 30 s step
        first (the clock moves on), since a code is accepted once."""
        from archiver.crypto import totp

        if fresh:
            self.clock.advance(timedelta(seconds=30))
        return totp.code(login.secret, totp.step_of(self.clock.now()))


def free_port() -> int:
    """A port free on 127.0.0.1 now (for a config that must name it before serving)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(archive: Archive, clock: FixedClock, port: int = 0) -> Iterator[Site]:
    """Serve `archive` on `port` (0: a free one) until the generator is closed."""
    from waitress.server import create_server

    from archiver.web.app import create_app

    app = App.from_config(archive.config, clock)
    server: Any = create_server(create_app(app), host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.effective_port}", app, clock, archive)
    finally:
        # Closed from the server's own loop (its trigger runs this there): closing its sockets
        # from this thread raced the select() the loop was waiting in on them.
        server.trigger.pull_trigger(lambda: [ch.close() for ch in list(server._map.values())])
        thread.join(timeout=10)
        assert not thread.is_alive(), "the web server's loop did not stop"
        server.task_dispatcher.shutdown()
        app.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """An archive on SQLite, served (the browser tests' default)."""
    archive = make_archive(tmp_path / "archive", f"sqlite:///{tmp_path / 'archive.db'}")
    yield from serve(archive, FixedClock(START))


@pytest.fixture
def any_site(tmp_path: Path, database_url: str) -> Iterator[Site]:
    """An archive on each database, served."""
    archive = make_archive(tmp_path / "archive", database_url)
    yield from serve(archive, FixedClock(START))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium (installed by .ci/run), never a downloaded build; the tests fail,
    not skip, without it."""
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"{CHROMIUM} is not installed"
    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield found
        found.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser profile (no cookies) at 1280 px."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Any, site: Site, login: Login) -> None:
    """Sign in through the form, as a person would."""
    page.goto(site.url + "/signin")
    page.get_by_label("Name").fill(login.name)
    page.get_by_label("Password").fill(login.password)
    page.get_by_label("Code from your authenticator app").fill(site.code(login))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/signin" not in url)


def screenshot(page: Any, name: str) -> None:
    """Keep a screenshot of the page as a test artefact (docs/web.md shows them)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
