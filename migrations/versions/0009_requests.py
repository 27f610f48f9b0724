"""Requests (public records and student records), their records and decisions, and each
student's access log.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request",
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("received_day", sa.Date(), nullable=False),
        sa.Column("respond_by", sa.Date(), nullable=False),
        sa.Column("produce_by", sa.Date(), nullable=True),
        sa.Column("petition_by", sa.Date(), nullable=True),
        sa.Column("extension_days", sa.Integer(), nullable=True),
        sa.Column("extended_to", sa.Date(), nullable=True),
        sa.Column("calendar", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=128), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("fees", sa.Text(), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("facts", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name="fk_request_student_id_student",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("number", name="pk_request"),
        sa.UniqueConstraint("year", "kind", "seq", name="uq_request_year_kind_seq"),
    )
    op.create_table(
        "request_record",
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("exemptions", sa.String(length=128), nullable=True),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("facts", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["number"],
            ["request.number"],
            name="fk_request_record_number_request",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name="fk_request_record_record_id_record",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("number", "record_id", name="pk_request_record"),
    )
    op.create_index("ix_request_record_record_id", "request_record", ["record_id"])
    op.create_table(
        "student_access",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("audit_seq", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name="fk_student_access_student_id_student",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_student_access"),
    )
    op.create_index("ix_student_access_student", "student_access", ["student_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_student_access_student", table_name="student_access")
    op.drop_table("student_access")
    op.drop_index("ix_request_record_record_id", table_name="request_record")
    op.drop_table("request_record")
    op.drop_table("request")
