"""Agency and procuratorate document numbers (文号)."""

from __future__ import annotations

import pytest

from schemas.errors import InvalidValue
from schemas.identifiers.doc_number import normalise_doc_number, validate_doc_number


@pytest.mark.parametrize(
    ("raw", "normalised", "issuer", "year", "serial"),
    [
        ("衢检行公建〔2018〕3号", "衢检行公建〔2018〕3号", "衢检行公建", 2018, 3),
        ("江环罚〔2018〕12号", "江环罚〔2018〕12号", "江环罚", 2018, 12),
        ("江环罚[2018]12号", "江环罚〔2018〕12号", "江环罚", 2018, 12),
        ("江环罚(2018)12号", "江环罚〔2018〕12号", "江环罚", 2018, 12),
        ("江环罚（2018）12号", "江环罚〔2018〕12号", "江环罚", 2018, 12),
        ("江环罚【2018】12号", "江环罚〔2018〕12号", "江环罚", 2018, 12),
        ("江环罚［2018］12号", "江环罚〔2018〕12号", "江环罚", 2018, 12),
        ("江环罚〖2018〗12号", "江环罚〔2018〕12号", "江环罚", 2018, 12),
        ("江环罚（２０１８）１２号", "江环罚〔2018〕12号", "江环罚", 2018, 12),
        (" 江环罚 〔2018〕 012号 ", "江环罚〔2018〕12号", "江环罚", 2018, 12),
        ("龙林罚决字〔2018〕第12号", "龙林罚决字〔2018〕第12号", "龙林罚决字", 2018, 12),
    ],
)
def test_valid_doc_numbers(raw: str, normalised: str, issuer: str, year: int, serial: int) -> None:
    parts = validate_doc_number(raw)
    assert (parts.normalised, parts.issuer, parts.year, parts.serial) == (normalised, issuer, year, serial)
    assert normalise_doc_number(raw) == normalised


def test_procuratorial_prefix_is_recognised() -> None:
    assert validate_doc_number("衢检行公建〔2018〕3号").is_procuratorial
    assert not validate_doc_number("江环罚〔2018〕12号").is_procuratorial


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("〔2018〕12号", "doc_number.format"),
        ("江环罚2018年12号", "doc_number.format"),
        ("江环罚〔18〕12号", "doc_number.format"),
        ("江环罚〔2018〕12", "doc_number.format"),
        ("江环罚〔2018〕号", "doc_number.format"),
        ("江环罚〔1900〕12号", "doc_number.year"),
        ("江环罚〔2999〕12号", "doc_number.year"),
        ("江环罚〔2018〕0号", "doc_number.serial"),
        (12, "doc_number.type"),
    ],
)
def test_each_class_of_invalid_doc_number(raw: object, code: str) -> None:
    with pytest.raises(InvalidValue) as info:
        validate_doc_number(raw)  # type: ignore[arg-type]
    assert info.value.code == code
    with pytest.raises(InvalidValue):
        normalise_doc_number(raw)  # type: ignore[arg-type]


def test_a_serial_of_thousands_of_digits_is_a_format_error() -> None:
    with pytest.raises(InvalidValue) as info:
        validate_doc_number("衢检行公建〔2018〕" + "1" * 5000 + "号")
    assert info.value.code == "doc_number.format"
