"""Evaluating comparison ladders on candidate pairs, whole columns at a time.

A candidate pair is (record row, party row). For each comparison the pair gets the index of the first
level whose conditions all hold (its *gamma*, as in Fellegi–Sunter / Splink). Conditions are named
predicates (``PREDICATES``) over the integer-coded fields of ``frames.Prepared``; string predicates
(prefix, edit distance, similarity) run on the *distinct* code pairs still undecided, with rapidfuzz's
multi-threaded ``cpdist``, so no Python code runs per candidate pair.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rapidfuzz import distance, process

from hub.matching.arrays import unique, unique_inverse
from hub.matching.frames import KINDS, Prepared
from hub.matching.settings import Comparison
from hub.matching.truth import MAX_DAYS_BEFORE_OPENING


class PairContext:
    """Candidate pairs plus cached per-pair gathers of the fields predicates need."""

    def __init__(self, prep: Prepared, rec: np.ndarray, par: np.ndarray) -> None:
        self.prep = prep
        self.rec = rec
        self.par = par
        self.n = len(rec)
        self._cache: dict[tuple[str, str], np.ndarray] = {}
        self._cited: dict[str, np.ndarray] = {}

    def side(self, which: str, fld: str) -> np.ndarray:
        key = (which, fld)
        if key not in self._cache:
            if which == "r":
                self._cache[key] = self.prep.records.codes[fld][self.rec]
            else:
                self._cache[key] = self.prep.parties.codes[fld][self.par]
        return self._cache[key]

    def cited(self, ref: str) -> np.ndarray:
        """Whether the record's reference number is one of its case's (all pairs)."""
        if ref not in self._cited:
            prep = self.prep
            hit = np.zeros(self.n, dtype=bool)
            table = prep.case_refs[ref]
            code = prep.records.codes[ref][self.rec]
            rows = np.flatnonzero(code >= 0)  # most records cite nothing: look up only those that do
            if len(table) and len(rows):
                case = prep.party_case[self.par[rows]].astype(np.int64)
                keys = case * prep.ref_key_base(ref) + code[rows]
                pos = np.minimum(np.searchsorted(table, keys), len(table) - 1)
                hit[rows] = table[pos] == keys
            self._cited[ref] = hit
        return self._cited[ref]

    def lengths(self, fld: str) -> np.ndarray:
        """Character length of every vocabulary value of ``fld``."""
        key = ("len", fld)
        if key not in self._cache:
            vocab = self.prep.vocab[fld]
            self._cache[key] = np.fromiter((len(v) for v in vocab), dtype=np.int32, count=len(vocab))
        return self._cache[key]

    def end_chars(self, fld: str) -> tuple[np.ndarray, np.ndarray]:
        """Code point of the first and of the last character of every vocabulary value of ``fld``."""
        key = ("ends", fld)
        if key not in self._cache:
            vocab = self.prep.vocab[fld]
            first = np.fromiter((ord(v[0]) if v else -1 for v in vocab), dtype=np.int64, count=len(vocab))
            last = np.fromiter((ord(v[-1]) if v else -1 for v in vocab), dtype=np.int64, count=len(vocab))
            self._cache[key] = first
            self._cache[("ends_last", fld)] = last
        return self._cache[key], self._cache[("ends_last", fld)]

    def case_has_ref(self, ref: str) -> np.ndarray:
        prep = self.prep
        base = prep.ref_key_base(ref)
        cases_with = unique(prep.case_refs[ref] // base)
        return np.isin(prep.party_case[self.par], cases_with)


Predicate = Callable[[PairContext, np.ndarray, list], np.ndarray]


def _pairs_of(ctx: PairContext, sel: np.ndarray, fld: str) -> tuple[np.ndarray, np.ndarray]:
    return ctx.side("r", fld)[sel], ctx.side("p", fld)[sel]


def _null(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    a, b = _pairs_of(ctx, sel, args[0])
    return (a < 0) | (b < 0)


def _exact(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    a, b = _pairs_of(ctx, sel, args[0])
    return (a >= 0) & (a == b)


def _not_differ(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    a, b = _pairs_of(ctx, sel, args[0])
    return (a < 0) | (b < 0) | (a == b)


def _on_distinct(
    ctx: PairContext, sel: np.ndarray, fld: str, fn: Callable[[list[str], list[str]], np.ndarray]
) -> np.ndarray:
    """Apply a string function to the distinct (record value, party value) pairs among ``sel``."""
    a, b = _pairs_of(ctx, sel, fld)
    ok = (a >= 0) & (b >= 0)
    out = np.zeros(len(sel), dtype=bool)
    if not ok.any():
        return out
    vocab = ctx.prep.vocab[fld]
    key = a[ok].astype(np.int64) * (len(vocab) + 1) + b[ok]
    uniq, inv = unique_inverse(key)
    ua = vocab[uniq // (len(vocab) + 1)].tolist()
    ub = vocab[uniq % (len(vocab) + 1)].tolist()
    out[ok] = fn(ua, ub)[inv]
    return out


def _prefix(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    return _on_distinct(
        ctx,
        sel,
        args[0],
        lambda a, b: np.array([x.startswith(y) or y.startswith(x) for x, y in zip(a, b, strict=True)]),
    )


def _levenshtein_le(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    fld, k = args[0], int(args[1])
    out = np.zeros(len(sel), dtype=bool)
    a, b = _pairs_of(ctx, sel, fld)
    ok = (a >= 0) & (b >= 0)
    # cheap necessary conditions first, on integer columns: lengths within k, and for one edit the
    # first or the last character in common (unless a side has at most one) — most pairs, random
    # ones above all, stop here
    lengths = ctx.lengths(fld)
    ok[ok] = np.abs(lengths[a[ok]] - lengths[b[ok]]) <= k
    if k == 1:
        first, last = ctx.end_chars(fld)
        x, y = a[ok], b[ok]
        ok[ok] = (first[x] == first[y]) | (last[x] == last[y]) | (np.minimum(lengths[x], lengths[y]) <= 1)
    rows = np.flatnonzero(ok)
    if len(rows):
        out[rows] = _on_distinct(
            ctx,
            sel[rows],
            fld,
            lambda x, y: (
                process.cpdist(x, y, scorer=distance.Levenshtein.distance, score_cutoff=k + 1, workers=-1) <= k
            ),
        )
    return out


def _similarity_ge(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    t = float(args[1])
    return _on_distinct(
        ctx,
        sel,
        args[0],
        lambda a, b: process.cpdist(a, b, scorer=distance.Indel.normalized_similarity, workers=-1) >= t,
    )


def _min_length(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    fld, n = args[0], int(args[1])
    lengths = ctx.lengths(fld)
    a, b = _pairs_of(ctx, sel, fld)
    return (a >= 0) & (b >= 0) & (lengths[np.maximum(a, 0)] >= n) & (lengths[np.maximum(b, 0)] >= n)


def _cited(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    return ctx.cited(args[0])[sel]


def _null_ref(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    ref = args[0]
    rec_null = ctx.prep.records.codes[ref][ctx.rec[sel]] < 0
    return rec_null | ~ctx.case_has_ref(ref)[sel]


def _cited_any(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    return ctx.cited("doc")[sel] | ctx.cited("court")[sel]


def _domain_fits(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    prep = ctx.prep
    dom = prep.case_domain[prep.party_case[ctx.par[sel]]]
    src = prep.record_source[ctx.rec[sel]]
    return prep.compat[dom, src]


def _in_window(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    prep = ctx.prep
    opened = prep.case_opened[prep.party_case[ctx.par[sel]]].astype(np.int64)
    date = prep.record_date[ctx.rec[sel]].astype(np.int64)
    return opened - date <= MAX_DAYS_BEFORE_OPENING


def _party_kind_not(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    return ctx.prep.parties.kind[ctx.par[sel]] != KINDS.index(args[0])


def _record_kind_not(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    """The record's subject, as its name reads (or an ID number shows), is not of this kind."""
    return ctx.prep.records.kind[ctx.rec[sel]] != KINDS.index(args[0])


