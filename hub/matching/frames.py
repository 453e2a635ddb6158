"""Turning cases and records into aligned integer columns the comparisons work on.

Each attribute (name core, sound key, address town, credit code …) gets one vocabulary shared by both
sides, and every row holds an int32 code (−1 for null). Equality is then an integer comparison, term
frequencies are counts of codes, and string similarity runs only on the distinct code pairs that need
it. Case parties are the units records are compared with: one row per party, plus one for the case's
addressee agency, each carrying its case's domain, opening date and region.

Raw resident ID numbers are hashed here with the engine's key and dropped; nothing downstream sees them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hub.matching.arrays import unique, unique_counts
from hub.matching.chars import CHAR_KEYS
from hub.matching.identifiers import (
    hash_id_numbers,
    normalise_reference_numbers,
    typo_masks,
    valid_credit_codes,
)
from hub.matching.normalise import Gazetteer, name_parts, parse_addresses, region_levels, same_sounding_as_one
from hub.matching.truth import DOMAIN_SOURCES, SOURCES, domain_compatibility_matrix

KINDS: tuple[str, ...] = ("company", "person", "agency")
NO_DATE_LATE = np.iinfo(np.int32).max  # a record without a date is never "too early"
NO_DATE_EARLY = np.iinfo(np.int32).min // 2  # a case without an opening date accepts any record
DOMAINS: tuple[str, ...] = (*sorted(DOMAIN_SOURCES), "other")


@dataclass
class Side:
    """One side of the comparison (records, or case parties) as aligned numpy columns."""

    n: int
    kind: np.ndarray  # int8 index into KINDS
    codes: dict[str, np.ndarray] = field(default_factory=dict)  # int32, −1 = null


@dataclass
class Prepared:
    """Both sides plus the shared vocabularies; what blocking, comparisons and training consume."""

    records: Side
    parties: Side
    record_ids: np.ndarray  # object array of str
    record_source: np.ndarray  # int8 index into SOURCES (len(SOURCES) = unknown)
    record_date: np.ndarray  # int32 days since epoch
    party_case: np.ndarray  # int32 case index of each party row
    case_ids: np.ndarray  # object array of str
    case_domain: np.ndarray  # int8 index into DOMAINS
    case_opened: np.ndarray  # int32 days since epoch
    case_refs: dict[str, np.ndarray]  # "doc"/"court" → sorted int64 keys case_idx * V + code
    vocab: dict[str, np.ndarray]  # field → object array of strings (code → value)
    compat: np.ndarray  # bool [domain, source]
    party_names: np.ndarray  # object array: display name of each party (for explanations)
    record_names: np.ndarray  # object array: display name of each record's subject
    # "credit_typo" / "id_typo" → (record, party) (n, 18) int64 masked hashes (−1: none), for the typo levels
    masks: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def ref_key_base(self, name: str) -> int:
        return len(self.vocab[name]) + 1


def _days(values: pa.Array, missing: int) -> np.ndarray:
    arr = pc.utf8_slice_codeunits(pc.cast(values, pa.string()), 0, 10)
    arr = pc.replace_substring(arr, pattern="/", replacement="-")
    ts = pc.strptime(arr, format="%Y-%m-%d", unit="s", error_is_null=True)
    days = pc.cast(pc.cast(ts, pa.date32()), pa.int32())
    return pc.fill_null(days, missing).to_numpy(zero_copy_only=False).astype(np.int32)


def _encode(rec: pa.Array, par: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shared dictionary codes for the record and party values of one attribute."""
    both = pa.concat_arrays([pc.cast(rec, pa.string()), pc.cast(par, pa.string())])
    enc = pc.dictionary_encode(both)
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    vocab = np.asarray(enc.dictionary.to_pylist(), dtype=object)
    return codes[: len(rec)], codes[len(rec) :], vocab


