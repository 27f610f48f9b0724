"""Alembic environment: runs migrations on the connection `archiver.store.schema` passes in."""

from __future__ import annotations

from alembic import context

from archiver.store.tables import metadata


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # SQLite keeps its own bookkeeping tables; they are not ours to diff.
    return not (type_ == "table" and name is not None and name.startswith("sqlite_"))


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `archiver db upgrade`, not the alembic command")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_name=_include_name,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
