"""The natural-resources bureau's seeded records, in the bureau's own Chinese field names.

Land-use cases (土地违法案件), mining cases (矿产资源违法案件) and acceptances of restored
land (修复验收) about the sample cases whose recommendations went to a 自然资源和规划局
(mine restoration in 江山, land-transfer fees in 开化 …) and about parties of no sample
case. Numbers come as the bureau's forms hold them: areas as bare numbers in the unit the
column names (``占地面积（平方米）``, ``其中耕地面积（亩）``), money in 万元
(``罚没款（万元）``), dates as ``yyyy-MM-dd`` or ``yyyyMMdd``, and the update time
``更新时间`` as naive Beijing time ``yyyy-MM-dd HH:mm:ss``.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from connectors.sandbox.dataset import DISTRICTS, _Builder, _clamp, _rand_day, name_variant

__all__ = ["ENDPOINTS", "ID_FIELD", "build", "new_record", "update_time"]

#: The gateway's lists (``/zrzy/api/v1/<endpoint>``) and the data set's streams they serve.
ENDPOINTS = {"tdwfaj": "land_cases", "kcwfaj": "mining_cases", "xfys": "restoration_acceptances"}
#: Every list's id field.
ID_FIELD = "业务编号"
LAND_TYPES = ["非法占地", "非法占用耕地", "未批先建", "非法转让土地", "擅自改变土地用途", "破坏耕地"]
MINING_TYPES = ["无证开采", "越界开采", "非法收购销售矿产品", "破坏性开采"]
STATUSES = ["已立案", "已作出处罚决定", "已执行", "已结案", "已移送司法机关"]
MINERALS = ["页岩", "建筑用砂", "萤石", "石灰岩", "建筑用凝灰岩"]
RESTORATION_TYPES = ["耕地复垦", "矿山地质环境治理", "土地整治", "植被恢复", "拆除复原"]
RESULTS = ["验收合格", "验收合格", "验收合格", "验收不合格", "限期整改后复验"]
TOWNS = ["杜泽镇", "湖镇镇", "峡口镇", "华埠镇", "石门镇", "双港街道"]
VILLAGES = ["周村", "殿前", "大坞", "后溪", "上方", "下淤"]
#: The bureau's own abbreviation per district, for case numbers (衢江自然资规罚〔2019〕12号).
ABBREVIATION = {"330802": "柯", "330803": "衢江", "330822": "常", "330824": "开", "330825": "龙", "330881": "江"}


def update_time(moment: datetime) -> str:
    """``更新时间`` as the bureau writes it: naive Beijing time."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, 8, 0) + timedelta(seconds=rng.randrange(0, 10 * 3600))


def _party_fields(party: Any, rng: random.Random) -> dict[str, Any]:
    person = party.kind == "person"
    return {
        "当事人": party.name if person else name_variant(party.name, rng),
        "当事人类型": "个人" if person else "单位",
        "统一社会信用代码": None if person else party.credit_code,
        "身份证号码": party.id_number if person else None,
    }


def _place(region: str, rng: random.Random) -> str:
    return f"{DISTRICTS[region][0]}{rng.choice(TOWNS)}{rng.choice(VILLAGES)}村"


def _land_case(b: _Builder, party: Any, filed: date, serial: str) -> dict[str, Any]:
    rng = b.rng
    square_metres = rng.choice([300, 667, 1200, 2000, 3335, 5000, 8000, 12000, 26680])
    farmland_mu = round(square_metres * 0.0015 * rng.choice([0, 0, 0.3, 0.5, 1.0]), 2)
    found = filed - timedelta(days=rng.randrange(3, 60))
    decided = filed + timedelta(days=rng.randrange(20, 90)) if rng.random() < 0.7 else None
    n = b.next_serial(f"zr{filed.year}{party.region}")
    return {
        "业务编号": f"TDWF{party.region}{filed.year}{n:05d}{serial}",
        "案件编号": f"{ABBREVIATION[party.region]}自然资规罚〔{filed.year}〕{n}号",
        "违法类型": rng.choice(LAND_TYPES),
        **_party_fields(party, rng),
        "坐落": _place(party.region, rng),
        "行政区划代码": party.region,
        "占地面积（平方米）": square_metres,
        "其中耕地面积（亩）": farmland_mu if farmland_mu else None,
        "发现日期": f"{found:%Y%m%d}",
        "立案日期": filed.isoformat(),
        "处罚决定日期": decided.isoformat() if decided else None,
        "罚没款（万元）": round(square_metres * rng.choice([10, 20, 30]) / 10_000, 2) if decided else None,
        "案件状态": rng.choice(STATUSES[1:]) if decided else "已立案",
        "更新时间": update_time(_moment(_clamp((decided or filed) + timedelta(days=rng.randrange(0, 10))), rng)),
    }


