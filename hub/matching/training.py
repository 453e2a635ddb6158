"""Estimating m and u: u by random sampling, m by expectation maximisation, or m from labelled pairs.

Training is separate from prediction (as in Splink): it writes m/u into the model's settings, which
can be saved and reused. Only levels without a fixed weight are estimated; pairs that a rule gate
rejects are left out of EM, since the rule, not the data, decides them.

* u — the chance a level occurs among non-matching pairs — from uniformly random (record, party)
  pairs, nearly all of which are non-matches;
* m — its chance among matches — by EM over the blocked candidate pairs, iterating on the distinct
  comparison patterns (a few thousand) rather than on millions of pairs;
* labelled pairs (review decisions: accepted = match, rejected = non-match) refine m, blended with
  the current estimate so a handful of labels nudges rather than flips.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hub.matching.arrays import unique_counts
from hub.matching.comparisons import PREDICATES, PairContext, gammas
from hub.matching.frames import Prepared
from hub.matching.model import LinkageModel


@dataclass
class TrainingReport:
    u_pairs: int = 0
    em_pairs: int = 0
    em_patterns: int = 0
    em_iterations: int = 0
    lambda_blocked: float = 0.0
    labelled_matches: int = 0
    labelled_non_matches: int = 0


def _trained_levels(model: LinkageModel) -> list[list[int]]:
    return [[i for i, lv in enumerate(c.levels) if lv.trained] for c in model.settings.comparisons]


def _evidence_levels(model: LinkageModel) -> list[list[int]]:
    """Levels that share the probability mass of m and u: all but the null level."""
    return [[i for i, lv in enumerate(c.levels) if not lv.is_null] for c in model.settings.comparisons]


def _random_pairs(
    prep: Prepared, n: int, rng: np.random.Generator, within: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """n uniformly random (record, party) pairs; with ``within``, pairs sharing that field's value."""
    rec = rng.integers(0, prep.records.n, n)
    if within is None:
        return rec, rng.integers(0, prep.parties.n, n)
    rcode = prep.records.codes[within][rec]
    pcode = prep.parties.codes[within]
    order = np.argsort(pcode, kind="stable")
    sorted_codes = pcode[order]
    left = np.searchsorted(sorted_codes, rcode, side="left")
    right = np.searchsorted(sorted_codes, rcode, side="right")
    ok = (rcode >= 0) & (right > left)
    pick = left[ok] + (rng.random(int(ok.sum())) * (right[ok] - left[ok])).astype(np.int64)
    return rec[ok], order[pick]


def _obvious_matches(prep: Prepared, rec: np.ndarray, par: np.ndarray) -> np.ndarray:
    """Sampled pairs agreeing on a credit code or ID hash: matches, to keep out of a u sample."""
    hit = np.zeros(len(rec), dtype=bool)
    for f in ("credit", "id_hash"):
        a, b = prep.records.codes[f][rec], prep.parties.codes[f][par]
        hit |= (a >= 0) & (a == b)
    return hit


def estimate_u(model: LinkageModel, prep: Prepared, report: TrainingReport) -> None:
    """u of every trained level from random (record, party) pairs (nearly all non-matches).

    Comparisons that declare ``u_within`` are sampled among pairs sharing that field (see
    ``settings.Comparison``); pairs agreeing on a credit code or ID hash are dropped from the
    sample, since within a region random pairs include a few true matches.
    """
    s = model.settings
    if prep.records.n == 0 or prep.parties.n == 0:
        return
    wanted = max(s.u_sample_pairs, int(s.u_sample_per_party * prep.parties.n))
    n = int(min(wanted, prep.records.n * prep.parties.n))
    groups: dict[str | None, list[int]] = {}
    for k, comp in enumerate(s.comparisons):
        if any(lv.trained for lv in comp.levels):  # the rules' gates have nothing to estimate
            groups.setdefault(comp.u_within, []).append(k)
    evidence = _evidence_levels(model)
    for within, ks in groups.items():
        rng = np.random.default_rng(s.u_seed)
        rec, par = _random_pairs(prep, n, rng, within)
        if within is not None:
            keep = ~_obvious_matches(prep, rec, par)
            rec, par = rec[keep], par[keep]
        if not len(rec):
            continue
        ctx = PairContext(prep, rec, par)
        gam = gammas(ctx, [s.comparisons[k] for k in ks])
        report.u_pairs += len(rec)
        for j, k in enumerate(ks):
            comp = s.comparisons[k]
            levels = evidence[k]
            col = gam[:, j]
            if comp.u_exclude_when:
                excluded = np.ones(len(rec), dtype=bool)
                for cond in comp.u_exclude_when:
                    excluded &= PREDICATES[cond[0]](ctx, np.arange(len(rec)), cond[1:])
                col = col[~excluded]
            counts = np.bincount(col, minlength=len(comp.levels)).astype(np.float64)
            total = counts[levels].sum()
            for li in levels:
                if comp.levels[li].trained:
                    # +0.5 pseudo-count: a level never seen among random pairs is rare, not impossible.
                    comp.levels[li].u = float((counts[li] + 0.5) / (total + 0.5 * len(levels)))


