"""Redactions of a request's records: the text removed (sealed), its exemption and state.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "redaction",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("exemption", sa.String(length=64), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("facts", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["number"],
            ["request.number"],
            name="fk_redaction_number_request",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name="fk_redaction_record_id_record",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_redaction"),
    )
    op.create_index("ix_redaction_number_record", "redaction", ["number", "record_id"])


def downgrade() -> None:
    op.drop_index("ix_redaction_number_record", table_name="redaction")
    op.drop_table("redaction")
