"""Issue 12, "what errors and status say": each fix with the test that would have caught it."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.store.schema import HEAD
from tests.conftest import Archive, make_archive, run_cli
from tests.integration.conftest import wait_for
from tests.integration.dovecot import Dovecot
from tests.integration.test_imap_collect import forward, imap_archive

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lite(tmp_path: Path) -> Archive:
    """A SQLite archive (what these checks need is the same on both databases)."""
    return make_archive(tmp_path / "archive", f"sqlite:///{tmp_path / 'archive' / 'archive.db'}")


def dropbox(archive: Archive, *files: bytes, extra: str = "") -> Path:
    """Add a maildir source `dropbox` (allowed forwarders: district.example.org) holding
    `files` in new/."""
    maildir = archive.root / "dropbox"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(files):
        (maildir / "new" / f"{i}.host").write_bytes(data)
    with archive.config.open("a") as f:
        f.write(
            '\n[[sources]]\nname = "dropbox"\nkind = "maildir"\npath = "dropbox"\n'
            f'allowed_forwarder_domains = ["district.example.org"]\n{extra}'
        )
    return maildir


def _errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def test_readme_does_not_call_shipped_features_next() -> None:
    readme = (ROOT / "README.md").read_text()
    intro = " ".join(readme.split("## ", 1)[0].split())
    assert "Search is next" not in readme
    assert "in later releases, search" not in intro
    assert "Records management (retention, holds" not in intro
    assert "disposition and the web application are next" not in intro


def test_a_record_id_that_is_not_hex_is_called_so(lite: Archive) -> None:
    result = lite.cli("show", "zzzzzz")
    assert result.code == 2
    assert _errors(result.err) == [
        "error: record id 'zzzzzz': not a record id (ids are hex digits, 0-9 and a-f)"
    ]
    assert "at least 6 hex digits" in lite.cli("show", "abc").err


def test_a_group_readable_key_file_is_called_group_readable(lite: Archive) -> None:
    [index] = sorted(lite.keys_dir.glob("index-*.key"))
    index.chmod(0o640)
    [problem] = lite.cli("config", "validate", "--json").json()["problems"]
    assert f"{index}: readable by its group (mode 0640)" in problem


def test_an_unknown_source_kind_is_one_error(lite: Archive) -> None:
    with lite.config.open("a") as f:
        f.write('\n[[sources]]\nname = "pop"\nkind = "pop3"\nhost = "mail.example"\n')
    result = lite.cli("config", "validate")
    assert result.code == 2
    [line] = _errors(result.err)
    assert "sources[0].kind" in line and "'pop3'" in line


def test_every_error_line_begins_error(lite: Archive, tmp_path: Path) -> None:
    unknown = lite.cli("frobnicate")
    assert unknown.code == 2
    assert _errors(unknown.err) == ["error: No such command 'frobnicate'. (see `archiver --help`)"]
    bad_option = lite.cli("show", "--frob")
    assert bad_option.code == 2 and _errors(bad_option.err)[0].startswith("error: No such option")
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,first_name,last_name\n1,,Chen\n2,Ann,\n")
    result = lite.cli("students", "import", str(roster))
    assert result.code == 1
    lines = _errors(result.err)
    assert len(lines) == 2 and all(line.startswith("error: ") for line in lines)
    assert "line 2: missing first" in lines[0] and "line 3: missing last" in lines[1]


def test_list_commands_print_an_object(lite: Archive) -> None:
    keys = lite.ok("keys", "list", "--json").json()
    assert sorted(k["kind"] for k in keys["keys"]) == ["index", "kek", "signing"]
    assert lite.ok("students", "list", "--json").json() == {"students": []}


def test_no_sources_is_one_answer_everywhere(lite: Archive) -> None:
    said = f"{lite.config}: no [[sources]] configured: nothing to collect"
    validate = lite.ok("config", "validate")
    assert said in validate.text
    status = lite.ok("status")  # reading and importing work without sources
    assert said in status.text
    for command in ("poll", "run", "reconcile"):
        result = lite.cli(command)
        assert result.code == 2, command
        [line] = _errors(result.err)
        assert line.startswith(f"error: {said}"), command


def test_status_counts_today_as_poll_counted(lite: Archive) -> None:
    dropbox(lite, *(forward(n) for n in range(5)), forward(9, "someone@elsewhere.example"))
    [polled] = lite.ok("poll", "--json").json()["sources"]
    assert (polled["archived"], polled["quarantined"]) == (5, 1)
    [row] = lite.ok("status", "--json").json()["sources"]
    assert (row["archived_today"], row["quarantined_today"]) == (5, 1)
    assert "archived today 5, quarantined today 1" in lite.ok("status").text


def test_a_typo_in_the_database_path_creates_nothing(lite: Archive) -> None:
    typo = lite.root / "archvie.db"
    text = lite.config.read_text().replace(lite.database_url, "archvie.db")
    lite.config.write_text(text)
    for command in (("status",), ("verify",), ("search", "trip"), ("students", "list")):
        result = lite.cli(*command)
        assert result.code == 2, command
        assert _errors(result.err) == [
            f"error: archive.database: {typo}: no such database file (check the path; "
            "`archiver db upgrade` creates a new archive's database)"
        ], command
        assert not typo.exists(), command
    validate = lite.cli("config", "validate")
    assert validate.code == 2 and f"{lite.config}: archive.database: {typo}: no" in validate.err
    assert "archive.database: archive.database" not in validate.err
    assert not typo.exists()
    lite.ok("db", "upgrade")  # the one command (with `init`) that makes a database
    assert typo.exists()


def test_a_relative_sqlite_url_is_relative_to_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    archive = make_archive(tmp_path / "archive", "sqlite:///archive.db")
    assert (archive.root / "archive.db").is_file()
    assert list(elsewhere.iterdir()) == []
    archive.ok("status")


def test_database_errors_are_one_line_saying_where_and_why(tmp_path: Path) -> None:
    config = tmp_path / "archiver.toml"
    config.write_text(
        '[archive]\ndatabase = "postgresql+psycopg://clerk:s3cret@127.0.0.1:1/archive"\n'
    )
    result = run_cli("--config", str(config), "status")
    assert result.code == 1
    [line] = _errors(result.err)
    assert line.startswith(
        "error: cannot reach the database postgresql+psycopg://clerk:***@127.0.0.1:1/archive: "
    )
    assert "refused" in line.lower() and "s3cret" not in result.err
    empty = tmp_path / "empty.db"
    empty.touch()
    config.write_text(f'[archive]\ndatabase = "{empty}"\n')
    unmigrated = run_cli("--config", str(config), "search", "trip")
    assert unmigrated.code == 2
    assert _errors(unmigrated.err) == [
        f"error: the database {empty} has no archive schema; this program needs "
        f"{HEAD}: run `archiver db upgrade`"
    ]


def test_status_says_when_a_message_fails_every_cycle(lite: Archive) -> None:
    dropbox(lite, forward(1), b"")  # an empty file stuck in new/
    assert lite.cli("poll").code == 1
    result = lite.cli("status")
    assert result.code == 1
    assert "dropbox (maildir): FAILING: 1 messages not archived" in result.text
    [line] = _errors(result.err)
    assert line.startswith("error: source dropbox: 1 messages could not be archived")
    doc = lite.cli("status", "--json").json()
    assert doc["problems"] == [line.removeprefix("error: ")]


@pytest.mark.parametrize("damage", ["missing", "0644"])
def test_status_says_when_the_daemon_cannot_run(lite: Archive, damage: str) -> None:
    dropbox(lite)
    lite.ok("poll")
    [kek] = sorted(lite.keys_dir.glob("kek-*.key"))
    if damage == "missing":
        kek.unlink()
    else:
        kek.chmod(0o644)
    result = lite.cli("status")
    assert result.code == 2
    [line] = _errors(result.err)
    assert line.startswith(f"error: the daemon cannot run: {kek}: ")
    assert ("key file missing" if damage == "missing" else "readable by others") in line
    assert lite.cli("run").code == 2  # as the daemon says


def test_daemon_log_names_a_source_once_and_apscheduler_is_quiet(lite: Archive) -> None:
    maildir = dropbox(lite, extra='interval = "1s"\n')
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).rmdir()  # not a maildir any more: every cycle fails
    log = lite.root / "daemon.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "archiver", "--config", str(lite.config), "run"],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            wait_for(lambda: "next try in" in log.read_text(), 30, "a failed cycle's log line")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    text = log.read_text()
    assert "source dropbox: source dropbox:" not in text
    assert "source dropbox: " in text
    assert "apscheduler" not in text, text


def test_imap_refusals_are_text_with_a_hint(
    tmp_path: Path, dovecot: Dovecot, imap_user: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'archive' / 'archive.db'}"
    archive = imap_archive(tmp_path, url, imap_user, dovecot.port, "not-the-password")
    refused = archive.cli("poll")
    assert refused.code == 1 and "[AUTHENTICATIONFAILED]" in refused.err
    assert "b'" not in refused.err and 'b"' not in refused.err
    archive.config.write_text(
        archive.config.read_text().replace('tls = "none"', 'tls = "implicit"')
    )
    plain = archive.cli("poll")
    assert plain.code == 1
    [line] = _errors(plain.err)
    assert "WRONG_VERSION_NUMBER" in line and 'set tls = "starttls"' in line
    (archive.root / "imap-password").write_text(dovecot.password + "\n")
    archive.config.write_text(
        archive.config.read_text().replace('tls = "implicit"', 'tls = "none"')
    )
    caplog.set_level(logging.INFO)
    archive.ok("poll")
    closed = [r for r in caplog.records if r.getMessage() == "Connection closed"]
    assert closed == []  # imapclient's routine INFO is DEBUG here


def test_config_validate_judges_the_keys_the_service_would_use(
    lite: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = tmp_path / "credentials"  # as LoadCredential=keys:/etc/archiver/keys lays them out
    creds.mkdir()
    for key in lite.keys_dir.glob("*.key"):
        (creds / f"keys_{key.name}").write_bytes(key.read_bytes())
        (creds / f"keys_{key.name}").chmod(0o440)  # systemd 254's mode
        key.unlink()
    lite.keys_dir.rmdir()  # not readable by the service's user: as good as absent
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    assert lite.cli("students", "list").code == 0  # the service's commands work
    validate = lite.cli("config", "validate")
    assert validate.code == 0, validate.err
    [kek] = creds.glob("keys_kek-*.key")
    kek.write_bytes(b"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n")  # another key
    wrong = lite.cli("config", "validate")
    assert wrong.code == 2 and f"{kek}: this is not key" in wrong.err
