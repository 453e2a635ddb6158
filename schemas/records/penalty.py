"""Fields shared by administrative penalty decisions (行政处罚决定书) of any agency.

Environmental and market-regulation penalties are the same document type under
the Administrative Penalty Law, so they share one shape; each agency's model adds
only what is specific to it. Penalties are where procurators find agencies that
fined but did not stop the harm, so party identity and amounts must be exact.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from schemas.records.base import RecordEnvelope
from schemas.records.types import (
    Citation,
    CreditCode,
    DocNumber,
    IdNumber,
    LenientDate,
    Money,
    PersonalName,
    Prose,
    RegionCode,
    coded_enum,
    personal,
)

__all__ = ["PartyType", "PenaltyDecision"]

PartyType = coded_enum(
    {"organisation": "单位", "individual_business": "个体工商户", "natural_person": "自然人"},
    "who was penalised: an organisation, an individual business, or a natural person",
)


class PenaltyDecision(RecordEnvelope):
    """An administrative penalty decision; abstract — see the environment and market models."""

    doc_number: DocNumber = Field(description="决定书文号, e.g. 江环罚〔2018〕12号")
    party_type: PartyType = Field(default="organisation", description="当事人类型")
    party_name: PersonalName = personal("当事人名称 (a natural person's name when party_type is natural_person)")
    credit_code: CreditCode | None = Field(
        default=None, description="当事人统一社会信用代码; required unless the party is a natural person"
    )
    party_id_number: IdNumber | None = personal("当事人身份证号 (natural persons only)", default=None)
    violation_facts: Prose = Field(description="违法事实")
    legal_basis: Citation = Field(description="处罚依据 (statutes and articles)")
    decision_date: LenientDate = Field(description="决定日期")
    fine_amount_yuan: Money = Field(description="罚款金额 (元)")
    region_code: RegionCode = Field(description="行政区划代码 of the place of the violation")

    @model_validator(mode="after")
    def _organisations_have_credit_codes(self) -> Self:
        """A unit or individual business is identified by its credit code; only persons lack one."""
        if self.credit_code is None and self.party_type != "natural_person":
            raise PydanticCustomError(
                "penalty.credit_code_required",
                "{zh} / {en}",
                {
                    "zh": "当事人为单位或个体工商户时必须填写统一社会信用代码",
                    "en": "credit_code is required unless the party is a natural person",
                },
            )
        return self
