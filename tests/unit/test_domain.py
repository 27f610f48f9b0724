"""The sealed metadata is read into typed values, whatever version wrote it; the records an
audit event is about."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from archiver.crypto.sealing import new_record_id
from archiver.domain import (
    PROVENANCE_HEADERS,
    AttachmentInfo,
    AuditRow,
    Original,
    Party,
    RecordMeta,
    is_record_id,
)


def test_metadata_round_trips_through_its_sealed_form() -> None:
    pdf = AttachmentInfo("form.pdf", "application/pdf", 120, "ab" * 32, "timeout", "no answer")
    meta = RecordMeta(
        sender=(Party("Coach Byrne", "kbyrne@district.example.org"),),
        to=(Party("", "records@district.example.org"),),
        subject="Fwd: Field trip",
        date=datetime(2025, 10, 15, 12, 0, tzinfo=UTC),
        date_text="Wed, 15 Oct 2025 08:00:00 -0400",
        authentication_results=("mx.example; dkim=pass",),
        attachments=(AttachmentInfo("Fwd.eml", "message/rfc822", 900, ""),),
        defects=("HeaderDefect: To: HeaderParseError",),
        forwarder=Party("Coach Byrne", "kbyrne@district.example.org"),
        note="For the record.",
        originals=(
            Original(
                Party("Pat Rivera", "pat@gmail.example"),
                (Party("", "coach@gmail.example"),),
                (),
                "Tue, 14 Oct 2025",
                None,
                "Field trip",
                "Liam can go.",
                PROVENANCE_HEADERS,
                (pdf,),
            ),
        ),
        body="For the record.",
    )
    assert RecordMeta.from_json(meta.to_json()) == meta
    assert meta.files() == [pdf]  # the attached message is an original, not a file
    assert [p.address for p in meta.people()][-2:] == ["pat@gmail.example", "coach@gmail.example"]


def test_metadata_of_the_first_release_still_opens() -> None:
    """Sealed before forwards were understood: no originals, no note, no body."""
    old = RecordMeta.from_json({"subject": "Fwd: Liam out", "sender": [], "to": []})
    assert old.originals is None and old.body is None and old.original is None
    assert old.subject == "Fwd: Liam out" and old.files() == []
    assert "originals" not in old.to_json()  # sealed again as it was, until rederive


def test_an_event_is_about_its_target_and_every_record_id_quoted_in_its_details() -> None:
    a, b, c, d = (new_record_id() for _ in range(4))
    assert all(is_record_id(r) for r in (a, b, c, d))
    details = {
        "records": [a, {"deeper": [b]}],
        c: 1,  # a key too
        "sha256": "ab" * 32,  # a digest is not an id
        "upper": d.upper(),
        "short": d[:31],
        "note": f"about {d}",  # inside other text: not the id itself
    }
    text = json.dumps(details, sort_keys=True, separators=(",", ":"))
    at = datetime(2026, 3, 10, tzinfo=UTC)
    event = AuditRow(1, at, "Dana Reyes", "search", None, text, "index-1", b"", b"")
    assert event.mentions() == {a, b, c}
    aimed = replace(event, target=d, details="{}")
    assert aimed.mentions() == {d}
    assert replace(event, target="hold:3", details="{}").mentions() == set()
    # What the old search of the details text found, it finds: also in what is not JSON.
    assert replace(event, details=f'not json "{a}"').mentions() == {a}
