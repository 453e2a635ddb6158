"""The field mapping of replies (回复函) and receipts (送达回证), shared by agencies whose systems
export them with the same generic fields (``rec``, ``agency``, ``replied`` …)."""

from __future__ import annotations

from typing import Any


def attachments(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Evidence attachments ``[{"name", "sha256", "size"}]`` → the contract's ``Attachment`` fields."""
    return [
        {"file_name": a["name"], "sha256": a["sha256"], "size_bytes": a.get("size")}
        for a in record.get("attachments") or []
    ]


REPLY_MAPPING = {
    "recommendation_number": "rec",
    "replying_agency": "agency",
    "reply_date": "replied",
    "posted_date": "posted",
    "measures_taken": "measures",
    "rectification_plan": "plan",
    "promised_date": "promised",
    "attachments": attachments,
}

RECEIPT_MAPPING = {
    "recommendation_number": "rec",
    "receiving_agency": "agency",
    "received_date": "received",
    "receiver": "receiver",
    "delivery_method": "method",
}
