"""矿产资源违法案件: mining enforcement cases of a natural-resources and planning bureau.

Mining without a licence (无证开采) and beyond the licensed boundary (越界开采) — Mineral
Resources Law of the PRC arts. 39–40 — leave bare rock and collapsed slopes behind; the
procuratorate's question is whether the bureau had the mine's geological environment
restored after the criminal case closed (the 衢江 shale case: "非法开采 … 页岩十万余吨，
造成国家矿产资源损失七十余万元"). So the record keeps the tonnage, the loss in yuan and the
damaged area, not only the fine.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Self

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
    ShortText,
    coded_enum,
    personal,
)

__all__ = ["NrMiningCase"]

MiningCaseType = coded_enum(
    {
        "unlicensed": "无证开采",
        "beyond_boundary": "越界开采",
        "illegal_trade": "非法收购销售矿产品",
        "destructive": "破坏性开采",
        "other": "其他",
    },
    "违法类型",
)
#: Tonnes extracted (开采量): non-negative, at most three decimals (kilograms).
Tonnes = Annotated[Decimal, Field(ge=0, le=10**12, decimal_places=3)]


class NrMiningCase(RecordEnvelope):
    """A mining enforcement case (矿产资源违法案件), keyed by its case document number."""

    KIND: ClassVar[str] = "nr.mining_case"
    DOMAIN: ClassVar[str] = "natural_resources"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "矿产资源违法案件"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "case_number": "衢自然资规罚〔2017〕3号",
        "case_type": "无证开采",
        "party_name": "方某",
        "id_number": "11010519491231002X",
        "mineral": "页岩",
        "extracted_tonnes": "100000",
        "resource_loss_yuan": "70万元",
        "damaged_area_mu": "9",
        "damaged_area_as_reported": "6000平方米",
        "location": "衢江区杜泽镇周村殿",
        "region_code": "330803",
        "filed_on": "2016-11-02",
        "status": "已移送司法机关",
    }
    ORDERED_FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("filed_on", "occurred_on", "blocking"),
        ("decision_date", "filed_on", "warning"),
    )

    kind: Literal["nr.mining_case"] = "nr.mining_case"
    case_number: DocNumber = Field(description="立案编号 / 处罚决定书文号")
    case_type: MiningCaseType = Field(default="other", description="违法类型")
    party_name: PersonalName = personal("当事人 (a company or a natural person)")
    credit_code: CreditCode | None = Field(default=None, description="当事人统一社会信用代码 (organisations)")
    id_number: IdNumber | None = personal("当事人身份证号 (natural persons)", default=None)
    mineral: ShortText = Field(description="矿种, e.g. 页岩、建筑用砂、萤石")
    extracted_tonnes: Tonnes | None = Field(default=None, description="非法开采量 (吨)")
    resource_loss_yuan: Money | None = Field(default=None, description="矿产资源损失价值 (元)")
    illegal_gains_yuan: Money | None = Field(default=None, description="违法所得 (元)")
    damaged_area_mu: AreaMu | None = Field(default=None, description="破坏土地面积 (亩)")
    damaged_area_as_reported: AreaAsReported | None = Field(default=None, description="破坏面积原文（含单位）")
    location: Name = Field(description="开采地点")
    region_code: RegionCode = Field(description="行政区划代码")
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
        check_reported_area(self.damaged_area_mu, self.damaged_area_as_reported, "damaged_area_mu")
        return self
