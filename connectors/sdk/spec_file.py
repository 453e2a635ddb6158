"""A connector as a file of declarations: YAML or TOML, checked against a published JSON Schema.

An integration engineer who has read an agency's interface document should be able to
write its connector without Python: where the system is, how it signs requests, how it
pages, where its total and its status code are, which watermark it takes in which
format and time zone, which unit each number is in, and which contract field each of
its fields is. That is what this file holds (see ``connectors/agencies/*.yaml`` and
``docs/adding-a-connector.md``); this module reads it and builds the SDK's own
:class:`~connectors.sdk.declarations.Connector` and :class:`~connectors.sdk.declarations.Stream`
objects — the very ones a Python connector module builds — so both run the same code.

The shape is published as ``connectors/sdk/connector-spec.schema.json`` (JSON Schema
2020-12). It is *generated* from the SDK's declaration classes (:func:`build_json_schema`):
every field of ``Stream``, ``Connector``, the paginators, the authentication schemes and
the nested declarations (``RateLimit``, ``RetryPolicy``, watermark, totals, body status …)
is a key, with its type, and nothing else is — so the file cannot drift from the SDK (a
test regenerates it and compares). Like dlt's REST API source config and Splink's
settings schema, a misspelt key is refused on load: the error names the file, the line and
the key, says which keys are allowed there and suggests the nearest one, in Chinese and
English. Shared settings of the streams have one home, ``resource_defaults``; a stream
overrides a key by giving it (``params`` are merged key by key).

Mapping values: a source field (a plain key such as ``面积（亩）`` — full-width brackets are
ordinary characters — or a dotted path), or ``{field, unit[, part]}`` (:class:`~connectors.sdk.units.Quantity`: the number with its
declared unit), ``{field, split}`` (:class:`~connectors.sdk.mapping_sources.Split`) or
``{value}`` (:class:`~connectors.sdk.mapping_sources.Constant`). A connector that needs code is a Python module
instead; nothing here executes anything from the file.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml

import connectors.sdk as sdk
from connectors.sdk.declarations import Connector, Stream
from connectors.sdk.errors import ConfigurationError
from connectors.sdk.mapping_sources import Constant, Split
from connectors.sdk.units import AREA_UNITS, MONEY_UNITS, Quantity

__all__ = [
    "SCHEMA_PATH",
    "SPEC_SUFFIXES",
    "SpecFileError",
    "build_json_schema",
    "load_connector_file",
    "published_schema",
]

SCHEMA_PATH = Path(__file__).with_name("connector-spec.schema.json")
SCHEMA_ID = "urn:pilhub:connector-spec:1"
SPEC_SUFFIXES = (".yaml", ".yml", ".toml")
#: A connector file is a few kilobytes; anything near this is not one.
MAX_FILE_BYTES = 1_000_000
#: Declaration fields that are not written in a file: callables, and what a scheme requires of the config.
_NOT_DECLARED = {"required", "parse"}


class SpecFileError(ConfigurationError):
    """A connector file is malformed; ``file``, ``line`` and ``key`` say where."""

    def __init__(self, file: Path, line: int | None, key: str, zh: str, en: str) -> None:
        where = f"{file}:{line}" if line else str(file)
        super().__init__(f"{where}：{key + '：' if key else ''}{zh}", f"{where}: {key + ': ' if key else ''}{en}")
        self.file, self.line, self.key = file, line, key


# --- the generated JSON Schema -----------------------------------------------------------


def _snake(name: str) -> str:
    """``PageNumber`` → ``page_number``, ``OAuth2ClientCredentials`` → ``oauth2_client_credentials``."""
    name = name.replace("OAuth2", "Oauth2")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _sdk_classes(method: str) -> dict[str, type]:
    """Declaration classes exported by :mod:`connectors.sdk` that implement ``method`` (``pages``, ``build``)."""
    out: dict[str, type] = {}
    for name in sdk.__all__:
        value = getattr(sdk, name)
        if isinstance(value, type) and callable(getattr(value, method, None)):
            out[_snake(name)] = value
    return dict(sorted(out.items()))


def paginators() -> dict[str, type]:
    return _sdk_classes("pages")


def auth_schemes() -> dict[str, type]:
    return _sdk_classes("build")


def _is_dataclass_type(value: Any) -> bool:
    return isinstance(value, type) and dataclasses.is_dataclass(value)


def _type_schema(annotation: Any, defs: dict[str, Any]) -> dict[str, Any] | None:
    """JSON Schema of a field annotation; ``None`` for what a file cannot declare (callables)."""
    origin = get_origin(annotation)
    if annotation is Any:
        return {}
    if annotation is str:
        return {"type": "string"}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is float:
        return {"type": "number"}
    if annotation is type(None):
        return {"type": "null"}
    if origin is Literal:
        return {"enum": list(get_args(annotation))}
    if origin in (types.UnionType, typing.Union):
        options = [_type_schema(arg, defs) for arg in get_args(annotation)]
        usable = [o for o in options if o is not None]
        if not usable:
            return None
        return usable[0] if len(usable) == 1 else {"anyOf": usable}
    if origin in (tuple, list, frozenset, set):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        item = _type_schema(args[0], defs) if args else {}
        return None if item is None else {"type": "array", "items": item}
    if origin in (dict, Mapping) or annotation in (dict, Mapping) or origin is typing.Mapping:
        args = get_args(annotation)
        value = _type_schema(args[1], defs) if len(args) == 2 else {}
        return {"type": "object", "additionalProperties": value if value is not None else {}}
    if origin is Callable or (origin is not None and getattr(origin, "__name__", "") == "Callable"):
        return None
    if _is_dataclass_type(annotation):
        name = annotation.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            defs[name] = _object_schema(annotation, defs)
        return {"$ref": f"#/$defs/{name}"}
    if annotation is typing.Protocol or getattr(annotation, "_is_protocol", False):
        if callable(getattr(annotation, "pages", None)) or annotation.__name__ == "Paginator":
            return {"$ref": "#/$defs/paginator"}
        return {"$ref": "#/$defs/auth"}
    return None


def _object_schema(cls: type, defs: dict[str, Any], *, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    props: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        if f.name.startswith("_") or f.name in _NOT_DECLARED or f.name in skip or not f.init:
            continue
        schema = _type_schema(hints[f.name], defs)
        if schema is None:
            continue
        props[f.name] = schema
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def _typed_union(kinds: dict[str, type], defs: dict[str, Any], title: str) -> dict[str, Any]:
    options = []
    for key, cls in kinds.items():
        body = _object_schema(cls, defs) if _is_dataclass_type(cls) else {"type": "object", "properties": {}}
        body["properties"] = {"type": {"const": key}, **body["properties"]}
        body["required"] = ["type", *body.get("required", [])]
        body["additionalProperties"] = False
        options.append(body)
    return {"description": title, "oneOf": options}


def _mapping_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "contract field → source field, {field, unit[, part]}, {field, split} or {value}",
        "additionalProperties": {
            "anyOf": [
                {"type": "string", "minLength": 1},
                {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string", "minLength": 1},
                        "unit": {"enum": [*AREA_UNITS, *MONEY_UNITS]},
                        "part": {"enum": ["text", "unit", "number"]},
                    },
                    "required": ["field", "unit"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {"field": {"type": "string", "minLength": 1}, "split": {"type": "string"}},
                    "required": ["field", "split"],
                    "additionalProperties": False,
                },
                {"type": "object", "properties": {"value": {}}, "required": ["value"], "additionalProperties": False},
            ]
        },
    }


def build_json_schema() -> dict[str, Any]:
    """The connector-file JSON Schema, generated from the SDK's declaration classes."""
    defs: dict[str, Any] = {}
    defs["paginator"] = _typed_union(paginators(), defs, "how the stream pages (type: one of the SDK's paginators)")
    defs["auth"] = _typed_union(auth_schemes(), defs, "how requests authenticate (type: one of the SDK's schemes)")
    stream = _object_schema(Stream, defs)
    stream["properties"]["mapping"] = _mapping_schema()
    stream["properties"]["paginator"] = {"$ref": "#/$defs/paginator"}
    stream.pop("required", None)  # checked after resource_defaults are merged in
    defs["stream"] = stream
    defaults = json.loads(json.dumps(stream))
    for key in ("name", "kind", "path", "title"):
        defaults["properties"].pop(key, None)
    defs["resource_defaults"] = defaults
    connector = _object_schema(Connector, defs, skip=frozenset({"streams"}))
    connector["properties"]["auth"] = {"$ref": "#/$defs/auth"}
    connector["properties"]["resource_defaults"] = {"$ref": "#/$defs/resource_defaults"}
    connector["properties"]["streams"] = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/stream"}}
    connector["properties"]["name"] = {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,40}$"}
    connector["required"] = [*connector.get("required", []), "streams"]
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "pilhub 连接器声明文件 / pilhub connector declaration file",
        **connector,
    }
    document["$defs"] = {name: defs[name] for name in sorted(_referenced(document, defs))}
    return document


