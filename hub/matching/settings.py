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
    # pair a record whose identifier fails its check with parties whose valid identifier is one character
    # away (``credit_typo`` / ``id_typo``: masked hashes, see ``identifiers.typo_masks``)
    typo: str | None = None


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
    # case-party rows of the batch the model was trained on. λ is per random (record, party) pair, so a
    # pinned model applied to a store with more party rows scales it down (the expected number of true
    # parties per record, λ × party rows, is what carries over); never up (see ``LinkageModel.prior``).
    trained_party_rows: int | None = None

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
        return cls(comparisons=comps, blocking_rules=rules, thresholds=thresholds, training_sessions=sessions, **rest)

    def comparison(self, name: str) -> Comparison:
        for c in self.comparisons:
            if c.name == name:
                return c
        raise KeyError(name)


def default_settings() -> ModelSettings:
    """The shipped model: ``hub/matching/settings.yaml``, validated against its published schema."""
    from hub.matching.settings_file import load_settings

    return load_settings()
