"""Normalisation of names, addresses and region codes, column-wise.

The same company is written 浙江华龙化工有限公司, 华龙化工, 华龙化工有限责任公司, (衢州)华龙化工; what
identifies it is the *core*: the trade name (字号, 华龙) plus the industry (化工), without region
prefixes, legal-form suffixes or bracketed notes. A branch (…衢江分公司) is a different legal subject
from its parent, so the branch locality is kept apart (``branch``) instead of being stripped.

Every function takes and returns pyarrow arrays of *unique* values: callers normalise the distinct
strings once and map back, which is what keeps a million records fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hub.matching.chars import CHAR_KEYS

PROVINCES: tuple[str, ...] = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
)

# Legal forms, longest first so 有限责任公司 is removed whole rather than leaving 责任.
LEGAL_FORMS: tuple[str, ...] = (
    "集团股份有限公司",
    "集团有限责任公司",
    "集团有限公司",
    "股份有限公司",
    "有限责任公司",
    "股份合作公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "总公司",
    "有限合伙",
    "合伙企业",
    "个人独资企业",
    "个体工商户",
    "专业合作社",
    "合作社",
    "集团",
    "公司",
    "总厂",
)

# Industry words that follow the 字号. Used only to split 字号 from industry; a word missing here
# still leaves the whole core comparable.
INDUSTRIES: tuple[str, ...] = (
    "环保科技",
    "环境科技",
    "生物科技",
    "新材料",
    "新能源",
    "再生资源",
    "废旧物资回收",
    "房地产开发",
    "农业开发",
    "餐饮管理",
    "物业管理",
    "汽车修理",
    "建筑工程",
    "建设工程",
    "市政工程",
    "化工",
    "化学",
    "化纤",
    "建材",
    "建筑",
    "工程",
    "科技",
    "环保",
    "环境",
    "食品",
    "饮品",
    "餐饮",
    "农业",
    "林业",
    "牧业",
    "养殖",
    "种植",
    "矿业",
    "石材",
    "木业",
    "家具",
    "纺织",
    "印染",
    "制药",
    "医药",
    "药业",
    "生物",
    "材料",
    "机械",
    "电子",
    "电器",
    "能源",
    "物流",
    "运输",
    "贸易",
    "商贸",
    "实业",
    "发展",
    "开发",
    "投资",
    "置业",
    "水泥",
    "陶瓷",
    "造纸",
    "纸业",
    "塑料",
    "塑业",
    "皮革",
    "冶金",
    "钢铁",
    "金属",
    "酒业",
    "茶业",
    "水产",
    "渔业",
    "资源",
    "管理",
    "服务",
    "咨询",
    "技术",
    "信息",
    "文化",
    "旅游",
    "酒店",
    "超市",
    "大药房",
    "药房",
    "诊所",
    "肉类",
    "屠宰",
    "米业",
    "粮油",
    "油脂",
    "乳业",
    "饲料",
    "肥业",
    "农资",
    "砂石",
    "混凝土",
    "沥青",
    "电镀",
    "铸造",
    "五金",
    "包装",
    "印刷",
    "光电",
    "硅业",
    "竹业",
    "木材",
)

# Common surnames (single and compound): a 2-4 character name starting with one is taken for a person.
SURNAMES = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|"
    "[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏"
    "席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝]"
)

_FILLER = "实业|发展|控股|产业"

# Public bodies: agencies, governments, courts, procuratorates, sub-district offices.
_AGENCY_SUFFIX = (
    r"(?:局|分局|人民政府|政府|委员会|管理处|管理站|管理所|办公室|街道办事处|人民法院|法院|检察院|大队|支队|"
    r"执法队|中心|监察委|监委|管委会|林场)$"
)
_COMPANY_MARK = r"(?:公司|厂|店|社|场|部|行|中心|馆|所|会|院|坊|室|处|站|园)"
_AGENCY_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("环境保护局", "生态环境局"),
    ("环保局", "生态环境局"),
    ("市场监管局", "市场监督管理局"),
    ("林业和草原局", "林业局"),
    ("林草局", "林业局"),
    ("自然资源和规划局", "自然资源局"),
    ("住建局", "住房和城乡建设局"),
    ("综合执法局", "综合行政执法局"),
    ("执法局", "综合行政执法局"),
    ("农业农村局", "农业局"),
    ("政府", "人民政府"),
    ("人民人民政府", "人民政府"),
)

_NOT_ADMIN = r"[^省市区县旗镇乡村道社\d\s,，;；、()\-#号]"
_ADDRESS_PATTERNS: dict[str, str] = {
    "province": r"(?P<v>[^省市区县镇乡村\d\s,，()]{2,3}省|[^省市区县镇乡村\d\s,，()]{2,5}自治区|(?:北京|天津|上海|重庆)市)",
    "city": rf"(?P<v>{_NOT_ADMIN}{{2,4}}(?:市|自治州|地区|盟))",
    # 县区: districts that kept the name of the county they replaced (赣县区)
    "county": rf"(?P<v>{_NOT_ADMIN}{{1,6}}(?:县区|区|县|旗))",
    "county_city": rf"市[^镇乡村]*?(?P<v>{_NOT_ADMIN}{{2,4}}市)",
    "town": r"(?P<v>[^省市区县旗镇乡道社\d\s,，;；、()\-#号]{1,5}(?:镇|乡|街道))",
    "village": rf"(?P<v>{_NOT_ADMIN}{{1,6}}(?:村|社区))",
}


def _arr(values: Iterable[str | None] | pa.Array) -> pa.Array:
    return values if isinstance(values, pa.Array) else pa.array(list(values), type=pa.string())


def clean(values: Iterable[str | None] | pa.Array) -> pa.Array:
    """Half-width, no whitespace, every bracket width turned into ASCII ( )."""
    arr = pc.utf8_normalize(pc.cast(_arr(values), pa.string()), form="NFKC")
    arr = pc.replace_substring_regex(arr, pattern=r"[\s\x{3000}·•]", replacement="")
    arr = pc.replace_substring_regex(arr, pattern=r"[〔【\[［﹝「『<《]", replacement="(")
    return pc.replace_substring_regex(arr, pattern=r"[〕】\]］﹞」』>》]", replacement=")")


def _null_if_empty(arr: pa.Array) -> pa.Array:
    empty = pc.equal(pc.fill_null(pc.utf8_length(arr), 0), 0)
    return pc.if_else(empty, pa.scalar(None, pa.string()), arr)


def _extract(arr: pa.Array, pattern: str) -> pa.Array:
    return pc.struct_field(pc.extract_regex(arr, pattern=pattern), [0])


def subject_kinds(names: pa.Array) -> pa.Array:
    """Guess ``company`` / ``person`` / ``agency`` from a cleaned name (records carry no kind)."""
    is_company = pc.match_substring_regex(names, pattern=r"(?:公司|厂|店|合作社|经营部|商行|农场|养殖场|加工场)")
    is_agency = pc.match_substring_regex(names, pattern=_AGENCY_SUFFIX)
    is_person = pc.and_(
        pc.match_substring_regex(names, pattern=rf"^(?:{SURNAMES})\p{{Han}}{{1,2}}$"),
        pc.invert(pc.match_substring_regex(names, pattern="(?:" + "|".join(INDUSTRIES) + ")$")),
    )
    kinds = pc.if_else(is_person, "person", "company")
    kinds = pc.if_else(pc.and_(is_agency, pc.invert(is_company)), "agency", kinds)
    return pc.if_else(pc.fill_null(is_company, False), "company", kinds)


@dataclass(frozen=True)
class Gazetteer:
    """Place names seen in the data's own addresses, to strip from the front of company names.

    Learned from the data rather than shipped, so a region the code never saw still works; the
    provinces are fixed by law and listed above.
    """

    places: tuple[str, ...]

    @classmethod
    def from_tokens(cls, tokens: Iterable[str | None]) -> Gazetteer:
        names: set[str] = set()
        for tok in tokens:
            if not tok or len(tok) < 2:
                continue
            names.add(tok)
            bare = re.sub(r"(?:省|市|区|县|旗|自治区|自治州|地区|盟)$", "", tok)
            if len(bare) >= 2:
                names.add(bare)
        for prov in PROVINCES:
            names.update((prov, prov + "省", prov + "市"))
        return cls(tuple(sorted(names, key=len, reverse=True)))

    def place_matcher(self) -> PlacePrefix:
        """Strips leading place names, each allowed at most one slipped character (see ``PlacePrefix``)."""
        return PlacePrefix(self.places)


class PlacePrefix:
    """Leading place names of a name, found on char keys, each with at most one character slipped.

    Keys fold homophones and shape-alikes, so 淅江 and 杭洲市 are still taken for 浙江 and 杭州市 —
    but two slips in one place name would make a place of any trade name that merely sounds like
    one: 玉莲 has the key of 万年 (玉 looks like 王, which sounds like 万; 莲 sounds like 年), and
    玉莲脐橙种植 must not lose its 字号. So a key match counts only where the written characters
    differ from the place's in at most one position (and never in every position).
    """

    def __init__(self, places: Iterable[str]) -> None:
        places = sorted(set(places), key=len, reverse=True)
        self._by_key: dict[str, list[str]] = {}
        for place, key in zip(places, char_key(places), strict=True):
            self._by_key.setdefault(key, []).append(place)
        self._lengths = sorted({len(k) for k in self._by_key}, reverse=True)
        # fast rejection: most names start with no place at all
        alts = sorted(self._by_key, key=len, reverse=True)
        self._any = re.compile("|".join(re.escape(k) for k in alts)) if alts else None

    def _written_like(self, written: str, key: str) -> bool:
        return any(
            0 < sum(a == b for a, b in zip(written, place, strict=True)) >= len(written) - 1
            for place in self._by_key.get(key, ())
        )

    def length(self, value: str, key: str) -> int:
        """How many leading characters of ``value`` (whose char key is ``key``) are place names."""
        pos = 0
        while self._any is not None:
            m = self._any.match(key, pos)
            if not m:
                return pos
            if self._written_like(value[pos : m.end()], m.group()):
                pos = m.end()
                continue
            # the longest key match has too many slips: a shorter place may still fit (赣县 of 赣县区)
            for n in self._lengths:
                if n < m.end() - pos and self._written_like(value[pos : pos + n], key[pos : pos + n]):
                    pos += n
                    break
            else:
                return pos
        return pos


def parse_addresses(values: Iterable[str | None] | pa.Array) -> dict[str, pa.Array]:
    """Province / city / county / town / village tokens of each address, in any order, else null."""
    arr = clean(values)
    out = {k: _extract(arr, p) for k, p in _ADDRESS_PATTERNS.items() if k not in ("county_city", "village")}
    # A town may contain 村 (贺村镇): take the town out before looking for the village.
    without_town = pc.replace_substring_regex(
        arr, pattern=_ADDRESS_PATTERNS["town"], replacement=",", max_replacements=1
    )
    out["village"] = _extract(without_town, _ADDRESS_PATTERNS["village"])
    # County-level cities (江山市) come after their prefecture (衢州市江山市).
    second_city = _extract(arr, _ADDRESS_PATTERNS["county_city"])
    out["county"] = pc.coalesce(out["county"], second_city)
    return {k: _null_if_empty(v) for k, v in out.items()}


@dataclass(frozen=True)
class NameParts:
    """Normalised parts of subject names (aligned with the input array)."""

    kind: pa.Array  # company / person / agency
    core: pa.Array  # company: 字号+industry; person: the name; agency: canonical agency name
    zihao: pa.Array  # company: the trade name alone; others: same as core
    branch: pa.Array  # branch locality (衢江) or "" for a head office / non-company


_BRANCH_TAIL = r"分(?:公司|厂|店)"


def _strip_branch(names: pa.Array, gazetteer: Gazetteer) -> tuple[pa.Array, pa.Array]:
    """(name without its branch part, branch locality key) — 分公司 / 分厂 / 分店.

    The locality is found, in order of trust: a known place name right before 分公司 (赣县分公司),
    whatever follows the parent's legal form (…有限公司青云谱分公司), or else the two characters
    before it. Its key is the first two characters without an administrative suffix (西湖区 → 西湖),
    so 鄱阳分公司, 鄱阳县分公司 and 鄱阳县分厂 agree.
    """
    names = _canonical_branch_tails(names)
    places = "|".join(re.escape(p) for p in gazetteer.places)
    by_place = _extract(names, rf"(?P<v>{places}){_BRANCH_TAIL}") if places else pa.nulls(len(names), pa.string())
    after_form = _extract(names, rf"(?:公司|厂|\))(?P<v>\p{{Han}}{{1,5}}?){_BRANCH_TAIL}")
    two = _extract(names, rf"(?P<v>\p{{Han}}{{2}})(?:区|县|市|镇|乡)?{_BRANCH_TAIL}")
    loc = pc.coalesce(by_place, after_form, two)
    has = pc.match_substring_regex(names, pattern=_BRANCH_TAIL + "$|" + _BRANCH_TAIL + r"\)")
    loc = pc.if_else(pc.fill_null(has, False), loc, pa.scalar(None, pa.string()))
    bare = pc.replace_substring_regex(loc, pattern=r"^(\p{Han}{2,})(?:区|县|市|镇|乡)$", replacement=r"\1")
    branch = pc.fill_null(pc.utf8_slice_codeunits(bare, 0, 2), "")
    # cut the name before the locality: what remains is the parent's name
    cut = pc.fill_null(pc.utf8_length(loc), 0)
    rest = pc.replace_substring_regex(names, pattern=rf"\(?[^()]{{0,6}}?{_BRANCH_TAIL}\)?$", replacement="")
    rest = pc.if_else(pc.greater(cut, 0), _cut_tail(names, loc), rest)
    return rest, branch


_BRANCH_WORDS = ("分公司", "分厂", "分店")
_BRANCH_KEY_RE: re.Pattern[str] | None = None


def _canonical_branch_tails(names: pa.Array) -> pa.Array:
    """分贡司, 份公司, 分场 (a homophone or shape-alike slip of 分公司 / 分厂) written as the word itself.

    Found on character keys, at the end of the name or before a closing bracket, and only where 分 is
    written 分 or 份 (米粉店 stays a shop), so the branch is still recognised as a branch and its locality
    read; other characters are left as written.
    """
    global _BRANCH_KEY_RE
    if _BRANCH_KEY_RE is None:
        keys = char_key(list(_BRANCH_WORDS))
        _BRANCH_KEY_RE = re.compile("(" + "|".join(re.escape(k) for k in keys) + r")\)?$")
    canon = dict(zip(char_key(list(_BRANCH_WORDS)), _BRANCH_WORDS, strict=True))
    values = names.to_pylist()
    candidates = [v for v in set(values) if v and len(v) >= 3]
    fixed: dict[str, str] = {}
    for value, key in zip(candidates, char_key(candidates), strict=True):
        m = _BRANCH_KEY_RE.search(key)
        if m is None:
            continue
        word = canon[m.group(1)]
        start = m.start(1)
        # 分 itself written as 分 or 份: 米粉店 is a rice-noodle shop, not a branch (粉店 has the key of 分店)
        if value[start] not in "分份":
            continue
        if value[start : start + len(word)] != word:
            fixed[value] = value[:start] + word + value[start + len(word) :]
    if not fixed:
        return names
    return pa.array([fixed.get(v, v) if v else v for v in values], pa.string())


def _cut_tail(names: pa.Array, loc: pa.Array) -> pa.Array:
    """``names`` up to where ``loc`` + 分公司 starts (per row; loc may be null)."""
    has = np.flatnonzero(pc.fill_null(pc.greater(pc.utf8_length(loc), 0), False).to_numpy(zero_copy_only=False))
    if not len(has):
        return names
    out = names.to_pylist()
    locs = pc.take(loc, pa.array(has)).to_pylist()
    for i, lc in zip(has.tolist(), locs, strict=True):
        n = out[i]
        j = n.rfind(lc) if n else -1
        out[i] = n[:j].rstrip("(") if j > 0 else n
    return pa.array(out, pa.string())


def same_sounding_as_one(values: pa.Array) -> pa.Array:
    """Values whose character keys agree written one way (the first seen): 湖口 mistyped 胡口 is still the
    湖口 branch — a homophone or shape-alike slip of a branch locality must not read as "another branch",
    which the truth rule vetoes. Empty and null values are kept."""
    written = values.to_pylist()
    distinct = sorted({v for v in written if v})
    if not distinct:
        return values
    first: dict[str, str] = {}
    one = {v: first.setdefault(k, v) for v, k in zip(distinct, char_key(distinct), strict=True)}
    return pa.array([one.get(v, v) if v else v for v in written], pa.string())


def char_key(values: list[str]) -> list[str]:
    """Shape-then-sound key of each string: equal keys survive homophone and shape-alike slips."""
    return CHAR_KEYS.sound_keys(CHAR_KEYS.shape_keys(values))


def _keyed_alternation(words: Iterable[str], wildcard_from: int | None = None, reverse: bool = False) -> str:
    """Regex alternation over the keys of ``words`` (optionally with one wildcard position each; reversed
    keys with ``reverse``, to match suffixes at the start of reversed strings)."""
    words = sorted(set(words), key=len, reverse=True)
    keys = [k[::-1] for k in char_key(words)] if reverse else char_key(words)
    alts = set()
    for k in keys:
        alts.add(re.escape(k))
        if wildcard_from is not None and len(k) >= wildcard_from:
            for i in range(len(k)):
                alts.add(re.escape(k[:i]) + "." + re.escape(k[i + 1 :]))
    return "|".join(sorted(alts, key=len, reverse=True))


_LEGAL_SUFFIX_RE: re.Pattern[str] | None = None


def _legal_suffix_re() -> re.Pattern[str]:
    """Legal forms on *reversed* keys: ``match`` at 0 tries each suffix once, where ``search`` for
    ``(…)$`` would try every starting position of every name (half the time of this loop)."""
    global _LEGAL_SUFFIX_RE
    if _LEGAL_SUFFIX_RE is None:
        _LEGAL_SUFFIX_RE = re.compile("(?:" + _keyed_alternation(LEGAL_FORMS, wildcard_from=4, reverse=True) + ")")
    return _LEGAL_SUFFIX_RE


def company_parts(names: pa.Array, gazetteer: Gazetteer) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(core, 字号, branch) of cleaned company names.

    Exact legal forms go by regex over the whole column; then, per distinct name, legal-form
    suffixes and region prefixes are stripped by matching on the *char key* of the name, so
    淅江 (for 浙江), 杭洲市 or 有艰公司 (one slipped character) are still recognised and removed.
    """
    rest, branch = _strip_branch(names, gazetteer)
    # brackets around part of a legal form ((有限)责任公司) are unwrapped, any other bracket dropped
    rest = pc.replace_substring_regex(rest, pattern=r"\(((?:有限|责任|股份)[^()]*)\)", replacement=r"\1")
    rest = pc.replace_substring_regex(rest, pattern=r"\([^()]*\)", replacement="")
    # whole forms anywhere (集团 in the middle); bare 公司 only as a suffix, below
    anywhere = [f for f in LEGAL_FORMS if len(f) >= 4 or f == "集团"]
    rest = pc.replace_substring_regex(rest, pattern="|".join(anywhere), replacement="")
    rest = pc.replace_substring_regex(rest, pattern=r"[()]", replacement="")
    # the per-name loop below runs once per distinct remainder (a quarter fewer than names)
    enc = pc.dictionary_encode(pc.fill_null(rest, ""))
    values = enc.dictionary.to_pylist()
    keys = char_key(values)
    legal_re = _legal_suffix_re()
    places = gazetteer.place_matcher()
    out = []
    for v, k in zip(values, keys, strict=True):
        for _ in range(2):
            m = legal_re.match(k[::-1])
            start = len(k) - m.end() if m else 0
            if start < 2:
                break
            v, k = v[:start], k[:start]
        if len(v) >= 4 and v.endswith("厂"):
            v, k = v[:-1], k[:-1]
        cut = places.length(v, k)
        if cut and len(v) - cut >= 2:
            v = v[cut:]
        out.append(v)
    core = pc.take(pa.array(out, pa.string()), enc.indices)
    ind = "(?:" + "|".join(INDUSTRIES) + ")"
    # 实业 / 发展 after 字号 + industry is filler: 福章沥青实业 is 福章沥青 (but 华龙实业 stays)
    core = pc.replace_substring_regex(core, pattern=rf"^(\p{{Han}}{{4,}})(?:{_FILLER})$", replacement=r"\1")
    zihao = pc.replace_substring_regex(core, pattern=ind + "+$", replacement="")
    # no known industry word: take the usual two-character 字号 of a longer name
    head = pc.if_else(pc.greater_equal(pc.utf8_length(core), 4), pc.utf8_slice_codeunits(core, 0, 2), core)
    zihao = pc.if_else(pc.equal(zihao, core), head, zihao)
    # four or more characters left: an industry word the list lacks (翠莲脐橙 of 翠莲脐橙种植); the
    # 字号 is nearly always the first two
    zihao = pc.if_else(pc.greater_equal(pc.utf8_length(zihao), 4), pc.utf8_slice_codeunits(zihao, 0, 2), zihao)
    zihao = pc.if_else(pc.less(pc.utf8_length(zihao), 2), core, zihao)
    return core, zihao, branch


