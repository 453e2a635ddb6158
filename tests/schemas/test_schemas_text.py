"""Full-width/half-width and whitespace normalisation."""

from __future__ import annotations

import pytest

from schemas.text import collapse_whitespace, normalise_identifier, normalise_name, normalise_prose, to_halfwidth


def test_halfwidth_folds_the_ascii_range_and_ideographic_space() -> None:
    assert to_halfwidth("ＡＢＣ１２３（２０１８）\u3000ｘ") == "ABC123(2018) x"


def test_halfwidth_without_punctuation_keeps_chinese_punctuation() -> None:
    assert to_halfwidth("排放ＣＯＤ超标，（见附件１）。", punctuation=False) == "排放COD超标，（见附件1）。"


def test_ascii_text_is_returned_unchanged() -> None:
    text = "plain ascii"
    assert to_halfwidth(text) is text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  a \t b\n", "a b"),
        ("a\u3000\u3000b", "a b"),
        ("a\xa0b", "a b"),
        ("中\u200b文", "中文"),
        ("\ufeff中文", "中文"),
        ("tidy", "tidy"),
    ],
)
def test_collapse_whitespace(raw: str, expected: str) -> None:
    assert collapse_whitespace(raw) == expected


def test_identifier_drops_all_whitespace_and_folds() -> None:
    assert normalise_identifier(" ９１３３ ０８２４\u3000x ") == "91330824x"


def test_name_keeps_and_restores_full_width_brackets() -> None:
    assert normalise_name("衢州市某某有限公司(分公司)") == "衢州市某某有限公司（分公司）"
    assert normalise_name("衢州市某某有限公司（分公司）") == "衢州市某某有限公司（分公司）"


def test_name_removes_spaces_between_chinese_but_not_between_latin_words() -> None:
    assert normalise_name(" 衢 州 市\u3000ＡＢＣ Trading 有限公司 ") == "衢州市 ABC Trading 有限公司"


def test_name_keeps_ascii_brackets_around_latin_text() -> None:
    assert normalise_name("ACME (China) Ltd") == "ACME (China) Ltd"


def test_prose_keeps_paragraphs_and_drops_blank_lines() -> None:
    raw = "违法事实：\r\n\u3000\u3000排放ＣＯＤ超标，\r\n\r\n  罚款五万元。"
    assert normalise_prose(raw) == "违法事实：\n排放COD超标，\n罚款五万元。"
