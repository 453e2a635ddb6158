"""Held-out generator B: a second, independently written source of labelled cases and records.

The engine was tuned on generator A (``hub/matching/synth.py``). This one guards against fitting A's
quirks: other provinces (江西, 安徽), other trade-name and industry vocabularies (many industries the
normaliser does not list), a different noise mix and rates, homophones found with pypinyin rather
than from a hand table, shape-alike pairs *outside* the engine's table, agencies named the way
prefecture bureaus really name their county offices (九江市生态环境局濂溪分局), village committee
addresses (…村委会…组), and more missing credit codes. Labels follow the same truth rule
(``hub.matching.truth``), which is the one thing the two generators share.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np
from pypinyin import Style, lazy_pinyin

from hub.matching.identifiers import CREDIT_CHARSET, id_check_char, make_credit_code, normalise_reference_numbers
from hub.matching.truth import DOMAIN_SOURCES, is_true_link

PREFECTURES_B = [
    (
        "3601",
        "南昌市",
        [
            "360102东湖区",
            "360103西湖区",
            "360104青云谱区",
            "360111青山湖区",
            "360112新建区",
            "360121南昌县",
            "360123安义县",
            "360124进贤县",
        ],
    ),
    (
        "3604",
        "九江市",
        [
            "360402濂溪区",
            "360403浔阳区",
            "360404柴桑区",
            "360423武宁县",
            "360424修水县",
            "360425永修县",
            "360426德安县",
            "360428都昌县",
            "360429湖口县",
            "360430彭泽县",
            "360481瑞昌市",
            "360483庐山市",
        ],
    ),
    (
        "3607",
        "赣州市",
        [
            "360702章贡区",
            "360703南康区",
            "360704赣县区",
            "360722信丰县",
            "360723大余县",
            "360724上犹县",
            "360725崇义县",
            "360726安远县",
            "360728定南县",
            "360730宁都县",
            "360731于都县",
            "360781瑞金市",
        ],
    ),
    (
        "3611",
        "上饶市",
        [
            "361102信州区",
            "361103广丰区",
            "361104广信区",
            "361123玉山县",
            "361124铅山县",
            "361127余干县",
            "361128鄱阳县",
            "361129万年县",
            "361130婺源县",
            "361181德兴市",
        ],
    ),
    (
        "3401",
        "合肥市",
        [
            "340102瑶海区",
            "340103庐阳区",
            "340104蜀山区",
            "340111包河区",
            "340121长丰县",
            "340122肥东县",
            "340123肥西县",
            "340124庐江县",
            "340181巢湖市",
        ],
    ),
    (
        "3408",
        "安庆市",
        [
            "340802迎江区",
            "340803大观区",
            "340811宜秀区",
            "340822怀宁县",
            "340825太湖县",
            "340826宿松县",
            "340827望江县",
            "340828岳西县",
            "340881桐城市",
            "340882潜山市",
        ],
    ),
]
PROVINCE_B = {"36": "江西省", "34": "安徽省"}
ZIHAO_B = (
    "赣鄱徽皖庐洪豫章滕王匡岳井冈瑞鹰萍饶乐福禄寿喜春秋冬夏梅兰竹菊松柏杉樟桂荷莲晶辰星斗宸玺瀚澜"
    "沁溢铭钰琪瑜璟瑶翠碧黛紫丹朱赤橙墨"
)
INDUSTRY_B = [
    "矿业",
    "稀土",
    "萤石开采",
    "光伏",
    "锂电",
    "竹木制品",
    "苗木",
    "茶油",
    "脐橙种植",
    "生猪养殖",
    "石英砂",
    "陶瓷",
    "纸品",
    "烟花爆竹",
    "船舶修造",
    "混凝土",
    "沥青",
    "白酒",
    "米粉",
    "瓷土",
    "鞋业",
    "服饰",
]
FORMS_B = ["有限公司", "有限责任公司", "股份有限公司", "实业有限公司", "厂"]
SHAPE_B = {
    "徽": "微",
    "饶": "浇",
    "鹰": "膺",
    "萍": "苹",
    "晶": "品",
    "湖": "瑚",
    "洪": "烘",
    "浔": "寻",
    "淮": "准",
    "桐": "铜",
    "泾": "径",
    "辰": "晨",
    "瀚": "翰",
    "澜": "谰",
    "钰": "玉",
    "璟": "憬",
    "瑶": "谣",
    "碧": "璧",
    "黛": "袋",
    "杉": "衫",
    "樟": "璋",
    "莲": "链",
}
SURNAME_B = "熊刘胡万涂邹罗付廖曾黄钟吴余程汪叶方桂甘喻易饶肖"
GIVEN_B = "根生水发金凤桂花冬梅春兰火旺细妹检平招娣福林荣华德胜小军红霞志强秋菊三毛"
AGENCY_B = {
    "environment": "生态环境局",
    "forestry": "林业局",
    "market": "市场监督管理局",
    "resources": "自然资源局",
    "water": "水利局",
}
DOMAIN_MIX_B = [
    ("ecology", 0.5),
    ("food_drug", 0.25),
    ("state_property", 0.1),
    ("land_use", 0.07),
    ("minors", 0.04),
    ("elderly", 0.04),
]


class HeldOut:
    """Generator B. ``run()`` returns (cases, records, labels) as lists of dicts."""

    def __init__(self, n_cases: int, n_records: int, seed: int) -> None:
        self.r = np.random.default_rng(seed + 1_000_003)
        self.nc, self.nr = n_cases, n_records
        self.counties = [(c[:6], c[6:], pref_name, pcode) for pcode, pref_name, cs in PREFECTURES_B for c in cs]
        chars = sorted(set(ZIHAO_B))
        self.sound_alt: dict[str, list[str]] = defaultdict(list)
        for ch, py in zip(chars, lazy_pinyin(chars, style=Style.NORMAL), strict=True):
            self.sound_alt[py].append(ch)
        self.pinyin = dict(zip(chars, lazy_pinyin(chars, style=Style.NORMAL), strict=True))
        self.ents: list[dict[str, Any]] = []

    def p(self, prob: float) -> bool:
        return bool(self.r.random() < prob)

    def one(self, seq: list[Any] | str) -> Any:
        return seq[int(self.r.integers(len(seq)))]

    def code(self, county: str) -> str:
        return make_credit_code("92" + county, "".join(self.one(CREDIT_CHARSET) for _ in range(8)))

    def idno(self, county: str) -> str:
        body = county + (dt.date(1955, 1, 1) + dt.timedelta(days=int(self.r.integers(17000)))).strftime("%Y%m%d")
        body += f"{int(self.r.integers(1000)):03d}"
        return body + id_check_char(body)

    def addr_parts(self, county: tuple[str, str, str, str]) -> dict[str, str]:
        town = self.one(ZIHAO_B) + self.one("坪岭垅坑源口桥湾") + self.one(["镇", "乡"])
        vill = self.one(ZIHAO_B) + self.one("家塘背下上田") + "村"
        return {
            "prov": PROVINCE_B[county[0][:2]],
            "pref": county[2],
            "county": county[1],
            "town": town,
            "village": vill,
            "group": f"{int(self.r.integers(1, 12))}组",
        }

    # ---- population ----------------------------------------------------------------------------
    def population(self) -> None:
        n_comp = max(3, int(2.5 * self.nc / len(self.counties)))
        for county in self.counties:
            taken: set[str] = set()
            for _ in range(n_comp):
                zh = self.one(ZIHAO_B) + self.one(ZIHAO_B)
                ind = self.one(INDUSTRY_B)
                if zh + ind in taken or zh[0] == zh[1]:
                    continue
                taken.add(zh + ind)
                comp = self.company(county, zh, ind)
                if self.p(0.08):  # twin: a homophone 字号 in the same county (legal, and nasty)
                    alts = [c for c in self.sound_alt[self.pinyin[zh[1]]] if c != zh[1]]
                    if alts and zh[0] + alts[0] + ind not in taken:
                        taken.add(zh[0] + alts[0] + ind)
                        self.company(county, zh[0] + alts[0], ind)
                if self.p(0.05):  # twin: same 字号, other industry
                    other = self.one(INDUSTRY_B)
                    if zh + other not in taken:
                        taken.add(zh + other)
                        self.company(county, zh, other)
                if self.p(0.07):  # branch office elsewhere in the prefecture
                    bc = self.one([c for c in self.counties if c[3] == county[3]])
                    self.ents.append(
                        {
                            **comp,
                            "id": len(self.ents),
                            "county": bc,
                            "addr": self.addr_parts(bc),
                            "credit": self.code(bc[0]),
                            "branch": bc[1][:2],
                            "name": comp["name"] + bc[1][:2] + self.one(["分公司", "分厂"]),
                        }
                    )
            people = []
            for _ in range(max(2, n_comp // 4)):
                nm = self.one(SURNAME_B) + self.one(GIVEN_B) + (self.one(GIVEN_B) if self.p(0.6) else "")
                people.append(nm)
                if self.p(0.1):
                    people.append(nm)
            for nm in people:
                self.ents.append(
                    {
                        "id": len(self.ents),
                        "kind": "person",
                        "name": nm,
                        "county": county,
                        "addr": self.addr_parts(county),
                        "idno": self.idno(county[0]),
                    }
                )
            for key, typ in AGENCY_B.items():
                self.ents.append(
                    {
                        "id": len(self.ents),
                        "kind": "agency",
                        "name": f"{county[2]}{typ}{county[1][:2]}分局"
                        if key == "environment"
                        else f"{county[2]}{county[1]}{typ}",
                        "county": county,
                        "type": key,
                    }
                )
        names = defaultdict(list)
        for e in self.ents:
            if e["kind"] == "person":
                names[(e["county"][3], e["name"])].append(e)
        for group in names.values():
            for e in group:
                e["twin"] = len(group) > 1

    def company(self, county: tuple[str, str, str, str], zh: str, ind: str) -> dict[str, Any]:
        form = self.one(FORMS_B)
        style = self.r.random()
        prov = PROVINCE_B[county[0][:2]]
        if style < 0.35:
            name = f"{prov[:2]}{zh}{ind}{form}"
        elif style < 0.6:
            name = f"{county[2][:-1]}{zh}{ind}{form}"
        elif style < 0.7:
            name = f"{county[1]}{zh}{ind}{form}"
        else:
            name = f"{zh}{ind}{form}"
        e = {
            "id": len(self.ents),
            "kind": "company",
            "name": name,
            "county": county,
            "zh": zh,
            "ind": ind,
            "form": form,
            "addr": self.addr_parts(county),
            "credit": self.code(county[0]),
            "branch": "",
        }
        self.ents.append(e)
        return e

    # ---- noise --------------------------------------------------------------------------------------
    def slip(self, s: str) -> str:
        idx = [i for i, ch in enumerate(s) if ch in self.pinyin or ch in SHAPE_B]
        if not idx:
            return s
        i = self.one(idx)
        ch = s[i]
        if ch in SHAPE_B and self.p(0.5):
            return s[:i] + SHAPE_B[ch] + s[i + 1 :]
        alts = [c for c in self.sound_alt.get(self.pinyin.get(ch, ""), []) if c != ch]
        return s[:i] + self.one(alts) + s[i + 1 :] if alts else s

    def render_name(self, e: dict[str, Any]) -> str:
        if e["kind"] == "person":
            return self.slip(e["name"]) if self.p(0.08) else e["name"]
        if e["kind"] == "agency":
            c = e["county"]
            typ = AGENCY_B[e["type"]]
            return self.one(
                [e["name"], f"{c[1]}{typ}", e["name"], f"{c[2]}{c[1]}{typ}".replace("生态环境局", "环保局")]
            )
        tail = (e["branch"] + "分公司") if e["branch"] else ""
        x = self.r.random()
        if x < 0.25:
            return e["name"]
        if x < 0.45:
            return f"{e['zh']}{e['ind']}" + tail
        if x < 0.55:
            return f"{e['zh']}{e['ind']}{self.one(FORMS_B)}" + tail
        if x < 0.62:
            return f"{e['zh']}公司" if not tail else f"{e['zh']}{e['ind']}{tail}"
        if x < 0.75:
            return self.slip(f"{e['zh']}{e['ind']}{e['form']}") + tail
        if x < 0.85:
            return f"{e['zh']}{e['ind']}{e['form']}".replace("有限", "(有限)") + tail if not tail else e["name"]
        return f"{e['county'][2]} {e['zh']}{e['ind']}{e['form']}{tail}"

    def render_addr(self, e: dict[str, Any], must: bool = False) -> str | None:
        """A noisy rendering of the entity's address; the parts it shows go to ``self.shown_addr``."""
        a = e.get("addr")
        self.shown_addr: dict[str, str] = {}
        if not a:
            return None
        x = self.r.random()
        if x < 0.35:
            keys, text = (
                ("pref", "county", "town", "village"),
                (f"{a['prov']}{a['pref']}{a['county']}{a['town']}{a['village']}委会{a['group']}"),
            )
        elif x < 0.55:
            keys, text = ("county", "town", "village"), f"{a['county']} {a['town']} {a['village']}"
        elif x < 0.7:
            keys, text = (
                ("pref", "county", "town", "village"),
                (f"{a['pref']}{a['county']}{a['town']}{a['village']}{int(self.r.integers(1, 99))}号"),
            )
        elif x < 0.8:
            keys, text = ("county", "town", "village"), f"{a['town']}{a['village']}({a['county']})"
        elif must:
            keys, text = ("pref", "county", "town"), f"{a['pref']}{a['county']}{a['town']}"
        else:
            return None
        self.shown_addr = {k: a[k] for k in keys}
        return text

    def render_credit(self, e: dict[str, Any]) -> str | None:
        c = e.get("credit")
        if not c or self.p(0.55):
            return None
        if self.p(0.12):
            i = int(self.r.integers(2, 18))
            return c[:i] + self.one(CREDIT_CHARSET) + c[i + 1 :]
        return c

    def region(self, e: dict[str, Any]) -> str | None:
        x = self.r.random()
        return e["county"][0] if x < 0.7 else (e["county"][0][:4] + "00" if x < 0.85 else None)

    # ---- cases, records, labels ------------------------------------------------------------------
    def run(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, str]]]:
        self.population()
        by_county: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        for e in self.ents:
            by_county[e["county"][0]][e["kind"]].append(e)
        doms, weights = zip(*DOMAIN_MIX_B, strict=True)
        probs = np.array(weights) / sum(weights)
        cases, members = [], []
        serial: dict[str, int] = defaultdict(int)
        for i in range(self.nc):
            county = self.one(self.counties)
            pool = by_county[county[0]]
            dom = doms[int(self.r.choice(len(doms), p=probs))]
            opened = dt.date(2019, 6, 1) + dt.timedelta(days=int(self.r.integers(2200)))
            ag = self.one(
                [
                    a
                    for a in pool["agency"]
                    if a["type"]
                    in (
                        ("environment", "forestry", "resources", "water")
                        if dom == "ecology"
                        else ("market",)
                        if dom == "food_drug"
                        else tuple(AGENCY_B)
                    )
                ]
            )
            parties = []
            for _ in range(int(self.r.integers(1, 4))):
                kind = "person" if self.p(0.3) else "company"
                cand = pool[kind] or pool["company"]
                e = cand[min(int(len(cand) * self.r.random() ** 3), len(cand) - 1)]
                if e not in parties:
                    parties.append(e)
            serial[county[0]] += 1
            abbr = county[1][:2]
            docs = [f"{abbr}检行公建[{opened.year}]{serial[county[0]]}号"]
            if self.p(0.3):
                docs.append(f"{abbr}环罚字〔{opened.year}〕第{int(self.r.integers(1, 999))}号")
            courts = [f"({opened.year})赣{county[0][2:]}行初{int(self.r.integers(1, 900))}号"] if self.p(0.1) else []
            cases.append(
                {
                    "case_id": f"AJ{opened.year}{i:06d}",
                    "domain": dom,
                    "region_code": county[0],
                    "opened_on": opened.isoformat(),
                    "agency": ag["name"],
                    "parties": [
                        {
                            "name": e["name"],
                            "kind": e["kind"],
                            "credit_code": e.get("credit") if self.p(0.7) else None,
                            "id_number": e.get("idno")
                            if e["kind"] == "person" and (e.get("twin") or self.p(0.5))
                            else None,
                            "address": f"{e['addr']['pref']}{e['addr']['county']}{e['addr']['town']}{e['addr']['village']}",
                        }
                        for e in parties
                    ],
                    "court_case_numbers": courts,
                    "doc_numbers": docs,
                }
            )
            members.append(([e["id"] for e in parties], ag["id"]))

        records, subject = [], []
        # what a person record shows of where its subject lives, for the same-name clause of the rule
        shown: dict[int, dict[str, str]] = {}

        def add(
            e: dict[str, Any], source: str, date: dt.date, doc: str | None = None, court: str | None = None
        ) -> None:
            twin_guard = e["kind"] == "person" and e.get("twin")
            has_id = e["kind"] == "person" and self.p(0.75 if twin_guard else 0.4)
            region = self.region(e)
            name = self.render_name(e)
            credit = self.render_credit(e) if e["kind"] == "company" else None
            address = self.render_addr(e, must=bool(twin_guard and not has_id))
            if e["kind"] == "person":
                geo = dict(self.shown_addr)
                if region and region.endswith("00"):
                    geo["pref_code"] = region[:4]
                elif region:
                    geo["county_code"] = region
                shown[len(records)] = geo
            records.append(
                {
                    "record_id": f"JX-{len(records):09d}",
                    "source": source,
                    "kind": "k",
                    "date": date.isoformat(),
                    "region_code": region,
                    "party_name": name,
                    "credit_code": credit,
                    "id_number": e.get("idno") if has_id else None,
                    "address": address,
                    "court_case_number": court,
                    "doc_number": doc,
                }
            )
            subject.append(e["id"])

        fits = {d: sorted(s) for d, s in DOMAIN_SOURCES.items()}
        target = int(self.nr * 0.5)
        k = 0
        while len(records) < target and cases:
            c, (pids, aid) = cases[k % len(cases)], members[k % len(cases)]
            k += 1
            opened = dt.date.fromisoformat(c["opened_on"])
            for pid in pids:
                for _ in range(int(self.r.integers(1, 4))):
                    src = self.one(fits.get(c["domain"], ["environment", "forestry", "market", "court"]))
                    if self.p(0.1):
                        src = self.one(["environment", "forestry", "market", "court"])
                    date = opened + dt.timedelta(days=int(self.r.integers(-500, 500)))
                    court = (
                        c["court_case_numbers"][0]
                        if src == "court" and c["court_case_numbers"] and self.p(0.6)
                        else None
                    )
                    doc = (
                        c["doc_numbers"][-1].replace("〔", "(").replace("〕", ")")
                        if src == "environment" and len(c["doc_numbers"]) > 1 and self.p(0.5)
                        else None
                    )
                    add(self.ents[pid], src, date, doc, court)
            for _ in range(int(self.r.integers(0, 3))):
                doc = c["doc_numbers"][0].replace("[", "〔").replace("]", "〕") if self.p(0.8) else None
                ag = self.ents[aid]
                src = ag["type"] if ag["type"] in ("environment", "forestry", "market") else "agency"
                add(ag, src, opened + dt.timedelta(days=int(self.r.integers(3, 70))), doc)
        others = [e for e in self.ents if e["kind"] != "agency"]
        agencies = [e for e in self.ents if e["kind"] == "agency"]
        while len(records) < self.nr:
            date = dt.date(2018, 6, 1) + dt.timedelta(days=int(self.r.integers(2800)))
            if self.p(0.88):
                add(self.one(others), self.one(["environment", "forestry", "market", "court"]), date)
            else:
                e = self.one(agencies)
                add(
                    e,
                    "agency",
                    date,
                    f"{e['county'][1][:2]}政函[{date.year}]{int(self.r.integers(1, 500))}号" if self.p(0.5) else None,
                )
        return cases, records, self.labels(cases, members, records, subject, shown)

    def labels(
        self,
        cases: list[dict[str, Any]],
        members: list[tuple[list[int], int]],
        records: list[dict[str, Any]],
        subject: list[int],
        shown: dict[int, dict[str, str]],
    ) -> list[dict[str, str]]:
        """True (record, case) pairs by the issue's rule (``hub.matching.truth.is_true_link``).

        *Same subject* is the generator's own entity, except for the rule's same-name clause: a
        person record names the same person as a case party of the same name when the ID numbers
        are not both given (two given ones differ between different people) and nothing else the
        record shows — region code, address prefecture / county / town / village — disagrees with
        the party's. Entities are generated independently, so two people of one name in different
        prefectures are different entities, yet a record showing neither region nor address is,
        by the rule, about each of them.
        """
        party_cases: dict[int, list[int]] = defaultdict(list)
        for ci, (pids, _aid) in enumerate(members):
            for pid in pids:
                party_cases[pid].append(ci)
        # case-side ID number of each (case, person party): the case may leave it out
        party_id: dict[tuple[int, int], str | None] = {}
        for ci, (pids, _aid) in enumerate(members):
            for pid, party in zip(pids, cases[ci]["parties"], strict=True):
                party_id[(ci, pid)] = party.get("id_number")
        namesakes: dict[str, list[int]] = defaultdict(list)
        for pid in party_cases:
            if self.ents[pid]["kind"] == "person":
                namesakes[self.ents[pid]["name"]].append(pid)

        def same_person(ri: int, rec: dict[str, Any], pid: int, ci: int) -> bool:
            other = self.ents[pid]
            if rec["id_number"] and party_id[(ci, pid)]:
                return rec["id_number"] == party_id[(ci, pid)]
            geo = shown.get(ri, {})
            their = {**other["addr"], "county_code": other["county"][0], "pref_code": other["county"][0][:4]}
            return all(their[k] == v for k, v in geo.items())

        number_case: dict[str, set[int]] = defaultdict(set)
        nums = [(ci, n) for ci, c in enumerate(cases) for n in c["doc_numbers"] + c["court_case_numbers"]]
        for (ci, _), norm in zip(nums, normalise_reference_numbers([n for _, n in nums]).to_pylist(), strict=True):
            number_case[norm].add(ci)
        docs = normalise_reference_numbers([r["doc_number"] for r in records]).to_pylist()
        courts = normalise_reference_numbers([r["court_case_number"] for r in records]).to_pylist()
        out = []
        for ri, rec in enumerate(records):
            e = self.ents[subject[ri]]
            cited = number_case.get(docs[ri] or "", set()) | number_case.get(courts[ri] or "", set())
            if e["kind"] == "agency":
                cands = {ci for ci in cited if members[ci][1] == e["id"]}
            else:
                cands = set(party_cases[e["id"]])
            if e["kind"] == "person":
                for pid in namesakes.get(rec["party_name"], []):
                    if pid != e["id"]:
                        cands |= {ci for ci in party_cases[pid] if same_person(ri, rec, pid, ci)}
            for ci in sorted(cands):
                c = cases[ci]
                if is_true_link(
                    same_subject=True,
                    party_kind=e["kind"],
                    cites_case_number=ci in cited,
                    source=rec["source"],
                    domain=c["domain"],
                    record_date=dt.date.fromisoformat(rec["date"]),
                    opened_on=dt.date.fromisoformat(c["opened_on"]),
                ):
                    out.append({"record_id": rec["record_id"], "case_id": c["case_id"]})
        return out


def generate_heldout(n_cases: int, n_records: int, seed: int = 6) -> tuple[list[dict], list[dict], list[dict]]:
    """(cases, records, labels) from generator B."""
    return HeldOut(n_cases, n_records, seed).run()
