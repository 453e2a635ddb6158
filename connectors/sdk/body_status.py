"""Body-level status: an HTTP 200 whose body says "error" or "too many requests".

Many agency gateways answer every request with HTTP 200 and put the real outcome in the
body — ``{"code": 0, "data": …}`` on success, ``{"code": 4003, "msg": "请求过于频繁"}`` when
throttled, ``{"code": 5001, "msg": "系统繁忙"}`` on an error. Read as a page, such a body has no
records, and a client that trusts HTTP 200 takes it for an empty last page: the stream ends
``loaded`` with records missing. A connector declares the status field instead
(:class:`BodyStatus`), and the runner

* retries a **throttle** code with the client's back-off (counted as ``throttled``),
* fails the page on any other code that is not an **ok** code, showing the agency's own
  message (never an empty page; the cursor stays where it was),
* treats a body without the status field as an error unless ``missing_ok`` says success
  bodies omit it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.sdk.errors import ConnectorError
from connectors.sdk.formats import dig


class AgencyBodyError(ConnectorError):
    """The agency answered HTTP 200 with an error code in the body (its own message is shown)."""

    def __init__(self, code: Any, message: str, path: str) -> None:
        super().__init__(
            f"{path}：单位系统返回错误代码 {code}：{message or '（无说明）'}",
            f"{path}: the agency answered with error code {code} in the body: {message or '(no message)'}",
        )
        self.code = code
        self.agency_message = message


class AgencyThrottled(ConnectorError):
    """The agency answered HTTP 200 with a throttle code in the body, on every attempt."""


def _same(value: Any, codes: tuple[Any, ...]) -> bool:
    text = str(value).strip()
    return any(text == str(c).strip() for c in codes)


@dataclass(frozen=True)
class BodyStatus:
    """Where a body carries its status and which codes mean what.

    ``code_path``: dotted path of the code (``code``, ``head.retCode``). ``ok``: success codes
    (compared as text, so ``0`` and ``"0"`` match). ``throttle``: codes that mean "slow down".
    ``message_path``: the agency's message, shown in the error. ``missing_ok``: a body without
    the code counts as success (some gateways add it only to errors).
    """

    code_path: str = "code"
    ok: tuple[Any, ...] = (0, 200)
    throttle: tuple[Any, ...] = ()
    message_path: str | None = "message"
    missing_ok: bool = False

    def verdict(self, document: Any) -> tuple[str, Any, str]:
        """``("ok" | "throttle" | "error", code, agency message)`` for a parsed body."""
        code = dig(document, self.code_path) if isinstance(document, dict) or hasattr(document, "attrib") else None
        message = dig(document, self.message_path) if self.message_path and code is not None else None
        text = "" if message is None else str(message)[:300]
        if code is None or code == "":
            return ("ok" if self.missing_ok else "error"), None, text or "响应体缺少状态字段 / no status field"
        if _same(code, self.ok):
            return "ok", code, text
        if _same(code, self.throttle):
            return "throttle", code, text
        return "error", code, text
