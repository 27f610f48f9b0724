"""Initial archive schema: key registry, records, sealed parts, arrivals, audit chain.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_registry",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("check_value", sa.LargeBinary(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_key_registry"),
    )
    op.create_table(
        "record",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("quarantine_code", sa.String(32), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("kek_id", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("seal_version", sa.SmallInteger(), nullable=False),
        sa.Column("stored_size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kek_id"], ["key_registry.id"], name="fk_record_kek_id_key_registry"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_record"),
        sa.UniqueConstraint("sha256", name="uq_record_sha256"),
    )
    op.create_index("ix_record_archived_at", "record", ["archived_at"])
    op.create_index("ix_record_status", "record", ["status"])
    op.create_index("ix_record_sent_at", "record", ["sent_at"])
    op.create_index("ix_record_kek_id", "record", ["kek_id"])
    op.create_table(
        "sealed_part",
        sa.Column("record_id", sa.String(32), nullable=False),
        sa.Column("part", sa.String(16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["record.id"], name="fk_sealed_part_record_id_record", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("record_id", "part", name="pk_sealed_part"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Sealed parts are compressed ciphertext: PostgreSQL's own compression cannot shrink
        # them, so do not let it try.
        op.execute("ALTER TABLE sealed_part ALTER COLUMN data SET STORAGE EXTERNAL")
    op.create_table(
        "arrival",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(32), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("source_name", sa.String(128), nullable=False),
        sa.Column("mailbox", sa.String(256), nullable=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("locator", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"], ["record.id"], name="fk_arrival_record_id_record", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_arrival"),
        sa.UniqueConstraint(
            "source_name", "mailbox", "uidvalidity", "uid", name="uq_arrival_imap_uid"
        ),
    )
    op.create_index("ix_arrival_record_id", "arrival", ["record_id"])
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(128), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_event"),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )


def downgrade() -> None:
    op.drop_table("audit_head")
    op.drop_table("audit_event")
    op.drop_index("ix_arrival_record_id", table_name="arrival")
    op.drop_table("arrival")
    op.drop_table("sealed_part")
    op.drop_index("ix_record_kek_id", table_name="record")
    op.drop_index("ix_record_sent_at", table_name="record")
    op.drop_index("ix_record_status", table_name="record")
    op.drop_index("ix_record_archived_at", table_name="record")
    op.drop_table("record")
    op.drop_table("key_registry")