_AGENCY_TYPES = (
    "生态环境局|林业局|市场监督管理局|自然资源局|水利局|住房和城乡建设局|综合行政执法局|农业局|公安局|"
    "卫生健康委员会|交通运输局|文化广电旅游局|应急管理局|人民政府"
)


def agency_core(names: pa.Array, gazetteer: Gazetteer) -> pa.Array:
    """Canonical agency name: county stem (two characters) + agency type, synonyms folded.

    衢州市柯城区生态环境局, 柯城区环保局 and 衢州市生态环境局柯城分局 (how prefecture bureaus name their
    county offices) all become 柯城生态环境局. A name without a county keeps its prefecture
    (衢州市生态环境局 → 衢州生态环境局), so a prefecture bureau and a county bureau stay apart.
    """
    arr = pc.replace_substring_regex(names, pattern=r"\([^()]*\)", replacement="")
    for src, dst in _AGENCY_SYNONYMS:
        arr = pc.replace_substring(arr, pattern=src, replacement=dst)
    provinces = "^(?:" + "|".join(p + "省?" for p in PROVINCES) + ")"
    arr = pc.replace_substring_regex(arr, pattern=provinces, replacement="")
    # 衢州市生态环境局柯城分局 → 柯城生态环境局
    arr = pc.replace_substring_regex(
        arr, pattern=rf"^(?:\p{{Han}}{{2,4}}?市)?({_AGENCY_TYPES})(\p{{Han}}{{2,4}}?)分局$", replacement=r"\2\1"
    )
    # Drop a prefecture that is followed by a county (衢州市柯城区… → 柯城区…), keep it otherwise.
    arr = pc.replace_substring_regex(arr, pattern=r"^\p{Han}{2,4}?市(\p{Han}{1,6}?(?:区|县|市))", replacement=r"\1")
    # county or prefecture stem: two characters, without 区/县/市 (柯城区 → 柯城, 青云谱区 → 青云)
    arr = pc.replace_substring_regex(
        arr, pattern=rf"^(\p{{Han}}{{2}})\p{{Han}}{{0,3}}?(?:区|县|市)?({_AGENCY_TYPES})$", replacement=r"\1\2"
    )
    return arr


