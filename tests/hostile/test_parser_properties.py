"""Property tests: every parser meets hostile input with a result or its documented error — nothing else.

Plus round-trip properties for the forms agencies really send (a valid date, ID number,
credit code or amount in any accepted spelling parses back to itself; one wrong
character is always caught) and a privacy property (rejections never echo the value).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hostile_targets import BY_NAME, TARGETS, check
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.registry.errors import LineError
from hub.registry.importer import parse_line
from hub.samples import SAMPLE_CASES
from schemas.errors import InvalidValue
from schemas.identifiers import validate_credit_code, validate_id_number
from schemas.identifiers.credit_code import CREDIT_CODE_CHARSET, credit_code_check_char, org_code_check_char
from schemas.identifiers.id_number import id_number_check_digit
from schemas.values import parse_area_mu, parse_date, parse_money_yuan

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters the parsers branch on, so random text reaches their deeper paths.
_TOKENS = "0123456789０１２３-/.年月日号〇零一二三四五六七八九十百千万亿元圆整角分壹贰叁肆伍陆柒捌玖拾佰仟亩公顷平方米（）()〔〕[]第字民初刑终浙检罚XxE+, \u3000\t"
hostile_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=_TOKENS, max_size=40),
    st.from_regex(r"\d{1,40}(\.\d{1,40})?[万亿]?元?", fullmatch=True),
    st.from_regex(r"（\d{4}）浙\d{4}民初\d{1,30}号", fullmatch=True),
    st.from_regex(r"[\u4e00-\u9fff]{1,6}〔\d{4}〕\d{1,30}号", fullmatch=True),
)
hostile_values = st.one_of(
    hostile_text,
    st.integers(),
    st.floats(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("sNaN"), Decimal("-0"), Decimal("1E+400"), float("-inf"), True, None, b"\xff"]),
    st.dates(),
    st.datetimes(),
    st.lists(st.integers(), max_size=3),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("name", [t.name for t in TARGETS if not t.takes_bytes])
@FAST
@given(value=hostile_values)
def test_only_documented_errors_on_hostile_values(name: str, value: object) -> None:
    target = BY_NAME[name]
    if name in ("registry_line", "calendar_notice", "yaml_strict") or name.startswith("body_"):
        value = value if isinstance(value, str) else json.dumps(value, default=str)
    check(target, value)


@pytest.mark.parametrize("name", [t.name for t in TARGETS if t.takes_bytes])
@FAST
@given(data=st.binary(max_size=200))
def test_only_documented_errors_on_hostile_bytes(name: str, data: bytes) -> None:
    check(BY_NAME[name], data)


@FAST
@given(document=json_values)
def test_registry_line_never_raises_on_any_json(document: object) -> None:
    result = parse_line(7, json.dumps(document))
    assert isinstance(result, list) or result.case_id
    if isinstance(result, list):
        assert result and all(isinstance(e, LineError) and e.line == 7 for e in result)


_SAMPLE = json.loads(SAMPLE_CASES.read_text(encoding="utf-8").splitlines()[0])


@FAST
@given(field=st.sampled_from(["id_number", "phone", "name", "address"]), value=st.text(min_size=6, max_size=30))
def test_registry_line_rejections_never_echo_personal_values(field: str, value: str) -> None:
    line = json.loads(json.dumps(_SAMPLE))
    line["parties"][0][field] = value
    line["opened_on"] = "not-a-date"  # force a rejection
    result = parse_line(1, json.dumps(line, ensure_ascii=False))
    assert isinstance(result, list)
    assert all(value not in f"{e.field} {e.reason_zh} {e.reason_en}" for e in result)


@FAST
@given(digits=st.from_regex(r"\d{17}[\dX]", fullmatch=True))
def test_id_number_rejections_never_echo_the_number(digits: str) -> None:
    try:
        validate_id_number(digits)
    except InvalidValue as exc:
        assert digits not in str(exc) and digits not in repr(exc)


# --- round trips -----------------------------------------------------------------------

_CN_DIGITS = "〇一二三四五六七八九"


def _cn_number(n: int) -> str:
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("" if tens == 1 else _CN_DIGITS[tens]) + "十") + (_CN_DIGITS[ones] if ones else "")


@FAST
@given(d=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_every_accepted_date_spelling_reads_back(d: date) -> None:
    spellings = [
        d.isoformat(),
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}.{d.month:02d}.{d.day}",
        d.strftime("%Y%m%d"),
        f"{d.year}年{d.month}月{d.day}日",
        f"{''.join(_CN_DIGITS[int(c)] for c in str(d.year))}年{_cn_number(d.month)}月{_cn_number(d.day)}日",
        f"{d.isoformat()}T08:30:00+08:00",
        f" {d.year}年{d.month}月{d.day}号\u3000",
    ]
    for text in spellings:
        assert parse_date(text) == d, text
    assert parse_date((d - date(1899, 12, 30)).days) == d  # Excel serial


def _id_number(region: str, born: date, seq: int) -> str:
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + id_number_check_digit(body)


@FAST
@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date.today() - timedelta(days=1)),
    seq=st.integers(0, 999),
    region=st.sampled_from(["330824", "330802", "110101", "440305"]),
    position=st.integers(0, 17),
)
def test_valid_id_numbers_pass_and_one_wrong_digit_fails(born: date, seq: int, region: str, position: int) -> None:
    number = _id_number(region, born, seq)
    assert validate_id_number(number) == number
    assert validate_id_number(f" {number.lower()} ") == number
    wrong = "0" if number[position] != "0" else "1"
    with pytest.raises(InvalidValue):
        validate_id_number(number[:position] + wrong + number[position + 1 :])


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["91", "92", "93", "11", "12", "51", "52"]))
    region = draw(st.sampled_from(["330800", "330824", "110000"]))
    body = draw(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
    org = body + org_code_check_char(body)
    if org[-1] not in CREDIT_CODE_CHARSET:  # an X check is fine; other letters never occur
        org = org[:-1] + "0"
    first17 = prefix + region + org
    return first17 + credit_code_check_char(first17)


@FAST
@given(code=credit_codes(), position=st.integers(0, 16), replacement=st.sampled_from(CREDIT_CODE_CHARSET))
def test_credit_code_single_substitution_is_always_caught(code: str, position: int, replacement: str) -> None:
    try:
        validate_credit_code(code)
    except InvalidValue:
        return  # the generated code names an org-type pair the table lacks; the mutation property needs a valid one
    assert validate_credit_code(code.lower()) == code
    if code[position] != replacement:
        with pytest.raises(InvalidValue):
            validate_credit_code(code[:position] + replacement + code[position + 1 :])


@FAST
@given(amount=st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2))
def test_money_spellings_read_back_in_yuan(amount: Decimal) -> None:
    assert parse_money_yuan(str(amount)) == amount
    assert parse_money_yuan(f"人民币{amount:,}元") == amount
    assert parse_money_yuan(f"{amount}万元") == amount * 10000


@FAST
@given(hectares=st.decimals(min_value=0, max_value=Decimal(10**9), places=4))
def test_area_units_convert_exactly(hectares: Decimal) -> None:
    assert parse_area_mu(f"{hectares}公顷") == hectares * 15
    assert parse_area_mu(f"{hectares}亩") == hectares
