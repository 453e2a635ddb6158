"""Simulated 林业局 file drop: one GB18030 CSV per day in an nginx JSON directory listing.

Quirks: Chinese column headers; dates as ``2018/3/21`` and ``2018年3月21日``; areas in
亩 or 公顷; days without cases have no file; now and then a file was exported as UTF-8
with a BOM; :meth:`ForestrySystem.republish` puts corrected versions of two files out
with a newer modification time (the bureau fixing an export), as happens in life.
"""

from __future__ import annotations

import csv
import email.utils
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connectors.sandbox.dataset import CST
from connectors.sandbox.server import AgencySystem, SandboxRequest, SandboxResponse, json_response

COLUMNS = {
    "cases": [
        "案件编号",
        "案件类型",
        "当事人",
        "统一社会信用代码",
        "身份证号",
        "面积",
        "地点",
        "行政区划",
        "发生日期",
        "立案日期",
    ],
    "restorations": ["案件编号", "恢复面积", "状态", "检查日期", "检查人", "说明"],
}
PREFIX = {"cases": "lydj", "restorations": "fhjl"}
#: A malformed first delivery: region code replaced by an unknown one of the same length
#: (the listing's file size must still match, or the client would take it for a truncated download).
MALFORMED_REGION = "339999"
REPUBLISHED_AT = datetime(2026, 11, 21, 9, 0, tzinfo=CST)


class ForestrySystem(AgencySystem):
    name = "forestry"
    title = "衢州市林业局 数据交换目录"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.republished = False
        self.files: dict[str, dict[str, dict[str, Any]]] = {}
        for stream, rows in self.records.items():
            by_day: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                by_day.setdefault(row["_day"], []).append(row)
            self.files[stream] = {}
            for n, (day, day_rows) in enumerate(sorted(by_day.items())):
                name = f"{PREFIX[stream]}_{day.replace('-', '')}.csv"
                modified = datetime.combine(
                    date.fromisoformat(day) + timedelta(days=1), datetime.min.time(), CST
                ).replace(hour=1)
                self.files[stream][name] = {
                    "rows": day_rows,
                    "modified": modified,
                    "bom": n % 7 == 3,
                    "corrected": None,
                }

    def republish(self) -> list[str]:
        """Publish corrected versions of two case files (areas re-measured); return their names."""
        names = sorted(self.files["cases"])
        chosen = [names[len(names) // 3], names[2 * len(names) // 3]] if len(names) > 2 else names
        with self.lock:
            for i, name in enumerate(chosen):
                entry = self.files["cases"][name]
                rows = [dict(r) for r in entry["rows"]]
                area = rows[0]["面积"]
                rows[0]["面积"] = "40.5亩" if area != "40.5亩" else "41.5亩"
                entry["corrected"] = {"rows": rows, "modified": REPUBLISHED_AT + timedelta(minutes=i)}
            self.republished = True
        return chosen

    def _current(self, stream: str, name: str) -> tuple[list[dict[str, Any]], datetime, bool]:
        entry = self.files[stream][name]
        if entry["corrected"] is not None:
            return entry["corrected"]["rows"], entry["corrected"]["modified"], entry["bom"]
        return entry["rows"], entry["modified"], entry["bom"]

    def _render(self, stream: str, rows: list[dict[str, Any]], bom: bool, deliver: bool) -> bytes:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(COLUMNS[stream])
        for row in rows:
            values = [row.get(c) or "" for c in COLUMNS[stream]]
            if deliver:
                key = f"{row['案件编号']}|{row.get('检查日期', '')}"
                if (
                    self.plan.first_delivery(f"{stream}:{key}")
                    and self.plan.corrupt("malformed_records", key)
                    and stream == "cases"
                ):
                    values[COLUMNS[stream].index("行政区划")] = MALFORMED_REGION
            writer.writerow(values)
        text = buffer.getvalue()
        return ("\ufeff" + text).encode("utf-8") if bom else text.encode("gb18030")

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        parts = request.path.strip("/").split("/")
        if parts == ["exports"]:
            return json_response(
                [{"name": f"{s}/", "type": "directory", "mtime": "Sat, 21 Nov 2026 01:00:00 GMT"} for s in self.files]
            )
        if len(parts) == 2 and parts[0] == "exports" and parts[1] in self.files:
            listing = []
            for name in sorted(self.files[parts[1]]):
                rows, modified, bom = self._current(parts[1], name)
                mtime = email.utils.format_datetime(modified.astimezone(UTC), usegmt=True)
                listing.append(
                    {
                        "name": name,
                        "type": "file",
                        "mtime": mtime,
                        "size": len(self._render(parts[1], rows, bom, deliver=False)),
                    }
                )
            return json_response(listing)
        if len(parts) == 3 and parts[0] == "exports" and parts[1] in self.files and parts[2] in self.files[parts[1]]:
            rows, _modified, bom = self._current(parts[1], parts[2])
            body = self._render(parts[1], rows, bom, deliver=True)
            # wrong_encoding fault: the header claims UTF-8 for GB18030 bytes (a misconfigured server).
            charset = "utf-8" if self.plan.wrong_encoding(request.n) and not bom else None if bom else "gb18030"
            return SandboxResponse(200, body, "text/csv", charset=charset, wrong_charset=None)
        return SandboxResponse(404, "<html><body><h1>404 Not Found</h1></body></html>", "text/html")
