"""Sample data shipped for the demo and the tests (Quzhou, six county-level districts)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

SAMPLES_DIR = Path(__file__).parent
SAMPLE_CASES = SAMPLES_DIR / "cases.jsonl"
SAMPLE_AGENCIES = SAMPLES_DIR / "agencies.yaml"


def load_sample_registry(factory: sessionmaker[Session], *, actor: str = "demo") -> dict[str, Any]:
    """Load the sample agency registry, then the sample case registry, into the store behind ``factory``.

    Agencies first: cases name their addressee agencies, and an agency missing from the registry
    would be auto-registered as unregistered (with a warning) instead of taking the sample's details.
    Returns ``{"agencies": …, "cases": ImportReport}`` as the importers report them.
    """
    from hub.agencies import import_agencies, load_registry_file
    from hub.registry.importer import import_cases, read_lines

    with factory() as session, session.begin():
        agencies = import_agencies(session, load_registry_file(SAMPLE_AGENCIES), actor=actor)
    return {"agencies": agencies, "cases": import_cases(read_lines(SAMPLE_CASES), factory, actor=actor)}
