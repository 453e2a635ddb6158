"""The hub store's tables (SQLAlchemy 2 declarative models).

The schema itself is owned by Alembic migrations in ``hub/store/migrations``; these
models must stay in step with them (``tests/store/test_migrations.py`` checks that
autogenerate finds no difference).

Personal data of natural persons is held only in ``*_enc`` columns (AES-GCM, see
``hub.personal_data``) with a ``*_hmac`` blind index for equality search.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Deterministic constraint names, so migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger that SQLite still treats as an auto-incrementing ROWID alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Agency(Base):
    """An administrative agency or supervisory body (addressee, copy recipient, superior)."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # environment | forestry | market | court | water | natural_resources | housing | health |
    # government | congress | supervisory_commission | procuratorate | other
    kind: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str | None] = mapped_column(String(6))
    superior_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    # [{"channel": "email"|"webhook"|"inbox", "address": "...", "label": "办公室"}] — institutional only.
    contacts: Mapped[list[Any]] = mapped_column(default=list)
    registered: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    superior: Mapped[Agency | None] = relationship(remote_side=[id])


class Case(Base):
    """A public-interest-litigation case as exported by the procuratorate's case system."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), unique=True)
    # The public form (persons named in it masked, hub.free_text); the original, when it differs, sealed in
    # title_enc (migration 0009).
    title: Mapped[str] = mapped_column(String(500))
    title_enc: Mapped[str | None] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(32), index=True)
    procedure: Mapped[str] = mapped_column(String(40), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    district: Mapped[str] = mapped_column(String(64))
    opened_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(32))
    procurator_enc: Mapped[str | None] = mapped_column(Text)
    procurator_hmac: Mapped[str | None] = mapped_column(String(64), index=True)
    land_restored_mu: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    waste_removed_t: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    money_recovered_yuan: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=0)
    litigation_status: Mapped[str | None] = mapped_column(String(40))
    # migration 0010: the day the case was closed (registry ``closed_on``): closing ends running clocks from
    # that day and keeps a breach that happened before it.
    closed_on: Mapped[date | None] = mapped_column(Date)
    content_hash: Mapped[str] = mapped_column(String(64))
    # Digest of each top-level field of the imported line, so an update can name the
    # fields that changed without keeping their (possibly personal) values.
    field_digests: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Keyed per-field tags of the audited fields (hub.store.integrity, migration 0009).
    row_tags: Mapped[str | None] = mapped_column(Text)

    parties: Mapped[list[Party]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Party.position"
    )
    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="case", order_by="Recommendation.issued_on"
    )


class Party(Base):
    """A party of a case. Natural persons' name, ID number, phone and address are encrypted."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # company | person | agency | organisation
    name: Mapped[str | None] = mapped_column(String(300))  # legal entities only
    name_enc: Mapped[str | None] = mapped_column(Text)  # natural persons only
    name_hmac: Mapped[str | None] = mapped_column(String(64), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    id_number_enc: Mapped[str | None] = mapped_column(Text)
    id_number_hmac: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_hmac: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(500))  # legal entities only
    address_enc: Mapped[str | None] = mapped_column(Text)  # natural persons only
    # Keyed per-field tags of the audited fields (hub.store.integrity, migration 0009).
    row_tags: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="parties")


class Recommendation(Base):
    """A pre-litigation procuratorial recommendation (诉前检察建议) to an agency."""

    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rec_number: Mapped[str] = mapped_column(String(100), unique=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    agency_pk: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    issued_on: Mapped[date] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date)  # 送达日期; None = not yet received
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    publicly_delivered: Mapped[bool | None] = mapped_column(Boolean)  # 宣告送达, where known
    copied_to: Mapped[list[Any]] = mapped_column(default=list)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)  # migration 0010: 撤回检察建议之日
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Keyed per-field tags of the audited fields (hub.store.integrity, migration 0009).
    row_tags: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="recommendations")
    agency: Mapped[Agency] = relationship()
    replies: Mapped[list[Reply]] = relationship(
        back_populates="recommendation", cascade="all, delete-orphan", order_by="Reply.seq"
    )


