"""Records management: retention state per record, and legal holds.

Existing records get no retention row here (a migration has no schedule and no keys):
`archiver retention apply` classifies them afterwards, and can be interrupted and run again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention",
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("series", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("trigger_date", sa.Date(), nullable=True),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("limit_kind", sa.String(length=8), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=False),
        sa.Column("classified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("classified_by", sa.String(length=128), nullable=True),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.Column("facts", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name="fk_retention_record_id_record",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name="pk_retention"),
    )
    # With the record id in the index, `retention due` counts and pages from the index alone.
    op.create_index("ix_retention_until", "retention", ["retain_until", "record_id"])
    op.create_index("ix_retention_series", "retention", ["series", "retain_until"])
    op.create_table(
        "retention_state",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("schedule_digest", sa.String(length=64), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("apply_digest", sa.String(length=64), nullable=True),
        sa.Column("apply_after", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_retention_state"),
    )
    op.create_table(
        "hold",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lookup", sa.LargeBinary(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=128), nullable=True),
        sa.Column("release_note", sa.LargeBinary(), nullable=True),
        sa.Column("facts", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_hold"),
        sa.UniqueConstraint("lookup", name="uq_hold_lookup"),
    )
    op.create_table(
        "hold_record",
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["hold.id"], name="fk_hold_record_hold_id_hold", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name="fk_hold_record_record_id_record",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("hold_id", "record_id", name="pk_hold_record"),
    )
    op.create_index("ix_hold_record_record_id", "hold_record", ["record_id"])
    op.create_table(
        "hold_state",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hold_state"),
    )


def downgrade() -> None:
    op.drop_table("hold_state")
    op.drop_index("ix_hold_record_record_id", table_name="hold_record")
    op.drop_table("hold_record")
    op.drop_table("hold")
    op.drop_table("retention_state")
    op.drop_index("ix_retention_series", table_name="retention")
    op.drop_index("ix_retention_until", table_name="retention")
    op.drop_table("retention")
