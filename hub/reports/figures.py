"""Every figure of the compliance summary, computed in one place from the store's facts.

Why one module: the annual report goes to a people's-congress standing committee and is read next to
the API, the dashboard and last year's PDF. If two outputs counted separately they would eventually
disagree, so every renderer (JSON, CSV, XLSX, HTML, PDF), the HTTP API and the dashboard call
:func:`compute_figures` and only lay its result out.

Definitions (also in ``docs/reports.md``):

* A **case** belongs to the period by its filing date (``opened_on``, 立案日期); a **recommendation**
  by its issue date (``issued_on``, 发出日期). Both must also be on or before the as-of date.
* **As of** a date A (default: the period's last day, or today while the period is not over): only
  facts dated on or before A count. A reply received (``replied_on``) after A does not count yet.
* The **reply deadline** is computed by ``sla.periods`` from the day of receipt with the period of the rule
  that bound the case's region on the receipt date (``sla.rules``, as the clocks; where none did, e.g. 2017-07-01
  … 2018-03-01, the recommendation is never counted late), under the default (official) reading
  of make-up working days. **On time**: replied, or posted where the posted date is known and earlier,
  on or before that deadline (``sla.periods.is_on_time``).
* Each recommendation is in exactly one of ``replied_on_time``, ``replied_late``,
  ``unreplied_overdue`` (no reply by A and the deadline passed before A) and ``pending``: its period
  has not ended by A, it has not been received yet (no period has started), or its deadline falls in
  a year whose official holiday calendar is not loaded (never judged on a guessed calendar; counted
  separately as ``pending_calendar_missing``), or no rule fixed a period there and then
  (``pending_no_statutory_period``).
* Rectification: ``rectified`` — a reply known by A says rectified, with a rectification date on or
  before A (or none given); ``rectification_overdue`` — the promised date (``rectification_due``)
  passed before A and it is not rectified by A; ``rebound`` — a follow-up found 反弹回潮.
* Shares are per cent of ``cases_total`` with one decimal, rounded half up (as the Quzhou white
  paper prints them); they add up to 100 within rounding.

Only bound parameters reach SQL: every filter is a SQLAlchemy expression on a column.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session

from hub.registry.format import DOMAIN_LABELS, DOMAINS, PROCEDURE_LABELS, PROCEDURES
from hub.store.models import Agency, Case, Clock, Escalation, Recommendation, Reply
from sla.calendar import Policy
from sla.periods import Deadline, Period, compute_deadline, is_on_time
from sla.policy import ENV_POLICY_FILE, SHIPPED_POLICY, EscalationPolicy, PolicyError, load_policy
from sla.rules import RuleSet, shipped_rules

__all__ = [
    "EARLIEST",
    "LATEST",
    "REC_STATUSES",
    "DeadlineCache",
    "QueryError",
    "RecFacts",
    "RecStatus",
    "ReplyFacts",
    "ReportQuery",
    "case_conditions",
    "classify",
    "clean_text",
    "compute_figures",
    "district_condition",
    "percent",
    "resolve_agency",
]

#: Dates outside this range are refused as parameters (they can only be typing errors, and period
#: arithmetic near year 9999 would overflow).
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)

ON_TIME = "replied_on_time"
LATE = "replied_late"
OVERDUE = "unreplied_overdue"
PENDING = "pending"
#: The four mutually exclusive states of a recommendation's reply, as of a date.
REC_STATUSES: tuple[str, ...] = (ON_TIME, LATE, OVERDUE, PENDING)

REC_STATUS_LABELS = {
    ON_TIME: "按期回复",
    LATE: "逾期回复",
    OVERDUE: "逾期未回复",
    PENDING: "尚在期限内",
}

ProgressFn = Callable[[str, int, int], None]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REGION_PREFIX = re.compile(r"^\d{1,6}$")
_REGION_CODE = re.compile(r"^\d{6}$")


class QueryError(ValueError):
    """A report parameter that cannot be used; carries the parameter and a Chinese / English message."""

    def __init__(self, param: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.param = param
        self.zh = zh
        self.en = en


def clean_text(param: str, value: str | None, max_len: int) -> str | None:
    """Strip a free-text filter and refuse control characters (NUL breaks PostgreSQL) and overlong text."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > max_len or _CONTROL.search(value):
        raise QueryError(
            param,
            f"参数 {param} 无效：不得含控制字符，且不超过{max_len}个字符",
            f"invalid {param}: no control characters and at most {max_len} characters",
        )
    return value


