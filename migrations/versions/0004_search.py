"""Search: blind-index documents and postings, and the index's state.

Records archived before this revision have no index entries yet: the state row says the
index is incomplete until `archiver reindex` has run.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_doc",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("tokenizer", sa.SmallInteger(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("attachments", sa.SmallInteger(), nullable=False),
        sa.Column("sent", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"], ["record.id"], name="fk_search_doc_record_id_record", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_search_doc"),
        sa.UniqueConstraint("record_id", name="uq_search_doc_record_id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "search_term",
        sa.Column("block", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("term", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("doc", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("block", "term", "doc", name="pk_search_term"),
        sqlite_with_rowid=False,
    )
    state = op.create_table(
        "search_state",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=True),
        sa.Column("tokenizer", sa.SmallInteger(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_search_state"),
    )
    conn = op.get_bind()
    records = conn.execute(sa.text("SELECT COUNT(*) FROM record")).scalar_one()
    key_id = conn.execute(
        sa.text("SELECT id FROM key_registry WHERE kind = 'index' AND state = 'current'")
    ).scalar_one_or_none()
    op.bulk_insert(
        state,
        [
            {
                "id": 1,
                "generation": 1,
                "key_id": key_id,
                "tokenizer": 1,
                "complete": records == 0,
                "updated_at": datetime.now(UTC),
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("search_state")
    op.drop_table("search_term")
    op.drop_table("search_doc")
