"""法院案号 parsing and normalisation."""

from __future__ import annotations

import pytest

from schemas.errors import InvalidValue
from schemas.identifiers.case_number import CASE_TYPES, validate_case_number


@pytest.mark.parametrize(
    ("raw", "normalised", "court", "case_type", "serial"),
    [
        ("（2018）浙0824民初123号", "（2018）浙0824民初123号", "浙0824", "民初", 123),
        ("(2018)浙0824民初123号", "（2018）浙0824民初123号", "浙0824", "民初", 123),
        ("(2018)浙08民终12号", "（2018）浙08民终12号", "浙08", "民终", 12),
        ("（2018）浙民终12号", "（2018）浙民终12号", "浙", "民终", 12),
        ("(2018)最高法行申1号", "（2018）最高法行申1号", "最高法", "行申", 1),
        ("（2019）最高法知民终1号", "（2019）最高法知民终1号", "最高法", "知民终", 1),
        ("（2018）浙0824执恢3号", "（2018）浙0824执恢3号", "浙0824", "执恢", 3),
        ("（2018）浙0824执3号", "（2018）浙0824执3号", "浙0824", "执", 3),
        ("（2018）浙0824行审7号", "（2018）浙0824行审7号", "浙0824", "行审", 7),
        ("（2018）浙0824刑初45号", "（2018）浙0824刑初45号", "浙0824", "刑初", 45),
        ("（2018）浙0824民特2号", "（2018）浙0824民特2号", "浙0824", "民特", 2),
        ("(2018)京73民初1号", "（2018）京73民初1号", "京73", "民初", 1),
        ("（２０１８）浙０８２４民初１２３号", "（2018）浙0824民初123号", "浙0824", "民初", 123),
        (" (2018) 浙0824 民初 123号 ", "（2018）浙0824民初123号", "浙0824", "民初", 123),
        ("〔2018〕浙0824民初123号", "（2018）浙0824民初123号", "浙0824", "民初", 123),
        ("（2018）浙0824民初0123号", "（2018）浙0824民初123号", "浙0824", "民初", 123),
        ("（2018）浙0824民初第123号", "（2018）浙0824民初123号", "浙0824", "民初", 123),
    ],
)
def test_valid_case_numbers(raw: str, normalised: str, court: str, case_type: str, serial: int) -> None:
    parts = validate_case_number(raw)
    assert (parts.normalised, parts.court_code, parts.case_type, parts.serial, parts.year) == (
        normalised,
        court,
        case_type,
        serial,
        int(normalised[1:5]),
    )
    assert str(parts) == normalised and not parts.legacy


def test_basic_court_code_maps_to_its_county() -> None:
    assert validate_case_number("（2018）浙0824民初123号").region_code == "330824"
    assert validate_case_number("（2018）浙08民终12号").region_code is None


def test_case_type_table_describes_each_word() -> None:
    parts = validate_case_number("（2018）浙0824执恢3号")
    assert parts.case_type_info.domain == "execution"
    assert {"民初", "民终", "行初", "行终", "刑初", "刑终", "执", "执恢", "民特", "行审"} <= set(CASE_TYPES)


def test_pre_2016_form_is_recognised_as_legacy() -> None:
    parts = validate_case_number("(2014)衢柯民初字第123号")
    assert parts.legacy and parts.court_code == "衢柯" and parts.case_type == "民初" and parts.serial == 123
    assert parts.normalised == "（2014）衢柯民初字第123号"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("（2018）浙0824民初123", "case_number.format"),
        ("2018浙0824民初123号", "case_number.format"),
        ("（18）浙0824民初123号", "case_number.format"),
        ("（2018）浙082民初123号", "case_number.format"),
        ("（2018）浙0824号", "case_number.format"),
        ("", "case_number.format"),
        ("（2018）衢0824民初123号", "case_number.court"),
        ("（2018）X0824民初123号", "case_number.court"),
        ("（2018）浙0824民吃123号", "case_number.case_type"),
        ("（2014）衢柯字第1号", "case_number.case_type"),
        ("（1900）浙0824民初123号", "case_number.year"),
        ("（2300）浙0824民初123号", "case_number.year"),
        ("（2018）浙0824民初0号", "case_number.serial"),
        (None, "case_number.type"),
    ],
)
def test_each_class_of_invalid_case_number(raw: object, code: str) -> None:
    with pytest.raises(InvalidValue) as info:
        validate_case_number(raw)  # type: ignore[arg-type]
    assert info.value.code == code


def test_a_serial_of_thousands_of_digits_is_a_format_error() -> None:
    with pytest.raises(InvalidValue) as info:
        validate_case_number("（2018）浙0824民初" + "1" * 5000 + "号")
    assert info.value.code == "case_number.format"


def test_split_off_cases_keep_their_suffix() -> None:
    parts = validate_case_number("(2018)浙0824民初123号之一")
    assert parts.normalised == "（2018）浙0824民初123号之一" and parts.sub_case == "之一" and parts.serial == 123
    assert validate_case_number("（2014）衢柯民初字第12号之二").sub_case == "之二"