@dataclass(frozen=True)
class ReportQuery:
    """What a report covers: a date window, the as-of date and optional filters.

    Build it with :meth:`build`, which validates and fills the defaults, rather than directly.
    """

    date_from: dt.date
    date_to: dt.date
    as_of: dt.date
    year: int | None = None
    district: str | None = None  # district name (柯城区) or its 6-digit region code
    domain: str | None = None  # registry domain code (ecology …)
    agency: str | None = None  # agency code or exact name
    region_prefix: str | None = None  # jurisdiction of the caller (API token), a region-code prefix

    @classmethod
    def build(
        cls,
        *,
        year: int | None = None,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        as_of: dt.date | None = None,
        district: str | None = None,
        domain: str | None = None,
        agency: str | None = None,
        region_prefix: str | None = None,
        today: dt.date | None = None,
    ) -> ReportQuery:
        """Validate parameters; default to the current year and to as-of = min(period end, today)."""
        today = today or dt.date.today()
        if year is not None and (date_from is not None or date_to is not None):
            raise QueryError(
                "year",
                "year 与 from/to 只能二选一",
                "give either year or from/to, not both",
            )
        if (date_from is None) != (date_to is None):
            raise QueryError("from", "from 与 to 须同时给出", "from and to must be given together")
        if year is None and date_from is None:
            year = today.year
        if year is not None:
            if not EARLIEST.year <= year <= LATEST.year:
                raise QueryError(
                    "year",
                    f"年份须在 {EARLIEST.year}–{LATEST.year} 之间",
                    f"year must be between {EARLIEST.year} and {LATEST.year}",
                )
            date_from, date_to = dt.date(year, 1, 1), dt.date(year, 12, 31)
        assert date_from is not None and date_to is not None
        for name, value in (("from", date_from), ("to", date_to), ("as_of", as_of)):
            if value is not None and not EARLIEST <= value <= LATEST:
                raise QueryError(
                    name,
                    f"{name} 须在 {EARLIEST} 至 {LATEST} 之间",
                    f"{name} must be between {EARLIEST} and {LATEST}",
                )
        if date_from > date_to:
            raise QueryError("from", "from 晚于 to", "from is after to")
        if as_of is None:
            as_of = min(date_to, today)
        if as_of < date_from:
            raise QueryError(
                "as_of",
                "统计截止日（as_of）早于统计期间起始日",
                "as_of is before the start of the period",
            )
        domain = clean_text("domain", domain, 32)
        if domain is not None and domain not in DOMAINS:
            raise QueryError(
                "domain",
                f"领域代码无效，可选：{'、'.join(DOMAINS)}",
                f"unknown domain; one of: {', '.join(DOMAINS)}",
            )
        region_prefix = clean_text("region_prefix", region_prefix, 6)
        if region_prefix is not None and not _REGION_PREFIX.match(region_prefix):
            raise QueryError("region_prefix", "辖区须为1–6位数字", "region prefix must be 1–6 digits")
        return cls(
            date_from=date_from,
            date_to=date_to,
            as_of=as_of,
            year=year,
            district=clean_text("district", district, 64),
            domain=domain,
            agency=clean_text("agency", agency, 200),
            region_prefix=region_prefix,
        )

    @property
    def window_end(self) -> dt.date:
        """The last filing / issue date that counts: nothing dated after the as-of date is known yet."""
        return min(self.date_to, self.as_of)

    def period_label(self) -> str:
        if self.year is not None and (self.date_from, self.date_to) == (
            dt.date(self.year, 1, 1),
            dt.date(self.year, 12, 31),
        ):
            return f"{self.year}年"
        return f"{self.date_from}至{self.date_to}"

    def filters(self) -> dict[str, str | None]:
        return {
            "district": self.district,
            "domain": self.domain,
            "agency": self.agency,
            "region_prefix": self.region_prefix,
        }


