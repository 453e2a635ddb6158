"""Raw landing: every response body is stored, encrypted and hashed, before it is parsed.

So any record in the store or in quarantine can be traced to the exact bytes it came
from (``landing_id``), re-parsed after a mapping fix, and shown to be what the agency
sent (``content_hash`` is the SHA-256 of the plain body). Landings are committed in
their own short transaction as they arrive — a crash later in the pull keeps them.
The request is stored without headers, which carry credentials.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.ingest.sealing import open_bytes, seal_bytes
from hub.store.models import RawLanding


def land(
    session: Session,
    *,
    agency_code: str,
    stream: str,
    body: bytes,
    request: dict[str, Any],
    status_code: int | None,
    content_type: str | None,
    encoding: str | None = None,
    batch_pk: int | None = None,
    fetched_at: datetime | None = None,
) -> RawLanding:
    """Add a landing row to ``session`` (the caller commits) and return it with its id."""
    sealed, key_id = seal_bytes(body)
    row = RawLanding(
        agency_code=agency_code,
        stream=stream,
        batch_pk=batch_pk,
        request=request,
        status_code=status_code,
        content_type=(content_type or "")[:100] or None,
        encoding=encoding,
        content_hash=hashlib.sha256(body).hexdigest(),
        size=len(body),
        body_enc=sealed,
        key_id=key_id,
        fetched_at=fetched_at or datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row


def landed_body(row: RawLanding) -> bytes:
    """The plain body of a landing; verifies it still hashes to ``content_hash``."""
    body = open_bytes(row.body_enc, row.key_id)
    if hashlib.sha256(body).hexdigest() != row.content_hash:
        raise ValueError(f"落地数据 {row.id} 哈希不符 / landing {row.id} does not match its content hash")
    return body
