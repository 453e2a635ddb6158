"""The matching settings as a validated file: YAML checked against a published JSON Schema, ladders from templates.

In the spirit of Splink's settings file and its ``settings_jsonschema.json``: the comparisons, their
level ladders, the blocking rules, the EM sessions and the thresholds live in
``hub/matching/settings.yaml``, not in Python. The file is checked against
``hub/matching/settings.schema.json`` — *generated* from the engine's own predicates, fields and
templates (:func:`build_json_schema`, a test keeps the published copy current) — so a misspelt key,
predicate, field or template is refused on load with the file, the line and the key, the allowed
values and the nearest one, in Chinese and English. Nothing in the file is executed.

Near-identical ladders are generated from **templates** (as Splink's comparison library does with
``LevenshteinAtThresholds`` / ``JaroWinklerAtThresholds``) instead of being written out level by
level:

* ``exact_match`` (field[, typo]): [``typo``] · ``null`` · ``exact`` · ``different`` — credit code, ID number,
  branch; ``typo`` (``credit_typo`` / ``id_typo``) adds a first level for a record identifier that fails its
  check one character from the party's valid one;
* ``cited_reference`` (field ``court`` / ``doc``): ``null`` (record or case has none) · ``cited`` · ``other``;
* ``name_at_levels`` (party_kind): ``null`` (party of another kind) · ``missing`` · ``exact_same_county`` ·
  ``exact_county_unknown`` (tf) · ``exact`` (tf) · ``sound`` · ``shape`` · [``insert_before_different``] ·
  ``different`` — the company and person name ladders;
* ``levenshtein_at_thresholds`` (field, thresholds): ``null`` · ``exact`` · ``levenshtein_le_K`` for each K ·
  ``different``;
* ``rule_gate`` (predicate): ``holds`` (0) · ``fails`` (−∞) — the truth rule's field-decidable gates.

``levels:`` overrides a generated level by its template name (its starting ``m``/``u``, ``fixed``,
``tf``, ``description``, or a new ``name``).
"""

from __future__ import annotations

import difflib
import json
import math
import re
from pathlib import Path
from typing import Any

import yaml

from hub.matching.settings import RULE_SAME_SUBJECT, ModelSettings

SETTINGS_PATH = Path(__file__).with_name("settings.yaml")
SCHEMA_PATH = Path(__file__).with_name("settings.schema.json")
FORMAT = "pilhub-matching-settings/1"
MAX_FILE_BYTES = 1_000_000

#: Fields a predicate can read: the integer-coded columns of ``frames.Prepared`` (and the reference
#: numbers ``court`` / ``doc``).
FIELDS = [
    "core", "sound", "shape", "zihao", "branch", "town", "village", "credit", "id_hash",
    "credit_typo", "id_typo", "province", "prefecture", "county", "block_prefecture", "block_county",
    "court", "doc",
]  # fmt: skip
KIND_VALUES = ["company", "person", "agency"]
TEMPLATES = ["exact_match", "cited_reference", "name_at_levels", "levenshtein_at_thresholds", "rule_gate"]
#: Symbolic fixed weights a file may write.
FIXED_SYMBOLS = {"-inf": -math.inf, "rule_same_subject": RULE_SAME_SUBJECT}


class SettingsFileError(ValueError):
    """A settings file is malformed; ``file``, ``line`` and ``key`` say where (Chinese and English)."""

    def __init__(self, file: Path, line: int | None, key: str, zh: str, en: str) -> None:
        where = f"{file}:{line}" if line else str(file)
        self.zh = f"{where}：{key + '：' if key else ''}{zh}"
        self.en = f"{where}: {key + ': ' if key else ''}{en}"
        super().__init__(f"{self.zh} / {self.en}")
        self.file, self.line, self.key = file, line, key


# --- the JSON Schema, generated from the engine's vocabulary --------------------------------------


def _predicates() -> list[str]:
    from hub.matching.comparisons import PREDICATES

    return sorted(PREDICATES)


