"""The web application (DESIGN.md 13): a Flask application over one `App`, built by
`archiver web` (or a test). Every request is signed in (except the sign-in pages and static
files), checked for its CSRF token when it changes anything, and runs with the signed-in
person as the actor of every audit and access event the services write.

Pages are server-rendered Jinja2 templates; htmx (shipped in `static/`) swaps parts of a
page. Nothing is fetched from elsewhere by the browser.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask, abort, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from archiver.archive.actor import acting_as
from archiver.domain import size_text
from archiver.errors import ArchiverError, DestroyedError, IntegrityError, UsageError
from archiver.web import roles, security
from archiver.web.context import allowed, archive_of

if TYPE_CHECKING:
    from archiver.app import App

PUBLIC = frozenset({"static", "auth.signin", "auth.oidc_begin", "auth.oidc_callback"})

# The main menu after Search: (endpoint, action, label), shown to roles allowed the action;
# pages not built yet are left out (their blueprints register the endpoints).
NAV = (
    ("requests.dashboard", "requests.read", "Requests"),
    ("holds.holds", "holds.read", "Holds"),
    ("retention.report", "retention.read", "Retention"),
    ("disposition.batches", "disposition.read", "Disposition"),
    ("students.students", "students.read", "Students"),
    ("audit.log", "audit.read", "Audit log"),
    ("status.status", "status.read", "Status"),
    ("admin.users", "users.manage", "Users"),
)


def create_app(archive: App) -> Flask:
    """The web application of `archive` (its store and keys opened now, so a broken
    configuration fails at start, not at the first request)."""
    from archiver.web import (
        admin,
        audit,
        auth,
        disposition,
        holds,
        records,
        requests,
        retention,
        saved_searches,
        search,
        status,
        students,
        tags,
    )

    web = Flask("archiver.web", static_folder="static", template_folder="templates")
    web.config.update(
        SECRET_KEY=archive.keyring.web_key(),
        SESSION_COOKIE_NAME=security.PRESIGN_COOKIE,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # sent on the identity provider's redirect back
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=15),
        MAX_CONTENT_LENGTH=16 << 20,
        TEMPLATES_AUTO_RELOAD=False,
    )
    web.extensions["archive"] = archive
    _ = archive.store  # opened (and its schema checked) before serving
    web.jinja_env.globals.update(
        allowed=allowed,
        csrf_field=security.CSRF_FIELD,
        nav_pages=lambda: [n for n in NAV if n[0] in web.view_functions],
        oidc_label=archive.settings.web.oidc.label,
    )
    web.jinja_env.filters.update(day=_day, size=lambda n: size_text(int(n or 0)), when=_when)
    web.register_blueprint(auth.blueprint)
    web.register_blueprint(search.blueprint)
    web.register_blueprint(saved_searches.blueprint)
    web.register_blueprint(records.blueprint)
    web.register_blueprint(holds.blueprint)
    web.register_blueprint(retention.blueprint)
    web.register_blueprint(disposition.blueprint)
    web.register_blueprint(requests.blueprint)
    web.register_blueprint(students.blueprint)
    web.register_blueprint(tags.blueprint)
    web.register_blueprint(audit.blueprint)
    web.register_blueprint(status.blueprint)
    web.register_blueprint(admin.blueprint)

    web.before_request(_before)
    web.after_request(_after)
    web.teardown_request(_teardown)
    web.register_error_handler(HTTPException, _http_error)
    web.register_error_handler(ArchiverError, _archiver_error)

    @web.get("/")
    def home() -> Response:
        return redirect(url_for(roles.HOME[g.account.role]))

    return web


def _before() -> Response | None:
    from archiver.web import auth

    g.stack = ExitStack()
    g.account = auth.signed_in()
    if request.method not in security.SAFE_METHODS and not auth.csrf_valid():
        abort(403, "The form was out of date or not from this site: reload the page and try again.")
    if request.endpoint in PUBLIC:
        return None
    if g.account is None:
        if request.headers.get("HX-Request"):  # a partial update: send the whole page away
            response = Response(status=204)
            response.headers["HX-Redirect"] = url_for("auth.signin")
            return response
        return redirect(url_for("auth.signin", next=request.full_path))
    g.stack.enter_context(acting_as(auth.actor_name(g.account)))
    return None


def _after(response: Response) -> Response:
    for name, value in security.HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _teardown(_: BaseException | None) -> None:
    stack: ExitStack | None = g.pop("stack", None)
    if stack is not None:
        stack.close()


def _http_error(exc: HTTPException) -> tuple[str, int]:
    code = exc.code or 500
    titles = {
        403: "Not allowed",
        404: "Not found",
        405: "Not allowed",
        413: "Too large",
        429: "Too many attempts",
    }
    message = exc.description if code in (403, 429) else None
    return render_template(
        "error.html", title=titles.get(code, "Error"), message=message, code=code
    ), code


def _archiver_error(exc: ArchiverError) -> tuple[str, int]:
    """A service's refusal or failure, said in its own words (they name what and where)."""
    code = 404 if isinstance(exc, DestroyedError) else 400 if isinstance(exc, UsageError) else 500
    if isinstance(exc, IntegrityError):
        code = 500
    return render_template("error.html", title="Cannot do that", message=str(exc), code=code), code


def _day(value: Any) -> str:
    """A stored time as the district's day (YYYY-MM-DD), or '-'."""
    from datetime import datetime

    if not value:
        return "-"
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return archive_of().district.day_of(when).isoformat()


def _when(value: Any) -> str:
    """A stored time in the district's zone, to the second (YYYY-MM-DD HH:MM:SS), or '-'."""
    from datetime import datetime

    if not value:
        return "-"
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.astimezone(archive_of().district.zone).strftime("%Y-%m-%d %H:%M:%S")
