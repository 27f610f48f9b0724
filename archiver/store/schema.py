"""Creating and migrating the schema with Alembic; checking that a database is current."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from archiver.errors import DatabaseError, SchemaError
from archiver.store.engine import describe, where

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration. Every command checks the database against it, so it is written here
# rather than read from the migration scripts: importing Alembic to read them cost a quarter of
# a second on every command (a test keeps the two equal).
HEAD = "0019"

# Migration progress is not news on every command that checks the schema.
logging.getLogger("alembic").setLevel(logging.WARNING)


def _script_location() -> Path:
    spec = importlib.util.find_spec("archiver.migrations")
    if spec is None or not spec.submodule_search_locations:
        raise SchemaError("the schema history (archiver.migrations) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _config() -> Config:
    from alembic.config import Config  # only migrations need Alembic

    cfg = Config()
    cfg.set_main_option("script_location", str(_script_location()))
    return cfg


def head_revision() -> str:
    """The newest revision of the migration scripts (`HEAD` says the same, faster)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise SchemaError("the schema history has no head revision")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None if it has no schema; raises DatabaseError."""
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        raise DatabaseError(describe(exc, engine)) from None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the schema to `revision`; raises DatabaseError."""
    from alembic import command

    _run(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the schema down to `revision` ('base' removes it); raises DatabaseError."""
    from alembic import command

    _run(engine, lambda cfg: command.downgrade(cfg, revision))


def _run(engine: Engine, action: Callable[[Config], None]) -> None:
    cfg = _config()
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                # SQLite alters a table by copying it and dropping the old one; with foreign
                # keys enforced, dropping `record` would cascade-delete every arrival, part and
                # tag. The pragma only takes effect outside a transaction, hence the driver.
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            try:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    action(cfg)
                    if sqlite:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                        if broken is not None:
                            raise DatabaseError(
                                f"migration failed: table {broken[0]} has rows that refer to "
                                f"missing rows of {broken[2]}; nothing was changed"
                            )
            finally:
                if sqlite:
                    conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    except SQLAlchemyError as exc:
        raise DatabaseError(describe(exc, engine, "migration failed")) from None


def require_current(engine: Engine) -> None:
    """Raise SchemaError unless the database is at this program's head revision."""
    found = current_revision(engine)
    head = HEAD
    if found != head:
        state = "has no archive schema" if found is None else f"is at revision {found}"
        raise SchemaError(
            f"the database {where(engine)} {state}; this program needs {head}: "
            "run `archiver db upgrade`"
        )
