"""统一社会信用代码 (unified social credit code, GB 32100-2015).

The credit code is how an agency's penalty, a court judgment and a licence are
recognised as the same company, so a mistyped code silently splits one party into
two. Both check characters are verified: the organisation code's own (GB 11714,
positions 9–17) and the final one (mod 31, position 18).

Layout: 1 registration authority · 1 organisation type · 6 region · 9 organisation
code (8 body + GB 11714 check) · 1 check character.
"""

from __future__ import annotations

from operator import mul

from schemas.data_files import read_table
from schemas.errors import InvalidValue
from schemas.identifiers.region import PROVINCE_PREFIXES
from schemas.text import normalise_identifier

__all__ = [
    "CREDIT_CODE_CHARSET",
    "ORG_TYPES",
    "credit_code_check_char",
    "org_code_check_char",
    "validate_credit_code",
]

#: The 31 characters allowed (no I, O, Z, S, V — easily confused with 1, 0, 2, 5, U).
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(CREDIT_CODE_CHARSET)}
_CHARSET = frozenset(CREDIT_CODE_CHARSET)
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11714-1997 organisation code: digits 0-9 and letters A=10 … Z=35, weights below.
_ORG_VALUE = {ch: (int(ch) if ch.isdigit() else ord(ch) - 55) for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

#: Valid (registration authority + organisation type) pairs, e.g. ``"91"`` 工商·企业.
ORG_TYPES: dict[str, str] = {
    row["org_type"]: f"{row['authority_zh']}·{row['org_type_zh']}" for row in read_table("credit_code_org_types.csv")
}
_AUTHORITIES = frozenset(code[0] for code in ORG_TYPES)
# Central-level bodies register with region 100000 (e.g. ministries: 111000000000…).
_REGION_PREFIXES = PROVINCE_PREFIXES | {"10"}
# Valid first four characters (authority + organisation type + province): one look-up.
_PREFIXES = frozenset(org + region for org in ORG_TYPES for region in _REGION_PREFIXES)


# Hot path without a per-character Python loop. The final check is S = Σ v_i·3^i (mod 31):
# GB 32100's weights 1, 3, 9, 27, 19, … are the powers of 3 mod 31. Reading the reversed
# code as a base-34 integer gives Σ v_i·34^i ≡ Σ v_i·3^i (mod 31) because 34 ≡ 3, so one
# C-level int() does the weighted sum once each character is mapped to the base-34 digit
# with its value (I O S V Z and every ASCII non-alphanumeric — int() would skip "_",
# signs and surrounding whitespace — map to "!" so int() rejects them). The GB 11714 weights
# 3, 7, 9, 10, 5, 8, 4, 2 are 3·6^i (mod 11); reading the 8-character body as base 35
# gives Σ v_i·35^(7-i) ≡ 7·Σ v_i·6^i, hence sum ≡ 2·int(body, 35) (mod 11) — and org-code
# character values (A=10 … Y=34) are exactly int()'s digit values.
_TO_BASE34 = str.maketrans(
    {
        **{chr(c): "!" for c in range(128) if not chr(c).isalnum()},
        **dict.fromkeys("IOSVZ", "!"),
        **{ch: "0123456789ABCDEFGHIJKLMNOPQRSTU"[v] for ch, v in _VALUE.items()},
    }
)
_ORG_CHECK_BY_REMAINDER = "0X987654321"  # check = 11 - (sum mod 11); 10 -> X, 11 -> 0


def credit_code_check_char(first17: str) -> str:
    """The 18th character for 17 upper-case characters from :data:`CREDIT_CODE_CHARSET`."""
    total = sum(map(mul, map(_VALUE.__getitem__, first17), _WEIGHTS))
    return CREDIT_CODE_CHARSET[-total % 31]


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character for the 8-character body of an organisation code (0-9, A-Z)."""
    total = sum(map(mul, map(_ORG_VALUE.__getitem__, body8), _ORG_WEIGHTS))
    return _ORG_CHECK_BY_REMAINDER[total % 11]


def _explain_wrong_length(code: str) -> InvalidValue:
    if len(code) == 15 and code.isdigit():
        return InvalidValue(
            "credit_code.legacy_registration_number",
            "这是15位旧工商注册号，不是18位统一社会信用代码",
            "this is a legacy 15-digit business registration number, not an 18-character credit code",
        )
    if len(code) in (9, 10) and code.replace("-", "").isalnum():
        return InvalidValue(
            "credit_code.org_code_only",
            "这是9位组织机构代码，不是18位统一社会信用代码",
            "this is a 9-character organisation code, not an 18-character credit code",
        )
    return InvalidValue(
        "credit_code.length",
        f"统一社会信用代码应为18位（实际{len(code)}位）",
        f"credit code must be 18 characters (got {len(code)})",
    )


def validate_credit_code(value: str) -> str:
    """Return the upper-case 18-character code, or raise :class:`InvalidValue`.

    Lower-case letters, full-width characters and embedded spaces are accepted and
    normalised; everything else must be exact. The common case (a valid code) takes
    one pass of C-level operations; only a failing code pays for the ordered diagnosis.
    """
    if value.__class__ is not str:
        raise InvalidValue("credit_code.type", "统一社会信用代码应为文本", "credit code must be text")
    if value.isascii():  # O(1): the common case, no full-width characters
        code = value if value.isupper() else value.upper()
        if _passes_both_checks(code):
            return code
    code = normalise_identifier(value).upper()  # spaces, full-width characters
    if code.isascii() and _passes_both_checks(code):
        return code
    raise _diagnose(code)


def _passes_both_checks(code: str) -> bool:
    """Shape, both check characters; ``code`` is upper-case ASCII (any other character fails int())."""
    if len(code) != 18 or code[:4] not in _PREFIXES or not code[4:8].isdigit():
        return False
    try:
        return (
            CREDIT_CODE_CHARSET[-int(code[16::-1].translate(_TO_BASE34), 34) % 31] == code[17]
            and _ORG_CHECK_BY_REMAINDER[2 * int(code[8:16], 35) % 11] == code[16]
        )
    except ValueError:
        return False


def _diagnose(code: str) -> InvalidValue:
    """The first rule a code breaks, in the order a person would check them."""
    if len(code) != 18:
        return _explain_wrong_length(code)
    if not _CHARSET.issuperset(code):
        return InvalidValue(
            "credit_code.charset",
            "统一社会信用代码含非法字符（只允许数字和除 I、O、Z、S、V 外的大写字母）",
            "credit code has an illegal character (digits and capitals except I, O, Z, S, V only)",
        )
    if code[:2] not in ORG_TYPES:
        if code[0] not in _AUTHORITIES:
            return InvalidValue(
                "credit_code.authority",
                f"第1位登记管理部门代码 {code[0]} 无效",
                f"registration-authority code {code[0]} (position 1) is not valid",
            )
        return InvalidValue(
            "credit_code.org_type",
            f"登记管理部门 {code[0]} 下没有机构类别代码 {code[1]}",
            f"organisation-type code {code[1]} is not valid for registration authority {code[0]}",
        )
    if not code[2:8].isdigit() or code[2:4] not in _REGION_PREFIXES:
        return InvalidValue(
            "credit_code.region",
            "第3–8位登记管理机关行政区划码无效",
            "region code of the registering authority (positions 3–8) is not valid",
        )
    if org_code_check_char(code[8:16]) != code[16]:
        return InvalidValue(
            "credit_code.org_code_checksum",
            "第9–17位组织机构代码的校验码不正确（GB 11714）",
            "organisation-code check character (positions 9–17, GB 11714) is wrong",
        )
    expected = credit_code_check_char(code[:17])
    if expected != code[17]:
        return InvalidValue(
            "credit_code.checksum",
            f"第18位校验码不正确，按前17位应为 {expected}",
            f"check character (position 18) is wrong; the first 17 give {expected}",
        )
    raise AssertionError("diagnose called on a valid code")
