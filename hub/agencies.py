"""The agency registry: administrative agencies and the supervisory bodies above them.

Agencies are loaded from a YAML registry (``pilhub agencies import``); the sample for
Quzhou ships in ``hub/samples/agencies.yaml``. An agency named in a case export but
absent from the registry is created as *unregistered* (kind guessed from its name) and
reported, so the case is not lost and an operator can complete the entry.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.store.models import Agency

SAMPLE_AGENCIES = Path(__file__).with_name("samples") / "agencies.yaml"

# Name suffix → agency kind. Order matters: longer, more specific suffixes first.
_KIND_BY_SUFFIX: tuple[tuple[str, str], ...] = (
    ("生态环境局", "environment"),
    ("生态环境分局", "environment"),
    ("林业和草原局", "forestry"),
    ("林业局", "forestry"),
    ("自然资源和规划局", "natural_resources"),
    ("自然资源局", "natural_resources"),
    ("市场监督管理局", "market"),
    ("市场监管局", "market"),
    ("人民法院", "court"),
    ("水利局", "water"),
    ("住房和城乡建设局", "housing"),
    ("卫生健康委员会", "health"),
    ("农业农村局", "agriculture"),
    ("综合行政执法局", "law_enforcement"),
    ("人大常委会", "congress"),
    ("人民代表大会常务委员会", "congress"),
    ("监察委员会", "supervisory_commission"),
    ("监委", "supervisory_commission"),
    ("司法局", "government"),
    ("人民政府", "government"),
    ("检察院", "procuratorate"),
)


def guess_kind(name: str) -> str:
    for suffix, kind in _KIND_BY_SUFFIX:
        if name.endswith(suffix):
            return kind
    return "other"


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(pattern="^(email|webhook|inbox)$")
    address: str
    label: str | None = None


class AgencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    name: str
    kind: str
    region_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    superior: str | None = None  # code of the superior authority
    contacts: list[ContactIn] = Field(default_factory=list)


#: The agency registry of a province is a few hundred kilobytes.
MAX_REGISTRY_BYTES = 20_000_000


def load_registry_file(path: Path) -> list[AgencyIn]:
    """The agencies of a registry YAML file, read strictly (:func:`schemas.textfile.loads_yaml_strict`).

    Raises :class:`schemas.textfile.UnreadableFile` when the file cannot be read as a registry at all (its line
    named), :class:`RegistryEntryError` listing every entry that breaks the contract.
    """
    from pydantic import ValidationError

    from hub.registry.errors import field_path
    from schemas.textfile import UnreadableFile, loads_yaml_strict, read_text

    text, _encoding = read_text(path, max_bytes=MAX_REGISTRY_BYTES)
    data = loads_yaml_strict(text) or {}
    if not isinstance(data, dict) or not isinstance(data.get("agencies", []), list):
        raise UnreadableFile(
            "机关名录须为含 agencies 列表的映射", "the agency registry must be a mapping with an 'agencies' list"
        )
    items: list[AgencyIn] = []
    problems: list[str] = []
    for index, item in enumerate(data.get("agencies") or []):
        try:
            items.append(AgencyIn.model_validate(item))
        except ValidationError as exc:
            problems.extend(
                f"agencies[{index}].{field_path(err['loc'])}: {err['msg']}"
                for err in exc.errors(include_url=False, include_input=False)
            )
    if problems:
        raise RegistryEntryError(problems)
    return items


class RegistryEntryError(ValueError):
    """Entries of an agency registry that break the contract: ``agencies[i].field: reason`` each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def import_agencies(session: Session, items: list[AgencyIn], actor: str = "cli") -> dict[str, int]:
    """Upsert agencies by code (then resolve superiors); idempotent."""
    existing = {a.code: a for a in session.execute(select(Agency)).scalars()}
    by_name = {a.name: a for a in existing.values()}
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    for item in items:
        state = item.model_dump(exclude={"superior"})
        agency = existing.get(item.code) or by_name.get(item.name)
        if agency is None:
            agency = Agency(**state, registered=True)
            session.add(agency)
            existing[item.code] = agency
            counts["inserted"] += 1
            audit.append(
                session, actor=actor, action="agency.import", object_type="agency", object_id=item.code, after=state
            )
            continue
        before = _state(agency)
        for key, value in state.items():
            setattr(agency, key, value)
        agency.registered = True
        existing[item.code] = agency
        if _state(agency) != before:
            counts["updated"] += 1
            audit.append(
                session,
                actor=actor,
                action="agency.update",
                object_type="agency",
                object_id=item.code,
                before=before,
                after=_state(agency),
            )
        else:
            counts["unchanged"] += 1
    session.flush()
    for item in items:
        superior = existing.get(item.superior) if item.superior else None
        existing[item.code].superior_id = superior.id if superior else None
    return counts


def _state(agency: Agency) -> dict[str, Any]:
    return {
        "code": agency.code,
        "name": agency.name,
        "kind": agency.kind,
        "region_code": agency.region_code,
        "contacts": agency.contacts,
        "registered": agency.registered,
    }


def find_or_register(session: Session, name: str, region_code: str | None, cache: dict[str, Agency]) -> Agency:
    """The agency with this name, creating an unregistered entry when the registry lacks it."""
    if name in cache:
        return cache[name]
    agency = session.execute(select(Agency).where(Agency.name == name)).scalar_one_or_none()
    if agency is None:
        code = "UNREG-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
        agency = Agency(
            code=code, name=name, kind=guess_kind(name), region_code=region_code, contacts=[], registered=False
        )
        session.add(agency)
        session.flush()
        audit.append(
            session,
            actor="registry-import",
            action="agency.auto_register",
            object_type="agency",
            object_id=code,
            after={"name": name, "kind": agency.kind},
        )
    cache[name] = agency
    return agency
