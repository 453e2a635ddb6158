"""trust: signed audit checkpoints and resumable key-rotation progress

A parallel branch beside the other feature migrations (the store upgrades to all heads).

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-23 04:56:06.859164
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("last_entry_id", _BIG_ID, nullable=True),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_digest", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.create_table(
        "key_rotations",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("target_key_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("rewritten", sa.BigInteger(), nullable=False),
        sa.Column("skipped", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_rotations")),
    )
    with op.batch_alter_table("key_rotations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_key_rotations_target_key_id"), ["target_key_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("key_rotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_rotations_target_key_id"))
    op.drop_table("key_rotations")
    op.drop_table("audit_checkpoints")
