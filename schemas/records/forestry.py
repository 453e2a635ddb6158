"""Records from forestry and grassland bureaus (林业局 / 林草局).

Forest-land cases (毁林, 非法占用林地) and the restoration that follows (补植复绿) are
how procurators check that damaged land was actually restored: areas are in 亩
because the white paper reports "修复 … 林地 … 100余亩".
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from schemas.records.base import RecordEnvelope
from schemas.records.types import (
    AreaMu,
    CreditCode,
    DocNumber,
    IdNumber,
    LenientDate,
    Name,
    PersonalName,
    Prose,
    RegionCode,
    coded_enum,
    personal,
)

__all__ = ["ForestryCase", "ForestryRestoration"]

ForestryCaseType = coded_enum(
    {
        "deforestation": "毁林",
        "illegal_occupation": "非法占用林地",
        "illegal_logging": "滥伐林木",
        "theft_logging": "盗伐林木",
        "other": "其他",
    },
    "案件类型",
)
RestorationStatus = coded_enum(
    {
        "not_started": "未开始",
        "in_progress": "进行中",
        "completed": "已完成",
        "accepted": "已验收",
        "failed_inspection": "验收不合格",
    },
    "恢复状态",
)


class ForestryCase(RecordEnvelope):
    """A forest-land administrative case (林业行政案件), keyed by its case document number."""

    KIND: ClassVar[str] = "forestry.case"
    DOMAIN: ClassVar[str] = "forestry"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "林业行政案件"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "case_number": "开林罚决字〔2018〕第12号",
        "case_type": "非法占用林地",
        "party_name": "张三",
        "id_number": "11010519491231002X",
        "area_mu": "2公顷",
        "location": "开化县某乡某村林班12",
        "region_code": "330824",
        "occurred_on": "2018年3月1日",
        "filed_on": "2018-03-21",
    }
    ORDERED_FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("filed_on", "occurred_on", "blocking"),)

    kind: Literal["forestry.case"] = "forestry.case"
    case_number: DocNumber = Field(description="案件编号 / 处罚决定书文号, e.g. 龙林罚决字〔2018〕第12号")
    case_type: ForestryCaseType = Field(default="other", description="案件类型")
    party_name: PersonalName = personal("当事人 (often a natural person)")
    credit_code: CreditCode | None = Field(default=None, description="当事人统一社会信用代码 (organisations)")
    id_number: IdNumber | None = personal("当事人身份证号 (natural persons)", default=None)
    party_address: Name | None = personal("当事人住址 (an individual's home address)", default=None)
    area_mu: AreaMu = Field(description="涉案面积 (亩)")
    location: Name = Field(description="地点 (小地名 / 林班)")
    region_code: RegionCode = Field(description="行政区划代码")
    occurred_on: LenientDate = Field(description="发生日期")
    filed_on: LenientDate = Field(description="立案日期")

    @model_validator(mode="after")
    def _filed_after_occurrence(self) -> Self:
        if self.filed_on < self.occurred_on:
            raise PydanticCustomError(
                "forestry.filed_before_occurred",
                "{zh} / {en}",
                {"zh": "立案日期早于发生日期", "en": "filed_on is before occurred_on"},
            )
        return self


class ForestryRestoration(RecordEnvelope):
    """恢复植被 / 补植复绿: the state of restoration for a case at an inspection."""

    KIND: ClassVar[str] = "forestry.restoration"
    DOMAIN: ClassVar[str] = "forestry"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "植被恢复记录"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "case_number": "开林罚决字〔2018〕第12号",
        "area_mu": "30亩",
        "status": "completed",
        "inspected_on": "2018-10-01",
    }

    kind: Literal["forestry.restoration"] = "forestry.restoration"
    case_number: DocNumber = Field(description="the forestry case this restoration belongs to")
    area_mu: AreaMu = Field(description="恢复面积 (亩)")
    status: RestorationStatus = Field(description="恢复状态")
    inspected_on: LenientDate = Field(description="检查 / 验收日期")
    inspector: PersonalName | None = personal("检查人", default=None)
    notes: Prose | None = Field(default=None, description="说明 (species planted, survival rate …)")
