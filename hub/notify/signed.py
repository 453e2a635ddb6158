"""Hub-signed notice documents: what every channel carries so a recipient can prove what the hub sent.

An escalation notice tells a supervisory body that an agency broke the law; the agency, the
people's congress or a court must be able to check that the notice they hold is exactly what
the hub sent — whatever carried it (mail relay, group robot, shared folder). So each delivery
carries a **notice document**: JSON with the case, recommendation number, agency, deadlines,
days overdue, level, addressee, the exact subject and text delivered, the message id (the
outbox dedupe key) and the issue time, signed with the hub's Ed25519 key through the same
manifest as reports (:mod:`hub.trust.manifest`, ``kind: "notice"``), so ``pilhub verify``,
openssl and python-cryptography all check it (``docs/verify.md``).

Retries re-send the same bytes: the document is built from the rendered text and facts alone,
serialised canonically (sorted keys, fixed indentation), its ``issued_at`` and the manifest's
``signed_at`` are the message's enqueue time (fixed per message), and Ed25519 signatures are
deterministic. The same message therefore always gives the same document and manifest, byte
for byte, under the same hub key.

Personal data: the document holds exactly the text delivered, so only the e-mail addressed to
the case procurator carries the procurator's name (see :mod:`hub.notify.render`); every stored
copy (inbox, notify file, audit digest) is of a neutral text. Webhook addresses (robot URLs with
access tokens) appear masked.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from hub.notify.base import Delivery, mask_address
from hub.store.models import OutboxMessage
from hub.trust.manifest import (
    MANIFEST_SUFFIX,
    build_manifest,
    canonical_bytes,
    document_bytes,
    manifest_bytes,
    write_signed,
)
from hub.trust.signing import SIGNER

NOTICE_TYPE = "pilhub.escalation_notice"
REPORT_NOTICE_TYPE = "pilhub.report_notice"
PLAIN_NOTICE_TYPE = "pilhub.notice"
SCHEMA_VERSION = 1
#: The key under which a webhook body carries the signed notice (robots ignore unknown top-level keys).
WEBHOOK_KEY = "pilhub_notice"
#: Keys of the document the facts may not override: they say what was delivered, to whom, when.
_CORE = (
    "document_type",
    "schema_version",
    "issuer",
    "message_id",
    "issued_at",
    "channel",
    "recipient",
    "subject",
    "text",
)


def _plain(value: Any) -> Any:
    """JSON-ready, deterministic values: ISO dates, ``Z`` times, decimals as text."""
    if isinstance(value, dt.datetime):
        return utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def utc_time(at: dt.datetime | None) -> dt.datetime:
    """``at`` in UTC to the second (naive values from SQLite are UTC); now when None."""
    at = at or dt.datetime.now(dt.UTC)
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    return at.replace(microsecond=0)


def utc_text(at: dt.datetime) -> str:
    return utc_time(at).strftime("%Y-%m-%dT%H:%M:%SZ")


def notice_file_name(dedupe_key: str) -> str:
    """``notice-<20 hex>.json``: stable per message, and safe in any file system (keys contain ``:``)."""
    return f"notice-{hashlib.sha256(dedupe_key.encode('utf-8')).hexdigest()[:20]}.json"


def notice_document(delivery: Delivery, issued_at: dt.datetime | None = None) -> dict[str, Any]:
    """The notice as a JSON object: the facts, then what was delivered to whom and when (which win)."""
    facts = {k: _plain(v) for k, v in delivery.facts.items() if k not in _CORE or k == "document_type"}
    core = {
        "document_type": facts.pop("document_type", None) or PLAIN_NOTICE_TYPE,
        "schema_version": SCHEMA_VERSION,
        "issuer": SIGNER,
        "message_id": delivery.dedupe_key,
        "issued_at": utc_text(utc_time(issued_at or delivery.issued_at)),
        "channel": delivery.channel,
        "recipient": mask_address(delivery.channel, delivery.address),
        "subject": delivery.subject,
        "text": delivery.body,
    }
    return {**facts, **core}


@dataclass(frozen=True)
class SignedNotice:
    """A notice document and its signed manifest, exactly as every channel sends them."""

    name: str
    document: bytes
    manifest: dict[str, Any]

    @property
    def manifest_name(self) -> str:
        return self.name + MANIFEST_SUFFIX

    @property
    def manifest_bytes(self) -> bytes:
        return manifest_bytes(self.manifest)

    @property
    def sha256(self) -> str:
        return str(self.manifest["sha256"])

    @property
    def key_id(self) -> str:
        return str(self.manifest["key_id"])

    def write(self, directory: Path | str) -> Path:
        """Write the document and ``<name>.manifest.json`` into ``directory``; return the document's path."""
        return write_signed(directory, self.name, self.document, self.manifest)[0]

    def headers(self) -> dict[str, str]:
        """HTTP headers for webhook receivers: the full manifest (base64 of its JSON), key id, signature, digest."""
        compact = json.dumps(self.manifest, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return {
            "X-Pilhub-Manifest": base64.b64encode(compact.encode("utf-8")).decode("ascii"),
            "X-Pilhub-Key-Id": self.key_id,
            "X-Pilhub-Signature": str(self.manifest["signature"]),
            "X-Pilhub-Content-SHA256": self.sha256,
        }

    def as_payload(self) -> dict[str, Any]:
        """JSON-embeddable form (webhook body, inbox row): the document as text decodes to the exact bytes."""
        return {"file": self.name, "document": self.document.decode("utf-8"), "manifest": dict(self.manifest)}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> SignedNotice:
        """The inverse of :meth:`as_payload` (a webhook body's ``pilhub_notice``, an inbox row's ``notice``)."""
        return cls(str(payload["file"]), str(payload["document"]).encode("utf-8"), dict(payload["manifest"]))


def sign_notice(delivery: Delivery) -> SignedNotice:
    """Build and sign the notice document of ``delivery``: same delivery and key → same bytes."""
    issued = utc_time(delivery.issued_at)
    content = document_bytes(notice_document(delivery, issued))
    name = notice_file_name(delivery.dedupe_key)
    return SignedNotice(name, content, build_manifest(content, name, issued, kind="notice"))


def notice_for(delivery: Delivery) -> SignedNotice:
    """The notice the outbox signed for this delivery, or one signed now (a Delivery built elsewhere)."""
    return delivery.notice if delivery.notice is not None else sign_notice(delivery)


def manifest_payload(notice: SignedNotice) -> bytes:
    """The signed bytes of a notice's manifest (what ``jq -jcS 'del(.signature)'`` prints)."""
    return canonical_bytes(notice.manifest)


def issued_at_of(message: OutboxMessage) -> dt.datetime:
    """A message's issue time: when it was enqueued — fixed for every retry."""
    return utc_time(message.created_at)


def notice_facts(session: Session, message: OutboxMessage) -> dict[str, Any]:
    """The facts a notice states, from the message's escalation and clock (neutral: no personal data).

    Escalations (a ``template`` in the payload) state the case, recommendation, agency, the
    deadline(s), days overdue and the level; report announcements name the period and files.
    """
    payload = dict(message.payload or {})
    if payload.get("template"):
        from hub.notify.render import message_context

        ctx = message_context(session, message)
        return {
            "document_type": NOTICE_TYPE,
            "case_id": ctx["case_id"],
            "case_title": ctx["case_title"],
            "procuratorate": ctx["procuratorate"],
            "rec_number": ctx["rec_number"],
            "agency": ctx["agency_name"],
            "clock_kind": ctx["kind"],
            "duty": ctx["duty"],
            "period": ctx["period"],
            "start_on": ctx["start_on"],
            "deadline": ctx["deadline_official"],
            "deadline_all_weekends": ctx["deadline_all_weekends"],
            "breach_after": ctx["breach_after"],
            "as_of": ctx["as_of"],
            "days_overdue": ctx["days_overdue"],
            "days_left": ctx["days_left"],
            "level": ctx["level"],
            "level_name": ctx["level_name"],
            "addressee": ctx["recipient_name"],
            "template": payload["template"],
        }
    if payload.get("kind") == "clue":  # a clue's answer or referral (hub.clues.exchange) states its own facts
        return {"document_type": payload.get("document_type") or PLAIN_NOTICE_TYPE, **(payload.get("facts") or {})}
    if payload.get("kind") == "report":
        files = payload.get("files") or []
        return {
            "document_type": REPORT_NOTICE_TYPE,
            "report_period": payload.get("period"),
            "report_files": [Path(str(f)).name for f in files],
        }
    return {"document_type": PLAIN_NOTICE_TYPE}
