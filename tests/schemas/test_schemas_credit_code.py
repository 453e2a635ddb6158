"""统一社会信用代码 (GB 32100-2015) validation."""

from __future__ import annotations

import random

import pytest
from schema_factories import make_credit_code

from schemas.errors import InvalidValue
from schemas.identifiers.credit_code import (
    ORG_TYPES,
    credit_code_check_char,
    org_code_check_char,
    validate_credit_code,
)


def test_known_code_checked_by_hand() -> None:
    """91350100M000100Y43, the sample code often printed in guides.

    Organisation code M000100Y + check: values M=22, Y=34 (GB 11714: A=10 … Z=35);
    22·3 + 1·5 + 34·2 = 139; 139 mod 11 = 7; 11 − 7 = 4 → '4'.
    Final check: values (credit charset, M=21, Y=30) times weights 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28:
    9 + 3 + 27 + 135 + 26 + 420 + 8 + 900 + 112 = 1640; 1640 mod 31 = 28; 31 − 28 = 3 → '3'.
    """
    assert org_code_check_char("M000100Y") == "4"
    assert credit_code_check_char("91350100M000100Y4") == "3"
    assert validate_credit_code("91350100M000100Y43") == "91350100M000100Y43"


def test_known_code_with_x_organisation_check_by_hand() -> None:
    """9144030071526726XG: org code 71526726-X, then G.

    7·3+1·7+5·9+2·10+6·5+7·8+2·4+6·2 = 199; 199 mod 11 = 1; 11 − 1 = 10 → 'X'.
    Final: weighted sum 1782; 1782 mod 31 = 15; 31 − 15 = 16 → 'G'.
    """
    assert org_code_check_char("71526726") == "X"
    assert credit_code_check_char("9144030071526726X") == "G"
    assert validate_credit_code("9144030071526726XG") == "9144030071526726XG"


@pytest.mark.parametrize("code", ["91330100799655058B", "91350100M000100Y43", "9144030071526726XG"])
def test_real_codes_are_valid(code: str) -> None:
    assert validate_credit_code(code) == code


def test_generated_codes_of_every_org_type_are_valid(rng: random.Random) -> None:
    for prefix in ORG_TYPES:
        for _ in range(30):
            code = make_credit_code(rng, prefix=prefix, region=rng.choice(["330802", "110105", "100000"]))
            assert validate_credit_code(code) == code


def test_generated_codes_fail_when_any_character_changes(rng: random.Random) -> None:
    code = make_credit_code(rng)
    for position in range(8, 18):
        for replacement in "0A":
            if code[position] == replacement:
                continue
            changed = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(InvalidValue) as info:
                validate_credit_code(changed)
            assert info.value.code in {"credit_code.checksum", "credit_code.org_code_checksum"}


@pytest.mark.parametrize(
    "raw",
    [
        "91350100m000100y43",
        " 9135 0100 M000 100Y 43 ",
        "９１３５０１００Ｍ０００１００Ｙ４３",
        "91350100M000100Y43\u3000",
    ],
)
def test_lower_case_full_width_and_spaces_are_normalised(raw: str) -> None:
    assert validate_credit_code(raw) == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("91350100M000100Y4", "credit_code.length"),
        ("91350100M000100Y433", "credit_code.length"),
        ("", "credit_code.length"),
        ("330100000012345", "credit_code.legacy_registration_number"),
        ("71526726-X", "credit_code.org_code_only"),
        ("91350100M000100O43", "credit_code.charset"),  # O is not allowed
        ("91350100M0001I0Y43", "credit_code.charset"),  # I
        ("9135010ZM000100Y43", "credit_code.charset"),  # Z
        ("91350100M0001S0Y43", "credit_code.charset"),  # S
        ("91350100M0001V0Y43", "credit_code.charset"),  # V
        ("91350100M000100Y4!", "credit_code.charset"),
        ("B1350100M000100Y43", "credit_code.authority"),
        ("94350100M000100Y43", "credit_code.org_type"),
        ("1A350100M000100Y43", "credit_code.org_type"),
        ("91990100M000100Y43", "credit_code.region"),
        ("9135A100M000100Y43", "credit_code.region"),
        ("91350100M000100Y53", "credit_code.org_code_checksum"),
        ("91350100M000100Y44", "credit_code.checksum"),
    ],
)
def test_each_class_of_invalid_code(raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as info:
        validate_credit_code(raw)
    assert info.value.code == code
    assert " / " in str(info.value) and info.value.zh and info.value.en


def test_checksum_message_names_the_expected_character() -> None:
    with pytest.raises(InvalidValue) as info:
        validate_credit_code("91350100M000100Y44")
    assert "3" in info.value.zh and "3" in info.value.en


@pytest.mark.parametrize("value", [None, 91350100, b"91350100M000100Y43"])
def test_non_text_is_rejected(value: object) -> None:
    with pytest.raises(InvalidValue) as info:
        validate_credit_code(value)  # type: ignore[arg-type]
    assert info.value.code == "credit_code.type"


def test_invalid_value_is_a_value_error_and_pickles() -> None:
    import pickle

    with pytest.raises(ValueError) as info:
        validate_credit_code("x")
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.code, copy.zh, copy.en) == (info.value.code, info.value.zh, info.value.en)  # type: ignore[attr-defined]


def _reference_is_valid(code: str) -> bool:
    """GB 32100 / GB 11714 written out plainly, to check the arithmetic shortcut of the fast path."""
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    if len(code) != 18 or any(c not in charset for c in code) or code[:2] not in ORG_TYPES:
        return False
    if not code[2:8].isdigit() or code[2:4] not in {"10", "11", "33", "44", "65"}:
        return False
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(charset.index(c) * w for c, w in zip(code[:17], weights, strict=True))
    org_values = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    org_total = sum(org_values.index(c) * w for c, w in zip(code[8:16], (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    org_check = {10: "X", 11: "0"}.get(11 - org_total % 11, str(11 - org_total % 11))
    return charset[(31 - total % 31) % 31] == code[17] and org_check == code[16]


def test_fast_path_agrees_with_the_plain_reference(rng: random.Random) -> None:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    noisy = alphabet + "IOSVZ_+-!"
    for i in range(20_000):
        body = "".join(rng.choice(noisy if i % 5 == 0 else alphabet) for _ in range(10))
        code = rng.choice(sorted(ORG_TYPES)) + rng.choice(["330824", "110105", "100000", "440300", "650100"]) + body
        if i % 3 == 0 and all(c in alphabet for c in code[8:16]):
            code = code[:16] + org_code_check_char(code[8:16])
            code += credit_code_check_char(code)
        try:
            accepted = validate_credit_code(code) == code
        except InvalidValue:
            accepted = False
        assert accepted == _reference_is_valid(code), code
