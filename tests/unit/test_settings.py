"""The settings schema: defaults, the generated example, and every problem reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.errors import ConfigError
from archiver.settings import parse_settings, render_example

REPO = Path(__file__).resolve().parents[2]


def test_shipped_example_is_generated_from_the_schema() -> None:
    assert (REPO / "config" / "archiver.example.toml").read_text() == render_example()


def test_example_parses_to_the_defaults_and_paths_resolve_beside_the_file() -> None:
    settings = parse_settings(render_example(), Path("/etc/archiver/archiver.toml"))
    assert settings.database_url == "sqlite:////etc/archiver/archive/archive.db"
    assert settings.keys_dir == Path("/etc/archiver/keys")
    assert settings.ingest.workers == 0


def test_urls_and_absolute_paths_are_kept() -> None:
    text = '[archive]\ndatabase = "postgresql+psycopg://a@/b"\nkeys_dir = "/srv/keys"\n'
    settings = parse_settings(text, Path("/x/archiver.toml"))
    assert settings.database_url == "postgresql+psycopg://a@/b"
    assert settings.keys_dir == Path("/srv/keys")


def test_all_problems_are_reported_together() -> None:
    text = "[ingest]\nworkers = -1\ncompression_level = true\nbogus = 1\n"
    with pytest.raises(ConfigError) as err:
        parse_settings(text, Path("a.toml"))
    problems = err.value.problems
    assert len(problems) == 3
    assert any("ingest.workers" in p for p in problems)
    assert any("ingest.compression_level must be an integer" in p for p in problems)
    assert any("unknown key 'bogus'" in p for p in problems)
    assert all(p.startswith("a.toml: ") for p in problems)


def test_removing_archived_copies_is_off_by_default_and_checked() -> None:
    source = '[[sources]]\nname = "m"\nkind = "maildir"\npath = "m"\n'
    settings = parse_settings(source, Path("a.toml"))
    assert settings.sources[0].remove_archived_after_days == 0
    kept = parse_settings(source + "remove_archived_after_days = 90\n", Path("a.toml"))
    assert kept.sources[0].remove_archived_after_days == 90
    for bad in ("-1", '"30d"', "true"):
        with pytest.raises(ConfigError) as err:
            parse_settings(source + f"remove_archived_after_days = {bad}\n", Path("a.toml"))
        [problem] = err.value.problems
        assert problem.startswith("a.toml: sources[0]") and "remove_archived_after_days" in problem


def test_retention_schedule_resolves_beside_the_config_and_defaults_to_the_shipped_one() -> None:
    default = parse_settings("", Path("/etc/archiver/archiver.toml"))
    assert default.schedule_path is None
    assert default.school_year_end == (6, 30)
    text = '[retention]\nschedule = "retention/district.toml"\nschool_year_end = "06-20"\n'
    settings = parse_settings(text, Path("/etc/archiver/archiver.toml"))
    assert settings.schedule_path == Path("/etc/archiver/retention/district.toml")
    assert settings.school_year_end == (6, 20)
    absolute = parse_settings('[retention]\nschedule = "/srv/s.toml"\n', Path("a.toml"))
    assert absolute.schedule_path == Path("/srv/s.toml")


@pytest.mark.parametrize("bad", ["6-30", "13-01", "02-29", "06-31", "June 30", ""])
def test_school_year_end_must_be_a_day_every_year_has(bad: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings(f'[retention]\nschool_year_end = "{bad}"\n', Path("a.toml"))
    [problem] = err.value.problems
    assert problem.startswith("a.toml: retention.school_year_end must be MM-DD"), problem
