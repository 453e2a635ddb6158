"""Shared fixtures: a model trained once on a seeded synthetic set, and helpers to build inputs."""

from __future__ import annotations

from typing import Any

import pytest

from hub.matching.engine import LinkageEngine
from hub.matching.model import LinkageModel
from hub.matching.synth import generate


@pytest.fixture(scope="session")
def synth_small():
    """Generator A, seeded: 1,500 cases, 15,000 records (about two seconds)."""
    return generate(n_cases=1500, n_records=15000, seed=11)


@pytest.fixture(scope="session")
def trained_model_dict(synth_small) -> dict[str, Any]:
    engine = LinkageEngine(id_key=b"test-key")
    batch = engine.prepare(synth_small.cases, synth_small.records)
    engine.train(batch)
    return engine.model.to_dict()


@pytest.fixture
def engine(trained_model_dict) -> LinkageEngine:
    """An engine with the trained parameters (fresh copy per test)."""
    return LinkageEngine(LinkageModel.from_dict(trained_model_dict), id_key=b"test-key")


def _case(case_id: str = "C1", **kw: Any) -> dict[str, Any]:
    base = {
        "case_id": case_id,
        "domain": "ecology",
        "region_code": "330802",
        "opened_on": "2023-03-01",
        "agency": "衢州市柯城区生态环境局",
        "parties": [],
        "court_case_numbers": [],
        "doc_numbers": [f"柯检行公建〔2023〕{case_id[1:]}号"],
    }
    base.update(kw)
    return base


def _record(record_id: str = "R1", **kw: Any) -> dict[str, Any]:
    base = {
        "record_id": record_id,
        "source": "environment",
        "kind": "penalty",
        "date": "2023-05-01",
        "region_code": "330802",
        "party_name": None,
        "credit_code": None,
        "id_number": None,
        "address": None,
        "court_case_number": None,
        "doc_number": None,
    }
    base.update(kw)
    return base


@pytest.fixture
def case():
    """Build a case line (defaults: ecology, 柯城区, opened 2023-03-01, one recommendation number)."""
    return _case


@pytest.fixture
def record():
    """Build a record line (defaults: environment source, 2023-05-01, 柯城区)."""
    return _record
