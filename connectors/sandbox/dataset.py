"""The sandbox's data: a seeded generator consistent with the sample case registry.

Records are about the sample cases' parties — the same companies (sometimes written
differently: without the city prefix, another legal form, half-width brackets),
their credit codes (sometimes left out where the agency's form allows), the persons
and their ID numbers — and carry the recommendations' numbers in replies and receipts
and court case numbers for the cases that went to court. Some records belong to no
case at all (other companies, other procuratorates' recommendations), as in life.
Dates run 2017–2026 around each case's own dates. Each agency system gets its records
in its own field names and date/amount spellings, the way that system really sends
them; the connectors' mappings undo that.

Same seed and scale → byte-identical data, so tests can compare a faulty pull with a
clean one record by record.
"""

from __future__ import annotations

import hashlib
import json
import random
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from hub.samples.generate import COMPANY_STEMS, GIVEN, SURNAMES, credit_code, id_number

CASES_FILE = Path(__file__).resolve().parents[2] / "hub" / "samples" / "cases.jsonl"
CST = timezone(timedelta(hours=8))
FIRST, LAST = date(2017, 1, 3), date(2026, 11, 20)
DISTRICTS = {
    "330802": ("柯城区", "柯", "衢州市柯城区"),
    "330803": ("衢江区", "衢江", "衢州市衢江区"),
    "330822": ("常山县", "常", "常山县"),
    "330824": ("开化县", "开", "开化县"),
    "330825": ("龙游县", "龙", "龙游县"),
    "330881": ("江山市", "江", "江山市"),
}
INDUSTRIES = ["化工", "造纸", "砂石", "矿业", "养殖", "餐饮", "食品店", "再生资源", "印染", "建材"]
LEGAL_FORMS = ["有限公司", "有限责任公司", "股份有限公司"]
POLLUTANTS = [
    ("化学需氧量", "mg/L", 50),
    ("氨氮", "mg/L", 5),
    ("总磷", "mg/L", 0.5),
    ("二氧化硫", "mg/m3", 200),
    ("颗粒物", "mg/m3", 20),
]
FOODS = [
    ("大米", "镉(以Cd计)", "0.31mg/kg", "≤0.2mg/kg"),
    ("豆芽", "4-氯苯氧乙酸钠", "0.125mg/kg", "不得使用"),
    ("鸡蛋", "恩诺沙星", "15.2μg/kg", "不得检出"),
    ("白酒", "甜蜜素", "0.12g/kg", "不得使用"),
    ("米粉", "菌落总数", "1.2×10⁶CFU/g", "≤10⁵CFU/g"),
]


@dataclass(frozen=True)
class Party:
    name: str
    kind: str  # company | person
    region: str
    credit_code: str | None = None
    id_number: str | None = None
    case_id: str | None = None


@dataclass
class Dataset:
    """``records[system][stream]`` — agency-native dicts sorted by their update time."""

    seed: int
    scale: int
    records: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    #: forestry: file name → rows of the corrected re-publication
    corrections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def load_cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def _ts(day: date, rng: random.Random) -> str:
    moment = datetime(day.year, day.month, day.day, 8, 0, tzinfo=CST) + timedelta(seconds=rng.randrange(0, 10 * 3600))
    return moment.isoformat()


def _clamp(day: date) -> date:
    return min(max(day, FIRST), LAST)


def _rand_day(rng: random.Random, start: date = FIRST, end: date = LAST) -> date:
    return start + timedelta(days=rng.randrange(0, (end - start).days + 1))


