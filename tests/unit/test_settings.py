"""The settings schema: defaults, the generated example, and every problem reported."""

from __future__ import annotations

from datetime import date, time
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


def test_requests_defaults() -> None:
    settings = parse_settings("", Path("a.toml"))
    r = settings.requests
    assert (r.suffolk_county, r.closures, r.office_closes) == (False, [], "17:00")
    assert (r.next_business_day_receipt, r.production_days, r.appeal_window_days) == (
        True,
        25,
        90,
    )
    assert settings.closures == () and settings.office_closes == time(17)


def test_requests_closures_are_dates_and_the_closing_time_a_time() -> None:
    text = (
        '[requests]\nsuffolk_county = true\nclosures = ["2026-02-03", "2026-02-02", "2026-02-03"]\n'
        'office_closes = "16:30"\n'
    )
    settings = parse_settings(text, Path("a.toml"))
    assert settings.requests.suffolk_county
    assert settings.closures == (date(2026, 2, 2), date(2026, 2, 3))
    assert settings.office_closes == time(16, 30)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            'closures = ["2026-02-02", "2026-13-01"]',
            'a.toml: requests.closures must be dates (YYYY-MM-DD): "2026-13-01" is not one',
        ),
        (
            'closures = ["2/2/2026"]',
            'a.toml: requests.closures must be dates (YYYY-MM-DD): "2/2/2026" is not one',
        ),
        ('closures = "2026-02-02"', "a.toml: requests.closures must be a list of strings"),
        (
            'office_closes = "5pm"',
            'a.toml: requests.office_closes must be HH:MM (24-hour), e.g. "17:00", got "5pm"',
        ),
        (
            'office_closes = "24:00"',
            'a.toml: requests.office_closes must be HH:MM (24-hour), e.g. "17:00", got "24:00"',
        ),
        ('suffolk_county = "yes"', "a.toml: requests.suffolk_county must be true or false"),
        ("production_days = 0", "a.toml: requests.production_days must be between 1 and 250"),
        ("appeal_window_days = -90", "a.toml: requests.appeal_window_days must be between 1"),
        ('opens = "08:00"', "a.toml: requests unknown key 'opens'"),
    ],
)
def test_requests_problems_name_the_key(line: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings(f"[requests]\n{line}\n", Path("a.toml"))
    [found] = err.value.problems
    assert found.startswith(problem), found


def test_web_settings_and_their_oidc_table() -> None:
    defaults = parse_settings("", Path("a.toml")).web
    assert (defaults.bind, defaults.address) == ("127.0.0.1:8080", ("127.0.0.1", 8080))
    assert (defaults.idle_minutes, defaults.absolute_hours) == (30, 12)
    assert defaults.login_failures_per_minute == 10 and defaults.oidc.issuer == ""
    web = parse_settings(
        '[web]\nbind = "[::1]:9000"\npublic_url = "https://records.district.example.org"\n'
        '[web.oidc]\nissuer = "https://login.microsoftonline.com/0c6e/v2.0"\n'
        'client_id = "app"\nclient_secret_file = "oidc-secret"\n'
        'email_claim = "preferred_username"\n',
        Path("a.toml"),
    ).web
    assert web.address == ("::1", 9000)
    assert (web.oidc.client_id, web.oidc.email_claim) == ("app", "preferred_username")
    assert web.oidc.label == "Sign in with your district account"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[web]\nbind = "127.0.0.1"', "a.toml: web.bind must be HOST:PORT"),
        ('[web]\nbind = "127.0.0.1:70000"', "a.toml: web.bind must be HOST:PORT"),
        ("[web]\nabsolute_hours = 0", "a.toml: web.absolute_hours must be between 1 and 168"),
        ("[web]\nlogin_failures_per_minute = 0", "a.toml: web.login_failures_per_minute"),
        ('[web]\npublic_url = "records"', "a.toml: web.public_url must be an http(s) address"),
        ("[web]\noidc = 1", "a.toml: web.oidc must be a table"),
        ('[web.oidc]\ntenant = "x"', "a.toml: web.oidc unknown key 'tenant'"),
        ('[web.oidc]\nissuer = "http://idp"', "a.toml: web.oidc.issuer must be an https:// URL"),
        ('[web.oidc]\nissuer = "https://idp"', "a.toml: web.oidc.client_id must be set"),
        ('[web.oidc]\nissuer = "https://idp"', "a.toml: web.oidc.client_secret_file must be set"),
        ('[web.oidc]\nissuer = "https://idp"', "a.toml: web.public_url must be set when"),
        ('[web.oidc]\nhosted_domain = "x y"', "a.toml: web.oidc.hosted_domain must be a domain"),
    ],
)
def test_web_problems_name_the_key(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings(text + "\n", Path("a.toml"))
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems
