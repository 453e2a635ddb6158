"""Reading and writing the batch line formats of ``pilhub link``.

Case line:   {"case_id", "domain", "region_code", "opened_on", "agency",
              "parties": [{"name", "kind", "credit_code", "id_number", "address"}],
              "court_case_numbers": [...], "doc_numbers": [...]}
Record line: {"record_id", "source", "kind", "date", "region_code", "party_name", "credit_code",
              "id_number", "address", "court_case_number", "doc_number"}
Link line:   {"record_id", "case_id", "score", "decision"}
Label line:  {"record_id", "case_id"}

Any field may be null or missing. pyarrow's multi-threaded JSON reader does the parsing (a million
lines in about a second); a file it cannot read with the declared all-string schema (a region code
written as a number, say) falls back to Python's json module, slower but forgiving.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from schemas.textfile import LineProblem, UnreadableFile, json_line, open_text

PARTY_TYPE = pa.struct(
    [
        ("name", pa.string()),
        ("kind", pa.string()),
        ("credit_code", pa.string()),
        ("id_number", pa.string()),
        ("address", pa.string()),
    ]
)
CASE_SCHEMA = pa.schema(
    [
        ("case_id", pa.string()),
        ("domain", pa.string()),
        ("region_code", pa.string()),
        ("opened_on", pa.string()),
        ("agency", pa.string()),
        ("parties", pa.list_(PARTY_TYPE)),
        ("court_case_numbers", pa.list_(pa.string())),
        ("doc_numbers", pa.list_(pa.string())),
    ]
)
RECORD_FIELDS = (
    "record_id",
    "source",
    "kind",
    "date",
    "region_code",
    "party_name",
    "credit_code",
    "id_number",
    "address",
    "court_case_number",
    "doc_number",
)
RECORD_SCHEMA = pa.schema([(f, pa.string()) for f in RECORD_FIELDS])


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _coerce_case(obj: Mapping[str, Any]) -> dict[str, Any]:
    parties = []
    for p in obj.get("parties") or []:
        p = p or {}
        parties.append({k: _as_str(p.get(k)) for k in PARTY_TYPE.names})
    return {
        "case_id": _as_str(obj.get("case_id")),
        "domain": _as_str(obj.get("domain")),
        "region_code": _as_str(obj.get("region_code")),
        "opened_on": _as_str(obj.get("opened_on")),
        "agency": _as_str(obj.get("agency")),
        "parties": parties,
        "court_case_numbers": [_as_str(x) for x in obj.get("court_case_numbers") or [] if x is not None],
        "doc_numbers": [_as_str(x) for x in obj.get("doc_numbers") or [] if x is not None],
    }


def _coerce_record(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {f: _as_str(obj.get(f)) for f in RECORD_FIELDS}


def cases_table(cases: Iterable[Mapping[str, Any]] | pa.Table | pd.DataFrame) -> pa.Table:
    """Cases (dicts, a DataFrame or an Arrow table) as an Arrow table of the declared schema."""
    if isinstance(cases, pa.Table):
        return cases
    if isinstance(cases, pd.DataFrame):
        cases = cases.to_dict(orient="records")
    return pa.Table.from_pylist([_coerce_case(c) for c in cases], schema=CASE_SCHEMA)


def records_table(records: Iterable[Mapping[str, Any]] | pa.Table | pd.DataFrame) -> pa.Table:
    """Records (dicts, a DataFrame or an Arrow table) as an Arrow table of the declared schema."""
    if isinstance(records, pa.Table):
        return records
    if isinstance(records, pd.DataFrame):
        records = records.to_dict(orient="records")
    return pa.Table.from_pylist([_coerce_record(r) for r in records], schema=RECORD_SCHEMA)


def _read_jsonl(path: Path, schema: pa.Schema) -> pa.Table | None:
    try:
        return pajson.read_json(
            path,
            read_options=pajson.ReadOptions(block_size=16 << 20),
            parse_options=pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
        )
    except (pa.ArrowException, OSError):  # malformed, hostile or unreadable: the line-by-line reader says why
        return None


class BatchInputError(ValueError):
    """An input file that cannot be read at all (missing, binary, unknown encoding); message in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


