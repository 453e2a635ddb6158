"""法院案号 (court case numbers), e.g. ``（2018）浙0824民初123号``.

Court records are keyed by case number, and filings, judgments and executions of
one dispute are linked through it, so every spelling an agency or court system
produces must map to one canonical string: full-width brackets, no spaces, no
leading zeros. Layout since 2016 (SPC rules on case numbers, 法〔2015〕137号):
``（年份）`` + court code + case-type word (案件类型代字) + serial + ``号``; the court
code is ``最高法``, a province abbreviation (high court), or the abbreviation plus 2
(intermediate/special court) or 4 digits (basic court, digits from its region code).
The pre-2016 form ``（2014）衢柯民初字第123号`` is recognised too and reported as legacy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from schemas.data_files import read_table
from schemas.errors import InvalidValue
from schemas.text import normalise_identifier

__all__ = [
    "CASE_TYPES",
    "COURT_PROVINCES",
    "CaseNumberParts",
    "CaseType",
    "normalise_case_number",
    "validate_case_number",
]


@dataclass(frozen=True, slots=True)
class CaseType:
    """One case-type word from the shipped table."""

    code: str
    domain: str  # criminal, civil, administrative, execution, ...
    zh: str
    en: str


#: 案件类型代字 → description, from ``schemas/data/case_types.csv``.
CASE_TYPES: dict[str, CaseType] = {
    row["code"]: CaseType(row["code"], row["domain"], row["zh"], row["en"]) for row in read_table("case_types.csv")
}
_TYPES_LONGEST_FIRST = sorted(CASE_TYPES, key=len, reverse=True)

#: Province abbreviations used in court codes → GB/T 2260 province prefix (兵团 and 军 have none).
COURT_PROVINCES: dict[str, str | None] = {
    "京": "11", "津": "12", "冀": "13", "晋": "14", "内": "15", "辽": "21", "吉": "22", "黑": "23",
    "沪": "31", "苏": "32", "浙": "33", "皖": "34", "闽": "35", "赣": "36", "鲁": "37", "豫": "41",
    "鄂": "42", "湘": "43", "粤": "44", "桂": "45", "琼": "46", "渝": "50", "川": "51", "黔": "52",
    "云": "53", "藏": "54", "陕": "61", "甘": "62", "青": "63", "宁": "64", "新": "65",
    "兵": None, "军": None,
}  # fmt: skip

# Serials are bounded (9 digits) so int() never meets Python's 4300-digit conversion limit.
# A case split off another keeps its number plus 之一, 之二 … (e.g. 民初123号之一).
_SUB = r"(之[一二三四五六七八九十]{1,3})?"
_CURRENT = re.compile(r"\(([0-9]{4})\)(最高法|[^\W\d_](?:[0-9]{2}|[0-9]{4})?)([^\W\d_]+?)第?([0-9]{1,9})号" + _SUB)
_LEGACY = re.compile(r"\(([0-9]{4})\)([^\W\d_]+?)字第([0-9]{1,9})号" + _SUB)
_EARLIEST_YEAR = 1949
_IMPORT_YEAR = date.today().year  # cheap bound first; date.today() only for a year beyond it


@dataclass(frozen=True, slots=True)
class CaseNumberParts:
    """A parsed case number; ``str()`` gives the canonical form."""

    normalised: str
    year: int
    court_code: str
    case_type: str
    serial: int
    legacy: bool = False
    sub_case: str = ""  # 之一, 之二 … for a case split off another

    def __str__(self) -> str:
        return self.normalised

    @property
    def region_code(self) -> str | None:
        """The basic court's county code (``浙0824`` → ``330824``), when the court code has 4 digits."""
        prefix = COURT_PROVINCES.get(self.court_code[:1])
        if prefix and len(self.court_code) == 5:
            return prefix + self.court_code[1:]
        return None

    @property
    def case_type_info(self) -> CaseType:
        return CASE_TYPES[self.case_type]


def _year(text: str) -> int:
    year = int(text)
    if not (_EARLIEST_YEAR <= year <= _IMPORT_YEAR + 1 or _EARLIEST_YEAR <= year <= date.today().year + 1):
        raise InvalidValue(
            "case_number.year",
            f"案号年份 {year} 不在合理范围（1949年至明年）",
            f"case-number year {year} is outside 1949..next year",
        )
    return year


def _serial(text: str) -> int:
    serial = int(text)
    if serial == 0:
        raise InvalidValue("case_number.serial", "案号序号不能为0", "case-number serial must not be 0")
    return serial


def _unknown_type(word: str) -> InvalidValue:
    return InvalidValue(
        "case_number.case_type",
        f"案件类型代字“{word}”不在代字表中",
        f"case-type word '{word}' is not in the case-type table",
    )


def validate_case_number(value: str) -> CaseNumberParts:
    """Parse and normalise a case number; raise :class:`InvalidValue` if it is not one.

    Full- and half-width brackets (and ``〔〕`` / ``[]``, seen in OCR output) are accepted;
    the canonical form uses ``（）``.
    """
    if not isinstance(value, str):
        raise InvalidValue("case_number.type", "案号应为文本", "case number must be text")
    text = normalise_identifier(value)
    for opening in "〔[【":
        text = text.replace(opening, "(")
    for closing in "〕]】":
        text = text.replace(closing, ")")
    match = _LEGACY.fullmatch(text) if "字第" in text else None
    if match is not None:
        year, prefix, serial, sub = match.groups()
        word = next((w for w in _TYPES_LONGEST_FIRST if prefix.endswith(w) and len(prefix) > len(w)), None)
        if word is None:
            raise _unknown_type(prefix)
        year_n, serial_n = _year(year), _serial(serial)
        court = prefix[: -len(word)]
        sub = sub or ""
        return CaseNumberParts(
            f"（{year_n}）{prefix}字第{serial_n}号{sub}", year_n, court, word, serial_n, legacy=True, sub_case=sub
        )
    match = _CURRENT.fullmatch(text)
    if match is not None:
        year, court, word, serial, sub = match.groups()
        if court[0] not in COURT_PROVINCES and court != "最高法":
            raise InvalidValue(
                "case_number.court",
                f"法院代字“{court}”无效（应为“最高法”或省份简称加0、2或4位数字）",
                f"court code '{court}' is not valid (最高法, or a province abbreviation plus 0, 2 or 4 digits)",
            )
        if word not in CASE_TYPES:
            raise _unknown_type(word)
        year_n, serial_n = _year(year), _serial(serial)
        sub = sub or ""
        return CaseNumberParts(
            f"（{year_n}）{court}{word}{serial_n}号{sub}", year_n, court, word, serial_n, sub_case=sub
        )
    raise InvalidValue(
        "case_number.format",
        "案号格式应为（年份）法院代字+类型代字+序号+号，如（2018）浙0824民初123号",
        "a case number looks like (year) court code + case-type word + serial + 号, e.g. （2018）浙0824民初123号",
    )


def normalise_case_number(value: str) -> str:
    """The canonical string only (what record fields store)."""
    return validate_case_number(value).normalised
