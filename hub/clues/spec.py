"""Supervision models (大数据法律监督模型) as validated files, not code.

A model is a YAML or TOML file checked against the published JSON Schema
``hub/clues/model.schema.json`` (``pilhub clues schema`` prints it) — in the spirit of
Splink's settings file: a reviewer reads what a model collides without reading Python,
and a misspelt key fails on load with the file, the key, the line and a suggestion, in
Chinese and English, never a traceback. The built-in models live in ``hub/clues/models``;
an operator adds more with ``PILHUB_CLUE_MODELS`` (a directory, or several joined by ``:``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

__all__ = [
    "BUILTIN_DIR",
    "SCHEMA_PATH",
    "Bound",
    "Condition",
    "ModelError",
    "ModelSpec",
    "Related",
    "Window",
    "load_model",
    "load_models",
    "model_schema",
]

BUILTIN_DIR = Path(__file__).with_name("models")
SCHEMA_PATH = Path(__file__).with_name("model.schema.json")
_SUFFIXES = (".yaml", ".yml", ".toml")


class ModelError(ValueError):
    """A model file that does not load: names the file, the key and the line (bilingual)."""

    def __init__(self, path: Path | str, line: int | None, key: str, zh: str, en: str) -> None:
        self.path, self.line, self.key, self.zh, self.en = str(path), line, key, zh, en
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {key}: {zh} / {en}")


@cache
def model_schema() -> dict[str, Any]:
    """The published JSON Schema of a model file."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Bound:
    """A window bound: ``days`` (or ``months``) from the as-of date, or ``days`` from the anchor's field ``of``."""

    days: int = 0
    months: int | None = None
    of: str | None = None

    def as_of_date(self, as_of: dt.date) -> dt.date:
        """The bound's date for as-of-relative bounds (months per 民法典 Art. 202: same day, else month end)."""
        if self.months is not None:
            month = as_of.month - 1 + self.months
            year, month = as_of.year + month // 12, month % 12 + 1
            last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
            return dt.date(year, month, min(as_of.day, last))
        return as_of + dt.timedelta(days=self.days)


@dataclass(frozen=True)
class Window:
    fields: tuple[str, ...]
    bounds: tuple[tuple[str, Bound], ...]  # (op, bound) with op in after | on_or_after | before | on_or_before


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Related:
    """A source read next to the anchor: ``require`` (at least N) or ``absent`` (none)."""

    label: str
    kinds: tuple[str, ...]
    key: tuple[str, ...]
    where: tuple[Condition, ...] = ()
    window: Window | None = None
    at_least: int = 1


@dataclass(frozen=True)
class ModelSpec:
    name: str
    version: int
    title_zh: str
    title_en: str
    domain: str
    legal_basis: tuple[str, ...]
    text_zh: str
    text_en: str
    key_type: str
    anchor_kinds: tuple[str, ...]
    anchor_view: str | None
    anchor_key: str
    subject_field: str
    where: tuple[Condition, ...]
    window: Window | None
    at_least: int
    distinct: tuple[str, ...]
    region_field: str
    require: tuple[Related, ...] = ()
    absent: tuple[Related, ...] = ()
    reopens_follow_up: bool = False
    path: str = ""
    digest: str = field(default="", compare=False)

    @property
    def kinds_read(self) -> tuple[str, ...]:
        """Every kind pattern the model reads (for the DAG's schedule and the docs)."""
        out = list(self.anchor_kinds)
        for rel in (*self.require, *self.absent):
            out.extend(k for k in rel.kinds if k not in out)
        return tuple(out)


# --- reading and locating -------------------------------------------------------------


def _yaml_lines(text: str) -> dict[tuple[Any, ...], int]:
    """JSON-pointer-like path → 1-based line of the node (keys map to the key's line)."""
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                sub = (*path, key_node.value)
                lines[sub] = key_node.start_mark.line + 1
                walk(value_node, sub)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return lines


def _toml_lines(text: str, data: Any) -> dict[tuple[Any, ...], int]:
    """TOML has no node marks in the standard library: the first line that assigns or opens each key."""
    lines: dict[tuple[Any, ...], int] = {}
    rows = text.splitlines()

    def find(key: str, start: int) -> int:
        pattern = re.compile(rf"^\s*(\[\[?\s*([\w.-]+\.)?{re.escape(key)}\s*\]\]?|{re.escape(key)}\s*=)")
        for number in range(start, len(rows)):
            if pattern.search(rows[number]) or re.search(rf"[{{,]\s*{re.escape(key)}\s*=", rows[number]):
                return number + 1
        return start + 1 if start < len(rows) else 0

    def walk(value: Any, path: tuple[Any, ...], start: int) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                line = find(str(key), max(start - 1, 0))
                lines[(*path, key)] = line
                walk(sub, (*path, key), line)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                lines[(*path, index)] = start
                walk(item, (*path, index), start)

    walk(data, (), 1)
    return lines


