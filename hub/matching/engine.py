"""The linkage engine: cases and records in, proposed links with scores, decisions and explanations out.

Pure: no database, no files, no clock. The store integration (evidence, clocks, review queue) calls::

    engine = LinkageEngine()                      # or LinkageEngine(LinkageModel.load(path))
    batch = engine.prepare(cases, records)        # dicts / DataFrames / Arrow tables
    engine.train(batch)                           # u by sampling, m by EM (optional with a saved model)
    engine.train_from_labels(batch, labels)       # review decisions as labelled pairs
    result = engine.predict(batch, decided=...)   # LinkResult: .links DataFrame, .explanation(i)

``decided`` carries review decisions already taken — (record_id, case_id) → accepted? — so an accepted
pair is always linked and a rejected one never proposed again, whatever the model says.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from hub.matching.batch_io import cases_table, records_table
from hub.matching.blocking import BlockingStats, candidate_pairs
from hub.matching.comparisons import PairContext, gammas
from hub.matching.explain import build_explanation
from hub.matching.frames import Prepared, prepare
from hub.matching.model import LinkageModel, TermFrequencies
from hub.matching.settings import default_settings
from hub.matching.training import TrainingReport, estimate_from_labels, estimate_m_em, estimate_u

log = logging.getLogger(__name__)
ID_KEY_ENV = "PILHUB_MATCHING_ID_KEY"


@dataclass
class Batch:
    """Prepared inputs plus the scored candidate pairs (computed once, reused by train and predict)."""

    prep: Prepared
    rec: np.ndarray | None = None
    par: np.ndarray | None = None
    gam: np.ndarray | None = None
    stats: BlockingStats | None = None


@dataclass
class LinkResult:
    """Proposed links, one row per (record, case), with what is needed to explain each."""

    links: pd.DataFrame  # record_id, case_id, score, probability, decision
    model: LinkageModel
    prep: Prepared
    rec: np.ndarray
    par: np.ndarray
    gam: np.ndarray
    adj: np.ndarray
    stats: BlockingStats | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def explanation(self, i: int) -> dict[str, Any]:
        """Waterfall of the i-th row of ``links`` (see ``explain.py`` for the structure)."""
        row = self.links.iloc[i]
        return build_explanation(
            self.model,
            self.prep,
            int(self.rec[i]),
            int(self.par[i]),
            self.gam[i],
            self.adj[i],
            float(row["score"]),
            str(row["decision"]),
        )

    def explanations(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self.links)):
            yield self.explanation(i)

    def find(self, record_id: str, case_id: str) -> dict[str, Any] | None:
        hit = np.flatnonzero(
            (self.links["record_id"].to_numpy() == record_id) & (self.links["case_id"].to_numpy() == case_id)
        )
        return self.explanation(int(hit[0])) if len(hit) else None


def _id_key() -> bytes:
    env = os.environ.get(ID_KEY_ENV)
    return env.encode("utf-8") if env else secrets.token_bytes(32)


class LinkageEngine:
    """Fellegi–Sunter linkage of agency records to case parties (see docs/matching.md)."""

    def __init__(
        self,
        model: LinkageModel | None = None,
        *,
        id_key: bytes | None = None,
        on_stage: Callable[[str], None] | None = None,
    ) -> None:
        self.model = model or LinkageModel(default_settings())
        # A per-process random key unless one is configured: hashes are only compared within a run.
        # The store passes its blind-index key so hashes are comparable with stored ones.
        self._id_key = id_key or _id_key()
        self._on_stage = on_stage or (lambda stage: None)

    # ---- inputs ---------------------------------------------------------------------------------
    def prepare(self, cases: Any, records: Any) -> Batch:
        """Normalise both sides (dicts, DataFrames or Arrow tables in the batch line formats)."""
        self._on_stage("normalise")
        cases_t = cases if isinstance(cases, pa.Table) else cases_table(cases)
        records_t = records if isinstance(records, pa.Table) else records_table(records)
        return Batch(prep=prepare(cases_t, records_t, self._id_key))

    def _candidates(self, batch: Batch) -> None:
        if batch.gam is not None:
            return
        self._on_stage("block")
        batch.rec, batch.par, batch.stats = candidate_pairs(batch.prep, self.model.settings.blocking_rules)
        self._on_stage("compare")
        batch.gam = gammas(PairContext(batch.prep, batch.rec, batch.par), self.model.settings.comparisons)

    # ---- training -------------------------------------------------------------------------------
    def train(self, batch: Batch) -> TrainingReport:
        """Unsupervised: u from random pairs, m and λ by EM over the blocked candidate pairs."""
        report = TrainingReport()
        self._on_stage("train u")
        estimate_u(self.model, batch.prep, report)
        self._candidates(batch)
        self._on_stage("train m (EM)")
        estimate_m_em(self.model, batch.gam, batch.stats.members, batch.prep.records.n, batch.prep.parties.n, report)
        return report

    def train_from_labels(
        self, batch: Batch, labels: Iterable[tuple[str, str, bool]], pseudo_count: float = 50.0, update_u: bool = False
    ) -> TrainingReport:
        """Review decisions as labels: (record_id, case_id, accepted). Refines m (and optionally u)."""
        report = TrainingReport()
        lab = pd.DataFrame(list(labels), columns=["record_id", "case_id", "match"])
        if lab.empty:
            return report
        prep = batch.prep
        rec_index = pd.Series(np.arange(prep.records.n), index=prep.record_ids)
        rec_index = rec_index[~rec_index.index.duplicated()]
        lab = lab[lab["record_id"].isin(rec_index.index)]
        parties = pd.DataFrame({"case_id": prep.case_ids[prep.party_case], "par": np.arange(prep.parties.n)})
        pairs = lab.merge(parties, on="case_id")
        rec = rec_index.loc[pairs["record_id"]].to_numpy()
        par = pairs["par"].to_numpy()
        gam = gammas(PairContext(prep, rec, par), self.model.settings.comparisons)
        # for each labelled (record, case), the party the current model finds most alike
        score = self.model.score(gam, np.zeros(gam.shape))
        pairs = pairs.assign(score=score, row=np.arange(len(pairs)))
        best = pairs.sort_values("score", ascending=False).drop_duplicates(["record_id", "case_id"])
        rows = best["row"].to_numpy()
        estimate_from_labels(
            self.model,
            gam[rows],
            best["match"].to_numpy(dtype=bool),
            report,
            pseudo_count=pseudo_count,
            update_u=update_u,
        )
        return report

    # ---- prediction -----------------------------------------------------------------------------
    def predict(self, batch: Batch, *, decided: Mapping[tuple[str, str], bool] | None = None) -> LinkResult:
        """Score candidates, keep the best party per (record, case), decide link / review."""
        self._candidates(batch)
        prep, model = batch.prep, self.model
        model.batch_party_rows = prep.parties.n
        self._on_stage("score")
        ctx = PairContext(prep, batch.rec, batch.par)
        tf = TermFrequencies.from_prepared(prep, model.tf_fields())
        adj = model.tf_adjustments(ctx, batch.gam, tf)
        score = model.score(batch.gam, adj)
        link_bits, review_bits = model.thresholds_in_bits()

        # best party per (record, case): a record may concern several parties of one case
        case = prep.party_case[batch.par].astype(np.int64)
        key = batch.rec.astype(np.int64) * max(len(prep.case_ids), 1) + case
        order = np.lexsort((-score, key))
        first = np.ones(len(order), dtype=bool)
        first[1:] = key[order][1:] != key[order][:-1]
        best = order[first]
        best = best[score[best] >= review_bits] if decided is None else best[np.isfinite(score[best])]

        s = score[best]
        decision = np.where(s >= link_bits, "link", np.where(s >= review_bits, "review", "none"))
        links = pd.DataFrame(
            {
                "record_id": prep.record_ids[batch.rec[best]],
                "case_id": prep.case_ids[case[best]],
                "score": s,
                "probability": LinkageModel.probability(s),
                "decision": decision,
            }
        )
        if decided:
            verdict = np.array(
                [decided.get((r, c)) for r, c in zip(links["record_id"], links["case_id"], strict=True)], dtype=object
            )
            links.loc[verdict == True, "decision"] = "link"  # noqa: E712 — object array of True/False/None
            keep = (verdict != False) & (links["decision"].to_numpy() != "none")  # noqa: E712
            links, best = links[keep].reset_index(drop=True), best[keep]
        return LinkResult(
            links=links.reset_index(drop=True),
            model=model,
            prep=prep,
            rec=batch.rec[best],
            par=batch.par[best],
            gam=batch.gam[best],
            adj=adj[best],
            stats=batch.stats,
        )

    def run(self, cases: Any, records: Any, *, train: bool = True) -> LinkResult:
        """prepare → (train) → predict, the batch path of ``pilhub link``."""
        batch = self.prepare(cases, records)
        if train:
            self.train(batch)
        return self.predict(batch)
