"""What an integration engineer writes: a connector and its streams, as declarations.

An agency connector is a short file of these (see ``connectors/agencies/``): where the
system is, how it authenticates and pages, which record kind each stream carries and
how agency fields map onto the shared contract. Everything procedural — HTTP,
retries, landing, signature checks, validation, loading, state — is done once by the
SDK's runner and the hub's loader, so no connector can get it subtly wrong.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.sdk.auth import AuthDeclaration, NoAuth
from connectors.sdk.body_status import BodyStatus
from connectors.sdk.canonical import raw_payload_hash
from connectors.sdk.completeness import Total
from connectors.sdk.formats import Format, dig
from connectors.sdk.http import RetryPolicy
from connectors.sdk.pagination import Paginator
from connectors.sdk.rate_limit import RateLimit
from connectors.sdk.records import Incoming, Reason, RecordRejected
from connectors.sdk.signatures import AgencyKeys, Ed25519Signed
from connectors.sdk.watermark import Watermark
from schemas.errors import InvalidValue

#: A mapping value: a source field (dotted path into the agency record) or a function of the record.
Source = str | Callable[[dict[str, Any]], Any]


def canonical_hash(value: Any) -> str:
    """SHA-256 of canonical JSON — the raw payload hash the envelope carries."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Stream:
    """One kind of record from one endpoint.

    ``primary_key`` names the agency's id field(s) (→ ``source_record_id``);
    ``cursor_field`` the field incremental pulls resume from (ISO date/time text, compared
    as text); ``since_param``/``until_param`` the query parameters that carry the window.
    Map either with ``mapping`` (contract field → agency field or function) or with a
    ``parse`` function returning the contract fields. ``signed`` declares Ed25519-signed
    records. ``encoding`` is the charset to try when the body is not UTF-8.

    ``watermark`` (:class:`~connectors.sdk.watermark.Watermark`) declares the incremental
    cursor with its request parameter, time format and source time zone — it takes the place
    of ``cursor_field``/``since_param``/``until_param``. ``total``
    (:class:`~connectors.sdk.completeness.Total`) says where the agency reports how many
    records match, so the runner can prove the pull complete. ``body_status``
    (:class:`~connectors.sdk.body_status.BodyStatus`) overrides the connector's.
    """

    name: str
    kind: str
    path: str
    primary_key: str | tuple[str, ...]
    paginator: Paginator
    cursor_field: str | None = None
    format: Format = "json"
    records_path: str | None = None
    mapping: Mapping[str, Source] | None = None
    parse: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    since_param: str | None = None
    until_param: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    signed: Ed25519Signed | None = None
    encoding: str | None = None
    schema_version: str | None = None  # the contract version the mapping targets; default: current
    title: str = ""
    watermark: Watermark | None = None
    total: Total | None = None
    body_status: BodyStatus | None = None

    def __post_init__(self) -> None:
        if self.watermark is not None and self.cursor_field is None:
            object.__setattr__(self, "cursor_field", self.watermark.field)

    def source_id_of(self, record: dict[str, Any]) -> str | None:
        keys = (self.primary_key,) if isinstance(self.primary_key, str) else self.primary_key
        if len(keys) == 1 and "." not in keys[0] and record.__class__ is dict:  # hot path: one top-level id field
            value = record.get(keys[0])
            return None if value is None or value == "" else str(value).strip()
        parts = [dig(record, k) for k in keys]
        if any(p in (None, "") for p in parts):
            return None
        return "|".join(str(p).strip() for p in parts)

    def map_record(self, record: dict[str, Any]) -> dict[str, Any]:
        """Agency record → contract fields; a mapping function's InvalidValue becomes a reason."""
        if self.parse is not None:
            try:
                return self.parse(record)
            except InvalidValue as exc:
                raise RecordRejected(Reason("", exc.code, exc.zh, exc.en)) from None
        out: dict[str, Any] = {}
        for target, simple, source in self._plan():
            try:
                value = record.get(source) if simple else source(record) if callable(source) else dig(record, source)
            except InvalidValue as exc:
                raise RecordRejected(Reason(target, exc.code, exc.zh, exc.en)) from None
            except (KeyError, TypeError, ValueError, AttributeError):
                raise RecordRejected(
                    Reason(
                        target,
                        "mapping.error",
                        "字段映射失败（源字段缺失或格式不符）",
                        "field mapping failed (source field missing or malformed)",
                    )
                ) from None
            if value is not None and value != "":
                out[target] = value
        return out

    def _plan(self) -> tuple[tuple[str, bool, Source], ...]:
        """The mapping as (target, is a plain top-level key, source) — computed once (hot path)."""
        plan = self.__dict__.get("_mapping_plan")
        if plan is None:
            plan = tuple((t, isinstance(src, str) and "." not in src, src) for t, src in (self.mapping or {}).items())
            object.__setattr__(self, "_mapping_plan", plan)
        return plan

    def _mapper(self) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """:meth:`map_record` for a whole page: the mapping compiled once into straight-line code.

        The same lookups in the same order, the same rule for empty values; anything that goes
        wrong (a source function's :class:`InvalidValue`, a missing or malformed source field)
        sends the record through :meth:`map_record` again, which names the field and the reason
        exactly as before. Streams with a ``parse`` function use it as it is.
        """
        mapper = self.__dict__.get("_compiled_mapper")
        if mapper is None:
            mapper = _compile_mapping(self._plan(), self.map_record) if self.parse is None else self.map_record
            object.__setattr__(self, "_compiled_mapper", mapper)
        return mapper

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the compiled mapper (generated code; rebuilt on first use after unpickling)."""
        return {k: v for k, v in self.__dict__.items() if k != "_compiled_mapper"}

    def prepare_many(
        self,
        raws: list[dict[str, Any]],
        keys: AgencyKeys | None,
        fetched_at: datetime,
        landing_pk: int | None = None,
        *,
        plain: bool = False,
    ) -> list[Incoming]:
        """``[self.prepare(raw, keys, fetched_at, landing_pk) for raw in raws]``, the common case inlined.

        Unsigned streams with one top-level id field and a top-level cursor field (every JSON
        stream but the signed ones) take the loop below — the same source id, cursor, mapping
        and reasons as :meth:`prepare`, without its per-record dispatch; anything else, and any
        record that is not a plain dict, goes through :meth:`prepare`. ``plain``: the parser
        vouches that the records are plain JSON data (``ParsedBody.plain``), so each record's
        raw payload hash is taken here without the per-value check (the loader reuses it).
        """
        pk, cursor_field = self.primary_key, self.cursor_field
        if (
            self.signed is not None
            or not isinstance(pk, str)
            or "." in pk
            or (cursor_field is not None and "." in cursor_field)
        ):
            return [self.prepare(raw, keys, fetched_at, landing_pk) for raw in raws]
        mapper = self._mapper()
        watermark = self.watermark
        out: list[Incoming] = []
        append = out.append
        for raw in raws:
            if raw.__class__ is not dict:
                append(self.prepare(raw, keys, fetched_at, landing_pk))
                continue
            value = raw.get(pk)
            source_id = None if value is None or value == "" else str(value).strip()
            cursor = None
            if cursor_field:
                value = raw.get(cursor_field)
                if watermark is not None:
                    cursor = watermark.cursor_of(value)
                else:
                    cursor = str(value) if value is not None and value != "" else None
            if source_id is None:
                reason = Reason(pk, "source_id.missing", "记录缺少来源编号", "record has no source id")
                append(Incoming(raw, None, None, fetched_at, cursor, None, landing_pk, [reason]))
                continue
            try:
                mapped = mapper(raw)
            except RecordRejected as exc:
                append(Incoming(raw, source_id, None, fetched_at, cursor, None, landing_pk, exc.reasons))
                continue
            append(Incoming(raw, source_id, mapped, fetched_at, cursor, None, landing_pk))
        if plain:
            for item in out:
                item.raw_hash = raw_payload_hash(item.raw, plain=True)
        return out

    def prepare(
        self, raw: dict[str, Any], keys: AgencyKeys | None, fetched_at: datetime, landing_pk: int | None = None
    ) -> Incoming:
        """Signature check → source id → mapping. Never raises for a bad record: reasons say why."""
        record, signature = raw, None
        try:
            if self.signed is not None:
                if keys is None:
                    raise RecordRejected(
                        Reason("signature", "signature.invalid", "未加载单位公钥", "agency keys not loaded")
                    )
                record, signature = self.signed.open(raw, keys, fetched_at)
                record = {**record, **{k: v for k, v in raw.items() if k.startswith("_")}}
        except RecordRejected as exc:
            pk = self.primary_key if isinstance(self.primary_key, str) else None
            sid = str(raw.get(pk) or raw.get("id") or "") or None if pk else None
            cursor = _cursor(raw, self.cursor_field, self.watermark)
            return Incoming(raw, sid, None, fetched_at, cursor, None, landing_pk, exc.reasons)
        source_id = self.source_id_of(record)
        cursor = _cursor(record, self.cursor_field, self.watermark)
        if source_id is None:
            reason = Reason(str(self.primary_key), "source_id.missing", "记录缺少来源编号", "record has no source id")
            return Incoming(raw, None, None, fetched_at, cursor, signature, landing_pk, [reason])
        try:
            mapped = self.map_record(record)
        except RecordRejected as exc:
            return Incoming(raw, source_id, None, fetched_at, cursor, signature, landing_pk, exc.reasons)
        return Incoming(raw, source_id, mapped, fetched_at, cursor, signature, landing_pk)


_MAPPING_FAILURES = (InvalidValue, KeyError, TypeError, ValueError, AttributeError)


def _compile_mapping(
    plan: tuple[tuple[str, bool, Source], ...], slow: Callable[[dict[str, Any]], dict[str, Any]]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Straight-line code for a mapping plan (see :meth:`Stream._mapper`); ``slow`` decides on any failure."""
    if not all(type(target) is str for target, _, _ in plan):
        return slow
    env: dict[str, Any] = {"_dig": dig, "_slow": slow, "_failures": _MAPPING_FAILURES}
    body = ["def _map(record):", "    try:", "        out = {}"]
    for n, (target, simple, source) in enumerate(plan):
        if simple:
            assert isinstance(source, str)
            expr = f"record.get({source!r})"
        elif callable(source):
            env[f"_f{n}"] = source
            expr = f"_f{n}(record)"
        else:
            env[f"_p{n}"] = source
            expr = f"_dig(record, _p{n})"
        body += [f"        v = {expr}", "        if v is not None and v != '':", f"            out[{target!r}] = v"]
    body += ["        return out", "    except _failures:", "        return _slow(record)"]
    exec("\n".join(body), env)  # generated from the connector's own declaration (names via repr)
    return env["_map"]  # type: ignore[no-any-return]


