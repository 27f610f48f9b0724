"""`archiver init` and `archiver config validate` as an IT administrator meets them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import CORPUS, run_cli

REPO = Path(__file__).resolve().parents[2]


def test_init_writes_the_example_config_keys_and_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/Chicago")  # a machine in another district's zone
    target = tmp_path / "demo"
    result = run_cli("init", str(target))
    assert result.code == 0, result.err
    config = target / "archiver.toml"
    example = (REPO / "config" / "archiver.example.toml").read_text()
    assert config.read_text() == example.replace(
        'timezone = "America/New_York"', 'timezone = "America/Chicago"'
    )
    keys = sorted(p.name.split("-")[0] for p in (target / "keys").glob("*.key"))
    assert keys == ["index", "kek", "signing"]
    assert all(os.stat(p).st_mode & 0o777 == 0o600 for p in (target / "keys").glob("*.key"))
    # The sealed archive has its own directory; the maildir's plaintext mail is not in it.
    assert (target / "archive" / "archive.db").exists()
    # Beside it, the copy of the audit log's head that catches a database lost or rolled back,
    # and the empty file SQLite's writers queue on.
    assert sorted(p.name for p in (target / "archive").iterdir()) == [
        "archive.db",
        "archive.db.audit-head",
        "archive.db.writer",
    ]
    assert (target / "archive" / "archive.db.writer").stat().st_size == 0
    assert (target / "inbox" / "new").is_dir()
    assert "archive/archive.db (the sealed archive: back it up)" in result.text
    assert f"Back up {target.resolve() / 'keys'} separately" in result.text
    cfg = ("--config", str(config))
    assert run_cli(*cfg, "config", "validate").code == 0
    imported = run_cli(*cfg, "import", "--json", str(CORPUS / "mikel-mail" / "plain_emails"))
    assert imported.code == 0 and imported.json()["archived"] > 10
    # Mail collected from the demo maildir is filed beside it, never in the archive directory.
    message = target / "inbox" / "new" / "1.demo"
    message.write_bytes((REPO / "examples" / "01-gmail-inline-absence.eml").read_bytes())
    assert run_cli(*cfg, "poll").code == 0
    assert (target / "inbox" / ".Archived" / "cur" / "1.demo").exists()
    assert all(p.name.startswith("archive.db") for p in (target / "archive").iterdir())
    again = run_cli("init", str(target))
    assert again.code == 2 and "already" in again.err


def test_validate_lists_every_problem_with_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "archiver.toml"
    config.write_text(
        '[archive]\ndatabase = "a.db"\nkeys_dir = 7\ncolour = "blue"\n'
        '[ingest]\nworkers = "two"\nmax_message_mb = 5000\n'
        '[log]\nlevel = "loud"\n'
        "[sources_typo]\n"
    )
    result = run_cli("--config", str(config), "config", "validate", "--json")
    assert result.code == 2
    problems = result.json()["problems"]
    expected = [
        "archive.keys_dir",
        "'colour'",
        "ingest.workers",
        "ingest.max_message_mb",
        "log.level",
        "'sources_typo'",
    ]
    for key in expected:
        assert any(key in p and str(config) in p for p in problems), (key, problems)
    assert len(problems) == len(expected)
    plain = run_cli("--config", str(config), "config", "validate")
    assert plain.code == 2 and plain.err.count("error:") == len(expected)


def test_missing_or_broken_config_is_exit_code_2(tmp_path: Path) -> None:
    missing = run_cli("--config", str(tmp_path / "nope.toml"), "verify")
    assert missing.code == 2 and "nope.toml" in missing.err
    broken = tmp_path / "broken.toml"
    broken.write_text("[archive\n")
    result = run_cli("--config", str(broken), "verify")
    assert result.code == 2 and "not valid TOML" in result.err


def test_init_on_a_utc_machine_writes_the_districts_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Servers often run on UTC; a district's days are not UTC days."""
    monkeypatch.setenv("TZ", "Etc/UTC")
    assert run_cli("init", str(tmp_path / "demo")).code == 0
    assert 'timezone = "America/New_York"' in (tmp_path / "demo" / "archiver.toml").read_text()


def test_an_unknown_time_zone_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "archiver.toml"
    config.write_text('[archive]\ntimezone = "America/Boston"\n')
    result = run_cli("--config", str(config), "config", "validate")
    assert result.code == 2
    assert "archive.timezone" in result.err and "America/Boston" in result.err


def test_validate_checks_the_retention_schedule(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    assert run_cli("init", str(target)).code == 0
    config = target / "archiver.toml"
    cfg = ("--config", str(config))
    shipped = run_cli(*cfg, "config", "validate")  # no schedule named: the shipped one
    assert shipped.code == 0, shipped.err
    text = config.read_text()
    assert 'schedule = ""' in text
    config.write_text(text.replace('schedule = ""', 'schedule = "bad.toml"'))
    missing = run_cli(*cfg, "config", "validate")
    assert missing.code == 2
    assert f"retention.schedule: {target / 'bad.toml'} not found" in missing.err
    shipped_text = (REPO / "config" / "retention" / "massachusetts-schools.toml").read_text()
    (target / "bad.toml").write_text(shipped_text.replace('period = "2y"', 'period = "2 years"'))
    result = run_cli(*cfg, "config", "validate", "--json")
    assert result.code == 2
    [problem] = result.json()["problems"]
    assert problem.startswith(f"{target / 'bad.toml'}: series[2] (CORR-GEN).period: ")
    assert "'2 years' is not a period" in problem
    (target / "bad.toml").write_text(shipped_text + "[[rules]\n")
    plain = run_cli(*cfg, "config", "validate")
    assert plain.code == 2 and plain.err.count("error:") == 1
    assert "bad.toml: line " in plain.err and "not valid TOML" in plain.err
    (target / "bad.toml").write_text(shipped_text)
    assert run_cli(*cfg, "config", "validate").code == 0
