"""Schema tests: make ``schema_factories`` importable (as tests/hostile does) and share a seeded RNG."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20180321)