def name_variant(name: str, rng: random.Random) -> str:
    """How another agency writes the same company: abbreviated, another legal form, half-width brackets."""
    roll = rng.random()
    if roll < 0.55 or not name.startswith("衢州市"):
        return name
    if roll < 0.7:
        return name[len("衢州市") :]
    if roll < 0.85:
        return (
            name.replace("有限责任公司", "有限公司")
            if "有限责任公司" in name
            else name.replace("有限公司", "有限责任公司")
        )
    return name.replace("股份有限公司", "股份公司") if "股份有限公司" in name else f"{name}(衢州)"[: len(name) + 4]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _Builder:
    def __init__(self, seed: int, scale: int) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.cases = load_cases()
        self.serial: dict[str, int] = {}

    def next_serial(self, key: str) -> int:
        self.serial[key] = self.serial.get(key, 0) + 1
        return self.serial[key]

    def extra_company(self) -> Party:
        rng = self.rng
        region = rng.choice(list(DISTRICTS))
        name = f"衢州市{rng.choice(COMPANY_STEMS)}{rng.choice(INDUSTRIES)}{rng.choice(LEGAL_FORMS)}"
        return Party(name, "company", region, credit_code(rng, region))

    def extra_person(self) -> Party:
        rng = self.rng
        region = rng.choice(list(DISTRICTS))
        return Party(rng.choice(SURNAMES) + rng.choice(GIVEN), "person", region, id_number=id_number(rng, region))

    def case_parties(self, predicate: Any) -> list[tuple[dict[str, Any], Party]]:
        out = []
        for case in self.cases:
            if not predicate(case):
                continue
            for p in case["parties"]:
                if p["kind"] in ("company", "person"):
                    out.append(
                        (
                            case,
                            Party(
                                p["name"],
                                p["kind"],
                                case["region_code"],
                                p.get("credit_code"),
                                p.get("id_number"),
                                case["case_id"],
                            ),
                        )
                    )
        return out

    def recommendations(self, agency_words: tuple[str, ...]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [(c, r) for c in self.cases for r in c["recommendations"] if any(w in r["agency"] for w in agency_words)]


# --- environment bureau ----------------------------------------------------------------


def _environment(b: _Builder) -> dict[str, list[dict[str, Any]]]:
    rng = b.rng
    penalties, exceedances = [], []
    subjects = b.case_parties(lambda c: c["domain"] == "ecology")
    subjects += [(None, b.extra_company() if rng.random() < 0.8 else b.extra_person()) for _ in range(40 * b.scale)]
    for case, party in subjects:
        day = (
            _clamp(date.fromisoformat(case["opened_on"]) - timedelta(days=rng.randrange(10, 90)))
            if case
            else _rand_day(rng)
        )
        district = DISTRICTS[party.region]
        n = b.next_serial(f"env{day.year}{party.region}")
        fine = rng.choice([20000, 50000, 85000, 125000, 300000, 1000000])
        person = party.kind == "person"
        penalties.append(
            {
                "record_id": f"HJCF-{day.year}-{party.region}-{n:04d}",
                "wsh": f"{district[1]}环罚〔{day.year}〕{n}号",
                "dsr": party.name if person else name_variant(party.name, rng),
                "dsrlx": "自然人" if person else "单位",
                "tyshxydm": None
                if person
                else (party.credit_code.lower() if rng.random() < 0.1 else party.credit_code),
                "sfzh": party.id_number if person else None,
                "wfss": f"{'该单位' if not person else '当事人'}于{day.year}年{day.month}月在{district[0]}境内超标排放水污染物",
                "cfyj": "《中华人民共和国水污染防治法》第八十三条第（二）项",
                "jdrq": f"{day.year}年{day.month}月{day.day}日" if rng.random() < 0.4 else day.isoformat(),
                "fkje": f"{fine / 10000:g}万元" if rng.random() < 0.5 else f"{fine:.2f}",
                "xzqh": party.region,
                "updated_at": _ts(_clamp(day + timedelta(days=rng.randrange(0, 15))), rng),
            }
        )
    companies = [p for _, p in b.case_parties(lambda c: c["domain"] == "ecology") if p.kind == "company"]
    for i in range(60 * b.scale):
        party = rng.choice(companies) if companies and rng.random() < 0.4 else b.extra_company()
        pollutant, unit, limit = rng.choice(POLLUTANTS)
        day = _rand_day(rng)
        measured = datetime(day.year, day.month, day.day, rng.randrange(24), 0, tzinfo=CST)
        exceedances.append(
            {
                "record_id": f"ZXJC-{day:%Y%m%d}-{i:05d}",
                "point_name": f"{party.name.removeprefix('衢州市')}废水总排口",
                "point_code": f"WS-{party.region}-{i % 97:03d}",
                "pollutant": pollutant,
                "value": f"{limit * rng.uniform(1.1, 4):.2f}",
                "limit": f"{limit:g}",
                "unit": unit,
                "monitor_time": measured.isoformat(),
                "company": name_variant(party.name, rng),
                "credit_code": party.credit_code if rng.random() < 0.7 else None,
                "region": party.region,
                "updated_at": _ts(_clamp(day + timedelta(days=1)), rng),
            }
        )
    replies, receipts = _replies_and_receipts(b, ("生态环境",), prefix="HJ")
    return {"penalties": penalties, "exceedances": exceedances, "replies": replies, "receipts": receipts}


def _replies_and_receipts(
    b: _Builder, words: tuple[str, ...], prefix: str, extra: int = 2
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Generic reply/receipt facts (field names are renamed per system)."""
    rng = b.rng
    replies, receipts = [], []
    recs = b.recommendations(words)
    for i in range(extra * b.scale):  # other procuratorates' recommendations: belong to no sample case
        year = rng.randrange(2018, 2027)
        issued = _rand_day(rng, date(year, 1, 5), min(date(year, 10, 30), LAST))
        received = issued + timedelta(days=rng.randrange(1, 10))
        rec = {
            "rec_id": f"衢检行公建〔{year}〕{100 + i}号",
            "agency": "衢州市" + words[0] + ("局" if not words[0].endswith("局") else ""),
            "issued_on": issued.isoformat(),
            "received_on": received.isoformat(),
            "replies": [
                {
                    "replied_on": _clamp(received + timedelta(days=rng.randrange(10, 60))).isoformat(),
                    "posted_on": None,
                    "has_evidence": True,
                    "rectification_due": None,
                    "rectified": True,
                }
            ],
        }
        recs.append(({"case_id": None}, rec))
    for n, (_case, rec) in enumerate(recs):
        if rec.get("received_on"):
            received = date.fromisoformat(rec["received_on"])
            receipts.append(
                {
                    "id": f"{prefix}SD-{n:05d}",
                    "rec": rec["rec_id"],
                    "agency": rec["agency"],
                    "received": received.isoformat(),
                    "receiver": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "method": rng.choice(["直接送达", "邮寄送达", "电子送达", "宣告送达"]),
                    "updated_at": _ts(_clamp(received + timedelta(days=1)), rng),
                }
            )
        for k, reply in enumerate(rec.get("replies") or []):
            replied = date.fromisoformat(reply["replied_on"])
            due = reply.get("rectification_due")
            plan = None if reply.get("rectified") or not due else "分三阶段完成整改：排查、整治、验收"
            attachments = (
                [
                    {
                        "name": f"整改证明材料{j + 1}.pdf",
                        "sha256": _sha(f"{rec['rec_id']}-{k}-{j}"),
                        "size": 20480 + 1024 * j,
                    }
                    for j in range(rng.randrange(1, 3))
                ]
                if reply.get("has_evidence")
                else []
            )
            replies.append(
                {
                    "id": f"{prefix}HF-{n:05d}-{k}",
                    "rec": rec["rec_id"],
                    "agency": rec["agency"],
                    "replied": replied.isoformat(),
                    "posted": reply.get("posted_on"),
                    "measures": "已对涉案单位立案查处，责令限期整改，并开展专项检查"
                    if reply.get("rectified") is not False
                    else "已约谈涉案单位，整改正在进行",
                    "plan": plan,
                    "promised": due if plan else None,
                    "attachments": attachments,
                    "updated_at": _ts(_clamp(replied + timedelta(days=rng.randrange(1, 6))), rng),
                }
            )
    return replies, receipts


# --- forestry bureau -------------------------------------------------------------------


def _forestry(b: _Builder) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    rng = b.rng
    cases, restorations = [], []
    subjects = b.case_parties(
        lambda c: (
            c["domain"] == "ecology"
            and (any("林业" in r["agency"] for r in c["recommendations"]) or "林" in c["title"])
        )
    )
    subjects += [(None, b.extra_person() if rng.random() < 0.7 else b.extra_company()) for _ in range(30 * b.scale)]
    for case, party in subjects:
        filed = (
            _clamp(date.fromisoformat(case["opened_on"]) - timedelta(days=rng.randrange(20, 120)))
            if case
            else _rand_day(rng)
        )
        occurred = filed - timedelta(days=rng.randrange(3, 40))
        district = DISTRICTS[party.region]
        n = b.next_serial(f"ly{filed.year}{party.region}")
        number = f"{district[1]}林罚决字〔{filed.year}〕第{n}号"
        area = round(rng.uniform(0.5, 40), 1)
        person = party.kind == "person"
        cases.append(
            {
                "案件编号": number,
                "案件类型": rng.choice(["毁林", "非法占用林地", "滥伐林木", "盗伐林木"]),
                "当事人": party.name if person else name_variant(party.name, rng),
                "统一社会信用代码": "" if person else (party.credit_code or ""),
                "身份证号": party.id_number or "" if person else "",
                "面积": f"{area}亩" if rng.random() < 0.7 else f"{area / 15:.4f}公顷",
                "地点": f"{district[0]}{rng.choice(['华埠镇', '湖镇镇', '双港街道', '石门镇', '峡口镇'])}{rng.choice(['后山', '林班12', '东坞', '大岭'])}",
                "行政区划": party.region,
                "发生日期": f"{occurred.year}/{occurred.month}/{occurred.day}",
                "立案日期": f"{filed.year}年{filed.month}月{filed.day}日",
                "_day": filed.isoformat(),
            }
        )
        if rng.random() < 0.6:
            inspected = _clamp(filed + timedelta(days=rng.randrange(60, 400)))
            restorations.append(
                {
                    "案件编号": number,
                    "恢复面积": f"{area}",
                    "状态": rng.choice(["进行中", "已完成", "已验收", "验收不合格"]),
                    "检查日期": inspected.isoformat(),
                    "检查人": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "说明": rng.choice(["补植杉木、木荷", "补植马尾松，成活率85%", "恢复植被，种植枫香"]),
                    "_day": inspected.isoformat(),
                }
            )
    return {"cases": cases, "restorations": restorations}, {}


# --- market regulation -----------------------------------------------------------------


def _licence_number(rng: random.Random, region: str) -> str:
    body = f"{rng.choice('123')}{region}{rng.randrange(10**6):06d}"
    return f"JY{body}{sum(int(c) for c in body) % 10}"


def _market(b: _Builder) -> dict[str, list[dict[str, Any]]]:
    rng = b.rng
    penalties, licences, failures = [], [], []
    subjects = b.case_parties(lambda c: c["domain"] in ("food_drug", "other"))
    subjects += [(None, b.extra_company()) for _ in range(40 * b.scale)]
    for case, party in subjects:
        day = (
            _clamp(date.fromisoformat(case["opened_on"]) - timedelta(days=rng.randrange(10, 60)))
            if case
            else _rand_day(rng)
        )
        n = b.next_serial(f"sc{day.year}")
        person = party.kind == "person"
        penalties.append(
            {
                "caseId": f"SJCF{day.year}{n:05d}",
                "docNo": f"衢市监罚[{day.year}]{n}号",
                "partyName": party.name if person else name_variant(party.name, rng),
                "partyType": "自然人" if person else rng.choice(["单位", "单位", "个体工商户"]),
                "uscc": None if person else party.credit_code,
                "idCard": party.id_number if person else None,
                "facts": "经营超过保质期的食品，货值金额较大",
                "basis": "《中华人民共和国食品安全法》第一百二十四条",
                "decideDate": f"{day:%Y%m%d}",
                "fine": rng.choice([5000, 10000, 50000, 100000]),
                "areaCode": party.region,
                "sector": rng.choice(["食品", "药品", "产品质量"]),
                "modifyTime": _ts(_clamp(day + timedelta(days=rng.randrange(0, 10))), rng),
            }
        )
    food = [p for _, p in b.case_parties(lambda c: c["domain"] == "food_drug") if p.kind == "company"]
    for party in food + [b.extra_company() for _ in range(30 * b.scale)]:
        start = _rand_day(rng, FIRST, date(2025, 12, 31))
        state = rng.choice(["有效", "有效", "有效", "注销", "吊销"])
        licences.append(
            {
                "licenceNo": _licence_number(rng, party.region),
                "holder": name_variant(party.name, rng),
                "uscc": party.credit_code,
                "validFrom": start.isoformat(),
                "validTo": start.replace(year=start.year + 5, day=min(start.day, 28)).isoformat(),
                "state": state,
                "areaCode": party.region,
                "modifyTime": _ts(_clamp(start + timedelta(days=rng.randrange(0, 30))), rng),
            }
        )
    sellers = food + [b.extra_company() for _ in range(10)]
    for i in range(30 * b.scale):
        seller = rng.choice(sellers)
        producer = b.extra_company()
        product, item, result, standard = rng.choice(FOODS)
        day = _rand_day(rng)
        failures.append(
            {
                "sampleNo": f"DC{day:%y}{seller.region}{i:05d}",
                "product": product,
                "batchNo": f"{day - timedelta(days=rng.randrange(5, 60)):%Y-%m-%d}",
                "producer": producer.name,
                "producerUscc": producer.credit_code if rng.random() < 0.6 else None,
                "seller": name_variant(seller.name, rng),
                "sellerUscc": seller.credit_code if rng.random() < 0.8 else None,
                "items": item,
                "result": result,
                "standard": standard,
                "sampleDate": day.isoformat(),
                "reportDate": _clamp(day + timedelta(days=rng.randrange(10, 40))).isoformat(),
                "areaCode": seller.region,
                "modifyTime": _ts(_clamp(day + timedelta(days=rng.randrange(10, 45))), rng),
            }
        )
    replies, _receipts = _replies_and_receipts(b, ("市场监督管理",), prefix="SC")
    replies = [{**{k: v for k, v in r.items() if k != "updated_at"}, "modifyTime": r["updated_at"]} for r in replies]
    return {"penalties": penalties, "licences": licences, "sampling-failures": failures, "replies": replies}


# --- court -----------------------------------------------------------------------------

_CASE_WORD = {
    "admin_litigation": ("行初", "行政公益诉讼"),
    "civil": ("民初", "民事公益诉讼"),
    "criminal_incidental_civil": ("刑初", "刑事附带民事公益诉讼"),
}


def _court(b: _Builder) -> dict[str, list[dict[str, Any]]]:
    rng = b.rng
    filings, judgments, executions = [], [], []
    litigated = [c for c in b.cases if c["procedure"] in _CASE_WORD]
    extra = []
    for _ in range(6 * b.scale):  # suits from elsewhere in the prefecture: no sample case
        region = rng.choice(list(DISTRICTS))
        extra.append(
            {
                "case_id": None,
                "procedure": rng.choice(list(_CASE_WORD)),
                "region_code": region,
                "opened_on": _rand_day(rng, FIRST, date(2026, 6, 30)).isoformat(),
                "litigation_status": rng.choice(["judged", "filed"]),
                "parties": [{"kind": "company", "name": b.extra_company().name}],
                "title": "公益诉讼",
            }
        )
    numbers: set[str] = set()
    for case in litigated + extra:
        word, procedure = _CASE_WORD[case["procedure"]]
        region = case["region_code"]
        court = f"{DISTRICTS[region][2]}人民法院"
        filed = _clamp(date.fromisoformat(case["opened_on"]) + timedelta(days=rng.randrange(60, 200)))
        serial = b.next_serial(f"{filed.year}{region}{word}") + rng.randrange(10, 400)
        number = f"（{filed.year}）浙{region[2:]}{word}{serial}号"
        while number in numbers:  # a court never gives two suits one 案号 (collisions appear at large scales)
            serial += 1
            number = f"（{filed.year}）浙{region[2:]}{word}{serial}号"
        numbers.add(number)
        defendants = [p["name"] for p in case["parties"] if p["kind"] in ("company", "person")] or ["（未列明）"]
        filings.append(
            {
                "ah": number,
                "fymc": court,
                "ajlx": procedure,
                "ay": case["title"][:30] or "公益诉讼",
                "larq": filed.isoformat(),
                "gsr": f"{DISTRICTS[region][2]}人民检察院",
                "bg": defendants,
                "gxsj": _ts(_clamp(filed + timedelta(days=1)), rng),
            }
        )
        if case.get("litigation_status") == "judged":
            decided = _clamp(filed + timedelta(days=rng.randrange(40, 180)))
            compensation = rng.choice([None, 85000, 300000, 1540000])
            judgments.append(
                {
                    "ah": number,
                    "fymc": court,
                    "cplx": "判决",
                    "cprq": decided.isoformat(),
                    "sxrq": _clamp(decided + timedelta(days=16)).isoformat(),
                    "cpjg": "被告承担生态环境修复费用并赔礼道歉",
                    "pcje": compensation,
                    "xfje": rng.choice([None, 120000, 450000]),
                    "sfss": rng.choice(["是", "否", "否"]),
                    "gxsj": _ts(_clamp(decided + timedelta(days=2)), rng),
                }
            )
            if compensation and rng.random() < 0.8:
                started = _clamp(decided + timedelta(days=rng.randrange(30, 90)))
                done = rng.random() < 0.5
                executions.append(
                    {
                        "ah": f"（{started.year}）浙{region[2:]}执{b.next_serial(f'zx{started.year}{region}') + 100}号",
                        "fymc": court,
                        "yjah": number,
                        "zxlarq": started.isoformat(),
                        "zxzt": "执行完毕" if done else "执行中",
                        "sqbd": compensation,
                        "dwje": compensation if done else compensation // 2,
                        "jarq": _clamp(started + timedelta(days=60)).isoformat() if done else None,
                        "gxsj": _ts(_clamp(started + timedelta(days=rng.randrange(1, 70))), rng),
                    }
                )
    return {"filings": filings, "judgments": judgments, "executions": executions}


# --- water resources -------------------------------------------------------------------


def _water(b: _Builder) -> dict[str, list[dict[str, Any]]]:
    replies, receipts = _replies_and_receipts(b, ("水利",), prefix="SL", extra=3)
    return {"replies": replies, "receipts": receipts}


def _sorted(records: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return sorted(
        records,
        key=lambda r: (str(r.get(key) or r.get("_day") or ""), json.dumps(r, ensure_ascii=False, sort_keys=True)),
    )


_BUILDERS = {
    "environment": (lambda b: _environment(b), "updated_at"),
    "forestry": (lambda b: _forestry(b)[0], "_day"),
    "market": (lambda b: _market(b), "modifyTime"),
    "court": (lambda b: _court(b), "gxsj"),
    "water": (lambda b: _water(b), "updated_at"),
    "natural_resources": (lambda b: _natural_resources(b), "更新时间"),
}


def _natural_resources(b: _Builder) -> dict[str, list[dict[str, Any]]]:
    from connectors.sandbox.natural_resources_data import build  # that module builds on this one

    return build(b)


@cache
def build_dataset(seed: int = 20181231, scale: int = 1, systems: tuple[str, ...] | None = None) -> Dataset:
    """Records for ``seed`` and ``scale`` (multiplies the records that belong to no case).

    ``systems`` limits generation (the benchmark scales one system up); each system has
    its own random stream, so a system's records do not depend on which others are built.
    """
    data = Dataset(seed, scale)
    for name, (build, key) in _BUILDERS.items():
        if systems is None or name in systems:
            b = _Builder(seed + zlib.crc32(name.encode()), scale)
            data.records[name] = {k: _sorted(v, key) for k, v in build(b).items()}
    return data
