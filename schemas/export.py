"""The published contract: one JSON Schema per record kind and version.

Agencies and integration engineers implement against these files, not against our
Python. Each is written to ``<kind>/<version>.schema.json`` with an ``$id`` that
names kind and version, so a published version is immutable: changing a published
version's shape incompatibly requires a version bump (guarded by
``tests/schemas/test_compat.py`` against the snapshot in ``schemas/published``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.records.base import RecordEnvelope
from schemas.registry import RECORD_KINDS, personal_data_fields

__all__ = ["JSON_SCHEMA_DIALECT", "PUBLISHED_DIR", "export_schemas", "json_schema", "schema_id"]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: The snapshot of published schemas kept in the repository.
PUBLISHED_DIR = Path(__file__).parent / "published"


def schema_id(kind: str, version: str) -> str:
    """Stable identifier of one published schema (a URN: the hub has no public schema host)."""
    return f"urn:pilhub:schema:{kind}:{version}"


def json_schema(model: type[RecordEnvelope]) -> dict[str, Any]:
    """The JSON Schema (validation mode: what a producer sends) of one record model."""
    schema = model.model_json_schema(mode="validation")
    header = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id(model.KIND, model.SCHEMA_VERSION),
        "title": f"{model.KIND} — {model.TITLE_ZH}",
        "version": model.SCHEMA_VERSION,
        "x-kind": model.KIND,
        "x-domain": model.DOMAIN,
        "x-personal-data-fields": list(personal_data_fields(model)),
    }
    schema.pop("title", None)
    return {**header, **schema}


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def export_schemas(out_dir: str | Path) -> list[Path]:
    """Write every kind's current schema and an ``index.json``; return the paths written.

    Files of other versions already in ``out_dir`` are kept (a published version is
    never withdrawn) and listed in the index.
    """
    out = Path(out_dir)
    written: list[Path] = []
    for kind, model in RECORD_KINDS.items():
        path = out / kind / f"{model.SCHEMA_VERSION}.schema.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dump(json_schema(model)), encoding="utf-8")
        written.append(path)
    index = {
        "$comment": "pilhub record contract: kind -> current version and all published versions",
        "kinds": {
            kind: {
                "current": model.SCHEMA_VERSION,
                "domain": model.DOMAIN,
                "title": model.TITLE_ZH,
                "versions": sorted(
                    (p.name.removesuffix(".schema.json") for p in (out / kind).glob("*.schema.json")),
                    key=lambda v: tuple(int(x) for x in v.split(".")),
                ),
                "$id": schema_id(kind, model.SCHEMA_VERSION),
                "path": f"{kind}/{model.SCHEMA_VERSION}.schema.json",
            }
            for kind, model in sorted(RECORD_KINDS.items())
        },
    }
    index_path = out / "index.json"
    index_path.write_text(_dump(index), encoding="utf-8")
    written.append(index_path)
    return written
