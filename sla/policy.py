"""The escalation policy: who is told what, how long before or after a deadline (validated YAML config).

Why a config file and not code: the ladder is an institutional agreement (临沧市人大常委会决定 §三(二)(三), 北京市关于加强检察公益诉讼工作的意见 §六:
superior authority, government rule-of-law assessment, people's congress, supervisory commission) that
differs by jurisdiction and sometimes by domain, and changes without a release. The shipped default is
``sla/data/escalation.yaml`` (documented there); ``PILHUB_SLA_POLICY`` names an operator file used instead.

Shape:

* ``ladders``: named ladders of **levels**; each level has an ``offset_days`` from the deadline and recipients
  given as symbolic **roles** (:data:`ROLES`), resolved through the agency registry at sweep time;
* ``kinds``: which ladder each clock kind uses (reply, rectification, follow_up, announcement);
* ``jurisdictions``: overrides per administrative-division prefix (GB/T 2260: ``"33"`` Zhejiang, ``"3308"``
  Quzhou, ``"330802"`` Kecheng), each with per-domain overrides; the longest matching prefix wins;
* ``procuratorates``: where the case procurator and the department head are reached, per region prefix
  (the registry holds the procurator's name only encrypted and no address, so this is configuration);
* ``operator``: who receives a notice whose recipient cannot be resolved, so nothing is dropped silently.

Offsets (one rule for every ladder, also implemented in SQL by ``sla.sweep``): ``offset_days ≤ 0`` counts
from the **official** deadline (a reminder may come early, never late); ``offset_days > 0`` counts from
``breach_after``, the later of the two readings of make-up working days, so nobody is escalated a day early
(DOMAIN.md, "Statutory periods"). ``+1`` is therefore the first day of breach.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hub.audit import digest
from sla.periods import Period, PeriodError
from sla.rules import Rule, RuleError, RuleSet, parse_rules, shipped_rules

__all__ = [
    "AGENCY_ROLES",
    "CLOCK_KINDS",
    "ENV_POLICY_FILE",
    "PROCURATOR_ROLES",
    "ROLES",
    "SHIPPED_POLICY",
    "ContactSpec",
    "EscalationPolicy",
    "LevelSpec",
    "PolicyError",
    "RecipientSpec",
    "ResolvedPolicy",
    "load_policy",
]

SHIPPED_POLICY: Path = Path(__file__).with_name("data") / "escalation.yaml"
ENV_POLICY_FILE = "PILHUB_SLA_POLICY"

ClockKind = Literal["reply", "rectification", "follow_up", "announcement", "lawsuit"]
CLOCK_KINDS: tuple[str, ...] = ClockKind.__args__  # type: ignore[attr-defined]
#: Kinds a policy file may leave out (added later; without a ladder the clock is listed but nobody is told).
OPTIONAL_KINDS: tuple[str, ...] = ("lawsuit",)
Channel = Literal["inbox", "email", "webhook"]
LevelState = Literal["due_soon", "breached", "escalated"]

#: Roles resolved through the agency registry (Agency rows), from the recommendation's addressee.
AGENCY_ROLES: tuple[str, ...] = (
    "agency_contact",  # the addressee agency's own contacts
    "superior_authority",  # Agency.superior (上级主管机关)
    "government_rule_of_law_office",  # same-region kind rule_of_law_office (司法局/法治办), else the government
    "people_congress",  # same-region kind congress (人大常委会)
    "supervisory_commission",  # same-region kind supervisory_commission (监察委员会)
)
#: Roles resolved through ``procuratorates`` (the procuratorate's own people). ``lawsuit_proposal`` reaches
#: the case procurator with the proposal to consider an administrative lawsuit (行政诉讼法 Art. 25(4)).
#: ``supervisory_proposal`` reaches the case procurator with the proposal to refer the matter to the supervisory
#: commission (监察委员会): only clues of officials' misconduct go there, by a procurator's decision
#: (``pilhub review referral confirm``), never automatically.
PROCURATOR_ROLES: tuple[str, ...] = ("case_procurator", "department_head", "lawsuit_proposal", "supervisory_proposal")
ROLES: tuple[str, ...] = AGENCY_ROLES + PROCURATOR_ROLES
#: Where a procurator role's messages are routed (``lawsuit_proposal`` goes to the case procurator).
ROUTE_ROLE = {
    "case_procurator": "case_procurator",
    "department_head": "department_head",
    "lawsuit_proposal": "case_procurator",
    "supervisory_proposal": "case_procurator",
}

_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_PREFIX = re.compile(r"^\d{0,6}$")


class PolicyError(ValueError):
    """The escalation policy file is missing or invalid; refusing it beats escalating with bad rules."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContactSpec(_Strict):
    """An address of the procuratorate or the operator; ``{case_id}`` and ``{region_code}`` are filled in."""

    channel: Channel
    address: str = Field(min_length=1, max_length=250)
    label: str | None = None


