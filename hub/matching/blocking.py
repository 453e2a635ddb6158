"""Candidate generation: the union of blocking rules, kept near-linear in the number of rows.

Each rule is an equi-join of records and case parties on integer keys, done by sorting the party keys
once and locating each record key with ``searchsorted`` — no pair is materialised unless it shares a
key. Two things keep the pair count linear:

* public bodies (agencies, governments) are joined only through the numbers a record cites (文号,
  案号), never by name: an agency addressed by 300 cases would otherwise pair each of its records with
  300 cases;
* a key shared by more than ``max_block`` party rows (a very common trade name in one prefecture) is
  skipped and counted, instead of exploding.

Domain, time-window and public-body gates of the truth rule are applied right after the union, so
pairs that can never be links cost nothing downstream.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from hub.matching.arrays import unique, unique_counts
from hub.matching.frames import KINDS, Prepared
from hub.matching.settings import BlockingRule
from hub.matching.truth import MAX_DAYS_BEFORE_OPENING

log = logging.getLogger(__name__)
AGENCY = KINDS.index("agency")


@dataclass
class BlockingStats:
    """What each rule contributed, for the run log and the benchmark."""

    pairs_by_rule: dict[str, int] = field(default_factory=dict)
    skipped_keys_by_rule: dict[str, int] = field(default_factory=dict)
    candidate_pairs: int = 0
    gated_pairs: int = 0
    # which rules proposed each kept pair (for EM training sessions)
    members: dict[str, np.ndarray] = field(default_factory=dict, repr=False)


def _expand(
    rec_keys: np.ndarray, rec_rows: np.ndarray, par_keys: np.ndarray, par_rows: np.ndarray, max_block: int | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """All (record row, party row) with equal keys; skip party keys more frequent than ``max_block``."""
    order = np.argsort(par_keys, kind="stable")
    pk, pr = par_keys[order], par_rows[order]
    skipped = 0
    if max_block is not None and len(pk):
        _uniq, counts = unique_counts(pk)
        big = counts > max_block
        skipped = int(big.sum())
        if skipped:
            drop = np.repeat(big, counts)
            pk, pr = pk[~drop], pr[~drop]
    left = np.searchsorted(pk, rec_keys, side="left")
    right = np.searchsorted(pk, rec_keys, side="right")
    counts = right - left
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), skipped
    rec = np.repeat(rec_rows, counts)
    starts = np.repeat(left, counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return rec.astype(np.int64), pr[starts + offsets].astype(np.int64), skipped


def _combined_key(codes: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Mixed-radix int64 key of several code columns; mask of rows with no null part."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    ok = np.ones(len(codes[0]), dtype=bool)
    for c, size in zip(codes, sizes, strict=True):
        ok &= c >= 0
        key = key * (size + 1) + np.maximum(c, 0)
    return key, ok


def _deletion_codes(prep: Prepared, fld: str, min_len: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(vocab code, deletion-variant id) for every one-character deletion of values ≥ ``min_len`` long."""
    vocab = prep.vocab[fld]
    variant_id: dict[str, int] = {}
    src: list[int] = []
    dst: list[int] = []
    for code, value in enumerate(vocab.tolist()):
        if len(value) < min_len:
            continue
        for i in range(len(value)):
            v = value[:i] + value[i + 1 :]
            vid = variant_id.setdefault(v, len(variant_id))
            src.append(code)
            dst.append(vid)
    return np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)


