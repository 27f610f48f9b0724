"""Importing real messages and reading them back, on SQLite and PostgreSQL."""

from __future__ import annotations

import mailbox
from pathlib import Path

from tests.conftest import CORPUS, Archive, corpus_messages


def test_every_corpus_message_comes_back_byte_for_byte(archive: Archive) -> None:
    paths = corpus_messages()
    assert len(paths) >= 70
    report = archive.cli("import", "--json", *map(str, paths))
    assert report.code == 0, report.err
    doc = report.json()
    assert doc["failed"] == 0
    assert doc["archived"] + doc["quarantined"] + doc["duplicates"] == len(paths)
    by_path = {item["path"]: item for item in doc["items"]}
    for path in paths:
        item = by_path[str(path)]
        assert item["id"], item
        shown = archive.ok("show", "--raw", item["id"])
        assert shown.out == path.read_bytes(), path
        assert archive.ok("show", item["id"]).text  # the readable view renders too


def test_same_bytes_twice_make_one_record_with_two_arrivals(
    archive: Archive, tmp_path: Path
) -> None:
    msg = CORPUS / "mikel-mail" / "plain_emails" / "basic_email.eml"
    copy = tmp_path / "copy.eml"
    copy.write_bytes(msg.read_bytes())
    first = archive.ok("import", "--json", str(msg)).json()
    second = archive.ok("import", "--json", str(copy)).json()
    assert first["archived"] == 1 and second["duplicates"] == 1
    rid = first["items"][0]["id"]
    assert second["items"][0]["id"] == rid
    view = archive.ok("show", "--json", rid).json()
    assert [a["locator"] for a in view["arrivals"]] == [str(msg), str(copy)]


def test_the_same_file_arriving_again_is_the_same_arrival(archive: Archive) -> None:
    """A re-run (after a crash, as the docs advise) records no second arrival of a file."""
    msg = CORPUS / "mikel-mail" / "plain_emails" / "basic_email.eml"
    rid = archive.ok("import", "--json", str(msg)).json()["items"][0]["id"]
    for _ in range(3):
        again = archive.ok("import", "--json", str(msg), str(msg)).json()
        assert [i["status"] for i in again["items"]] == ["duplicate", "duplicate"]
    view = archive.ok("show", "--json", rid).json()
    assert [a["locator"] for a in view["arrivals"]] == [str(msg)]


def test_empty_file_fails_alone_and_the_rest_is_archived(archive: Archive, tmp_path: Path) -> None:
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    good = CORPUS / "mikel-mail" / "plain_emails" / "basic_email.eml"
    result = archive.cli("import", "--json", str(empty), str(good))
    assert result.code == 1
    doc = result.json()
    assert (doc["archived"], doc["failed"]) == (1, 1)
    failed = next(i for i in doc["items"] if i["status"] == "failed")
    assert failed["path"] == str(empty) and "empty" in failed["error"] and failed["id"] is None
    plain = archive.cli("import", str(empty))
    assert plain.code == 1 and str(empty) in plain.err


def test_unparseable_bytes_are_kept_as_quarantined(archive: Archive, tmp_path: Path) -> None:
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\x00\x01\x02 this is not mail at all\n\x00\xff" * 50)
    doc = archive.ok("import", "--json", str(junk)).json()
    assert doc["quarantined"] == 1
    rid = doc["items"][0]["id"]
    view = archive.ok("show", "--json", rid).json()
    assert view["status"] == "quarantined"
    assert view["quarantine"]["code"] == "no_headers"
    assert archive.ok("show", "--raw", rid).out == junk.read_bytes()


def test_mbox_and_maildir_each_message_is_an_item(archive: Archive, tmp_path: Path) -> None:
    sources = [p.read_bytes() for p in corpus_messages()]
    # Messages an mbox can hold unchanged: no envelope line of their own, no "From " lines.
    plain = [
        raw
        for raw in sources
        if b"\nFrom " not in raw and not raw.startswith(b"From ") and raw.endswith(b"\n")
    ][:6]
    with (tmp_path / "inbox.mbox").open("wb") as f:
        for raw in plain:
            f.write(b"From teacher@district.example.org Sat Nov 28 12:00:00 2026\n" + raw)
            f.write(b"\n")
    md = mailbox.Maildir(str(tmp_path / "Maildir"))
    for raw in plain[3:]:
        md.add(raw)
    doc = archive.ok(
        "import", "--json", str(tmp_path / "inbox.mbox"), str(tmp_path / "Maildir")
    ).json()
    paths = [i["path"] for i in doc["items"]]
    assert paths[:6] == [f"{tmp_path / 'inbox.mbox'}#{n}" for n in range(1, 7)]
    assert all(p.startswith(str(tmp_path / "Maildir" / "new")) for p in paths[6:])
    assert doc["archived"] + doc["quarantined"] == 6
    assert doc["duplicates"] == 3  # the maildir holds three of the mbox's messages
    for item, raw in zip(doc["items"], plain, strict=False):
        assert archive.ok("show", "--raw", item["id"]).out == raw


def test_directory_import_recurses_and_skips_non_mail(archive: Archive) -> None:
    doc = archive.ok("import", "--json", str(CORPUS)).json()
    assert doc["failed"] == 0
    assert len(doc["items"]) == len(corpus_messages())
    assert any(s.endswith("README.md") for s in doc["skipped"])
    assert not any(s.endswith(".eml") for s in doc["skipped"])


def test_verify_and_audit_pass_on_a_healthy_archive(archive: Archive) -> None:
    archive.ok("import", str(CORPUS / "mikel-mail"))
    verify = archive.ok("verify", "--json").json()
    assert verify["checked"] == verify["ok"] > 40 and verify["failed"] == []
    chain = archive.ok("audit", "verify", "--json").json()
    assert chain["ok"] and chain["checked"] >= 3  # keys.generate, ingest, verify


def test_unknown_and_ambiguous_ids_are_usage_errors(archive: Archive) -> None:
    result = archive.cli("show", "0123456789abcdef")
    assert result.code == 2 and "no record" in result.err
    assert archive.cli("show", "xyz").code == 2
