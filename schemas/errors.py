"""The one exception every validator raises.

Integration engineers read rejection reasons in Chinese, operators and logs often in
English, and the quarantine store needs a stable machine code to group rejects by
cause. So a single exception type carries all three; callers never parse messages.
Messages deliberately do not echo the rejected value: it may be personal data
(an ID number, a name) and reasons are stored and shown more widely than payloads.

``InvalidValue`` is a ``ValueError`` by way of pydantic-core's ``PydanticCustomError``:
raised inside a pydantic validator it becomes a field error whose ``type`` is our
code and whose ``ctx`` holds ``zh``/``en`` — with no wrapper frame per field, which
matters at 100,000 records per second.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import PydanticCustomError

__all__ = ["InvalidValue"]

_TEMPLATE = "{zh} / {en}"


class InvalidValue(PydanticCustomError):
    """A value that does not satisfy the data contract.

    ``code`` is stable (e.g. ``credit_code.checksum``) and safe to aggregate on;
    ``zh`` and ``en`` are human messages. ``str(e)`` gives ``"中文 / English"``.
    """

    def __new__(cls, code: str, zh: str, en: str) -> InvalidValue:
        return super().__new__(cls, code, _TEMPLATE, {"zh": zh, "en": en})

    def __init__(self, code: str, zh: str, en: str) -> None:  # state is set in __new__
        pass

    @property
    def code(self) -> str:
        return self.type

    @property
    def zh(self) -> str:
        return str(self.context["zh"])  # type: ignore[index]

    @property
    def en(self) -> str:
        return str(self.context["en"])  # type: ignore[index]

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.zh, self.en))

    def __repr__(self) -> str:
        return f"InvalidValue({self.code!r}, {self.zh!r}, {self.en!r})"