def build_json_schema() -> dict[str, Any]:
    """The settings file's JSON Schema (2020-12): keys, predicates, fields and templates the engine knows."""
    field_ref = {"$ref": "#/$defs/field"}
    fixed = {"anyOf": [{"type": "number"}, {"enum": sorted(FIXED_SYMBOLS)}]}
    condition = {
        "type": "array",
        "minItems": 1,
        "prefixItems": [{"$ref": "#/$defs/predicate"}],
        "items": {"anyOf": [field_ref, {"type": "number"}, {"enum": KIND_VALUES}]},
    }
    level_props = {
        "name": {"type": "string", "minLength": 1},
        "when": {"type": "array", "items": condition},
        "m": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "u": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "fixed": fixed,
        "tf": field_ref,
        "description": {"type": "string"},
    }
    level = {"type": "object", "additionalProperties": False, "required": ["name", "when"], "properties": level_props}
    override = {
        "type": "object",
        "additionalProperties": False,
        "properties": {k: v for k, v in level_props.items() if k != "when"},
    }
    comparison = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "description"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "template": {"enum": TEMPLATES},
            "field": field_ref,
            "party_kind": {"enum": KIND_VALUES},
            "predicate": {"$ref": "#/$defs/predicate"},
            "thresholds": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1},
            "typo": {"enum": ["credit_typo", "id_typo"]},
            "levels": {
                "anyOf": [
                    {"type": "array", "items": {"$ref": "#/$defs/level"}, "minItems": 1},
                    {"type": "object", "additionalProperties": {"$ref": "#/$defs/override"}},
                ]
            },
            "insert_before_different": {"type": "array", "items": {"$ref": "#/$defs/level"}},
            "u_within": field_ref,
            "u_exclude_when": {"type": "array", "items": condition},
        },
    }
    blocking = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "on": {"type": "array", "items": field_ref},
            "cites": {"enum": ["court", "doc"]},
            "deletions": field_ref,
            "only": {"type": "array", "items": {"enum": KIND_VALUES}},
            "abbreviation": {"type": "boolean"},
            "record_missing": field_ref,
            "max_block": {"type": "integer", "minimum": 1},
            "unless_blocked_by": {"type": "array", "items": {"type": "string"}},
            "typo": {"enum": ["credit_typo", "id_typo"]},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:pilhub:matching-settings:1",
        "title": "pilhub 关联模型设置 / pilhub matching settings",
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "comparisons", "blocking_rules"],
        "properties": {
            "format": {"const": FORMAT},
            "thresholds": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "link": {"type": "number", "minimum": 0, "maximum": 1},
                    "review": {"type": "number", "minimum": 0, "maximum": 1},
                },
            },
            "probability_two_random_records_match": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "em_iterations": {"type": "integer", "minimum": 1},
            "em_convergence": {"type": "number", "exclusiveMinimum": 0},
            "u_sample_pairs": {"type": "integer", "minimum": 1},
            "u_sample_per_party": {"type": "number", "minimum": 0},
            "u_seed": {"type": "integer"},
            "comparisons": {"type": "array", "items": {"$ref": "#/$defs/comparison"}, "minItems": 1},
            "blocking_rules": {"type": "array", "items": {"$ref": "#/$defs/blocking_rule"}, "minItems": 1},
            "training_sessions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["blocking_rule"],
                    "properties": {
                        "blocking_rule": {"type": "string"},
                        "fixed_comparisons": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
        "$defs": {
            "predicate": {"enum": _predicates()},
            "field": {"enum": FIELDS},
            "level": level,
            "override": override,
            "comparison": comparison,
            "blocking_rule": blocking,
        },
    }


def published_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


# --- reading and locating ---------------------------------------------------------------------------


def _yaml_lines(text: str) -> dict[tuple[Any, ...], int]:
    """Path → 1-based line of the node (keys map to the key's line)."""
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


