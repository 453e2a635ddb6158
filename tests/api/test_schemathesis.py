"""Schemathesis against the OpenAPI spec, in-process (ASGI): no generated request may cause a 500.

Every operation of the spec is fuzzed with valid (positive) and invalid (negative) values of its documented
parameters — dates, enums, free text with odd characters — a bounded number of examples each, so the run
stays well under a minute. (Driven through ``APIOperation.as_strategy`` rather than schemathesis' pytest
plugin, whose ``from_fixture`` does not work with pytest 9 in schemathesis 4.32.)
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from hub.api.app import create_app
from hub.api.tokens import TokenStore

EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 6}
# Rendering a PDF or XLSX takes a second: the report operation gets fewer examples.
SLOW = {"GET /api/v1/report": 3}


@pytest.fixture(scope="module")
def api_schema(api_env: tuple[str, Any]) -> Any:
    url, toks = api_env
    app = create_app(url, tokens=TokenStore(toks.path))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _operations(schema: Any) -> list[Any]:
    ops = [result.ok() for result in schema.get_all_operations()]
    assert len(ops) >= 9
    return ops


def _fuzz(strategy: Any, label: str, examples: int, headers: dict[str, str], calls: list[tuple[str, int]]) -> None:
    """Run ``examples`` generated requests of one operation; any 5xx fails."""

    @given(case=strategy)
    @settings(
        max_examples=examples,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        calls.append((label, response.status_code))
        assert response.status_code < 500, (label, case.path_parameters, case.query, response.text[:300])

    run()


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda m: m.value)
def test_no_server_error_on_any_generated_input(api_schema: Any, tokens: Any, mode: GenerationMode) -> None:
    headers = {"Authorization": f"Bearer {tokens.admin}"}  # past authentication, so parameters are exercised
    calls: list[tuple[str, int]] = []
    for operation in _operations(api_schema):
        label = operation.label
        examples = min(EXAMPLES[mode], SLOW.get(label, EXAMPLES[mode]))
        try:
            _fuzz(operation.as_strategy(generation_mode=mode), label, examples, headers, calls)
        except Unsatisfiable:
            # No invalid value exists for an operation without parameters (/health, /me): nothing to fuzz.
            assert mode is GenerationMode.NEGATIVE and not operation.query and not operation.path_parameters, label
    assert len({label for label, _ in calls}) >= 7
    if mode is GenerationMode.NEGATIVE:
        assert any(status == 422 for _, status in calls)


def test_no_server_error_without_a_token(api_schema: Any) -> None:
    calls: list[tuple[str, int]] = []
    for operation in _operations(api_schema):
        _fuzz(operation.as_strategy(), operation.label, 2, {}, calls)
    assert {status for _, status in calls} <= {200, 401, 422}
