"""Reading messages from files: mbox splitting byte for byte, maildirs, directories."""

from __future__ import annotations

from pathlib import Path

from archiver.sources import files
from archiver.sources.arrival import Message

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
    assert [m.arrival.label for m in msgs] == [f"{box}#1", f"{box}#2", f"{box}#3"]
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
