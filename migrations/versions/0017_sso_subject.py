"""The identity an OpenID Connect account is bound to: the issuer and subject of its first
sign-in, so an address given to someone else later does not sign them in as the old owner.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("web_user") as batch:
        batch.add_column(sa.Column("sso_subject", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_user") as batch:
        batch.drop_column("sso_subject")
