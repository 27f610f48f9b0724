"""Reading messages from files: mbox splitting byte for byte, maildirs, directories."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from archiver.sources import files
from archiver.sources.arrival import Message
from tests.memory import memory_cap

LIMIT = 10 * 1024 * 1024
MSG_A = b"From: a@example.org\nSubject: one\n\nbody\n\n>From the quoted line\n"
MSG_B = b"From: b@example.org\nSubject: two\n\nHello,\nFrom here on, a body line.\n"


def _mbox(path: Path, messages: list[bytes], eol: bytes = b"\n") -> Path:
    with path.open("wb") as f:
        for m in messages:
            f.write(b"From sender@example.org Sat Nov 28 12:00:00 2026" + eol + m + eol)
    return path


def _read(paths: list[Path]) -> tuple[list[Message], list[str]]:
    scan = files.Scan([])
    return list(files.read_paths(paths, LIMIT, scan)), scan.skipped


def test_mbox_messages_come_out_exactly(tmp_path: Path) -> None:
    box = _mbox(tmp_path / "box", [MSG_A, MSG_B, MSG_A])
    msgs, _ = _read([box])
    assert [m.raw for m in msgs] == [MSG_A, MSG_B, MSG_A]
    assert [m.arrival.name for m in msgs] == [f"{box}#1", f"{box}#2", f"{box}#3"]
    envelope = "From sender@example.org Sat Nov 28 12:00:00 2026"
    assert [m.arrival.label for m in msgs] == [
        f"{box}#1 (line 1): {envelope}",
        f"{box}#2 (line 9): {envelope}",
        f"{box}#3 (line 16): {envelope}",
    ]
    assert sum(m.read_bytes for m in msgs) == box.stat().st_size


def test_crlf_mbox_and_from_lines_inside_bodies(tmp_path: Path) -> None:
    crlf = [m.replace(b"\n", b"\r\n") for m in (MSG_B, MSG_A)]
    msgs, _ = _read([_mbox(tmp_path / "box", crlf, b"\r\n")])
    assert [m.raw for m in msgs] == crlf


def test_mbox_split_across_read_chunks(tmp_path: Path, monkeypatch: object) -> None:
    big = b"From: c@example.org\n\n" + b"x" * 70 + b"\n"
    messages = [big * (i % 50 + 1) for i in range(300)]
    box = _mbox(tmp_path / "box", messages)
    import archiver.sources.files as f

    f._CHUNK = 4099  # small reads: separators straddle chunks
    try:
        msgs, _ = _read([box])
    finally:
        f._CHUNK = 1 << 20
    assert [m.raw for m in msgs] == messages


def test_oversized_mbox_message_fails_alone(tmp_path: Path) -> None:
    huge = b"From: h@example.org\n\n" + (b"y" * 99 + b"\n") * 40_000  # 4 MB
    box = _mbox(tmp_path / "box", [MSG_A, huge, MSG_B])
    scan = files.Scan([])
    msgs = list(files.read_paths([box], 1024 * 1024, scan))
    assert [m.raw for m in msgs] == [MSG_A, None, MSG_B]
    assert msgs[1].error and "max_message_mb" in msgs[1].error and f"{box}#2" in msgs[1].error


def test_eml_starting_with_envelope_line_is_one_whole_message(tmp_path: Path) -> None:
    raw = b"From sender@example.org Sat Nov 28 12:00:00 2026\n" + MSG_A
    (tmp_path / "saved.eml").write_bytes(raw)
    msgs, _ = _read([tmp_path / "saved.eml"])
    assert [m.raw for m in msgs] == [raw]
    msgs, _ = _read([tmp_path])
    assert [m.raw for m in msgs] == [raw]


def test_directory_walk_finds_mail_and_skips_the_rest(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(MSG_A)
    (tmp_path / "notes.txt").write_text("shopping list\n")
    (tmp_path / ".hidden.eml").write_bytes(MSG_B)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "noext").write_bytes(MSG_B)
    _mbox(sub / "archive.mbox", [MSG_A])
    md = tmp_path / "Maildir"
    for d in ("cur", "new", "tmp"):
        (md / d).mkdir(parents=True)
    (md / "new" / "1.host").write_bytes(MSG_B)
    (md / "tmp" / "2.host").write_bytes(MSG_A)  # not delivered yet: not read
    msgs, skipped = _read([tmp_path])
    kinds = [(m.arrival.source_kind, Path(m.arrival.label.split("#")[0]).name) for m in msgs]
    assert kinds == [
        ("maildir", "1.host"),
        ("file", "a.eml"),
        ("mbox", "archive.mbox"),
        ("file", "noext"),
    ]
    assert skipped == [str(tmp_path / "notes.txt")]


def test_unreadable_and_missing_paths_are_errors_not_crashes(tmp_path: Path) -> None:
    msgs, _ = _read([tmp_path / "missing.eml", tmp_path / "empty.eml"])
    assert msgs[0].raw is None and "no such file" in (msgs[0].error or "")
    (tmp_path / "empty.eml").write_bytes(b"")
    msgs, _ = _read([tmp_path / "empty.eml"])
    assert msgs[0].raw is None and "empty" in (msgs[0].error or "")


# mbox splitting: which `From ` lines separate messages, and that no line is ever lost.

ENV = b"From sender@example.org Sat Nov 28 12:00:00 2026"


def _split(
    tmp_path: Path, data: bytes, chunk: int | None = None, limit: int = LIMIT
) -> list[Message]:
    box = tmp_path / "box.mbox"
    box.write_bytes(data)
    return list(files.read_mbox(box, limit, chunk))


def _envelopes(msgs: list[Message]) -> list[str | None]:
    return [m.arrival.part.envelope if m.arrival.part else None for m in msgs]


@pytest.mark.parametrize(
    "envelope",
    [
        ENV,  # asctime, as mutt, procmail and Python's mailbox write it
        b"From - Sat Nov  2 09:05:00 2019",  # Thunderbird
        b"From 1786547335218974211@xxx Thu May 21 13:37:52 +0000 2020",  # Gmail takeout
        b"From ???@??? Mon Jan 02 10:00:00 2017",  # Eudora
        b"From jdoe@example.com Fri Jan  3 10:00:00 2020",  # Apple Mail export
        b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011 +0200",  # a zone after the year
        b"From user@host  Wed Dec 31 16:00 PST 1969 remote from host",  # old UUCP style
    ],
)
@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
def test_envelope_lines_mbox_writers_make_separate_messages(
    tmp_path: Path, envelope: bytes, eol: bytes
) -> None:
    a, b = (m.replace(b"\n", eol) for m in (MSG_A, MSG_B))
    msgs = _split(tmp_path, ENV + eol + a + eol + envelope + eol + b + eol)
    assert [m.raw for m in msgs] == [a, b]
    assert _envelopes(msgs) == [ENV.decode(), envelope.decode()]
    assert [m.arrival.part.line for m in msgs if m.arrival.part] == [1, 9]


@pytest.mark.parametrize(
    "line",
    [
        b"From the desk of the principal: the field trip is on.",
        b"From Monday on, pick-up is at 3 pm.",
        b"From: someone who forgot the header block",
        b"From sender@example.org on Sat Nov 28 at noon",
        b"From sender@example.org Sat Nov 28 12:00:00",  # no year
        b"From sender@example.org Sat Nov 28 2026",  # no time
        "From sender@example.org Sat Nov 28 12:00:00 2026 café".encode(),  # not ASCII
    ],
)
def test_a_from_line_in_a_body_stays_in_the_message(tmp_path: Path, line: bytes) -> None:
    # After an empty line, followed by a header-like line: only an envelope line splits.
    body = b"From: t@example.org\nSubject: s\n\nHello,\n\n" + line + b"\nNote: bring a coat.\n"
    msgs = _split(tmp_path, ENV + b"\n" + body + b"\n" + ENV + b"\n" + MSG_B + b"\n")
    assert [m.raw for m in msgs] == [body, MSG_B]


def test_a_from_line_longer_than_any_envelope_stays_in_the_message(tmp_path: Path) -> None:
    body = b"From: t@example.org\n\nHi\n\nFrom " + b"x" * 5000 + b"\nNote: y\n"
    msgs = _split(tmp_path, ENV + b"\n" + body + b"\n" + ENV + b"\n" + MSG_B, chunk=100)
    assert [m.raw for m in msgs] == [body, MSG_B]


def test_an_envelope_line_not_followed_by_a_header_is_body_text(tmp_path: Path) -> None:
    body = b"From: t@example.org\n\nThe old mbox said:\n\n" + ENV + b"\nand then the letter.\n"
    msgs = _split(tmp_path, ENV + b"\n" + body)
    assert [m.raw for m in msgs] == [body]


def test_a_from_line_first_in_a_body_keeps_the_message_whole(tmp_path: Path) -> None:
    # The empty line ending the headers is followed by "From ": once, that emptied the body.
    first = b"From: t@example.org\nSubject: note\n\nFrom me: the bus leaves at 8.\n"
    only = b"From: t@example.org\nSubject: two\n\nFrom Monday, no buses\n"
    msgs = _split(tmp_path, ENV + b"\n" + first + b"\n" + ENV + b"\n" + only)
    assert [m.raw for m in msgs] == [first, only]
    assert all(m.error is None for m in msgs)


def test_a_body_line_that_passes_the_rule_splits_visibly_and_loses_nothing(
    tmp_path: Path,
) -> None:
    # A pasted mbox inside a body satisfies the rule: the split is reported, and the
    # envelope line is kept with the arrival.
    pasted = b"From jo@example.org Mon Jan  5 10:00:00 2026"
    data = (
        ENV + b"\n" + b"From: a@example.org\n\nSee below.\n\n" + pasted + b"\n"
        b"Subject: old\n\nold text\n"
    )
    msgs = _split(tmp_path, data)
    assert [m.raw for m in msgs] == [
        b"From: a@example.org\n\nSee below.\n",
        b"Subject: old\n\nold text\n",
    ]
    assert _envelopes(msgs) == [ENV.decode(), pasted.decode()]
    second = msgs[1].arrival
    assert second.part and second.part.line == 6
    assert second.label == f"{tmp_path / 'box.mbox'}#2 (line 6): {pasted.decode()}"


def test_quoted_from_lines_are_kept_as_stored(tmp_path: Path) -> None:
    body = b"From: a@example.org\n\n>From the start\n>>From deeper\n\n>From after a gap\n"
    msgs = _split(tmp_path, ENV + b"\n" + body + b"\n" + ENV + b"\n" + MSG_B)
    assert [m.raw for m in msgs] == [body, MSG_B]


def test_a_file_without_an_envelope_line_loses_no_first_line(tmp_path: Path) -> None:
    msgs = _split(tmp_path, MSG_A + b"\n" + ENV + b"\n" + MSG_B)
    assert [m.raw for m in msgs] == [MSG_A, MSG_B]
    assert _envelopes(msgs) == [None, ENV.decode()]
    assert msgs[0].arrival.label == f"{tmp_path / 'box.mbox'}#1 (line 1)"


def test_an_envelope_with_nothing_after_it_is_reported_with_the_line(tmp_path: Path) -> None:
    msgs = _split(tmp_path, ENV + b"\n\n")
    assert [m.raw for m in msgs] == [None]
    assert msgs[0].error and "empty message" in msgs[0].error and ENV.decode() in msgs[0].error


MSG_C = b"From: c@example.org\nSubject: c\n\nFrom here.\n\n" + ENV + b"\n"  # no header follows
MSG_D = b"From: d@example.org\n\nd\n"
HOSTILE = b"".join(ENV + b"\n" + m + b"\n" for m in (MSG_A, MSG_C, MSG_D, MSG_B)) + b"\n\n"


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
def test_every_read_chunk_size_splits_the_same(tmp_path: Path, eol: bytes) -> None:
    data = HOSTILE.replace(b"\n", eol)
    whole = _split(tmp_path, data)
    messages = [m.replace(b"\n", eol) for m in (MSG_A, MSG_C, MSG_D, MSG_B + b"\n\n")]
    assert [m.raw for m in whole] == messages
    for chunk in range(1, 2 * len(ENV) + 20):
        msgs = _split(tmp_path, data, chunk)
        assert [(m.raw, m.arrival) for m in msgs] == [(m.raw, m.arrival) for m in whole], chunk
        assert sum(m.read_bytes for m in msgs) == len(data)


def test_every_line_of_the_file_is_in_a_message_or_an_envelope(tmp_path: Path) -> None:
    msgs = _split(tmp_path, HOSTILE, 7)
    kept = [m.raw or b"" for m in msgs] + [(e or "").encode() for e in _envelopes(msgs)]
    for line in HOSTILE.splitlines():
        assert any(line in k for k in kept), line
    starts = [m.arrival.part.line for m in msgs if m.arrival.part]
    lines = HOSTILE.split(b"\n")
    assert all(lines[n - 1] == ENV for n in starts)


def test_an_oversized_message_waiting_on_a_candidate_still_splits(tmp_path: Path) -> None:
    huge = b"From: h@example.org\n\n" + (b"y" * 99 + b"\n") * 40_000  # 4 MB
    data = ENV + b"\n" + MSG_A + b"\n" + ENV + b"\n" + huge + b"\n" + ENV + b"\n" + MSG_B
    for chunk in (97, 4099, None):
        msgs = _split(tmp_path, data, chunk, limit=1 << 20)
        assert [m.raw for m in msgs] == [MSG_A, None, MSG_B]
        assert [m.arrival.part.line for m in msgs if m.arrival.part] == [1, 9, 40_013]
        assert sum(m.read_bytes for m in msgs) == len(data)


# Special files: only regular files are read; nothing else can block or flood the reader.


def _special_files(tmp_path: Path) -> dict[str, Path]:
    """What each special file is called in the error, and its path."""
    os.mkfifo(tmp_path / "fifo")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock"))
    server.close()  # the socket file stays
    links = {"zero": Path("/dev/zero"), "dangling": tmp_path / "nowhere", "dirlink": tmp_path}
    for name, target in links.items():
        (tmp_path / name).symlink_to(target)
    return {
        "FIFO": tmp_path / "fifo",
        "socket": tmp_path / "sock",
        "character device": Path("/dev/zero"),
        "symlink to a character device (/dev/zero)": tmp_path / "zero",
        f"symlink to a missing file ({links['dangling']})": tmp_path / "dangling",
        f"symlink to a directory ({tmp_path})": tmp_path / "dirlink",
    }


@pytest.mark.timeout(20)
@pytest.mark.parametrize("reopen", [True, False], ids=["o_path", "o_nonblock"])
def test_special_files_are_refused_by_name_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reopen: bool
) -> None:
    # Where /proc cannot reopen a checked inode, the path is opened without blocking.
    monkeypatch.setattr(files, "_REOPEN", reopen and files._REOPEN)
    for what, path in _special_files(tmp_path).items():
        with memory_cap():
            refused = files.read_message(path, files._arrival("maildir", str(path)), LIMIT)
        assert refused and refused.raw is None and refused.error, what
        assert refused.error.startswith(f"{path}: is a {what}, not a regular file")
        if what.startswith("symlink to a directory"):
            continue  # a directory named on the command line is walked
        with memory_cap():
            msgs, _ = _read([path])
        assert [(m.raw, m.error) for m in msgs] == [(None, refused.error)]


@pytest.mark.timeout(20)
def test_special_files_met_walking_a_directory_are_errors(tmp_path: Path) -> None:
    walked = tmp_path / "walked"
    walked.mkdir()
    inside = [p for p in _special_files(walked).values() if p.parent == walked]
    (walked / "a.eml").write_bytes(MSG_A)
    with memory_cap():
        msgs, skipped = _read([walked])
    assert [m.raw for m in msgs if m.raw] == [MSG_A] and skipped == []
    errors = sorted(m.error or "" for m in msgs if m.raw is None)
    assert [e.split(":")[0] for e in errors] == sorted(str(p) for p in inside)
    assert all("not a regular file" in e for e in errors)


def test_a_symlink_to_a_regular_file_is_followed(tmp_path: Path) -> None:
    (tmp_path / "real.eml").write_bytes(MSG_A)
    (tmp_path / "link.eml").symlink_to(tmp_path / "real.eml")
    msgs, _ = _read([tmp_path / "link.eml"])
    assert [m.raw for m in msgs] == [MSG_A]


def test_a_file_holding_more_than_it_says_is_read_only_to_the_limit(tmp_path: Path) -> None:
    # /proc files say they are empty.
    path = Path("/proc/self/maps")
    msg = files.read_message(path, files._arrival("file", str(path)), 100)
    assert msg and msg.raw is None and msg.error
    assert msg.error == f"{path}: file holds more than ingest.max_message_mb (0)"
    whole = files.read_message(path, files._arrival("file", str(path)), LIMIT)
    assert whole and whole.raw and len(whole.raw) > 100
