"""Generate the sample case registry and agency registry (deterministic, seeded).

Run ``python -m hub.samples.generate`` to rewrite ``cases.jsonl`` and ``agencies.yaml``.
The cases follow the typical cases of the Quzhou white paper (衢州市检察院公益诉讼白皮书): fishery
supervision, hazardous chemicals, mine restoration, dental-clinic sewage, online food
platforms, forest land, heroes' memorials, civil-defence fees … spread over the six
county-level districts, all domains and procedures, from the 2017 start of the system
to the current year, with urgent recommendations and replies on time, late, posted in
time, without evidence, or missing. Names of individuals and ID numbers are invented.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

from schemas.identifiers.credit_code import credit_code_check_char, org_code_check_char
from schemas.identifiers.id_number import id_number_check_digit

OUT = Path(__file__).parent

# (district, region code, short name used in document numbers, government prefix)
DISTRICTS = [
    ("柯城区", "330802", "柯", "衢州市柯城区"),
    ("衢江区", "330803", "衢江", "衢州市衢江区"),
    ("龙游县", "330825", "龙", "龙游县"),
    ("江山市", "330881", "江", "江山市"),
    ("常山县", "330822", "常", "常山县"),
    ("开化县", "330824", "开", "开化县"),
]
CITY = ("衢州市", "330800")

# Bureau kinds present in every district: (kind, name suffix, city-level superior name, pinyin tag)
BUREAUS = [
    ("environment", "生态环境分局", "衢州市生态环境局", "sthj"),
    ("forestry", "林业局", "衢州市林业局", "ly"),
    ("market", "市场监督管理局", "衢州市市场监督管理局", "scjg"),
    ("water", "水利局", "衢州市水利局", "sl"),
    ("natural_resources", "自然资源和规划局", "衢州市自然资源和规划局", "zrzy"),
    ("health", "卫生健康局", "衢州市卫生健康委员会", "wsjk"),
    ("agriculture", "农业农村局", "衢州市农业农村局", "nync"),
    ("civil_defence", "人民防空办公室", "衢州市人民防空办公室", "rfb"),
    ("veterans", "退役军人事务局", "衢州市退役军人事务局", "tyjr"),
]


def bureau_name(district: str, district_prefix: str, kind: str, suffix: str) -> str:
    # Since the 2019 reform the county environment bureaus are branches of the city bureau.
    if kind == "environment":
        return f"衢州市生态环境局{district[:-1]}分局"
    return f"{district_prefix}{suffix}"


@dataclass(frozen=True)
class Template:
    title: str
    domain: str
    bureau: str  # agency kind addressed
    party: str  # company | person | agency | organisation
    subject: str  # party name stem
    outcome: tuple[float, float, float] = (0, 0, 0)  # mu, tonnes, yuan


TEMPLATES = [
    Template("督促依法履行渔业监管职责", "ecology", "agriculture", "person", "非法捕捞"),
    Template("督促消除危化品污染隐患", "ecology", "environment", "company", "化工", (0, 400, 0)),
    Template("督促依法履行矿山地质环境修复监管职责", "ecology", "natural_resources", "company", "矿业", (35, 0, 0)),
    Template("督促依法履行环境监管职责（企业超标排放）", "ecology", "environment", "company", "造纸", (0, 0, 120000)),
    Template("督促依法履行林地修复监管职责", "ecology", "forestry", "person", "非法占用林地", (12.5, 0, 0)),
    Template("督促整治口腔诊所医疗污水直排", "ecology", "health", "company", "口腔诊所", (0, 0, 0)),
    Template("督促依法履行非法采砂监管职责", "ecology", "water", "company", "砂石", (8, 0, 50000)),
    Template("督促整治畜禽养殖场污染", "ecology", "agriculture", "company", "养殖", (0, 1200, 0)),
    Template("督促清理非法倾倒固体废物", "ecology", "environment", "company", "再生资源", (0, 3000, 0)),
    Template("督促查处滥伐林木", "ecology", "forestry", "person", "滥伐林木", (20, 0, 0)),
    Template("网络餐饮食品安全监管", "food_drug", "market", "company", "餐饮", (0, 0, 0)),
    Template("督促查处校园周边无证食品经营", "food_drug", "market", "company", "食品店", (0, 0, 0)),
    Template("督促查处保健品虚假宣传", "food_drug", "market", "company", "保健品", (0, 0, 30000)),
    Template("督促追缴人防易地建设费", "state_property", "civil_defence", "company", "房地产开发", (0, 0, 1690000)),
    Template("督促追回违规发放的农业补贴", "state_property", "agriculture", "person", "补贴", (0, 0, 85000)),
    Template("督促追缴国有土地使用权出让金", "land_transfer", "natural_resources", "company", "置业", (0, 0, 2300000)),
    Template("督促加强英烈纪念设施管护", "heroes", "veterans", "agency", "烈士陵园", (0, 0, 0)),
    Template("督促履行安全生产监管职责（燃气）", "other", "market", "company", "燃气", (0, 0, 0)),
    Template("督促保护公民个人信息（违规收集人脸信息）", "other", "market", "company", "科技", (0, 0, 0)),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "秀英", "志强", "丽华", "国平", "美玲", "春生", "卫东", "海燕", "永明", "桂芳", "文斌"]
COMPANY_STEMS = ["华龙", "瑞力杰", "金瓯", "衢峰", "钱江源", "信安", "龙山", "江郎", "常青", "开源", "鸿运", "恒泰"]


def credit_code(rng: random.Random, region: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    org = "MA" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
    org_check = org_code_check_char(org)
    body = "91" + region + org + org_check
    assert all(c in alphabet for c in body)
    return body + credit_code_check_char(body)


def id_number(rng: random.Random, region: str) -> str:
    birth = date(1955, 1, 1) + timedelta(days=rng.randrange(0, 365 * 45))
    body = f"{region}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + id_number_check_digit(body)


def phone(rng: random.Random) -> str:
    return "1" + rng.choice("35789") + "".join(str(rng.randrange(10)) for _ in range(9))


# Case opening dates: the white paper's period (2017-07 .. 2018-12) weighs most; the
# current year supplies live clocks for the demo's sweep.
PERIODS = [
    (date(2017, 7, 3), date(2017, 12, 20), 6),
    (date(2018, 1, 8), date(2018, 12, 10), 30),
    (date(2019, 3, 1), date(2025, 10, 30), 10),
    (date(2026, 4, 1), date(2026, 9, 20), 14),
]

# The last cases of the current year hold hand-placed live clocks for the demo's sweep
# (as of 2026-11-23): n -> (issued, received or None, urgent).
LIVE = {
    56: (date(2026, 11, 2), None, False),  # receipt not yet returned: pending
    57: (date(2026, 11, 10), date(2026, 11, 12), False),  # 2 months end in 2027: calendar_missing
    58: (date(2026, 11, 6), date(2026, 11, 10), True),  # urgent, 15 days: due soon
    59: (date(2026, 9, 24), date(2026, 9, 28), False),  # ends Sat 2026-11-28: moves to Mon 11-30
    60: (date(2026, 10, 14), date(2026, 10, 16), False),  # running
}

# Reply patterns for pre-litigation recommendations (weights).
PATTERNS = [("on_time", 10), ("late", 3), ("posted_in_time", 2), ("missing", 3), ("no_evidence", 2)]


def _rand_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(0, (end - start).days + 1))


def _deadline_guess(received: date, urgent: bool) -> date:
    """Rough deadline used only to place sample replies early or late (never the real rule)."""
    if urgent:
        return received + timedelta(days=15)
    month = received.month + 2
    year = received.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    day = min(received.day, 28)
    return date(year, month, day)


def generate(seed: int = 20181231) -> tuple[list[dict], dict]:
    rng = random.Random(seed)
    agencies = _agencies()
    names_by_kind = {(a["region_code"], a["kind"]): a["name"] for a in agencies["agencies"]}
    cases: list[dict] = []
    counters: dict[tuple[str, int], int] = {}
    n = 0
    for start, end, count in PERIODS:
        for _ in range(count):
            n += 1
            tpl = TEMPLATES[(n * 7) % len(TEMPLATES)] if n > 1 else TEMPLATES[0]
            district, region, short, prefix = DISTRICTS[(n * 5) % len(DISTRICTS)]
            opened = _rand_date(rng, start, end)
            if n in LIVE:
                opened = LIVE[n][0] - timedelta(days=5)
            procedure = _procedure(n, tpl)
            case = {
                "case_id": f"KC-{opened.year}-{n:03d}",
                "title": tpl.title,
                "domain": tpl.domain,
                "procedure": procedure,
                "region_code": region,
                "district": district,
                "opened_on": opened.isoformat(),
                "status": "open",
                "procurator": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "parties": [_party(rng, tpl, region, district, prefix)],
                "recommendations": [],
                "outcomes": {"land_restored_mu": 0, "waste_removed_t": 0, "money_recovered_yuan": 0},
            }
            agency = names_by_kind[(region, tpl.bureau)]
            if procedure in ("admin_pre_litigation", "admin_litigation"):
                key = (short, opened.year)
                counters[key] = counters.get(key, 0) + 1
                rec_id = f"{short}检行公建〔{opened.year}〕{counters[key]}号"
                case["recommendations"].append(_recommendation(rng, n, rec_id, agency, opened, prefix))
            finished = opened < date(2026, 1, 1)
            if finished and procedure != "admin_litigation" and rng.random() < 0.8:
                mu, t, yuan = tpl.outcome
                case["outcomes"] = {"land_restored_mu": mu, "waste_removed_t": t, "money_recovered_yuan": yuan}
                case["status"] = "closed" if rng.random() < 0.7 else "open"
            if procedure == "admin_litigation":
                case["litigation_status"] = "filed" if opened.year >= 2026 else "judged"
            elif procedure in ("civil", "criminal_incidental_civil"):
                case["litigation_status"] = "judged" if finished else "announcement"
                mu, t, yuan = tpl.outcome
                case["outcomes"]["money_recovered_yuan"] = yuan or 1540000
            cases.append(case)
    return cases, agencies


def _procedure(n: int, tpl: Template) -> str:
    # Mostly pre-litigation recommendations (the white paper's 89 %), every procedure present.
    special = {
        4: "criminal_incidental_civil",
        11: "civil",
        17: "criminal_incidental_civil",
        23: "admin_litigation",
        29: "damage_consultation",
        38: "criminal_incidental_civil",
        47: "admin_litigation",
        55: "civil",
    }
    return special.get(n, "admin_pre_litigation")


def _party(rng: random.Random, tpl: Template, region: str, district: str, prefix: str) -> dict:
    if tpl.party == "person":
        return {
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "kind": "person",
            "credit_code": None,
            "id_number": id_number(rng, region),
            "phone": phone(rng),
            "address": f"浙江省衢州市{district}{rng.choice(['双港街道', '樟潭街道', '球川镇', '华埠镇', '湖镇镇'])}"
            f"{rng.choice(['下村', '上坞村', '新塘村', '石门村'])}{rng.randrange(1, 99)}号",
        }
    if tpl.party == "agency":
        return {
            "name": f"{prefix}{tpl.subject}管理所",
            "kind": "organisation",
            "credit_code": None,
            "id_number": None,
            "address": f"浙江省衢州市{district}",
        }
    stem = rng.choice(COMPANY_STEMS)
    form = rng.choice(["有限公司", "有限责任公司", "股份有限公司"])
    return {
        "name": f"衢州市{stem}{tpl.subject}{form}",
        "kind": "company",
        "credit_code": credit_code(rng, region),
        "id_number": None,
        "address": f"浙江省衢州市{district}{rng.choice(['工业园区', '经济开发区', '东港'])}{rng.randrange(1, 300)}号",
    }


def _recommendation(rng: random.Random, n: int, rec_id: str, agency: str, opened: date, prefix: str) -> dict:
    issued = opened + timedelta(days=rng.randrange(3, 30))
    received: date | None = issued + timedelta(days=rng.randrange(1, 5))
    urgent = n % 6 == 0
    if n in LIVE:
        issued, received, urgent = LIVE[n]
    rec = {
        "rec_id": rec_id,
        "agency": agency,
        "issued_on": issued.isoformat(),
        "received_on": received.isoformat() if received else None,
        "urgent": urgent,
        "publicly_delivered": n % 4 == 0,
        "copied_to": [f"{prefix}人大常委会"] if n % 3 == 0 else [],
        "replies": [],
    }
    if received is None or received >= date(2026, 9, 1):
        return rec  # current: no reply yet, clocks pending / running / due soon / breached
    pattern = rng.choices([p for p, _ in PATTERNS], weights=[w for _, w in PATTERNS])[0]
    deadline = _deadline_guess(received, urgent)
    if pattern == "missing":
        return rec
    if pattern == "late":
        replied, posted = deadline + timedelta(days=rng.randrange(10, 60)), None
    elif pattern == "posted_in_time":
        posted = deadline - timedelta(days=2)
        replied = deadline + timedelta(days=3)
    else:
        replied, posted = received + timedelta(days=rng.randrange(7, 12 if urgent else 40)), None
    promised = replied + timedelta(days=rng.randrange(30, 120))
    rectified = promised < date(2026, 6, 1) and rng.random() < 0.85
    reply = {
        "replied_on": replied.isoformat(),
        "posted_on": posted.isoformat() if posted else None,
        "has_evidence": pattern != "no_evidence",
        "rectification_due": promised.isoformat(),
        "rectified": rectified,
    }
    if rectified:
        reply["rectified_on"] = (promised - timedelta(days=rng.randrange(0, 20))).isoformat()
        reply["rebound"] = n % 13 == 0
    rec["replies"].append(reply)
    return rec


def _agencies() -> dict:
    items: list[dict] = []
    city_region = CITY[1]
    for kind, _suffix, city_name, tag in BUREAUS:
        items.append(
            {
                "code": f"{city_region}-{tag}",
                "name": city_name,
                "kind": kind,
                "region_code": city_region,
                "contacts": [{"channel": "inbox", "address": f"{city_region}-{tag}"}],
            }
        )
    items += [
        {"code": f"{city_region}-gov", "name": "衢州市人民政府", "kind": "government", "region_code": city_region},
        {"code": f"{city_region}-rdcwh", "name": "衢州市人大常委会", "kind": "congress", "region_code": city_region},
        {
            "code": f"{city_region}-jw",
            "name": "衢州市监察委员会",
            "kind": "supervisory_commission",
            "region_code": city_region,
        },
        # The court system the court connector pulls from (filings, judgments, executions).
        {"code": f"{city_region}-fy", "name": "衢州市中级人民法院", "kind": "court", "region_code": city_region},
    ]
    for district, region, _short, prefix in DISTRICTS:
        for kind, suffix, city_name, tag in BUREAUS:
            code = f"{region}-{tag}"
            superior = next(i["code"] for i in items if i["name"] == city_name)
            items.append(
                {
                    "code": code,
                    "name": bureau_name(district, prefix, kind, suffix),
                    "kind": kind,
                    "region_code": region,
                    "superior": superior,
                    "contacts": [
                        {"channel": "inbox", "address": code},
                        {"channel": "email", "address": f"{tag}@{region}.gov.example.cn", "label": "办公室"},
                    ],
                }
            )
        items += [
            {
                "code": f"{region}-gov",
                "name": f"{prefix}人民政府",
                "kind": "government",
                "region_code": region,
                "superior": f"{city_region}-gov",
                "contacts": [{"channel": "inbox", "address": f"{region}-gov"}],
            },
            {
                "code": f"{region}-fzb",
                "name": f"{prefix}司法局",
                "kind": "rule_of_law_office",
                "region_code": region,
                "contacts": [
                    {"channel": "inbox", "address": f"{region}-fzb"},
                    {"channel": "email", "address": f"fzb@{region}.gov.example.cn"},
                ],
            },
            {
                "code": f"{region}-rdcwh",
                "name": f"{prefix}人大常委会",
                "kind": "congress",
                "region_code": region,
                "contacts": [
                    {"channel": "inbox", "address": f"{region}-rdcwh"},
                    {"channel": "email", "address": f"rdcwh@{region}.gov.example.cn"},
                ],
            },
            {
                "code": f"{region}-jw",
                "name": f"{prefix}监察委员会",
                "kind": "supervisory_commission",
                "region_code": region,
                "contacts": [{"channel": "inbox", "address": f"{region}-jw"}],
            },
        ]
    for item in items:
        item.setdefault("contacts", [{"channel": "inbox", "address": item["code"]}])
    return {"agencies": items}


def main() -> None:
    cases, agencies = generate()
    with (OUT / "cases.jsonl").open("w", encoding="utf-8") as fh:
        for case in cases:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    header = (
        "# 衢州市机关名录（样例）/ Sample agency registry for Quzhou, generated by hub/samples/generate.py.\n"
        "# Contacts are institutional channels only (inbox, office e-mail); no personal data.\n"
    )
    (OUT / "agencies.yaml").write_text(
        header + yaml.safe_dump(agencies, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    print(f"{len(cases)} cases, {len(agencies['agencies'])} agencies")


if __name__ == "__main__":
    main()
