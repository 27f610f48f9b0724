"""Students (sealed roster rows with a blind-index lookup), record tags, tag overrides.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "student",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lookup", sa.LargeBinary(16), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("exit_date", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_student"),
        sa.UniqueConstraint("lookup", name="uq_student_lookup"),
    )
    op.create_table(
        "record_tag",
        sa.Column("record_id", sa.String(32), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("tagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["record.id"], name="fk_record_tag_record_id_record", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name="fk_record_tag_student_id_student",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "student_id", name="pk_record_tag"),
    )
    op.create_index("ix_record_tag_student_id", "record_tag", ["student_id"])
    op.create_table(
        "tag_override",
        sa.Column("record_id", sa.String(32), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name="fk_tag_override_record_id_record",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name="fk_tag_override_student_id_student",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "student_id", name="pk_tag_override"),
    )
    op.create_table(
        "roster_state",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_roster_state"),
    )


def downgrade() -> None:
    op.drop_table("roster_state")
    op.drop_table("tag_override")
    op.drop_index("ix_record_tag_student_id", table_name="record_tag")
    op.drop_table("record_tag")
    op.drop_table("student")
