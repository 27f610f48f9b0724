"""Fixtures: a real archive (config, keys, database) on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from archiver.cli.main import run

PG_ENV = "ARCHIVER_TEST_DATABASE_URL"
DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"


@dataclass
class Result:
    code: int
    out: bytes
    err: str

    @property
    def text(self) -> str:
        return self.out.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(*args: str) -> Result:
    """Run `archiver ARGS` in this process and capture its exit code, stdout bytes and stderr."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = run(list(args))
        out.flush()
    return Result(code, out.buffer.getvalue(), err.getvalue())


@dataclass
class Archive:
    """A configured archive in a temporary directory."""

    root: Path
    database_url: str

    @property
    def config(self) -> Path:
        return self.root / "archiver.toml"

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    def cli(self, *args: str) -> Result:
        return run_cli("--config", str(self.config), *args)

    def ok(self, *args: str) -> Result:
        """Run a command that must succeed."""
        result = self.cli(*args)
        assert result.code == 0, f"archiver {' '.join(args)} -> {result.code}: {result.err}"
        return result


def _pg_base_url() -> str:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set (CI sets it; PostgreSQL tests run there)")
    return base


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.db'}"
        return
    base = make_url(_pg_base_url())
    name = f"archiver_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # fails (does not skip) when the server cannot be reached
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_archive(root: Path, database_url: str, extra: str = "", **ingest: int) -> Archive:
    """Write a config for `database_url` (plus `extra` TOML), create the schema and the keys."""
    root.mkdir(parents=True, exist_ok=True)
    lines = [f'[archive]\ndatabase = "{database_url}"\nkeys_dir = "keys"\n']
    if ingest:
        lines.append("[ingest]\n" + "".join(f"{k} = {v}\n" for k, v in ingest.items()))
    (root / "archiver.toml").write_text("\n".join([*lines, extra]))
    archive = Archive(root, database_url)
    archive.ok("db", "upgrade")
    archive.ok("keys", "generate")
    return archive


@pytest.fixture
def archive(tmp_path: Path, database_url: str) -> Archive:
    return make_archive(tmp_path / "archive", database_url)


@pytest.fixture(autouse=True)
def _private_umask() -> Iterator[None]:
    old = os.umask(0o077)  # as the command does; key files must come out 0600
    yield
    os.umask(old)


def corpus_messages() -> list[Path]:
    """Every real message shipped in tests/data/corpus."""
    return sorted(p for p in CORPUS.rglob("*.eml"))
