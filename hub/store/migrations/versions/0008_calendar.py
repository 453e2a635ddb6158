"""calendar: official holiday schedules imported from the State Council notice; calendar-missing clocks

* ``calendar_years``: each import of a year's schedule (国务院办公厅关于YYYY年部分节假日安排的通知) by
  ``pilhub calendar import`` — the notice text itself and its SHA-256, the days off and make-up working days
  parsed from it, who imported it and when. The newest row of a year is in force (it wins over the
  ``chinesecalendar`` package and the override files); older rows stay as history. Every import is audited.
* ``clocks.calendar_missing``: the deadline needs a year whose notice is not known. Its dates are then a range
  (``deadline_official`` the earliest date, ``breach_after`` the latest plausible one); the sweep gives it the
  state ``calendar_missing`` until the latest date has passed.
* ``sla_sweep_runs.calendar_digests``: a digest of each year's schedule as a run saw it, so the next run
  re-derives the clocks of every year whose schedule changed (imported, corrected, package upgraded).

Revision ID: 0008_calendar
Revises: 0007_clues
Create Date: 2026-12-05 09:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_calendar"
down_revision = "0007_clues"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_years",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False, index=True),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("source_file", sa.String(500), nullable=False),
        sa.Column("notice_sha256", sa.String(64), nullable=False),
        sa.Column("notice_text", sa.Text(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("workdays", sa.JSON(), nullable=False),
        sa.Column("imported_by", sa.String(100), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Plain ADD COLUMN (SQLite supports it): a batch "move and copy" of ``clocks`` would drop the table that
    # ``escalations`` references, which SQLite refuses with foreign keys on once a store holds escalations.
    op.add_column("clocks", sa.Column("calendar_missing", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("sla_sweep_runs", sa.Column("calendar_digests", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sla_sweep_runs", schema=None) as batch_op:
        batch_op.drop_column("calendar_digests")
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_column("calendar_missing")
    op.drop_table("calendar_years")
