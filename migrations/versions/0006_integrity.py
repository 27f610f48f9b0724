"""Integrity beyond the message bytes: authenticated plaintext facts, exact arrivals, a
verifiable search index.

The new columns are empty for existing rows: a migration has no keys. `archiver db upgrade`
fills them afterwards (facts authenticated, arrival positions computed and duplicates of the
same arrival removed, index entries' digests made from their postings).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_FACTS_TABLES = ("record", "student", "record_tag", "tag_override")


def upgrade() -> None:
    for table in _FACTS_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("facts", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("arrival") as batch:
        batch.add_column(sa.Column("position", sa.LargeBinary(length=16), nullable=True))
        batch.add_column(sa.Column("facts", sa.LargeBinary(), nullable=True))
        batch.create_unique_constraint("uq_arrival_position", ["record_id", "position"])
    with op.batch_alter_table("search_doc") as batch:
        batch.add_column(sa.Column("digest", sa.LargeBinary(length=16), nullable=True))
    with op.batch_alter_table("search_state") as batch:
        batch.add_column(sa.Column("verify_next_block", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("verify_started_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("verify_problems", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("verified_scope", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("verified_problems", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("search_state") as batch:
        for name in (
            "verified_problems",
            "verified_scope",
            "verified_at",
            "verify_problems",
            "verify_started_at",
            "verify_next_block",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("search_doc") as batch:
        batch.drop_column("digest")
    with op.batch_alter_table("arrival") as batch:
        batch.drop_constraint("uq_arrival_position", type_="unique")
        batch.drop_column("facts")
        batch.drop_column("position")
    for table in _FACTS_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("facts")
