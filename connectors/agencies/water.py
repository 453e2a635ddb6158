"""水利局 (衢州市水利局): replies to recommendations and delivery receipts; JSON, page numbers, API key.

The smallest connector written as a Python module (docs/adding-a-connector.md §11) — this file is
the whole connector; shared stream settings live in one ``ResourceDefaults``.
"""

from connectors.agencies.replies import attachments
from connectors.sdk import ApiKeyHeader, Connector, PageNumber, ResourceDefaults, Total

_defaults = ResourceDefaults(  # settings every stream shares
    paginator=PageNumber(size=1000, size_param="page_size", total_pages_path="data.pages"),
    records_path="data.list",  # {"data": {"list": [...], "page": 1, "pages": 7, "total": 6412}}
    since_param="updated_from",  # incremental: ?updated_from=<cursor>
    cursor_field="updated_at",
    primary_key="id",
    total=Total(path="data.total"),  # the agency reports how many records match: the pull proves it got them all
)

connector = Connector(
    name="water",  # configuration: PILHUB_CONN_WATER_URL, PILHUB_CONN_WATER_API_KEY
    agency_code="330800-sl",
    title="衢州市水利局",
    system="sl-ywxt",
    auth=ApiKeyHeader("X-Api-Key"),
    check_path="/api/water/ping",
    streams=(
        _defaults.stream(
            "replies",
            "agency.reply",
            "/api/water/replies",
            title="检察建议回复函",
            mapping={
                "recommendation_number": "rec",
                "replying_agency": "agency",
                "reply_date": "replied",
                "posted_date": "posted",
                "measures_taken": "measures",
                "rectification_plan": "plan",
                "promised_date": "promised",
                "attachments": attachments,
            },
        ),
        _defaults.stream(
            "receipts",
            "agency.receipt",
            "/api/water/receipts",
            title="送达回证",
            mapping={
                "recommendation_number": "rec",
                "receiving_agency": "agency",
                "received_date": "received",
                "receiver": "receiver",
                "delivery_method": "method",
            },
        ),
    ),
)
