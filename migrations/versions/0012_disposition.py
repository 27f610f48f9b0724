"""Disposition: batches of records planned, approved and destroyed, and their tombstones.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disposition_batch",
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("by_day", sa.Date(), nullable=False),
        sa.Column("series", sa.String(length=32), nullable=True),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_by", sa.String(length=128), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.Column("permit", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=128), nullable=True),
        sa.Column("cancel_note", sa.LargeBinary(), nullable=True),
        sa.Column("certificate", sa.LargeBinary(), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("signing_key", sa.String(length=64), nullable=True),
        sa.Column("facts", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("number", name="pk_disposition_batch"),
        sa.UniqueConstraint("year", "seq", name="uq_disposition_batch_year_seq"),
    )
    op.create_table(
        "disposition_record",
        sa.Column("batch", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("series", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.String(length=128), nullable=True),
        sa.Column("facts", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch"],
            ["disposition_batch.number"],
            name="fk_disposition_record_batch_disposition_batch",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["record.id"], name="fk_disposition_record_record_id_record"
        ),
        sa.PrimaryKeyConstraint("batch", "record_id", name="pk_disposition_record"),
    )
    op.create_index("ix_disposition_record_record_id", "disposition_record", ["record_id"])
    op.create_table(
        "tombstone",
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("series", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batch", sa.String(length=16), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch"], ["disposition_batch.number"], name="fk_tombstone_batch_disposition_batch"
        ),
        sa.ForeignKeyConstraint(["record_id"], ["record.id"], name="fk_tombstone_record_id_record"),
        sa.PrimaryKeyConstraint("record_id", name="pk_tombstone"),
    )
    op.create_index("ix_tombstone_batch", "tombstone", ["batch"])


def downgrade() -> None:
    op.drop_index("ix_tombstone_batch", table_name="tombstone")
    op.drop_table("tombstone")
    op.drop_index("ix_disposition_record_record_id", table_name="disposition_record")
    op.drop_table("disposition_record")
    op.drop_table("disposition_batch")
