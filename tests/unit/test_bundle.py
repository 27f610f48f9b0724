"""Export bundles without an archive: the bag as written, its determinism, a failure leaving
nothing, and mboxrd quoting."""

from __future__ import annotations

import mailbox
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from archiver.errors import UsageError
from archiver.records.bundle import Bundle, check, verify
from archiver.understand.mbox import mboxrd, unquote

KEY = bytes(range(32))
CREATED = datetime(2026, 4, 16, 16, 0, tzinfo=UTC)
EML = b"From: a@example.org\r\nSubject: one\r\n\r\nFrom the start\r\n>From quoted\r\n"


def _bundle(out: Path) -> Bundle:
    b = Bundle("Milton  Public\nSchools", "PRR-2026-0001", CREATED, date(2026, 4, 16), out)
    b.add_record("ab" * 16, "release", (), "00" * 32)
    b.add_record("cd" * 16, "withhold", ("26a:ferpa",), "11" * 32)
    b.add_file(f"records/{'ab' * 16}.eml", EML, "message/rfc822", ["ab" * 16])
    b.set_letter("Dear Jo Reporter:\n", None)
    return b


def test_a_bag_verifies_and_the_zip_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    written = _bundle(tmp_path / "bag").write("signing-20260416-000000", KEY)
    assert (written.records, written.files) == (2, 1)
    assert verify(tmp_path / "bag") == []
    info = (tmp_path / "bag" / "bag-info.txt").read_text()
    assert "Source-Organization: Milton Public Schools\n" in info  # one line, whatever given
    assert f"Payload-Oxum: {len(EML)}.1\n" in info and "Request-Number: PRR-2026-0001\n" in info
    first = _bundle(tmp_path / "a.zip").write("signing-20260416-000000", KEY)
    (tmp_path / "b").mkdir()
    second = _bundle(tmp_path / "b" / "a.zip").write("signing-20260416-000000", KEY)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b" / "a.zip").read_bytes()
    assert first.manifest_sha256 == second.manifest_sha256
    checked = check(tmp_path / "a.zip")
    assert checked.problems == [] and checked.signed and checked.key_id == "signing-20260416-000000"


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "rename", full_disk)
    with pytest.raises(OSError, match="No space"):
        _bundle(tmp_path / "bag").write("signing-20260416-000000", KEY)
    monkeypatch.setattr(os, "link", full_disk)
    with pytest.raises(OSError, match="No space"):
        _bundle(tmp_path / "bag.zip").write("signing-20260416-000000", KEY)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError), _bundle(tmp_path / "bag") as b:  # staged, then an error
        assert b.staged(f"records/{'ab' * 16}.eml").read_bytes() == EML
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_paths_and_targets_are_refused(tmp_path: Path) -> None:
    with _bundle(tmp_path / "bag") as b:
        for bad in ("../x.eml", "/etc/passwd", "records/.hidden", "a//b", "a\\b"):
            with pytest.raises(ValueError):
                b.add_file(bad, b"", "text/plain", [])
    with pytest.raises(UsageError, match="does not exist"):
        _bundle(tmp_path / "missing" / "bag")
    (tmp_path / "bag.zip").write_bytes(b"")
    with pytest.raises(UsageError, match="already exists"):
        _bundle(tmp_path / "bag.zip")
    with pytest.raises(UsageError, match="no such bundle"):
        verify(tmp_path / "nothing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(UsageError, match="not a bundle"):
        verify(tmp_path / "file.txt")


def test_mboxrd_gives_each_message_back_exactly(tmp_path: Path) -> None:
    messages = [EML, b"Subject: two\n\n>>From deep\nFrom x\n", b"Subject: three\n\nno newline"]
    when = datetime(2026, 4, 6, 9, 5, tzinfo=UTC)
    data = mboxrd([("a@example.org", when, m) for m in messages[:2]] + [("a b", when, messages[2])])
    assert data.startswith(b"From a@example.org Mon Apr  6 09:05:00 2026\n")
    assert b"\nFrom MAILER-DAEMON Mon Apr  6 09:05:00 2026\n" in data  # not one token
    path = tmp_path / "m.mbox"
    path.write_bytes(data)
    box = mailbox.mbox(str(path))
    got = [unquote(box.get_bytes(k)) for k in box.iterkeys()]
    assert got == [messages[0], messages[1], messages[2] + b"\n"]
