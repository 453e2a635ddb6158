"""Records from people's courts (法院), keyed by case number (案号).

Courts report the lawsuits procurators bring when agencies do not act — filing,
judgment or ruling, and execution — and execution is where restoration money is
actually recovered. Filing, judgment and execution of one dispute link through
``case_number`` and, for execution, ``basis_case_number``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from schemas.records.base import RecordEnvelope
from schemas.records.types import CaseNumber, LenientDate, Money, Name, PersonalName, Prose, ShortText, coded_enum

__all__ = ["CourtExecution", "CourtFiling", "CourtJudgment"]

PilProcedure = coded_enum(
    {
        "administrative_pil": "行政公益诉讼",
        "civil_pil": "民事公益诉讼",
        "criminal_incidental_civil_pil": "刑事附带民事公益诉讼",
        "other": "其他",
    },
    "诉讼类型",
)
DecisionType = coded_enum({"judgment": "判决", "ruling": "裁定", "mediation": "调解"}, "裁判文书类型")
ExecutionStatus = coded_enum(
    {
        "filed": "立案",
        "in_progress": "执行中",
        "concluded_this_round": "终结本次执行程序",
        "completed": "执行完毕",
        "terminated": "终结执行",
    },
    "执行状态",
)


class _CourtRecord(RecordEnvelope):
    case_number: CaseNumber = Field(description="案号, e.g. （2018）浙0824民初123号")
    court_name: Name = Field(description="法院名称")


class CourtFiling(_CourtRecord):
    """立案: a court has accepted a case."""

    KIND: ClassVar[str] = "court.filing"
    DOMAIN: ClassVar[str] = "court"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "法院立案信息"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "case_number": "(2018)浙0824民初123号",
        "court_name": "开化县人民法院",
        "procedure": "刑事附带民事公益诉讼",
        "cause": "污染环境",
        "filed_on": "2018-04-02",
        "plaintiff": "开化县人民检察院",
        "defendants": ["李四"],
    }

    kind: Literal["court.filing"] = "court.filing"
    procedure: PilProcedure = Field(description="诉讼类型")
    cause: ShortText = Field(description="案由")
    filed_on: LenientDate = Field(description="立案日期")
    plaintiff: Name = Field(description="公益诉讼起诉人 / 原告 (usually the procuratorate)")
    defendants: list[PersonalName] = Field(
        min_length=1, description="被告 (may be natural persons)", json_schema_extra={"x-personal-data": True}
    )


class CourtJudgment(_CourtRecord):
    """判决 / 裁定 / 调解: the decision in a case."""

    KIND: ClassVar[str] = "court.judgment"
    DOMAIN: ClassVar[str] = "court"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "裁判文书"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "case_number": "（2018）浙0824民初123号",
        "court_name": "开化县人民法院",
        "decision_type": "判决",
        "decided_on": "二〇一八年六月十二日",
        "outcome": "被告赔偿生态环境修复费用。",
        "restoration_cost_yuan": "壹拾贰万伍仟元整",
    }
    ORDERED_FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("effective_on", "decided_on", "warning"),)

    kind: Literal["court.judgment"] = "court.judgment"
    decision_type: DecisionType = Field(description="判决 / 裁定 / 调解")
    decided_on: LenientDate = Field(description="裁判日期")
    effective_on: LenientDate | None = Field(default=None, description="生效日期")
    outcome: Prose = Field(description="裁判结果 (operative part)")
    compensation_yuan: Money | None = Field(default=None, description="判赔金额 (元)")
    restoration_cost_yuan: Money | None = Field(default=None, description="生态修复 / 治理费用 (元)")
    appealed: bool | None = Field(default=None, description="是否上诉")


class CourtExecution(_CourtRecord):
    """执行: enforcement of a decision (the case number is the execution case's, e.g. ……执12号)."""

    KIND: ClassVar[str] = "court.execution"
    DOMAIN: ClassVar[str] = "court"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "执行案件信息"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "case_number": "（2018）浙0824执123号",
        "court_name": "开化县人民法院",
        "basis_case_number": "（2018）浙0824民初123号",
        "filed_on": "2018-08-01",
        "status": "执行完毕",
        "amount_due_yuan": "125000",
        "amount_executed_yuan": "125000",
    }
    ORDERED_FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (("closed_on", "filed_on", "warning"),)

    kind: Literal["court.execution"] = "court.execution"
    basis_case_number: CaseNumber | None = Field(default=None, description="执行依据的案号")
    filed_on: LenientDate = Field(description="执行立案日期")
    status: ExecutionStatus = Field(description="执行状态")
    amount_due_yuan: Money | None = Field(default=None, description="申请执行标的 (元)")
    amount_executed_yuan: Money | None = Field(default=None, description="已执行到位金额 (元)")
    closed_on: LenientDate | None = Field(default=None, description="结案日期")
