"""The records each audit event is about, so that a record's events are an index read rather
than a scan of the whole log; filled from the events already written, a page at a time.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# What this revision knew: a record id is 32 lower-case hex digits, and an event is about the
# record its target is and every record id quoted in its JSON details. A migration states its
# own facts: a later change to the live code must not change what an old migration does.
RECORD_ID = re.compile(r"[0-9a-f]{32}")
QUOTED_RECORD_ID = re.compile(f'"({RECORD_ID.pattern})"')
PAGE = 2000  # events read per page


def upgrade() -> None:
    op.create_table(
        "audit_mention",
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"],
            ["audit_event.seq"],
            name="fk_audit_mention_seq_audit_event",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "seq", name="pk_audit_mention"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_audit_mention_seq", "audit_mention", ["seq"])
    conn = op.get_bind()
    events = sa.text(
        "SELECT seq, target, details FROM audit_event WHERE seq > :after ORDER BY seq LIMIT :n"
    )
    write = sa.text("INSERT INTO audit_mention (record_id, seq) VALUES (:record_id, :seq)")
    after = 0
    while True:
        page = conn.execute(events, {"after": after, "n": PAGE}).all()
        rows = [
            {"record_id": rid, "seq": seq}
            for seq, target, details in page
            for rid in sorted(_mentions(target, details))
        ]
        if rows:
            conn.execute(write, rows)
        if len(page) < PAGE:
            break
        after = page[-1][0]


def downgrade() -> None:
    op.drop_index("ix_audit_mention_seq", table_name="audit_mention")
    op.drop_table("audit_mention")


def _mentions(target: str | None, details: str) -> set[str]:
    found = set(QUOTED_RECORD_ID.findall(details))
    if target is not None and RECORD_ID.fullmatch(target):
        found.add(target)
    return found
