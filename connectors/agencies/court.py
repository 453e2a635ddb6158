"""法院 (衢州市中级人民法院 公益诉讼数据服务): XML keyed by 案号, page numbers, OAuth2 client credentials."""

from connectors.sdk import Connector, OAuth2ClientCredentials, PageNumber, ResourceDefaults

_defaults = ResourceDefaults(  # settings every stream shares
    primary_key="ah",
    format="xml",
    records_path="records/record",
    paginator=PageNumber(size=20, size_param="size", total_pages_path="pages"),
    since_param="gxsj_start",
    cursor_field="gxsj",
)

connector = Connector(
    name="court",
    agency_code="330800-fy",
    title="衢州市中级人民法院",
    system="fy-gyss",
    auth=OAuth2ClientCredentials(token_path="/oauth/token"),
    check_path="/ws/gongyi/ping",
    streams=(
        _defaults.stream(
            "filings",
            "court.filing",
            "/ws/gongyi/lian",
            title="立案信息",
            mapping={
                "case_number": "ah",
                "court_name": "fymc",
                "procedure": "ajlx",
                "cause": "ay",
                "filed_on": "larq",
                "plaintiff": "gsr",
                "defendants": "bg",
            },
        ),
        _defaults.stream(
            "judgments",
            "court.judgment",
            "/ws/gongyi/panjue",
            title="裁判文书",
            mapping={
                "case_number": "ah",
                "court_name": "fymc",
                "decision_type": "cplx",
                "decided_on": "cprq",
                "effective_on": "sxrq",
                "outcome": "cpjg",
                "compensation_yuan": "pcje",
                "restoration_cost_yuan": "xfje",
                "appealed": lambda r: {"是": True, "否": False}.get(r.get("sfss") or ""),
            },
        ),
        _defaults.stream(
            "executions",
            "court.execution",
            "/ws/gongyi/zhixing",
            title="执行案件",
            mapping={
                "case_number": "ah",
                "court_name": "fymc",
                "basis_case_number": "yjah",
                "filed_on": "zxlarq",
                "status": "zxzt",
                "amount_due_yuan": "sqbd",
                "amount_executed_yuan": "dwje",
                "closed_on": "jarq",
            },
        ),
    ),
)
