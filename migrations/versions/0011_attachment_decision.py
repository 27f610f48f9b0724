"""Attachment decisions: an image attachment of a redacted record, released or withheld.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-19
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment_decision",
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("attachment", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=False),
        sa.Column("facts", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["number"],
            ["request.number"],
            name="fk_attachment_decision_number_request",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name="fk_attachment_decision_record_id_record",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("number", "record_id", "attachment", name="pk_attachment_decision"),
    )


def downgrade() -> None:
    op.drop_table("attachment_decision")
