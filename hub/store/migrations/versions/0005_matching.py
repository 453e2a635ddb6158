"""matching state; merge deadline and trust branches

Revision ID: 0005
Revises: 0003, 0004
Create Date: 2026-11-23 05:58:40.988261
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = ("0003", "0004")
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "matching_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_record_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_matching_state")),
    )


def downgrade() -> None:

    op.drop_table("matching_state")
