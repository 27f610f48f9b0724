"""Collection state: source health, folder UIDVALIDITY, per-source leases.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_state",
        sa.Column("source_name", sa.String(128), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waiting", sa.Integer(), nullable=True),
        sa.Column("last_cycle", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source_name", name="pk_source_state"),
    )
    op.create_table(
        "mailbox_state",
        sa.Column("source_name", sa.String(128), nullable=False),
        sa.Column("folder", sa.String(256), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_name", "folder", name="pk_mailbox_state"),
    )
    op.create_table(
        "source_lease",
        sa.Column("source_name", sa.String(128), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source_name", name="pk_source_lease"),
    )


def downgrade() -> None:
    op.drop_table("source_lease")
    op.drop_table("mailbox_state")
    op.drop_table("source_state")
