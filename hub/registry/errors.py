"""Line-level input errors, named by line, field path and reason, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

_ZH = {
    "missing": "缺少必填字段",
    "date_from_datetime_parsing": "日期格式错误（应为 YYYY-MM-DD）",
    "date_parsing": "日期格式错误（应为 YYYY-MM-DD）",
    "date_from_datetime_inexact": "日期不应含时间",
    "date_type": "应为日期（YYYY-MM-DD）",
    "literal_error": "取值不在允许范围内",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "string_type": "应为字符串",
    "greater_than_equal": "不能为负数",
    "less_than": "数值过大，超出可存储范围",
    "less_than_equal": "数值过大，超出可存储范围",
    "finite_number": "应为有限数值",
    "decimal_max_digits": "位数过多",
    "string_pattern_mismatch": "格式无效",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "list_type": "应为数组",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是合法的 JSON",
}


@dataclass(frozen=True)
class LineError:
    """One reason a line was rejected."""

    line: int
    field: str
    reason_zh: str
    reason_en: str

    def __str__(self) -> str:
        return f"第{self.line}行 line {self.line}: {self.field}: {self.reason_zh} / {self.reason_en}"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "reason_zh": self.reason_zh, "reason_en": self.reason_en}


def field_path(loc: tuple[int | str, ...]) -> str:
    """``('recommendations', 0, 'received_on')`` → ``recommendations[0].received_on``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(line)"


def from_validation_error(line: int, exc: ValidationError) -> list[LineError]:
    errors: list[LineError] = []
    for err in exc.errors(include_url=False):
        kind = err["type"]
        message = str(err.get("msg", ""))
        if kind == "value_error":
            message = message.removeprefix("Value error, ")
            zh, _, en = message.partition(" / ")
            errors.append(LineError(line, field_path(err["loc"]), zh, en or zh))
            continue
        zh = _ZH.get(kind, "取值无效")
        if kind.startswith("date") and "value is outside expected range" in message:
            # 2018-02-30: the format is right, the day does not exist — say so rather than "wrong format".
            errors.append(
                LineError(
                    line,
                    field_path(err["loc"]),
                    "日期不存在（如 2月30日）",
                    "date does not exist (e.g. 30 February): " + message,
                )
            )
            continue
        if kind == "literal_error":
            expected = (err.get("ctx") or {}).get("expected", "")
            zh = f"{zh}：{expected}"
        errors.append(LineError(line, field_path(err["loc"]), zh, message))
    return errors
