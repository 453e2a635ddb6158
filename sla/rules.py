"""Legal rules as data: each rule carries its source, its jurisdiction and its effective dates.

Why data and not ``if issued_on < …`` in code: which rule binds a recommendation depends on **where and when**.
The 2015 pilot measures bound only the 13 pilot provinces from 2015-07-01 to 2017-06-30; between 2017-07-01 and
2018-03-01 no national text fixed a reply period; 法释〔2018〕6号 Art. 21 binds from 2018-03-02; a local rule (the
Lincang people's congress decision of 2020-08-30, §三(五): an urgent reply must carry supporting evidence) binds
only inside its region (5309xx), from its own date. An audit must be able to read, for each clock, exactly which
rule was applied and why — so each clock's explanation names the rule (document, article, jurisdiction, dates)
and notices cite it (:meth:`Rule.citation`).

The shipped rules are ``sla/data/rules.yaml``; a deployment adds its own local rules in the escalation policy file
(``local_rules:``, same shape, validated here; a local rule must name its region). A case's region code and the
recommendation's **receipt** date (送达之日) select the rules (:meth:`RuleSet.select`): among the rules of a kind
in force on that date whose jurisdiction is a prefix of the region code, the most local wins (longest prefix),
then the most recent. Duties that add to a period (the evidence requirement) apply wherever a rule of that kind
is in force (:meth:`RuleSet.all_in_force`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sla.periods import Period, PeriodError

__all__ = [
    "RULE_KINDS",
    "SHIPPED_RULES",
    "Rule",
    "RuleError",
    "RuleSet",
    "RuleSource",
    "load_rules",
    "shipped_rules",
]

SHIPPED_RULES: Path = Path(__file__).with_name("data") / "rules.yaml"

RuleKind = Literal[
    "reply_period",  # the agency's written reply to a recommendation, from receipt
    "urgent_reply_period",  # the same where the harm keeps spreading or in other urgent cases
    "urgent_reply_evidence",  # an urgent reply must carry supporting evidence (a local duty)
    "announcement_period",  # civil PIL announcement before the procuratorate sues
    "follow_up_investigation",  # the procuratorate follows up after the reply (跟进调查)
    "not_performing",  # when an agency that replied still counts as not performing its duty
    "lawsuit",  # the procuratorate sues an agency that still does not perform
]
RULE_KINDS: tuple[str, ...] = RuleKind.__args__  # type: ignore[attr-defined]
PERIOD_KINDS = ("reply_period", "urgent_reply_period", "announcement_period")

_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_PREFIX = re.compile(r"^\d{0,6}$")


class RuleError(ValueError):
    """A rules file (or the policy's local rules) is invalid: no deadline is computed on a bad rule."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleSource(_Strict):
    """Where a rule comes from. ``article_verified: false`` says the article number was not checked against the
    text: notices then cite the document and say so rather than an article number that may be wrong."""

    document: str = Field(min_length=2, max_length=200, description="文件全称 / the document's full title")
    short: str | None = Field(default=None, max_length=80, description="简称或文号 / short name or number")
    article: str | None = Field(default=None, max_length=60, description="条款，如 第二十一条第二款")
    article_verified: bool = True
    text: str | None = Field(default=None, max_length=2000, description="条文原文 / the provision's own words")
    text_checked_against: str | None = Field(
        default=None,
        max_length=300,
        description="条文文字核对所依据的公开文本（网址）；为空表示引文未经核对 / where the quoted words were compared "
        "with a published text (URL); empty: the quotation is not verified",
    )


class Rule(_Strict):
    """One rule: what it fixes (kind, period), its source, where (region prefixes) and when it binds."""

    id: str
    kind: RuleKind
    period: str | None = None
    jurisdiction: tuple[str, ...] = Field(min_length=1, description='区划代码前缀，"" 为全国 / prefixes, "" national')
    jurisdiction_name: str = Field(min_length=1, max_length=100)
    effective_from: dt.date
    effective_to: dt.date | None = None  # inclusive; None: still in force
    source: RuleSource
    note: str | None = Field(default=None, max_length=1000)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("id 须为小写英文标识 / id must be a lower-case slug (a-z, 0-9, _), at most 60 characters")
        return value

    @field_validator("jurisdiction", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str | int) else value

    @field_validator("jurisdiction")
    @classmethod
    def _prefixes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for prefix in value:
            if not _PREFIX.match(str(prefix)):
                raise ValueError(
                    f'管辖区划前缀 {prefix!r} 须为0–6位数字（GB/T 2260；"" 为全国）/ jurisdiction prefix {prefix!r} '
                    'must be 0-6 digits of a division code ("" = national)'
                )
        return tuple(str(p) for p in value)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(Period.parse(value))
        except PeriodError as exc:
            raise ValueError(f"期间无效 / invalid period: {exc}") from None

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.kind in PERIOD_KINDS and self.period is None:
            raise ValueError(f"{self.kind} 规则须有 period（如 2m、15d）/ a {self.kind} rule needs a period (2m, 15d)")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to 早于 effective_from / effective_to is before effective_from")
        return self

    @property
    def national(self) -> bool:
        return "" in self.jurisdiction

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def match_length(self, region_code: str) -> int | None:
        """Length of the longest of this rule's prefixes that ``region_code`` starts with (None: not here)."""
        lengths = [len(p) for p in self.jurisdiction if region_code.startswith(p)]
        return max(lengths) if lengths else None

    @property
    def period_value(self) -> Period | None:
        return Period.parse(self.period) if self.period else None

    def citation(self) -> str:
        """How a notice cites the rule: 《document》article — or the document with the article marked unverified."""
        doc = f"《{self.source.document}》"
        if self.source.short:
            doc += f"（{self.source.short}）"
        if self.source.article and self.source.article_verified:
            return doc + self.source.article
        if self.source.article:
            return doc + f"（条款序号“{self.source.article}”未经核对原文 / article number not verified）"
        return doc

    def as_explanation(self) -> dict[str, Any]:
        """What a clock's explanation records about the rule applied (an audit reads this)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "period": self.period,
            "citation": self.citation(),
            "jurisdiction": list(self.jurisdiction),
            "jurisdiction_name": self.jurisdiction_name,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "article_verified": self.source.article_verified,
            "text_checked_against": self.source.text_checked_against,
        }


class _RulesFile(_Strict):
    version: Literal[1] = 1
    rules: tuple[Rule, ...] = Field(min_length=1)


class RuleSet:
    """The rules in force somewhere on some day. Immutable; :attr:`digest` is part of every clock's inputs."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        ids = [r.id for r in rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise RuleError(f"规则 id 重复 / duplicate rule ids: {duplicates}")
        self.rules = rules

    def with_local(self, local: tuple[Rule, ...]) -> RuleSet:
        """These rules plus a deployment's local rules (ids must not clash)."""
        return RuleSet(self.rules + tuple(local)) if local else self

    @cached_property
    def digest(self) -> str:
        body = json.dumps([r.model_dump(mode="json") for r in self.rules], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()

    def all_in_force(self, kind: str, region_code: str, on: dt.date) -> list[Rule]:
        """Every rule of ``kind`` binding ``region_code`` on ``on``, most local first."""
        found = [
            (n, r)
            for r in self.rules
            if r.kind == kind and r.in_force(on) and (n := r.match_length(region_code)) is not None
        ]
        found.sort(key=lambda item: (-item[0], -item[1].effective_from.toordinal(), item[1].id))
        return [r for _n, r in found]

    def select(self, kind: str, region_code: str, on: dt.date) -> Rule | None:
        """The rule of ``kind`` that binds ``region_code`` on ``on``: the most local, then the most recent."""
        found = self.all_in_force(kind, region_code, on)
        return found[0] if found else None

    def by_id(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def _validation_message(where: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        lines.append(f"  {where}: {loc}: {err['msg']}")
    return "\n".join(lines)


def parse_rules(data: Any, *, where: str, local: bool = False) -> tuple[Rule, ...]:
    """Validate a list of rules (``local``: a deployment's own — each must name a region, never national)."""
    try:
        rules = _RulesFile.model_validate({"rules": data}).rules if data else ()
    except ValidationError as exc:
        raise RuleError(f"规则格式错误 / invalid rules in {where}:\n{_validation_message(where, exc)}") from None
    if local:
        for i, rule in enumerate(rules):
            if rule.national:
                raise RuleError(
                    f"规则格式错误 / invalid rules in {where}: local_rules[{i}] ({rule.id}) 地方规则须指明管辖区划，"
                    '不能适用于全国 / a local rule must name its region (a division-code prefix), never "" (national)'
                )
    return rules


def load_rules(path: Path | str | None = None) -> RuleSet:
    """Read and validate a rules file (default: the shipped ``sla/data/rules.yaml``)."""
    path = Path(path) if path is not None else SHIPPED_RULES
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RuleError(f"规则文件不存在 / rules file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise RuleError(f"规则文件不是有效的 YAML / invalid YAML in {path}: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("version") != 1:
        raise RuleError(f"规则文件须有 version: 1 / {path}: expected a mapping with version: 1")
    return RuleSet(parse_rules(raw.get("rules"), where=str(path)))


_SHIPPED: RuleSet | None = None


def shipped_rules() -> RuleSet:
    """The shipped rules, read once."""
    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = load_rules()
    return _SHIPPED
