"""Packed postings: full blocks keep a common term's postings as one bitmap row.

Existing postings stay rows until their blocks are packed: a little at each ingest, and all
by `archiver reindex`. Searches read both forms, so nothing needs rebuilding.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The block size postings had when this revision was written. A migration states its own
# facts: a later change to the live constant must not change what an old migration does.
POSTING_BLOCK = 1024

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_packed",
        sa.Column("block", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("term", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("bits", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("block", "term", name="pk_search_packed"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "search_live",
        sa.Column("block", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bits", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("block", name="pk_search_live"),
    )
    op.create_index("ix_search_doc_sent", "search_doc", ["sent", "seq"])
    with op.batch_alter_table("search_state") as batch:
        batch.add_column(
            sa.Column("packed_blocks", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    # Packed postings go back to rows first, so the older revision finds every posting.
    conn = op.get_bind()
    live = {
        b: int.from_bytes(bits, "little")
        for b, bits in conn.execute(sa.text("SELECT block, bits FROM search_live"))
    }
    rows = conn.execute(sa.text("SELECT term, block, bits FROM search_packed")).all()
    postings = []
    for term, block, bits in rows:
        mask = int.from_bytes(bits, "little") & live.get(block, 0)
        postings += [
            {"block": block, "term": term, "doc": block * POSTING_BLOCK + i}
            for i in range(mask.bit_length())
            if mask >> i & 1
        ]
    if postings:
        conn.execute(
            sa.text("INSERT INTO search_term (block, term, doc) VALUES (:block, :term, :doc)"),
            postings,
        )
    with op.batch_alter_table("search_state") as batch:
        batch.drop_column("packed_blocks")
    op.drop_index("ix_search_doc_sent", "search_doc")
    op.drop_table("search_live")
    op.drop_table("search_packed")
