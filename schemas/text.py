"""Full-width/half-width and whitespace normalisation for text agencies send.

Agency systems, OCR and hand-typed spreadsheets mix full-width (全角) and half-width
characters and pad values with ideographic spaces (U+3000), non-breaking spaces and
zero-width characters. Identifiers must be compared exactly, so they are folded to
ASCII. Chinese prose and names are different: their punctuation (，。；：) and the
full-width brackets of registered names (``某某有限公司（分公司）``) carry meaning and
must survive, so only letters and digits are folded there.
"""

from __future__ import annotations

import re

__all__ = [
    "FULLWIDTH_ALNUM",
    "collapse_whitespace",
    "normalise_identifier",
    "normalise_name",
    "normalise_prose",
    "to_halfwidth",
]

_IDEOGRAPHIC_SPACE = "\u3000"

# Full-width ASCII block U+FF01..U+FF5E maps to U+0021..U+007E by a fixed offset.
_FULL_TABLE: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULL_TABLE[ord(_IDEOGRAPHIC_SPACE)] = ord(" ")

# Only digits and Latin letters: what prose and names may safely fold.
_ALNUM_TABLE: dict[int, int] = {
    cp: cp - 0xFEE0 for cp in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
}
_ALNUM_TABLE[ord(_IDEOGRAPHIC_SPACE)] = ord(" ")

# Characters that are "space" for our purposes but that ``str.split()`` keeps:
# zero-width space/joiners and the byte-order mark are simply dropped.
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_FULL_TABLE.update(_ZERO_WIDTH)
_ALNUM_TABLE.update(_ZERO_WIDTH)

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}（）]) (?=[{_CJK}（）])")
_ASCII_PARENS_AROUND_CJK = re.compile(rf"\(([^()]*[{_CJK}][^()]*)\)")


# One search decides whether a string needs any work at all; most values do not,
# and str.translate over a dict costs microseconds per call on non-ASCII text.
_FOLDABLE = re.compile("[\uff01-\uff5e\u3000\u200b-\u200d\u2060\ufeff]")
_FOLDABLE_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000\u200b-\u200d\u2060\ufeff]")
#: Full-width digits and Latin letters (what prose and names fold).
FULLWIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def _is_tidy(text: str) -> bool:
    """True when prose/name normalisation would not change ``text``.

    ``isprintable()`` is False for every whitespace but the ASCII space (U+3000,
    NBSP, tabs, newlines) and for zero-width characters, so with a check for double,
    leading and trailing spaces and one character-class search it covers all cases.
    """
    return (
        text.isprintable()
        and "  " not in text
        and text[:1] != " "
        and text[-1:] != " "
        and FULLWIDTH_ALNUM.search(text) is None
    )


def to_halfwidth(text: str, *, punctuation: bool = True) -> str:
    """Fold full-width ASCII-range characters and U+3000 to their half-width forms.

    With ``punctuation=False`` only digits and Latin letters are folded, so Chinese
    punctuation such as ``，`` ``。`` ``（`` ``）`` is kept — use that for prose and names.
    Zero-width characters and BOMs are removed in both modes.
    """
    if text.isascii():
        return text
    if punctuation:
        return text.translate(_FULL_TABLE) if _FOLDABLE.search(text) else text
    return text.translate(_ALNUM_TABLE) if _FOLDABLE_ALNUM.search(text) else text


def collapse_whitespace(text: str) -> str:
    """Collapse every run of Unicode whitespace (incl. U+3000, NBSP) to one space and strip."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.translate(_ZERO_WIDTH).split())


def normalise_identifier(text: str) -> str:
    """Identifiers (codes, numbers): fold everything to half-width and drop all whitespace.

    Whitespace never belongs inside a code; agencies' spreadsheets insert it to group
    digits or by accident, so it is removed rather than rejected.
    """
    if text.isascii():
        return text if text.isalnum() else "".join(text.split())
    return "".join(to_halfwidth(text).split())


def normalise_name(text: str) -> str:
    """Names of parties, agencies and places.

    Digits and letters are folded to half-width; Chinese brackets are kept and
    half-width brackets around Chinese text become full-width, because registered
    names (企业名称) use （） and a name must compare equal to the registry's. Spaces
    between two Chinese characters (a PDF/OCR artefact: ``衢 州 市``) are removed.
    """
    if text.isascii():
        return collapse_whitespace(text)
    if _is_tidy(text) and "(" not in text and " " not in text:
        return text
    text = collapse_whitespace(to_halfwidth(text, punctuation=False))
    if "(" in text:
        text = _ASCII_PARENS_AROUND_CJK.sub(r"（\1）", text)
    if " " in text:
        text = _SPACE_BETWEEN_CJK.sub("", text)
    return text


def normalise_prose(text: str) -> str:
    """Free text (violation facts, measures taken): fold letters/digits, keep punctuation and paragraphs.

    Line breaks separate paragraphs in decisions and replies, so they are kept (as
    ``\\n``); whitespace within a line is collapsed and blank lines are dropped.
    """
    if _is_tidy(text):
        return text
    if "\n" not in text and "\r" not in text:
        return collapse_whitespace(to_halfwidth(text, punctuation=False))
    lines = (collapse_whitespace(to_halfwidth(line, punctuation=False)) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
