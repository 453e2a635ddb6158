"""市场监管局 (衢州市市场监督管理局): REST, offset paging, HMAC-signed requests, strict rate limit."""

from connectors.agencies.replies import REPLY_MAPPING
from connectors.sdk import Connector, HmacSigned, OffsetLimit, RateLimit, ResourceDefaults

_defaults = ResourceDefaults(  # settings every stream shares
    paginator=OffsetLimit(limit=50, total_path="total"),
    records_path="rows",
    since_param="startTime",
    cursor_field="modifyTime",
)

connector = Connector(
    name="market",
    agency_code="330800-scjg",
    title="衢州市市场监督管理局",
    system="scjg-open",
    auth=HmacSigned(),
    rate_limit=RateLimit(per_second=20, burst=5),  # the bureau allows 40/s; stay well under it
    check_path="/open/api/v2/ping",
    streams=(
        _defaults.stream(
            "penalties",
            "market.penalty",
            "/open/api/v2/penalties",
            primary_key="caseId",
            title="行政处罚决定书",
            mapping={
                "doc_number": "docNo",
                "party_type": "partyType",
                "party_name": "partyName",
                "credit_code": "uscc",
                "party_id_number": "idCard",
                "violation_facts": "facts",
                "legal_basis": "basis",
                "decision_date": "decideDate",
                "fine_amount_yuan": "fine",
                "region_code": "areaCode",
                "sector": "sector",
            },
        ),
        _defaults.stream(
            "licences",
            "market.licence",
            "/open/api/v2/licences",
            primary_key="licenceNo",
            title="食品经营许可证",
            mapping={
                "licence_number": "licenceNo",
                "holder": "holder",
                "credit_code": "uscc",
                "valid_from": "validFrom",
                "valid_to": "validTo",
                "status": "state",
                "region_code": "areaCode",
            },
        ),
        _defaults.stream(
            "sampling_failures",
            "market.sampling_failure",
            "/open/api/v2/sampling-failures",
            primary_key="sampleNo",
            title="监督抽检不合格",
            mapping={
                "sample_number": "sampleNo",
                "product_name": "product",
                "batch": "batchNo",
                "producer_name": "producer",
                "producer_credit_code": "producerUscc",
                "seller_name": "seller",
                "seller_credit_code": "sellerUscc",
                "failed_items": lambda r: [item for item in (r.get("items") or "").split(";") if item],
                "measured_value": "result",
                "standard_value": "standard",
                "sampled_on": "sampleDate",
                "reported_on": "reportDate",
                "region_code": "areaCode",
            },
        ),
        _defaults.stream(
            "replies",
            "agency.reply",
            "/open/api/v2/replies",
            primary_key="id",
            title="检察建议回复函",
            mapping=REPLY_MAPPING,
        ),
    ),
)
