"""Copies of destroyed records that a source still holds: what each poll cycle tries again
to remove.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disposition_copy",
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("batch", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("noted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch"],
            ["disposition_batch.number"],
            name="fk_disposition_copy_batch_disposition_batch",
        ),
        sa.PrimaryKeyConstraint("source", "sha256", name="pk_disposition_copy"),
    )
    op.create_index("ix_disposition_copy_batch", "disposition_copy", ["batch"])


def downgrade() -> None:
    op.drop_index("ix_disposition_copy_batch", table_name="disposition_copy")
    op.drop_table("disposition_copy")
