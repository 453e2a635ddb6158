"""生态环境局 (衢州市生态环境局): JSON REST, cursor paging, API key, Ed25519-signed records."""

from connectors.agencies.replies import RECEIPT_MAPPING, REPLY_MAPPING
from connectors.sdk import ApiKeyHeader, Connector, Ed25519Signed, NextCursor, RateLimit, ResourceDefaults

_defaults = ResourceDefaults(  # settings every stream shares
    paginator=NextCursor(size=100),
    records_path="items",
    since_param="updated_since",
    cursor_field="updated_at",
    signed=Ed25519Signed(),
)

connector = Connector(
    name="environment",
    agency_code="330800-sthj",
    title="衢州市生态环境局",
    system="sthj-zfjg",
    auth=ApiKeyHeader("X-Api-Key"),
    rate_limit=RateLimit(per_second=50, burst=10),
    check_path="/api/v1/ping",
    streams=(
        _defaults.stream(
            "penalties",
            "env.penalty",
            "/api/v1/penalties",
            primary_key="record_id",
            title="行政处罚决定书",
            mapping={
                "doc_number": "wsh",
                "party_type": "dsrlx",
                "party_name": "dsr",
                "credit_code": "tyshxydm",
                "party_id_number": "sfzh",
                "violation_facts": "wfss",
                "legal_basis": "cfyj",
                "decision_date": "jdrq",
                "fine_amount_yuan": "fkje",
                "region_code": "xzqh",
            },
        ),
        _defaults.stream(
            "exceedances",
            "env.exceedance",
            "/api/v1/exceedances",
            primary_key="record_id",
            title="在线监测超标",
            mapping={
                "site": "point_name",
                "site_code": "point_code",
                "pollutant": "pollutant",
                "measured_value": "value",
                "limit_value": "limit",
                "unit": "unit",
                "measured_at": "monitor_time",
                "party_name": "company",
                "credit_code": "credit_code",
                "region_code": "region",
            },
        ),
        _defaults.stream(
            "replies",
            "agency.reply",
            "/api/v1/replies",
            primary_key="id",
            title="检察建议回复函",
            mapping=REPLY_MAPPING,
        ),
        _defaults.stream(
            "receipts",
            "agency.receipt",
            "/api/v1/receipts",
            primary_key="id",
            title="送达回证",
            mapping=RECEIPT_MAPPING,
        ),
    ),
)
