"""Document numbers (发文字号) of agencies and procuratorates, e.g. ``衢检行公建〔2018〕3号``.

A procuratorial recommendation is tracked by its number from issue to reply to
follow-up, and an agency's penalty decision by its own number; replies quote the
recommendation number in whatever brackets the clerk typed. The national rules on
official documents (GB/T 9704) prescribe ``〔〕`` around the year, so every variant
(``[]`` ``()`` ``（）`` ``【】`` ``［］`` ``〖〗``) is normalised to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from schemas.errors import InvalidValue
from schemas.text import FULLWIDTH_ALNUM, normalise_identifier

__all__ = ["DocNumberParts", "normalise_doc_number", "validate_doc_number"]

# Any bracket variant around the year; the serial is bounded so int() stays safe.
_DOC = re.compile(r"([^\W\d_][\w-]*?)[〔\[(（【［〖]([0-9]{4})[〕\])）】］〗](第?)([0-9]{1,9})号")
# Already canonical (〔〕, ASCII digits, no leading zero, CJK/ASCII issuer): no parsing needed.
_CANONICAL = re.compile(r"[\u3400-\u9fffA-Za-z][\u3400-\u9fffA-Za-z0-9-]*〔([0-9]{4})〕第?[1-9][0-9]{0,8}号")
_EARLIEST_YEAR = 1949
_IMPORT_YEAR = date.today().year  # cheap bound first; date.today() only for a year beyond it


@dataclass(frozen=True, slots=True)
class DocNumberParts:
    """A parsed document number; ``str()`` gives the canonical form."""

    normalised: str
    issuer: str  # 发文机关代字, e.g. 衢检行公建
    year: int
    serial: int

    def __str__(self) -> str:
        return self.normalised

    @property
    def is_procuratorial(self) -> bool:
        """True when the issuer prefix is a procuratorate's (contains 检), e.g. 衢检行公建."""
        return "检" in self.issuer


def _parse(value: str) -> tuple[str, str, int, int]:
    """(normalised, issuer, year, serial), or raise :class:`InvalidValue`."""
    match = _DOC.fullmatch(value)
    if match is None or FULLWIDTH_ALNUM.search(match[1]) is not None:
        match = _DOC.fullmatch(normalise_identifier(value))  # spaces, full-width letters and digits
    if match is None:
        raise InvalidValue(
            "doc_number.format",
            "文号格式应为机关代字+〔年份〕+序号+号，如衢检行公建〔2018〕3号",
            "a document number looks like issuer prefix + 〔year〕 + serial + 号, e.g. 衢检行公建〔2018〕3号",
        )
    issuer, year_text, di, serial_text = match.groups()
    year = int(year_text)
    if not (_EARLIEST_YEAR <= year <= _IMPORT_YEAR + 1 or _EARLIEST_YEAR <= year <= date.today().year + 1):
        raise InvalidValue(
            "doc_number.year",
            f"文号年份 {year} 不在合理范围（1949年至明年）",
            f"document-number year {year} is outside 1949..next year",
        )
    serial = int(serial_text)
    if serial == 0:
        raise InvalidValue("doc_number.serial", "文号序号不能为0", "document-number serial must not be 0")
    return f"{issuer}〔{year}〕{di}{serial}号", issuer, year, serial


def validate_doc_number(value: str) -> DocNumberParts:
    """Parse and normalise a document number; raise :class:`InvalidValue` if it is not one.

    ``第`` before the serial is kept when written (some agencies' official numbers
    carry it, e.g. 林业 ``龙林罚决字〔2018〕第12号``); leading zeros of the serial are dropped.
    """
    if not isinstance(value, str):
        raise InvalidValue("doc_number.type", "文号应为文本", "document number must be text")
    return DocNumberParts(*_parse(value))


def normalise_doc_number(value: str) -> str:
    """The canonical string only (what record fields store); same rules as :func:`validate_doc_number`."""
    if value.__class__ is not str:
        raise InvalidValue("doc_number.type", "文号应为文本", "document number must be text")
    match = _CANONICAL.fullmatch(value)
    if match is not None and _EARLIEST_YEAR <= int(match[1]) <= _IMPORT_YEAR + 1:
        return value
    return _parse(value)[0]
