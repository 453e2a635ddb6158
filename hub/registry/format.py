"""The case-registry export format (one JSON object per line), as a pydantic contract.

The procuratorate's case system exports exactly this shape; the hub accepts it as is
and may store more. Unknown keys are ignored with a warning rather than rejected, so a
newer export does not lose cases; contradictions (a reply before receipt) reject the line.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Domain = Literal["ecology", "food_drug", "state_property", "land_transfer", "heroes", "other"]
Procedure = Literal[
    "admin_pre_litigation", "admin_litigation", "civil", "criminal_incidental_civil", "damage_consultation"
]
PartyKind = Literal["company", "person", "agency", "organisation", "government"]

DOMAINS: tuple[str, ...] = Domain.__args__  # type: ignore[attr-defined]
PROCEDURES: tuple[str, ...] = Procedure.__args__  # type: ignore[attr-defined]

DOMAIN_LABELS = {
    "ecology": "生态环境和资源保护",
    "food_drug": "食品药品安全",
    "state_property": "国有财产保护",
    "land_transfer": "国有土地使用权出让",
    "heroes": "英烈权益保护",
    "other": "其他（新领域）",
}
PROCEDURE_LABELS = {
    "admin_pre_litigation": "行政公益诉讼诉前程序（检察建议）",
    "admin_litigation": "行政公益诉讼",
    "civil": "民事公益诉讼",
    "criminal_incidental_civil": "刑事附带民事公益诉讼",
    "damage_consultation": "生态环境损害赔偿磋商",
}

_REGION = re.compile(r"^\d{6}$")

#: Case numbers (案件编号) and recommendation numbers (检察建议文号): letters, digits, Chinese characters and the
#: brackets and separators document numbers use (``KC-2018-001``, ``柯检行公建〔2018〕3号``), starting with a letter,
#: digit or Chinese character, at most 64 characters. No slash, dot-dot, quote, brace or space: these ids end up
#: in file names, URLs, report cells and templates, where ``../../x`` or ``{{7*7}}`` would mean something.
ID_PATTERN = (
    r"^[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff][0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\-_.·#（）()〔〕\[\]【】［］]{0,63}$"
)
_ID = re.compile(ID_PATTERN)

#: Outcome figures are stored as NUMERIC(14, 2) and NUMERIC(16, 2) (``hub.store.models.Case``): anything at or
#: above 10^12 (10^14 for money) cannot be stored exactly on PostgreSQL and would corrupt report totals on SQLite.
MAX_QUANTITY = Decimal(10) ** 12
MAX_MONEY_YUAN = Decimal(10) ** 14

# Suffixes of division names (GB/T 2260) that exports often leave out: 柯城区 is also written 柯城.
_DIVISION_SUFFIXES = ("自治县", "自治州", "自治旗", "新区", "林区", "特区", "区", "县", "市", "旗", "州", "盟", "地区")


def _check_id(value: str, what_zh: str, what_en: str) -> str:
    if not _ID.match(value) or ".." in value:
        raise ValueError(
            f"{what_zh}格式无效：只能含字母、数字、汉字和 - _ . · # 及括号，首字符为字母、数字或汉字，最多64个字符"
            f" / {what_en} does not match the documented pattern: letters, digits, Chinese characters,"
            " - _ . · # and brackets, starting with a letter, digit or Chinese character, at most 64 characters"
        )
    return value


def _bare(name: str) -> str:
    for suffix in _DIVISION_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def district_matches(district: str, region_code: str) -> bool:
    """Whether ``district`` names the division ``region_code`` stands for (or one enclosing it).

    Accepted: the exact name (``柯城区``), the name without its suffix (``柯城``), and the name preceded by the
    names of enclosing divisions (``衢州市柯城区``, ``浙江省衢州市柯城区``).
    """
    from schemas.identifiers import parent_codes, region_name

    names = [region_name(region_code)] + [region_name(c) for c in parent_codes(region_code)]
    own = names[0]
    text = district.replace(" ", "").replace("\u3000", "")
    if text in (own, _bare(own)):
        return True
    rest = text
    for parent in reversed(names[1:]):  # strip 浙江省 then 衢州市 from the front
        for form in (parent, _bare(parent)):
            if rest.startswith(form) and len(rest) > len(form):
                rest = rest[len(form) :]
                break
    return rest in (own, _bare(own))


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class PartyIn(_Lenient):
    name: str = Field(min_length=1, max_length=300)  # lengths: the store's columns (hub.store.models)
    kind: PartyKind
    credit_code: str | None = Field(default=None, max_length=18)
    id_number: str | None = None
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = None


class ReplyIn(_Lenient):
    replied_on: date
    posted_on: date | None = None
    has_evidence: bool = False
    rectification_due: date | None = None
    rectified: bool | None = None
    rectified_on: date | None = None
    rebound: bool | None = None
    #: full | partial | none — how far the agency reports rectification; absent: derived from ``rectified``
    #: (true → full, false → none). A timely reply with partial or no rectification keeps a follow-up open.
    rectification_status: Literal["full", "partial", "none"] | None = None

    @model_validator(mode="after")
    def _posted_not_after_received(self) -> ReplyIn:
        if self.posted_on is not None and self.posted_on > self.replied_on:
            raise ValueError("posted_on 晚于 replied_on（邮寄日不能晚于收到日）/ posted_on is after replied_on")
        if (
            self.rectification_status is not None
            and self.rectified is not None
            and ((self.rectification_status == "full") != self.rectified)
        ):
            raise ValueError(
                "rectification_status 与 rectified 矛盾（full 对应 rectified=true）/ rectification_status contradicts "
                "rectified (full ⇔ rectified: true)"
            )
        return self


class RecommendationIn(_Lenient):
    rec_id: str = Field(min_length=1, max_length=64)
    agency: str = Field(min_length=1, max_length=200)
    issued_on: date
    received_on: date | None = None
    urgent: bool = False
    publicly_delivered: bool | None = None
    copied_to: list[str] = Field(default_factory=list)
    replies: list[ReplyIn] = Field(default_factory=list)
    withdrawn_on: date | None = None  # 撤回之日: the recommendation's clocks end ``withdrawn`` that day

    @field_validator("rec_id")
    @classmethod
    def _rec_id(cls, value: str) -> str:
        return _check_id(value, "检察建议编号", "rec_id")

    @model_validator(mode="after")
    def _dates_in_order(self) -> RecommendationIn:
        if self.received_on is not None and self.received_on < self.issued_on:
            raise ValueError("received_on 早于 issued_on / received_on is before issued_on")
        if self.withdrawn_on is not None and self.withdrawn_on < self.issued_on:
            raise ValueError("withdrawn_on 早于 issued_on（撤回日不能早于制发日）/ withdrawn_on is before issued_on")
        for i, reply in enumerate(self.replies):
            if self.received_on is not None and reply.replied_on < self.received_on:
                raise ValueError(
                    f"replies[{i}].replied_on 早于送达日期 received_on / replies[{i}].replied_on is before received_on"
                )
            if self.received_on is None:
                raise ValueError(f"有回复但无送达日期 received_on / replies[{i}] present but received_on is missing")
        return self


class OutcomesIn(_Lenient):
    land_restored_mu: Decimal = Field(default=Decimal(0), ge=0, lt=MAX_QUANTITY, allow_inf_nan=False)
    waste_removed_t: Decimal = Field(default=Decimal(0), ge=0, lt=MAX_QUANTITY, allow_inf_nan=False)
    money_recovered_yuan: Decimal = Field(default=Decimal(0), ge=0, lt=MAX_MONEY_YUAN, allow_inf_nan=False)


class CaseLine(_Lenient):
    case_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=500)  # lengths: the store's columns, refused alike on both engines
    domain: Domain
    procedure: Procedure
    region_code: str
    district: str = Field(min_length=1, max_length=64)
    opened_on: date
    status: str = Field(min_length=1, max_length=32)
    procurator: str | None = None
    parties: list[PartyIn] = Field(default_factory=list)
    recommendations: list[RecommendationIn] = Field(default_factory=list)
    outcomes: OutcomesIn = Field(default_factory=OutcomesIn)
    litigation_status: str | None = Field(default=None, max_length=40)
    closed_on: date | None = None  # 办结日期: closing ends running clocks that day, keeping an earlier breach

    @field_validator("case_id")
    @classmethod
    def _case_id(cls, value: str) -> str:
        return _check_id(value, "案件编号", "case_id")

    @field_validator("region_code")
    @classmethod
    def _region(cls, value: str) -> str:
        from schemas.identifiers.region import known_region_codes

        if not _REGION.match(value):
            raise ValueError("行政区划代码须为6位数字 / region_code must be 6 digits")
        if value not in known_region_codes():
            raise ValueError("行政区划代码不在 GB/T 2260 代码表中 / region_code is not in the GB/T 2260 table")
        return value

    @field_validator("district")
    @classmethod
    def _district_is_the_region(cls, value: str, info: ValidationInfo) -> str:
        code = info.data.get("region_code")  # declared before district: validated first, absent if invalid
        if code is not None and not district_matches(value, code):
            raise ValueError(
                "与行政区划代码 region_code 所指地区不符（GB/T 2260）"
                " / does not name the division of region_code (GB/T 2260)"
            )
        return value

    @model_validator(mode="after")
    def _recommendations_after_opening(self) -> CaseLine:
        if self.closed_on is not None and self.closed_on < self.opened_on:
            raise ValueError("closed_on 早于立案日期 opened_on / closed_on is before opened_on")
        seen: set[str] = set()
        for i, rec in enumerate(self.recommendations):
            if rec.issued_on < self.opened_on:
                raise ValueError(
                    f"recommendations[{i}].issued_on 早于立案日期 opened_on / issued before the case was opened"
                )
            if rec.rec_id in seen:
                raise ValueError(f"recommendations[{i}].rec_id 重复 / duplicate rec_id {rec.rec_id!r}")
            seen.add(rec.rec_id)
        return self