class Reply(Base):
    """An agency's written reply (书面回复) to a recommendation."""

    __tablename__ = "replies"
    __table_args__ = (UniqueConstraint("recommendation_pk", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recommendation_pk: Mapped[int] = mapped_column(ForeignKey("recommendations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    replied_on: Mapped[date] = mapped_column(Date)
    posted_on: Mapped[date | None] = mapped_column(Date)  # 邮寄日期: time in the post not counted
    has_evidence: Mapped[bool] = mapped_column(Boolean, default=False)
    rectification_due: Mapped[date | None] = mapped_column(Date)  # promised rectification date
    rectified: Mapped[bool | None] = mapped_column(Boolean)
    rectified_on: Mapped[date | None] = mapped_column(Date)
    rebound: Mapped[bool | None] = mapped_column(Boolean)  # 反弹回潮 found at follow-up
    # migration 0010: full | partial | none (registry ``rectification_status``; derived from ``rectified`` if absent)
    rectification_status: Mapped[str | None] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16), default="registry")  # registry | record
    record_pk: Mapped[int | None] = mapped_column(ForeignKey("agency_records.id"))
    # Keyed per-field tags of the audited fields (hub.store.integrity, migration 0009).
    row_tags: Mapped[str | None] = mapped_column(Text)

    recommendation: Mapped[Recommendation] = relationship(back_populates="replies")


class AgencyRecord(Base):
    """One version of a record pulled from an agency system and accepted by the contract."""

    __tablename__ = "agency_records"
    __table_args__ = (UniqueConstraint("agency_code", "stream", "source_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    schema_version: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column()  # without personal-data fields
    personal_enc: Mapped[str | None] = mapped_column(Text)  # encrypted JSON of personal-data fields
    content_hash: Mapped[str] = mapped_column(String(64))
    landing_id: Mapped[int | None] = mapped_column(BigId)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The source's update time of this version (the stream's watermark field as ISO text with its offset,
    #: or the raw cursor-field text of a stream without a declared zone); ``None`` where the source gives none.
    #: A later delivery older than the current version's is stale: counted as a duplicate, never made current.
    source_update_time: Mapped[str | None] = mapped_column(String(200))


class RecordLink(Base):
    """A proposed or confirmed link between an agency record and a case."""

    __tablename__ = "record_links"
    __table_args__ = (UniqueConstraint("record_pk", "case_pk"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    record_pk: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    recommendation_pk: Mapped[int | None] = mapped_column(ForeignKey("recommendations.id"))
    score: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(16))  # link | review
    status: Mapped[str] = mapped_column(String(16))  # active | pending_review | rejected | unlinked
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Clock(Base):
    """A statutory or promised deadline clock, derived from recorded events (never counted in place)."""

    __tablename__ = "clocks"
    # migration 0006: the sweep rewrites state/level/next_check_on; with no index on them and room on the page
    # (fillfactor), PostgreSQL updates a clock in place without touching any index (HOT).
    __table_args__ = ({"postgresql_with": {"fillfactor": 50}},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clock_key: Mapped[str] = mapped_column(String(200), unique=True)  # e.g. "reply:<rec_number>"
    kind: Mapped[str] = mapped_column(String(16))  # reply | rectification | follow_up | announcement
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    recommendation_pk: Mapped[int | None] = mapped_column(ForeignKey("recommendations.id"), index=True)
    start_on: Mapped[date | None] = mapped_column(Date)
    period: Mapped[str | None] = mapped_column(String(8))  # "2m", "15d" …; None for promised dates
    deadline_official: Mapped[date | None] = mapped_column(Date)
    deadline_all_weekends: Mapped[date | None] = mapped_column(Date)
    breach_after: Mapped[date | None] = mapped_column(Date)  # the later of the two readings
    state: Mapped[str] = mapped_column(String(20))  # not indexed (migration 0006)
    level: Mapped[int | None] = mapped_column(Integer)
    met_on: Mapped[date | None] = mapped_column(Date)
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    inputs_digest: Mapped[str | None] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # migration 0003: what the recorded events say, independent of the as-of date, so the sweep's SQL can
    # evaluate the state of any day: how the clock stopped (met | met_late | closed; None = not stopped) and
    # on which day (None with closed = closed whatever the day); a short period (≤ 15 days) takes the
    # shorter reminder offsets; an urgent reply without evidence was received but does not stop the clock.
    outcome: Mapped[str | None] = mapped_column(String(24))  # 24 since migration 0010 (no_statutory_period)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    short_period: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    incomplete: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # the deadline needs a year whose State Council notice is unknown: dates are a range (migration 0008)
    calendar_missing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The next day the state, level or due escalations can change (None: not before the inputs change), so
    # the daily sweep evaluates only the clocks whose day has come. Not indexed since migration 0006: an index
    # would turn each of the sweep's updates into a write of every index of the table.
    next_check_on: Mapped[date | None] = mapped_column(Date)
    # Keyed tags (hub.store.integrity, migration 0009): of the derived fields, and of state, level and next
    # check day — the sweep rewrites only the latter.
    row_tags: Mapped[str | None] = mapped_column(Text)
    state_tags: Mapped[str | None] = mapped_column(Text)


class Escalation(Base):
    """One escalation level fired for one clock and one recipient — at most once (unique key)."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("clock_pk", "level", "recipient"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # no index of its own since migration 0003: the unique key (clock_pk, level, recipient) leads with it
    clock_pk: Mapped[int] = mapped_column(ForeignKey("clocks.id"))
    level: Mapped[int] = mapped_column(Integer)
    level_name: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Keyed per-field tags of the audited fields (hub.store.integrity, migration 0009).
    row_tags: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """Transactional outbox: written in the same transaction as the escalation it announces."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    escalation_pk: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"))
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook | inbox | file
    recipient: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboxAttempt(Base):
    """Every delivery attempt of an outbox message and how it ended."""

    __tablename__ = "outbox_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    """Append-only, hash-chained audit log: each entry's hash covers the previous entry's hash."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(200))
    before_digest: Mapped[str | None] = mapped_column(String(64))
    after_digest: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """Single row holding the chain head; appenders lock it so the chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    last_entry_id: Mapped[int | None] = mapped_column(BigId)


# --- ingestion (migration 0002) -------------------------------------------------------


class AgencyKey(Base):
    """An agency's registered Ed25519 public key for signed payloads, valid for a period."""

    __tablename__ = "agency_keys"
    __table_args__ = (UniqueConstraint("agency_code", "key_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(64), index=True)
    key_id: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(16), default="ed25519")
    public_key: Mapped[str] = mapped_column(Text)  # base64 of the raw 32-byte key
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RawLanding(Base):
    """Every response body exactly as received, stored before parsing (encrypted: it may hold personal data)."""

    __tablename__ = "raw_landings"
    __table_args__ = (Index("ix_raw_landings_stream", "agency_code", "stream"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(64))
    batch_pk: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)  # method, url, params — never credentials
    status_code: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(100))
    encoding: Mapped[str | None] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the plain body
    size: Mapped[int] = mapped_column(Integer)
    body_enc: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(32))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IngestBatch(Base):
    """One pull of one stream over one window: what was received and where every record went."""

    __tablename__ = "ingest_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cursor_before: Mapped[str | None] = mapped_column(String(200))
    cursor_after: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | loaded | quarantined | failed
    received: Mapped[int] = mapped_column(Integer, default=0)
    loaded: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    validation: Mapped[dict[str, Any]] = mapped_column(default=dict)  # GX summary, no row values
    run_id: Mapped[str | None] = mapped_column(String(200))  # Airflow run id or CLI invocation
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QuarantineItem(Base):
    """A rejected record or batch, kept with its raw payload and the reasons, until replayed."""

    __tablename__ = "quarantine"
    __table_args__ = (Index("ix_quarantine_status", "status", "agency_code", "stream"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), default="record")  # record | batch
    batch_pk: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))
    landing_pk: Mapped[int | None] = mapped_column(ForeignKey("raw_landings.id"))
    agency_code: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str | None] = mapped_column(String(200))
    schema_version: Mapped[str] = mapped_column(String(16))
    raw_enc: Mapped[str] = mapped_column(Text)  # encrypted JSON of the raw record (may hold personal data)
    raw_hash: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[list[Any]] = mapped_column(default=list)  # [{field, code, zh, en}] — no values
    status: Mapped[str] = mapped_column(String(16), default="held")  # held | replayed | discarded
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(String(200))


