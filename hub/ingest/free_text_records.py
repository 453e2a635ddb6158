"""Stored agency records whose prose names their persons: masked in place (a store written before masking).

The loader masks prose at load time (:func:`hub.ingest.personal_split.mask_free_text`). Records stored
before that hold the facts in clear in ``payload``; this pass — run by migration 0009 — moves each such
text into the sealed ``personal_enc`` and leaves the public form in the payload, and recomputes the
record's content hash the way the loader now computes it, so a re-delivery of the same record is still
recognised as a duplicate. Every version is migrated, current or not.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa

from hub.ingest.canonical import canonical_bytes
from hub.ingest.personal_split import free_text_fields, mask_free_text
from hub.personal_data import decrypt, encrypt
from schemas.registry import RECORD_KINDS

PERSONAL_COLUMN = "agency_records.personal_enc"
#: Envelope fields kept in the payload column but left out of the content hash (``hub.ingest.loader``).
_DELIVERY = frozenset({"fetched_at", "payload_hash", "signature", "schema_version"})


def mask_stored_records(conn: sa.Connection, *, batch: int = 2000) -> int:
    """Mask the prose of every stored record that names one of its persons; returns how many were rewritten."""
    kinds = [k for k in RECORD_KINDS if free_text_fields(k)]
    records = sa.table(
        "agency_records",
        sa.column("id", sa.BigInteger),
        sa.column("kind", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("personal_enc", sa.Text),
        sa.column("content_hash", sa.String),
    )
    rewritten = 0
    last = 0
    while True:
        rows = conn.execute(
            sa.select(records.c.id, records.c.kind, records.c.payload, records.c.personal_enc)
            .where(records.c.kind.in_(kinds), records.c.id > last)
            .order_by(records.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return rewritten
        updates: list[dict[str, Any]] = []
        for pk, kind, payload, personal_enc in rows:
            last = pk
            payload = dict(payload or {})
            personal = json.loads(decrypt(personal_enc, PERSONAL_COLUMN) or "{}") if personal_enc else {}
            core = {k: v for k, v in payload.items() if k not in _DELIVERY}
            if not mask_free_text(kind, core, personal):
                continue
            payload.update({k: core[k] for k in free_text_fields(kind) if k in core})
            personal_json = canonical_bytes(personal)
            updates.append(
                {
                    "p_pk": pk,
                    "p_payload": payload,
                    "p_personal": encrypt(personal_json.decode("utf-8"), PERSONAL_COLUMN),
                    "p_hash": hashlib.sha256(canonical_bytes(core) + b"\x00" + personal_json).hexdigest(),
                }
            )
        if updates:
            conn.execute(
                records.update()
                .where(records.c.id == sa.bindparam("p_pk"))
                .values(
                    payload=sa.bindparam("p_payload", type_=sa.JSON),
                    personal_enc=sa.bindparam("p_personal"),
                    content_hash=sa.bindparam("p_hash"),
                ),
                updates,
            )
            rewritten += len(updates)
