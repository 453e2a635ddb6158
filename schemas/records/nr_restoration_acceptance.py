"""修复验收记录: acceptance of restored land — farmland reclaimed, a mine's geological environment repaired.

A recommendation to restore land is only answered when the restoration passes
acceptance (验收): the 衢江 shale case closed when "杜泽镇政府与方某签订矿山地质环境治理
修复责任书 … 土地平整，植树绿化". Land Reclamation Regulations (土地复垦条例, 2011) art. 28
has the bureau organise the acceptance; the record says who accepted what area, with
what result and on which day, and which case it belongs to.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

from pydantic import Field, model_validator

from schemas.records.base import RecordEnvelope
from schemas.records.natural_resources import AreaAsReported, check_reported_area
from schemas.records.types import AreaMu, DocNumber, LenientDate, Money, Name, Prose, RegionCode, coded_enum

__all__ = ["NrRestorationAcceptance"]

RestorationType = coded_enum(
    {
        "farmland_reclamation": "耕地复垦",
        "mine_geological_environment": "矿山地质环境治理",
        "land_consolidation": "土地整治",
        "vegetation_restoration": "植被恢复",
        "demolition_restoration": "拆除复原",
        "other": "其他",
    },
    "修复类型",
)
AcceptanceResult = coded_enum(
    {"passed": "验收合格", "failed": "验收不合格", "rectify": "限期整改后复验"},
    "验收结论",
)


class NrRestorationAcceptance(RecordEnvelope):
    """One acceptance inspection of restored land (修复验收), for one case."""

    KIND: ClassVar[str] = "nr.restoration_acceptance"
    DOMAIN: ClassVar[str] = "natural_resources"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "修复验收记录"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "acceptance_number": "衢自然资规验〔2018〕7号",
        "case_number": "衢自然资规罚〔2017〕3号",
        "restoration_type": "矿山地质环境治理",
        "area_mu": "9",
        "area_as_reported": "9亩",
        "result": "验收合格",
        "accepted_on": "2018-11-30",
        "accepted_by": "衢州市自然资源和规划局衢江分局",
        "cost_yuan": "35.2万元",
        "location": "衢江区杜泽镇周村殿",
        "region_code": "330803",
    }

    kind: Literal["nr.restoration_acceptance"] = "nr.restoration_acceptance"
    acceptance_number: DocNumber = Field(description="验收编号 / 验收意见文号")
    case_number: DocNumber | None = Field(default=None, description="所涉案件编号 (the land or mining case)")
    restoration_type: RestorationType = Field(description="修复类型")
    area_mu: AreaMu = Field(description="修复面积 (亩)")
    area_as_reported: AreaAsReported | None = Field(default=None, description="修复面积原文（含单位）")
    result: AcceptanceResult = Field(description="验收结论")
    accepted_on: LenientDate = Field(description="验收日期")
    accepted_by: Name = Field(description="验收单位")
    cost_yuan: Money | None = Field(default=None, description="修复费用 (元)")
    location: Name = Field(description="修复地点")
    region_code: RegionCode = Field(description="行政区划代码")
    notes: Prose | None = Field(default=None, description="验收意见 / 说明")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_reported_area(self.area_mu, self.area_as_reported, "area_mu")
        return self
