"""The case-registry export format (one JSON object per line), as a pydantic contract.

The procuratorate's case system exports exactly this shape; the hub accepts it as is
and may store more. Unknown keys are ignored with a warning rather than rejected, so a
newer export does not lose cases; contradictions (a reply before receipt) reject the line.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Domain = Literal["ecology", "food_drug", "state_property", "land_transfer", "heroes", "other"]
Procedure = Literal[
    "admin_pre_litigation", "admin_litigation", "civil", "criminal_incidental_civil", "damage_consultation"
]
PartyKind = Literal["company", "person", "agency", "organisation", "government"]

DOMAINS: tuple[str, ...] = Domain.__args__  # type: ignore[attr-defined]
PROCEDURES: tuple[str, ...] = Procedure.__args__  # type: ignore[attr-defined]

DOMAIN_LABELS = {
    "ecology": "生态环境和资源保护",
    "food_drug": "食品药品安全",
    "state_property": "国有财产保护",
    "land_transfer": "国有土地使用权出让",
    "heroes": "英烈权益保护",
    "other": "其他（新领域）",
}
PROCEDURE_LABELS = {
    "admin_pre_litigation": "行政公益诉讼诉前程序（检察建议）",
    "admin_litigation": "行政公益诉讼",
    "civil": "民事公益诉讼",
    "criminal_incidental_civil": "刑事附带民事公益诉讼",
    "damage_consultation": "生态环境损害赔偿磋商",
}

_REGION = re.compile(r"^\d{6}$")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class PartyIn(_Lenient):
    name: str = Field(min_length=1)
    kind: PartyKind
    credit_code: str | None = None
    id_number: str | None = None
    address: str | None = None
    phone: str | None = None


class ReplyIn(_Lenient):
    replied_on: date
    posted_on: date | None = None
    has_evidence: bool = False
    rectification_due: date | None = None
    rectified: bool | None = None
    rectified_on: date | None = None
    rebound: bool | None = None

    @model_validator(mode="after")
    def _posted_not_after_received(self) -> ReplyIn:
        if self.posted_on is not None and self.posted_on > self.replied_on:
            raise ValueError("posted_on 晚于 replied_on（邮寄日不能晚于收到日）/ posted_on is after replied_on")
        return self


class RecommendationIn(_Lenient):
    rec_id: str = Field(min_length=1)
    agency: str = Field(min_length=1)
    issued_on: date
    received_on: date | None = None
    urgent: bool = False
    publicly_delivered: bool | None = None
    copied_to: list[str] = Field(default_factory=list)
    replies: list[ReplyIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates_in_order(self) -> RecommendationIn:
        if self.received_on is not None and self.received_on < self.issued_on:
            raise ValueError("received_on 早于 issued_on / received_on is before issued_on")
        for i, reply in enumerate(self.replies):
            if self.received_on is not None and reply.replied_on < self.received_on:
                raise ValueError(
                    f"replies[{i}].replied_on 早于送达日期 received_on / replies[{i}].replied_on is before received_on"
                )
            if self.received_on is None:
                raise ValueError(f"有回复但无送达日期 received_on / replies[{i}] present but received_on is missing")
        return self


class OutcomesIn(_Lenient):
    land_restored_mu: Decimal = Field(default=Decimal(0), ge=0)
    waste_removed_t: Decimal = Field(default=Decimal(0), ge=0)
    money_recovered_yuan: Decimal = Field(default=Decimal(0), ge=0)


class CaseLine(_Lenient):
    case_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1)
    domain: Domain
    procedure: Procedure
    region_code: str
    district: str = Field(min_length=1)
    opened_on: date
    status: str = Field(min_length=1)
    procurator: str | None = None
    parties: list[PartyIn] = Field(default_factory=list)
    recommendations: list[RecommendationIn] = Field(default_factory=list)
    outcomes: OutcomesIn = Field(default_factory=OutcomesIn)
    litigation_status: str | None = None

    @field_validator("region_code")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError("行政区划代码须为6位数字 / region_code must be 6 digits")
        return value

    @model_validator(mode="after")
    def _recommendations_after_opening(self) -> CaseLine:
        seen: set[str] = set()
        for i, rec in enumerate(self.recommendations):
            if rec.issued_on < self.opened_on:
                raise ValueError(
                    f"recommendations[{i}].issued_on 早于立案日期 opened_on / issued before the case was opened"
                )
            if rec.rec_id in seen:
                raise ValueError(f"recommendations[{i}].rec_id 重复 / duplicate rec_id {rec.rec_id!r}")
            seen.add(rec.rec_id)
        return self
