"""The users page (administrators): every account; add one (a local account's TOTP secret
and otpauth URI shown once, on the page the form's answer is), change a role, disable or
enable, reset a password. Everything goes through `App.accounts()`, as `archiver users`
does, with the signed-in administrator as the actor; they cannot disable or demote their own
account (the service refuses it), so an administrator always remains."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from archiver.domain import ROLES
from archiver.errors import UsageError
from archiver.web.auth import actor_name
from archiver.web.context import archive_of, current, requires

blueprint = Blueprint("admin", __name__)


def _page(error: str | None = None, done: str | None = None, code: int = 200) -> tuple[str, int]:
    accounts = archive_of().accounts().list()
    page = render_template(
        "admin_users.html",
        accounts=accounts,
        roles=ROLES,
        error=error,
        done=done,
        form=request.form,
    )
    return page, code


def _password() -> str:
    """The new password, typed twice (as `archiver users` reads it)."""
    first, second = request.form.get("password", ""), request.form.get("password2", "")
    if first != second:
        raise UsageError("the two passwords differ: nothing was changed")
    return first


def _secret_page(name: str, secret: str, what: str) -> str:
    from archiver.crypto import totp

    return render_template(
        "admin_secret.html", name=name, secret=secret, uri=totp.uri(name, secret), what=what
    )


@blueprint.get("/admin/users")
@requires("users.manage")
def users() -> tuple[str, int]:
    return _page(done=request.args.get("done"))


@blueprint.post("/admin/users")
@requires("users.manage")
def add() -> Response | str | tuple[str, int]:
    """Add an account (`archiver users add`). A local account's TOTP secret is shown on this
    answer only: it is not kept anywhere it could be shown again."""
    form = request.form
    local = form.get("signin") in ("local", "both")
    sso = form.get("signin") in ("sso", "both")
    try:
        password = _password() if local else None
        account, secret = (
            archive_of()
            .accounts()
            .add(
                form.get("name", ""),
                form.get("role", ""),
                form.get("display_name") or None,
                password,
                sso,
                actor=actor_name(current()),
            )
        )
    except UsageError as exc:
        return _page(error=str(exc), code=400)
    if secret is None:
        return redirect(url_for("admin.users", done=f"Account {account.name} added."))
    return _secret_page(account.name, secret, f"Account {account.name} added ({account.role}).")


@blueprint.post("/admin/users/<name>/role")
@requires("users.manage")
def role(name: str) -> Response | tuple[str, int]:
    me = current()
    try:
        account = (
            archive_of()
            .accounts()
            .set_role(name, request.form.get("role", ""), actor_name(me), by=me.name)
        )
    except UsageError as exc:
        return _page(error=str(exc), code=400)
    return redirect(url_for("admin.users", done=f"Account {account.name} is now {account.role}."))


@blueprint.post("/admin/users/<name>/disable")
@requires("users.manage")
def disable(name: str) -> Response | tuple[str, int]:
    me = current()
    try:
        account = archive_of().accounts().disable(name, actor_name(me), by=me.name)
    except UsageError as exc:
        return _page(error=str(exc), code=400)
    done = f"Account {account.name} disabled: it cannot sign in, its sessions have ended."
    return redirect(url_for("admin.users", done=done))


@blueprint.post("/admin/users/<name>/enable")
@requires("users.manage")
def enable(name: str) -> Response | tuple[str, int]:
    try:
        account = archive_of().accounts().enable(name, actor_name(current()))
    except UsageError as exc:
        return _page(error=str(exc), code=400)
    return redirect(url_for("admin.users", done=f"Account {account.name} enabled."))


@blueprint.post("/admin/users/<name>/password")
@requires("users.manage")
def password(name: str) -> str | tuple[str, int]:
    """A new password and TOTP secret (`archiver users password`); its sessions end."""
    accounts = archive_of().accounts()
    try:
        account = accounts.get(name)
        secret = accounts.set_password(name, _password(), actor_name(current()))
    except UsageError as exc:
        return _page(error=str(exc), code=400)
    what = f"Account {account.name} has a new password and TOTP secret; its sessions have ended."
    return _secret_page(account.name, secret, what)
