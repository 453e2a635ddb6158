"""The envelope every record carries, whatever its kind.

The envelope answers "where did this come from and can we prove it": which agency
and system sent it, its id there (for de-duplication and replay), when the hub
fetched it, the hash of the raw payload as received (so a quarantined record can
be shown to be the one the agency sent) and an optional signature. It also names
the record kind and the contract version the producer mapped to.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from schemas.records.types import AgencyCode, AwareTimestamp, RecordId, Sha256, ShortText

__all__ = ["DOMAINS", "RecordEnvelope"]

#: Agency domains (领域) a record kind belongs to (自然资源: land, mining and restoration records).
DOMAINS = ("environment", "forestry", "market", "court", "agency", "natural_resources")

_SEMVER = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def _version_tuple(version: str) -> tuple[int, int, int]:
    match = _SEMVER.fullmatch(version)
    if match is None:
        raise ValueError(version)
    return int(match[1]), int(match[2]), int(match[3])


class RecordEnvelope(BaseModel):
    """Fields common to every record kind; subclasses add the payload fields.

    Class attributes (not fields): ``KIND`` (e.g. ``env.penalty``), ``DOMAIN`` (one of
    :data:`DOMAINS`), ``SCHEMA_VERSION`` (semver; bump the minor for additive changes,
    the major for breaking ones), ``TITLE_ZH`` (the document's Chinese name),
    ``EXAMPLE`` (a valid payload without the envelope, as an agency would send it: what
    ``pilhub connectors discover`` shows and the schema tests hold every kind to) and
    ``ORDERED_FIELDS`` (``(later, earlier, severity)`` column pairs the batch suite checks,
    e.g. a case filed before the offence occurred).

    A model is found by :mod:`schemas.registry` wherever it sits under ``schemas/records``:
    a new kind is one new module there, nothing else to register.
    """

    model_config = ConfigDict(extra="forbid", validate_default=False)

    KIND: ClassVar[str] = ""
    DOMAIN: ClassVar[str] = ""
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = ""
    EXAMPLE: ClassVar[dict[str, Any]] = {}
    ORDERED_FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = ()

    source_agency: AgencyCode = Field(description="hub code of the sending agency (来源单位)")
    source_system: ShortText = Field(description="the agency system the record came from (来源系统)")
    source_record_id: RecordId = Field(description="the record's id in the source system; unique per stream")
    kind: str = Field(description="record kind, e.g. env.penalty")
    schema_version: str = Field(
        description="contract version the producer mapped to (semver): same major as the model's, not newer",
        json_schema_extra={"pattern": r"^\d+\.\d+\.\d+$"},
    )
    fetched_at: AwareTimestamp = Field(description="when the hub fetched the record (timezone required)")
    payload_hash: Sha256 = Field(description="SHA-256 (hex) of the raw payload exactly as received")
    signature: str | None = Field(default=None, max_length=8192, description="detached signature, if the agency signs")

    @field_validator("schema_version")
    @classmethod
    def _version_is_compatible(cls, value: str) -> str:
        """Accept the model's version or an older minor of the same major (additive changes only)."""
        if value == cls.SCHEMA_VERSION:
            return value
        mine = _version_tuple(cls.SCHEMA_VERSION)
        try:
            theirs = _version_tuple(value)
        except ValueError:
            raise PydanticCustomError(
                "schema_version.format",
                "{zh} / {en}",
                {"zh": "契约版本应为 主.次.修订 形式，如 1.0.0", "en": "schema_version must look like 1.0.0 (semver)"},
            ) from None
        if theirs[0] != mine[0] or theirs > mine:
            raise PydanticCustomError(
                "schema_version.incompatible",
                "{zh} / {en}",
                {
                    "zh": f"数据按契约版本 {value} 映射，与当前版本 {cls.SCHEMA_VERSION} 不兼容",
                    "en": f"record mapped to contract version {value}, incompatible with {cls.SCHEMA_VERSION}",
                },
            )
        return value