# --- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyFacts:
    """What a reply says, as stored (one agency may reply more than once)."""

    seq: int
    replied_on: dt.date
    posted_on: dt.date | None = None
    rectification_due: dt.date | None = None
    rectified: bool | None = None
    rectified_on: dt.date | None = None
    rebound: bool | None = None


@dataclass(frozen=True)
class RecFacts:
    """A recommendation's facts: enough to classify it as of any date without the database."""

    pk: int
    rec_number: str
    case_pk: int
    agency_pk: int
    issued_on: dt.date
    received_on: dt.date | None
    urgent: bool
    publicly_delivered: bool | None
    replies: tuple[ReplyFacts, ...] = ()
    procedure: str = ""
    region_code: str = ""  # selects the rules that bind the recommendation (sla/data/rules.yaml)


@dataclass(frozen=True)
class RecStatus:
    """A recommendation's state as of a date (see the module docstring for the rules)."""

    status: str
    deadline: Deadline | None
    not_received: bool
    calendar_missing: bool
    reply_on: dt.date | None  # the date that counts: posted date where known, else date received
    days_to_reply: int | None
    rectified: bool
    rectification_overdue: bool
    rebound: bool
    rectification_due: dt.date | None
    no_period: bool = False  # received, but no rule fixed a reply period there and then: never counted late


class DeadlineCache:
    """Reply deadlines by (receipt date, period): many recommendations share them, the arithmetic is pure."""

    def __init__(self, policy: Policy = Policy.OFFICIAL) -> None:
        self.policy = policy
        self.rules = _rule_set()
        self._cache: dict[tuple[dt.date, str], Deadline] = {}

    def reply_deadline(
        self, issued_on: dt.date, urgent: bool, received_on: dt.date, region_code: str = ""
    ) -> Deadline | None:
        """The reply deadline under the rule that bound the case's region on the receipt date (the clocks' rule,
        ``sla.rules``), or None where no rule fixed a period (e.g. 2017-07-01 … 2018-03-01): never counted late."""
        period = _reply_period(self.rules, region_code, received_on, urgent)
        if period is None:
            return None
        key = (received_on, str(period))
        found = self._cache.get(key)
        if found is None:
            found = compute_deadline(received_on, period, self.policy)
            self._cache[key] = found
        return found


def _reply_period(rules: RuleSet, region_code: str, received_on: dt.date, urgent: bool) -> Period | None:
    rule = (rules.select("urgent_reply_period", region_code, received_on) if urgent else None) or rules.select(
        "reply_period", region_code, received_on
    )
    return rule.period_value if rule is not None else None


_POLICIES: dict[tuple[str, int, int, int], EscalationPolicy] = {}


def _policy_stamp() -> tuple[str, int, int, int] | None:
    env = os.environ.get(ENV_POLICY_FILE, "").strip()
    path = Path(env) if env else SHIPPED_POLICY
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path), st.st_mtime_ns, st.st_size, st.st_ino)


def current_policy() -> EscalationPolicy:
    """:func:`sla.policy.load_policy`, kept per version of the policy file (path, size, modification time).

    Every report and every API request (figures, charts, clock lists, timelines) needs the policy; parsing its
    YAML each time was three quarters of a figures request. An edited file is read again on the next call;
    an unreadable one raises :class:`~sla.policy.PolicyError` every time, as ``load_policy`` does.
    """
    stamp = _policy_stamp()
    found = _POLICIES.get(stamp) if stamp is not None else None
    if found is not None:
        return found
    policy = load_policy()
    if stamp is not None:
        _POLICIES.clear()  # one version at a time
        _POLICIES[stamp] = policy
    return policy


def _rule_set() -> RuleSet:
    """The shipped rules plus the policy file's local rules (the same the clocks use); shipped alone if the
    policy file cannot be read — a report never fails on it, and a local rule only adds duties."""
    try:
        return current_policy().rules
    except PolicyError:
        return shipped_rules()


