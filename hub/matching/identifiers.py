"""Exact keys: validated credit codes, keyed hashes of resident ID numbers, 案号 and document numbers.

Exact keys decide most links cheaply and with near certainty, but only when the key is *valid*: a
mistyped credit code that fails its check character is treated as missing, never as a disagreement,
because a typo says nothing about which company the record concerns.

Everything here works on whole columns (numpy / pyarrow) because it runs on a million records.

Credit codes: a vectorised pre-filter (length, charset, GB 32100 mod-31 check) runs over the whole
column, then the project's shared validator (``schemas.identifiers.validate_credit_code``, which
also checks the GB 11714 organisation-code character, the organisation type and the region prefix)
confirms the distinct survivors, so the engine and the rest of pilhub agree on what "valid" means.
Resident ID numbers use the MOD 11-2 check here, vectorised.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.errors import InvalidValue
from schemas.identifiers import validate_credit_code

# GB 32100-2015: 31 characters (no I, O, Z, S, V), weights for positions 1..17.
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)
# GB 11643-1999 (ISO 7064 MOD 11-2) for resident ID numbers.
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = "10X98765432"

_CREDIT_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(CREDIT_CHARSET):
    _CREDIT_VALUE[ord(_c)] = _i

_DIGIT_VALUE = np.full(256, -1, dtype=np.int64)
for _i in range(10):
    _DIGIT_VALUE[ord("0") + _i] = _i


def credit_check_char(first17: str) -> str:
    """The check character for 17 credit-code characters (used by the generator and the tests)."""
    total = sum(CREDIT_CHARSET.index(c) * int(w) for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def make_credit_code(prefix8: str, body8: str) -> str:
    """A valid code from authority+type+region (8 chars) and an 8-char organisation body.

    The GB 11714 organisation check character comes from the shared schemas module; used by the
    generators so their codes pass the same validator the engine applies.
    """
    from schemas.identifiers.credit_code import org_code_check_char

    first17 = prefix8 + body8 + org_code_check_char(body8)
    return first17 + credit_check_char(first17)


def id_check_char(first17: str) -> str:
    """The MOD 11-2 check character for 17 ID digits."""
    total = sum(int(c) * int(w) for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def _clean_upper(values: pa.Array) -> pa.Array:
    """Full-width to half-width, no spaces, upper case: the forms people actually type."""
    values = pc.utf8_normalize(values, form="NFKC")
    values = pc.replace_substring_regex(values, pattern=r"[\s\-]", replacement="")
    return pc.utf8_upper(values)


def _fixed_bytes(values: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of exactly ``width`` ASCII bytes as a (n, width) uint8 matrix plus the mask of such rows."""
    lengths = pc.fill_null(pc.binary_length(pc.cast(values, pa.binary())), 0).to_numpy(zero_copy_only=False)
    ok = lengths == width
    mat = np.zeros((len(values), width), dtype=np.uint8)
    if ok.any():
        picked = pc.filter(values, pa.array(ok)).to_numpy(zero_copy_only=False).astype(f"S{width}")
        mat[ok] = np.frombuffer(picked.tobytes(), dtype=np.uint8).reshape(-1, width)
    return mat, ok


def valid_credit_codes(values: Iterable[str | None] | pa.Array) -> pa.Array:
    """Normalised credit codes where the GB 32100 check character holds, else null."""
    arr = pa.array(values, type=pa.string()) if not isinstance(values, pa.Array) else values
    arr = _clean_upper(pc.cast(arr, pa.string()))
    mat, ok = _fixed_bytes(arr, 18)
    vals = _CREDIT_VALUE[mat]
    ok &= (vals >= 0).all(axis=1)
    expected = (31 - (vals[:, :17] @ CREDIT_WEIGHTS) % 31) % 31
    ok &= vals[:, 17] == expected
    # the shared validator on the distinct survivors (organisation code, type, region prefix)
    survivors = pc.filter(arr, pa.array(ok))
    verdict: dict[str, bool] = {}
    for code in pc.unique(survivors).to_pylist():
        try:
            validate_credit_code(code)
            verdict[code] = True
        except InvalidValue:
            verdict[code] = False
    good = pa.array([c for c, v in verdict.items() if v], pa.string())
    ok &= pc.fill_null(pc.is_in(arr, value_set=good), False).to_numpy(zero_copy_only=False)
    return pc.if_else(pa.array(ok), arr, pa.scalar(None, pa.string()))


def valid_id_numbers(values: Iterable[str | None] | pa.Array) -> pa.Array:
    """18-digit resident ID numbers whose MOD 11-2 check holds (old 15-digit form upgraded), else null."""
    arr = pa.array(values, type=pa.string()) if not isinstance(values, pa.Array) else values
    arr = _clean_upper(pc.cast(arr, pa.string()))
    # 15-digit form (before 1999): insert century "19" after the region code and append the check.
    lengths = pc.fill_null(pc.utf8_length(arr), 0).to_numpy(zero_copy_only=False)
    if (lengths == 15).any():
        pylist = arr.to_pylist()
        for i in np.flatnonzero(lengths == 15):
            s = pylist[i]
            if s.isdigit():
                body = s[:6] + "19" + s[6:]
                pylist[i] = body + id_check_char(body)
        arr = pa.array(pylist, type=pa.string())
    mat, ok = _fixed_bytes(arr, 18)
    digits = _DIGIT_VALUE[mat[:, :17]]
    ok &= (digits >= 0).all(axis=1)
    check = np.frombuffer(ID_CHECK.encode(), dtype=np.uint8)[(digits @ ID_WEIGHTS) % 11]
    ok &= mat[:, 17] == check
    return pc.if_else(pa.array(ok), arr, pa.scalar(None, pa.string()))


