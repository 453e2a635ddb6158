"""Record models: good records pass, bad ones are rejected with field paths and bilingual reasons."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError
from schema_factories import GOOD_PAYLOADS, envelope, good_record

from schemas.errors import InvalidValue
from schemas.records import DOMAINS, AgencyReply, EnvPenalty
from schemas.registry import RECORD_KINDS, get_model, kinds_in_domain, personal_data_fields
from schemas.validation import field_errors, validate_record, validate_records


def test_every_kind_has_a_model_with_version_and_domain() -> None:
    assert set(GOOD_PAYLOADS) <= set(RECORD_KINDS)  # kinds are discovered; the tests' own payloads cover some
    for kind, model in RECORD_KINDS.items():
        assert kind == model.KIND and model.DOMAIN in DOMAINS and model.TITLE_ZH
        assert [int(x) for x in model.SCHEMA_VERSION.split(".")]
    assert set(kinds_in_domain("court")) == {"court.filing", "court.judgment", "court.execution"}


@pytest.mark.parametrize("kind", sorted(RECORD_KINDS))
def test_every_kind_declares_an_example_that_validates(kind: str) -> None:
    model = RECORD_KINDS[kind]
    record = validate_record(kind, {**envelope(kind), **model.EXAMPLE})
    for later, earlier, severity in model.ORDERED_FIELDS:
        assert {later, earlier} <= set(model.model_fields) and severity in ("blocking", "warning")
    assert record.kind == kind


def test_unknown_kind_is_a_bilingual_error() -> None:
    with pytest.raises(InvalidValue) as info:
        get_model("env.nothing")
    assert info.value.code == "kind.unknown"


@pytest.mark.parametrize("kind", sorted(RECORD_KINDS))
def test_good_record_of_every_kind_validates(kind: str) -> None:
    record = validate_record(kind, good_record(kind))
    assert record.kind == kind
    dumped = record.model_dump(mode="json")
    assert dumped["source_record_id"] == "R-1"
    json.dumps(dumped, ensure_ascii=False)


def test_values_are_normalised_by_the_models() -> None:
    penalty = validate_record("env.penalty", good_record("env.penalty", credit_code="91350100m000100y43"))
    assert isinstance(penalty, EnvPenalty)
    assert penalty.credit_code == "91350100M000100Y43"
    assert penalty.fine_amount_yuan == Decimal("125000.00")
    case = validate_record("forestry.case", good_record("forestry.case"))
    assert case.area_mu == Decimal(30) and case.case_type == "illegal_occupation"  # type: ignore[attr-defined]
    judgment = validate_record("court.judgment", good_record("court.judgment"))
    assert judgment.restoration_cost_yuan == Decimal("125000.00")  # type: ignore[attr-defined]
    assert str(judgment.decided_on) == "2018-06-12"  # type: ignore[attr-defined]
    filing = validate_record("court.filing", good_record("court.filing"))
    assert filing.case_number == "（2018）浙0824民初123号"
    receipt = validate_record("agency.receipt", good_record("agency.receipt"))
    assert receipt.recommendation_number == "衢检行公建〔2018〕3号"  # type: ignore[attr-defined]
    assert receipt.delivery_method == "public_announcement"  # type: ignore[attr-defined]
    licence = validate_record("market.licence", good_record("market.licence"))
    assert licence.licence_number == "JY13308020012345" and licence.status == "valid"  # type: ignore[attr-defined]


def test_reply_evidence_is_derived_from_attachments() -> None:
    reply = validate_record("agency.reply", good_record("agency.reply"))
    assert isinstance(reply, AgencyReply)
    assert reply.has_evidence is True
    assert reply.attachments[0].sha256 == "a" * 64
    assert reply.model_dump()["has_evidence"] is True
    bare = validate_record("agency.reply", good_record("agency.reply", attachments=[]))
    assert bare.has_evidence is False  # type: ignore[attr-defined]


def _errors(kind: str, record: dict[str, object]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        validate_record(kind, record)
    return {e.path: e.code for e in field_errors(info.value)}


def test_bad_penalty_names_every_bad_field_with_its_reason() -> None:
    bad = good_record(
        "env.penalty",
        credit_code="91350100M000100Y44",
        decision_date="2018-02-30",
        fine_amount_yuan="-1",
        region_code="990000",
        doc_number="衢环罚2018第12号",
        party_name="  ",
        surplus="x",
    )
    errors = _errors("env.penalty", bad)
    assert errors == {
        "credit_code": "credit_code.checksum",
        "decision_date": "date.invalid",
        "fine_amount_yuan": "money.negative",
        "region_code": "region_code.province",
        "doc_number": "doc_number.format",
        "party_name": "text.empty",
        "surplus": "extra_forbidden",
    }


def test_nested_field_paths_name_the_list_item() -> None:
    bad = good_record("agency.reply", attachments=[{"file_name": "a.pdf", "sha256": "a" * 64}, {"file_name": "b"}])
    assert _errors("agency.reply", bad) == {"attachments[1].sha256": "missing"}
    bad = good_record("market.sampling_failure", failed_items=[])
    assert _errors("market.sampling_failure", bad) == {"failed_items": "too_short"}


def test_cross_field_rules() -> None:
    assert _errors("env.penalty", good_record("env.penalty", credit_code=None)) == {"": "penalty.credit_code_required"}
    natural = good_record("env.penalty", credit_code=None, party_type="自然人", party_name="张三")
    assert validate_record("env.penalty", natural).party_type == "natural_person"  # type: ignore[attr-defined]
    assert _errors("agency.reply", good_record("agency.reply", promised_date=None)) == {
        "": "reply.promised_date_required"
    }
    assert _errors("forestry.case", good_record("forestry.case", filed_on="2018-02-01")) == {
        "": "forestry.filed_before_occurred"
    }
    assert _errors("market.licence", good_record("market.licence", valid_to="2015-01-01")) == {
        "": "licence.validity_reversed"
    }


def test_envelope_rules() -> None:
    record = good_record(
        "env.penalty",
        schema_version="2.0.0",
        fetched_at="2018-12-31T08:00:00",
        payload_hash="xyz",
        source_agency="衢州环保",
    )
    errors = _errors("env.penalty", {**record, "kind": "market.penalty"})
    assert errors == {
        "kind": "literal_error",
        "schema_version": "schema_version.incompatible",
        "fetched_at": "datetime.timezone_required",
        "payload_hash": "string_pattern_mismatch",
        "source_agency": "string_pattern_mismatch",
    }


def test_older_minor_schema_version_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(EnvPenalty, "SCHEMA_VERSION", "1.2.0")
    assert validate_record("env.penalty", good_record("env.penalty", schema_version="1.1.0"))
    assert _errors("env.penalty", good_record("env.penalty", schema_version="1.3.0")) == {
        "schema_version": "schema_version.incompatible"
    }


def test_field_errors_carry_chinese_and_english_but_no_input_values() -> None:
    secret_id = "110105194912310021"  # wrong check digit: must not appear in the reasons
    bad = good_record("forestry.case", id_number=secret_id, party_name=None)
    with pytest.raises(ValidationError) as info:
        validate_record("forestry.case", bad)
    errors = field_errors(info.value)
    by_path = {e.path: e for e in errors}
    assert by_path["id_number"].code == "id_number.checksum"
    assert by_path["id_number"].zh == "身份号码校验位不正确"
    assert by_path["party_name"].zh == "应为文本" and by_path["party_name"].en
    assert secret_id not in repr(errors)


def test_personal_data_fields_are_marked() -> None:
    assert personal_data_fields("env.penalty") == ("party_name", "party_id_number")
    assert personal_data_fields("agency.receipt") == ("receiver",)
    assert personal_data_fields("court.filing") == ("defendants",)
    assert {"id_number", "party_address", "party_name"} <= set(personal_data_fields("forestry.case"))
    assert personal_data_fields("agency.reply") == ("contact_person", "contact_phone")
    assert personal_data_fields("court.judgment") == ()
    schema = get_model("agency.receipt").model_json_schema()
    assert schema["properties"]["receiver"]["x-personal-data"] is True


def test_validate_records_accounts_for_every_row() -> None:
    rows = [
        good_record("env.penalty", "A"),
        good_record("env.penalty", "B", credit_code="bad"),
        "not a record",
        good_record("env.penalty", "C"),
        good_record("env.penalty", "D", fine_amount_yuan="-3"),
    ]
    result = validate_records("env.penalty", rows)  # type: ignore[arg-type]
    assert result.received == len(rows)
    assert [i for i, _ in result.valid] == [0, 3]
    assert [m.source_record_id for _, m in result.valid] == ["A", "C"]
    assert [i for i, _ in result.invalid] == [1, 2, 4]
    assert result.invalid[0][1][0].path == "credit_code"
    assert result.invalid[1][1][0].code == "model_type"
    assert result.invalid[2][1][0].code == "money.negative"


def test_validate_records_fast_path_when_all_good() -> None:
    result = validate_records("court.filing", [good_record("court.filing", str(i)) for i in range(5)])
    assert len(result.valid) == 5 and not result.invalid