def classify(rec: RecFacts, as_of: dt.date, deadlines: DeadlineCache) -> RecStatus:
    """The reply and rectification state of one recommendation as of ``as_of``.

    The first reply received by ``as_of`` decides timeliness; the latest known reply carries the
    current rectification promise (a later reply may revise it).
    """
    known = sorted((r for r in rec.replies if r.replied_on <= as_of), key=lambda r: (r.replied_on, r.seq))
    first = known[0] if known else None
    deadline: Deadline | None = None
    if rec.received_on is not None and rec.received_on <= as_of:
        deadline = deadlines.reply_deadline(rec.issued_on, rec.urgent, rec.received_on, rec.region_code)
    not_received = rec.received_on is None or rec.received_on > as_of
    calendar_missing = bool(deadline and deadline.calendar_missing)
    reply_on = None
    days = None
    if first is not None:
        reply_on = (
            first.posted_on if first.posted_on is not None and first.posted_on < first.replied_on else first.replied_on
        )
        if rec.received_on is not None:
            days = (reply_on - rec.received_on).days
    if deadline is None or calendar_missing:
        status = PENDING
    elif first is not None:
        status = ON_TIME if is_on_time(deadline.date, first.replied_on, first.posted_on) else LATE
    elif as_of > deadline.date:
        status = OVERDUE
    else:
        status = PENDING

    rectified = any(r.rectified is True and (r.rectified_on is None or r.rectified_on <= as_of) for r in known)
    promise = next((r.rectification_due for r in reversed(known) if r.rectification_due is not None), None)
    rect_overdue = not rectified and promise is not None and as_of > promise
    rebound = any(r.rebound is True for r in known)
    return RecStatus(
        status=status,
        deadline=deadline,
        not_received=not_received,
        calendar_missing=calendar_missing,
        no_period=deadline is None and not not_received,
        reply_on=reply_on,
        days_to_reply=days,
        rectified=rectified,
        rectification_overdue=rect_overdue,
        rebound=rebound,
        rectification_due=promise,
    )


# --- arithmetic helpers --------------------------------------------------------------------------


