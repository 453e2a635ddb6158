"""A JSON-lines file channel (``PILHUB_NOTIFY_FILE``): the demo's way to show the alerts without a mail server.

Each delivery appends one line ``{"dedupe_key", "channel", "recipient", "subject", "body", "delivered_at",
"notice_file", "notice_sha256", "key_id"}`` and writes the hub-signed notice (``hub.notify.signed``) into the
folder ``notices/`` beside the file: ``notice-….json`` and ``notice-….json.manifest.json``, which
``pilhub verify`` checks. A key already in the file is not written again, so a retried delivery after a crash
stays single; the file is locked while it is read and appended (two senders may share it). The notice files are
written before the line, so a crash in between leaves no line — and the retry rewrites the same bytes.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
from pathlib import Path

from hub.notify.base import Delivery, DeliveryError
from hub.notify.signed import notice_for
from hub.trust.signing import SigningKeyError

NOTICE_DIR = "notices"


class FileChannel:
    name = "file"

    def __init__(self, path: Path | str, notice_dir: Path | str | None = None) -> None:
        self.path = Path(path)
        self.notice_dir = Path(notice_dir) if notice_dir is not None else self.path.parent / NOTICE_DIR

    def deliver(self, delivery: Delivery) -> None:
        try:
            notice = notice_for(delivery)
        except SigningKeyError as exc:  # never write an unsigned notice; retried once the key is fixed
            raise DeliveryError(f"通知签名失败 / cannot sign the notice: {exc}") from None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.seek(0)
                for line in fh:
                    if line.strip() and json.loads(line).get("dedupe_key") == delivery.dedupe_key:
                        return
                written = notice.write(self.notice_dir)
                record = {
                    "dedupe_key": delivery.dedupe_key,
                    "channel": delivery.channel,
                    "recipient": delivery.address,
                    "subject": delivery.subject,
                    "body": delivery.body,
                    "delivered_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "notice_file": str(written),
                    "notice_sha256": notice.sha256,
                    "key_id": notice.key_id,
                }
                fh.seek(0, 2)
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                fh.flush()
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def read_deliveries(path: Path | str) -> list[dict]:
    """The lines of a notify file (tests and the demo)."""
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
