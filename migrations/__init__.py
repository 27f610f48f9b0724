"""Alembic migrations of the archive schema (shipped inside the package as archiver.migrations)."""
