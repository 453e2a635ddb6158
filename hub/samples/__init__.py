"""Sample data shipped for the demo and the tests (Quzhou, six county-level districts)."""

from pathlib import Path

SAMPLES_DIR = Path(__file__).parent
SAMPLE_CASES = SAMPLES_DIR / "cases.jsonl"
SAMPLE_AGENCIES = SAMPLES_DIR / "agencies.yaml"
