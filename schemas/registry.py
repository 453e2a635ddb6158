"""Which model validates which record kind, and which of its fields are personal data.

The store, the quarantine and ``pilhub validate`` find a model by the ``kind``
string a feed declares; nothing else should import model classes by name, so a
new kind is added here once.
"""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any

from pydantic import BaseModel

from schemas.errors import InvalidValue
from schemas.records import (
    AgencyReceipt,
    AgencyReply,
    CourtExecution,
    CourtFiling,
    CourtJudgment,
    EnvExceedance,
    EnvPenalty,
    ForestryCase,
    ForestryRestoration,
    MarketLicence,
    MarketPenalty,
    MarketSamplingFailure,
    RecordEnvelope,
)

__all__ = ["RECORD_KINDS", "get_model", "kinds_in_domain", "personal_data_fields"]

_MODELS: tuple[type[RecordEnvelope], ...] = (
    EnvPenalty,
    EnvExceedance,
    ForestryCase,
    ForestryRestoration,
    MarketPenalty,
    MarketLicence,
    MarketSamplingFailure,
    CourtFiling,
    CourtJudgment,
    CourtExecution,
    AgencyReply,
    AgencyReceipt,
)

#: kind → model class; each model has ``KIND``, ``DOMAIN``, ``SCHEMA_VERSION`` and ``TITLE_ZH``.
RECORD_KINDS: dict[str, type[RecordEnvelope]] = {model.KIND: model for model in _MODELS}


def get_model(kind: str) -> type[RecordEnvelope]:
    """The model for a kind; raise :class:`InvalidValue` (code ``kind.unknown``) if there is none."""
    try:
        return RECORD_KINDS[kind]
    except KeyError:
        raise InvalidValue(
            "kind.unknown",
            f"未知的记录类型“{kind}”",
            f"unknown record kind '{kind}' (known: {', '.join(sorted(RECORD_KINDS))})",
        ) from None


def kinds_in_domain(domain: str) -> list[str]:
    """Kinds belonging to one agency domain (environment, forestry, market, court, agency)."""
    return [kind for kind, model in RECORD_KINDS.items() if domain == model.DOMAIN]


def _is_personal(extra: Any) -> bool:
    return isinstance(extra, dict) and bool(extra.get("x-personal-data"))


def _nested_models(annotation: Any) -> list[tuple[type[BaseModel], bool]]:
    """Models inside an annotation, and whether they sit in a list (for ``[]`` in paths)."""
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, False)]
    if origin in (list, tuple, set, frozenset):
        return [(m, True) for arg in typing.get_args(annotation) for m, _ in _nested_models(arg)]
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return [found for arg in typing.get_args(annotation) for found in _nested_models(arg)]
    return []


@cache
def _personal_paths(model: type[BaseModel], prefix: str = "") -> tuple[str, ...]:
    paths: list[str] = []
    for name, info in model.model_fields.items():
        if _is_personal(info.json_schema_extra):
            paths.append(prefix + name)
        for nested, in_list in _nested_models(info.annotation):
            paths.extend(_personal_paths(nested, f"{prefix}{name}{'[]' if in_list else ''}."))
    return tuple(paths)


def personal_data_fields(kind_or_model: str | type[BaseModel]) -> tuple[str, ...]:
    """Dotted paths of fields marked ``x-personal-data`` (``[]`` marks list items), e.g. ``("party_name",)``.

    The store encrypts these; validation results and exports strip them.
    """
    model = get_model(kind_or_model) if isinstance(kind_or_model, str) else kind_or_model
    return _personal_paths(model)