class ConnectorState(Base):
    """Incremental cursor per (agency, stream); advanced only in the transaction that stores its batch."""

    __tablename__ = "connector_state"

    agency_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- trust (migration 0004) -----------------------------------------------------------


class AuditCheckpoint(Base):
    """A signed statement of the audit chain's head at one moment (Ed25519, hub key).

    The hash chain alone shows that rows were edited, but someone who can write the
    database can also recompute every hash after an edit. A checkpoint signs
    ``(last_entry_id, last_hash, entries, signed_at, prev)`` with a key the database
    does not hold, so a consistently rewritten chain no longer matches it. ``prev_digest``
    chains the checkpoints themselves, so deleting one in the middle is seen too.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    last_entry_id: Mapped[int | None] = mapped_column(BigId)
    last_hash: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(BigInteger)
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    prev_digest: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(16), default="ed25519")
    signature: Mapped[str] = mapped_column(Text)  # base64 of the 64-byte signature


class KeyRotation(Base):
    """Progress of one re-encryption of personal data to a new key (resumable after a crash).

    ``progress`` maps ``table.column`` to the last primary key handled (or ``"done"``);
    it is written in the same transaction as the batch it describes.
    """

    __tablename__ = "key_rotations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    target_key_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | finished | superseded
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rewritten: Mapped[int] = mapped_column(BigInteger, default=0)
    skipped: Mapped[int] = mapped_column(BigInteger, default=0)  # changed by a live writer meanwhile
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- deadlines (migration 0003) -------------------------------------------------------

# A recompute cancels an escalation's pending messages: it looks messages up by escalation.
Index("ix_outbox_escalation_pk", OutboxMessage.escalation_pk)
# The sweep's change scan reads cases and recommendations written since its last run.
Index("ix_cases_updated_at", Case.updated_at)
Index("ix_recommendations_updated_at", Recommendation.updated_at)


class SlaEvent(Base):
    """A dated procedural event the case registry does not carry, recorded by a procurator or a connector.

    Clocks are derived from recorded events (STYLE.md, ServiceNow SLA): the 30-day civil announcement
    (公告, 法释〔2018〕6号 Art. 13) starts on the announcement date, and a follow-up (回头看) is done on
    the day it is recorded here. The latest event of a kind wins, so a correction is a new event.
    """

    __tablename__ = "sla_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    recommendation_pk: Mapped[int | None] = mapped_column(ForeignKey("recommendations.id"))
    kind: Mapped[str] = mapped_column(String(32))  # announcement | follow_up_done
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))  # institutional text only, no personal data
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class SlaDerivation(Base):
    """When a case's clocks were last derived, and from which inputs (the recompute step's watermark)."""

    __tablename__ = "sla_derivations"

    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    inputs_digest: Mapped[str] = mapped_column(String(64))
    rules_digest: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InboxMessage(Base):
    """The in-hub inbox: a delivered notice, once per outbox dedupe key (so a retried delivery is a no-op)."""

    __tablename__ = "inbox_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    recipient: Mapped[str] = mapped_column(String(300), index=True)
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SlaSweepRun(Base):
    """One evaluation step of ``pilhub sla sweep``: its as-of date, mode and policy (decides full vs daily)."""

    __tablename__ = "sla_sweep_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    mode: Mapped[str] = mapped_column(String(16))  # daily | full
    policy_fingerprint: Mapped[str] = mapped_column(String(64))
    rules_digest: Mapped[str] = mapped_column(String(64))  # derivation rules in force (a change re-derives)
    evaluated: Mapped[int] = mapped_column(BigInteger, default=0)
    escalations: Mapped[int] = mapped_column(BigInteger, default=0)
    messages: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Digests of the ladder levels (with their resolved recipients) and of the (region, domain) → policy
    # assignments in force at this run (migration 0006): the next run checks only levels due since this run's
    # as-of date against the store, except for a level or an assignment that is new (``sla.sweep``).
    level_digests: Mapped[list[Any] | None] = mapped_column(default=None)
    #: year → digest of that year's schedule as this run saw it (a change re-derives the year's clocks)
    calendar_digests: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class ReferralDecision(Base):
    """A procurator's decision on a proposal to refer a matter to the supervisory commission (migration 0010).

    Only clues of officials' misconduct go to the supervisory commission (临沧市人大常委会决定 §三(二), 北京市关于加强检察公益诉讼工作的意见 §六), by a
    procurator's decision: the sweep only *proposes* (an escalation to the case procurator, role
    ``supervisory_proposal``); the commission is told when the proposal is confirmed here — once: the proposal
    escalation is unique, and so is the referral escalation it creates (``escalations`` unique key).
    """

    __tablename__ = "referral_decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    proposal_pk: Mapped[int] = mapped_column(ForeignKey("escalations.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(16))  # confirmed | rejected
    reason: Mapped[str | None] = mapped_column(String(500))  # institutional text only, no personal data
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    referral_pk: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"))


# --- matching (migration 0005) --------------------------------------------------------


class MatchingState(Base):
    """How far matching has read the loaded records (the highest agency_records.id processed)."""

    __tablename__ = "matching_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_record_pk: Mapped[int] = mapped_column(BigId, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- clues (migration 0007) -----------------------------------------------------------


class ClueRun(Base):
    """One run of the supervision models at one as-of date (``pilhub clues run``, the clue-models DAG)."""

    __tablename__ = "clue_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    models: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name → {version, digest, hits, seconds}
    hits: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    refreshed: Mapped[int] = mapped_column(Integer, default=0)
    lapsed: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(100))
    run_id: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Clue(Base):
    """A hit of a supervision model (or a clue an agency transferred): one row per model and subject, never deleted.

    ``key`` is ``<model>:<subject>``; a re-run refreshes the row. ``holds`` says whether the model's condition
    held at the latest run that evaluated it (``lapsed_on``: the as-of date it stopped holding).
    """

    __tablename__ = "clues"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    model: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="new")  # new | under_review | accepted | rejected | closed
    holds: Mapped[bool] = mapped_column(Boolean, default=True)
    evidence: Mapped[list[Any]] = mapped_column(default=list)  # agency records: agency, kind, source id, version …
    hit_count: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)  # institutional text only, no personal data
    domain: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str | None] = mapped_column(String(6))
    first_seen: Mapped[date] = mapped_column(Date)
    last_seen: Mapped[date] = mapped_column(Date)
    lapsed_on: Mapped[date | None] = mapped_column(Date)
    evidence_digest: Mapped[str] = mapped_column(String(64))
    last_run_pk: Mapped[int | None] = mapped_column(ForeignKey("clue_runs.id"))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    draft_case_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    case_draft: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClueTransfer(Base):
    """A clue an agency transferred (行政机关移送线索) and the hub's answer, with its reply clock.

    The answer (受理 / 立案 / 不立案 with reasons) goes back through the outbox, once (``answer_key`` unique);
    ``answer_due`` is the configured period counted like a statutory period (``sla.periods``).
    """

    __tablename__ = "clue_transfers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    record_pk: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), unique=True)
    agency_code: Mapped[str] = mapped_column(String(64), index=True)
    source_id: Mapped[str] = mapped_column(String(200))
    clue_pk: Mapped[int | None] = mapped_column(ForeignKey("clues.id"))
    received_on: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(8))
    answer_due: Mapped[date] = mapped_column(Date)
    answer_due_all_weekends: Mapped[date] = mapped_column(Date)
    calendar_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="awaiting")  # awaiting | answered | overdue
    result: Mapped[str | None] = mapped_column(String(16))  # accepted | filed | not_filed
    result_reason: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[str | None] = mapped_column(String(64))
    answered_on: Mapped[date | None] = mapped_column(Date)
    answer_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    reminder_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MisconductReferral(Base):
    """A misconduct clue (公职人员涉嫌违纪违法) for the supervisory commission: at most one per clue.

    Proposed first; only a procurator's confirmation enqueues the (signed) notice, and only once — the clue
    and the message key are unique. ``feedback_due`` is the clock on the commission's reply.
    """

    __tablename__ = "misconduct_referrals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clue_pk: Mapped[int] = mapped_column(ForeignKey("clues.id"), unique=True)
    commission_code: Mapped[str] = mapped_column(String(64))
    facts: Mapped[str] = mapped_column(Text)  # institutional text: no names of persons
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    message_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    period: Mapped[str] = mapped_column(String(8))
    feedback_due: Mapped[date | None] = mapped_column(Date)
    feedback_on: Mapped[date | None] = mapped_column(Date)
    feedback: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(24), default="awaiting_confirmation")  # … | sent | answered


Index("ix_clues_status_model", Clue.status, Clue.model)


class CalendarYear(Base):
    """One import of a year's official holiday schedule from the State Council notice (newest in force).

    The notice text is kept whole with its digest, so what was imported can be shown and re-checked; the
    import itself is an audit entry (``calendar.import``).
    """

    __tablename__ = "calendar_years"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    source: Mapped[str] = mapped_column(String(500))  # notice title and document number(s)
    source_file: Mapped[str] = mapped_column(String(500))
    notice_sha256: Mapped[str] = mapped_column(String(64))
    notice_text: Mapped[str] = mapped_column(Text)
    holidays: Mapped[list[Any]] = mapped_column()
    workdays: Mapped[list[Any]] = mapped_column()
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
