"""Great Expectations suites: blocking vs warning, row-count collapse, and no row values in results."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from schema_factories import good_record

from schemas.expectations import SUITE_BUILDERS, _collapse_thresholds, build_suite, validate_batch
from schemas.registry import RECORD_KINDS
from schemas.validation import validate_records

PERSON = "张三丰"
SECRET_ID = "11010519491231002X"


def _batch(rows: int) -> pd.DataFrame:
    records = [good_record("env.penalty", f"CF-{i}", party_name=f"衢州市第{i}化工有限公司") for i in range(rows)]
    result = validate_records("env.penalty", records)
    assert not result.invalid
    return pd.DataFrame([model.model_dump() for _, model in result.valid])


@pytest.mark.parametrize("kind", sorted(RECORD_KINDS))
def test_every_kind_has_a_pure_suite_with_severities(kind: str) -> None:
    suite = SUITE_BUILDERS[kind](as_of=date(2019, 1, 1))
    types = [e.expectation_type for e in suite.expectations]
    assert "expect_column_values_to_be_unique" in types
    assert "expect_column_values_to_not_be_null" in types
    assert all(e.meta["severity"] in {"blocking", "warning"} for e in suite.expectations)
    assert suite.meta["kind"] == kind


def test_collapse_thresholds() -> None:
    assert _collapse_thresholds(None) is None
    assert _collapse_thresholds(0) is None
    assert _collapse_thresholds(100) == (50, 80)
    assert _collapse_thresholds(21) == (11, 17)
    assert _collapse_thresholds(10) == (1, 5)  # small streams: only an empty batch blocks
    kinds = [e.expectation_type for e in build_suite("env.penalty", previous_row_count=100).expectations]
    assert kinds.count("expect_table_row_count_to_be_between") == 2


def test_duplicate_id_and_null_required_column_block_and_leak_nothing() -> None:
    frame = _batch(6)
    frame.loc[3, "source_record_id"] = frame.loc[0, "source_record_id"]
    frame.loc[4, "party_name"] = None
    frame.loc[5, "party_name"] = PERSON
    frame.loc[5, "party_id_number"] = SECRET_ID
    frame.loc[2, "fine_amount_yuan"] = -5  # bypassing the model on purpose
    frame.loc[1, "decision_date"] = date(2019, 6, 1)  # after as_of: a warning only

    result = validate_batch("env.penalty", frame, previous_row_count=100, as_of=date(2019, 1, 1))

    assert result.success is False
    blocking = {(f.expectation_type, f.column) for f in result.blocking_failures}
    assert ("expect_column_values_to_be_unique", "source_record_id") in blocking
    assert ("expect_column_values_to_not_be_null", "party_name") in blocking
    assert ("expect_column_values_to_be_between", "fine_amount_yuan") in blocking
    assert ("expect_table_row_count_to_be_between", None) in blocking  # 6 rows after 100: collapse
    assert {(w.expectation_type, w.column) for w in result.warnings} >= {
        ("expect_column_values_to_be_between", "decision_date"),
        ("expect_table_row_count_to_be_between", None),
    }
    unique = next(f for f in result.blocking_failures if f.column == "source_record_id")
    assert unique.unexpected_count == 2 and unique.element_count == 6
    dumped = json.dumps(result.to_dict(), ensure_ascii=False, default=str)
    for value in (PERSON, SECRET_ID, "CF-0", "衢州市第", "91350100M000100Y43", "partial_unexpected"):
        assert value not in dumped
    assert result.row_count == 6 and result.previous_row_count == 100


def test_clean_batch_passes_and_a_missing_column_blocks() -> None:
    frame = _batch(5)
    assert validate_batch("env.penalty", frame, previous_row_count=5, as_of=date(2019, 1, 1)).success
    broken = validate_batch("env.penalty", frame.drop(columns=["region_code"]), as_of=date(2019, 1, 1))
    assert not broken.success
    assert any(f.column == "region_code" and f.exception for f in broken.blocking_failures)


def test_suites_check_the_typed_columns_of_the_model() -> None:
    """Dates, amounts, region and credit codes are found through the (memoised) validators."""
    suite = build_suite("env.penalty", as_of=date(2019, 1, 1))
    checks = {(e.expectation_type, getattr(e, "column", None), e.meta["severity"]) for e in suite.expectations}
    assert ("expect_column_values_to_be_between", "decision_date", "blocking") in checks
    assert ("expect_column_values_to_be_between", "decision_date", "warning") in checks
    assert ("expect_column_values_to_be_between", "fine_amount_yuan", "blocking") in checks
    assert ("expect_column_values_to_match_regex", "credit_code", "blocking") in checks
    assert ("expect_column_values_to_be_in_set", "region_code", "blocking") in checks
    assert ("expect_column_values_to_be_in_set", "party_type", "blocking") in checks
    assert ("expect_column_values_to_not_be_null", "credit_code", "blocking") not in checks  # optional


def test_personal_columns_split_off_before_the_check_are_skipped_not_failed() -> None:
    frame = _batch(4).drop(columns=["party_name", "party_id_number"])
    result = validate_batch("env.penalty", frame, as_of=date(2019, 1, 1))
    assert result.success
    assert result.skipped_personal_columns == ["party_name", "party_id_number"]