def hash_id_numbers(values: Iterable[str | None] | pa.Array, key: bytes) -> pa.Array:
    """Keyed HMAC-SHA256 (hex, 32 chars) of valid ID numbers; invalid or missing ones become null.

    The raw numbers never leave this function: the engine keeps only the hashes, so neither logs nor
    stored explanations can leak them. The key is the engine's (see ``LinkageEngine``), so hashes are
    comparable only within one key.
    """
    valid = valid_id_numbers(values).to_pylist()
    out = [None if v is None else hmac.digest(key, v.encode("ascii"), hashlib.sha256)[:16].hex() for v in valid]
    return pa.array(out, type=pa.string())


# Brackets of every width people use around the year of a 案号 or 文号.
_OPEN = r"[\(（〔【\[［﹝⦅「『<《]"
_CLOSE = r"[\)）〕】\]］﹞⦆」』>》]"


def normalise_reference_numbers(values: Iterable[str | None] | pa.Array) -> pa.Array:
    """Canonical 案号 / 文号: half-width, brackets unified to (), no spaces, no 第, no leading zeros.

    （2018）浙0824民初123号, (2018)浙0824民初0123号 and ［2018］浙0824民初第123号 all become
    (2018)浙0824民初123号; 衢检行公建〔2018〕3号 and 衢检行公建[2018]3号 both (2018) form.
    """
    arr = pa.array(values, type=pa.string()) if not isinstance(values, pa.Array) else values
    arr = pc.utf8_normalize(pc.cast(arr, pa.string()), form="NFKC")
    arr = pc.replace_substring_regex(arr, pattern=r"\s", replacement="")
    arr = pc.replace_substring_regex(arr, pattern=_OPEN, replacement="(")
    arr = pc.replace_substring_regex(arr, pattern=_CLOSE, replacement=")")
    arr = pc.replace_substring_regex(arr, pattern=r"第(\d)", replacement=r"\1")
    arr = pc.replace_substring_regex(arr, pattern=r"(\D)0+(\d+号)$", replacement=r"\1\2")
    arr = pc.utf8_upper(arr)
    empty = pc.equal(pc.fill_null(pc.utf8_length(arr), 0), 0)
    return pc.if_else(empty, pa.scalar(None, pa.string()), arr)


#: Positions of an 18-character identifier; a one-character typo leaves the other 17 intact.
IDENTIFIER_WIDTH = 18
_NO_MASK = -1


def one_substitution_masks(values: pa.Array, take: np.ndarray, key: bytes) -> np.ndarray:
    """(n, 18) int64 keyed hashes of each 18-character value with one position masked (−1 where not taken).

    Two values differ in at most one position exactly when they share the masked hash of that position,
    so a one-character typo is found by equality, without keeping the values themselves: for ID numbers
    only these keyed hashes leave this function, as with ``hash_id_numbers``.
    """
    out = np.full((len(values), IDENTIFIER_WIDTH), _NO_MASK, dtype=np.int64)
    rows = np.flatnonzero(take)
    if not len(rows):
        return out
    texts = values.to_pylist()
    cache: dict[str, np.ndarray] = {}
    for i in rows:
        v = texts[i]
        if v is None or len(v) != IDENTIFIER_WIDTH:
            continue
        got = cache.get(v)
        if got is None:
            got = np.empty(IDENTIFIER_WIDTH, dtype=np.int64)
            for p in range(IDENTIFIER_WIDTH):
                masked = f"{p}:{v[:p]}*{v[p + 1 :]}".encode()
                digest = hmac.digest(key, masked, hashlib.sha256)
                got[p] = int.from_bytes(digest[:8], "little") & 0x7FFF_FFFF_FFFF_FFFF
            cache[v] = got
        out[i] = got
    return out


def typo_masks(
    rec_values: Iterable[str | None] | pa.Array,
    par_values: Iterable[str | None] | pa.Array,
    kind: str,
    key: bytes,
) -> tuple[np.ndarray, np.ndarray]:
    """Masked hashes for the typo levels: on the record side identifiers of 18 characters whose check
    fails (a typo), on the party side valid ones. ``kind`` is ``credit`` or ``id``.

    A single substituted character always breaks the check (GB 32100's mod-31 and GB 11643's MOD 11-2
    detect every single substitution), so a record code one character from a party's valid code and
    failing its check is a slip of that code, while two valid codes are always two organisations or
    people.
    """
    valid = valid_credit_codes if kind == "credit" else valid_id_numbers
    out = []
    for values, want_valid in ((rec_values, False), (par_values, True)):
        arr = pa.array(values, type=pa.string()) if not isinstance(values, pa.Array) else values
        clean = _clean_upper(pc.cast(arr, pa.string()))
        is_valid = pc.is_valid(valid(clean)).to_numpy(zero_copy_only=False)
        width = pc.fill_null(pc.utf8_length(clean), 0).to_numpy(zero_copy_only=False) == IDENTIFIER_WIDTH
        take = width & (is_valid if want_valid else ~is_valid)
        out.append(one_substitution_masks(clean, take, key))
    return out[0], out[1]
