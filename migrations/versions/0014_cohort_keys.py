"""Disposal-cohort keys: the key registry says which cohort (retention series, month of
eligibility) a cohort key belongs to, and when a destroyed key was destroyed.

Existing records stay wrapped by their KEK; `archiver keys cohorts --apply` wraps them into
their cohorts (it needs the keys, which a migration does not have).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("key_registry") as batch:
        batch.add_column(sa.Column("series", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("month", sa.String(length=7), nullable=True))
        batch.add_column(sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("key_registry") as batch:
        batch.drop_column("destroyed_at")
        batch.drop_column("month")
        batch.drop_column("series")
