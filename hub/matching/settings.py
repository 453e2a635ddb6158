"""The linkage model as data: comparisons with level ladders, blocking rules, thresholds.

Shaped after Splink's settings: each comparison is an ordered ladder of levels; a pair falls into the
first level whose conditions all hold. Conditions are named predicates over named fields (see
``comparisons.PREDICATES``), so adding a level or changing a threshold is an edit to this data, not
to code. A level's weight is either estimated (``m``/``u``, trained) or ``fixed`` — 0 for the null
level, −∞ for the gates of the truth rule (``truth.py``), which are rules, not evidence.

The whole model — settings plus trained m/u — round-trips through JSON (``ModelSettings.to_dict``).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, fields
from typing import Any

NEG_INF = -math.inf
#: Fixed weight (bits) of a level where the truth rule itself declares the same subject (the same-name
#: clause for people): the mirror of the −∞ gates, but finite so scores stay valid JSON and stored
#: floats (like ``hub.linking.EXACT_SCORE``) — far above any prior, so the rule, not the data, decides;
#: a gate's −∞ still wins over it.
RULE_SAME_SUBJECT = 40.0


@dataclass
class Level:
    """One rung of a comparison ladder."""

    name: str
    when: list[list[Any]]  # conjunction of [predicate, field, *args]
    m: float | None = None
    u: float | None = None
    fixed: float | None = None  # fixed weight (null level 0, rule gates −inf): never trained
    tf: str | None = None  # field whose term frequency adjusts this level's weight
    description: str = ""

    @property
    def trained(self) -> bool:
        return self.fixed is None

    @property
    def is_null(self) -> bool:
        """Levels fixed at weight 0 (null, missing, "not this kind") take no part in m/u: no evidence."""
        return self.fixed == 0.0

    def weight(self) -> float:
        """log2(m/u), or the fixed weight."""
        if self.fixed is not None:
            return self.fixed
        m = max(self.m if self.m is not None else 0.5, 1e-9)
        u = max(self.u if self.u is not None else 0.5, 1e-12)
        return math.log2(m / u)


@dataclass
class Comparison:
    name: str
    description: str
    levels: list[Level]
    # u sampled among random pairs sharing this field (e.g. "block_prefecture") instead of over all
    # pairs. Supported but off in the shipped model: inside a region, random pairs include enough
    # true matches to inflate u on small batches (measured: worse than global sampling).
    u_within: str | None = None
    # pairs meeting all these conditions are left out of the u sample: by law (企业名称登记管理规定)
    # a company name is unique within its registration area, so an exact name in the same county
    # is the same company, not a non-match; for people the truth rule says the same once the
    # same_name_persons gate has vetoed any disagreeing detail.
    u_exclude_when: list[list[Any]] | None = None

    def level_names(self) -> list[str]:
        return [lv.name for lv in self.levels]


@dataclass
class BlockingRule:
    """One way of proposing candidate pairs; the union over rules is scored.

    ``on``: fields whose codes must all agree; ``cites``: a record's reference number that is one of
    the case's (doc / court); ``deletions``: share a one-character deletion of the field; ``only``:
    restrict to subject kinds; ``abbreviation``: one side's core is its bare trade name;
    ``record_missing``: apply only to records lacking that field (e.g. no region); ``max_block``: a key
    shared by more party rows than this is too common to block on and is skipped (logged);
    ``unless_blocked_by``: only records none of the named rules paired with a party.
    Public bodies are never blocked by name — only by cited numbers — so an agency addressed by
    hundreds of cases cannot blow candidate pairs up quadratically.
    """

    name: str
    on: list[str] = field(default_factory=list)
    cites: str | None = None
    deletions: str | None = None
    only: list[str] | None = None
    abbreviation: bool = False
    record_missing: str | None = None
    max_block: int | None = None
    # skip records that an earlier rule already paired with some party: the costly fuzzy rules
    # are for records no exact key found
    unless_blocked_by: list[str] | None = None


@dataclass
class TrainingSession:
    """One EM session, as in Splink: pairs from one blocking rule, with the comparisons that rule
    forces to agree held fixed (they cannot tell matches from non-matches inside that block)."""

    blocking_rule: str
    fixed_comparisons: list[str] = field(default_factory=list)


@dataclass
class Thresholds:
    """Decision thresholds on the match probability (configurable per deployment)."""

    link: float = 0.70
    review: float = 0.03


@dataclass
class ModelSettings:
    comparisons: list[Comparison]
    blocking_rules: list[BlockingRule]
    thresholds: Thresholds = field(default_factory=Thresholds)
    training_sessions: list[TrainingSession] = field(default_factory=list)
    # probability that a random (record, case party) pair is a match; estimated by EM.
    probability_two_random_records_match: float = 1e-6
    em_iterations: int = 30
    em_convergence: float = 1e-5
    u_sample_pairs: int = 400_000
    # ... and at least this many per case-party row. A level never seen among the sampled non-matches
    # gets u = ½ pair / sample; the prior falls as 1 / party rows, so with a fixed sample that floor
    # would, on large batches, sit above λ·m and "same name in the same county" could never outweigh
    # the prior. Scaling the sample with the party rows keeps the floor below it at any size.
    u_sample_per_party: float = 8.0
    u_seed: int = 6

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        d = asdict(self)
        for comp in d["comparisons"]:
            for lv in comp["levels"]:
                if lv["fixed"] is not None and math.isinf(lv["fixed"]):
                    lv["fixed"] = "-inf"
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSettings:
        d = copy.deepcopy(d)
        comps = []
        for c in d.pop("comparisons"):
            levels = []
            for lv in c.pop("levels"):
                if lv.get("fixed") == "-inf":
                    lv["fixed"] = NEG_INF
                levels.append(Level(**lv))
            comps.append(Comparison(levels=levels, **c))
        rules = [BlockingRule(**b) for b in d.pop("blocking_rules")]
        thresholds = Thresholds(**d.pop("thresholds", {}))
        sessions = [TrainingSession(**t) for t in d.pop("training_sessions", [])]
        known = {f.name for f in fields(cls)}
        rest = {k: v for k, v in d.items() if k in known}  # keys of older model files are ignored
        return cls(comparisons=comps, blocking_rules=rules, thresholds=thresholds, training_sessions=sessions,
                   **rest)

    def comparison(self, name: str) -> Comparison:
        for c in self.comparisons:
            if c.name == name:
                return c
        raise KeyError(name)


# What the same-name clause of the truth rule compares besides the ID number: where the person
# lives, as far as the record shows it (town and village from the address; county and prefecture
# from the region code, else from the address).
_NOTHING_DISAGREES: list[list[Any]] = [
    ["not_differ", "town"],
    ["not_differ", "village"],
    ["not_differ", "block_county"],
    ["not_differ", "block_prefecture"],
]


def _null(field_: str) -> Level:
    return Level("null", [["null", field_]], fixed=0.0, description="missing on either side: no evidence")


def default_settings() -> ModelSettings:
    """The shipped model: comparisons and ladders for records against case parties."""
    comparisons = [
        Comparison(
            "credit_code",
            "统一社会信用代码 — only codes passing the GB 32100 check take part",
            [
                _null("credit"),
                Level("exact", [["exact", "credit"]], m=0.95, u=1e-5),
                Level("different", [["else"]], m=0.05, u=0.99999),
            ],
        ),
        Comparison(
            "id_number",
            "keyed hash of a valid resident ID number",
            [
                _null("id_hash"),
                Level("exact", [["exact", "id_hash"]], m=0.99, u=1e-6),
                Level(
                    "different_person",
                    [["else"]],
                    fixed=-math.inf,
                    description="rule: both ID numbers valid and different — different people",
                ),
            ],
        ),
        Comparison(
            "court_case_number",
            "案号 on the record is one of the case's court case numbers",
            [
                Level("null", [["null_ref", "court"]], fixed=0.0),
                Level("cited", [["cited", "court"]], m=0.6, u=1e-6),
                Level("other", [["else"]], m=0.4, u=0.99),
            ],
        ),
        Comparison(
            "doc_number",
            "文号 / recommendation number on the record is one the case cites",
            [
                Level("null", [["null_ref", "doc"]], fixed=0.0),
                Level("cited", [["cited", "doc"]], m=0.6, u=1e-6),
                Level("other", [["else"]], m=0.4, u=0.99),
            ],
        ),
        Comparison(
            "company_name",
            "company name core (字号+industry, no region prefix or legal form); null unless the party is a company",
            u_exclude_when=[["exact", "core"], ["exact", "block_county"]],
            levels=[
                Level("null", [["party_kind_not", "company"]], fixed=0.0),
                Level("missing", [["null", "core"]], fixed=0.0, description="no name on the record"),
                Level(
                    "exact_same_county",
                    [["exact", "core"], ["exact", "block_county"]],
                    m=0.4,
                    u=1e-6,
                    description="same name registered in the same county: by law the same company",
                ),
                Level(
                    "exact_county_unknown",
                    [["exact", "core"], ["null", "block_county"]],
                    m=0.1,
                    u=1e-5,
                    tf="core",
                    description="same name, the record's county unknown",
                ),
                Level(
                    "exact", [["exact", "core"]], m=0.1, u=1e-4, tf="core", description="same name in another county"
                ),
                Level("sound", [["exact", "sound"]], m=0.1, u=1e-5, description="same near-homophone key (华龙/华隆)"),
                Level("shape", [["exact", "shape"]], m=0.05, u=1e-5, description="shape-alike slip (己/已)"),
                Level(
                    "abbreviation",
                    [["exact", "zihao"], ["prefix", "core"]],
                    m=0.1,
                    u=1e-4,
                    tf="zihao",
                    description="same 字号, one name shortened (华龙 / 华龙化工)",
                ),
                Level(
                    "one_slip",
                    [["levenshtein_le", "sound", 1], ["min_length", "core", 3]],
                    m=0.1,
                    u=1e-3,
                    description="one character differs",
                ),
                Level("similar", [["similarity_ge", "core", 0.7]], m=0.05, u=1e-2),
                Level("different", [["else"]], m=0.1, u=0.99),
            ],
        ),
        Comparison(
            "person_name",
            "natural person's name; null unless the party is a person",
            u_exclude_when=[["exact", "core"], ["exact", "block_county"]],
            levels=[
                Level("null", [["party_kind_not", "person"]], fixed=0.0),
                Level("missing", [["null", "core"]], fixed=0.0),
                Level(
                    "exact_same_county",
                    [["exact", "core"], ["exact", "block_county"]],
                    m=0.4,
                    u=1e-6,
                    description="same name, same county, nothing disagreeing (the same_name_persons rule "
                    "vetoes the rest): the same person by the truth rule",
                ),
                Level("exact_county_unknown", [["exact", "core"], ["null", "block_county"]], m=0.1, u=1e-4, tf="core"),
                Level("exact", [["exact", "core"]], m=0.8, u=1e-3, tf="core"),
                Level("sound", [["exact", "sound"]], m=0.1, u=1e-3),
                Level("shape", [["exact", "shape"]], m=0.02, u=1e-4),
                Level("different", [["else"]], m=0.08, u=0.99),
            ],
        ),
        Comparison(
            "agency_name",
            "public body's canonical name (环保局 → 生态环境局, no province/prefecture); null unless a public body",
            levels=[
                Level("null", [["party_kind_not", "agency"]], fixed=0.0),
                Level("missing", [["null", "core"]], fixed=0.0),
                Level(
                    "record_names_other_kind",
                    [["record_kind_not", "agency"]],
                    fixed=-math.inf,
                    description="rule (same subject): the record names a company or a person, so that is its "
                    "subject — citing the case's number does not make it the public body's (the number may "
                    "be another case's: procuratorates' abbreviations coincide)",
                ),
                Level("exact", [["exact", "core"]], m=0.6, u=1e-3),
                Level(
                    "similar",
                    [["similarity_ge", "core", 0.9], ["not_differ", "block_county"]],
                    m=0.3,
                    u=1e-2,
                    description="a variant of the name in the same county (or the record's county unknown); "
                    "a public body is its place plus its type, so 龙游住建局 is not 龙湾住建局",
                ),
                Level("different", [["else"]], m=0.1, u=0.99),
            ],
        ),
        Comparison(
            "same_name_persons",
            "rule: people sharing a name are different unless ID numbers agree, or one is missing and "
            "nothing else (address town/village, county, prefecture) disagrees — in which case they are "
            "the same person",
            levels=[
                Level("not_person", [["party_kind_not", "person"]], fixed=0.0),
                Level("id_agrees", [["exact", "id_hash"]], fixed=0.0),
                Level(
                    "same_name_nothing_disagrees",
                    [["record_kind", "person"], ["exact", "core"], *_NOTHING_DISAGREES],
                    fixed=RULE_SAME_SUBJECT,
                    description="rule: the record names a person, the same name, ID numbers not both given, "
                    "nothing else disagrees — the same person (a different ID number is vetoed by id_number; "
                    "桂梅公司 names a company, not the person 桂梅)",
                ),
                Level("nothing_disagrees", _NOTHING_DISAGREES, fixed=0.0),
                Level("something_disagrees", [["else"]], fixed=-math.inf),
            ],
        ),
        Comparison(
            "branch",
            "分公司: a branch and its parent are different subjects",
            [
                _null("branch"),
                Level("same", [["exact", "branch"]], fixed=0.0),
                Level(
                    "parent_vs_branch",
                    [["else"]],
                    fixed=-math.inf,
                    description="rule: one is a branch (or another branch) of the other",
                ),
            ],
        ),
        Comparison(
            "address",
            "address parsed into town (镇/乡/街道) and village (村/社区)",
            levels=[
                Level("null", [["null", "town"], ["null", "village"]], fixed=0.0),
                Level("village", [["exact", "village"], ["not_differ", "town"]], m=0.5, u=1e-4),
                Level("town", [["exact", "town"], ["not_differ", "village"]], m=0.3, u=5e-3),
                Level("town_other_village", [["exact", "town"]], m=0.05, u=5e-3),
                Level("different", [["else"]], m=0.15, u=0.99),
            ],
        ),
        Comparison(
            "region",
            "GB/T 2260 region code of the record against the case's",
            [
                _null("prefecture"),
                Level("county", [["exact", "county"]], m=0.7, u=0.01),
                Level("prefecture_county_unknown", [["exact", "prefecture"], ["null", "county"]], m=0.1, u=0.01,
                      description="same prefecture, the record coded only to its prefecture"),
                Level("prefecture", [["exact", "prefecture"]], m=0.15, u=0.1,
                      description="same prefecture, different counties"),
                Level("province", [["exact", "province"]], m=0.04, u=0.5),
                Level("different", [["else"]], m=0.01, u=0.4),
            ],
        ),
        Comparison(
            "domain",
            "rule: the record's source fits the case's domain",
            [
                Level("fits", [["domain_fits"]], fixed=0.0),
                Level("incompatible", [["else"]], fixed=-math.inf),
            ],
        ),
        Comparison(
            "time_window",
            "rule: the record is dated no earlier than 365 days before the case opened",
            [
                Level("in_window", [["in_window"]], fixed=0.0),
                Level("too_early", [["else"]], fixed=-math.inf),
            ],
        ),
        Comparison(
            "public_body",
            "rule: a public-body subject counts only if the record cites one of the case's numbers",
            [
                Level("not_public_body", [["party_kind_not", "agency"]], fixed=0.0),
                Level("cites_case", [["cited_any"]], fixed=0.0),
                Level("uncited", [["else"]], fixed=-math.inf),
            ],
        ),
    ]
    blocking = [
        BlockingRule("credit_code", on=["credit"]),
        BlockingRule("id_number", on=["id_hash"]),
        BlockingRule("court_case_number", cites="court"),
        BlockingRule("doc_number", cites="doc"),
        BlockingRule("name_core", on=["block_prefecture", "core"], max_block=300),
        BlockingRule("name_sound", on=["block_prefecture", "sound"], max_block=300),
        BlockingRule(
            "trade_name_abbreviation",
            on=["block_prefecture", "zihao"],
            only=["company"],
            abbreviation=True,
            max_block=300,
        ),
        BlockingRule(
            "name_one_slip",
            on=["block_county"],
            deletions="sound",
            only=["company"],
            max_block=300,
            unless_blocked_by=["name_core", "name_sound"],
        ),
        BlockingRule("name_core_no_region", on=["core"], record_missing="block_prefecture", max_block=500),
        BlockingRule("name_sound_no_region", on=["sound"], record_missing="block_prefecture", max_block=500),
    ]
    sessions = [
        TrainingSession("name_core", ["company_name", "person_name", "agency_name", "branch"]),
        TrainingSession("credit_code", ["credit_code"]),
        TrainingSession("id_number", ["id_number", "same_name_persons"]),
        # a cited number pairs a record with every party of the case, only one of them its subject: that
        # block teaches nothing about how matching company or person names look — the credit code and
        # ID number blocks do
        TrainingSession("doc_number", ["doc_number", "court_case_number", "company_name", "person_name"]),
    ]
    return ModelSettings(comparisons=comparisons, blocking_rules=blocking, training_sessions=sessions)
