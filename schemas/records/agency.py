"""What agencies send back about a procuratorial recommendation (检察建议).

The reply (回复函) must come within two months of receipt — 15 days in urgent cases —
with supporting evidence; where rectification cannot finish in time, with a concrete
plan and a promised date. The delivery receipt (送达回证) fixes the day the period
starts. Both dates matter to the deadline clock, and the posted date is kept apart
from the reply date because time in the post is not counted.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator
from pydantic_core import PydanticCustomError

from schemas.records.base import RecordEnvelope
from schemas.records.types import (
    DocNumber,
    LenientDate,
    Name,
    PersonalName,
    Prose,
    Sha256,
    ShortText,
    coded_enum,
    personal,
)

__all__ = ["AgencyReceipt", "AgencyReply", "Attachment"]

DeliveryMethod = coded_enum(
    {
        "direct": "直接送达",
        "post": "邮寄送达",
        "electronic": "电子送达",
        "public_announcement": "宣告送达",
        "lodged": "留置送达",
    },
    "送达方式",
)


class Attachment(BaseModel):
    """A piece of supporting evidence (证明材料); the hash ties the record to the stored file."""

    model_config = ConfigDict(extra="forbid")

    file_name: str = Field(min_length=1, max_length=255, description="文件名")
    sha256: Sha256 = Field(description="SHA-256 (hex) of the file")
    size_bytes: int | None = Field(default=None, ge=0, description="文件大小")
    media_type: str | None = Field(default=None, max_length=127, description="MIME type")


class AgencyReply(RecordEnvelope):
    """回复函: an agency's written reply to a recommendation."""

    KIND: ClassVar[str] = "agency.reply"
    DOMAIN: ClassVar[str] = "agency"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "检察建议回复函"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "recommendation_number": "衢检行公建〔2018〕3号",
        "replying_agency": "衢州市生态环境局",
        "reply_date": "2018-05-20",
        "posted_date": "2018-05-21",
        "measures_taken": "已责令停产整治。",
        "rectification_plan": "分三期完成整改。",
        "promised_date": "2018-12-31",
        "attachments": [
            {"file_name": "整改照片.pdf", "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
        ],
    }
    ORDERED_FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("posted_date", "reply_date", "warning"),
        ("promised_date", "reply_date", "warning"),
    )

    kind: Literal["agency.reply"] = "agency.reply"
    recommendation_number: DocNumber = Field(description="检察建议文号, e.g. 衢检行公建〔2018〕3号")
    replying_agency: Name = Field(description="回复单位")
    reply_date: LenientDate = Field(description="回复函落款日期")
    posted_date: LenientDate | None = Field(default=None, description="交邮日期 (time in the post is not counted)")
    measures_taken: Prose = Field(description="已采取的整改措施")
    rectification_plan: Prose | None = Field(default=None, description="整改方案 (when rectification is not finished)")
    promised_date: LenientDate | None = Field(default=None, description="承诺整改完成日期")
    attachments: list[Attachment] = Field(default_factory=list, description="证明材料")
    contact_person: PersonalName | None = personal("联系人 (a natural person)", default=None)
    contact_phone: ShortText | None = personal("联系电话 (a person's phone number)", default=None)

    @computed_field(description="附有证明材料: derived from attachments, never sent")  # type: ignore[prop-decorator]
    @property
    def has_evidence(self) -> bool:
        return bool(self.attachments)

    @model_validator(mode="after")
    def _plan_has_a_date(self) -> Self:
        """A rectification plan without a promised date gives the follow-up clock nothing to run on."""
        if self.rectification_plan is not None and self.promised_date is None:
            raise PydanticCustomError(
                "reply.promised_date_required",
                "{zh} / {en}",
                {
                    "zh": "有整改方案时必须填写承诺整改完成日期",
                    "en": "promised_date is required with a rectification_plan",
                },
            )
        return self


class AgencyReceipt(RecordEnvelope):
    """送达回证: proof that (and when) an agency received a recommendation."""

    KIND: ClassVar[str] = "agency.receipt"
    DOMAIN: ClassVar[str] = "agency"
    SCHEMA_VERSION: ClassVar[str] = "1.0.0"
    TITLE_ZH: ClassVar[str] = "送达回证"
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "recommendation_number": "衢检行公建[2018]3号",
        "receiving_agency": "衢州市生态环境局",
        "received_date": "2018-03-22",
        "receiver": "王五",
        "delivery_method": "宣告送达",
    }

    kind: Literal["agency.receipt"] = "agency.receipt"
    recommendation_number: DocNumber = Field(description="检察建议文号")
    receiving_agency: Name = Field(description="受送达单位")
    received_date: LenientDate = Field(description="签收日期 (the reply period starts the day after)")
    receiver: PersonalName = personal("签收人 (a natural person)")
    delivery_method: DeliveryMethod | None = Field(default=None, description="送达方式")
