"""initial store: agencies, cases, parties, recommendations, replies, records, links, clocks,
escalations, outbox and the audit chain

Revision ID: 0001
Revises:
Create Date: 2026-11-23 04:44:31.353508
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "agencies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("superior_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["superior_id"], ["agencies.id"], name=op.f("fk_agencies_superior_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("code", name=op.f("uq_agencies_code")),
        sa.UniqueConstraint("name", name=op.f("uq_agencies_name")),
    )
    op.create_table(
        "agency_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agency_code", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("schema_version", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("personal_enc", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("landing_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_records")),
        sa.UniqueConstraint(
            "agency_code", "stream", "source_id", "version", name=op.f("uq_agency_records_agency_code")
        ),
    )
    with op.batch_alter_table("agency_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agency_records_kind"), ["kind"], unique=False)

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("last_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=200), nullable=False),
        sa.Column("before_digest", sa.String(length=64), nullable=True),
        sa.Column("after_digest", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_audit_log_entry_hash")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_object", ["object_type", "object_id"], unique=False)

    op.create_table(
        "cases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("procedure", sa.String(length=40), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("procurator_enc", sa.Text(), nullable=True),
        sa.Column("procurator_hmac", sa.String(length=64), nullable=True),
        sa.Column("land_restored_mu", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("waste_removed_t", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("money_recovered_yuan", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("litigation_status", sa.String(length=40), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("field_digests", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_id", name=op.f("uq_cases_case_id")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_domain"), ["domain"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_opened_on"), ["opened_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_procedure"), ["procedure"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_procurator_hmac"), ["procurator_hmac"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_region_code"), ["region_code"], unique=False)

    op.create_table(
        "parties",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("name_enc", sa.Text(), nullable=True),
        sa.Column("name_hmac", sa.String(length=64), nullable=True),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("id_number_enc", sa.Text(), nullable=True),
        sa.Column("id_number_hmac", sa.String(length=64), nullable=True),
        sa.Column("phone_enc", sa.Text(), nullable=True),
        sa.Column("phone_hmac", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("address_enc", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_pk"], ["cases.id"], name=op.f("fk_parties_case_pk_cases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
    )
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parties_case_pk"), ["case_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_parties_credit_code"), ["credit_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_parties_id_number_hmac"), ["id_number_hmac"], unique=False)
        batch_op.create_index(batch_op.f("ix_parties_name_hmac"), ["name_hmac"], unique=False)

    op.create_table(
        "recommendations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rec_number", sa.String(length=100), nullable=False),
        sa.Column("case_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agency_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("publicly_delivered", sa.Boolean(), nullable=True),
        sa.Column("copied_to", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_pk"], ["agencies.id"], name=op.f("fk_recommendations_agency_pk_agencies")),
        sa.ForeignKeyConstraint(["case_pk"], ["cases.id"], name=op.f("fk_recommendations_case_pk_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
        sa.UniqueConstraint("rec_number", name=op.f("uq_recommendations_rec_number")),
    )
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recommendations_agency_pk"), ["agency_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_recommendations_case_pk"), ["case_pk"], unique=False)

    op.create_table(
        "clocks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("clock_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("case_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("recommendation_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("period", sa.String(length=8), nullable=True),
        sa.Column("deadline_official", sa.Date(), nullable=True),
        sa.Column("deadline_all_weekends", sa.Date(), nullable=True),
        sa.Column("breach_after", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("met_on", sa.Date(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("inputs_digest", sa.String(length=64), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_pk"], ["cases.id"], name=op.f("fk_clocks_case_pk_cases")),
        sa.ForeignKeyConstraint(
            ["recommendation_pk"],
            ["recommendations.id"],
            name=op.f("fk_clocks_recommendation_pk_recommendations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clocks")),
        sa.UniqueConstraint("clock_key", name=op.f("uq_clocks_clock_key")),
    )
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clocks_breach_after"), ["breach_after"], unique=False)
        batch_op.create_index(batch_op.f("ix_clocks_case_pk"), ["case_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_clocks_recommendation_pk"), ["recommendation_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_clocks_state"), ["state"], unique=False)

    op.create_table(
        "record_links",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("record_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("recommendation_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_pk"], ["cases.id"], name=op.f("fk_record_links_case_pk_cases")),
        sa.ForeignKeyConstraint(
            ["recommendation_pk"],
            ["recommendations.id"],
            name=op.f("fk_record_links_recommendation_pk_recommendations"),
        ),
        sa.ForeignKeyConstraint(
            ["record_pk"], ["agency_records.id"], name=op.f("fk_record_links_record_pk_agency_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_links")),
        sa.UniqueConstraint("record_pk", "case_pk", name=op.f("uq_record_links_record_pk")),
    )
    with op.batch_alter_table("record_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_record_links_case_pk"), ["case_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_record_links_record_pk"), ["record_pk"], unique=False)

    op.create_table(
        "replies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("recommendation_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("replied_on", sa.Date(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.Column("has_evidence", sa.Boolean(), nullable=False),
        sa.Column("rectification_due", sa.Date(), nullable=True),
        sa.Column("rectified", sa.Boolean(), nullable=True),
        sa.Column("rectified_on", sa.Date(), nullable=True),
        sa.Column("rebound", sa.Boolean(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("record_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["recommendation_pk"],
            ["recommendations.id"],
            name=op.f("fk_replies_recommendation_pk_recommendations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["record_pk"], ["agency_records.id"], name=op.f("fk_replies_record_pk_agency_records")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replies")),
        sa.UniqueConstraint("recommendation_pk", "seq", name=op.f("uq_replies_recommendation_pk")),
    )
    op.create_table(
        "escalations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("clock_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("level_name", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clock_pk"], ["clocks.id"], name=op.f("fk_escalations_clock_pk_clocks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
        sa.UniqueConstraint("clock_pk", "level", "recipient", name=op.f("uq_escalations_clock_pk")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalations_clock_pk"), ["clock_pk"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("escalation_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["escalation_pk"], ["escalations.id"], name=op.f("fk_outbox_escalation_pk_escalations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_status"), ["status"], unique=False)

    op.create_table(
        "outbox_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("message_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["message_pk"], ["outbox.id"], name=op.f("fk_outbox_attempts_message_pk_outbox")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attempts")),
    )
    with op.batch_alter_table("outbox_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_attempts_message_pk"), ["message_pk"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("outbox_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_attempts_message_pk"))

    op.drop_table("outbox_attempts")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_status"))

    op.drop_table("outbox")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_clock_pk"))

    op.drop_table("escalations")
    op.drop_table("replies")
    with op.batch_alter_table("record_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_links_record_pk"))
        batch_op.drop_index(batch_op.f("ix_record_links_case_pk"))

    op.drop_table("record_links")
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clocks_state"))
        batch_op.drop_index(batch_op.f("ix_clocks_recommendation_pk"))
        batch_op.drop_index(batch_op.f("ix_clocks_case_pk"))
        batch_op.drop_index(batch_op.f("ix_clocks_breach_after"))

    op.drop_table("clocks")
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendations_case_pk"))
        batch_op.drop_index(batch_op.f("ix_recommendations_agency_pk"))

    op.drop_table("recommendations")
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parties_name_hmac"))
        batch_op.drop_index(batch_op.f("ix_parties_id_number_hmac"))
        batch_op.drop_index(batch_op.f("ix_parties_credit_code"))
        batch_op.drop_index(batch_op.f("ix_parties_case_pk"))

    op.drop_table("parties")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_region_code"))
        batch_op.drop_index(batch_op.f("ix_cases_procurator_hmac"))
        batch_op.drop_index(batch_op.f("ix_cases_procedure"))
        batch_op.drop_index(batch_op.f("ix_cases_opened_on"))
        batch_op.drop_index(batch_op.f("ix_cases_domain"))

    op.drop_table("cases")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_object")

    op.drop_table("audit_log")
    op.drop_table("audit_head")
    with op.batch_alter_table("agency_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_records_kind"))

    op.drop_table("agency_records")
    op.drop_table("agencies")
