"""Fellegi–Sunter scoring: level weights, term-frequency adjustments, prior, probability.

The score of a (record, case party) pair is its match weight in bits:

    score = prior + Σ_comparisons weight(level) [+ tf adjustment on levels that declare one]

with weight(level) = log2(m/u), prior = log2(λ / (1 − λ)) for λ the probability that two random
rows match, and the tf adjustment = log2(Σtf² / tf(value)): as in Splink, agreement on value v has
u ≈ tf(v) instead of the average, and Σtf² (the chance two random values agree) is that average, so
the adjustment is relative: agreeing on a trade name that one company in ten thousand has is stronger
evidence than agreeing on 华龙, which hundreds have, and the mean effect stays near zero.
Because the score is a plain sum, every link can be explained term by term (``explain.py``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hub.matching.arrays import unique
from hub.matching.comparisons import PairContext
from hub.matching.frames import KINDS, Prepared
from hub.matching.settings import ModelSettings

TF_FLOOR = 1e-7
TF_CLIP = 10.0


@dataclass
class TermFrequencies:
    """Relative frequency of each code of the fields some level adjusts on, counted over *subjects*.

    What makes agreement on 华龙 weak is that many different companies are called 华龙, not that one
    华龙 has many records: counted over rows, a company that is a party to forty cases and the subject
    of two hundred penalty records looks as common as a trade name two hundred companies share, and
    every true link to it is penalised. So a value is counted once per registration area it occurs in
    (distinct (value, county) over records and case parties) — by 企业名称登记管理规定 a name is
    unique within its registration area, so that count estimates how many subjects bear the value.
    Rows whose county is unknown add a value only if it is seen in no county at all.
    """

    freq: dict[str, np.ndarray]  # field → [kind, code] relative frequency
    collision: dict[str, np.ndarray]  # field → [kind] Σ tf²: chance two random values agree, the reference

    @classmethod
    def from_prepared(cls, prep: Prepared, fields: set[str], area: str = "block_county") -> TermFrequencies:
        """Counted per subject kind: 华龙 among companies, 王伟 among people, agencies apart."""
        freq, collision = {}, {}
        area_codes = np.concatenate([prep.records.codes[area], prep.parties.codes[area]]).astype(np.int64)
        kinds = np.concatenate([prep.records.kind, prep.parties.kind]).astype(np.int64)
        n_area = len(prep.vocab[area]) + 1
        for f in fields:
            n_vocab = len(prep.vocab[f])
            codes = np.concatenate([prep.records.codes[f], prep.parties.codes[f]]).astype(np.int64)
            freq[f] = np.full((len(KINDS), n_vocab), TF_FLOOR)
            collision[f] = np.full(len(KINDS), TF_FLOOR)
            for k in range(len(KINDS)):
                known = (codes >= 0) & (kinds == k)
                placed = known & (area_codes >= 0)
                units = unique(codes[placed] * n_area + area_codes[placed]) // n_area
                per_value = np.bincount(units, minlength=n_vocab).astype(np.float64)
                # values only ever seen without a county still name at least one subject
                seen = np.bincount(codes[known], minlength=n_vocab) > 0
                per_value[seen & (per_value == 0)] = 1.0
                tf = per_value / max(per_value.sum(), 1.0)
                freq[f][k] = np.maximum(tf, TF_FLOOR)
                collision[f][k] = max(float((tf**2).sum()), TF_FLOOR)
        return cls(freq, collision)


class LinkageModel:
    """Settings plus trained parameters; pure computation, no I/O besides JSON save/load."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        #: case-party rows of the batch being scored (set by the engine); with ``trained_party_rows`` it
        #: rescales λ for a pinned model applied to a store of another size
        self.batch_party_rows: int | None = None

    # ---- parameters ------------------------------------------------------------------------------
    def weight_table(self) -> list[np.ndarray]:
        """Per comparison, the weight of each level (−inf for rule gates)."""
        return [np.array([lv.weight() for lv in comp.levels], dtype=np.float64) for comp in self.settings.comparisons]

    @property
    def prior(self) -> float:
        lam = self.settings.probability_two_random_records_match
        trained = self.settings.trained_party_rows
        if trained and self.batch_party_rows and self.batch_party_rows > trained:
            # more party rows than in training: a random pair is that much less likely to match. Never
            # scaled up: a store with few open cases does not make each record likelier to concern one
            lam = lam * trained / self.batch_party_rows
        lam = min(max(lam, 1e-15), 1 - 1e-12)
        return math.log2(lam / (1 - lam))

    def tf_fields(self) -> set[str]:
        return {lv.tf for comp in self.settings.comparisons for lv in comp.levels if lv.tf}

    # ---- scoring -----------------------------------------------------------------------------------
    def tf_adjustments(self, ctx: PairContext, gam: np.ndarray, tf: TermFrequencies) -> np.ndarray:
        """(n_pairs, n_comparisons) bits added by term frequency (0 where the level has no tf)."""
        adj = np.zeros(gam.shape, dtype=np.float64)
        for k, comp in enumerate(self.settings.comparisons):
            for li, lv in enumerate(comp.levels):
                if not lv.tf:
                    continue
                rows = np.flatnonzero(gam[:, k] == li)
                if not len(rows):
                    continue
                codes = ctx.side("r", lv.tf)[rows]
                kinds = ctx.prep.parties.kind[ctx.par[rows]].astype(np.int64)
                ok = codes >= 0
                vals = np.zeros(len(rows))
                ref = tf.collision[lv.tf][kinds[ok]]
                vals[ok] = np.clip(np.log2(ref / tf.freq[lv.tf][kinds[ok], codes[ok]]), -TF_CLIP, TF_CLIP)
                adj[rows, k] = vals
        return adj

    def score(self, gam: np.ndarray, adj: np.ndarray) -> np.ndarray:
        """Match weight (bits) of each pair: prior + Σ level weights + tf adjustments."""
        total = np.full(len(gam), self.prior, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            for k, w in enumerate(self.weight_table()):
                total += w[gam[:, k]]
        return total + adj.sum(axis=1)

    @staticmethod
    def probability(score: np.ndarray | float) -> np.ndarray:
        s = np.clip(np.asarray(score, dtype=np.float64), -500, 500)
        return 1.0 / (1.0 + np.exp2(-s))

    def thresholds_in_bits(self) -> tuple[float, float]:
        """(link, review) thresholds converted from probabilities to match weights."""
        t = self.settings.thresholds

        def bits(p: float) -> float:
            p = min(max(p, 1e-12), 1 - 1e-12)
            return math.log2(p / (1 - p))

        return bits(t.link), bits(t.review)

    # ---- persistence -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"format": "pilhub-linkage-model/1", "settings": self.settings.to_dict()}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LinkageModel:
        return cls(ModelSettings.from_dict(d["settings"]))

    @classmethod
    def load(cls, path: str | Path) -> LinkageModel:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def parameters(self) -> list[dict[str, Any]]:
        """m, u and weight of every level — what ``docs/matching.md`` calls the model card."""
        out = []
        for comp in self.settings.comparisons:
            for lv in comp.levels:
                out.append(
                    {
                        "comparison": comp.name,
                        "level": lv.name,
                        "m": lv.m,
                        "u": lv.u,
                        "weight": lv.weight(),
                        "fixed": lv.fixed is not None,
                        "tf": lv.tf,
                    }
                )
        return out