def _rule_pairs(
    prep: Prepared, rule: BlockingRule, stats: BlockingStats, blocked_records: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    R, P = prep.records, prep.parties
    rec_rows = np.arange(R.n)
    par_rows = np.arange(P.n)
    rec_ok = np.ones(R.n, dtype=bool)
    par_ok = P.kind != AGENCY  # public bodies: cited numbers only
    if rule.only:
        allowed = [KINDS.index(k) for k in rule.only]
        rec_ok &= np.isin(R.kind, allowed)
        par_ok &= np.isin(P.kind, allowed)
    if rule.record_missing:
        rec_ok &= R.codes[rule.record_missing] < 0
    for earlier in rule.unless_blocked_by or []:
        if earlier in blocked_records:
            rec_ok[blocked_records[earlier]] = False

    if rule.cites:
        return _cites_pairs(prep, rule.cites, rec_ok)
    if rule.typo:
        # a record identifier failing its check against party identifiers one character away: the 18
        # masked hashes of each side as keys (position is part of the hash)
        rmasks, pmasks = prep.masks[rule.typo]
        rsel = np.flatnonzero(rec_ok & (rmasks[:, 0] >= 0))
        psel = np.flatnonzero(par_ok & (pmasks[:, 0] >= 0))
        width = rmasks.shape[1]
        rec, par, skipped = _expand(
            rmasks[rsel].ravel(), np.repeat(rsel, width), pmasks[psel].ravel(), np.repeat(psel, width), rule.max_block
        )
        stats.skipped_keys_by_rule[rule.name] = skipped
        return rec, par

    sizes = [len(prep.vocab[f]) for f in rule.on]
    rkey, rmask = _combined_key([R.codes[f] for f in rule.on], sizes)
    pkey, pmask = _combined_key([P.codes[f] for f in rule.on], sizes)
    rec_ok &= rmask
    par_ok &= pmask

    if rule.deletions:
        src, dst = _deletion_codes(prep, rule.deletions)
        nvar = int(dst.max()) + 1 if len(dst) else 1
        # explode each row into its deletion variants: key = (on-key, variant)
        order = np.argsort(src, kind="stable")
        src, dst = src[order], dst[order]

        def explode(codes: np.ndarray, rows: np.ndarray, base_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            c = codes[rows]
            left = np.searchsorted(src, c, side="left")
            right = np.searchsorted(src, c, side="right")
            cnt = right - left
            tot = int(cnt.sum())
            starts = np.repeat(left, cnt) + np.arange(tot) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            out_rows = np.repeat(rows, cnt)
            return base_key[out_rows] * nvar + dst[starts], out_rows

        rsel = np.flatnonzero(rec_ok & (R.codes[rule.deletions] >= 0))
        psel = np.flatnonzero(par_ok & (P.codes[rule.deletions] >= 0))
        rk, rr = explode(R.codes[rule.deletions], rsel, rkey)
        pk, pr = explode(P.codes[rule.deletions], psel, pkey)
        rec, par, skipped = _expand(rk, rr, pk, pr, rule.max_block)
    elif rule.abbreviation:
        # one side is a bare trade name (core == 字号): 华龙公司 against 华龙化工
        core_is_zihao_r = _core_is_zihao(prep, R.codes)
        core_is_zihao_p = _core_is_zihao(prep, P.codes)
        r1 = np.flatnonzero(rec_ok & core_is_zihao_r)
        p1 = np.flatnonzero(par_ok)
        a_rec, a_par, s1 = _expand(rkey[r1], r1, pkey[p1], p1, rule.max_block)
        r2 = np.flatnonzero(rec_ok)
        p2 = np.flatnonzero(par_ok & core_is_zihao_p)
        b_rec, b_par, s2 = _expand(rkey[r2], r2, pkey[p2], p2, rule.max_block)
        rec, par, skipped = np.concatenate([a_rec, b_rec]), np.concatenate([a_par, b_par]), s1 + s2
    else:
        r1 = rec_rows[rec_ok]
        p1 = par_rows[par_ok]
        rec, par, skipped = _expand(rkey[r1], r1, pkey[p1], p1, rule.max_block)
    stats.skipped_keys_by_rule[rule.name] = skipped
    return rec, par


def _core_is_zihao(prep: Prepared, codes: dict[str, np.ndarray]) -> np.ndarray:
    core_vals = prep.vocab["core"]
    zihao_vals = prep.vocab["zihao"]
    c, z = codes["core"], codes["zihao"]
    ok = (c >= 0) & (z >= 0)
    out = np.zeros(len(c), dtype=bool)
    out[ok] = core_vals[c[ok]] == zihao_vals[z[ok]]
    return out


def _cites_pairs(prep: Prepared, ref: str, rec_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Records citing a case's number, paired with every party row (and the agency) of that case."""
    base = prep.ref_key_base(ref)
    table = prep.case_refs[ref]
    ref_code, ref_case = table % base, table // base
    rows = np.flatnonzero(rec_ok & (prep.records.codes[ref] >= 0))
    rec, case = _expand(prep.records.codes[ref][rows].astype(np.int64), rows, ref_code, ref_case, None)[:2]
    par_order = np.argsort(prep.party_case, kind="stable")
    rec2, par = _expand(case, rec, prep.party_case[par_order].astype(np.int64), par_order, None)[:2]
    return rec2, par


def candidate_pairs(prep: Prepared, rules: list[BlockingRule]) -> tuple[np.ndarray, np.ndarray, BlockingStats]:
    """Union of all rules' pairs, deduplicated and passed through the truth-rule gates."""
    stats = BlockingStats()
    keys = []
    n_par = max(prep.parties.n, 1)
    blocked_records: dict[str, np.ndarray] = {}
    for rule in rules:
        rec, par = _rule_pairs(prep, rule, stats, blocked_records)
        blocked_records[rule.name] = unique(rec)
        stats.pairs_by_rule[rule.name] = len(rec)
        keys.append(unique(rec * n_par + par))
        if stats.skipped_keys_by_rule.get(rule.name):
            log.info("blocking rule %s skipped %d over-common keys", rule.name, stats.skipped_keys_by_rule[rule.name])
    allkeys = unique(np.concatenate(keys)) if keys else np.empty(0, np.int64)
    rec, par = allkeys // n_par, allkeys % n_par
    stats.candidate_pairs = len(rec)
    keep = gate_mask(prep, rec, par)
    stats.gated_pairs = int((~keep).sum())
    kept = allkeys[keep]
    for rule, k in zip(rules, keys, strict=True):
        # both sorted and distinct: locate the rule's keys among the kept ones (np.isin re-sorts both)
        member = np.zeros(len(kept), dtype=bool)
        if len(kept) and len(k):
            pos = np.minimum(np.searchsorted(kept, k), len(kept) - 1)
            member[pos[kept[pos] == k]] = True
        stats.members[rule.name] = member
    return rec[keep], par[keep], stats


def gate_mask(prep: Prepared, rec: np.ndarray, par: np.ndarray) -> np.ndarray:
    """Pairs that pass the domain, time-window and public-body gates (truth.py) — cheap integer tests."""
    case = prep.party_case[par]
    fits = prep.compat[prep.case_domain[case], prep.record_source[rec]]
    in_window = prep.case_opened[case].astype(np.int64) - prep.record_date[rec] <= MAX_DAYS_BEFORE_OPENING
    keep = fits & in_window
    # public bodies need a cited number: look numbers up only for those rows (a small share)
    public = np.flatnonzero(keep & (prep.parties.kind[par] == AGENCY))
    cited = np.zeros(len(public), dtype=bool)
    for ref in ("doc", "court"):
        code = prep.records.codes[ref][rec[public]].astype(np.int64)
        keys = case[public].astype(np.int64) * prep.ref_key_base(ref) + code
        table = prep.case_refs[ref]
        if len(table):
            pos = np.minimum(np.searchsorted(table, keys), len(table) - 1)
            cited |= (table[pos] == keys) & (code >= 0)
    keep[public[~cited]] = False
    return keep
