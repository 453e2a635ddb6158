"""Both generators label by the issue's truth rule, including its same-name clause for people.

Generator B (``bench/matching/heldout_synth.py``) is the held-out one and lives with the bench; it is
imported here only to check its labels, never by the engine.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest

from hub.matching.identifiers import valid_id_numbers
from hub.matching.synth import generate
from hub.matching.truth import in_time_window, source_fits_domain

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "matching"))
from heldout_synth import generate_heldout


def _a() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, str]]]:
    data = generate(n_cases=1500, n_records=15000, seed=5)
    return data.cases, data.records, data.labels


def _b() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, str]]]:
    return generate_heldout(1500, 15000, seed=5)


@pytest.mark.parametrize("make", [_a, _b], ids=["A", "B"])
def test_same_name_clause_of_the_rule(make) -> None:
    """A person record naming nobody but a name — no ID number, region or address — is, by the rule,
    about every person party of that name (nothing disagrees); two valid, different ID numbers are
    never the same person."""
    cases, records, labels = make()
    truth = {(lab["record_id"], lab["case_id"]) for lab in labels}
    parties: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for c in cases:
        for p in c["parties"]:
            if p.get("kind") == "person":
                parties.setdefault(p["name"], []).append((c, p))
    bare = checked = 0
    for r in records:
        for c, p in parties.get(r.get("party_name") or "", []):
            fits = source_fits_domain(r["source"], c["domain"]) and in_time_window(
                dt.date.fromisoformat(r["date"]), dt.date.fromisoformat(c["opened_on"])
            )
            if not fits:
                continue
            pair = (r["record_id"], c["case_id"])
            if not (r.get("id_number") or r.get("region_code") or r.get("address")):
                bare += 1
                assert pair in truth, pair
            ids = [r.get("id_number"), p.get("id_number")]
            namesakes = [q for q in c["parties"] if q.get("name") == p["name"]]
            if len(namesakes) == 1 and all(ids) and all(valid_id_numbers(ids).to_pylist()) and ids[0] != ids[1]:
                checked += 1
                assert pair not in truth, pair
    assert bare > 0 and checked > 0  # the data exercise both halves of the clause
