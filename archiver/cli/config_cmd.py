"""`archiver config validate`: every problem with the config, its key files and schedule."""

from __future__ import annotations

from pathlib import Path

import click

from archiver.cli.context import context, emit_json
from archiver.errors import ArchiverError, ConfigError
from archiver.settings import MAILDIR, Settings, load_settings


@click.group()
def config() -> None:
    """Check the configuration."""


def _key_problems(settings: Settings, registered: set[str]) -> list[str]:
    """Problems with the key files; a kind with a registered key (`registered`) is judged by
    the registry's check, which names its file and the remedy."""
    from archiver.crypto.keyring import key_file_problem
    from archiver.platform import credentials

    keys_dir = settings.keys_dir
    # The files the service would use: systemd's credentials first, then the keys directory.
    found = credentials.files(".key", keys_dir)
    if not keys_dir.is_dir() and not found:
        return [f"{settings.config_path}: archive.keys_dir: {keys_dir} is not a directory"]
    problems = []
    for path in found.values():
        problem = key_file_problem(path)
        if problem:
            problems.append(problem)
    for kind in ("kek", "index"):
        if kind not in registered and not any(n.startswith(f"{kind}-") for n in found):
            problems.append(
                f"{keys_dir}: no {kind} key file ({kind}-*.key): run `archiver keys generate`"
            )
    return problems


def _source_problems(settings: Settings) -> list[str]:
    """Secret files, CA files and maildirs the sources name."""
    from archiver.sources.auth import Authenticator

    problems = []
    for s in settings.sources:
        if s.kind == MAILDIR:
            root = settings.path(s.path)
            if not all((root / sub).is_dir() for sub in ("cur", "new", "tmp")):
                problems.append(
                    f"{settings.config_path}: source {s.name}: path {root} is not "
                    "a maildir (it needs cur/, new/ and tmp/)"
                )
            continue
        problem = Authenticator(s, settings.base_dir).secret_problem()
        if problem:
            problems.append(f"{settings.config_path}: {problem}")
        if s.ca_file and not settings.path(s.ca_file).is_file():
            problems.append(
                f"{settings.config_path}: source {s.name}: ca_file "
                f"{settings.path(s.ca_file)} not found"
            )
    return problems


def _web_problems(settings: Settings) -> list[str]:
    """The OpenID Connect client secret's file, when sign-in by OIDC is on."""
    from archiver.platform import credentials

    oidc = settings.web.oidc
    if not oidc.issuer or not oidc.client_secret_file:
        return []
    path = credentials.locate(oidc.client_secret_file, settings.base_dir)
    problem = credentials.exposure_problem(path)
    return [f"{settings.config_path}: web.oidc.client_secret_file {problem}"] if problem else []


def _schedule_problems(settings: Settings) -> list[str]:
    """Every problem with the retention schedule (the shipped one if none is named)."""
    from archiver.records.schedule import schedule_problems

    path = settings.schedule_path
    if path is not None and not path.is_file():
        return [f"{settings.config_path}: retention.schedule: {path} not found"]
    return schedule_problems(path)


def _registry_problems(settings: Settings, registered: set[str]) -> list[str]:
    """Registered keys whose files are missing or wrong, if the database can be read; adds
    the kinds that have a current registered key to `registered`."""
    from archiver.app import App
    from archiver.archive.keys import list_keys
    from archiver.store import schema

    try:
        db = App(settings).open_store(check_schema=False)
    except ConfigError as exc:  # each problem already names archive.database
        return [f"{settings.config_path}: {p}" for p in exc.problems]
    except ArchiverError as exc:
        return [f"{settings.config_path}: archive.database: {exc}"]
    try:
        if schema.current_revision(db.engine) != schema.HEAD:
            return []  # nothing registered yet, or `db upgrade` will say what to do
        infos = list_keys(db, settings.keys_dir)
        registered.update(k.kind for k in infos if k.state == "current")
        return [k.problem for k in infos if k.problem]
    except ArchiverError as exc:
        return [f"{settings.config_path}: archive.database: {exc}"]
    finally:
        db.close()


@config.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.pass_context
def validate(ctx: click.Context, as_json: bool) -> int:
    """Report every config error with its file and key; exit code 2 if there are any."""
    path: Path | None = None
    try:
        path = context(ctx).config_path
        settings = load_settings(path)
        registered: set[str] = set()
        registry = _registry_problems(settings, registered)
        problems = _key_problems(settings, registered) + _source_problems(settings)
        problems += _web_problems(settings)
        problems += _schedule_problems(settings)
        problems += [p for p in registry if not any(p.startswith(q) for q in problems)]
    except ConfigError as exc:
        problems = exc.problems
    if as_json:
        emit_json({"config": str(path) if path else None, "ok": not problems, "problems": problems})
    elif problems:
        for p in problems:
            click.echo(f"error: {p}", err=True)
    else:
        click.echo(f"{path}: OK")
        if not settings.sources:
            click.echo(settings.no_sources)
    return 2 if problems else 0