def name_parts(
    values: Iterable[str | None] | pa.Array, gazetteer: Gazetteer, kinds: pa.Array | None = None
) -> NameParts:
    """Normalise subject names; ``kinds`` (company/person/agency/government) when the caller knows them."""
    names = clean(values)
    guessed = subject_kinds(names)
    if kinds is None:
        kind = guessed
    else:
        given = pc.cast(kinds, pa.string())
        given = pc.if_else(pc.is_in(given, pa.array(["agency", "government"])), "agency", given)
        given = pc.if_else(pc.is_in(given, pa.array(["company", "person", "agency"])), given, None)
        kind = pc.coalesce(given, guessed)
    kind_np = np.asarray(kind.to_numpy(zero_copy_only=False), dtype=object)
    names_np = np.asarray(names.to_pylist(), dtype=object)
    core = names_np.copy()
    zihao = names_np.copy()
    branch = np.full(len(names_np), "", dtype=object)
    comp = np.flatnonzero(kind_np == "company")
    if len(comp):
        # pyarrow kernels release the GIL: two halves normalise on the two cores at once
        halves = [h for h in np.array_split(comp, 2) if len(h)]
        with ThreadPoolExecutor(max_workers=len(halves)) as pool:
            parts = list(
                pool.map(lambda h: company_parts(pa.array(names_np[h].tolist(), pa.string()), gazetteer), halves)
            )
        for h, (c, z, b) in zip(halves, parts, strict=True):
            core[h] = c.to_pylist()
            zihao[h] = z.to_pylist()
            branch[h] = b.to_pylist()
    ag = np.flatnonzero(kind_np == "agency")
    if len(ag):
        core[ag] = zihao[ag] = agency_core(pa.array(names_np[ag].tolist(), pa.string()), gazetteer).to_pylist()
    return NameParts(
        kind=kind,
        core=_null_if_empty(pa.array(core.tolist(), pa.string())),
        zihao=_null_if_empty(pa.array(zihao.tolist(), pa.string())),
        branch=pa.array(branch.tolist(), pa.string()),
    )


def region_levels(codes: Iterable[str | None] | pa.Array) -> dict[str, np.ndarray]:
    """County (6 digits), prefecture (4) and province (2) of GB/T 2260 codes as ints; −1 where unknown.

    A code ending in 00 names a prefecture (or 0000 a province) and says nothing about the county.
    """
    arr = pc.utf8_normalize(pc.cast(_arr(codes), pa.string()), form="NFKC")
    arr = pc.replace_substring_regex(arr, pattern=r"\s", replacement="")
    valid = pc.fill_null(pc.match_substring_regex(arr, pattern=r"^\d{6}$"), False)
    num = pc.if_else(valid, arr, pa.scalar(None, pa.string()))
    code = pc.fill_null(pc.cast(num, pa.int64()), -1).to_numpy(zero_copy_only=False)
    known = code >= 0
    county = np.where(known & (code % 100 != 0), code, -1)
    pref = np.where(known & ((code // 100) % 100 != 0), code // 100, -1)
    prov = np.where(known, code // 10000, -1)
    return {"county": county, "prefecture": pref, "province": prov}
