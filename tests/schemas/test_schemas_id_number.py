"""公民身份号码 (GB 11643-1999) validation."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from schema_factories import make_id_number

from schemas.errors import InvalidValue
from schemas.identifiers.id_number import id_number_check_digit, parse_id_number, validate_id_number


def test_standard_example_checked_by_hand() -> None:
    """11010519491231002X, the example in GB 11643-1999.

    Digits 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 times weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2:
    7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2; "10X98765432"[2] = 'X'.
    """
    assert id_number_check_digit("11010519491231002") == "X"
    info = parse_id_number("11010519491231002X")
    assert info == ("11010519491231002X", "11", date(1949, 12, 31), "F", False)


def test_lower_case_x_is_accepted() -> None:
    assert validate_id_number("11010519491231002x") == "11010519491231002X"


def test_full_width_and_spaces_are_normalised() -> None:
    assert validate_id_number(" １１０１０５ １９４９１２３１ ００２Ｘ ") == "11010519491231002X"


def test_generated_numbers_are_valid(rng: random.Random) -> None:
    for _ in range(300):
        number = make_id_number(rng, region=rng.choice(["330824", "110105", "810000"]))
        assert validate_id_number(number) == number


def test_sex_follows_the_sequence_digit(rng: random.Random) -> None:
    first17 = "33082419800101001"  # sequence 001: odd, male
    assert parse_id_number(first17 + id_number_check_digit(first17)).sex == "M"


def test_legacy_15_digit_number_is_upgraded_and_says_so() -> None:
    info = parse_id_number("110105491231002")
    assert info.number == "11010519491231002X"
    assert info.upgraded_from_15 is True
    assert validate_id_number("110105491231002") == "11010519491231002X"


def test_leap_day_in_a_leap_year_is_valid() -> None:
    first17 = "33082420000229001"
    assert validate_id_number(first17 + id_number_check_digit(first17)) == first17 + id_number_check_digit(first17)


@pytest.mark.parametrize(
    ("first17", "code"),
    [
        ("33082419990229001", "id_number.birth_date"),  # 1999 is not a leap year
        ("33082419001301001", "id_number.birth_date"),
        ("33082418991231001", "id_number.birth_range"),
        (f"330824{date.today() + timedelta(days=2):%Y%m%d}001", "id_number.birth_range"),
        ("99082419800101001", "id_number.region"),
        ("00082419800101001", "id_number.region"),
    ],
)
def test_invalid_birth_dates_and_regions(first17: str, code: str) -> None:
    with pytest.raises(InvalidValue) as info:
        validate_id_number(first17 + id_number_check_digit(first17))
    assert info.value.code == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("11010519491231002", "id_number.length"),
        ("1101051949123100212", "id_number.length"),
        ("11010519491231002Y", "id_number.charset"),
        ("1101051949123X002X", "id_number.charset"),
        ("11010549123100X", "id_number.charset"),
        ("110105194912310021", "id_number.checksum"),
        ("3.30824198E+17", "id_number.scientific_notation"),
        (3.30824198e17, "id_number.scientific_notation"),
        (None, "id_number.type"),
    ],
)
def test_each_class_of_invalid_number(raw: object, code: str) -> None:
    with pytest.raises(InvalidValue) as info:
        validate_id_number(raw)  # type: ignore[arg-type]
    assert info.value.code == code


def test_messages_do_not_repeat_the_number() -> None:
    with pytest.raises(InvalidValue) as info:
        validate_id_number("110105194912310021")
    assert "110105194912310021" not in str(info.value)


def test_integer_input_from_a_spreadsheet_is_read() -> None:
    assert validate_id_number(110105491231002) == "11010519491231002X"  # type: ignore[arg-type]