def _referenced(node: Any, defs: dict[str, Any], seen: set[str] | None = None) -> set[str]:
    """Names of the ``$defs`` reachable from ``node`` (unreferenced helper definitions are left out)."""
    seen = set() if seen is None else seen
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            if name not in seen:
                seen.add(name)
                _referenced(defs[name], defs, seen)
        for value in node.values():
            _referenced(value, defs, seen)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, defs, seen)
    return seen


@cache
def published_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def write_json_schema(path: Path = SCHEMA_PATH) -> Path:
    """Regenerate the published schema file (after a declaration class gained a field)."""
    path.write_text(json.dumps(build_json_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    published_schema.cache_clear()
    return path


# --- reading files, with line numbers ----------------------------------------------------


def _unreadable(file: Path, exc: Any) -> SpecFileError:
    match = re.search(r"line (\d+)", exc.en)
    return SpecFileError(file, int(match[1]) if match else None, "", exc.zh, exc.en)


def _yaml_with_lines(text: str, file: Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """The YAML document as plain data, and the line (1-based) of every key and item by path.

    Read strictly first (:func:`schemas.textfile.loads_yaml_strict`): aliases, keys given twice and
    deep nesting are refused with their line — a connector file needs none of them (shared settings
    go into ``resource_defaults``), and a key given twice would otherwise silently win.
    """
    from schemas.textfile import UnreadableFile, loads_yaml_strict

    try:
        data = loads_yaml_strict(text)
    except UnreadableFile as exc:
        raise _unreadable(file, exc) from None
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[tuple[Any, ...], int] = {}

    def walk(n: Any, path: tuple[Any, ...]) -> None:
        lines.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                walk_key = (*path, key.value)
                lines[walk_key] = key.start_mark.line + 1
                walk(value, walk_key)
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    return data, lines


def _toml_with_lines(text: str, file: Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """TOML has no positions in the standard parser: a key's line is where ``key =`` (or its table) first appears."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise SpecFileError(
            file, int(match[1]) if match else None, "", f"不是合法的 TOML：{exc}", f"not valid TOML: {exc}"
        ) from None
    source = text.splitlines()
    lines: dict[tuple[Any, ...], int] = {}

    def find(key: str, start: int) -> int | None:
        pattern = re.compile(rf"^\s*(\[+[^\]]*\b{re.escape(key)}\]+|\"?{re.escape(key)}\"?\s*=)")
        for n in range(start, len(source)):
            if pattern.search(source[n]):
                return n + 1
        return None

    def walk(value: Any, path: tuple[Any, ...], start: int) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                line = find(str(key), start) or lines.get(path)
                if line:
                    lines[(*path, key)] = line
                walk(inner, (*path, key), (line or start + 1) - 1)
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                lines[(*path, i)] = lines.get(path, start + 1)
                walk(inner, (*path, i), start)

    walk(data, (), 0)
    return data, lines


def _line(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int | None:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path)


def _dotted(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


def _check_shape(data: Any, lines: dict[tuple[Any, ...], int], file: Path) -> None:
    """Validate against the published schema; raise for the first problem, naming line and key."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(published_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return
    first = errors[0]
    _unknown_type(first, lines, file)
    error = _deepest(first)
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        key = unknown[0] if unknown else ""
        near = difflib.get_close_matches(key, allowed, n=1)
        hint_zh = f"；是否应为“{near[0]}”？" if near else ""
        hint_en = f"; did you mean '{near[0]}'?" if near else ""
        raise SpecFileError(
            file,
            _line(lines, (*path, key)),
            _dotted((*path, key)),
            f"未知的键“{key}”（此处可用：{', '.join(allowed)}）{hint_zh}",
            f"unknown key '{key}' (allowed here: {', '.join(allowed)}){hint_en}",
        )
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        key = missing[0] if missing else ""
        raise SpecFileError(
            file, _line(lines, path), _dotted((*path, key)), f"缺少必填的键“{key}”", f"required key '{key}' is missing"
        )
    raise SpecFileError(
        file,
        _line(lines, path),
        _dotted(path),
        f"取值不符合声明格式：{error.message}",
        f"invalid value: {error.message}",
    )


def _unknown_type(error: Any, lines: dict[tuple[Any, ...], int], file: Path) -> None:
    """A ``type`` that names no paginator or scheme: say so, with the known ones and the nearest."""
    for candidate in [error, *error.context]:
        options = candidate.schema.get("oneOf") if isinstance(candidate.schema, dict) else None
        instance = candidate.instance
        if not options or not isinstance(instance, dict) or "type" not in instance:
            continue
        known = [o.get("properties", {}).get("type", {}).get("const") for o in options]
        known = [k for k in known if k]
        if known and instance["type"] not in known:
            path = (*candidate.absolute_path, "type")
            near = difflib.get_close_matches(str(instance["type"]), known, n=1, cutoff=0.4)
            raise SpecFileError(
                file,
                _line(lines, path),
                _dotted(tuple(path)),
                f"未知的类型“{instance['type']}”（可用：{', '.join(known)}）"
                + (f"；是否应为“{near[0]}”？" if near else ""),
                f"unknown type '{instance['type']}' (known: {', '.join(known)})"
                + (f"; did you mean '{near[0]}'?" if near else ""),
            )


def _deepest(error: Any) -> Any:
    """For ``oneOf``/``anyOf`` failures, the most specific sub-error (the branch whose ``type`` matched)."""
    while error.context:
        typed = [
            e
            for e in error.context
            if isinstance(error.instance, dict)
            and e.schema.get("properties", {}).get("type", {}).get("const") == error.instance.get("type")
        ]
        candidates = typed or sorted(error.context, key=lambda e: -len(e.absolute_path))
        best = candidates[0]
        if best is error:
            break
        error = best
    return error


# --- building the SDK objects -------------------------------------------------------------


def _build_dataclass(cls: type, values: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        kwargs[name] = _convert(hints.get(name, Any), value)
    return cls(**kwargs)


def _convert(annotation: Any, value: Any) -> Any:
    """A plain value from the file → what the declaration field expects (tuples, nested declarations)."""
    if value is None:
        return None
    origin = get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        for arg in get_args(annotation):
            if arg is type(None):
                continue
            if _is_dataclass_type(arg) and isinstance(value, dict):
                return _build_dataclass(arg, value)
            if get_origin(arg) is tuple and isinstance(value, list):
                return _convert(arg, value)
        return tuple(value) if isinstance(value, list) else value
    if origin is tuple and isinstance(value, list):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        return tuple(_convert(args[0], v) if args else v for v in value)
    if _is_dataclass_type(annotation) and isinstance(value, dict):
        return _build_dataclass(annotation, value)
    return value


def _typed(kinds: dict[str, type], value: dict[str, Any]) -> Any:
    rest = {k: v for k, v in value.items() if k != "type"}
    return _build_dataclass(kinds[value["type"]], rest) if rest else kinds[value["type"]]()


def _mapping(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for target, source in values.items():
        if isinstance(source, str):
            out[target] = source
        elif "unit" in source:
            out[target] = Quantity(source["field"], source["unit"], source.get("part", "text"))
        elif "split" in source:
            out[target] = Split(source["field"], source["split"])
        else:
            out[target] = Constant(source["value"])
    return out


def _merged(defaults: dict[str, Any], stream: dict[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **stream}
    if isinstance(defaults.get("params"), dict) and isinstance(stream.get("params"), dict):
        merged["params"] = {**defaults["params"], **stream["params"]}
    return merged


def _stream(values: dict[str, Any], position: int, lines: dict[tuple[Any, ...], int], file: Path) -> Stream:
    missing = [k for k in ("name", "kind", "path", "primary_key", "paginator") if k not in values]
    if missing:
        raise SpecFileError(
            file,
            _line(lines, ("streams", position)),
            f"streams[{position}]",
            f"数据流缺少“{missing[0]}”（可在 resource_defaults 中统一声明）",
            f"the stream has no '{missing[0]}' (it may come from resource_defaults)",
        )
    hints = typing.get_type_hints(Stream)
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key == "paginator":
            kwargs[key] = _typed(paginators(), value)
        elif key == "mapping":
            kwargs[key] = _mapping(value)
        elif key == "primary_key":
            kwargs[key] = value if isinstance(value, str) else tuple(value)
        else:
            kwargs[key] = _convert(hints.get(key, Any), value)
    name = kwargs.pop("name")
    kind = kwargs.pop("kind")
    path = kwargs.pop("path")
    return Stream(name, kind, path, **kwargs)


def load_connector_file(path: str | Path) -> Connector:
    """Read, check and build the connector declared in ``path`` (``.yaml``/``.yml``/``.toml``).

    Raises :class:`SpecFileError` naming the file, line and key for anything malformed —
    including a record kind the hub does not know, a mapping onto a field the kind does not
    have, or a declaration the SDK refuses.
    """
    from schemas.textfile import UnreadableFile, read_text

    file = Path(path)
    try:
        text, _encoding = read_text(file, max_bytes=MAX_FILE_BYTES)
    except UnreadableFile as exc:
        raise _unreadable(file, exc) from None
    if file.suffix.lower() == ".toml":
        data, lines = _toml_with_lines(text, file)
    elif file.suffix.lower() in (".yaml", ".yml"):
        data, lines = _yaml_with_lines(text, file)
    else:
        raise SpecFileError(
            file, None, "", "连接器声明文件须为 .yaml 或 .toml", "a connector file must be .yaml or .toml"
        )
    if not isinstance(data, dict):
        raise SpecFileError(file, 1, "", "文件应为一个映射（键: 值）", "the file must hold a mapping (key: value)")
    _check_shape(data, lines, file)
    defaults = data.get("resource_defaults") or {}
    streams = []
    names: set[str] = set()
    for position, raw in enumerate(data["streams"]):
        values = _merged(defaults, raw)
        try:
            stream = _stream(values, position, lines, file)
        except (TypeError, ValueError) as exc:
            raise SpecFileError(
                file,
                _line(lines, ("streams", position)),
                f"streams[{position}]",
                f"声明无效：{exc}",
                f"invalid declaration: {exc}",
            ) from None
        if stream.name in names:
            raise SpecFileError(
                file,
                _line(lines, ("streams", position, "name")),
                f"streams[{position}].name",
                f"数据流名称“{stream.name}”重复",
                f"stream name '{stream.name}' is used twice",
            )
        names.add(stream.name)
        _check_kind(stream, position, lines, file)
        streams.append(stream)
    top = {k: v for k, v in data.items() if k not in ("streams", "resource_defaults")}
    hints = typing.get_type_hints(Connector)
    kwargs = {k: (_typed(auth_schemes(), v) if k == "auth" else _convert(hints.get(k, Any), v)) for k, v in top.items()}
    try:
        return Connector(streams=tuple(streams), **kwargs)
    except (TypeError, ValueError) as exc:
        raise SpecFileError(file, 1, "", f"声明无效：{exc}", f"invalid declaration: {exc}") from None


def _check_kind(stream: Stream, position: int, lines: dict[tuple[Any, ...], int], file: Path) -> None:
    """The kind must exist and every mapped target must be one of its fields (not an envelope field)."""
    from schemas.records.base import RecordEnvelope
    from schemas.registry import RECORD_KINDS

    model = RECORD_KINDS.get(stream.kind)
    if model is None:
        raise SpecFileError(
            file,
            _line(lines, ("streams", position, "kind")),
            f"streams[{position}].kind",
            f"未知的记录类型“{stream.kind}”",
            f"unknown record kind '{stream.kind}' (known: {', '.join(RECORD_KINDS)})",
        )
    allowed = set(model.model_fields) - set(RecordEnvelope.model_fields)
    for target in stream.mapping or {}:
        if target not in allowed:
            near = difflib.get_close_matches(target, sorted(allowed), n=1)
            raise SpecFileError(
                file,
                _line(lines, ("streams", position, "mapping", target)),
                f"streams[{position}].mapping.{target}",
                f"“{stream.kind}”没有字段“{target}”" + (f"；是否应为“{near[0]}”？" if near else ""),
                f"'{stream.kind}' has no field '{target}'" + (f"; did you mean '{near[0]}'?" if near else ""),
            )


if __name__ == "__main__":  # python -m connectors.sdk.spec_file: regenerate the published schema
    print(write_json_schema())
