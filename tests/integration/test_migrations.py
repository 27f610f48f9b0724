"""The schema comes only from migrations, walks both ways, and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from archiver.store import schema
from archiver.store.engine import make_engine
from archiver.store.tables import metadata
from tests.conftest import run_cli


def test_base_head_base_head_and_no_pending_diff(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert schema.current_revision(engine) is None
        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision() == schema.HEAD
        schema.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        schema.upgrade(engine)
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, metadata) == []
    finally:
        engine.dispose()


def test_commands_refuse_an_unmigrated_database(database_url: str, tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "archiver.toml").write_text(f'[archive]\ndatabase = "{database_url}"\n')
    result = run_cli("--config", str(root / "archiver.toml"), "verify")
    assert result.code == 2 and "archiver db upgrade" in result.err
    assert run_cli("--config", str(root / "archiver.toml"), "db", "upgrade").code == 0
    again = run_cli("--config", str(root / "archiver.toml"), "db", "upgrade")
    assert again.code == 0 and "current" in again.text
