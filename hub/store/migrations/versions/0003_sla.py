"""sla: clock outcome columns, case events, derivation watermarks, the in-hub inbox

A parallel branch beside the other feature migrations (the store upgrades to all heads).

* ``clocks.outcome / resolved_on / short_period / incomplete``: what the recorded events say about a clock,
  independent of the as-of date, so the sweep can evaluate any day's state in SQL;
* ``sla_events``: dated events the registry does not carry (announcement date, follow-up done);
* ``clocks.next_check_on``: the next day a clock can change, so the daily sweep reads only those (indexed);
* ``sla_derivations``: per case, when its clocks were last derived and from which inputs;
* ``sla_sweep_runs``: each sweep's as-of date, mode and policy fingerprint;
* ``inbox_messages``: the in-hub inbox channel (one row per outbox dedupe key);
* ``ix_outbox_escalation_pk``: a recompute looks messages up by escalation;
* ``ix_escalations_clock_pk`` dropped: the unique key (clock_pk, level, recipient) leads with the same column, and
  every index costs the sweep's bulk insert;
* ``ix_cases_updated_at``, ``ix_recommendations_updated_at``: the sweep's change scan reads what was written
  since its last run.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 04:58:10.283753
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbox_messages",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_inbox_messages_dedupe_key")),
    )
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_messages_recipient"), ["recipient"], unique=False)

    op.create_table(
        "sla_sweep_runs",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("policy_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("rules_digest", sa.String(length=64), nullable=False),
        sa.Column("evaluated", sa.BigInteger(), nullable=False),
        sa.Column("escalations", sa.BigInteger(), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_sweep_runs")),
    )
    op.create_table(
        "sla_derivations",
        sa.Column("case_pk", _BIG_ID, nullable=False),
        sa.Column("inputs_digest", sa.String(length=64), nullable=False),
        sa.Column("rules_digest", sa.String(length=64), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_pk"], ["cases.id"], name=op.f("fk_sla_derivations_case_pk_cases")),
        sa.PrimaryKeyConstraint("case_pk", name=op.f("pk_sla_derivations")),
    )
    op.create_table(
        "sla_events",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("case_pk", _BIG_ID, nullable=False),
        sa.Column("recommendation_pk", _BIG_ID, nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_pk"], ["cases.id"], name=op.f("fk_sla_events_case_pk_cases")),
        sa.ForeignKeyConstraint(
            ["recommendation_pk"],
            ["recommendations.id"],
            name=op.f("fk_sla_events_recommendation_pk_recommendations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_events")),
    )
    with op.batch_alter_table("sla_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sla_events_case_pk"), ["case_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_sla_events_recorded_at"), ["recorded_at"], unique=False)

    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("resolved_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("short_period", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("incomplete", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("next_check_on", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_clocks_next_check_on"), ["next_check_on"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_escalation_pk", ["escalation_pk"], unique=False)
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index("ix_escalations_clock_pk")  # redundant: uq (clock_pk, level, recipient) leads with it
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_updated_at", ["updated_at"], unique=False)
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.create_index("ix_recommendations_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_index("ix_recommendations_updated_at")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_updated_at")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index("ix_escalations_clock_pk", ["clock_pk"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_escalation_pk")

    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clocks_next_check_on"))
        batch_op.drop_column("next_check_on")
        batch_op.drop_column("incomplete")
        batch_op.drop_column("short_period")
        batch_op.drop_column("resolved_on")
        batch_op.drop_column("outcome")

    with op.batch_alter_table("sla_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sla_events_recorded_at"))
        batch_op.drop_index(batch_op.f("ix_sla_events_case_pk"))

    op.drop_table("sla_events")
    op.drop_table("sla_derivations")
    op.drop_table("sla_sweep_runs")
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_messages_recipient"))

    op.drop_table("inbox_messages")