class RecipientSpec(_Strict):
    """One recipient of a level: a role, optionally with its own template (e.g. the lawsuit proposal)."""

    role: Literal[ROLES]  # type: ignore[valid-type]
    template: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"role": value} if isinstance(value, str) else value


class LevelSpec(_Strict):
    """One rung of a ladder. ``offset_days`` ≤ 0 counts from the official deadline, > 0 from breach_after."""

    level: int = Field(ge=1, le=20)
    name: str
    label: str = Field(min_length=1, max_length=200, description="中文名称 / Chinese name, shown in subjects")
    offset_days: int = Field(ge=-366, le=3660)
    short_offset_days: int | None = Field(default=None, ge=-366, le=3660, description="for clocks of ≤ 15 days")
    until_breach: bool | None = None  # default: True for a reminder (offset ≤ 0), so it never fires late
    state: LevelState | None = None  # the clock state while this is the highest level due
    template: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    recipients: tuple[RecipientSpec, ...] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("name 须为小写英文标识（≤40字符）/ name must be a lower-case slug of ≤ 40 characters")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> LevelSpec:
        short = self.short_offset_days
        if short is not None and (short <= 0) != (self.offset_days <= 0):
            raise ValueError("short_offset_days 须与 offset_days 同在期限之前或之后 / must be on the same side")
        return self

    def offset_for(self, short_period: bool) -> int:
        """The offset for a clock; 15-day clocks take ``short_offset_days`` (3 days instead of 7)."""
        return self.short_offset_days if short_period and self.short_offset_days is not None else self.offset_days

    @property
    def expires_at_breach(self) -> bool:
        """A reminder is pointless once the deadline has passed (a breach alert takes over)."""
        return self.until_breach if self.until_breach is not None else self.offset_days <= 0

    @property
    def marks(self) -> str:
        """The clock state this level stands for (default: reminder → due_soon, first after → breached)."""
        if self.state is not None:
            return self.state
        return "due_soon" if self.offset_days <= 0 else "escalated"


