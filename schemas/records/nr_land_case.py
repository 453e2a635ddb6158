"""土地违法案件: land-use enforcement cases of a natural-resources and planning bureau (自然资源和规划局).

Occupying farmland without approval (非法占用耕地), building before approval (未批先建) and
illegal transfers of land are where procurators check whether the bureau stopped the
harm and had the land restored — the white paper counts "督促修复耕地、林地等农用地100余亩".
Land Administration Law of the PRC (2019 revision) arts. 74–77 set the penalties; the
area occupied, and of it the farmland, are what the restoration is measured against.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from schemas.records.base import RecordEnvelope
from schemas.records.natural_resources import AreaAsReported, NrCaseStatus, check_reported_area
from schemas.records.types import (
    AreaMu,
    CreditCode,
    DocNumber,
    IdNumber,
    LenientDate,
    Money,
    Name,
    PersonalName,
    RegionCode,
    coded_enum,
    personal,
)

__all__ = ["NrLandCase"]

LandCaseType = coded_enum(
    {
        "illegal_occupation": "非法占地",
        "farmland_occupation": "非法占用耕地",
        "unapproved_construction": "未批先建",
        "illegal_transfer": "非法转让土地",
        "change_of_use": "擅自改变土地用途",
        "farmland_destruction": "破坏耕地",
        "other": "其他",
    },
    "违法类型",
)


class NrLandCase(RecordEnvelope):
    """A land-use enforcement case (土地违法案件), keyed by its case document number."""

    KIND: ClassVar[str] = "nr.land_case"
    DOMAIN: ClassVar[str] = "natural_resources"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "土地违法案件"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "case_number": "衢自然资规罚〔2019〕12号",
        "case_type": "非法占用耕地",
        "party_name": "衢州市某建材有限公司",
        "credit_code": "91350100M000100Y43",
        "location": "衢江区杜泽镇周村",
        "region_code": "330803",
        "area_mu": "12",
        "area_as_reported": "8000平方米",
        "farmland_area_mu": "6.5",
        "occurred_on": "2019-03-02",
        "filed_on": "2019年3月20日",
        "decision_date": "2019-05-08",
        "fine_amount_yuan": "16万元",
        "status": "已作出处罚决定",
    }
    ORDERED_FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("filed_on", "occurred_on", "blocking"),
        ("decision_date", "filed_on", "warning"),
    )

    kind: Literal["nr.land_case"] = "nr.land_case"
    case_number: DocNumber = Field(description="立案编号 / 处罚决定书文号, e.g. 衢自然资规罚〔2019〕12号")
    case_type: LandCaseType = Field(default="other", description="违法类型")
    party_name: PersonalName = personal("当事人 (a company or a natural person)")
    credit_code: CreditCode | None = Field(default=None, description="当事人统一社会信用代码 (organisations)")
    id_number: IdNumber | None = personal("当事人身份证号 (natural persons)", default=None)
    location: Name = Field(description="坐落 (村、组、地块)")
    region_code: RegionCode = Field(description="行政区划代码")
    area_mu: AreaMu = Field(description="违法占地面积 (亩)")
    area_as_reported: AreaAsReported | None = Field(default=None, description="占地面积原文（含单位）")
    farmland_area_mu: AreaMu | None = Field(default=None, description="其中耕地面积 (亩)")
    occurred_on: LenientDate | None = Field(default=None, description="违法行为发生 / 发现日期")
    filed_on: LenientDate = Field(description="立案日期")
    decision_date: LenientDate | None = Field(default=None, description="处罚决定日期")
    fine_amount_yuan: Money | None = Field(default=None, description="罚款金额 (元)")
    status: NrCaseStatus = Field(default="filed", description="案件状态")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.occurred_on is not None and self.filed_on < self.occurred_on:
            raise PydanticCustomError(
                "nr.filed_before_occurred",
                "{zh} / {en}",
                {"zh": "立案日期早于违法行为发生日期", "en": "filed_on is before occurred_on"},
            )
        if self.farmland_area_mu is not None and self.farmland_area_mu > self.area_mu:
            raise PydanticCustomError(
                "nr.farmland_exceeds_area",
                "{zh} / {en}",
                {"zh": "耕地面积大于占地总面积", "en": "farmland_area_mu is larger than area_mu"},
            )
        check_reported_area(self.area_mu, self.area_as_reported, "area_mu")
        return self
