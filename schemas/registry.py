"""Which model validates which record kind, and which of its fields are personal data.

The store, the quarantine and ``pilhub validate`` find a model by the ``kind``
string a feed declares; nothing else should import model classes by name. Models are
*discovered*: every module under ``schemas/records`` is imported once and each
:class:`~schemas.records.base.RecordEnvelope` subclass that declares its own ``KIND`` is
registered. A new record kind is therefore one new file there — no list to edit, here or
in the tests (which run over :data:`RECORD_KINDS`). Two models claiming one kind, a kind
without a title or example, or a domain outside :data:`~schemas.records.base.DOMAINS` stop
the import with a message naming the module.
"""

from __future__ import annotations

import importlib
import pkgutil
import types
import typing
from functools import cache
from typing import Any

from pydantic import BaseModel

import schemas.records
from schemas.errors import InvalidValue
from schemas.records.base import DOMAINS, RecordEnvelope

__all__ = ["RECORD_KINDS", "discover_models", "get_model", "kinds_in_domain", "personal_data_fields"]


class KindDeclarationError(RuntimeError):
    """A record model is declared wrongly (a programming error: raised at import, never for data)."""


def _declares_kind(value: Any, module: str) -> bool:
    return (
        isinstance(value, type)
        and issubclass(value, RecordEnvelope)
        and value.__module__ == module
        and bool(value.__dict__.get("KIND"))
    )


def discover_models(package: types.ModuleType = schemas.records) -> dict[str, type[RecordEnvelope]]:
    """kind → model for every model declared in a module of ``package`` (recursively), sorted by kind."""
    found: dict[str, type[RecordEnvelope]] = {}
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if not _declares_kind(value, module.__name__):
                continue
            where = f"{value.__module__}.{value.__name__}"
            if value.KIND in found and found[value.KIND] is not value:
                other = found[value.KIND]
                raise KindDeclarationError(
                    f"{where}: kind {value.KIND} is already declared by {other.__module__}.{other.__name__}"
                )
            if value.DOMAIN not in DOMAINS:
                raise KindDeclarationError(f"{where}: DOMAIN {value.DOMAIN!r} is not one of {DOMAINS}")
            if not value.TITLE_ZH or not value.EXAMPLE:
                raise KindDeclarationError(f"{where}: a record kind needs TITLE_ZH and an EXAMPLE payload")
            found[value.KIND] = value
    return dict(sorted(found.items()))


#: kind → model class; each model has ``KIND``, ``DOMAIN``, ``SCHEMA_VERSION``, ``TITLE_ZH`` and ``EXAMPLE``.
RECORD_KINDS: dict[str, type[RecordEnvelope]] = discover_models()


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