def _gather(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """values[idx] where idx ≥ 0, else −1 (int32)."""
    out = np.full(len(idx), -1, dtype=np.int32)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


def _encode_np(rec: np.ndarray, par: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Same as ``_encode`` for integer columns where −1 means unknown (region codes)."""
    both = np.concatenate([rec, par])
    vocab = unique(both[both >= 0])
    codes = np.searchsorted(vocab, both).astype(np.int32)
    codes[both < 0] = -1
    return codes[: len(rec)], codes[len(rec) :], vocab.astype(str).astype(object)


def _region_from_address(
    rec_code: np.ndarray,
    par_code: np.ndarray,
    a_idx: np.ndarray,
    n_rec: int,
    addr_parts: dict[str, pa.Array],
    tokens: tuple[str, ...],
) -> np.ndarray:
    """Record region codes, filled from address tokens where the code is missing (−1).

    The token → code table is learned from case parties: the code most parties whose address
    carries that token belong to.
    """
    out = rec_code.copy()
    rec_a, par_a = a_idx[:n_rec], a_idx[n_rec:]
    for token in tokens:
        need = np.flatnonzero((out < 0) & (rec_a >= 0))
        if not len(need):
            break
        enc = pc.dictionary_encode(addr_parts[token])
        tok = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        p_ok = (par_a >= 0) & (par_code >= 0)
        p_tok = tok[par_a[p_ok]]
        p_val = par_code[p_ok]
        keep = p_tok >= 0
        if not keep.any():
            continue
        # most common code per token
        pairs, counts = np.unique(np.stack([p_tok[keep], p_val[keep]]), axis=1, return_counts=True)
        order = np.lexsort((-counts, pairs[0]))
        first = np.ones(len(order), dtype=bool)
        first[1:] = pairs[0][order][1:] != pairs[0][order][:-1]
        table = np.full(len(enc.dictionary) + 1, -1, dtype=np.int64)
        table[pairs[0][order][first]] = pairs[1][order][first]
        r_tok = tok[rec_a[need]]
        out[need] = np.where(r_tok >= 0, table[np.maximum(r_tok, 0)], -1)
    return out


def _county_from_name(
    rec_county: np.ndarray,
    rec_pref: np.ndarray,
    par_county: np.ndarray,
    rec_kind: np.ndarray,
    par_kind: np.ndarray,
    codes_rec: dict[str, np.ndarray],
    codes_par: dict[str, np.ndarray],
    vocab: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Blocking county (and prefecture) of company records that have none, from where the name is registered.

    A company name is unique within its registration area (企业名称登记管理规定) and carries the
    area's prefix, which clerks drop. When every record and case party that shows a county *and*
    bears this exact name (core and branch) shows the same one, that county is where the name is
    registered, and a record without region or address that bears the name is placed there — the
    same move as ``_region_from_address``, with the name as the token. Names seen in two counties
    (namesakes, a parent and its branch) stay unknown, as do bare trade names (华龙公司), which
    different businesses of one 字号 share; people are never placed, since the rule's same-name
    clause is about exactly the details a record does not show.
    """
    company = KINDS.index("company")
    n_branch = max(int(codes_rec["branch"].max(initial=-1)), int(codes_par["branch"].max(initial=-1))) + 2

    def name_key(codes: dict[str, np.ndarray], kind: np.ndarray) -> np.ndarray:
        core, branch, zihao = codes["core"].astype(np.int64), codes["branch"].astype(np.int64), codes["zihao"]
        named = (kind == company) & (core >= 0) & (zihao >= 0)
        rows = np.flatnonzero(named)
        named[rows] = vocab["core"][core[rows]] != vocab["zihao"][zihao[rows]]  # not a bare trade name
        return np.where(named, core * n_branch + branch + 1, -1)

    rkey, pkey = name_key(codes_rec, rec_kind), name_key(codes_par, par_kind)
    keys = np.concatenate([rkey, pkey])
    county = np.concatenate([rec_county, par_county]).astype(np.int64)
    seen = (keys >= 0) & (county >= 0)
    if not seen.any():
        return rec_county, rec_pref
    pairs = unique(keys[seen] * 1_000_000 + county[seen])  # county codes are six digits
    pk, pc_ = pairs // 1_000_000, pairs % 1_000_000
    uk, counts = unique_counts(pk)  # pk is sorted: each key's first pair starts its run
    sole = counts == 1
    sole_key, sole_county = uk[sole], pc_[(np.cumsum(counts) - counts)[sole]]
    need = np.flatnonzero((rec_county < 0) & (rkey >= 0))
    if not len(sole_key) or not len(need):
        return rec_county, rec_pref
    pos = np.minimum(np.searchsorted(sole_key, rkey[need]), len(sole_key) - 1)
    hit = sole_key[pos] == rkey[need]
    cand = sole_county[pos]
    fits = hit & ((rec_pref[need] < 0) | (rec_pref[need] == cand // 100))
    out_county, out_pref = rec_county.copy(), rec_pref.copy()
    out_county[need[fits]] = cand[fits]
    out_pref[need[fits]] = cand[fits] // 100
    return out_county, out_pref


def _parse_parallel(values: pa.Array) -> dict[str, pa.Array]:
    """parse_addresses on two halves at once (pyarrow's regex kernels release the GIL)."""
    n = len(values)
    if n < 50_000:
        return parse_addresses(values)
    halves = [values.slice(0, n // 2), values.slice(n // 2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.map(parse_addresses, halves)
    return {k: pa.concat_arrays([a[k], b[k]]) for k in a}


def prepare(cases: pa.Table, records: pa.Table, id_key: bytes) -> Prepared:
    """Normalise and encode everything once; O(rows) with all heavy work on distinct values."""
    n_cases = cases.num_rows
    case_ids = np.asarray(pc.cast(cases["case_id"], pa.string()).to_pylist(), dtype=object)

    # --- case parties, exploded, plus the addressee agency as a public-body party -----------------
    parties_col = cases["parties"].combine_chunks()
    flat = pc.list_flatten(parties_col)
    owner = pc.list_parent_indices(parties_col).to_numpy(zero_copy_only=False).astype(np.int32)
    agency = pc.cast(cases["agency"], pa.string()).combine_chunks()
    has_agency = pc.fill_null(pc.greater(pc.utf8_length(agency), 0), False).to_numpy(zero_copy_only=False)
    agency_rows = np.flatnonzero(has_agency).astype(np.int32)

    def party_field(name: str, agency_value: pa.Array | None = None) -> pa.Array:
        base = pc.cast(pc.struct_field(flat, name), pa.string()) if len(flat) else pa.array([], pa.string())
        extra = agency_value if agency_value is not None else pa.nulls(len(agency_rows), pa.string())
        return pa.concat_arrays([base, pc.cast(extra, pa.string())])

    party_case = np.concatenate([owner, agency_rows]).astype(np.int32)
    p_name = party_field("name", pc.take(agency, pa.array(agency_rows)))
    p_kind = party_field("kind", pa.array(["agency"] * len(agency_rows), pa.string()))
    p_credit = party_field("credit_code")
    p_id = party_field("id_number")
    p_addr = party_field("address")
    case_region = pc.take(pc.cast(cases["region_code"], pa.string()).combine_chunks(), pa.array(party_case))

    # --- records ---------------------------------------------------------------------------------
    r = {f: pc.cast(records[f], pa.string()).combine_chunks() for f in records.column_names}
    n_rec = records.num_rows
    r_id_valid_hint = pc.fill_null(pc.greater(pc.utf8_length(r["id_number"]), 0), False)

    # --- names: normalise distinct (kind hint, name) pairs once ------------------------------------
    rec_hint = pc.if_else(r_id_valid_hint, "person", "")
    hints = pa.concat_arrays([rec_hint.cast(pa.string()), pc.fill_null(p_kind, "")])
    names_all = pa.concat_arrays([r["party_name"], p_name])
    key = pc.binary_join_element_wise(hints, names_all, "\x1f")
    enc = pc.dictionary_encode(key)
    uniq = enc.dictionary
    idx = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False)
    split = pc.split_pattern(uniq, "\x1f", max_splits=1)
    u_hint = pc.list_element(split, 0)
    u_name = pc.list_element(split, 1)
    u_hint = pc.if_else(pc.equal(u_hint, ""), pa.scalar(None, pa.string()), u_hint)

    # Gazetteer from the data's own addresses (city and county tokens) for region-prefix stripping.
    addr_all = pa.concat_arrays([r["address"], p_addr])
    addr_enc = pc.dictionary_encode(addr_all)
    addr_parts = _parse_parallel(addr_enc.dictionary)
    gazetteer = Gazetteer.from_tokens(
        set(pc.unique(addr_parts["city"]).to_pylist()) | set(pc.unique(addr_parts["county"]).to_pylist())
    )
    parts = name_parts(u_name, gazetteer, kinds=u_hint)
    u_kind = np.asarray([KINDS.index(k) if k in KINDS else 0 for k in parts.kind.to_pylist()], dtype=np.int8)
    u_core = parts.core
    core_enc = pc.dictionary_encode(pc.fill_null(u_core, ""))  # keys once per distinct core
    core_values = core_enc.dictionary.to_pylist()
    u_sound = pc.take(pa.array(CHAR_KEYS.sound_keys(core_values), pa.string()), core_enc.indices)
    u_shape = pc.take(pa.array(CHAR_KEYS.shape_keys(core_values), pa.string()), core_enc.indices)
    null_core = pc.is_null(u_core)
    u_sound = pc.if_else(null_core, pa.scalar(None, pa.string()), u_sound)
    u_shape = pc.if_else(null_core, pa.scalar(None, pa.string()), u_shape)
    u_branch = pc.if_else(null_core, pa.scalar(None, pa.string()), same_sounding_as_one(parts.branch))

    codes_rec: dict[str, np.ndarray] = {}
    codes_par: dict[str, np.ndarray] = {}
    vocab: dict[str, np.ndarray] = {}
    valid = idx >= 0
    for name, arr in (
        ("core", u_core),
        ("sound", u_sound),
        ("shape", u_shape),
        ("zihao", parts.zihao),
        ("branch", u_branch),
    ):
        enc_u = pc.dictionary_encode(arr)
        ucodes = pc.fill_null(enc_u.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
        row = np.where(valid, ucodes[np.where(valid, idx, 0)], -1).astype(np.int32)
        codes_rec[name], codes_par[name] = row[:n_rec], row[n_rec:]
        vocab[name] = np.asarray(enc_u.dictionary.to_pylist(), dtype=object)
    kind_row = np.maximum(_gather(u_kind.astype(np.int32), idx), 0).astype(np.int8)
    rec_kind, par_kind = kind_row[:n_rec], kind_row[n_rec:]

    # --- addresses ---------------------------------------------------------------------------------
    a_idx = pc.fill_null(addr_enc.indices, -1).to_numpy(zero_copy_only=False)
    for name in ("town", "village"):
        enc_u = pc.dictionary_encode(addr_parts[name])
        ucodes = pc.fill_null(enc_u.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
        row = _gather(ucodes, a_idx)
        codes_rec[name], codes_par[name] = row[:n_rec], row[n_rec:]
        vocab[name] = np.asarray(enc_u.dictionary.to_pylist(), dtype=object)

    # --- identifiers ---------------------------------------------------------------------------------
    for name, rec_arr, par_arr in (
        ("credit", valid_credit_codes(r["credit_code"]), valid_credit_codes(p_credit)),
        ("id_hash", hash_id_numbers(r["id_number"], id_key), hash_id_numbers(p_id, id_key)),
    ):
        codes_rec[name], codes_par[name], vocab[name] = _encode(rec_arr, par_arr)
    masks = {
        "credit_typo": typo_masks(r["credit_code"], p_credit, "credit", id_key),
        "id_typo": typo_masks(r["id_number"], p_id, "id", id_key),
    }

    # --- region codes ----------------------------------------------------------------------------
    rl = region_levels(r["region_code"])
    pl = region_levels(case_region)
    for level in ("county", "prefecture", "province"):
        codes_rec[level], codes_par[level], vocab[level] = _encode_np(rl[level], pl[level])
    # For blocking only: a record without a region code gets its prefecture from its address, by the
    # prefecture that case parties with the same county / city token belong to.
    block_pref = _region_from_address(rl["prefecture"], pl["prefecture"], a_idx, n_rec, addr_parts, ("county", "city"))
    # Likewise the county, for "same name in the same county" (a record coded only to its prefecture
    # but addressed in 柯城区 is in 柯城区).
    block_county = _region_from_address(rl["county"], pl["county"], a_idx, n_rec, addr_parts, ("county",))
    # A company record with neither: where its exact name is registered, if that is one county.
    block_county, block_pref = _county_from_name(
        block_county, block_pref, pl["county"], rec_kind, par_kind, codes_rec, codes_par, vocab
    )
    codes_rec["block_prefecture"], codes_par["block_prefecture"], vocab["block_prefecture"] = _encode_np(
        block_pref, pl["prefecture"]
    )
    codes_rec["block_county"], codes_par["block_county"], vocab["block_county"] = _encode_np(block_county, pl["county"])

    # --- case reference numbers (doc numbers, court case numbers) ------------------------------------
    case_refs: dict[str, np.ndarray] = {}
    for name, rec_col, case_col in (
        ("doc", "doc_number", "doc_numbers"),
        ("court", "court_case_number", "court_case_numbers"),
    ):
        lists = cases[case_col].combine_chunks()
        flat_refs = normalise_reference_numbers(pc.list_flatten(lists))
        ref_owner = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
        rec_codes, case_codes, vocab[name] = _encode(normalise_reference_numbers(r[rec_col]), flat_refs)
        codes_rec[name] = rec_codes
        base = len(vocab[name]) + 1
        ok = case_codes >= 0
        case_refs[name] = unique(ref_owner[ok] * base + case_codes[ok])

    # --- case-level attributes -------------------------------------------------------------------------
    domain = pc.fill_null(pc.utf8_lower(pc.utf8_trim_whitespace(pc.cast(cases["domain"], pa.string()))), "")
    dom_idx = pc.index_in(domain, value_set=pa.array(list(DOMAINS), pa.string()))
    case_domain = pc.fill_null(dom_idx, DOMAINS.index("other")).to_numpy(zero_copy_only=False).astype(np.int8)
    case_opened = _days(cases["opened_on"].combine_chunks(), NO_DATE_EARLY)
    source = pc.fill_null(pc.utf8_lower(pc.utf8_trim_whitespace(r["source"])), "")
    src_idx = pc.index_in(source, value_set=pa.array(list(SOURCES), pa.string()))
    record_source = pc.fill_null(src_idx, len(SOURCES)).to_numpy(zero_copy_only=False).astype(np.int8)
    compat = domain_compatibility_matrix(list(DOMAINS), [*SOURCES, ""])

    return Prepared(
        records=Side(n=n_rec, kind=rec_kind, codes=codes_rec),
        parties=Side(n=len(party_case), kind=par_kind, codes=codes_par),
        record_ids=np.asarray(r["record_id"].to_pylist(), dtype=object),
        record_source=record_source,
        record_date=_days(r["date"], NO_DATE_LATE),
        party_case=party_case,
        case_ids=case_ids if n_cases else np.array([], dtype=object),
        case_domain=case_domain,
        case_opened=case_opened,
        case_refs=case_refs,
        vocab=vocab,
        compat=compat,
        party_names=np.asarray(p_name.to_pylist(), dtype=object),
        record_names=np.asarray(r["party_name"].to_pylist(), dtype=object),
        masks=masks,
    )
