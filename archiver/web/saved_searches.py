"""Saved searches on the search page: save the search on screen under a name, delete one.
Each person sees only their own (`archive/saved_searches.py`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for
from werkzeug.wrappers import Response

from archiver.web.auth import actor_name
from archiver.web.context import archive_of, current, requires

blueprint = Blueprint("saved", __name__)


def saved_of_current() -> list[Any]:
    """The signed-in person's saved searches (the search page lists them)."""
    from archiver.archive.saved_searches import of_user

    archive = archive_of()
    return list(of_user(archive.store, archive.keyring, current().id))


@blueprint.post("/search/saved")
@requires("records.read")
def save() -> Response:
    """Save the search the form names (its query string) under a name; back to it."""
    from archiver.archive.saved_searches import add

    archive = archive_of()
    me = current()
    found = add(
        archive.store,
        archive.keyring,
        me.id,
        request.form.get("name", ""),
        request.form.get("query", ""),
        actor_name(me),
    )
    return redirect(url_for("search.search") + "?" + found.query)


@blueprint.post("/search/saved/<int:search_id>/delete")
@requires("records.read")
def delete(search_id: int) -> Response:
    from archiver.archive.saved_searches import delete as remove

    archive = archive_of()
    me = current()
    remove(archive.store, archive.keyring, me.id, search_id, actor_name(me))
    return redirect(url_for("search.search"))