def _record_kind(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    return ~_record_kind_not(ctx, sel, args)


def _one_substitution(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    """The record's identifier fails its check and is one character from the party's valid one (a typo)."""
    masks = ctx.prep.masks.get(args[0])
    if masks is None:
        return np.zeros(len(sel), dtype=bool)
    rm, pm = masks[0][ctx.rec[sel]], masks[1][ctx.par[sel]]
    return ((rm == pm) & (rm >= 0)).any(axis=1)


def _else(ctx: PairContext, sel: np.ndarray, args: list) -> np.ndarray:
    return np.ones(len(sel), dtype=bool)


PREDICATES: dict[str, Predicate] = {
    "null": _null,
    "exact": _exact,
    "not_differ": _not_differ,
    "prefix": _prefix,
    "levenshtein_le": _levenshtein_le,
    "similarity_ge": _similarity_ge,
    "min_length": _min_length,
    "cited": _cited,
    "null_ref": _null_ref,
    "cited_any": _cited_any,
    "domain_fits": _domain_fits,
    "in_window": _in_window,
    "party_kind_not": _party_kind_not,
    "record_kind_not": _record_kind_not,
    "record_kind": _record_kind,
    "one_substitution": _one_substitution,
    "else": _else,
}


def gamma(ctx: PairContext, comparison: Comparison) -> np.ndarray:
    """Level index of every pair for one comparison (first level whose conditions all hold)."""
    out = np.full(ctx.n, len(comparison.levels) - 1, dtype=np.int8)
    remaining = np.arange(ctx.n)
    for li, level in enumerate(comparison.levels):
        if not len(remaining):
            break
        keep = np.ones(len(remaining), dtype=bool)
        for cond in level.when:
            cur = np.flatnonzero(keep)
            if not len(cur):
                break
            holds = PREDICATES[cond[0]](ctx, remaining[cur], cond[1:])
            keep[cur[~holds]] = False
        out[remaining[keep]] = li
        remaining = remaining[~keep]
    return out


def gammas(ctx: PairContext, comparisons: list[Comparison]) -> np.ndarray:
    """(n_pairs, n_comparisons) int8 matrix of levels."""
    mat = np.empty((ctx.n, len(comparisons)), dtype=np.int8)
    for k, comp in enumerate(comparisons):
        mat[:, k] = gamma(ctx, comp)
    return mat
