"""Key files: generation, rotation (resumable), wrong or exposed keys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from archiver.archive import keys as keys_module
from archiver.archive.keys import rotate
from archiver.settings import load_settings
from archiver.store.db import Store
from archiver.store.tables import record
from tests.conftest import CORPUS, Archive

SHIPPED = Path(__file__).parents[2] / "config" / "retention" / "massachusetts-schools.toml"


def _key_files(archive: Archive, kind: str) -> list[Path]:
    return sorted(archive.keys_dir.glob(f"{kind}-*.key"))


def _keep_everything_permanently(archive: Archive) -> None:
    """A district schedule whose rules put every record in a permanent series: no record has
    a disposal cohort, so every data key stays with the KEK (what these tests rotate)."""
    text = SHIPPED.read_text()
    for series in ('series = "UNSCHED"\nstatus', 'series = "SR-TMP"\nstudents'):
        text = text.replace(series, series.replace(series.split('"')[1], "CORR-POL"), 1)
    text = text.replace(
        'name = "default"\nseries = "CORR-GEN"', 'name = "default"\nseries = "CORR-POL"'
    )
    (archive.root / "permanent.toml").write_text(text)
    archive.config.write_text(
        archive.config.read_text() + '\n[retention]\nschedule = "permanent.toml"\n'
    )


def test_generated_key_files_are_private(archive: Archive) -> None:
    files = list(archive.keys_dir.glob("*.key"))
    assert len(files) == 3
    assert all(os.stat(f).st_mode & 0o777 == 0o600 for f in files)
    listed = archive.ok("keys", "list", "--json").json()["keys"]
    assert sorted(k["kind"] for k in listed) == ["index", "kek", "signing"]
    assert all(k["state"] == "current" and k["problem"] is None for k in listed)


def test_rotate_rewraps_every_record_and_old_key_is_no_longer_needed(archive: Archive) -> None:
    _keep_everything_permanently(archive)
    archive.ok("import", str(CORPUS / "mikel-mail"))
    [old] = _key_files(archive, "kek")
    raw_before = {
        i["id"]: archive.ok("show", "--raw", i["id"]).out
        for i in archive.ok("import", "--json", str(CORPUS / "mikel-mail" / "plain_emails")).json()[
            "items"
        ]
    }
    out = archive.ok("keys", "rotate").text
    assert "re-wrapped" in out
    listed = {k["id"]: k for k in archive.ok("keys", "list", "--json").json()["keys"]}
    assert listed[old.stem]["state"] == "retired" and listed[old.stem]["records"] == 0
    current = [k for k in listed.values() if k["kind"] == "kek" and k["state"] == "current"]
    assert len(current) == 1 and current[0]["records"] > 40
    old.rename(old.with_suffix(".retired"))  # the old KEK is not needed to read anything
    assert archive.ok("verify", "--json").json()["failed"] == []
    for rid, raw in raw_before.items():
        assert archive.ok("show", "--raw", rid).out == raw


def test_interrupted_rotation_is_finished_by_running_it_again(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    _keep_everything_permanently(archive)
    archive.ok("import", str(CORPUS / "mikel-mail"))
    monkeypatch.setattr(keys_module, "REWRAP_BATCH", 10)
    settings = load_settings(archive.config)
    db = Store.open(settings.database_url)

    def crash(done: int) -> None:
        raise KeyboardInterrupt  # the operator pressed Ctrl-C after the first batch

    with pytest.raises(KeyboardInterrupt):
        rotate(db, settings.keys_dir, progress=crash)
    assert len(_key_files(archive, "kek")) == 2
    engine = create_engine(archive.database_url)
    with engine.connect() as conn:
        kinds = conn.execute(select(record.c.kek_id, func.count()).group_by(record.c.kek_id)).all()
    assert len(kinds) == 2  # half-way: some records under each key
    result = rotate(db, settings.keys_dir)
    db.close()
    assert not result.created and result.remaining == 0
    assert len(_key_files(archive, "kek")) == 2  # finished the job; no third key
    with engine.connect() as conn:
        assert len(conn.execute(select(record.c.kek_id).distinct()).all()) == 1
    engine.dispose()
    assert archive.ok("verify", "--json").json()["failed"] == []


def test_wrong_key_file_is_a_clear_error_naming_the_file(archive: Archive) -> None:
    archive.ok("import", str(CORPUS / "mikel-mail" / "plain_emails"))
    [kek] = _key_files(archive, "kek")
    kek.write_bytes(b"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n")  # a different 32-byte key
    result = archive.cli("verify")
    assert result.code == 3 and str(kek) in result.err and "not key" in result.err
    validate = archive.cli("config", "validate")
    assert validate.code == 2 and str(kek) in validate.err


def test_key_file_readable_by_others_is_refused(archive: Archive) -> None:
    [index] = _key_files(archive, "index")
    index.chmod(0o644)
    result = archive.cli("config", "validate", "--json")
    assert result.code == 2
    [problem] = result.json()["problems"]
    assert str(index) in problem and "readable by others" in problem
    assert archive.cli("import", str(CORPUS / "mikel-mail" / "plain_emails")).code == 2


def test_missing_key_file_is_reported(archive: Archive) -> None:
    [kek] = _key_files(archive, "kek")
    kek.unlink()
    result = archive.cli("config", "validate")
    assert result.code == 2
    [line] = result.err.splitlines()
    assert line.startswith(f"error: {kek}: key file missing (key {kek.stem} is registered")
    assert "restore this file from the key backup" in line and "keys generate`" in line
    generate = archive.cli("keys", "generate")  # must not say the keys are present
    assert generate.code == 2 and generate.err == result.err and "present" not in generate.text
    assert archive.cli("import", str(CORPUS / "mikel-mail" / "plain_emails")).err == result.err


def test_unreadable_key_file_says_whose_it_is(archive: Archive) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    [index] = _key_files(archive, "index")
    index.chmod(0o000)
    result = archive.cli("config", "validate")
    assert result.code == 2
    [line] = result.err.splitlines()
    assert f"{index}: cannot read key file: Permission denied" in line
    assert "as the user that owns the key files" in line
    assert "keys generate" not in line
