"""Valid identifiers and records for the schema tests, built on the validators' own check functions."""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

from schemas.identifiers.credit_code import CREDIT_CODE_CHARSET, credit_code_check_char, org_code_check_char
from schemas.identifiers.id_number import id_number_check_digit

FETCHED_AT = datetime(2018, 12, 31, 8, 0, tzinfo=timezone(timedelta(hours=8)))


def make_credit_code(rng: random.Random, prefix: str = "91", region: str = "330824") -> str:
    body = "".join(rng.choice(CREDIT_CODE_CHARSET) for _ in range(8))
    first17 = f"{prefix}{region}{body}{org_code_check_char(body)}"
    return first17 + credit_code_check_char(first17)


def make_id_number(rng: random.Random, region: str = "330824") -> str:
    born = date(1930, 1, 1) + timedelta(days=rng.randrange(30_000))
    first17 = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_number_check_digit(first17)


def envelope(kind: str, record_id: str = "R-1", **extra: Any) -> dict[str, Any]:
    return {
        "source_agency": "zj.qz.test",
        "source_system": "测试系统",
        "source_record_id": record_id,
        "kind": kind,
        "schema_version": "1.0.0",
        "fetched_at": FETCHED_AT,
        "payload_hash": hashlib.sha256(record_id.encode()).hexdigest(),
        **extra,
    }


#: Valid payloads written for these tests (envelope fields added by :func:`good_record`); a kind
#: not listed here uses its model's own ``EXAMPLE`` (so a new kind needs no edit here).
GOOD_PAYLOADS: dict[str, dict[str, Any]] = {
    "env.penalty": {
        "doc_number": "衢环罚〔2018〕12号",
        "party_name": "衢州市某化工有限公司",
        "credit_code": "91350100M000100Y43",
        "violation_facts": "废水排放口化学需氧量超标。",
        "legal_basis": "《中华人民共和国水污染防治法》第八十三条",
        "decision_date": "2018-03-21",
        "fine_amount_yuan": "12.5万元",
        "region_code": "330824",
    },
    "env.exceedance": {
        "site": "某化工有限公司废水总排口",
        "pollutant": "COD",
        "measured_value": "128.5",
        "limit_value": "100",
        "unit": "mg/L",
        "measured_at": "2018-03-21T10:00:00+08:00",
    },
    "forestry.case": {
        "case_number": "开林罚决字〔2018〕第12号",
        "case_type": "非法占用林地",
        "party_name": "张三",
        "id_number": "11010519491231002X",
        "area_mu": "2公顷",
        "location": "开化县某乡某村林班12",
        "region_code": "330824",
        "occurred_on": "2018年3月1日",
        "filed_on": "2018-03-21",
    },
    "forestry.restoration": {
        "case_number": "开林罚决字〔2018〕第12号",
        "area_mu": "30亩",
        "status": "completed",
        "inspected_on": "2018-10-01",
    },
    "market.penalty": {
        "doc_number": "衢市监罚[2018]3号",
        "party_type": "个体工商户",
        "party_name": "柯城区某某小吃店",
        "credit_code": "91350100M000100Y43",
        "violation_facts": "经营超过保质期的食品。",
        "legal_basis": "《中华人民共和国食品安全法》第一百二十四条",
        "decision_date": "2018/5/8",
        "fine_amount_yuan": 50000,
        "region_code": "330802",
        "sector": "食品",
    },
    "market.licence": {
        "licence_number": "jy13308020012345",
        "holder": "柯城区某某小吃店",
        "credit_code": "91350100M000100Y43",
        "valid_from": "2016-06-01",
        "valid_to": "2021-05-31",
        "status": "有效",
    },
    "market.sampling_failure": {
        "sample_number": "NCP18330800123456",
        "product_name": "豆芽",
        "seller_name": "某农贸市场摊位",
        "failed_items": ["4-氯苯氧乙酸钠"],
        "sampled_on": "2018-06-12",
        "region_code": "330803",
    },
    "court.filing": {
        "case_number": "(2018)浙0824民初123号",
        "court_name": "开化县人民法院",
        "procedure": "刑事附带民事公益诉讼",
        "cause": "污染环境",
        "filed_on": "2018-04-02",
        "plaintiff": "开化县人民检察院",
        "defendants": ["李四"],
    },
    "court.judgment": {
        "case_number": "（2018）浙0824民初123号",
        "court_name": "开化县人民法院",
        "decision_type": "判决",
        "decided_on": "二〇一八年六月十二日",
        "outcome": "被告赔偿生态环境修复费用。",
        "restoration_cost_yuan": "壹拾贰万伍仟元整",
    },
    "court.execution": {
        "case_number": "（2018）浙0824执123号",
        "court_name": "开化县人民法院",
        "basis_case_number": "（2018）浙0824民初123号",
        "filed_on": "2018-08-01",
        "status": "执行完毕",
        "amount_due_yuan": "125000",
        "amount_executed_yuan": "125000",
    },
    "agency.reply": {
        "recommendation_number": "衢检行公建〔2018〕3号",
        "replying_agency": "衢州市生态环境局",
        "reply_date": "2018-05-20",
        "posted_date": "2018-05-21",
        "measures_taken": "已责令停产整治。",
        "rectification_plan": "分三期完成整改。",
        "promised_date": "2018-12-31",
        "attachments": [{"file_name": "整改照片.pdf", "sha256": "A" * 64}],
    },
    "agency.receipt": {
        "recommendation_number": "衢检行公建[2018]3号",
        "receiving_agency": "衢州市生态环境局",
        "received_date": "2018-03-22",
        "receiver": "王五",
        "delivery_method": "宣告送达",
    },
}


def good_record(kind: str, record_id: str = "R-1", **overrides: Any) -> dict[str, Any]:
    from schemas.registry import get_model

    payload = GOOD_PAYLOADS.get(kind) or get_model(kind).EXAMPLE
    return {**envelope(kind, record_id), **payload, **overrides}
