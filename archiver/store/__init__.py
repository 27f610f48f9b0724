"""Storage: tables, engine and repository (the only users of SQLAlchemy)."""
