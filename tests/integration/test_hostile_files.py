"""Hostile inputs, on SQLite and PostgreSQL: special files given to `import` or dropped into a
maildir source, and mbox files with `From ` lines in their bodies."""

from __future__ import annotations

import os
import stat
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, Archive, Result
from tests.memory import memory_cap

GOOD = CORPUS / "mikel-mail" / "plain_emails" / "basic_email.eml"


def note(n: int, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "teacher@district.example.org"
    msg["To"] = "records-archive@district.example.org"
    msg["Subject"] = f"Fwd: note {n}"
    msg["Date"] = "Mon, 02 Mar 2026 08:00:00 -0500"
    msg["Message-ID"] = f"<hostile-{n}@example.org>"
    msg.set_content(body)
    return msg.as_bytes()


def _failed(result: Result) -> dict[str, str]:
    """Each failed item's error, by path; and no traceback reached the user."""
    assert "Traceback" not in result.err
    return {i["path"]: i["error"] for i in result.json()["items"] if i["status"] == "failed"}


def _is_fifo(path: Path) -> bool:
    return stat.S_ISFIFO(os.lstat(path).st_mode)


@pytest.mark.timeout(30)  # under a second
def test_a_fifo_given_to_import_fails_alone(archive: Archive, tmp_path: Path) -> None:
    fifo = tmp_path / "waiting.eml"
    os.mkfifo(fifo)
    result = archive.cli("import", "--json", str(fifo), str(GOOD))
    assert result.code == 1
    assert result.json()["archived"] == 1
    assert _failed(result) == {str(fifo): f"{fifo}: is a FIFO, not a regular file: not read"}
    text = archive.cli("import", str(fifo))
    assert text.code == 1 and "Traceback" not in text.err
    assert f"failed: {fifo}: is a FIFO, not a regular file" in text.err
    assert _is_fifo(fifo)


@pytest.mark.timeout(30)  # under a second
def test_a_fifo_in_a_directory_given_to_import_fails_alone(
    archive: Archive, tmp_path: Path
) -> None:
    tree = tmp_path / "exports"
    maildir = tree / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    os.mkfifo(tree / "pipe")
    os.mkfifo(maildir / "new" / "1.pipe")
    (tree / "a.eml").write_bytes(note(1, "Walked.\n"))
    (maildir / "new" / "2.host").write_bytes(note(2, "Delivered.\n"))
    result = archive.cli("import", "--json", str(tree))
    assert result.code == 1
    doc = result.json()
    assert (doc["archived"], doc["failed"]) == (2, 2)
    assert _failed(result) == {
        str(p): f"{p}: is a FIFO, not a regular file: not read"
        for p in (tree / "pipe", maildir / "new" / "1.pipe")
    }
    assert _is_fifo(tree / "pipe") and _is_fifo(maildir / "new" / "1.pipe")


@pytest.mark.timeout(30)  # under a second
def test_dev_zero_given_to_import_is_refused_not_read(archive: Archive, tmp_path: Path) -> None:
    link = tmp_path / "zero.eml"
    link.symlink_to("/dev/zero")
    with memory_cap():
        result = archive.cli("import", "--json", "/dev/zero", str(link), str(GOOD))
    assert result.code == 1
    assert result.json()["archived"] == 1
    assert _failed(result) == {
        "/dev/zero": "/dev/zero: is a character device, not a regular file: not read",
        str(link): f"{link}: is a symlink to a character device (/dev/zero), not a regular "
        "file: not read",
    }


def _poll(archive: Archive) -> tuple[int, dict[str, Any]]:
    with memory_cap():
        result = archive.cli("poll", "--json")
    assert "Traceback" not in result.err
    [doc] = result.json()["sources"]
    return result.code, doc


@pytest.mark.timeout(30)  # under a second
def test_special_files_in_a_maildir_source_stay_and_are_reported(archive: Archive) -> None:
    with archive.config.open("a") as f:
        f.write('\n[[sources]]\nname = "dropbox"\nkind = "maildir"\npath = "dropbox"\n')
    box = archive.root / "dropbox"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    new = box / "new"
    os.mkfifo(new / "1.fifo")
    (new / "2.zero").symlink_to("/dev/zero")
    (new / "3.host").write_bytes(note(3, "A real message beside them.\n"))
    errors = sorted(
        [
            f"{new / '1.fifo'}: is a FIFO, not a regular file: not read",
            f"{new / '2.zero'}: is a symlink to a character device (/dev/zero), not a regular "
            "file: not read",
        ]
    )
    code, doc = _poll(archive)
    assert code == 1
    assert (doc["archived"], doc["moved"], doc["failed"], doc["waiting"]) == (1, 1, 2, 2)
    assert sorted(doc["errors"]) == errors
    assert (box / ".Archived" / "cur" / "3.host").read_bytes() == note(
        3, "A real message beside them.\n"
    )
    code, again = _poll(archive)  # every cycle reports them; nothing else happens
    assert code == 1
    assert (again["archived"], again["moved"], again["failed"]) == (0, 0, 2)
    assert sorted(again["errors"]) == errors
    assert _is_fifo(new / "1.fifo") and os.readlink(new / "2.zero") == "/dev/zero"
    assert sorted(os.listdir(new)) == ["1.fifo", "2.zero"]


# mbox: `From ` lines in bodies split nothing they should not, and no line is ever lost.

ENVELOPE = b"From teacher@district.example.org Sat Nov 28 12:00:00 2026"
PASTED = b"From jo@example.org Mon Jan  5 10:00:00 2026"


def _hostile_mbox(path: Path) -> bytes:
    bodies = [
        "Hello,\n\nFrom the desk of the principal: the trip is on.\nBring a coat.\n",
        "From me: the bus leaves at 8.\n",  # the first body line
        "See the old message below.\n\n"
        + PASTED.decode()
        + "\nSubject: the old one\n\nold text\n",  # passes the rule: split, and reported
        ">From a quoted line\nand the end.\n",
    ]
    thunderbird = b"From - Sat Nov  2 09:05:00 2019"
    data = b"".join(
        (ENVELOPE if n % 2 else thunderbird) + b"\n" + note(n, body) + b"\n"
        for n, body in enumerate(bodies)
    )
    path.write_bytes(data)
    return data


@pytest.mark.timeout(30)  # under a second
def test_mbox_from_lines_are_never_lost_and_splits_are_reported(
    archive: Archive, tmp_path: Path
) -> None:
    box = tmp_path / "hostile.mbox"
    data = _hostile_mbox(box)
    doc = archive.ok("import", "--json", str(box)).json()
    items = doc["items"]
    assert [i["path"] for i in items] == [f"{box}#{n}" for n in range(1, 6)]
    assert doc["failed"] == 0 and doc["archived"] + doc["quarantined"] == 5
    lines = data.split(b"\n")
    for item in items:  # each names the envelope line where its message starts
        assert lines[item["line"] - 1].decode() == item["envelope"]
    assert [i["envelope"] for i in items][3] == PASTED.decode()
    kept = []
    for item in items:
        kept.append(archive.ok("show", "--raw", item["id"]).out)
        shown = archive.ok("show", "--json", item["id"]).json()
        kept += [a["locator"].encode() for a in shown["arrivals"]]
    for line in lines:
        assert any(line in k for k in kept), line
    text = archive.ok("import", str(box)).text  # again: duplicates, each named with its line
    assert f"{box}#4 (line {items[3]['line']}): {PASTED.decode()}" in text
