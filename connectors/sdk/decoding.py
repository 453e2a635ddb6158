"""Bytes → text for agency bodies: BOMs, UTF-8, GBK/GB18030, and charsets that lie.

Agency systems declare ``charset=utf-8`` and send GBK, export spreadsheets as GB18030
CSV with or without a BOM, and sometimes send UTF-8 with a BOM to a client that
expects GB18030. The order below is chosen so a wrong guess fails loudly instead of
producing mojibake: a BOM is authoritative; UTF-8 is tried strictly before any GB
encoding because GBK text is almost never valid UTF-8, whereas nearly any byte string
"decodes" as GB18030.
"""

from __future__ import annotations

import codecs

from connectors.sdk.errors import BodyFormatError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

#: Aliases agencies put in headers, normalised to the codec Python should use.
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "utf8": "utf-8", "x-gbk": "gb18030"}


def normalise_charset(name: str | None) -> str | None:
    """``GBK`` → ``gb18030`` (a superset, so decoding never loses a character GBK can hold)."""
    if not name:
        return None
    name = name.strip().strip('"').lower()
    return _ALIASES.get(name, name)


def decode_body(body: bytes, declared: str | None = None, fallbacks: tuple[str, ...] = ("gb18030",)) -> tuple[str, str]:
    """Decode ``body``; return ``(text, encoding actually used)``.

    Order: BOM → strict UTF-8 → the declared charset → ``fallbacks``. Raises
    :class:`BodyFormatError` when nothing decodes strictly.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            try:
                return body.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise BodyFormatError(
                    f"内容以 {codec} BOM 开头但无法按其解码", f"body starts with a {codec} BOM but does not decode"
                ) from exc
    candidates: list[str] = ["utf-8"]
    declared_norm = normalise_charset(declared)
    if declared_norm and declared_norm not in candidates:
        candidates.append(declared_norm)
    candidates += [c for c in fallbacks if c not in candidates]
    for codec in candidates:
        try:
            return body.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    raise BodyFormatError(
        f"内容无法按 {', '.join(candidates)} 解码", f"body does not decode as any of {', '.join(candidates)}"
    )


def charset_of(content_type: str | None) -> str | None:
    """The ``charset=`` parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip()
    return None
