"""Hostile-input tests: make ``hostile_targets`` importable and register the ``fuzz`` marker.

The ``fuzz`` marker selects the bounded atheris run (``-m fuzz`` / ``-m "not fuzz"``);
its length is ``PILHUB_FUZZ_SECONDS`` (default 15 s).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: bounded atheris fuzzing run over every parser")
