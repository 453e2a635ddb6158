"""行政机关移送线索: a clue an administrative agency transfers to the procuratorate.

Agencies are obliged to transfer the public-interest clues they find in their work and to hear back
what became of them (北京市关于加强检察公益诉讼工作的意见 §五(二), 临沧市人大常委会决定 §三(二)). The record carries the agency's own
transfer number, what the clue is about (domain, the facts, the parties concerned as organisations)
and the day it was sent; the procuratorate's answer (受理 / 立案 / 不立案 with reasons) goes back
through the hub's outbox within a configured period (``hub.clues.exchange``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from schemas.records.base import RecordEnvelope
from schemas.records.types import CreditCode, DocNumber, LenientDate, Name, Prose, RegionCode, coded_enum, personal

__all__ = ["AgencyClueTransfer"]

ClueDomain = coded_enum(
    {
        "ecology": "生态环境和资源保护",
        "food_drug": "食品药品安全",
        "state_property": "国有财产保护",
        "land_transfer": "国有土地使用权出让",
        "heroes": "英烈权益保护",
        "other": "其他",
    },
    "线索领域",
)


class AgencyClueTransfer(RecordEnvelope):
    """线索移送函: one clue transferred by an agency, keyed by the agency's transfer number."""

    KIND: ClassVar[str] = "agency.clue_transfer"
    DOMAIN: ClassVar[str] = "agency"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "行政机关移送线索"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "transfer_number": "衢环移〔2026〕3号",
        "domain": "生态环境和资源保护",
        "summary": "某化工企业长期超标排放，经多次处罚仍未整改",
        "facts": "2026年以来三次在线监测超标，两次行政处罚，企业未落实整改措施。",
        "party_credit_code": "91330802MA2ABC1091",
        "party_name": "衢州甲化工有限公司",
        "region_code": "330802",
        "sent_on": "2026-11-20",
        "contact_office": "衢州市生态环境局执法支队",
    }

    kind: Literal["agency.clue_transfer"] = "agency.clue_transfer"
    transfer_number: DocNumber = Field(description="移送函文号, e.g. 衢环移〔2026〕3号")
    domain: ClueDomain = Field(description="线索所属领域")
    summary: Prose = personal("线索概要 (free text: may name persons)")
    facts: Prose | None = personal("基本事实 (free text: may name persons)", default=None)
    party_credit_code: CreditCode | None = Field(default=None, description="涉及单位统一社会信用代码")
    party_name: Name | None = Field(default=None, description="涉及单位名称 (organisations only)")
    region_code: RegionCode = Field(description="行政区划代码 of the place concerned")
    sent_on: LenientDate = Field(description="移送日期")
    contact_office: Name | None = Field(default=None, description="承办机构 (an office, not a person)")
