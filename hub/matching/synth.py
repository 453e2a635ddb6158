"""Seeded generator of labelled cases and agency records with realistic noise.

What it imitates (Zhejiang, vocabulary A): companies written in full, abbreviated (简称), with another
legal form or region prefix, with homophone and shape-alike slips; credit codes missing or mistyped;
addresses reordered or missing levels; region codes at county, prefecture or missing. Hard negatives:
near-identical companies in the same county (same 字号 other industry, one character apart), parent vs
branch (分公司), people sharing a name, public bodies addressed by hundreds of cases whose records
often cite no number, records from sources the case's domain does not take, records dated too early.

An addressee's reply carries the source of its own system (an environment bureau's reply is
``environment``), other bodies' replies are ``agency``. Labels follow ``truth.py`` exactly: a record's true entity is known, and a (record, case) pair is a
label when that entity is one of the case's parties (or its addressee) and the rule's gates hold.

A second, differently written generator (``bench/matching/heldout_synth.py``) guards against tuning
the engine to this one.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.matching.batch_io import write_jsonl
from hub.matching.chars import SHAPE_GROUPS
from hub.matching.identifiers import (
    CREDIT_CHARSET,
    id_check_char,
    make_credit_code,
    normalise_reference_numbers,
)
from hub.matching.truth import DOMAIN_SOURCES, SOURCES, is_true_link

# ---- vocabulary A --------------------------------------------------------------------------------
REGIONS_A: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("3301", "杭州市"): [
        ("330102", "上城区"),
        ("330105", "拱墅区"),
        ("330106", "西湖区"),
        ("330109", "萧山区"),
        ("330110", "余杭区"),
        ("330111", "富阳区"),
        ("330122", "桐庐县"),
        ("330127", "淳安县"),
        ("330182", "建德市"),
    ],
    ("3302", "宁波市"): [
        ("330203", "海曙区"),
        ("330205", "江北区"),
        ("330206", "北仑区"),
        ("330211", "镇海区"),
        ("330212", "鄞州区"),
        ("330225", "象山县"),
        ("330226", "宁海县"),
        ("330281", "余姚市"),
        ("330282", "慈溪市"),
    ],
    ("3303", "温州市"): [
        ("330302", "鹿城区"),
        ("330303", "龙湾区"),
        ("330304", "瓯海区"),
        ("330324", "永嘉县"),
        ("330326", "平阳县"),
        ("330327", "苍南县"),
        ("330328", "文成县"),
        ("330329", "泰顺县"),
        ("330381", "瑞安市"),
        ("330382", "乐清市"),
    ],
    ("3304", "嘉兴市"): [
        ("330402", "南湖区"),
        ("330411", "秀洲区"),
        ("330421", "嘉善县"),
        ("330424", "海盐县"),
        ("330481", "海宁市"),
        ("330482", "平湖市"),
        ("330483", "桐乡市"),
    ],
    ("3305", "湖州市"): [
        ("330502", "吴兴区"),
        ("330503", "南浔区"),
        ("330521", "德清县"),
        ("330522", "长兴县"),
        ("330523", "安吉县"),
    ],
    ("3306", "绍兴市"): [
        ("330602", "越城区"),
        ("330603", "柯桥区"),
        ("330604", "上虞区"),
        ("330624", "新昌县"),
        ("330681", "诸暨市"),
        ("330683", "嵊州市"),
    ],
    ("3307", "金华市"): [
        ("330702", "婺城区"),
        ("330703", "金东区"),
        ("330723", "武义县"),
        ("330726", "浦江县"),
        ("330727", "磐安县"),
        ("330781", "兰溪市"),
        ("330782", "义乌市"),
        ("330783", "东阳市"),
        ("330784", "永康市"),
    ],
    ("3308", "衢州市"): [
        ("330802", "柯城区"),
        ("330803", "衢江区"),
        ("330822", "常山县"),
        ("330824", "开化县"),
        ("330825", "龙游县"),
        ("330881", "江山市"),
    ],
    ("3309", "舟山市"): [("330902", "定海区"), ("330903", "普陀区"), ("330921", "岱山县"), ("330922", "嵊泗县")],
    ("3310", "台州市"): [
        ("331002", "椒江区"),
        ("331003", "黄岩区"),
        ("331004", "路桥区"),
        ("331022", "三门县"),
        ("331023", "天台县"),
        ("331024", "仙居县"),
        ("331081", "温岭市"),
        ("331082", "临海市"),
        ("331083", "玉环市"),
    ],
    ("3311", "丽水市"): [
        ("331102", "莲都区"),
        ("331121", "青田县"),
        ("331122", "缙云县"),
        ("331123", "遂昌县"),
        ("331124", "松阳县"),
        ("331125", "云和县"),
        ("331126", "庆元县"),
        ("331181", "龙泉市"),
    ],
}
ZIHAO_CHARS_A = (
    "华龙恒盛鑫源泰丰宏达金鼎瑞祥永兴昌隆新天宇明辉荣发嘉和诚信润德旺佳美康宝利通顺安富强东方大成中正伟业海川汇"
    "聚星光联创远航卓越博雅君凯腾飞祥云锦绣万家兴旺吉顺鸿运长青翔宇凌峰佳禾禾丰绿源碧水青山蓝天红日晨曦朝阳"
)
INDUSTRIES_A = (
    "化工",
    "建材",
    "食品",
    "环保科技",
    "矿业",
    "养殖",
    "木业",
    "石材",
    "制药",
    "餐饮管理",
    "农业开发",
    "再生资源",
    "纺织",
    "印染",
    "造纸",
    "水泥",
    "电镀",
    "五金",
    "塑业",
    "皮革",
    "酒业",
    "茶业",
    "水产",
    "粮油",
    "饲料",
    "砂石",
)
LEGAL_FORMS_A = ("有限公司", "有限责任公司", "股份有限公司", "厂", "集团有限公司")
TOWN_CHARS_A = "石梁航埠华墅莲花双港九华云溪峡川湖南大洲高家廿里全旺杜泽白坞樟潭新塘下沙义桥河桥临浦东关溪口"
SURNAMES_A = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈"
GIVEN_A = "建国伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华平刚桂英文辉玲志红霞浩宇鹏飞海燕晓东春梅国庆雪梅金良"
AGENCY_TYPES_A: dict[str, str] = {
    "environment": "生态环境局",
    "forestry": "林业局",
    "market": "市场监督管理局",
    "natural_resources": "自然资源和规划局",
    "water": "水利局",
    "housing": "住房和城乡建设局",
    "enforcement": "综合行政执法局",
}
AGENCY_SHORT_A = {
    "生态环境局": "环保局",
    "市场监督管理局": "市场监管局",
    "自然资源和规划局": "自然资源局",
    "住房和城乡建设局": "住建局",
    "综合行政执法局": "执法局",
}
DOMAINS_A: tuple[tuple[str, float], ...] = (
    ("ecology", 0.58),
    ("food_drug", 0.18),
    ("state_property", 0.08),
    ("land_use", 0.05),
    ("heroes", 0.02),
    ("work_safety", 0.04),
    ("personal_info", 0.03),
    ("cultural_relics", 0.02),
)
DOMAIN_AGENCY_A = {
    "ecology": ("environment", "forestry", "natural_resources", "water"),
    "food_drug": ("market",),
    "state_property": ("natural_resources", "housing"),
    "land_use": ("natural_resources",),
}
AGENCY_SOURCE_A = {"environment": "environment", "forestry": "forestry", "market": "market"}
SHAPE_PAIRS = {ch: group for group in SHAPE_GROUPS for ch in group}


@dataclass
class NoiseA:
    """Probabilities of each kind of noise (generator A)."""

    name_variants: tuple[tuple[str, float], ...] = (
        ("registered", 0.30),
        ("core", 0.20),
        ("legal_form", 0.10),
        ("region_prefix", 0.10),
        ("zihao_only", 0.05),
        ("homophone", 0.07),
        ("shape", 0.05),
        ("bracket", 0.05),
        ("core_slip", 0.05),
        ("spaces", 0.03),
    )
    credit_present: float = 0.45
    credit_mistyped: float = 0.12
    credit_transposed: float = 0.03
    address_variants: tuple[tuple[str, float], ...] = (
        ("full", 0.45),
        ("no_prefix", 0.2),
        ("reordered", 0.1),
        ("no_village", 0.1),
        ("missing", 0.15),
    )
    region_county: float = 0.8
    region_prefecture: float = 0.1
    person_id_present: float = 0.5
    incompatible_source: float = 0.08
    too_early: float = 0.06
    agency_cites: float = 0.85


@dataclass
class SynthData:
    cases: list[dict[str, Any]]
    records: list[dict[str, Any]]
    labels: list[dict[str, str]]
    stats: dict[str, int] = field(default_factory=dict)

    def write(self, out_dir: str | Path, prefix: str = "") -> dict[str, Path]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {k: out / f"{prefix}{k}.jsonl" for k in ("cases", "records", "labels")}
        write_jsonl(self.cases, paths["cases"])
        write_jsonl(self.records, paths["records"])
        write_jsonl(self.labels, paths["labels"])
        return paths


@dataclass
class _Entity:
    eid: int
    kind: str  # company / person / agency / government
    name: str
    county: str
    county_name: str
    city_name: str
    credit: str | None = None
    id_number: str | None = None
    zihao: str = ""
    industry: str = ""
    legal: str = ""
    town: str = ""
    village: str = ""
    number: int = 0
    branch_of: int | None = None
    branch_loc: str = ""
    twin: bool = False
    atype: str = ""


def _geo(e: _Entity) -> dict[str, str]:
    """Where a subject is, as the parts a record may show and the truth rule compares."""
    return {
        "city": e.city_name,
        "county": e.county_name,
        "town": e.town,
        "village": e.village,
        "county_code": e.county,
        "pref_code": e.county[:4],
    }


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    x = rng.random() * sum(w for _, w in weighted)
    for v, w in weighted:
        x -= w
        if x <= 0:
            return v
    return weighted[-1][0]


class _GeneratorA:
    def __init__(self, n_cases: int, n_records: int, seed: int, noise: NoiseA) -> None:
        self.rng = random.Random(seed)
        self.n_cases, self.n_records, self.noise = n_cases, n_records, noise
        self.entities: list[_Entity] = []
        self.counties = [(code, name, city, ccode) for (ccode, city), cs in REGIONS_A.items() for code, name in cs]
        self.towns: dict[str, list[tuple[str, list[str]]]] = {}
        self.by_county: dict[str, dict[str, list[int]]] = {}
        self.agencies: dict[tuple[str, str], int] = {}
        self.used_names: dict[str, set[str]] = {}
        zc = ZIHAO_CHARS_A
        pool = sorted({a + b for a in zc for b in zc if a != b})
        self.rng.shuffle(pool)
        self.zihao_pool = pool
        # Zipf-like weights: 华龙-style names are common, most are rare
        self.zihao_weights = [1.0 / (i + 1) ** 0.9 for i in range(len(pool))]
        self.zihao_cum = self._cum(self.zihao_weights)

    @staticmethod
    def _cum(weights: list[float]) -> list[float]:
        out, s = [], 0.0
        for w in weights:
            s += w
            out.append(s)
        return out

    def _zihao(self) -> str:
        import bisect

        x = self.rng.random() * self.zihao_cum[-1]
        return self.zihao_pool[min(bisect.bisect_left(self.zihao_cum, x), len(self.zihao_pool) - 1)]

    # ---- places --------------------------------------------------------------------------------
    def _town_list(self, county: str) -> list[tuple[str, list[str]]]:
        if county not in self.towns:
            rng = self.rng
            towns = []
            for _ in range(8):
                tname = rng.choice(TOWN_CHARS_A) + rng.choice(TOWN_CHARS_A) + rng.choice(("镇", "乡", "街道"))
                villages = [
                    rng.choice(TOWN_CHARS_A) + rng.choice("一二三四五新后前上下东西南北") + rng.choice(("村", "社区"))
                    for _ in range(6)
                ]
                towns.append((tname, villages))
            self.towns[county] = towns
        return self.towns[county]

    def _place(self, county: str) -> tuple[str, str, int]:
        tname, villages = self.rng.choice(self._town_list(county))
        return tname, self.rng.choice(villages), self.rng.randint(1, 300)

    # ---- entities ------------------------------------------------------------------------------
    def _credit(self, county: str) -> str:
        return make_credit_code("91" + county, "".join(self.rng.choice(CREDIT_CHARSET) for _ in range(8)))

    def _id(self, county: str) -> str:
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=self.rng.randint(0, 18000))
        body = county + birth.strftime("%Y%m%d") + f"{self.rng.randint(0, 999):03d}"
        return body + id_check_char(body)

    def _add(self, e: _Entity) -> _Entity:
        e.eid = len(self.entities)
        self.entities.append(e)
        self.by_county.setdefault(e.county, {}).setdefault(e.kind, []).append(e.eid)
        return e

    def _registered_name(self, zihao: str, industry: str, legal: str, city: str, rng: random.Random) -> str:
        style = rng.random()
        if style < 0.4:
            return f"浙江{zihao}{industry}{legal}"
        if style < 0.7:
            return f"{city}{zihao}{industry}{legal}"
        if style < 0.8 and legal.endswith("公司"):
            return f"{zihao}{industry}({city[:-1]}){legal}"
        return f"{zihao}{industry}{legal}"

    def company(
        self, county: tuple[str, str, str, str], zihao: str | None = None, industry: str | None = None
    ) -> _Entity | None:
        code, cname, city, _ = county
        rng = self.rng
        zihao = zihao or self._zihao()
        industry = industry or rng.choice(INDUSTRIES_A)
        used = self.used_names.setdefault(code, set())
        if zihao + industry in used:
            return None
        used.add(zihao + industry)
        legal = rng.choice(LEGAL_FORMS_A)
        town, village, number = self._place(code)
        return self._add(
            _Entity(
                0,
                "company",
                self._registered_name(zihao, industry, legal, city, rng),
                code,
                cname,
                city,
                credit=self._credit(code),
                zihao=zihao,
                industry=industry,
                legal=legal,
                town=town,
                village=village,
                number=number,
            )
        )

    def person(self, county: tuple[str, str, str, str], name: str | None = None) -> _Entity:
        code, cname, city, _ = county
        rng = self.rng
        name = name or (rng.choice(SURNAMES_A) + "".join(rng.choice(GIVEN_A) for _ in range(rng.choice((1, 2)))))
        town, village, number = self._place(code)
        return self._add(
            _Entity(
                0,
                "person",
                name,
                code,
                cname,
                city,
                id_number=self._id(code),
                town=town,
                village=village,
                number=number,
            )
        )

    def agency(self, county: tuple[str, str, str, str], atype: str) -> _Entity:
        key = (county[0], atype)
        if key not in self.agencies:
            name = f"{county[2]}{county[1]}{AGENCY_TYPES_A[atype]}"
            self.agencies[key] = self._add(_Entity(0, "agency", name, county[0], county[1], county[2], atype=atype)).eid
        return self.entities[self.agencies[key]]

    def build_population(self) -> None:
        rng = self.rng
        per_county = max(4, int(3 * self.n_cases / len(self.counties)))
        for county in self.counties:
            for _ in range(per_county):
                e = self.company(county)
                if e is None:
                    continue
                r = rng.random()
                if r < 0.06:  # near-identical twin: same 字号, other industry
                    self.company(county, zihao=e.zihao)
                elif r < 0.10:  # twin one character apart (often a homophone in real life)
                    alt = e.zihao[0] + rng.choice(ZIHAO_CHARS_A)
                    self.company(county, zihao=alt, industry=e.industry)
                elif r < 0.16:  # a branch (分公司) in another county of the same prefecture
                    others = [c for c in self.counties if c[3] == county[3] and c[0] != county[0]]
                    bc = rng.choice(others or [county])
                    loc = bc[1][:2]
                    town, village, number = self._place(bc[0])
                    name = f"{e.name}{loc}分公司" if rng.random() < 0.7 else f"{e.name}{bc[1]}分公司"
                    self._add(
                        _Entity(
                            0,
                            "company",
                            name,
                            bc[0],
                            bc[1],
                            bc[2],
                            credit=self._credit(bc[0]),
                            zihao=e.zihao,
                            industry=e.industry,
                            legal=e.legal,
                            town=town,
                            village=village,
                            number=number,
                            branch_of=e.eid,
                            branch_loc=loc,
                        )
                    )
            for _ in range(max(2, per_county // 3)):
                p = self.person(county)
                if rng.random() < 0.12:  # same name, different person, same county
                    self.person(county, name=p.name)
        # Everyone sharing a name with someone else in the prefecture is a "twin": their records
        # always carry a detail that tells them apart (the truth rule's same-name clause).
        by_name: dict[tuple[str, str], list[_Entity]] = {}
        for e in self.entities:
            if e.kind == "person":
                by_name.setdefault((e.county[:4], e.name), []).append(e)
        for group in by_name.values():
            if len(group) > 1:
                for e in group:
                    e.twin = True

    # ---- noisy renderings --------------------------------------------------------------------------
    def _slip(self, text: str, how: str) -> str:
        rng = self.rng
        idx = [i for i, c in enumerate(text) if "\u4e00" <= c <= "\u9fff"]
        if not idx:
            return text
        if how == "shape":
            cands = [i for i in idx if text[i] in SHAPE_PAIRS]
            if not cands:
                return text
            if cands:
                i = rng.choice(cands)
                alts = [c for c in SHAPE_PAIRS[text[i]] if c != text[i]]
                return text[:i] + rng.choice(alts) + text[i + 1 :]
        homophones = {
            "龙": "隆",
            "华": "桦",
            "盛": "晟",
            "鑫": "新",
            "源": "元",
            "泰": "太",
            "丰": "峰",
            "宏": "洪",
            "达": "大",
            "金": "今",
            "瑞": "睿",
            "祥": "翔",
            "永": "勇",
            "兴": "星",
            "昌": "长",
            "明": "铭",
            "辉": "晖",
            "荣": "容",
            "发": "法",
            "嘉": "佳",
            "诚": "成",
            "信": "新",
            "润": "闰",
            "德": "得",
            "旺": "望",
            "康": "抗",
            "宝": "保",
            "利": "力",
            "通": "同",
            "顺": "舜",
            "安": "按",
            "富": "付",
            "强": "墙",
            "建": "健",
            "伟": "维",
            "芳": "方",
            "敏": "民",
            "静": "靜",
            "丽": "莉",
            "军": "君",
            "杰": "洁",
            "涛": "滔",
            "超": "潮",
            "平": "萍",
            "刚": "钢",
            "国": "果",
            "海": "凯",
        }
        cands = [i for i in idx if text[i] in homophones]
        if how == "homophone" and cands:
            i = rng.choice(cands)
            return text[:i] + homophones[text[i]] + text[i + 1 :]
        if how == "random":  # a plain typo: any character replaced
            i = rng.choice(idx)
            return text[:i] + rng.choice(ZIHAO_CHARS_A) + text[i + 1 :]
        return text

    def company_name(self, e: _Entity) -> str:
        rng = self.rng
        v = _pick(rng, self.noise.name_variants)
        branch = ""
        base_name = e.name
        if e.branch_of is not None:
            branch = f"{e.branch_loc}分公司"
            base_name = self.entities[e.branch_of].name
        core = f"{e.zihao}{e.industry}"
        if v == "registered":
            return e.name
        if v == "core":
            return core + branch
        if v == "legal_form":
            return f"{core}{rng.choice(LEGAL_FORMS_A)}{branch}"
        if v == "region_prefix":
            return f"{rng.choice((e.city_name, e.city_name[:-1], '浙江省', e.county_name))}{core}{e.legal}{branch}"
        if v == "zihao_only":
            return f"{e.zihao}公司{branch}" if not branch else f"{core}{branch}"
        if v == "homophone":
            return self._slip(base_name, "homophone") + branch if branch else self._slip(e.name, "homophone")
        if v == "shape":
            return self._slip(base_name, "shape") + branch if branch else self._slip(e.name, "shape")
        if v == "bracket":
            return (
                e.name.replace("(", "（").replace(")", "）")
                if "(" in e.name
                else f"{core}（{e.city_name[:-1]}）{e.legal}{branch}"
            )
        if v == "core_slip":
            return self._slip(core, "random") + branch
        return " ".join([e.name[:2], e.name[2:]])

    def person_name(self, e: _Entity) -> str:
        r = self.rng.random()
        if r < 0.1:
            return self._slip(e.name, "homophone")
        if r < 0.14:
            return self._slip(e.name, "shape")
        return e.name

    def agency_name(self, e: _Entity) -> str:
        r = self.rng.random()
        if r < 0.5:
            return e.name
        if r < 0.8:
            return e.name[len(e.city_name) :]
        short = e.name
        for full, s in AGENCY_SHORT_A.items():
            short = short.replace(full, s)
        return short

    def credit_value(self, e: _Entity) -> str | None:
        rng, n = self.rng, self.noise
        if not e.credit or rng.random() > n.credit_present + n.credit_mistyped + n.credit_transposed:
            return None
        r = rng.random() * (n.credit_present + n.credit_mistyped + n.credit_transposed)
        code = e.credit
        if r < n.credit_present:
            return code if rng.random() < 0.9 else code.lower()
        if r < n.credit_present + n.credit_mistyped:
            i = rng.randint(8, 17)
            return code[:i] + rng.choice(CREDIT_CHARSET.replace(code[i], "")) + code[i + 1 :]
        i = rng.randint(8, 15)
        return code[:i] + code[i + 1] + code[i] + code[i + 2 :]

    def address(self, e: _Entity, force: bool = False) -> str | None:
        """A noisy rendering of the address; the parts it shows are left in ``self.shown_address``."""
        self.shown_address: dict[str, str] = {}
        if e.kind in ("agency", "government"):
            return None
        v = _pick(self.rng, self.noise.address_variants)
        if force and v == "missing":
            v = "full"
        tail = f"{e.town}{e.village}{e.number}号"
        shown = {
            "full": ("city", "county", "town", "village"),
            "no_prefix": ("county", "town", "village"),
            "reordered": ("city", "county", "town", "village"),
            "no_village": ("city", "county", "town"),
        }
        self.shown_address = {k: _geo(e)[k] for k in shown.get(v, ())}
        if v == "full":
            return f"浙江省{e.city_name}{e.county_name}{tail}"
        if v == "no_prefix":
            return f"{e.county_name}{tail}"
        if v == "reordered":
            return f"{e.town}{e.village}{e.number}号，{e.city_name}{e.county_name}"
        if v == "no_village":
            return f"{e.city_name}{e.county_name}{e.town}"
        return None

    def region(self, county: str) -> str | None:
        r = self.rng.random()
        if r < self.noise.region_county:
            return county
        if r < self.noise.region_county + self.noise.region_prefecture:
            return county[:4] + "00"
        return None

    def subject_fields(self, e: _Entity) -> dict[str, Any]:
        rng = self.rng
        if e.kind == "company":
            return {
                "party_name": self.company_name(e),
                "credit_code": self.credit_value(e),
                "id_number": None,
                "address": self.address(e),
            }
        if e.kind == "person":
            has_id = rng.random() < (0.7 if e.twin else self.noise.person_id_present)
            return {
                "party_name": self.person_name(e),
                "credit_code": None,
                "id_number": e.id_number if has_id else None,
                "address": self.address(e, force=e.twin and not has_id),
            }
        return {"party_name": self.agency_name(e), "credit_code": None, "id_number": None, "address": None}

    # ---- cases and records -------------------------------------------------------------------------
    def generate(self) -> SynthData:
        rng = self.rng
        self.build_population()
        cases: list[dict[str, Any]] = []
        case_parties: list[list[int]] = []
        case_meta: list[tuple[str, dt.date, list[str], list[str], str]] = []
        serial: dict[tuple[str, int, str], int] = {}
        dom_names = tuple(d for d, _ in DOMAINS_A)
        for ci in range(self.n_cases):
            county = rng.choice(self.counties)
            code, cname, city, _ = county
            domain = _pick(rng, DOMAINS_A)
            opened = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 2000))
            atype = rng.choice(DOMAIN_AGENCY_A.get(domain, tuple(AGENCY_TYPES_A)))
            agency = self.agency(county, atype)
            pool = self.by_county[code]
            parties: list[int] = []
            for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
                kind = "person" if rng.random() < 0.25 else "company"
                ids = pool.get(kind) or pool["company"]
                # re-use: a few companies are parties to several cases
                eid = ids[int(len(ids) * rng.random() ** 2.5)]
                if eid not in parties:
                    parties.append(eid)
            if rng.random() < 0.12:
                gov = self._add(_Entity(0, "government", f"{cname}{self._place(code)[0]}人民政府", code, cname, city))
                parties.append(gov.eid)
            year = opened.year
            key = (code, year, "建")
            serial[key] = serial.get(key, 0) + 1
            docs = [f"{cname[0]}检行公建〔{year}〕{serial[key]}号"]
            if domain == "ecology" and rng.random() < 0.4:
                docs.append(f"{cname[0]}环罚〔{year - rng.choice((0, 1))}〕{rng.randint(1, 400)}号")
            courts = []
            if rng.random() < 0.15:
                courts.append(f"（{year}）浙{code[2:]}{rng.choice(('民初', '行初', '刑初'))}{rng.randint(1, 3000)}号")
            party_objs = []
            for eid in parties:
                e = self.entities[eid]
                party_objs.append(
                    {
                        "name": e.name,
                        "kind": e.kind,
                        "credit_code": e.credit if rng.random() < 0.8 else None,
                        "id_number": e.id_number if (e.kind == "person" and (e.twin or rng.random() < 0.6)) else None,
                        "address": f"浙江省{e.city_name}{e.county_name}{e.town}{e.village}{e.number}号"
                        if e.town
                        else None,
                    }
                )
            cases.append(
                {
                    "case_id": f"C{ci:07d}",
                    "domain": domain,
                    "region_code": code,
                    "opened_on": opened.isoformat(),
                    "agency": agency.name,
                    "parties": party_objs,
                    "court_case_numbers": courts,
                    "doc_numbers": docs,
                }
            )
            case_parties.append([*parties, agency.eid])
            case_meta.append((domain, opened, docs, courts, code))
        del dom_names

        records: list[dict[str, Any]] = []
        rec_entity: list[int] = []
        # what each person record shows of where its subject lives (the rule's same-name clause)
        rec_shown: dict[int, dict[str, str]] = {}

        def emit(
            e: _Entity, source: str, kind: str, date: dt.date, doc: str | None = None, court: str | None = None
        ) -> None:
            rec = {
                "record_id": f"R{len(records):08d}",
                "source": source,
                "kind": kind,
                "date": date.isoformat(),
                "region_code": self.region(e.county),
                **self.subject_fields(e),
                "court_case_number": court,
                "doc_number": doc,
            }
            if e.kind == "person":
                geo = dict(self.shown_address)
                region = rec["region_code"]
                if region and region.endswith("00"):
                    geo["pref_code"] = region[:4]
                elif region:
                    geo["county_code"] = region
                rec_shown[len(records)] = geo
            records.append(rec)
            rec_entity.append(e.eid)

        def fit_sources(domain: str) -> tuple[str, ...]:
            return tuple(sorted(DOMAIN_SOURCES.get(domain, frozenset(SOURCES) - {"agency"}) - {"agency"}))

        n_case_records = int(self.n_records * 0.55)
        ci = 0
        while len(records) < n_case_records and cases:
            domain, opened, docs, courts, code = case_meta[ci % len(cases)]
            parties = case_parties[ci % len(cases)]
            ci += 1
            for eid in parties[:-1]:
                e = self.entities[eid]
                for _ in range(rng.choice((1, 2, 2, 3))):
                    if rng.random() < self.noise.incompatible_source:
                        bad = sorted(set(SOURCES) - {"agency"} - set(fit_sources(domain)))
                        source = rng.choice(bad or ["market"])
                    else:
                        source = rng.choice(fit_sources(domain))
                    if rng.random() < self.noise.too_early:
                        date = opened - dt.timedelta(days=rng.randint(400, 900))
                    else:
                        date = opened + dt.timedelta(days=rng.randint(-300, 400))
                    doc = court = None
                    if source == "court":
                        court = (
                            courts[0]
                            if courts and rng.random() < 0.7
                            else (f"({date.year})浙{code[2:]}民初{rng.randint(3001, 9000)}号")
                        )
                    elif source == "environment" and len(docs) > 1 and rng.random() < 0.6:
                        doc = docs[1].replace("〔", rng.choice("〔[（(")).replace("〕", rng.choice("〕]）)"))
                    if e.kind == "government" and rng.random() < 0.7:
                        doc = docs[0]
                    emit(e, source, rng.choice(("penalty", "inspection", "judgment", "permit")), date, doc, court)
            agency = self.entities[parties[-1]]
            for _ in range(rng.choice((1, 1, 2))):
                doc = None
                if rng.random() < self.noise.agency_cites:
                    doc = docs[0]
                    r = rng.random()
                    if r < 0.3:
                        doc = doc.replace("〔", "[").replace("〕", "]")
                    elif r < 0.5:
                        doc = doc.replace("〔", "（").replace("〕", "）")
                    elif r < 0.6:
                        doc = doc.replace("〕", "〕第")
                # the addressee's own system: an environment bureau's reply comes from "environment"
                emit(
                    agency,
                    AGENCY_SOURCE_A.get(agency.atype, "agency"),
                    rng.choice(("reply", "delivery_receipt", "rectification_report")),
                    opened + dt.timedelta(days=rng.randint(5, 90)),
                    doc,
                )

        # background: records about everyone else (and the same parties in unrelated matters)
        companies = [e for e in self.entities if e.kind == "company"]
        persons = [e for e in self.entities if e.kind == "person"]
        agencies = [self.entities[i] for i in self.agencies.values()]
        while len(records) < self.n_records:
            r = rng.random()
            date = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randint(0, 2900))
            if r < 0.7:
                e = rng.choice(companies)
            elif r < 0.85:
                e = rng.choice(persons)
            else:
                e = rng.choice(agencies)
            source = (
                AGENCY_SOURCE_A.get(e.atype, "agency")
                if e.kind == "agency"
                else rng.choice(("environment", "forestry", "market", "court"))
            )
            doc = None
            if e.kind == "agency" and rng.random() < 0.5:
                doc = f"{e.county_name[0]}{rng.choice('环林市')}函〔{date.year}〕{rng.randint(1, 999)}号"
            emit(e, source, "notice" if e.kind == "agency" else "inspection", date, doc)

        labels = self._labels(cases, case_parties, records, rec_entity, rec_shown)
        return SynthData(cases, records, labels, {"entities": len(self.entities)})

    def _labels(
        self,
        cases: list[dict[str, Any]],
        case_parties: list[list[int]],
        records: list[dict[str, Any]],
        rec_entity: list[int],
        rec_shown: dict[int, dict[str, str]],
    ) -> list[dict[str, str]]:
        """Apply truth.is_true_link to every (record, case) whose party is the record's subject.

        The subject is the record's entity, widened by the rule's same-name clause: a person record
        is also about a case party of the same name when their ID numbers are not both given and
        nothing else the record shows (region code, address city / county / town / village)
        disagrees with the party's — two namesakes in different prefectures are different entities
        here, yet a record showing neither region nor address is, by the rule, about each of them.
        """
        entity_cases: dict[int, list[int]] = {}
        for ci, parties in enumerate(case_parties):
            for eid in parties:
                if self.entities[eid].kind not in ("agency", "government"):
                    entity_cases.setdefault(eid, []).append(ci)
        party_id: dict[tuple[int, int], str | None] = {}
        for ci, parties in enumerate(case_parties):
            for eid, party in zip(parties, cases[ci]["parties"], strict=False):
                party_id[(ci, eid)] = party.get("id_number")
        namesakes: dict[str, list[int]] = {}
        for eid in entity_cases:
            if self.entities[eid].kind == "person":
                namesakes.setdefault(self.entities[eid].name, []).append(eid)

        def same_person(ri: int, rec: dict[str, Any], eid: int, ci: int) -> bool:
            theirs = party_id.get((ci, eid))
            if rec["id_number"] and theirs:
                return bool(rec["id_number"] == theirs)
            geo = _geo(self.entities[eid])
            return all(geo[k] == v for k, v in rec_shown.get(ri, {}).items())

        # public bodies: only via the numbers a record cites
        case_numbers = [c["doc_numbers"] + c["court_case_numbers"] for c in cases]
        flat = [n for ns in case_numbers for n in ns]
        norm = normalise_reference_numbers(flat).to_pylist()
        number_cases: dict[str, list[int]] = {}
        k = 0
        for ci, ns in enumerate(case_numbers):
            for _ in ns:
                number_cases.setdefault(norm[k], []).append(ci)
                k += 1
        rec_refs = normalise_reference_numbers([r["doc_number"] for r in records]).to_pylist()
        rec_courts = normalise_reference_numbers([r["court_case_number"] for r in records]).to_pylist()
        labels = []
        for ri, rec in enumerate(records):
            e = self.entities[rec_entity[ri]]
            date = dt.date.fromisoformat(rec["date"])
            if e.kind in ("agency", "government"):
                cited = set(number_cases.get(rec_refs[ri], [])) | set(number_cases.get(rec_courts[ri], []))
                candidates = {ci for ci in cited if e.eid in case_parties[ci]}
            else:
                candidates = set(entity_cases.get(e.eid, []))
            if e.kind == "person":
                for other in namesakes.get(rec["party_name"], []):
                    if other != e.eid:
                        candidates |= {ci for ci in entity_cases[other] if same_person(ri, rec, other, ci)}
            for ci in sorted(candidates):
                c = cases[ci]
                cites = ci in number_cases.get(rec_refs[ri] or "", []) or ci in number_cases.get(
                    rec_courts[ri] or "", []
                )
                if is_true_link(
                    same_subject=True,
                    party_kind=e.kind,
                    cites_case_number=cites,
                    source=rec["source"],
                    domain=c["domain"],
                    record_date=date,
                    opened_on=dt.date.fromisoformat(c["opened_on"]),
                ):
                    labels.append({"record_id": rec["record_id"], "case_id": c["case_id"]})
        return labels


def generate(n_cases: int = 2000, n_records: int = 20000, seed: int = 6, noise: NoiseA | None = None) -> SynthData:
    """Labelled cases and records (generator A), deterministic for a given seed."""
    return _GeneratorA(n_cases, n_records, seed, noise or NoiseA()).generate()
