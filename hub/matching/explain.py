"""Explanations: why a record was (or was not) linked to a case, as a Splink-style waterfall.

An explanation is a plain dict, JSON-serialisable, meant to be stored with the link and shown to the
procurator who reviews it::

    {
      "record_id": "R1", "case_id": "C9", "score": 14.2, "probability": 0.99994, "decision": "link",
      "party": {"name": "浙江华龙化工有限公司", "kind": "company"},
      "prior": -21.3,
      "comparisons": [
        {"comparison": "name", "level": "exact", "weight": 12.1, "tf_adjustment": -1.4, "total": 10.7,
         "record_value": "华龙化工", "case_value": "华龙化工"},
        ...
      ]
    }

``prior + Σ comparisons[*].total == score`` (to rounding). A −∞ total marks a gate of the truth rule
(incompatible domain, too early, uncited public body, parent vs branch, different ID numbers).
Resident ID numbers never appear: the id comparison shows only whether the keyed hashes agreed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hub.matching.frames import KINDS, Prepared
from hub.matching.model import LinkageModel

# comparison → field whose record / case values are shown (None: show nothing)
_SHOWN: dict[str, str | None] = {
    "credit_code": "credit",
    "id_number": None,
    "court_case_number": "court",
    "doc_number": "doc",
    "company_name": "core",
    "person_name": "core",
    "agency_name": "core",
    "branch": "branch",
    "address": "address",
    "region": "county",
}


def _value(prep: Prepared, side: str, fld: str, row: int) -> str | None:
    if fld == "address":  # the address comparison: show town and village
        parts = [_value(prep, side, f, row) for f in ("town", "village")]
        return " ".join(p for p in parts if p) or None
    codes = (prep.records if side == "r" else prep.parties).codes.get(fld)
    if codes is None:
        return None
    code = int(codes[row])
    return None if code < 0 else str(prep.vocab[fld][code])


def _finite(x: float) -> float | str:
    return round(float(x), 4) if math.isfinite(x) else "-inf"


def build_explanation(
    model: LinkageModel,
    prep: Prepared,
    rec: int,
    par: int,
    gamma_row: np.ndarray,
    adj_row: np.ndarray,
    score: float,
    decision: str,
) -> dict[str, Any]:
    """The waterfall of one scored pair."""
    weights = model.weight_table()
    comps = []
    for k, comp in enumerate(model.settings.comparisons):
        li = int(gamma_row[k])
        w = float(weights[k][li])
        a = float(adj_row[k])
        item: dict[str, Any] = {
            "comparison": comp.name,
            "level": comp.levels[li].name,
            "weight": _finite(w),
            "tf_adjustment": round(a, 4),
            "total": _finite(w + a),
        }
        fld = _SHOWN.get(comp.name)
        if fld is not None:
            item["record_value"] = _value(prep, "r", fld, rec)
            item["case_value"] = _value(prep, "p", fld, par) if fld not in ("doc", "court") else "(case's numbers)"
        comps.append(item)
    return {
        "record_id": str(prep.record_ids[rec]),
        "case_id": str(prep.case_ids[prep.party_case[par]]),
        "score": _finite(score),
        "probability": float(LinkageModel.probability(score)) if math.isfinite(score) else 0.0,
        "decision": decision,
        "party": {"name": prep.party_names[par], "kind": KINDS[int(prep.parties.kind[par])]},
        "prior": round(model.prior, 4),
        "comparisons": comps,
    }
