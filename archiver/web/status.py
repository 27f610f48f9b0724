"""The status page: what `archiver status` shows (sources and their last polls, the search
index, retention and disposition waiting, requests' deadlines, problems), and the last
`archiver verify` the audit log records. Verifying every record reads the whole archive, so
the page says how to run it rather than running it in a request."""

from __future__ import annotations

from flask import Blueprint, render_template

from archiver.web.context import archive_of, requires

blueprint = Blueprint("status", __name__)


@blueprint.get("/status")
@requires("status.read")
def status() -> str:
    from archiver.archive.audit_log import last_event
    from archiver.records.status import gather

    archive = archive_of()
    today = archive.district.today(archive.clock)
    found = gather(
        archive.settings,
        archive.store,
        archive.district,
        today,
        archive.requests_since(today),
        lambda: archive.keyring,
        lambda: archive.requests().deadlines(),
    )
    verified = last_event(archive.store, archive.keyring, "verify")
    return render_template(
        "status.html",
        s=found,
        verified=verified,
        no_sources=archive.settings.no_sources,
    )
