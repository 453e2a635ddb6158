"""Records from ecology and environment bureaus (生态环境局).

Environmental penalties and online-monitoring exceedances are the main clue source
for ecology cases — 152 of Quzhou's 212 cases in 2017–2018 were in this domain.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field

from schemas.records.base import RecordEnvelope
from schemas.records.penalty import PenaltyDecision
from schemas.records.types import AwareTimestamp, CreditCode, Name, PersonalName, RegionCode, ShortText, personal

__all__ = ["EnvExceedance", "EnvPenalty"]


class EnvPenalty(PenaltyDecision):
    """行政处罚决定书 issued by an environment bureau."""

    KIND: ClassVar[str] = "env.penalty"
    DOMAIN: ClassVar[str] = "environment"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "生态环境行政处罚决定书"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "doc_number": "衢环罚〔2018〕12号",
        "party_name": "衢州市某化工有限公司",
        "credit_code": "91350100M000100Y43",
        "violation_facts": "废水排放口化学需氧量超标。",
        "legal_basis": "《中华人民共和国水污染防治法》第八十三条",
        "decision_date": "2018-03-21",
        "fine_amount_yuan": "12.5万元",
        "region_code": "330824",
    }

    kind: Literal["env.penalty"] = "env.penalty"


class EnvExceedance(RecordEnvelope):
    """在线监测超标: one measurement above its limit at a monitored site (outlet, station)."""

    KIND: ClassVar[str] = "env.exceedance"
    DOMAIN: ClassVar[str] = "environment"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "在线监测超标记录"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "site": "某化工有限公司废水总排口",
        "pollutant": "COD",
        "measured_value": "128.5",
        "limit_value": "100",
        "unit": "mg/L",
        "measured_at": "2018-03-21T10:00:00+08:00",
    }
    ORDERED_FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("measured_value", "limit_value", "warning"),)

    kind: Literal["env.exceedance"] = "env.exceedance"
    site: Name = Field(description="监测点位 / 排放口名称")
    site_code: ShortText | None = Field(default=None, description="监测点位编码 in the monitoring system")
    pollutant: ShortText = Field(description="污染物, e.g. COD, 氨氮, SO2")
    measured_value: Decimal = Field(ge=0, description="监测值")
    limit_value: Decimal = Field(ge=0, description="排放限值 / 标准值")
    unit: ShortText = Field(description="单位, e.g. mg/L, mg/m3")
    measured_at: AwareTimestamp = Field(description="监测时间 (timezone required)")
    party_name: PersonalName | None = personal("排污单位名称 (may be an individual business owner)", default=None)
    credit_code: CreditCode | None = Field(default=None, description="排污单位统一社会信用代码")
    region_code: RegionCode | None = Field(default=None, description="行政区划代码 of the site")
