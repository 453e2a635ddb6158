"""rules by place and date, the life of a recommendation after the reply, referrals on confirmation

* ``cases.closed_on``: the day a case was closed — closing ends running clocks from that day and keeps a breach
  that happened before it (a case closed on an unrecorded day closes its clocks without claiming a breach).
* ``recommendations.withdrawn_on``: a withdrawn recommendation's clocks end ``withdrawn`` on that day.
* ``replies.rectification_status``: full | partial | none (a timely reply with partial or no rectification keeps
  a follow-up investigation open).
* ``clocks.outcome`` widened to 24 characters (``no_statutory_period``: no rule fixed a period there and then).
* ``referral_decisions``: a procurator's decision on a proposal to refer a matter to the supervisory commission,
  which is never told automatically.

Revision ID: 0010_rules_referrals
Revises: 0009_row_integrity
Create Date: 2026-12-05 08:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_rules_referrals"
down_revision = "0009_row_integrity"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # SQLite does not enforce VARCHAR lengths, and widening the column there means rebuilding ``clocks`` by
    # copy-and-drop, which SQLite refuses (foreign keys on) once ``escalations`` reference clocks.
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("clocks", "outcome", existing_type=sa.String(length=16), type_=sa.String(length=24))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_on", sa.Date(), nullable=True))
    with op.batch_alter_table("replies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rectification_status", sa.String(length=8), nullable=True))
    op.create_table(
        "referral_decisions",
        sa.Column("id", _BIG_ID, primary_key=True),
        sa.Column("proposal_pk", _BIG_ID, sa.ForeignKey("escalations.id"), nullable=False, unique=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("referral_pk", _BIG_ID, sa.ForeignKey("escalations.id"), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("referral_decisions")
    with op.batch_alter_table("replies", schema=None) as batch_op:
        batch_op.drop_column("rectification_status")
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_on")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("closed_on")
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.alter_column("outcome", existing_type=sa.String(length=24), type_=sa.String(length=16))
