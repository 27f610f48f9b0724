"""What a page asks of the request it serves: the archive, the signed-in person, and whether
that person's role may take an action (refused with 403 when not)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from flask import abort, current_app, g, request

from archiver.errors import UsageError
from archiver.web import roles

if TYPE_CHECKING:
    from archiver.app import App
    from archiver.archive.accounts import Account

View = TypeVar("View", bound=Callable[..., Any])


def form_day(name: str, label: str, default: date | None = None) -> date | None:
    """The day (YYYY-MM-DD) a form or query field `name` gives, `default` if it is empty;
    UsageError naming the field by its `label` if it is not a day."""
    text = request.values.get(name, "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{label}: {text!r} is not a day (YYYY-MM-DD)") from None


def archive_of() -> App:
    """The `App` this request is served from."""
    found: App = current_app.extensions["archive"]
    return found


def current() -> Account:
    """The signed-in person (every page but the public ones has one)."""
    account: Account = g.account
    return account


def allowed(action: str) -> bool:
    """Whether the signed-in person (if any) may take `action` (templates ask this)."""
    account = g.get("account")
    return account is not None and roles.allowed(account.role, action)


def require(action: str) -> None:
    """Refuse (403) unless the signed-in person's role may take `action`."""
    if not allowed(action):
        abort(403, "Your role does not allow this.")


def requires(action: str) -> Callable[[View], View]:
    """A page only roles allowed `action` may open."""

    def wrap(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            require(action)
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return wrap
