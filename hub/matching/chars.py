"""Character-level tolerance: near-homophone keys (pypinyin) and shape-alike (形近字) keys.

Clerks type names by pinyin input methods, so the commonest slip is a character that *sounds* the
same (华龙 → 华隆) or nearly the same in southern speech (n/l, zh/z, an/ang …). Handwritten forms
re-keyed later give *shape* slips (己/已, 未/末). Both are turned into keys — each character replaced
by one representative of its class — so that the comparison is an equality of keys and the engine
compares whole columns without per-pair Python.

Keys keep the string length (one key character per character), so edit distances on keys still
count characters.
"""

from __future__ import annotations

from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin

# Near-homophone merges, applied to toneless pinyin: southern-accent confusions that data-entry
# staff make. Initials first (longest first), then finals.
_INITIAL_MERGES: tuple[tuple[str, str], ...] = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"))
_FINAL_MERGES: tuple[tuple[str, str], ...] = (("ang", "an"), ("eng", "en"), ("ing", "in"))

# Shape-alike groups. Not exhaustive on purpose: a slip outside these groups still meets the
# generic "one character differs" level of the name comparison.
SHAPE_GROUPS: tuple[str, ...] = (
    "己已巳",
    "未末",
    "士土",
    "日曰",
    "戊戌戍",
    "大太犬",
    "王玉主",
    "人入八",
    "天夭",
    "拨拔",
    "析折",
    "贝见",
    "晴睛",
    "刀力",
    "千干于",
    "田由甲申",
    "免兔",
    "冶治",
    "辩辨辫",
    "鸟乌",
    "壁璧",
    "侯候",
    "崇祟",
    "炙灸",
    "徒徙",
    "茶荼",
    "汩汨",
    "胃胄",
    "祗祇",
    "盲育",
    "体休",
    "浙淅",
    "洲州",
    "圆园",
    "锦绵",
    "铭铬",
    "诚城",
    "杨扬场",
    "清青",
    "源原",
    "鑫鍂",
    "宏弘",
    "恒桓",
    "旺汪",
    "瑞端",
    "祥详",
    "峰锋蜂",
    "辉晖",
    "腾滕藤",
    "泰秦奉",
    "昌冒",
    "盛晟",
)


def _merge(syllable: str) -> str:
    for src, dst in _INITIAL_MERGES:
        if syllable.startswith(src):
            syllable = dst + syllable[len(src) :]
            break
    for src, dst in _FINAL_MERGES:
        if syllable.endswith(src):
            syllable = syllable[: -len(src)] + dst
            break
    return syllable


class CharKeys:
    """Per-character translation tables, grown lazily as new characters are seen.

    One instance per process is enough (``CHAR_KEYS``); it only ever grows, so keys computed at
    training and at prediction time agree.
    """

    def __init__(self) -> None:
        self._syllable_code: dict[str, str] = {}
        self._sound: dict[int, str] = {}
        self._shape: dict[int, str] = {}
        for group in SHAPE_GROUPS:
            for ch in group:
                self._shape[ord(ch)] = group[0]

    def _learn(self, chars: set[str]) -> None:
        new = sorted(c for c in chars if ord(c) not in self._sound and "\u3400" <= c <= "\u9fff")
        if not new:
            return
        syllables = lazy_pinyin(new, style=Style.NORMAL, errors=lambda s: list(s))
        for ch, syl in zip(new, syllables, strict=True):
            merged = _merge(syl)
            code = self._syllable_code.get(merged)
            if code is None:
                code = chr(0xE000 + len(self._syllable_code))  # private use area: never in real text
                self._syllable_code[merged] = code
            self._sound[ord(ch)] = code

    def sound_keys(self, values: Iterable[str]) -> list[str]:
        """Near-homophone key of each string (same length as the string)."""
        values = list(values)
        self._learn(set("".join(values)))
        table = self._sound
        return [v.translate(table) for v in values]

    def shape_keys(self, values: Iterable[str]) -> list[str]:
        """Shape-alike key of each string: each character replaced by its group's representative."""
        table = self._shape
        return [v.translate(table) for v in values]


CHAR_KEYS = CharKeys()
