"""Record kinds are discovered, and the natural-resources kinds hold areas in 亩 with the unit as reported.

The mining figures are those of the 衢江 shale case as the procuratorate's white paper
reports it ("非法开采杜泽镇周村殿页岩十万余吨，造成国家矿产资源损失七十余万元"); the
areas are in the units bureaus' forms use (亩, 平方米, 公顷).
"""

from __future__ import annotations

import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from schema_factories import envelope

from schemas.export import export_schemas
from schemas.registry import RECORD_KINDS, KindDeclarationError, discover_models, get_model
from schemas.validation import validate_record, validate_records

NEW_KIND = """
from typing import Any, ClassVar, Literal

from pydantic import Field

from schemas.records.base import RecordEnvelope
from schemas.records.types import AreaMu, Name


class LandSurvey(RecordEnvelope):
    KIND: ClassVar[str] = "nr.{name}"
    DOMAIN: ClassVar[str] = "natural_resources"
    TITLE_ZH: ClassVar[str] = "测试类型"
    EXAMPLE: ClassVar[dict[str, Any]] = {{"parcel": "周村殿地块", "area_mu": "2公顷"}}

    kind: Literal["nr.{name}"] = "nr.{name}"
    parcel: Name = Field(description="地块")
    area_mu: AreaMu = Field(description="面积")
"""


def _package(tmp_path: Path, name: str, modules: dict[str, str]):  # type: ignore[no-untyped-def]
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("", encoding="utf-8")
    for module, text in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(text), encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        import importlib

        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


def test_a_new_kind_is_one_file_found_exported_and_guarded(tmp_path: Path) -> None:
    package = _package(tmp_path, "kinds_pkg_one", {"survey": NEW_KIND.format(name="survey")})
    found = discover_models(package)
    assert list(found) == ["nr.survey"]
    model = found["nr.survey"]
    record = model.model_validate({**envelope("nr.survey"), **model.EXAMPLE})
    assert record.area_mu == Decimal(30)  # 2 公顷 = 30 亩


def test_two_models_claiming_one_kind_stop_the_import(tmp_path: Path) -> None:
    package = _package(
        tmp_path, "kinds_pkg_two", {"a": NEW_KIND.format(name="twice"), "b": NEW_KIND.format(name="twice")}
    )
    with pytest.raises(KindDeclarationError, match="already declared"):
        discover_models(package)


def test_the_registry_is_the_discovery_of_schemas_records() -> None:
    import schemas.records

    assert discover_models(schemas.records) == RECORD_KINDS
    assert {"nr.land_case", "nr.mining_case", "nr.restoration_acceptance"} <= set(RECORD_KINDS)


def test_export_writes_every_discovered_kind(tmp_path: Path) -> None:
    written = {p.parent.name for p in export_schemas(tmp_path) if p.name != "index.json"}
    assert written == set(RECORD_KINDS)


def _nr(kind: str, **overrides: object) -> dict[str, object]:
    return {**envelope(kind), **get_model(kind).EXAMPLE, **overrides}


def _codes(kind: str, record: dict[str, object]) -> set[str]:
    return {e.code for _, errors in validate_records(kind, [record]).invalid for e in errors}


def test_the_shale_case_as_the_white_paper_reports_it() -> None:
    case = validate_record(
        "nr.mining_case",
        _nr("nr.mining_case", extracted_tonnes="100000", resource_loss_yuan="70万元"),
    )
    assert case.extracted_tonnes == Decimal(100000) and case.resource_loss_yuan == Decimal("700000.00")
    assert case.status == "transferred" and case.case_type == "unlicensed"


@pytest.mark.parametrize(
    ("as_reported", "area_mu", "ok"),
    [
        ("8000平方米", "12", True),
        ("1234平方米", "1.85", True),  # 1.851 亩, rounded by the bureau
        ("0.8公顷", "12", True),
        ("8000平方米", "8000", False),  # the m² figure read as 亩
        ("12", "12", False),  # a bare number is not an area as reported
        ("12 英亩", "12", False),  # not a Chinese land unit
    ],
)
def test_area_in_mu_must_match_the_area_as_reported(as_reported: str, area_mu: str, ok: bool) -> None:
    record = _nr("nr.land_case", area_as_reported=as_reported, area_mu=area_mu, farmland_area_mu=None)
    codes = _codes("nr.land_case", record)
    assert (not codes) is ok, codes


def test_farmland_cannot_exceed_the_area_and_filing_follows_the_offence() -> None:
    codes = _codes("nr.land_case", _nr("nr.land_case", farmland_area_mu="13"))
    assert codes == {"nr.farmland_exceeds_area"}
    codes = _codes("nr.land_case", _nr("nr.land_case", occurred_on="2019-04-01"))
    assert codes == {"nr.filed_before_occurred"}


def test_restoration_acceptance_result_accepts_the_bureaus_wording() -> None:
    accepted = validate_record("nr.restoration_acceptance", _nr("nr.restoration_acceptance", result="验收不合格"))
    assert accepted.result == "failed" and accepted.area_mu == Decimal(9)


def test_kinds_read_from_source_match_the_discovered_models() -> None:
    """The DAG files list kinds without importing the models; that list must be exactly what discovery finds."""
    from schemas.kinds_declared import declared_kinds
    from schemas.registry import RECORD_KINDS

    assert declared_kinds() == sorted(RECORD_KINDS)
    assert "nr.land_case" in declared_kinds()
