"""Personal data inside free text: case titles, facts, measures, notes.

Chinese case titles name defendants ("余水生非法狩猎刑事附带民事公益诉讼案"), and agencies' facts
and measures name the persons they concern. Such text is checked against the natural persons
of its own case or record (their names) and for resident ID numbers and phone numbers anywhere;
text that names someone is stored encrypted (``hub.personal_data``) and a **public form** takes
its place wherever a role without personal-data rights sees it — reports, the congress API,
notices to outside bodies, logs.

The public form follows the courts' publishing practice for judgments (最高人民法院关于人民法院在
互联网公布裁判文书的规定, 法释〔2016〕19号, Art. 9 for names, Art. 10 for ID numbers, phones and
addresses):

* a Han name keeps its surname and each character of the given name becomes 某 (Art. 9(一)):
  余水生 → 余某某, a two-character name 曾云 → 曾某;
* a compound surname (欧阳, 司马, 诸葛 …, :data:`COMPOUND_SURNAMES`) is kept whole: 欧阳春晓 → 欧阳某某;
  a name that *is* only a compound surname's two characters is a single surname plus a given name (司马 → 司某);
* a name of an ethnic minority or a foreigner in Chinese transcription (with a middle dot ·, or
  longer than four characters) keeps its first character, the rest becomes one 某 (Art. 9(二)(三)):
  阿依古丽·买买提 → 阿某;
* two persons of one case whose public forms coincide are told apart by 甲, 乙, 丙 … in party
  order (张某甲, 张某乙), as courts do;
* ID numbers and phone numbers are removed (Art. 10), replaced by a bracketed note.

What this cannot find: a person named only by the given name, or a person who is not a party of
the case. The masking errs on the side of masking: a two-character name that also occurs as an
ordinary word is masked there too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from hub.personal_data import decrypt, encrypt
from hub.trust.log_redaction import ID_NUMBER_PATTERN, PHONE_PATTERN

ID_NUMBER_NOTE = "[身份号码已隐去]"
PHONE_NOTE = "[电话已隐去]"
_ORDINALS = "甲乙丙丁戊己庚辛壬癸"

#: Compound surnames (复姓) kept whole by the public form; the common ones of the 百家姓 and of today's registers.
COMPOUND_SURNAMES = frozenset(
    """欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫 宗政 濮阳 公冶
    太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官 司寇 巫马 公西 颛孙 壤驷 公良
    漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 段干 百里 呼延 东郭 南门 羊舌 微生 公户 公玉 公仪 梁丘 公仲
    公上 公门 公山 公坚 左丘 公伯 西门 公祖 第五 公乘 贯丘 公皙 南荣 东里 东宫 仲长 子书 子桑 即墨 达奚
    褚师""".split()  # noqa: SIM905 - a list in the 百家姓's own layout reads better than 81 quoted strings
)
_DOTS = "·•・‧.．"
_DIGIT_RUN = re.compile(r"\d+")
_DIGITS = "0123456789０１２３４５６７８９"


def public_name(name: str) -> str:
    """The public form of a natural person's name (see the module docstring for the rules)."""
    name = "".join(name.split())
    if not name:
        return name
    if any(dot in name for dot in _DOTS) or len(name) > 4:
        return name[0] + "某"  # ethnic-minority or foreign name: first character kept, the rest one 某
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2] + "某" * (len(name) - 2)
    if len(name) == 1:
        return "某"
    return name[0] + "某" * (len(name) - 1)


def public_names(names: Sequence[str]) -> dict[str, str]:
    """``{name: public form}`` for the persons of one case, with 甲乙丙 where public forms coincide."""
    unique: list[str] = []
    for raw in names:
        name = "".join(raw.split())
        if len(name) >= 2 and name not in unique:  # a one-character "name" would mask ordinary text
            unique.append(name)
    forms = {n: public_name(n) for n in unique}
    by_form: dict[str, list[str]] = {}
    for name, form in forms.items():
        by_form.setdefault(form, []).append(name)
    for form, group in by_form.items():
        if len(group) > 1:
            for i, name in enumerate(group):
                forms[name] = form + (_ORDINALS[i] if i < len(_ORDINALS) else str(i + 1))
    return forms


def mask_text(text: str, names: Sequence[str] | dict[str, str]) -> str:
    """``text`` with every listed person's name replaced by its public form, ID numbers and phones removed."""
    forms = names if isinstance(names, dict) else public_names(names)
    out = text
    for name in sorted(forms, key=len, reverse=True):  # 余水生 before a namesake 余水
        if name in out:
            out = out.replace(name, forms[name])
    out = ID_NUMBER_PATTERN.sub(ID_NUMBER_NOTE, out)
    return PHONE_PATTERN.sub(PHONE_NOTE, out)


def names_someone(text: str | None, names: Iterable[str]) -> bool:
    """Whether ``text`` contains one of ``names``, an ID number or a phone number."""
    if not text:
        return False
    if any(len(n) >= 2 and "".join(n.split()) in text for n in names):
        return True
    return _may_hold_a_number(text) and bool(ID_NUMBER_PATTERN.search(text) or PHONE_PATTERN.search(text))


def _may_hold_a_number(text: str) -> bool:
    """Whether the digits of ``text`` could form an ID number or a phone number at all — a quick test that spares
    the two patterns (slow on long Chinese text) for most prose.

    Both need ten digits or more in all, and either a run of six (an ID number, a fixed line's local number, a
    mobile number written without breaks) or runs joined by one space or hyphen (139 0570 1234).
    """
    if sum(map(text.count, _DIGITS)) < 10:  # counted in C: most prose stops here
        return False
    runs = [m.span() for m in _DIGIT_RUN.finditer(text)]
    if sum(end - start for start, end in runs) < 10:
        return False
    if any(end - start >= 6 for start, end in runs):
        return True
    return any(nxt[0] == prev[1] + 1 and text[prev[1]] in " -" for prev, nxt in pairwise(runs))


@dataclass(frozen=True)
class SealedText:
    """A free-text value as stored: the public form (always) and the sealed original (only if they differ)."""

    public: str | None
    sealed: str | None

    def original(self, column: str) -> str | None:
        return decrypt(self.sealed, column) if self.sealed else self.public


def seal_text(text: str | None, names: Sequence[str], column: str) -> SealedText:
    """The stored form of a free-text value: the text itself when it names nobody, else public form + ciphertext."""
    if text is None:
        return SealedText(None, None)
    public = mask_text(text, names)
    if public == text:
        return SealedText(text, None)
    return SealedText(public, encrypt(text, column))
