"""行政区划代码 (GB/T 2260) validation and the shipped table."""

from __future__ import annotations

import pytest

from schemas.errors import InvalidValue
from schemas.identifiers.region import (
    PROVINCE_PREFIXES,
    known_region_codes,
    parent_codes,
    region_info,
    region_name,
    validate_region_code,
)

QUZHOU = {
    "330800": "衢州市",
    "330802": "柯城区",
    "330803": "衢江区",
    "330822": "常山县",
    "330824": "开化县",
    "330825": "龙游县",
    "330881": "江山市",
}


@pytest.mark.parametrize(("code", "name"), sorted(QUZHOU.items()))
def test_quzhou_and_its_six_districts_are_in_the_table(code: str, name: str) -> None:
    assert validate_region_code(code) == code
    assert region_name(code) == name


def test_levels_and_parents() -> None:
    assert region_info("330000").level == "province"
    assert region_info("330800").level == "prefecture"
    assert region_info("330824").level == "county"
    assert parent_codes("330824") == ["330800", "330000"]
    assert parent_codes("330800") == ["330000"]
    assert parent_codes("330000") == []
    assert parent_codes("110101") == ["110000"]  # municipalities have no prefecture row


def test_historical_code_is_kept_and_marked() -> None:
    info = region_info("110228")  # 密云县, a district since 2015
    assert info.name == "密云县" and info.current is False


def test_every_province_is_known() -> None:
    assert {"11", "33", "65", "71", "81", "82"} <= PROVINCE_PREFIXES
    assert len(known_region_codes()) > 3000


@pytest.mark.parametrize(("raw", "expected"), [(330824, "330824"), (" 330824 ", "330824"), ("３３０８２４", "330824")])
def test_integers_spaces_and_full_width_digits_are_accepted(raw: object, expected: str) -> None:
    assert validate_region_code(raw) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("33082", "region_code.format"),
        ("3308240", "region_code.format"),
        ("33082a", "region_code.format"),
        ("330824000000", "region_code.format"),
        ("990824", "region_code.province"),
        ("330899", "region_code.unknown"),
        (None, "region_code.type"),
        (True, "region_code.type"),
    ],
)
def test_each_class_of_invalid_code(raw: object, code: str) -> None:
    with pytest.raises(InvalidValue) as info:
        validate_region_code(raw)  # type: ignore[arg-type]
    assert info.value.code == code