#: A model file is a few kilobytes; anything near this is not one.
MAX_FILE_BYTES = 1_000_000


def _unreadable(path: Path, exc: Any) -> ModelError:
    match = re.search(r"line (\d+)", exc.en)
    return ModelError(path, int(match[1]) if match else None, "-", exc.zh, exc.en)


def _read(path: Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """The file's data and the line of every key, read strictly: size bounded, encoding detected; in YAML,
    aliases, keys given twice and deep nesting refused with their line (``schemas.textfile``)."""
    from schemas.textfile import UnreadableFile, loads_yaml_strict, read_text

    try:
        text, _encoding = read_text(path, max_bytes=MAX_FILE_BYTES)
    except UnreadableFile as exc:
        raise _unreadable(path, exc) from None
    if path.suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            raise ModelError(
                path, int(match[1]) if match else None, "-", f"TOML 语法错误：{exc}", f"TOML syntax error: {exc}"
            ) from None
        return data, _toml_lines(text, data)
    try:
        data = loads_yaml_strict(text)
    except UnreadableFile as exc:
        raise _unreadable(path, exc) from None
    return data, _yaml_lines(text)


def _allowed_keys(error: ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    return sorted(schema.get("properties", {}))


def _explain(path: Path, error: ValidationError, lines: dict[tuple[Any, ...], int]) -> ModelError:
    """The most useful reading of a schema error: a misspelt key first, with its line and a suggestion."""
    location = tuple(error.absolute_path)
    dotted = ".".join(str(p) for p in location) or "(root)"
    if error.validator == "additionalProperties":
        instance = error.instance if isinstance(error.instance, dict) else {}
        allowed = _allowed_keys(error)
        unknown = [k for k in instance if k not in allowed]
        key = unknown[0] if unknown else "?"
        near = difflib.get_close_matches(key, allowed, n=1)
        hint_zh = f"，是否应为 “{near[0]}”？" if near else ""
        hint_en = f"; did you mean '{near[0]}'?" if near else ""
        full = f"{dotted}.{key}" if location else key
        return ModelError(
            path,
            lines.get((*location, key)),
            full,
            f"未知的键 “{key}”{hint_zh}（可用：{', '.join(allowed)}）",
            f"unknown key '{key}'{hint_en} (allowed: {', '.join(allowed)})",
        )
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        key = missing[0] if missing else "?"
        return ModelError(
            path,
            lines.get(location),
            f"{dotted}.{key}" if location else key,
            f"缺少必填的键 “{key}”",
            f"required key '{key}' is missing",
        )
    if error.validator in ("oneOf", "anyOf") and error.context:
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        if deepest.validator == "additionalProperties":
            return _explain(path, deepest, lines)
    return ModelError(
        path,
        lines.get(location),
        dotted,
        f"取值不符合模型规范：{error.message}",
        f"value does not match the model schema: {error.message}",
    )


def _conditions(items: list[dict[str, Any]]) -> tuple[Condition, ...]:
    out = []
    for item in items:
        op = next(k for k in item if k != "field")
        value = item[op]
        out.append(Condition(item["field"], op, tuple(value) if isinstance(value, list) else value))
    return tuple(out)


def _bound(value: Any) -> Bound:
    if isinstance(value, int):
        return Bound(days=value)
    if "months" in value:
        return Bound(months=int(value["months"]))
    return Bound(days=int(value["days"]), of=value["of"])


def _window(value: dict[str, Any] | None) -> Window | None:
    if not value:
        return None
    fields = value["field"]
    fields = (fields,) if isinstance(fields, str) else tuple(fields)
    ops = ("after", "on_or_after", "before", "on_or_before")
    bounds = []
    for op in ops:
        given = value.get(op)
        for item in given if isinstance(given, list) else ([] if given is None else [given]):
            bounds.append((op, _bound(item)))
    return Window(fields, tuple(bounds))


def _related(items: list[dict[str, Any]], kind: str) -> tuple[Related, ...]:
    return tuple(
        Related(
            label=item.get("label") or f"{kind}{n + 1}",
            kinds=tuple(item["kinds"]),
            key=(item["key"],) if isinstance(item["key"], str) else tuple(item["key"]),
            where=_conditions(item.get("where", [])),
            window=_window(item.get("window")),
            at_least=int(item.get("at_least", 1)),
        )
        for n, item in enumerate(items)
    )


def _check_semantics(path: Path, data: dict[str, Any], lines: dict[tuple[Any, ...], int]) -> None:
    """What the schema cannot say: the anchor's own window has no anchor row to count from."""
    for op, given in (data["anchor"].get("window") or {}).items():
        if any(isinstance(b, dict) and "of" in b for b in (given if isinstance(given, list) else [given])):
            raise ModelError(
                path,
                lines.get(("anchor", "window", op)),
                f"anchor.window.{op}",
                "锚定记录的时间窗只能相对查询基准日",
                "the anchor's window is relative to the as-of date only",
            )


def load_model(path: Path | str) -> ModelSpec:
    """Read, validate and convert one model file; raise :class:`ModelError` naming file, key and line."""
    path = Path(path)
    data, lines = _read(path)
    if not isinstance(data, dict):
        raise ModelError(path, 1, "(root)", "模型文件应为键值映射", "a model file must be a mapping")
    from jsonschema import Draft202012Validator  # here, not at import: DAG files read kinds without it

    validator = Draft202012Validator(model_schema())
    errors = sorted(
        validator.iter_errors(data), key=lambda e: (len(e.absolute_path), e.validator != "additionalProperties")
    )
    if errors:
        raise _explain(path, errors[0], lines)
    _check_semantics(path, data, lines)
    anchor = data["anchor"]

    return ModelSpec(
        name=data["name"],
        version=int(data.get("version", 1)),
        title_zh=data["title"]["zh"],
        title_en=data["title"]["en"],
        domain=data["domain"],
        legal_basis=tuple(data["legal_basis"]),
        text_zh=data["clue_text"]["zh"],
        text_en=data["clue_text"]["en"],
        key_type=data["key_type"],
        anchor_kinds=tuple(anchor.get("kinds", ())),
        anchor_view=anchor.get("view"),
        anchor_key=anchor["key"],
        subject_field=anchor.get("subject") or anchor["key"],
        where=_conditions(anchor.get("where", [])),
        window=_window(anchor.get("window")),
        at_least=int(anchor.get("at_least", 1)),
        distinct=tuple(anchor.get("distinct", ())),
        region_field=anchor.get("region_field", "region_code"),
        require=_related(data.get("require", []), "require"),
        absent=_related(data.get("absent", []), "absent"),
        reopens_follow_up=bool(data.get("reopens_follow_up", False)),
        path=str(path),
        digest=hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest(),
    )


def kinds_read(registered: list[str] | tuple[str, ...] | frozenset[str]) -> list[str]:
    """The registered kinds some model file reads (patterns resolved), without validating the files.

    For the clue-models DAG's schedule: parsing a DAG file must stay fast, so the files are only read; a file
    that does not read cleanly makes every kind count (the run then reports the file's error).
    """
    from fnmatch import fnmatchcase

    patterns: set[str] = set()
    for directory in model_dirs():
        for path in sorted(p for p in Path(directory).glob("*") if p.suffix in _SUFFIXES):
            try:
                data, _ = _read(path)
                for part in [data["anchor"], *data.get("require", []), *data.get("absent", [])]:
                    patterns.update(part.get("kinds", []))
            except (ModelError, KeyError, TypeError, AttributeError):
                return sorted(registered)
    return sorted(k for k in registered if any(fnmatchcase(k, p) for p in patterns))


def model_dirs() -> list[Path]:
    """The built-in directory, then any ``PILHUB_CLUE_MODELS`` directories (a later file of the same name wins)."""
    extra = [Path(p) for p in os.environ.get("PILHUB_CLUE_MODELS", "").split(os.pathsep) if p.strip()]
    return [BUILTIN_DIR, *extra]


def load_models(dirs: list[Path] | None = None) -> dict[str, ModelSpec]:
    """Every model file in ``dirs`` by name; two files declaring one name in one directory is an error."""
    models: dict[str, ModelSpec] = {}
    for directory in dirs if dirs is not None else model_dirs():
        seen: dict[str, Path] = {}
        for path in sorted(p for p in Path(directory).iterdir() if p.suffix in _SUFFIXES):
            spec = load_model(path)
            if spec.name in seen:
                raise ModelError(
                    path,
                    None,
                    "name",
                    f"模型名称 {spec.name} 与 {seen[spec.name].name} 重复",
                    f"model name {spec.name} is also declared in {seen[spec.name].name}",
                )
            seen[spec.name] = path
            models[spec.name] = spec
    return models
