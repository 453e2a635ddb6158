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

from hub.matching.comparisons import PairContext
from hub.matching.frames import Prepared
from hub.matching.settings import ModelSettings

TF_FLOOR = 1e-7
TF_CLIP = 10.0


@dataclass
class TermFrequencies:
    """Relative frequency of each code of the fields some level adjusts on (records + parties)."""

    freq: dict[str, np.ndarray]
    collision: dict[str, float]  # Σ tf²: chance two random values agree, the average the adjustment is relative to

    @classmethod
    def from_prepared(cls, prep: Prepared, fields: set[str]) -> TermFrequencies:
        freq, collision = {}, {}
        for f in fields:
            codes = np.concatenate([prep.records.codes[f], prep.parties.codes[f]])
            codes = codes[codes >= 0]
            counts = np.bincount(codes, minlength=len(prep.vocab[f])).astype(np.float64)
            tf = counts / max(len(codes), 1)
            freq[f] = np.maximum(tf, TF_FLOOR)
            collision[f] = float(max((tf**2).sum(), TF_FLOOR))
        return cls(freq, collision)


class LinkageModel:
    """Settings plus trained parameters; pure computation, no I/O besides JSON save/load."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings

    # ---- parameters ------------------------------------------------------------------------------
    def weight_table(self) -> list[np.ndarray]:
        """Per comparison, the weight of each level (−inf for rule gates)."""
        return [np.array([lv.weight() for lv in comp.levels], dtype=np.float64) for comp in self.settings.comparisons]

    @property
    def prior(self) -> float:
        lam = min(max(self.settings.probability_two_random_records_match, 1e-15), 1 - 1e-12)
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
                ok = codes >= 0
                vals = np.zeros(len(rows))
                vals[ok] = np.clip(np.log2(tf.collision[lv.tf] / tf.freq[lv.tf][codes[ok]]), -TF_CLIP, TF_CLIP)
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
