"""The published contract: current models stay compatible with the snapshot in schemas/published.

A published version is a promise to agencies. If a model changes a field's type,
removes a field, or makes an optional field required, its ``SCHEMA_VERSION`` must be
bumped (and the new version exported with ``pilhub schemas export schemas/published``).
Minor bumps must also stay compatible with older published minors of the same major.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from schemas.compat import breaking_changes
from schemas.export import PUBLISHED_DIR, export_schemas, json_schema, schema_id
from schemas.registry import RECORD_KINDS


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def _published(kind: str) -> dict[str, dict[str, object]]:
    return {
        path.name.removesuffix(".schema.json"): json.loads(path.read_text(encoding="utf-8"))
        for path in (PUBLISHED_DIR / kind).glob("*.schema.json")
    }


@pytest.mark.parametrize("kind", sorted(RECORD_KINDS))
def test_current_version_is_published(kind: str) -> None:
    version = RECORD_KINDS[kind].SCHEMA_VERSION
    assert version in _published(kind), (
        f"{kind} {version} is not in schemas/published; run `pilhub schemas export schemas/published`"
    )


@pytest.mark.parametrize("kind", sorted(RECORD_KINDS))
def test_model_is_compatible_with_its_published_version(kind: str) -> None:
    model = RECORD_KINDS[kind]
    current = json_schema(model)
    for version, published in _published(kind).items():
        if _version(version)[0] != _version(model.SCHEMA_VERSION)[0] or _version(version) > _version(
            model.SCHEMA_VERSION
        ):
            continue
        changes = breaking_changes(published, current)
        assert not changes, (
            f"{kind}: the model breaks published version {version} without a version bump "
            f"(bump SCHEMA_VERSION's major and export): {changes}"
        )


def _penalty() -> dict[str, object]:
    return json_schema(RECORD_KINDS["env.penalty"])


def test_removing_a_field_is_breaking() -> None:
    old, new = _penalty(), _penalty()
    del new["properties"]["legal_basis"]  # type: ignore[index]
    new["required"].remove("legal_basis")  # type: ignore[union-attr]
    assert breaking_changes(old, new) == ["field 'legal_basis' was removed"]


def test_retyping_a_field_is_breaking() -> None:
    old, new = _penalty(), _penalty()
    new["properties"]["decision_date"] = {"type": "integer"}  # type: ignore[index]
    assert breaking_changes(old, new) == ["field 'decision_date' changed type or constraints"]


def test_making_an_optional_field_required_is_breaking() -> None:
    old, new = _penalty(), _penalty()
    new["required"].append("credit_code")  # type: ignore[union-attr]
    assert breaking_changes(old, new) == ["field 'credit_code' became required"]


def test_adding_a_required_field_is_breaking_but_an_optional_one_is_not() -> None:
    old, new = _penalty(), _penalty()
    new["properties"]["remark"] = {"type": "string"}  # type: ignore[index]
    assert breaking_changes(old, new) == []
    new["required"].append("remark")  # type: ignore[union-attr]
    assert breaking_changes(old, new) == ["new required field 'remark'"]


def test_widening_enums_and_nullability_is_compatible_narrowing_is_not() -> None:
    old = _penalty()
    wider = copy.deepcopy(old)
    wider["properties"]["party_type"]["enum"].append("foreign_entity")  # type: ignore[index]
    assert breaking_changes(old, wider) == []
    assert breaking_changes(wider, old) == ["field 'party_type' changed type or constraints"]
    nullable = copy.deepcopy(old)
    nullable["properties"]["legal_basis"] = {"anyOf": [old["properties"]["legal_basis"], {"type": "null"}]}  # type: ignore[index]
    assert breaking_changes(old, nullable) == []
    assert breaking_changes(nullable, old) == ["field 'legal_basis' changed type or constraints"]


def test_descriptions_and_annotations_do_not_matter() -> None:
    old, new = _penalty(), _penalty()
    new["properties"]["legal_basis"]["description"] = "changed"  # type: ignore[index]
    new["properties"]["party_name"]["x-personal-data"] = False  # type: ignore[index]
    assert breaking_changes(old, new) == []


def test_nested_model_changes_are_seen() -> None:
    old = json_schema(RECORD_KINDS["agency.reply"])
    new = copy.deepcopy(old)
    del new["$defs"]["Attachment"]["properties"]["sha256"]  # type: ignore[index]
    assert breaking_changes(old, new) == ["field 'attachments' changed type or constraints"]


def test_export_writes_versioned_files_and_an_index(tmp_path: Path) -> None:
    (tmp_path / "env.penalty").mkdir()
    (tmp_path / "env.penalty" / "0.9.0.schema.json").write_text("{}", encoding="utf-8")
    written = export_schemas(tmp_path)
    assert len(written) == len(RECORD_KINDS) + 1
    schema = json.loads((tmp_path / "env.penalty" / "1.0.0.schema.json").read_text(encoding="utf-8"))
    assert schema["$id"] == schema_id("env.penalty", "1.0.0")
    assert schema["version"] == "1.0.0" and schema["title"].startswith("env.penalty")
    assert schema["x-personal-data-fields"] == ["party_name", "party_id_number"]
    index = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))
    assert index["kinds"]["env.penalty"]["versions"] == ["0.9.0", "1.0.0"]
    assert index["kinds"]["env.penalty"]["current"] == "1.0.0"
