"""Records from market-regulation bureaus (市场监督管理局).

Food and drug safety was the second domain of Quzhou's cases (36 of 212): penalties,
the status of food-business licences (is the canteen still licensed?) and failed
sampling inspections (抽检不合格) are the clues.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BeforeValidator, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from schemas.records.base import RecordEnvelope
from schemas.records.penalty import PenaltyDecision
from schemas.records.types import (
    CreditCode,
    LenientDate,
    Name,
    PersonalName,
    RegionCode,
    ShortText,
    coded_enum,
    personal,
)
from schemas.text import normalise_identifier

__all__ = ["LicenceNumber", "MarketLicence", "MarketPenalty", "MarketSamplingFailure"]


def _licence_number(value: Any) -> Any:
    return normalise_identifier(value).upper() if isinstance(value, str) else value


#: 食品经营许可证编号: ``JY`` + 1 business-type digit + 6 region digits + 6 serial + 1 check digit.
LicenceNumber = Annotated[str, BeforeValidator(_licence_number), StringConstraints(pattern=r"^JY[1-3][0-9]{13}$")]

MarketSector = coded_enum(
    {
        "food": "食品",
        "drug": "药品",
        "medical_device": "医疗器械",
        "cosmetics": "化妆品",
        "product_quality": "产品质量",
        "other": "其他",
    },
    "监管领域",
)
LicenceStatus = coded_enum(
    {"valid": "有效", "suspended": "暂停", "revoked": "吊销", "cancelled": "注销", "expired": "过期"},
    "许可证状态",
)


class MarketPenalty(PenaltyDecision):
    """行政处罚决定书 issued by a market-regulation bureau."""

    KIND: ClassVar[str] = "market.penalty"
    DOMAIN: ClassVar[str] = "market"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "市场监管行政处罚决定书"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "doc_number": "衢市监罚[2018]3号",
        "party_type": "个体工商户",
        "party_name": "柯城区某某小吃店",
        "credit_code": "91350100M000100Y43",
        "violation_facts": "经营超过保质期的食品。",
        "legal_basis": "《中华人民共和国食品安全法》第一百二十四条",
        "decision_date": "2018/5/8",
        "fine_amount_yuan": 50000,
        "region_code": "330802",
        "sector": "食品",
    }

    kind: Literal["market.penalty"] = "market.penalty"
    sector: MarketSector | None = Field(default=None, description="监管领域")


class MarketLicence(RecordEnvelope):
    """The status of a food-business licence (食品经营许可证) on the day it was read."""

    KIND: ClassVar[str] = "market.licence"
    DOMAIN: ClassVar[str] = "market"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "食品经营许可证"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "licence_number": "jy13308020012345",
        "holder": "柯城区某某小吃店",
        "credit_code": "91350100M000100Y43",
        "valid_from": "2016-06-01",
        "valid_to": "2021-05-31",
        "status": "有效",
    }
    ORDERED_FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("valid_to", "valid_from", "blocking"),)

    kind: Literal["market.licence"] = "market.licence"
    licence_number: LicenceNumber = Field(description="许可证编号, e.g. JY13308240012345")
    holder: PersonalName = personal("经营者名称 (an individual business may trade under the owner's name)")
    credit_code: CreditCode = Field(description="经营者统一社会信用代码")
    valid_from: LenientDate = Field(description="有效期起")
    valid_to: LenientDate = Field(description="有效期至")
    status: LicenceStatus = Field(description="许可证状态")
    region_code: RegionCode | None = Field(default=None, description="行政区划代码 of the business premises")

    @model_validator(mode="after")
    def _validity_is_a_period(self) -> Self:
        if self.valid_to < self.valid_from:
            raise PydanticCustomError(
                "licence.validity_reversed",
                "{zh} / {en}",
                {"zh": "有效期至早于有效期起", "en": "valid_to is before valid_from"},
            )
        return self


class MarketSamplingFailure(RecordEnvelope):
    """抽检不合格: a sample that failed a food-safety (or product) inspection."""

    KIND: ClassVar[str] = "market.sampling_failure"
    DOMAIN: ClassVar[str] = "market"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "监督抽检不合格信息"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "sample_number": "NCP18330800123456",
        "product_name": "豆芽",
        "seller_name": "某农贸市场摊位",
        "failed_items": ["4-氯苯氧乙酸钠"],
        "sampled_on": "2018-06-12",
        "region_code": "330803",
    }

    kind: Literal["market.sampling_failure"] = "market.sampling_failure"
    sample_number: ShortText = Field(description="抽样单编号")
    product_name: Name = Field(description="样品名称")
    batch: ShortText | None = Field(default=None, description="生产日期 / 批号 as printed")
    producer_name: Name | None = Field(default=None, description="标称生产企业")
    producer_credit_code: CreditCode | None = Field(default=None, description="生产企业统一社会信用代码")
    seller_name: PersonalName = personal("被抽样单位 (may be an individual business owner)")
    seller_credit_code: CreditCode | None = Field(default=None, description="被抽样单位统一社会信用代码")
    failed_items: list[ShortText] = Field(min_length=1, description="不合格项目")
    measured_value: ShortText | None = Field(default=None, description="检验结果 as reported (may be text: 检出)")
    standard_value: ShortText | None = Field(default=None, description="标准值 as reported")
    sampled_on: LenientDate = Field(description="抽样日期")
    reported_on: LenientDate | None = Field(default=None, description="报告 / 公告日期")
    region_code: RegionCode = Field(description="行政区划代码 of the sampled business")
    sector: MarketSector = Field(default="food", description="监管领域")