def _cursor(record: dict[str, Any], cursor_field: str | None, watermark: Watermark | None = None) -> str | None:
    if not cursor_field:
        return None
    value = (
        record.get(cursor_field) if "." not in cursor_field and record.__class__ is dict else dig(record, cursor_field)
    )
    if watermark is not None:
        return watermark.cursor_of(value)
    return str(value) if value is not None and value != "" else None


@dataclass(frozen=True)
class Connector:
    """An agency system: identity, location, authentication, rate limit and streams.

    ``name`` is the configuration key (``PILHUB_CONN_<NAME>_URL`` …) and the DAG id part;
    ``agency_code`` the hub's code of the agency; ``system`` the source system recorded
    in each record's envelope. ``check_path`` is fetched by ``pilhub connectors check``.
    """

    name: str
    agency_code: str
    title: str
    system: str
    streams: tuple[Stream, ...]
    auth: AuthDeclaration = field(default_factory=NoAuth)
    rate_limit: RateLimit | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    check_path: str = "/"
    description: str = ""
    body_status: BodyStatus | None = None  # how an HTTP 200 body says "error" or "slow down" (all streams)

    def stream(self, name: str) -> Stream:
        for s in self.streams:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.streams)
        from connectors.sdk.errors import ConfigurationError

        raise ConfigurationError(
            f"连接器 {self.name} 没有数据流 {name}（可用：{known}）",
            f"connector {self.name} has no stream {name} (known: {known})",
        )