class Ladder(_Strict):
    levels: tuple[LevelSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Ladder:
        numbers = [lv.level for lv in self.levels]
        if numbers != sorted(set(numbers)):
            raise ValueError("levels 的 level 须唯一且递增 / level numbers must be unique and increasing")
        offsets = [lv.offset_days for lv in self.levels]
        if offsets != sorted(offsets):
            raise ValueError("offset_days 须随 level 递增 / offsets must not decrease with the level")
        first_after = next((lv for lv in self.levels if lv.offset_days > 0), None)
        if first_after is not None and first_after.state is None:
            # The first level after the deadline marks the breach itself; later ones are escalations.
            fixed = first_after.model_copy(update={"state": "breached"})
            object.__setattr__(self, "levels", tuple(fixed if lv is first_after else lv for lv in self.levels))
        return self


class _Override(_Strict):
    due_soon_days: int | None = Field(default=None, ge=0, le=60)
    short_due_soon_days: int | None = Field(default=None, ge=0, le=60)
    ladders: dict[str, Ladder] = Field(default_factory=dict)
    kinds: dict[ClockKind, str] = Field(default_factory=dict)


class DomainOverride(_Override):
    pass


class Jurisdiction(_Override):
    region_prefix: str
    name: str = ""
    domains: dict[str, DomainOverride] = Field(default_factory=dict)

    @field_validator("region_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _PREFIX.match(value):
            raise ValueError("region_prefix 须为0–6位数字 / region_prefix must be 0–6 digits")
        return value


class CopiedTo(_Strict):
    """Bodies a recommendation was copied to (its ``copied_to``) receive a copy of these levels' notices.

    A body of kind ``supervisory_commission`` never receives one automatically (a proposal a procurator confirms
    is the only way a notice reaches it); a name not in the agency registry goes to the operator, named.
    """

    levels: tuple[int, ...] = ()
    template: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")


class Procuratorate(_Strict):
    region_prefix: str
    name: str = ""
    case_procurator: tuple[ContactSpec, ...] = ()
    department_head: tuple[ContactSpec, ...] = ()

    @field_validator("region_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _PREFIX.match(value):
            raise ValueError("region_prefix 须为0–6位数字 / region_prefix must be 0–6 digits")
        return value


@dataclass(frozen=True)
class ResolvedPolicy:
    """The policy that applies to one (region, domain): a key (for SQL), due-soon windows, a ladder per kind."""

    key: str
    due_soon_days: int
    short_due_soon_days: int
    ladders: dict[str, tuple[LevelSpec, ...]]  # clock kind -> levels

    def levels(self, kind: str) -> tuple[LevelSpec, ...]:
        return self.ladders.get(kind, ())

    def due_soon_window(self, short_period: bool) -> int:
        return self.short_due_soon_days if short_period else self.due_soon_days


class EscalationPolicy(_Strict):
    """The whole policy file. :meth:`resolve` gives the rules for a case's region and domain."""

    version: Literal[1] = 1
    due_soon_days: int = Field(default=7, ge=0, le=60)
    short_due_soon_days: int = Field(default=3, ge=0, le=60)
    follow_up_period: str = "6m"
    ladders: dict[str, Ladder]
    kinds: dict[ClockKind, str]
    jurisdictions: tuple[Jurisdiction, ...] = ()
    procuratorates: tuple[Procuratorate, ...] = ()
    operator: tuple[ContactSpec, ...] = Field(min_length=1)
    #: A deployment's own local rules (``sla.rules.Rule``: source, jurisdiction, dates), added to the shipped ones.
    local_rules: tuple[dict[str, Any], ...] = ()
    #: What the bodies a recommendation was copied to (抄送, 临沧市人大常委会决定 §三(四)) receive: these levels' notices.
    copied_to: CopiedTo = Field(default_factory=lambda: CopiedTo())
    #: The procuratorate's own supervision period for deciding to sue once an agency is found not performing
    #: (no statute fixes one: an internal deadline, stated as such in the explanation).
    lawsuit_decision_period: str = "1m"

    @field_validator("follow_up_period", "lawsuit_decision_period")
    @classmethod
    def _period(cls, value: str) -> str:
        try:
            return str(Period.parse(value))
        except PeriodError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _references(self) -> EscalationPolicy:
        missing_kinds = set(CLOCK_KINDS) - set(self.kinds) - set(OPTIONAL_KINDS)
        if missing_kinds:
            raise ValueError(f"kinds 缺少 / kinds lacks: {sorted(missing_kinds)}")
        scopes: list[tuple[str, _Override]] = [("(top)", self)]  # type: ignore[list-item]
        for j in self.jurisdictions:
            scopes.append((f"jurisdictions[{j.region_prefix}]", j))
            scopes.extend((f"jurisdictions[{j.region_prefix}].domains[{d}]", o) for d, o in j.domains.items())
        known = set(self.ladders)
        for where, scope in scopes:
            known_here = known | set(scope.ladders)
            for kind, ladder in scope.kinds.items():
                if ladder not in known_here:
                    raise ValueError(f"{where}: kinds.{kind} 引用了不存在的阶梯 / unknown ladder {ladder!r}")
        for name, ladder in self._all_ladders():
            for lv in ladder.levels:
                for r in lv.recipients:
                    if name in self._ladders_for_kind("announcement") and r.role in AGENCY_ROLES:
                        raise ValueError(
                            f"ladder {name}: 公告期间无机关收件人 / the announcement clock has no agency, so "
                            f"role {r.role} cannot be used there"
                        )
        for name, ladder in self._all_ladders():
            for lv in ladder.levels:
                if any(r.role == "supervisory_commission" for r in lv.recipients):
                    raise ValueError(
                        f"ladder {name} level {lv.level}: 监察委员会只能在承办检察官确认移送建议后通知，不能自动发送；"
                        "请改用 supervisory_proposal / the supervisory commission is told only after a procurator "
                        "confirms a proposal, never automatically: use role supervisory_proposal"
                    )
        prefixes = [j.region_prefix for j in self.jurisdictions]
        if len(prefixes) != len(set(prefixes)):
            raise ValueError("jurisdictions 的 region_prefix 重复 / duplicate region_prefix")
        return self

    def _all_ladders(self) -> list[tuple[str, Ladder]]:
        out = list(self.ladders.items())
        for j in self.jurisdictions:
            out.extend(j.ladders.items())
            for o in j.domains.values():
                out.extend(o.ladders.items())
        return out

    def _ladders_for_kind(self, kind: str) -> set[str]:
        names = {self.kinds[kind]} if kind in self.kinds else set()  # type: ignore[index]
        for j in self.jurisdictions:
            names |= {v for k, v in j.kinds.items() if k == kind}
            for o in j.domains.values():
                names |= {v for k, v in o.kinds.items() if k == kind}
        return names

    @cached_property
    def rules(self) -> RuleSet:
        """The shipped rules plus this deployment's ``local_rules`` (validated when the policy is loaded)."""
        return shipped_rules().with_local(self.parsed_local_rules)

    @cached_property
    def parsed_local_rules(self) -> tuple[Rule, ...]:
        return parse_rules(list(self.local_rules), where="local_rules", local=True)

    @cached_property
    def fingerprint(self) -> str:
        """Digest of the whole policy (recorded in the sweep's audit entry)."""
        return digest(self.model_dump(mode="json"))

    def resolve(self, region_code: str, domain: str) -> ResolvedPolicy:
        """The rules for a case: top level, then the longest matching jurisdiction, then its domain override."""
        scopes: list[_Override] = []
        key = "*"
        match = max(
            (j for j in self.jurisdictions if region_code.startswith(j.region_prefix)),
            key=lambda j: len(j.region_prefix),
            default=None,
        )
        if match is not None:
            scopes.append(match)
            key = match.region_prefix or "*"
            if domain in match.domains:
                scopes.append(match.domains[domain])
                key += f"/{domain}"
        ladders = dict(self.ladders)
        kinds: dict[str, str] = dict(self.kinds)
        due_soon, short_due_soon = self.due_soon_days, self.short_due_soon_days
        for scope in scopes:
            ladders.update(scope.ladders)
            kinds.update(scope.kinds)
            due_soon = scope.due_soon_days if scope.due_soon_days is not None else due_soon
            short_due_soon = scope.short_due_soon_days if scope.short_due_soon_days is not None else short_due_soon
        return ResolvedPolicy(
            key=key,
            due_soon_days=due_soon,
            short_due_soon_days=short_due_soon,
            ladders={kind: ladders[name].levels for kind, name in kinds.items()},
        )

    def procuratorate_for(self, region_code: str) -> Procuratorate | None:
        """The procuratorate entry with the longest prefix of ``region_code``."""
        return max(
            (p for p in self.procuratorates if region_code.startswith(p.region_prefix)),
            key=lambda p: len(p.region_prefix),
            default=None,
        )

    def templates(self) -> set[str]:
        """Every template name the policy can use (checked against ``hub/notify/templates`` by tests)."""
        names: set[str] = set()
        for _, ladder in self._all_ladders():
            for lv in ladder.levels:
                names.add(lv.template)
                names.update(r.template for r in lv.recipients if r.template)
        return names

    def max_lead_days(self) -> int:
        """How many days before the official deadline the earliest level can fire (for SQL pre-filters)."""
        leads = [0]
        for _, ladder in self._all_ladders():
            for lv in ladder.levels:
                leads.extend(-o for o in (lv.offset_days, lv.short_offset_days) if o is not None and o <= 0)
        return max(leads)


def load_policy(path: Path | str | None = None) -> EscalationPolicy:
    """Read and validate the policy: ``path``, else ``$PILHUB_SLA_POLICY``, else the shipped default."""
    if path is None:
        env = os.environ.get(ENV_POLICY_FILE, "").strip()
        path = Path(env) if env else SHIPPED_POLICY
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PolicyError(f"升级策略文件不存在 / escalation policy file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"升级策略文件不是有效的 YAML / invalid YAML in {path}: {exc}") from exc
    try:
        policy = EscalationPolicy.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(f"升级策略文件格式错误 / invalid escalation policy {path}:\n{exc}") from exc
    try:
        policy.rules  # noqa: B018 — validates local_rules (shape, jurisdiction, no id clash) now, not mid-sweep
    except RuleError as exc:
        raise PolicyError(f"升级策略文件格式错误 / invalid escalation policy {path}:\n{exc}") from exc
    return policy
