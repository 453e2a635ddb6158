"""each stored agency-record version keeps the source's update time

* ``agency_records.source_update_time`` (nullable text): the stream's watermark field as ISO text with its
  offset (the same normalised form as the stream's cursor). A later delivery whose update time is older than
  the current version's is a stale copy (a lagging replica, a backfilled old window) and is counted as a
  duplicate instead of becoming current again. Versions stored before this column have none, and behave as
  before.

Revision ID: 0011_source_update_time
Revises: 0010_rules_referrals
Create Date: 2026-12-05 09:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_source_update_time"
down_revision = "0010_rules_referrals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both dialects: rebuilding agency_records on SQLite is refused once other tables
    # reference it, and a nullable column needs no rebuild.
    op.add_column("agency_records", sa.Column("source_update_time", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("agency_records", "source_update_time")  # SQLite ≥ 3.35 drops a column in place
