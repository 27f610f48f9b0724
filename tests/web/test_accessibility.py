"""Accessibility (issue 16): axe-core's WCAG 2.1 A/AA rules run inside chromium on every main
page, failing on any violation axe rates serious or critical; and the pages a person reads on
a tablet (768 x 1024) do not scroll sideways.

axe-core comes from the PyPI package `axe-playwright-python` (MIT; it bundles axe-core's
`axe.min.js`, MPL-2.0), a test-only dependency in the `dev` extra: we use only the bundled
script, and run it ourselves so the rules and the report are ours.

To check a new page, add a line to `MAIN_PAGES`: its name, a function that makes what the page
shows and returns its path, and the role that signs in to see it (None: not signed in).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_retention import about, import_one, message, roster
from tests.web.conftest import Site, sign_in

BLOCKING = frozenset({"serious", "critical"})
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TABLET = {"width": 768, "height": 1024}


def _axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text("utf-8")


def _search(site: Site) -> str:
    roster(site.archive, {"104233": None})
    about(site.archive, "104233", n=2)
    import_one(site.archive, message("Field trip permission", "The field trip bus leaves at 8."))
    return "/search?q=field+trip"


def _record(site: Site) -> str:
    roster(site.archive, {"104233": None})
    about(site.archive, "104233", n=1)
    body = "A long line that must wrap on a tablet: " + "x" * 300 + "\n" + "word " * 200
    rid = import_one(site.archive, message("Bus schedule for the field trip", body))
    return f"/records/{rid}"


def _requests(site: Site) -> str:
    rid = about(site.archive, "104233", n=3) if _roster(site) else ""
    number = site.archive.ok(
        "request", "open", "--kind", "public", "--requester", "Jo Reporter", "--json"
    ).json()["number"]
    site.archive.ok("request", "add", number, rid)
    return f"/requests/{number}"


def _roster(site: Site) -> bool:
    roster(site.archive, {"104233": None})
    return True


def _hold(site: Site) -> str:
    _roster(site)
    about(site.archive, "104233", n=4)
    site.archive.ok("hold", "create", "Doherty complaint", "--student", "104233", "--reason", "x")
    return "/holds"


def _student(site: Site) -> str:
    _roster(site)
    about(site.archive, "104233", n=5)
    return "/students/104233"


# (name, make what the page shows and return its path, the role signed in or None).
MAIN_PAGES: list[tuple[str, Callable[[Site], str], str | None]] = [
    ("sign-in", lambda site: "/signin", None),
    ("search", lambda site: "/search", "records-officer"),
    ("search-results", _search, "records-officer"),
    ("record", _record, "records-officer"),
    ("requests", lambda site: "/requests", "records-officer"),
    ("request-workspace", _requests, "records-officer"),
    ("holds", _hold, "records-officer"),
    ("retention", lambda site: "/retention", "records-officer"),
    ("disposition", lambda site: "/disposition", "records-officer"),
    ("students", lambda site: "/students", "records-officer"),
    ("student", _student, "records-officer"),
    ("audit-log", lambda site: "/audit", "auditor"),
    ("status", lambda site: "/status", "admin"),
    ("users", lambda site: "/admin/users", "admin"),
]

# Pages read on a tablet: the page body must not scroll sideways there.
TABLET_PAGES = ("search-results", "record")


def _open(site: Site, page: Any, make: Callable[[Site], str], role: str | None) -> None:
    path = make(site)
    if role is not None:
        sign_in(page, site, site.user("ada", role, "Ada Lovelace"))
    page.goto(site.url + path)
    page.wait_for_load_state("load")


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of WCAG 2.1 A and AA on the page as it stands.

    The script is evaluated through Playwright's DevTools channel (`page.evaluate`), which
    the page's Content-Security-Policy does not govern: a <script> tag added to the page
    (`add_script_tag`) would be refused, rightly, by `script-src 'self'`, and bypassing the
    CSP for the whole context would check a page weaker than the one we serve.
    """
    page.evaluate(_axe_source())
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG_AA,
    )
    found: list[dict[str, Any]] = result["violations"]
    return found


def _report(found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            lines.append(f"    {' '.join(node['target'])}: {node['html'][:160]}")
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("name", "make", "role"), MAIN_PAGES, ids=[name for name, _, _ in MAIN_PAGES]
)
def test_no_serious_or_critical_wcag_violation(
    site: Site, page: Any, name: str, make: Callable[[Site], str], role: str | None
) -> None:
    _open(site, page, make, role)
    found = violations(page)
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert not blocking, f"{name}: axe-core found\n{_report(blocking)}"
    if found:  # moderate and minor ones are printed for whoever looks next
        print(f"{name}: lesser axe-core findings\n{_report(found)}")


@pytest.mark.parametrize("name", TABLET_PAGES)
def test_a_tablet_reads_the_page_without_scrolling_sideways(
    site: Site, browser: Any, name: str
) -> None:
    [(make, role)] = [(m, r) for n, m, r in MAIN_PAGES if n == name]
    context = browser.new_context(viewport=TABLET)
    context.set_default_timeout(15_000)
    try:
        tab = context.new_page()
        _open(site, tab, make, role)
        width = tab.evaluate("document.scrollingElement.scrollWidth")
        inner = tab.evaluate("window.innerWidth")
        assert width <= inner, f"{name}: the page is {width} px wide in a {inner} px window"
    finally:
        context.close()


def test_the_check_reports_what_it_should(site: Site, page: Any) -> None:
    """The harness itself: an unlabelled field and pale text put into a served page are
    reported as the serious violations they are (so a passing check means something)."""
    page.goto(site.url + "/signin")
    page.evaluate(
        """() => {
        const field = document.createElement('input');
        const pale = document.createElement('p');
        pale.textContent = 'hard to read';
        pale.style.color = '#cccccc';
        document.querySelector('main').append(field, pale);
    }"""
    )
    rules = {v["id"] for v in violations(page) if v["impact"] in BLOCKING}
    assert {"label", "color-contrast"} <= rules, rules
