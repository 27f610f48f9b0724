"""The one typed configuration schema: defaults, help text, loading, validation, example file."""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from archiver.errors import ConfigError

DEFAULT_SEARCH_PATHS = (Path("archiver.toml"), Path("/etc/archiver/archiver.toml"))


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class ArchiveSettings:
    """Where records and keys live."""

    database: str = field(
        default="archive.db",
        metadata=_help(
            "Where records are stored: a SQLite file (a path, relative to this file) or a\n"
            "SQLAlchemy URL for PostgreSQL, e.g. postgresql+psycopg://archiver@/archiver."
        ),
    )
    keys_dir: str = field(
        default="keys",
        metadata=_help(
            "Directory of key files (mode 0600), relative to this file. Keep it out of\n"
            "database backups. Under systemd, $CREDENTIALS_DIRECTORY is searched first."
        ),
    )


@dataclass(frozen=True)
class IngestSettings:
    """How messages are turned into records."""

    workers: int = field(
        default=0,
        metadata=_help("Processes that parse and seal messages; 0 means one per CPU core."),
    )
    max_message_mb: int = field(
        default=150,
        metadata=_help("Largest message accepted, in megabytes (at most 1024)."),
    )
    compression_level: int = field(
        default=3,
        metadata=_help("zstd level for sealed records: 1 (fastest) to 19 (smallest)."),
    )


@dataclass(frozen=True)
class LogSettings:
    """Logging to stderr (the journal under systemd)."""

    level: Literal["debug", "info", "warning", "error"] = field(
        default="info", metadata=_help("One of debug, info, warning, error.")
    )


@dataclass(frozen=True)
class Settings:
    """A loaded configuration; relative paths are resolved against the config file."""

    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    log: LogSettings = field(default_factory=LogSettings)
    config_path: Path = Path("archiver.toml")

    @property
    def base_dir(self) -> Path:
        return self.config_path.resolve().parent

    @property
    def database_url(self) -> str:
        """SQLAlchemy URL of the archive database."""
        db = self.archive.database
        if "://" in db:
            return db
        path = Path(db) if Path(db).is_absolute() else self.base_dir / db
        return f"sqlite:///{path}"

    @property
    def keys_dir(self) -> Path:
        p = Path(self.archive.keys_dir)
        return p if p.is_absolute() else self.base_dir / p


_SECTIONS: dict[str, type[Any]] = {
    "archive": ArchiveSettings,
    "ingest": IngestSettings,
    "log": LogSettings,
}


def _type_name(tp: Any) -> str:
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    return {int: "an integer", str: "a string", bool: "true or false"}.get(tp, str(tp))


def _check_value(tp: Any, value: Any) -> bool:
    if get_origin(tp) is Literal:
        return value in get_args(tp)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp in (str, bool):
        return isinstance(value, tp)
    if get_origin(tp) in (types.UnionType, typing.Union):
        return any(_check_value(a, value) for a in get_args(tp))
    return False


def _range_problems(settings: Settings) -> list[tuple[str, str]]:
    """Checks that a type alone cannot express: (key, problem)."""
    out: list[tuple[str, str]] = []
    ing = settings.ingest
    if ing.workers < 0:
        out.append(("ingest.workers", "must be 0 (auto) or a positive number"))
    if not 1 <= ing.max_message_mb <= 1024:
        out.append(("ingest.max_message_mb", "must be between 1 and 1024"))
    if not 1 <= ing.compression_level <= 19:
        out.append(("ingest.compression_level", "must be between 1 and 19"))
    if not settings.archive.database.strip():
        out.append(("archive.database", "must not be empty"))
    return out


def parse_settings(text: str, path: Path) -> Settings:
    """Parse TOML text into Settings; raises ConfigError listing every problem found."""
    problems: list[str] = []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    hints = typing.get_type_hints(Settings)
    sections: dict[str, Any] = {}
    for name, raw in data.items():
        cls = _SECTIONS.get(name)
        if cls is None:
            problems.append(f"{path}: unknown section or key '{name}'")
            continue
        if not isinstance(raw, dict):
            problems.append(f"{path}: '{name}' must be a table ([{name}])")
            continue
        fields = {f.name: f for f in dataclasses.fields(cls)}
        field_types = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in fields:
                problems.append(f"{path}: [{name}] unknown key '{key}'")
            elif not _check_value(field_types[key], value):
                problems.append(
                    f"{path}: {name}.{key} must be {_type_name(field_types[key])}, got {value!r}"
                )
            else:
                values[key] = value
        sections[name] = cls(**values)
    assert set(_SECTIONS) <= set(hints)
    settings = Settings(**sections, config_path=path)
    problems += [f"{path}: {key} {msg}" for key, msg in _range_problems(settings)]
    if problems:
        raise ConfigError(problems)
    return settings


def find_config(explicit: str | None) -> Path:
    """The config path: --config, then $ARCHIVER_CONFIG, then ./archiver.toml, then /etc."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("ARCHIVER_CONFIG")
    if env:
        return Path(env)
    for candidate in DEFAULT_SEARCH_PATHS:
        if candidate.exists():
            return candidate
    raise ConfigError(
        [
            "no configuration found: pass --config FILE, set ARCHIVER_CONFIG, or create "
            "./archiver.toml or /etc/archiver/archiver.toml (`archiver init DIR` writes one)"
        ]
    )


def load_settings(path: Path) -> Settings:
    """Read and validate the config file at `path`; raises ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: config file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read config file: {exc}"]) from None
    return parse_settings(text, path)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"no TOML rendering for {value!r}")


def render_example() -> str:
    """The commented example config, generated from the schema (defaults and help)."""
    lines = [
        "# archiver configuration. Generated from the settings schema; every key is shown",
        "# with its default. Relative paths are resolved against this file's directory.",
        "# Check it with: archiver --config FILE config validate",
    ]
    defaults = Settings()
    for name, cls in _SECTIONS.items():
        lines += ["", f"# {cls.__doc__}", f"[{name}]"]
        section = getattr(defaults, name)
        for f in dataclasses.fields(cls):
            lines += [f"# {h}" for h in f.metadata["help"].splitlines()]
            lines.append(f"{f.name} = {_toml_value(getattr(section, f.name))}")
    return "\n".join(lines) + "\n"
