"""Postings rows hold several documents: one row per block and term for each ingest
transaction, `doc` its highest document and `more` the others.

Existing rows hold one document each (`more` NULL), which is still a valid row, so upgrading
only adds the column; downgrading splits the rows that hold several documents.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from __future__ import annotations

import struct

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# What this revision knew: blocks of 1024 documents, and `more` as 2-byte big-endian offsets
# from the block's first document. A migration states its own facts: a later change to the live
# code must not change what an old migration does.
POSTING_BLOCK = 1024
PAGE = 5000  # rows split per statement


def upgrade() -> None:
    with op.batch_alter_table("search_term") as batch:
        batch.add_column(sa.Column("more", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    conn = op.get_bind()
    rows = sa.text("SELECT block, term, doc, more FROM search_term WHERE more IS NOT NULL LIMIT :n")
    clear = sa.text(
        "UPDATE search_term SET more = NULL WHERE block = :b AND term = :t AND doc = :d"
    )
    split = sa.text("INSERT INTO search_term (block, term, doc) VALUES (:b, :t, :d)")
    while page := conn.execute(rows, {"n": PAGE}).all():
        conn.execute(clear, [{"b": b, "t": t, "d": d} for b, t, d, _ in page])
        singles = [
            {"b": b, "t": t, "d": b * POSTING_BLOCK + offset}
            for b, t, _, more in page
            for offset in struct.unpack(f">{len(more) // 2}H", more)
        ]
        conn.execute(split, singles)
    with op.batch_alter_table("search_term") as batch:
        batch.drop_column("more")
