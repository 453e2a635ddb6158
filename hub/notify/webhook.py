"""Webhooks in the form DingTalk (钉钉) and WeCom (企业微信) group robots accept.

The body is ``{"msgtype": "text", "text": {"content": …}}`` or, with ``PILHUB_WEBHOOK_FORMAT=markdown``,
``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}`` (DingTalk needs ``title``; WeCom ignores it).
The robot URL (with its access token) is the agency contact's address; it is never logged in full.
The outbox dedupe key goes in ``Idempotency-Key`` and ``X-Pilhub-Dedupe-Key`` for receivers that deduplicate.
Robots answer HTTP 200 with ``{"errcode": 0}`` on success; any other ``errcode`` is a failure.

Every post carries the hub-signed notice (``hub.notify.signed``) so a receiver can prove what the hub sent:
in headers (``X-Pilhub-Manifest`` — base64 of the manifest JSON —, ``X-Pilhub-Key-Id``, ``X-Pilhub-Signature``,
``X-Pilhub-Content-SHA256``; robots ignore unknown headers) and, unless ``PILHUB_WEBHOOK_EMBED_NOTICE=0``, as an
extra top-level key ``"pilhub_notice": {"file", "document", "manifest"}`` beside the robot fields (robots read
``msgtype`` and its object and ignore other keys). ``document`` is the notice JSON as a string: encoded as UTF-8
it is the exact signed bytes. A retry posts the same notice bytes.
"""

from __future__ import annotations

import os
from typing import Any

import requests

from hub.notify.base import Delivery, DeliveryError, mask_address
from hub.notify.signed import WEBHOOK_KEY, notice_for
from hub.trust.signing import SigningKeyError


def embed_notice_default() -> bool:
    """``PILHUB_WEBHOOK_EMBED_NOTICE`` (default on): put the signed notice in the JSON body too."""
    return os.environ.get("PILHUB_WEBHOOK_EMBED_NOTICE", "1").strip().lower() not in ("0", "false", "no", "off")


def robot_payload(delivery: Delivery, fmt: str = "text") -> dict[str, Any]:
    if fmt == "markdown":
        return {
            "msgtype": "markdown",
            "markdown": {"title": delivery.subject, "text": f"### {delivery.subject}\n\n{delivery.body}"},
        }
    return {"msgtype": "text", "text": {"content": f"{delivery.subject}\n\n{delivery.body}"}}


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        fmt: str | None = None,
        timeout: float = 10.0,
        session: requests.Session | None = None,
        *,
        embed_notice: bool | None = None,
    ) -> None:
        self.fmt = fmt or os.environ.get("PILHUB_WEBHOOK_FORMAT", "text")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.embed_notice = embed_notice_default() if embed_notice is None else embed_notice

    def deliver(self, delivery: Delivery) -> None:
        where = mask_address("webhook", delivery.address)
        try:
            notice = notice_for(delivery)
        except SigningKeyError as exc:  # never send an unsigned notice; retried once the key is fixed
            raise DeliveryError(f"通知签名失败 / cannot sign the notice: {exc}") from None
        headers = {
            "Idempotency-Key": delivery.dedupe_key,
            "X-Pilhub-Dedupe-Key": delivery.dedupe_key,
            **notice.headers(),
        }
        body = robot_payload(delivery, self.fmt)
        if self.embed_notice:
            body[WEBHOOK_KEY] = notice.as_payload()
        try:
            response = self.session.post(delivery.address, json=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise DeliveryError(f"Webhook 请求失败 / webhook request to {where} failed: {type(exc).__name__}") from None
        if response.status_code >= 400:
            permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 409, 425, 429)
            raise DeliveryError(f"Webhook 返回 / {where} answered HTTP {response.status_code}", permanent=permanent)
        try:
            answer = response.json()
        except ValueError:
            return  # a plain 2xx receiver
        if isinstance(answer, dict) and answer.get("errcode") not in (None, 0):
            raise DeliveryError(f"机器人拒收 / robot at {where} answered errcode {answer.get('errcode')}")
