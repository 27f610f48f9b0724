"""Signing in and out: local accounts (password and a TOTP code) and the district's OpenID
Connect provider; the session cookie; the CSRF check of every state-changing request.

A session is a random token in an HttpOnly, Secure, SameSite=Lax `__Host-` cookie; the
database keeps only its SHA-256 (archive/accounts.py), with its idle and absolute expiry, so
signing out (or an administrator disabling the account) ends it everywhere at once. Before
sign-in, Flask's signed cookie carries a random value the sign-in form's CSRF token is bound
to, and the OIDC state, nonce and PKCE verifier between the redirect and the callback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from archiver.errors import SignInError, ThrottledError
from archiver.web import security
from archiver.web.context import archive_of
from archiver.web.oidc import OidcClient, Pending, Provider

if TYPE_CHECKING:
    from archiver.archive.accounts import Account

blueprint = Blueprint("auth", __name__)

_PRE = "pre"  # the pre-sign-in value in Flask's signed cookie
_OIDC = "oidc"  # the pending OIDC sign-in there


def actor_name(account: Account) -> str:
    """How the signed-in person is named in the audit and access logs."""
    if account.display_name and account.display_name != account.name:
        return f"{account.display_name} ({account.name})"
    return account.name


def _token() -> str | None:
    return request.cookies.get(security.SESSION_COOKIE)


def signed_in() -> Account | None:
    """The person this request's session cookie names, if the session is still good."""
    token = _token()
    if not token:
        return None
    found: Account | None = archive_of().accounts().session(token)
    return found


def _bound() -> str | None:
    """What this request's CSRF token must be bound to: the session, else the pre-sign-in
    value."""
    return _token() if g.get("account") is not None else session.get(_PRE)


def csrf_token() -> str:
    """The CSRF token for this page's forms (a pre-sign-in value is made if there is none)."""
    bound = _bound()
    if bound is None:
        bound = session[_PRE] = security.new_token()
    return security.csrf_token(current_app.config["SECRET_KEY"], bound)


def csrf_valid() -> bool:
    """Whether this state-changing request carries the CSRF token of its session."""
    given = request.form.get(security.CSRF_FIELD) or request.headers.get(security.CSRF_HEADER)
    return security.csrf_ok(current_app.config["SECRET_KEY"], _bound(), given)


@blueprint.app_context_processor
def _inject() -> dict[str, object]:
    return {"csrf_token": csrf_token, "account": g.get("account")}


def _signed_in_response(account: Account, target: str | None) -> Response:
    token = archive_of().accounts().start_session(account, request.remote_addr or "-")
    session.clear()
    response = redirect(_safe_next(target) or url_for("home"))
    response.set_cookie(
        security.SESSION_COOKIE,
        token,
        secure=True,
        httponly=True,
        samesite="Lax",
        path="/",
    )
    return response


def _safe_next(target: str | None) -> str | None:
    """A `next` page on this site only (never `//elsewhere` or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _oidc_client() -> OidcClient:
    """The district's identity provider's client, made once per process (it caches the
    provider's discovery document and keys); ConfigError if its secret file is unusable."""
    found: OidcClient | None = current_app.extensions.get("oidc")
    if found is None:
        archive = archive_of()
        o = archive.settings.web.oidc
        provider = Provider(
            o.issuer, o.client_id, archive.oidc_client_secret(), o.hosted_domain, o.email_claim
        )
        found = current_app.extensions["oidc"] = OidcClient(provider)
    return found


@blueprint.route("/signin", methods=["GET", "POST"])
def signin() -> Response | tuple[str, int] | str:
    """The sign-in page: name, password and the authenticator's code; or the district's
    identity provider when one is configured."""
    if g.get("account") is not None:
        return redirect(url_for("home"))
    oidc = archive_of().settings.web.oidc.issuer != ""
    target = request.values.get("next")
    if request.method == "GET":
        return render_template("signin.html", oidc=oidc, next=target, error=None)
    try:
        account = (
            archive_of()
            .accounts()
            .sign_in(
                request.form.get("name", ""),
                request.form.get("password", ""),
                request.form.get("code", ""),
                request.remote_addr or "-",
            )
        )
    except ThrottledError as exc:
        return render_template("signin.html", oidc=oidc, next=target, error=str(exc)), 429
    except SignInError:
        error = "Wrong name, password or code."
        return render_template("signin.html", oidc=oidc, next=target, error=error), 401
    return _signed_in_response(account, target)


@blueprint.post("/signout")
def signout() -> Response:
    """End this session everywhere (its cookie is refused from now on)."""
    token = _token()
    if token:
        archive_of().accounts().end_session(token)
    response = redirect(url_for("auth.signin"))
    response.delete_cookie(security.SESSION_COOKIE, path="/", secure=True, samesite="Lax")
    return response


@blueprint.get("/signin/oidc")
def oidc_begin() -> Response:
    """Send the browser to the district's identity provider."""
    if archive_of().settings.web.oidc.issuer == "":
        abort(404)
    now = archive_of().clock.now().timestamp()
    # The redirect URI registered with the provider: from `[web] public_url`, never from the
    # request's Host header (which a client chooses).
    public = archive_of().settings.web.public_url.rstrip("/")
    url, pending = _oidc_client().begin(public + url_for("auth.oidc_callback"), now)
    session[_OIDC] = pending.to_json()
    session["next"] = _safe_next(request.args.get("next"))
    return redirect(url)


@blueprint.get("/signin/oidc/callback")
def oidc_callback() -> Response | tuple[str, int]:
    """The identity provider's answer: its ID token checked, the account found by email."""
    archive = archive_of()
    if archive.settings.web.oidc.issuer == "":
        abort(404)
    saved = session.pop(_OIDC, None)
    target = session.pop("next", None)
    try:
        if saved is None:
            raise SignInError("no sign-in was started in this browser (or it took too long)")
        identity = _oidc_client().finish(
            request.args.to_dict(), Pending.from_json(saved), archive.clock.now().timestamp()
        )
        account = archive.accounts().sign_in_sso(
            identity.email, request.remote_addr or "-", f"{identity.issuer} {identity.subject}"
        )
    except SignInError as exc:
        current_app.logger.warning("OIDC sign-in refused: %s", exc)
        error = "The district's sign-in did not check out, or this account may not use it."
        return render_template("signin.html", oidc=True, next=None, error=error), 401
    return _signed_in_response(account, target)