def _read(path: Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Read strictly (``schemas.textfile``): size bounded, encoding detected, no aliases or repeated keys."""
    from schemas.textfile import UnreadableFile, loads_yaml_strict, read_text

    try:
        text, _encoding = read_text(path, max_bytes=MAX_FILE_BYTES)
        data = loads_yaml_strict(text)
    except (UnreadableFile, OSError) as exc:
        zh, en = (exc.zh, exc.en) if isinstance(exc, UnreadableFile) else ("无法读取文件", str(exc))
        match = re.search(r"line (\d+)", en)
        raise SettingsFileError(path, int(match[1]) if match else None, "", zh, en) from None
    return data, _yaml_lines(text)


def _explain(path: Path, error: Any, lines: dict[tuple[Any, ...], int]) -> SettingsFileError:
    """The most useful reading of a schema error: a misspelt key or value first, with its line and a suggestion."""
    location = tuple(error.absolute_path)
    dotted = ".".join(str(p) for p in location) or "(root)"
    line = lines.get(location)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        unknown = [k for k in (error.instance or {}) if k not in allowed]
        key = unknown[0] if unknown else "?"
        near = difflib.get_close_matches(key, allowed, n=1)
        return SettingsFileError(
            path,
            lines.get((*location, key), line),
            f"{dotted}.{key}" if location else key,
            f"未知的键 “{key}”{f'，是否应为 “{near[0]}”？' if near else ''}（可用：{', '.join(allowed)}）",
            f"unknown key '{key}'{f'; did you mean {near[0]!r}?' if near else ''} (allowed: {', '.join(allowed)})",
        )
    if error.validator == "enum":
        allowed = [str(v) for v in error.validator_value]
        near = difflib.get_close_matches(str(error.instance), allowed, n=1)
        return SettingsFileError(
            path,
            line,
            dotted,
            f"未知的取值 “{error.instance}”{f'，是否应为 “{near[0]}”？' if near else ''}（可用：{', '.join(allowed)}）",
            f"unknown value {error.instance!r}{f'; did you mean {near[0]!r}?' if near else ''} "
            f"(allowed: {', '.join(allowed)})",
        )
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        key = missing[0] if missing else "?"
        return SettingsFileError(
            path,
            line,
            f"{dotted}.{key}" if location else key,
            f"缺少必填的键 “{key}”",
            f"required key '{key}' is missing",
        )
    if error.validator in ("oneOf", "anyOf") and error.context:
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) > len(location) or deepest.validator in ("enum", "additionalProperties"):
            return _explain(path, deepest, lines)
    return SettingsFileError(
        path,
        line,
        dotted,
        f"取值不符合设置规范：{error.message}",
        f"value does not match the settings schema: {error.message}",
    )


# --- templates ---------------------------------------------------------------------------------------


def _lv(name: str, when: list[list[Any]], **kw: Any) -> dict[str, Any]:
    return {"name": name, "when": when, **kw}


_NULL_DESCRIPTION = "missing on either side: no evidence"


def _template_levels(comp: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(template level name, level) in ladder order; the comparison's ``levels:`` overrides apply by name."""
    template, fld = comp["template"], comp.get("field")
    if template == "exact_match":
        # an identifier failing its check one character from the party's valid one: a slip of that
        # identifier, evidence for the link (decided before "null", since the record's own value is null)
        typo = [("typo", _lv("typo", [["one_substitution", comp["typo"]]]))] if comp.get("typo") else []
        return [
            *typo,
            ("null", _lv("null", [["null", fld]], fixed=0.0, description=_NULL_DESCRIPTION)),
            ("exact", _lv("exact", [["exact", fld]])),
            ("different", _lv("different", [["else"]])),
        ]
    if template == "cited_reference":
        return [
            ("null", _lv("null", [["null_ref", fld]], fixed=0.0)),
            ("cited", _lv("cited", [["cited", fld]], m=0.6, u=1e-6)),
            ("other", _lv("other", [["else"]], m=0.4, u=0.99)),
        ]
    if template == "name_at_levels":
        kind = comp["party_kind"]
        head = [
            ("null", _lv("null", [["party_kind_not", kind]], fixed=0.0)),
            ("missing", _lv("missing", [["null", "core"]], fixed=0.0)),
            ("exact_same_county", _lv("exact_same_county", [["exact", "core"], ["exact", "block_county"]])),
            (
                "exact_county_unknown",
                _lv("exact_county_unknown", [["exact", "core"], ["null", "block_county"]], tf="core"),
            ),
            ("exact", _lv("exact", [["exact", "core"]], tf="core")),
            ("sound", _lv("sound", [["exact", "sound"]])),
            ("shape", _lv("shape", [["exact", "shape"]])),
        ]
        extra = [(lv["name"], dict(lv)) for lv in comp.get("insert_before_different", [])]
        return [*head, *extra, ("different", _lv("different", [["else"]]))]
    if template == "levenshtein_at_thresholds":
        steps = [
            (f"levenshtein_le_{k}", _lv(f"levenshtein_le_{k}", [["levenshtein_le", fld, k]]))
            for k in comp["thresholds"]
        ]
        return [
            ("null", _lv("null", [["null", fld]], fixed=0.0, description=_NULL_DESCRIPTION)),
            ("exact", _lv("exact", [["exact", fld]])),
            *steps,
            ("different", _lv("different", [["else"]])),
        ]
    if template == "rule_gate":
        return [
            ("holds", _lv("holds", [[comp["predicate"]]], fixed=0.0)),
            ("fails", _lv("fails", [["else"]], fixed=-math.inf)),
        ]
    raise AssertionError(template)  # the schema admits only TEMPLATES


_NEEDS = {
    "exact_match": "field",
    "cited_reference": "field",
    "levenshtein_at_thresholds": "field",
    "name_at_levels": "party_kind",
    "rule_gate": "predicate",
}
_LEVEL_KEYS = ("name", "when", "m", "u", "fixed", "tf", "description")


def _fixed(value: Any) -> float | None:
    if value is None:
        return None
    return FIXED_SYMBOLS[value] if isinstance(value, str) else float(value)


def _expand(path: Path, index: int, comp: dict[str, Any], lines: dict[tuple[Any, ...], int]) -> dict[str, Any]:
    """One comparison of the file as the ``Comparison`` dict of ``ModelSettings.from_dict``."""
    where = ("comparisons", index)
    template = comp.get("template")
    if template is None:
        if not isinstance(comp.get("levels"), list):
            raise SettingsFileError(
                path, lines.get(where), f"comparisons.{index}.levels",
                "没有模板的比较须列出各级别（列表）", "a comparison without a template lists its levels (a list)",
            )  # fmt: skip
        levels = [dict(lv) for lv in comp["levels"]]
    else:
        need = _NEEDS[template]
        if need not in comp or (template == "levenshtein_at_thresholds" and "thresholds" not in comp):
            key = need if need not in comp else "thresholds"
            raise SettingsFileError(
                path, lines.get(where), f"comparisons.{index}.{key}",
                f"模板 “{template}” 需要键 “{key}”", f"template '{template}' needs the key '{key}'",
            )  # fmt: skip
        overrides = comp.get("levels") or {}
        if not isinstance(overrides, dict):
            raise SettingsFileError(
                path, lines.get((*where, "levels")), f"comparisons.{index}.levels",
                "使用模板时，levels 按模板级别名覆盖（映射）", "with a template, levels override template levels by name (a mapping)",
            )  # fmt: skip
        generated = _template_levels(comp)
        names = [n for n, _ in generated]
        for key in overrides:
            if key not in names:
                near = difflib.get_close_matches(key, names, n=1)
                raise SettingsFileError(
                    path, lines.get((*where, "levels", key)), f"comparisons.{index}.levels.{key}",
                    f"模板 “{template}” 没有级别 “{key}”{f'，是否应为 “{near[0]}”？' if near else ''}（可用：{', '.join(names)}）",
                    f"template '{template}' has no level '{key}'{f'; did you mean {near[0]!r}?' if near else ''} "
                    f"(allowed: {', '.join(names)})",
                )  # fmt: skip
        levels = [{**lv, **overrides.get(n, {})} for n, lv in generated]
    out_levels = []
    for lv in levels:
        full = {k: lv.get(k) for k in _LEVEL_KEYS}
        full["fixed"] = _fixed(full["fixed"])
        full["description"] = full["description"] or ""
        if full["fixed"] is not None:
            full["m"] = full["u"] = None
        out_levels.append(full)
    u_exclude = comp.get("u_exclude_when")
    if u_exclude is None and template == "name_at_levels":
        # a name is unique within its registration area: an exact name in the same county is the same
        # subject (企业名称登记管理规定; for people, the truth rule), never a sampled non-match
        u_exclude = [["exact", "core"], ["exact", "block_county"]]
    return {
        "name": comp["name"],
        "description": comp["description"],
        "levels": out_levels,
        "u_within": comp.get("u_within"),
        "u_exclude_when": u_exclude,
    }


def _check_references(path: Path, d: dict[str, Any], lines: dict[tuple[Any, ...], int]) -> None:
    """Names that refer to other entries (sessions → rules and comparisons, rules → rules) must exist."""
    rules = [b["name"] for b in d["blocking_rules"]]
    comps = [c["name"] for c in d["comparisons"]]

    def fail(loc: tuple[Any, ...], value: str, allowed: list[str]) -> None:
        near = difflib.get_close_matches(value, allowed, n=1)
        raise SettingsFileError(
            path, lines.get(loc), ".".join(str(p) for p in loc),
            f"未知的名称 “{value}”{f'，是否应为 “{near[0]}”？' if near else ''}（可用：{', '.join(allowed)}）",
            f"unknown name {value!r}{f'; did you mean {near[0]!r}?' if near else ''} (allowed: {', '.join(allowed)})",
        )  # fmt: skip

    for i, b in enumerate(d["blocking_rules"]):
        for j, other in enumerate(b.get("unless_blocked_by") or []):
            if other not in rules:
                fail(("blocking_rules", i, "unless_blocked_by", j), other, rules)
    for i, s in enumerate(d.get("training_sessions", [])):
        if s["blocking_rule"] not in rules:
            fail(("training_sessions", i, "blocking_rule"), s["blocking_rule"], rules)
        for j, c in enumerate(s.get("fixed_comparisons", [])):
            if c not in comps:
                fail(("training_sessions", i, "fixed_comparisons", j), c, comps)
    for dup in {n for n in comps if comps.count(n) > 1}:
        fail(("comparisons",), dup, ["(each name once)"])


def settings_from_data(data: Any, path: Path, lines: dict[tuple[Any, ...], int] | None = None) -> ModelSettings:
    """Validate parsed settings against the schema, expand the templates, build ``ModelSettings``."""
    import jsonschema

    lines = lines or {}
    validator = jsonschema.Draft202012Validator(published_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        deepest = max(errors, key=lambda e: len(e.absolute_path))
        raise _explain(path, deepest, lines)
    _check_references(path, data, lines)
    d = {k: v for k, v in data.items() if k != "format"}
    d["comparisons"] = [_expand(path, i, c, lines) for i, c in enumerate(data["comparisons"])]
    d["blocking_rules"] = [dict(b) for b in data["blocking_rules"]]
    return ModelSettings.from_dict(d)


def load_settings(path: str | Path | None = None) -> ModelSettings:
    """The settings of ``path`` (default: the shipped ``settings.yaml``), validated; ``SettingsFileError`` if not."""
    path = Path(path) if path is not None else SETTINGS_PATH
    data, lines = _read(path)
    return settings_from_data(data, path, lines)


def settings_digest(settings: ModelSettings) -> str:
    """SHA-256 of the settings *structure* (comparisons, levels' conditions, blocking, sessions) — not the
    trained m/u/λ: a model trained under other settings cannot be used with these."""
    import hashlib

    d = settings.to_dict()
    for comp in d["comparisons"]:
        for lv in comp["levels"]:
            lv.pop("m", None)
            lv.pop("u", None)
            lv.pop("description", None)
        comp.pop("description", None)
    d.pop("probability_two_random_records_match", None)
    d.pop("trained_party_rows", None)
    d.pop("thresholds", None)
    blob = json.dumps(d, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
