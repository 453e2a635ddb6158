"""林业局 (衢州市林业局): one GB18030 CSV per day in an HTTP directory listing; files may be re-published."""

from connectors.sdk import Connector, DirectoryListing, Stream

connector = Connector(
    name="forestry",
    agency_code="330800-ly",
    title="衢州市林业局",
    system="ly-sjjh",
    check_path="/exports/",
    streams=(
        Stream(
            "cases",
            "forestry.case",
            "/exports/cases/",
            primary_key="案件编号",
            cursor_field="_file_modified",
            paginator=DirectoryListing("/exports/cases/", r"^lydj_\d{8}\.csv$"),
            format="csv",
            encoding="gb18030",
            title="林业行政案件",
            mapping={
                "case_number": "案件编号",
                "case_type": "案件类型",
                "party_name": "当事人",
                "credit_code": "统一社会信用代码",
                "id_number": "身份证号",
                "area_mu": "面积",
                "location": "地点",
                "region_code": "行政区划",
                "occurred_on": "发生日期",
                "filed_on": "立案日期",
            },
        ),
        Stream(
            "restorations",
            "forestry.restoration",
            "/exports/restorations/",
            primary_key=("案件编号", "检查日期"),
            cursor_field="_file_modified",
            paginator=DirectoryListing("/exports/restorations/", r"^fhjl_\d{8}\.csv$"),
            format="csv",
            encoding="gb18030",
            title="植被恢复记录",
            mapping={
                "case_number": "案件编号",
                "area_mu": "恢复面积",
                "status": "状态",
                "inspected_on": "检查日期",
                "inspector": "检查人",
                "notes": "说明",
            },
        ),
    ),
)