def _patterns(gam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct comparison vectors and their counts (rows packed into int64 keys: fast unique)."""
    if gam.shape[1] > 16 or (len(gam) and int(gam.max()) > 15):
        uniq, counts = np.unique(gam, axis=0, return_counts=True)
        return uniq, counts.astype(np.float64)
    key = np.zeros(len(gam), dtype=np.int64)
    for k in range(gam.shape[1]):
        key = (key << 4) | gam[:, k].astype(np.int64)
    ukey, counts = unique_counts(key)
    uniq = np.empty((len(ukey), gam.shape[1]), dtype=np.int8)
    for k in range(gam.shape[1] - 1, -1, -1):
        uniq[:, k] = ukey & 15
        ukey = ukey >> 4
    return uniq, counts.astype(np.float64)


def _log_bf_tables(model: LinkageModel, use: list[bool]) -> list[np.ndarray]:
    """Per comparison, ln(m/u) of each level (0 for null, fixed or unused comparisons)."""
    out = []
    for k, comp in enumerate(model.settings.comparisons):
        t = np.zeros(len(comp.levels))
        if use[k]:
            for li, lv in enumerate(comp.levels):
                if lv.trained:
                    t[li] = math.log(max(lv.m or 1e-9, 1e-9)) - math.log(max(lv.u or 1e-12, 1e-12))
        out.append(t)
    return out


def _posterior(pat: np.ndarray, tables: list[np.ndarray], lam: float) -> np.ndarray:
    z = np.full(len(pat), math.log(lam) - math.log(1 - lam))
    for k, t in enumerate(tables):
        z += t[pat[:, k]]
    return 1.0 / (1.0 + np.exp(-np.clip(z, -700, 700)))


def _em_session(
    model: LinkageModel, pat: np.ndarray, cnt: np.ndarray, use: list[bool], iterations: int, tol: float
) -> tuple[dict[tuple[int, int], float], float, int]:
    """EM over one session's patterns; returns m estimates of the comparisons in use, λ, iterations."""
    s = model.settings
    trained = _trained_levels(model)
    evidence = _evidence_levels(model)
    m_est: dict[tuple[int, int], float] = {
        (k, li): s.comparisons[k].levels[li].m or 0.5 for k in range(len(use)) if use[k] for li in trained[k]
    }
    lam, done = 0.5, 0
    for step in range(1, iterations + 1):
        done = step
        tables = []
        for k, comp in enumerate(s.comparisons):
            t = np.zeros(len(comp.levels))
            if use[k]:
                for li in trained[k]:
                    t[li] = math.log(max(m_est[(k, li)], 1e-9)) - math.log(max(comp.levels[li].u or 1e-12, 1e-12))
            tables.append(t)
        wpost = _posterior(pat, tables, lam) * cnt
        change = 0.0
        for k in range(len(use)):
            if not use[k] or not trained[k]:
                continue
            mass = {li: wpost[pat[:, k] == li].sum() for li in evidence[k]}
            total = sum(mass.values())
            if total <= 0:
                continue
            for li in trained[k]:
                new_m = float(max(mass[li] / total, 1e-6))
                change = max(change, abs(new_m - m_est[(k, li)]))
                m_est[(k, li)] = new_m
        new_lam = float(min(max(wpost.sum() / cnt.sum(), 1e-6), 1 - 1e-6))
        change = max(change, abs(new_lam - lam))
        lam = new_lam
        if change < tol:
            break
    return m_est, lam, done


def estimate_m_em(
    model: LinkageModel,
    gam: np.ndarray,
    members: dict[str, np.ndarray],
    n_records: int,
    n_parties: int,
    report: TrainingReport,
) -> None:
    """m by EM sessions (one per training blocking rule), then λ over all candidate pairs.

    In a session on pairs that share, say, a name, the name comparison is held out: inside that block
    it agrees for matches and non-matches alike. Each comparison's m is the mean over the sessions
    that estimated it. λ is then fitted with m and u fixed, over all candidates, and scaled from
    "among candidates" to "among all pairs", the prior the weights assume.
    """
    s = model.settings
    weights = model.weight_table()
    finite = np.ones(len(gam), dtype=bool)
    for k, w in enumerate(weights):
        finite &= np.isfinite(w[gam[:, k]])
    names = [c.name for c in s.comparisons]
    sums: dict[tuple[int, int], list[float]] = {}
    for sess in s.training_sessions:
        member = members.get(sess.blocking_rule)
        if member is None:
            continue
        rows = gam[finite & member]
        if len(rows) < 20:
            continue
        use = [n not in sess.fixed_comparisons for n in names]
        pat, cnt = _patterns(rows)
        m_est, _lam, its = _em_session(model, pat, cnt, use, s.em_iterations, s.em_convergence)
        report.em_pairs += len(rows)
        report.em_patterns += len(pat)
        report.em_iterations += its
        for key, v in m_est.items():
            sums.setdefault(key, []).append(v)
    for (k, li), vals in sums.items():
        s.comparisons[k].levels[li].m = float(np.mean(vals))
    # λ over all gated candidates with m, u fixed
    rows = gam[finite]
    if len(rows) == 0:
        return
    pat, cnt = _patterns(rows)
    tables = _log_bf_tables(model, [True] * len(names))
    lam = 0.5
    for _ in range(50):
        new_lam = float(min(max((_posterior(pat, tables, lam) * cnt).sum() / cnt.sum(), 1e-9), 1 - 1e-9))
        if abs(new_lam - lam) < 1e-7:
            lam = new_lam
            break
        lam = new_lam
    report.lambda_blocked = lam
    s.probability_two_random_records_match = lam * len(rows) / max(n_records * n_parties, 1)
    s.trained_party_rows = int(n_parties)


def estimate_from_labels(
    model: LinkageModel,
    gam: np.ndarray,
    is_match: np.ndarray,
    report: TrainingReport,
    pseudo_count: float = 50.0,
    update_u: bool = False,
) -> None:
    """Blend m (from labelled matches) — and, if asked, u (from non-matches) — into the current estimates.

    ``pseudo_count`` is how many labels the current estimate is worth: with few labels the model moves
    a little, with thousands it follows the labels. u is left alone by default because rejected
    review items are *hard* negatives (they looked like matches), not a sample of non-matches; pass
    ``update_u`` only with a labelled sample drawn at random.
    """
    s = model.settings
    report.labelled_matches = int(is_match.sum())
    report.labelled_non_matches = int((~is_match).sum())
    trained = _trained_levels(model)
    for k, levels in enumerate(_evidence_levels(model)):
        comp = s.comparisons[k]
        targets = [("m", gam[is_match, k])] + ([("u", gam[~is_match, k])] if update_u else [])
        for attr, rows in targets:
            counts = np.bincount(rows, minlength=len(comp.levels)).astype(np.float64)
            total = counts[levels].sum()
            if total == 0:
                continue
            for li in trained[k]:
                current = getattr(comp.levels[li], attr) or 1e-6
                blended = (counts[li] + pseudo_count * current) / (total + pseudo_count)
                setattr(comp.levels[li], attr, float(max(blended, 1e-9)))