def _mining_case(b: _Builder, party: Any, filed: date, serial: str) -> dict[str, Any]:
    rng = b.rng
    tonnes = rng.choice([800, 2500, 12000, 45000, 100000])
    found = filed - timedelta(days=rng.randrange(3, 60))
    decided = filed + timedelta(days=rng.randrange(20, 120)) if rng.random() < 0.6 else None
    n = b.next_serial(f"zr{filed.year}{party.region}")
    return {
        "业务编号": f"KCWF{party.region}{filed.year}{n:05d}{serial}",
        "案件编号": f"{ABBREVIATION[party.region]}自然资规罚〔{filed.year}〕{n}号",
        "违法类型": rng.choice(MINING_TYPES),
        **_party_fields(party, rng),
        "矿种": rng.choice(MINERALS),
        "非法开采量（吨）": tonnes,
        "资源损失（万元）": round(tonnes * rng.choice([5, 7, 12]) / 10_000, 2),
        "违法所得（万元）": round(tonnes * rng.choice([3, 6]) / 10_000, 2) if rng.random() < 0.5 else None,
        "破坏面积（亩）": rng.choice([None, 1.5, 4, 9, 22.5]),
        "开采地点": _place(party.region, rng),
        "行政区划代码": party.region,
        "发现日期": f"{found:%Y%m%d}",
        "立案日期": filed.isoformat(),
        "处罚决定日期": decided.isoformat() if decided else None,
        "罚没款（万元）": round(tonnes * 2 / 10_000, 2) if decided else None,
        "案件状态": rng.choice(STATUSES[1:]) if decided else "已立案",
        "更新时间": update_time(_moment(_clamp((decided or filed) + timedelta(days=rng.randrange(0, 10))), rng)),
    }


def _acceptance(b: _Builder, case: dict[str, Any], serial: str) -> dict[str, Any]:
    rng = b.rng
    filed = date.fromisoformat(case["立案日期"])
    accepted = _clamp(filed + timedelta(days=rng.randrange(120, 500)))
    area = case.get("破坏面积（亩）") or round((case.get("占地面积（平方米）") or 2000) * 0.0015, 2)
    n = b.next_serial(f"ys{accepted.year}{case['行政区划代码']}")
    region = case["行政区划代码"]
    return {
        "业务编号": f"XFYS{region}{accepted.year}{n:05d}{serial}",
        "验收编号": f"{ABBREVIATION[region]}自然资规验〔{accepted.year}〕{n}号",
        "关联案件编号": case["案件编号"],
        "修复类型": "矿山地质环境治理" if case["业务编号"].startswith("KCWF") else rng.choice(RESTORATION_TYPES),
        "修复面积（亩）": area,
        "验收结论": rng.choice(RESULTS),
        "验收日期": accepted.isoformat(),
        "验收单位": f"衢州市自然资源和规划局{DISTRICTS[region][0]}分局",
        "修复费用（万元）": rng.choice([None, 8.6, 35.2, 120]),
        "修复地点": case.get("坐落") or case.get("开采地点"),
        "行政区划代码": region,
        "验收意见": rng.choice(
            ["土地平整到位，植被覆盖率达标", "复垦耕地质量达到原地类标准", "仍有裸露边坡，限期整改"]
        ),
        "更新时间": update_time(_moment(_clamp(accepted + timedelta(days=rng.randrange(0, 5))), rng)),
    }


def build(b: _Builder) -> dict[str, list[dict[str, Any]]]:
    """The bureau's records for ``b`` (its seed and scale)."""
    rng = b.rng
    subjects = b.case_parties(lambda c: any("自然资源" in r["agency"] for r in c["recommendations"]))
    land: list[dict[str, Any]] = []
    mining: list[dict[str, Any]] = []
    for case, party in subjects:
        filed = _clamp(date.fromisoformat(case["opened_on"]) - timedelta(days=rng.randrange(20, 150)))
        target = mining if "矿" in case["title"] else land
        maker = _mining_case if target is mining else _land_case
        target.append(maker(b, party, filed, ""))
    for i in range(40 * b.scale):
        party = b.extra_person() if rng.random() < 0.4 else b.extra_company()
        land.append(_land_case(b, party, _rand_day(rng), ""))
        if i % 3 == 0:
            miner = b.extra_person() if rng.random() < 0.5 else b.extra_company()
            mining.append(_mining_case(b, miner, _rand_day(rng), ""))
    acceptances = [_acceptance(b, case, "") for case in land + mining if rng.random() < 0.45]
    return {"land_cases": land, "mining_cases": mining, "restoration_acceptances": acceptances}


def new_record(stream: str, n: int, seed: int, moment: datetime) -> dict[str, Any]:
    """A record the bureau enters while a client is paging (``moving_records``): deterministic in ``n``."""
    b = _Builder(seed * 1000 + n, 1)
    party = b.extra_person() if n % 2 else b.extra_company()
    day = moment.date()
    if stream == "mining_cases":
        record = _mining_case(b, party, day, f"N{n}")
    elif stream == "restoration_acceptances":
        record = _acceptance(b, _land_case(b, party, day - timedelta(days=200), ""), f"N{n}")
    else:
        record = _land_case(b, party, day, f"N{n}")
    record["更新时间"] = update_time(moment)
    return record
