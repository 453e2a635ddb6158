"""Dates, money and area as agencies send them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pytest

from schemas.errors import InvalidValue
from schemas.values import excel_serial_to_date, parse_area_mu, parse_date, parse_money_yuan

# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "2018-03-21",
        "2018/3/21",
        "2018.3.21",
        "2018-3-21",
        "20180321",
        "2018年3月21日",
        "2018年03月21日",
        "２０１８年３月２１日",
        "二〇一八年三月二十一日",
        "2018-03-21T10:15:00+08:00",
        "2018-03-21 10:15",
        " 2018-03-21 ",
        date(2018, 3, 21),
        datetime(2018, 3, 21, 23, 59),
        20180321,
        43180,
        43180.75,
    ],
)
def test_date_forms(raw: object) -> None:
    assert parse_date(raw) == date(2018, 3, 21)


def test_excel_serial_text_needs_the_spreadsheet_flag() -> None:
    assert parse_date("43180", spreadsheet=True) == date(2018, 3, 21)
    with pytest.raises(InvalidValue) as info:
        parse_date("43180")
    assert info.value.code == "date.serial_not_flagged"


def test_excel_1900_leap_year_bug() -> None:
    assert excel_serial_to_date(1) == date(1900, 1, 1)
    assert excel_serial_to_date(59) == date(1900, 2, 28)
    assert excel_serial_to_date(61) == date(1900, 3, 1)
    with pytest.raises(InvalidValue) as info:
        excel_serial_to_date(60)
    assert info.value.code == "date.excel_1900_bug"
    with pytest.raises(InvalidValue) as info:
        parse_date(60)
    assert info.value.code == "date.excel_1900_bug"
    with pytest.raises(InvalidValue) as info:
        excel_serial_to_date(0)
    assert info.value.code == "date.excel_serial"


def test_february_29() -> None:
    assert parse_date("2016-02-29") == date(2016, 2, 29)
    assert parse_date("2000年2月29日") == date(2000, 2, 29)
    for raw in ("2018-02-29", "2100-02-29", "2018年2月29日", "20180229"):
        with pytest.raises(InvalidValue) as info:
            parse_date(raw)
        assert info.value.code == "date.invalid"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("2018-13-01", "date.invalid"),
        ("2018-04-31", "date.invalid"),
        ("21/03/2018", "date.format"),
        ("03/21/2018", "date.format"),
        ("明天", "date.format"),
        ("", "date.format"),
        ("1989-12-31", "date.range"),
        ("2101-01-01", "date.range"),
        (100, "date.range"),
        (True, "date.type"),
        (None, "date.type"),
        (float("nan"), "date.type"),
    ],
)
def test_invalid_dates(raw: object, code: str) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_date(raw)
    assert info.value.code == code


def test_date_range_can_be_widened_for_birth_dates() -> None:
    assert parse_date("1949-10-01", earliest=date(1900, 1, 1)) == date(1949, 10, 1)


# --- money ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "yuan"),
    [
        ("12.5万元", "125000.00"),
        ("125000元", "125000.00"),
        ("125,000", "125000.00"),
        ("1.2亿元", "120000000.00"),
        ("人民币125,000.00元", "125000.00"),
        ("￥125000", "125000.00"),
        ("１２．５万元", "125000.00"),
        ("12万5千元", "125000.00"),
        ("壹拾贰万伍仟元整", "125000.00"),
        ("人民币壹万贰仟叁佰肆拾伍元陆角柒分", "12345.67"),
        ("伍角", "0.50"),
        ("0", "0.00"),
        (125000, "125000.00"),
        (12.5, "12.50"),
        (Decimal("3.1"), "3.10"),
        (np.int64(7), "7.00"),
    ],
)
def test_money_forms(raw: object, yuan: str) -> None:
    result = parse_money_yuan(raw)
    assert isinstance(result, Decimal) and result == Decimal(yuan) and str(result) == yuan


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("-5", "money.negative"),
        ("负100元", "money.negative"),
        (-1, "money.negative"),
        (Decimal("-0.01"), "money.negative"),
        ("12.345元", "money.precision"),
        ("一些钱", "money.format"),
        ("1e5", "money.format"),
        ("NaN", "money.format"),
        (float("inf"), "money.format"),
        ("", "money.empty"),
        (None, "money.type"),
        (True, "money.type"),
        (1e30, "money.too_large"),
    ],
)
def test_invalid_money(raw: object, code: str) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_money_yuan(raw)
    assert info.value.code == code


# --- area ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "mu"),
    [
        ("3.5亩", "3.5"),
        ("2公顷", "30"),
        ("2 hm²", "30"),
        ("1000平方米", "1.5"),
        ("1000㎡", "1.5"),
        ("1000 m2", "1.5"),
        ("0.5平方公里", "750"),
        ("２公顷", "30"),
        ("12", "12"),
        (3, "3"),
        (2.5, "2.5"),
    ],
)
def test_area_forms(raw: object, mu: str) -> None:
    assert parse_area_mu(raw) == Decimal(mu)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("-3亩", "area.negative"),
        ("3英亩", "area.unit"),
        ("三亩", "area.format"),
        ("", "area.format"),
        (None, "area.type"),
    ],
)
def test_invalid_area(raw: object, code: str) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_area_mu(raw)
    assert info.value.code == code


@pytest.mark.parametrize("raw", ["9" * 40, 10**30, "9" * 5000])
def test_huge_amounts_are_invalid_values_not_crashes(raw: object) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_money_yuan(raw)
    assert info.value.code == "money.too_large"


@pytest.mark.parametrize("raw", [Decimal("sNaN"), Decimal("NaN"), Decimal("Infinity"), float("-inf")])
def test_non_finite_numbers_are_not_dates(raw: object) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_date(raw)
    assert info.value.code == "date.type"


@pytest.mark.parametrize("raw", ["万元", "元", "亿", "整"])
def test_a_unit_without_a_number_is_not_an_amount(raw: str) -> None:
    with pytest.raises(InvalidValue):
        parse_money_yuan(raw)


# --- date-times ----------------------------------------------------------------------------------


def test_aware_datetimes() -> None:
    from datetime import timedelta, timezone

    from schemas.dates import parse_aware_datetime

    beijing = timezone(timedelta(hours=8))
    assert parse_aware_datetime("2018-12-31T08:00:00+08:00") == datetime(2018, 12, 31, 8, tzinfo=beijing)
    assert parse_aware_datetime("2018-12-31 00:00:00Z") == datetime(2018, 12, 31, 8, tzinfo=beijing)
    aware = datetime(2018, 1, 1, tzinfo=beijing)
    assert parse_aware_datetime(aware) is aware
    for raw, code in (
        ("2018-12-31T08:00:00", "datetime.timezone_required"),
        (datetime(2018, 1, 1), "datetime.timezone_required"),
        ("2018年12月31日8时", "datetime.format"),
        ("1980-01-01T00:00:00+08:00", "date.range"),
        (20181231, "datetime.type"),
    ):
        with pytest.raises(InvalidValue) as info:
            parse_aware_datetime(raw)
        assert info.value.code == code


def test_a_number_with_a_huge_exponent_is_rejected_at_once() -> None:
    with pytest.raises(InvalidValue) as info:
        parse_date(Decimal("1E+999999"))
    assert info.value.code == "date.range"


def test_huge_integers_are_refused_before_conversion() -> None:
    from schemas.identifiers import validate_id_number, validate_region_code

    huge = 10**100_000
    for parse, code in (
        (parse_money_yuan, "money.too_large"),
        (parse_area_mu, "area.too_large"),
        (validate_region_code, "region_code.format"),
        (validate_id_number, "id_number.length"),
    ):
        with pytest.raises(InvalidValue) as info:
            parse(huge)
        assert info.value.code == code