def percent(part: int, whole: int) -> float | None:
    """``part`` as per cent of ``whole``, one decimal, half up (the white paper's 71.7 %); None if whole is 0."""
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _mean(values: Sequence[int]) -> float | None:
    if not values:
        return None
    return float((Decimal(sum(values)) / Decimal(len(values))).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _number(value: Decimal) -> int | float:
    """JSON number for a Decimal quantity: an int when whole, else two decimals."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    return float(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


def _months(start: dt.date, end: dt.date) -> list[str]:
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# --- loading ------------------------------------------------------------------------------------


def resolve_agency(session: Session, text: str) -> Agency | None:
    """An agency by its code or its exact name."""
    return session.execute(
        select(Agency).where((Agency.code == text) | (Agency.name == text)).limit(1)
    ).scalar_one_or_none()


def district_condition(district: str) -> ColumnElement[bool]:
    """A district filter: a 6-digit region code, or the district's name as the registry writes it."""
    if _REGION_CODE.match(district):
        return Case.region_code == district
    return Case.district == district


def case_conditions(
    district: str | None = None, domain: str | None = None, region_prefix: str | None = None
) -> list[ColumnElement[bool]]:
    """The SQL conditions on ``Case`` that every listing shares (reports, clock lists, the API's case list).

    ``district`` is a district name or its 6-digit region code; ``region_prefix`` is matched literally
    (``%`` and ``_`` escaped); each is optional.
    """
    conds: list[ColumnElement[bool]] = []
    if district:
        conds.append(district_condition(district))
    if domain:
        conds.append(Case.domain == domain)
    if region_prefix:
        conds.append(Case.region_code.startswith(region_prefix, autoescape=True))
    return conds


@dataclass
class _Scope:
    """The SQL conditions of one query, shared by every select so all tables see the same scope."""

    query: ReportQuery
    agency: Agency | None
    agency_missing: bool
    case_conds: list[ColumnElement[bool]] = field(default_factory=list)

    def cases(self, stmt: Select[Any]) -> Select[Any]:
        q = self.query
        stmt = stmt.where(Case.opened_on >= q.date_from, Case.opened_on <= q.window_end, *self.case_conds)
        if self.agency_missing:
            return stmt.where(false())
        if self.agency is not None:
            stmt = stmt.where(
                Case.id.in_(select(Recommendation.case_pk).where(Recommendation.agency_pk == self.agency.id))
            )
        return stmt

    def recommendations(self, stmt: Select[Any]) -> Select[Any]:
        """``stmt`` must already select from / join Recommendation and Case."""
        q = self.query
        stmt = stmt.where(
            Recommendation.issued_on >= q.date_from, Recommendation.issued_on <= q.window_end, *self.case_conds
        )
        if self.agency_missing:
            return stmt.where(false())
        if self.agency is not None:
            stmt = stmt.where(Recommendation.agency_pk == self.agency.id)
        return stmt


def _load_recommendations(session: Session, scope: _Scope) -> list[RecFacts]:
    rows = session.execute(
        scope.recommendations(
            select(
                Recommendation.id,
                Recommendation.rec_number,
                Recommendation.case_pk,
                Recommendation.agency_pk,
                Recommendation.issued_on,
                Recommendation.received_on,
                Recommendation.urgent,
                Recommendation.publicly_delivered,
                Case.procedure,
                Case.region_code,
            ).join(Case, Case.id == Recommendation.case_pk)
        ).order_by(Recommendation.issued_on, Recommendation.id)
    ).all()
    replies: dict[int, list[ReplyFacts]] = defaultdict(list)
    for r in session.execute(
        scope.recommendations(
            select(
                Reply.recommendation_pk,
                Reply.seq,
                Reply.replied_on,
                Reply.posted_on,
                Reply.rectification_due,
                Reply.rectified,
                Reply.rectified_on,
                Reply.rebound,
            )
            .join(Recommendation, Recommendation.id == Reply.recommendation_pk)
            .join(Case, Case.id == Recommendation.case_pk)
        )
    ):
        replies[r.recommendation_pk].append(
            ReplyFacts(
                seq=r.seq,
                replied_on=r.replied_on,
                posted_on=r.posted_on,
                rectification_due=r.rectification_due,
                rectified=r.rectified,
                rectified_on=r.rectified_on,
                rebound=r.rebound,
            )
        )
    return [
        RecFacts(
            pk=row.id,
            rec_number=row.rec_number,
            case_pk=row.case_pk,
            agency_pk=row.agency_pk,
            issued_on=row.issued_on,
            received_on=row.received_on,
            urgent=bool(row.urgent),
            publicly_delivered=row.publicly_delivered,
            replies=tuple(replies.get(row.id, ())),
            procedure=row.procedure,
            region_code=row.region_code,
        )
        for row in rows
    ]


def _load_escalations(session: Session, scope: _Scope) -> dict[int, list[tuple[int, int, str]]]:
    """Escalations fired by the as-of date, per recommendation: (clock, level, level name), once per level."""
    stmt = scope.recommendations(
        select(Clock.recommendation_pk, Escalation.clock_pk, Escalation.level, Escalation.level_name)
        .join(Clock, Clock.id == Escalation.clock_pk)
        .join(Recommendation, Recommendation.id == Clock.recommendation_pk)
        .join(Case, Case.id == Recommendation.case_pk)
        .where(Escalation.due_on <= scope.query.as_of)
    )
    out: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for row in session.execute(stmt):
        if (row.clock_pk, row.level) in seen:
            continue  # one level may go to several recipients: it is still one escalation
        seen.add((row.clock_pk, row.level))
        out[row.recommendation_pk].append((row.clock_pk, row.level, row.level_name))
    return out


def _load_agencies(session: Session, pks: Iterable[int]) -> dict[int, Agency]:
    wanted = sorted(set(pks))
    found: dict[int, Agency] = {}
    for i in range(0, len(wanted), 500):
        for agency in session.execute(select(Agency).where(Agency.id.in_(wanted[i : i + 500]))).scalars():
            found[agency.id] = agency
    return found


# --- the figures ----------------------------------------------------------------------------------


def _breakdown(counter: Counter[str], total: int, keys: Iterable[str], labels: dict[str, str]) -> dict[str, Any]:
    return {
        key: {"count": counter.get(key, 0), "share": percent(counter.get(key, 0), total), "label": labels.get(key, key)}
        for key in keys
    }


def _status_counts(statuses: Iterable[RecStatus]) -> dict[str, Any]:
    items = list(statuses)
    c = Counter(s.status for s in items)
    decided = c[ON_TIME] + c[LATE] + c[OVERDUE]
    return {
        "issued": len(items),
        ON_TIME: c[ON_TIME],
        LATE: c[LATE],
        OVERDUE: c[OVERDUE],
        PENDING: c[PENDING],
        "on_time_rate": percent(c[ON_TIME], decided),
    }


def _level_counts(escalations: Iterable[tuple[int, int, str]]) -> dict[str, int]:
    c = Counter(level for _, level, _ in escalations)
    return {str(level): c[level] for level in sorted(c)}


def _level_labels() -> dict[str, str]:
    """Chinese labels of the escalation levels (逾期通报 …) by level name, from the escalation policy."""
    try:
        policy = current_policy()
    except PolicyError:
        return {}
    ladders = list(policy.ladders.values())
    for j in policy.jurisdictions:
        ladders.extend(j.ladders.values())
        for override in j.domains.values():
            ladders.extend(override.ladders.values())
    return {lv.name: lv.label for ladder in ladders for lv in ladder.levels}


def _note(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def compute_figures(
    session: Session,
    query: ReportQuery,
    *,
    progress: ProgressFn | None = None,
    generated_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """All figures of the compliance summary for ``query``, as a JSON-ready dict.

    ``progress(stage, done, total)`` is called while classifying recommendations, so a command line
    can show a progress bar on large registries.
    """
    q = query
    agency: Agency | None = None
    agency_missing = False
    if q.agency:
        agency = resolve_agency(session, q.agency)
        agency_missing = agency is None
    scope = _Scope(q, agency, agency_missing, case_conditions(q.district, q.domain, q.region_prefix))

    case_rows = session.execute(
        scope.cases(
            select(
                Case.id,
                Case.domain,
                Case.procedure,
                Case.district,
                Case.region_code,
                Case.opened_on,
                Case.land_restored_mu,
                Case.waste_removed_t,
                Case.money_recovered_yuan,
            )
        )
    ).all()
    recs = _load_recommendations(session, scope)
    escalations = _load_escalations(session, scope)
    agencies = _load_agencies(session, (r.agency_pk for r in recs))

    deadlines = DeadlineCache(Policy.OFFICIAL)
    statuses: dict[int, RecStatus] = {}
    total = len(recs)
    for i, rec in enumerate(recs, start=1):
        statuses[rec.pk] = classify(rec, q.as_of, deadlines)
        if progress and (i % 200 == 0 or i == total):
            progress("classify", i, total)

    # cases
    cases_total = len(case_rows)
    by_domain = Counter(r.domain for r in case_rows)
    by_procedure = Counter(r.procedure for r in case_rows)
    by_district = Counter(r.district for r in case_rows)
    district_codes: dict[str, str] = {}
    for r in sorted(case_rows, key=lambda r: r.region_code):
        district_codes.setdefault(r.district, r.region_code)
    domain_keys = list(DOMAINS) + sorted(k for k in by_domain if k not in DOMAINS)
    procedure_keys = list(PROCEDURES) + sorted(k for k in by_procedure if k not in PROCEDURES)
    district_keys = sorted(by_district, key=lambda d: (district_codes[d], d))
    districts = _breakdown(by_district, cases_total, district_keys, {})
    for name in district_keys:
        districts[name]["region_code"] = district_codes[name]

    # recommendations
    all_status = [statuses[r.pk] for r in recs]
    rec_block = _status_counts(all_status)
    replied_days = [s.days_to_reply for s in all_status if s.days_to_reply is not None and s.status in (ON_TIME, LATE)]
    rectified = sum(s.rectified for s in all_status)
    all_escalations = [e for r in recs for e in escalations.get(r.pk, ())]
    lawsuit_cases = {r.case_pk for r in recs if r.procedure == "admin_litigation"}
    rec_block.update(
        {
            "publicly_delivered": sum(r.publicly_delivered is True for r in recs),
            "publicly_delivered_unknown": sum(r.publicly_delivered is None for r in recs),
            "pending_not_received": sum(s.status == PENDING and s.not_received for s in all_status),
            "pending_calendar_missing": sum(s.status == PENDING and s.calendar_missing for s in all_status),
            "pending_no_statutory_period": sum(s.status == PENDING and s.no_period for s in all_status),
            "average_days_to_reply": _mean(replied_days),
            "rectified": rectified,
            "rectification_overdue": sum(s.rectification_overdue for s in all_status),
            "rebound": sum(s.rebound for s in all_status),
            "rectification_rate": percent(rectified, len(recs)),
            "urgent": _status_counts(statuses[r.pk] for r in recs if r.urgent),
            "escalations_by_level": _level_counts(all_escalations),
            "lawsuits_after_non_compliance": len(lawsuit_cases),
        }
    )

    # the agencies' league table
    per_agency: dict[int, list[RecFacts]] = defaultdict(list)
    for r in recs:
        per_agency[r.agency_pk].append(r)
    agency_rows: list[dict[str, Any]] = []
    for pk, items in per_agency.items():
        a = agencies.get(pk)
        st = [statuses[r.pk] for r in items]
        counts = _status_counts(st)
        days = [s.days_to_reply for s in st if s.days_to_reply is not None and s.status in (ON_TIME, LATE)]
        a_rectified = sum(s.rectified for s in st)
        agency_rows.append(
            {
                "code": a.code if a else str(pk),
                "name": a.name if a else str(pk),
                "kind": a.kind if a else None,
                "region_code": a.region_code if a else None,
                "received": counts["issued"],
                ON_TIME: counts[ON_TIME],
                LATE: counts[LATE],
                OVERDUE: counts[OVERDUE],
                PENDING: counts[PENDING],
                "on_time_rate": counts["on_time_rate"],
                "average_days_to_reply": _mean(days),
                "rectified": a_rectified,
                "rectification_overdue": sum(s.rectification_overdue for s in st),
                "rectification_rate": percent(a_rectified, len(items)),
                "rebound": sum(s.rebound for s in st),
                "escalations_by_level": _level_counts(e for r in items for e in escalations.get(r.pk, ())),
                "lawsuits_after_non_compliance": len({r.case_pk for r in items if r.procedure == "admin_litigation"}),
            }
        )
    agency_rows.sort(
        key=lambda a: (
            a["on_time_rate"] is None,
            -(a["on_time_rate"] or 0),
            -a["received"],
            a["code"],
        )
    )
    for rank, row in enumerate(agency_rows, start=1):
        row["rank"] = rank

    # outcomes
    outcomes = {
        "land_restored_mu": _number(sum((Decimal(r.land_restored_mu or 0) for r in case_rows), Decimal(0))),
        "waste_removed_t": _number(sum((Decimal(r.waste_removed_t or 0) for r in case_rows), Decimal(0))),
        "money_recovered_yuan": _number(sum((Decimal(r.money_recovered_yuan or 0) for r in case_rows), Decimal(0))),
    }

    # month by month: cases by filing month, recommendations by issue month (a cohort: sums match totals)
    month_keys = _months(q.date_from, q.date_to)
    months = {
        m: {"month": m, "cases_opened": 0, "recommendations_issued": 0, **dict.fromkeys(REC_STATUSES, 0)}
        for m in month_keys
    }
    for r in case_rows:
        months[r.opened_on.strftime("%Y-%m")]["cases_opened"] += 1
    for r in recs:
        row = months[r.issued_on.strftime("%Y-%m")]
        row["recommendations_issued"] += 1
        row[statuses[r.pk].status] += 1

    level_names: dict[str, str] = {}
    for _, level, name in sorted(all_escalations, key=lambda e: e[1]):
        level_names.setdefault(str(level), name)
    labels = _level_labels() if level_names else {}
    level_labels = {level: labels.get(name, name) for level, name in level_names.items()}

    notes = [
        _note(
            f"案件按立案日期、检察建议按发出日期计入统计期间；统计截止日为 {q.as_of}，此后的回复、立案与发出均不计入。",
            f"Cases count by filing date, recommendations by issue date; as of {q.as_of}: replies, filings and "
            "recommendations dated later are not counted.",
        ),
        _note(
            "按期：在 sla 模块按官方口径（调休上班日为工作日）计算的回复期限届满日当日或之前收到回复，或已知邮寄日期且在届满日前交邮。",
            "On time: reply received, or posted where the posting date is known, on or before the deadline computed "
            "by sla under the official reading of make-up working days.",
        ),
    ]
    if rec_block["pending_calendar_missing"]:
        notes.append(
            _note(
                f"有 {rec_block['pending_calendar_missing']} 件检察建议的回复期限落在尚未录入官方节假日安排的年份，"
                "无法确定届满日，计为“尚在期限内”。",
                f"{rec_block['pending_calendar_missing']} recommendation(s) have a reply deadline in a year whose "
                "official holiday calendar is not loaded; the deadline is not certain, so they count as pending.",
            )
        )
    if rec_block["pending_no_statutory_period"]:
        notes.append(
            _note(
                f"有 {rec_block['pending_no_statutory_period']} 件检察建议送达时本地区没有法定回复期限（如2017年7月1日至"
                "2018年3月1日之间，或非试点地区的试点期间），不计为逾期，计为“尚在期限内”。",
                f"{rec_block['pending_no_statutory_period']} recommendation(s) were received where and when no rule "
                "fixed a reply period (e.g. 2017-07-01 to 2018-03-01): never counted late; they count as pending.",
            )
        )
    if rec_block["pending_not_received"]:
        notes.append(
            _note(
                f"有 {rec_block['pending_not_received']} 件检察建议截至统计截止日尚未送达（期限未起算），计为“尚在期限内”。",
                f"{rec_block['pending_not_received']} recommendation(s) had not been received by the as-of date "
                "(no period has started); they count as pending.",
            )
        )
    if agency_missing:
        notes.append(
            _note("未找到所指定的机关，结果为空。", "No agency matches the agency filter; the result is empty.")
        )
    if q.as_of < q.date_to:
        notes.append(
            _note(
                f"统计期间尚未结束，数据截至 {q.as_of}。",
                f"The period is not over; figures as of {q.as_of}.",
            )
        )

    title_bits = [q.period_label()]
    if q.district:
        title_bits.append(q.district)
    if q.domain:
        title_bits.append(DOMAIN_LABELS.get(q.domain, q.domain))
    if agency is not None:
        title_bits.append(agency.name)
    return {
        "report": "pilhub.compliance_summary",
        "version": 1,
        "title": f"检察公益诉讼工作统计（{' · '.join(title_bits)}）",
        "generated_at": (generated_at or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat(),
        "period": {
            "year": q.year,
            "from": q.date_from.isoformat(),
            "to": q.date_to.isoformat(),
            "as_of": q.as_of.isoformat(),
            "policy": Policy.OFFICIAL.value,
        },
        "filters": q.filters(),
        "cases_total": cases_total,
        "by_domain": _breakdown(by_domain, cases_total, domain_keys, DOMAIN_LABELS),
        "by_district": districts,
        "by_procedure": _breakdown(by_procedure, cases_total, procedure_keys, PROCEDURE_LABELS),
        "recommendations": rec_block,
        "agencies": agency_rows,
        "outcomes": outcomes,
        "months": list(months.values()),
        "escalation_levels": level_names,
        "escalation_level_labels": level_labels,
        "clues": _clue_block(session, q),
        "notes": notes,
    }


def _clue_block(session: Session, q: ReportQuery) -> dict[str, Any]:
    """Clues first seen in the period (supervision models and agencies' transfers) and cases opened from them
    (the CPPCC report's "clues received / cases filed"; hub.clues.figures)."""
    from hub.clues.figures import model_figures

    rows = model_figures(session, since=q.date_from, until=min(q.as_of, q.date_to), region_prefix=q.region_prefix)
    received = sum(r["hits"] for r in rows)
    opened = sum(r["cases_opened"] for r in rows)
    return {
        "received": received,
        "accepted": sum(r["accepted"] for r in rows),
        "rejected": sum(r["rejected"] for r in rows),
        "cases_opened": opened,
        "case_rate": percent(opened, received),
        "by_model": rows,
    }
