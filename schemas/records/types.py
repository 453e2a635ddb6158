"""Pydantic field types built on the validators, shared by every record model.

Each type runs one validator from :mod:`schemas.identifiers` / :mod:`schemas.values`.
Its :class:`~schemas.errors.InvalidValue` is a pydantic-core custom error, so a model
error has the validator's stable code as ``type`` and the Chinese and English
messages in ``ctx``: the field path *and* the reason, groupable by code. The JSON
Schema of each type describes the canonical form the hub stores; the validators
accept the looser forms agencies send. Validators of values that repeat from record
to record (dates, cited statutes) are memoised (:mod:`schemas.memo`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema

from schemas.area import parse_area_mu
from schemas.dates import parse_aware_datetime, parse_date
from schemas.errors import InvalidValue
from schemas.identifiers.case_number import normalise_case_number
from schemas.identifiers.credit_code import validate_credit_code
from schemas.identifiers.doc_number import normalise_doc_number
from schemas.identifiers.id_number import validate_id_number
from schemas.identifiers.region import validate_region_code
from schemas.memo import memoised
from schemas.money import parse_money_yuan
from schemas.text import FULLWIDTH_ALNUM, normalise_name, normalise_prose

__all__ = [
    "PERSONAL_DATA",
    "AgencyCode",
    "AreaMu",
    "AwareTimestamp",
    "CaseNumber",
    "Citation",
    "CreditCode",
    "DocNumber",
    "IdNumber",
    "LenientDate",
    "Money",
    "Name",
    "PersonalName",
    "Prose",
    "RecordId",
    "RegionCode",
    "Sha256",
    "ShortText",
    "coded_enum",
    "personal",
]

#: ``json_schema_extra`` marking a field as personal data (encrypted at rest, stripped from results).
PERSONAL_DATA: dict[str, Any] = {"x-personal-data": True}


def personal(description: str, **kwargs: Any) -> Any:
    """A ``Field`` marked as personal data; say in ``description`` why the field may name a person."""
    return Field(description=description, json_schema_extra=PERSONAL_DATA, **kwargs)


def _text(
    normalise: Callable[[str], str], max_length: int, *, single_spaces_ok: bool, what_zh: str, what_en: str
) -> Callable[[Any], Any]:
    """Normalise text, reject it if empty or too long (counted in characters, not bytes).

    Length is checked here rather than with pydantic string constraints, which
    count characters of non-ASCII text at a cost that shows at 100,000 records/s.
    """

    def parse(value: Any) -> Any:
        if value.__class__ is not str:
            if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e18:
                value = str(value)  # spreadsheet cells: a name or number read as a number
            else:
                return value  # let pydantic report the type error
        # Inline fast path for text that normalisation would not change (cf. schemas.text._is_tidy).
        # Names take the slow way for any space (it may sit between Chinese characters) or "(".
        if single_spaces_ok:
            tidy = "  " not in value and value[:1] != " " and value[-1:] != " "
        else:
            tidy = " " not in value and "(" not in value
        if not (tidy and value.isprintable() and FULLWIDTH_ALNUM.search(value) is None):
            value = normalise(value)
        if not value:
            raise InvalidValue("text.empty", f"{what_zh}不能为空", f"{what_en} must not be empty")
        if len(value) > max_length:
            raise InvalidValue(
                "text.too_long",
                f"{what_zh}过长（最多{max_length}个字符）",
                f"{what_en} is too long (at most {max_length} characters)",
            )
        return value

    return parse


def _stripped(max_length: int, *, what_zh: str, what_en: str) -> Callable[[Any], Any]:
    """Strip surrounding whitespace, then require 1..max_length characters (checked in Python, see _text)."""

    def parse(value: Any) -> Any:
        if value.__class__ is str:
            value = value.strip()
            if not value:
                raise InvalidValue("text.empty", f"{what_zh}不能为空", f"{what_en} must not be empty")
            if len(value) > max_length:
                raise InvalidValue(
                    "text.too_long",
                    f"{what_zh}过长（最多{max_length}个字符）",
                    f"{what_en} is too long (at most {max_length} characters)",
                )
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**18:
            return str(value)  # numeric ids read from spreadsheets
        return value

    return parse


CreditCode = Annotated[
    str,
    BeforeValidator(validate_credit_code),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$",
            "format": "gb32100-credit-code",
            "description": "统一社会信用代码 (GB 32100-2015), upper case, both check characters verified",
        }
    ),
]
IdNumber = Annotated[
    str,
    BeforeValidator(validate_id_number),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[0-9]{17}[0-9X]$",
            "format": "gb11643-id-number",
            "description": "公民身份号码 (GB 11643-1999), 18 characters; 15-digit legacy numbers are upgraded",
        }
    ),
    Field(json_schema_extra=PERSONAL_DATA),
]
RegionCode = Annotated[
    str,
    BeforeValidator(validate_region_code),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[0-9]{6}$",
            "format": "gbt2260-region-code",
            "description": "行政区划代码 (GB/T 2260), present in schemas/data/gbt2260.csv",
        }
    ),
]
CaseNumber = Annotated[
    str,
    BeforeValidator(normalise_case_number),
    WithJsonSchema(
        {
            "type": "string",
            "format": "court-case-number",
            "description": "法院案号, canonical form with full-width brackets, e.g. （2018）浙0824民初123号",
        }
    ),
]
DocNumber = Annotated[
    str,
    BeforeValidator(normalise_doc_number),
    WithJsonSchema(
        {
            "type": "string",
            "format": "doc-number",
            "description": "文号 with the year in 〔〕, e.g. 衢检行公建〔2018〕3号",
        }
    ),
]
LenientDate = Annotated[
    date,
    BeforeValidator(memoised(parse_date)),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": "ISO date 1990-01-01..2100-12-31; 2018/3/21, 20180321, 2018年3月21日 are accepted",
        }
    ),
]
#: A date-time with its UTC offset; memoised because a pull stamps many records with one ``fetched_at``.
AwareTimestamp = Annotated[
    datetime,
    BeforeValidator(memoised(parse_aware_datetime)),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 date-time with UTC offset, e.g. 2018-12-31T08:00:00+08:00",
        }
    ),
]
Money = Annotated[
    Decimal,
    BeforeValidator(parse_money_yuan),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "pattern": "^[0-9]+(\\.[0-9]{1,2})?$",
            "minimum": 0,
            "description": "amount in yuan (元), ≥ 0, two decimals; 12.5万元 / 1.2亿元 / 壹拾贰万伍仟元整 accepted",
        }
    ),
]
AreaMu = Annotated[
    Decimal,
    BeforeValidator(parse_area_mu),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "minimum": 0,
            "description": "area in 亩 (mu), ≥ 0; 2公顷 (=30亩) and 1000平方米 (=1.5亩) accepted",
        }
    ),
]

#: Names of organisations and places; folds letters/digits, keeps Chinese brackets.
Name = Annotated[
    str,
    BeforeValidator(_text(normalise_name, 200, single_spaces_ok=False, what_zh="名称", what_en="name")),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200}),
]
#: A name that may be a natural person's (a party, a receiver): personal data.
PersonalName = Annotated[Name, Field(json_schema_extra=PERSONAL_DATA)]
#: Free text (facts, measures, outcomes); keeps Chinese punctuation and paragraphs.
Prose = Annotated[
    str,
    BeforeValidator(_text(normalise_prose, 20_000, single_spaces_ok=True, what_zh="文本", what_en="text")),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 20_000}),
]
#: Prose that recurs record after record (the statutes a decision cites): memoised.
Citation = Annotated[
    str,
    BeforeValidator(memoised(_text(normalise_prose, 20_000, single_spaces_ok=True, what_zh="文本", what_en="text"))),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 20_000}),
]
#: Short labels (system names, pollutants, units): stripped, 1–128 characters.
ShortText = Annotated[
    str,
    BeforeValidator(_stripped(128, what_zh="文本", what_en="text")),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 128}),
]
#: A record's id in its source system: stripped, 1–256 characters.
RecordId = Annotated[
    str,
    BeforeValidator(_stripped(256, what_zh="记录编号", what_en="record id")),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 256}),
]
#: The hub's code for a sending agency (ASCII), e.g. ``zj.qz.sthjj`` or the agency's credit code.
AgencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{1,63}$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True)]


def coded_enum(labels: dict[str, str], description: str) -> Any:
    """A closed set of English codes that also accepts each code's Chinese label.

    Agencies send ``已完成`` where the contract says ``completed``; both are accepted
    and stored as the code. The JSON Schema lists the codes and, in
    ``x-labels-zh``, the labels.
    """
    by_label = {zh: code for code, zh in labels.items()}

    def to_code(value: Any) -> Any:
        if value.__class__ is str and value not in labels:
            return by_label.get(value.strip(), value.strip())
        return value

    codes = tuple(labels)
    return Annotated[
        Literal[codes],  # type: ignore[valid-type]
        BeforeValidator(to_code),
        WithJsonSchema({"type": "string", "enum": list(codes), "x-labels-zh": labels, "description": description}),
    ]
