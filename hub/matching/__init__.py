"""Linking agency records to open cases: a Fellegi–Sunter engine, its data and its checks.

Public API (see docs/matching.md):

* ``LinkageEngine`` — ``prepare`` → ``train`` / ``train_from_labels`` → ``predict`` → ``LinkResult``;
* ``LinkageModel`` — settings plus trained m/u, saved and loaded as JSON;
* ``default_settings`` — the declared comparisons, blocking rules and thresholds;
* ``evaluate`` — precision, recall and review rate against labelled pairs;
* ``truth`` — the rule of what counts as a true link.
"""

from hub.matching.engine import Batch, LinkageEngine, LinkResult
from hub.matching.evaluate import Evaluation, evaluate
from hub.matching.model import LinkageModel
from hub.matching.settings import ModelSettings, Thresholds, default_settings

__all__ = [
    "Batch",
    "Evaluation",
    "LinkResult",
    "LinkageEngine",
    "LinkageModel",
    "ModelSettings",
    "Thresholds",
    "default_settings",
    "evaluate",
]