#: ``on_skip(path, line number, problem)`` — told of every line left out by the line-by-line reader.
SkipHook = Callable[[Path, int, LineProblem], None]


def _python_lines(
    path: Path, coerce: Callable[[Mapping[str, Any]], dict[str, Any]], on_skip: SkipHook | None
) -> list[dict[str, Any]]:
    """The file line by line (bounded lines, encodings, strict JSON — :mod:`schemas.textfile`), when pyarrow
    refuses it: good lines are kept, every other line is reported to ``on_skip`` and left out."""
    out: list[dict[str, Any]] = []
    try:
        for line in open_text(path):
            if line.problem is None and not (line.text or "").strip():
                continue
            record, problem = json_line(line)
            if record is not None:
                try:
                    out.append(coerce(record))
                    continue
                except (AttributeError, TypeError, ValueError):
                    problem = LineProblem("line.shape", "字段结构不符合格式", "fields do not have the expected shape")
            if on_skip is not None and problem is not None:
                on_skip(path, line.number, problem)
    except UnreadableFile as exc:
        raise BatchInputError(exc.zh, exc.en) from None
    return out


def read_cases(path: str | Path, on_skip: SkipHook | None = None) -> pa.Table:
    path = Path(path)
    table = _read_jsonl(path, CASE_SCHEMA)
    if table is not None:
        return table
    return pa.Table.from_pylist(_python_lines(path, _coerce_case, on_skip), schema=CASE_SCHEMA)


def read_records(path: str | Path, on_skip: SkipHook | None = None) -> pa.Table:
    path = Path(path)
    table = _read_jsonl(path, RECORD_SCHEMA)
    if table is not None:
        return table
    return pa.Table.from_pylist(_python_lines(path, _coerce_record, on_skip), schema=RECORD_SCHEMA)


def read_labels(path: str | Path, on_skip: SkipHook | None = None) -> pd.DataFrame:
    """Label lines as a DataFrame (record_id, case_id) of true pairs."""
    schema = pa.schema([("record_id", pa.string()), ("case_id", pa.string())])
    table = _read_jsonl(Path(path), schema)
    if table is None:
        rows = _python_lines(
            Path(path),
            lambda o: {"record_id": _as_str(o.get("record_id")), "case_id": _as_str(o.get("case_id"))},
            on_skip,
        )
        table = pa.Table.from_pylist(rows, schema=schema)
    return table.to_pandas()


def write_links(links: pd.DataFrame, path: str | Path) -> None:
    """One line per proposed link: record_id, case_id, score (rounded), decision.

    Lines are assembled column-wise by Arrow and the joined buffer written as is: pandas' JSON
    writer spent four of the forty seconds of a million-record run on this. Identifiers that JSON
    must escape (quotes, backslashes, control characters) are rare enough to take pandas' path.
    """
    out = links[["record_id", "case_id", "score", "decision"]].copy()
    out["score"] = out["score"].astype(float).round(3)
    if not len(out):
        Path(path).write_text("", encoding="utf-8")
        return

    def column(name: str) -> pa.Array:
        col = out[name]
        arr = pa.array(col if col.dtype != object else col.astype(str), from_pandas=True)
        return pc.cast(arr, pa.large_string())

    texts = [column("record_id"), column("case_id"), column("decision")]
    if any(pc.any(pc.match_substring_regex(a, r'[\x00-\x1f"\\]')).as_py() for a in texts):
        text = out.to_json(orient="records", lines=True, force_ascii=False)
        Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        return

    def lit(text: str) -> pa.Scalar:
        return pa.scalar(text, pa.large_string())

    score = pc.cast(pa.array(out["score"].to_numpy(), pa.float64()), pa.large_string())
    lines = pc.binary_join_element_wise(
        lit('{"record_id":"'),
        texts[0],
        lit('","case_id":"'),
        texts[1],
        lit('","score":'),
        score,
        lit(',"decision":"'),
        texts[2],
        lit('"}\n'),
        lit(""),
    )
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    with Path(path).open("wb") as fh:
        fh.write(memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])])


def write_jsonl(rows: Iterable[Mapping[str, Any]], path: str | Path) -> None:
    with Path(path).open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False))
            fh.write("\n")
