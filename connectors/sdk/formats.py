"""Body formats: CSV, JSON, JSON Lines and XML bodies → a document and its records.

A stream names its format and, for JSON and XML, where the records sit in the body
(``records_path``: dotted keys for JSON, an element path for XML). Everything here
works on already-decoded text; a body that does not parse raises
:class:`~connectors.sdk.errors.BodyFormatError`, which the runner treats as a
truncated or garbled delivery and fetches again.

A body that parses but breaks a limit — an integer of more than 4300 digits (Python's
int/str conversion limit), JSON or XML nested deeper than :data:`MAX_DEPTH` — raises
:class:`~connectors.sdk.errors.BodyLimitError` (XML: ``UnsafeXmlError``) instead: the
same bytes come back on every request, so it is refused, not retried. The depth limit
also keeps hostile nesting away from every recursive consumer downstream (hashing,
canonical JSON, mapping), not just from the parser.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Literal

from connectors.sdk.errors import BodyFormatError, BodyLimitError
from connectors.sdk.safe_xml import MAX_DEPTH, element_to_dict, parse_xml

_floats = threading.local()  # set when the fast parser met a float (see _decode_json)


def _float(text: str) -> float:
    """msgspec's float hook: the value ``json.loads`` gives (``float`` of the text), and a note that one was seen."""
    _floats.seen = True
    return float(text)


try:  # pragma: no branch - msgspec is in the pinned set; without it every body goes to json.loads
    import msgspec

    _FAST_DECODE: Any = msgspec.json.Decoder(float_hook=_float).decode
except ImportError:  # pragma: no cover
    _FAST_DECODE = None

Format = Literal["json", "jsonl", "csv", "xml"]


def _too_deep(where_zh: str, where_en: str) -> BodyLimitError:
    return BodyLimitError(
        f"{where_zh}JSON 嵌套过深（超过 {MAX_DEPTH} 层）", f"{where_en}JSON nested too deeply (over {MAX_DEPTH} levels)"
    )


def _check_depth(document: Any, where_zh: str, where_en: str) -> None:
    """Refuse documents nested deeper than :data:`MAX_DEPTH` — iteratively, so the check itself cannot overflow.

    The reference for :func:`_text_within_depth`, which the parser uses (tests compare the two).
    """
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            raise _too_deep(where_zh, where_en)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


#: ``bytes.translate`` table and deletions that leave a JSON text's skeleton: quotes and brackets
#: only, ``[``/``]`` written as ``{``/``}`` (the text parsed, so brackets pair up whatever their kind).
_AS_BRACES = bytes.maketrans(b"[]", b"{}")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')


def _text_within_depth(text: str, utf8: bytes | None = None) -> bool:
    """Whether an already *parsed* JSON text nests at most :data:`MAX_DEPTH` containers deep.

    The same verdict as :func:`_check_depth` on the parsed document, from the text at C speed
    (the walk over every value cost ~4 µs a record at 100,000 records, this ~0.8 µs):

    1. drop escape sequences (``\\"`` is not a quote), keep only quotes and brackets;
    2. drop the strings: a string without brackets inside is now ``""``, and removing ``""``
       left to right removes exactly those (the first quote left is always an opening one),
       so any quote that remains means brackets inside a string — then the exact, slower
       regular expression removes the strings;
    3. peel off innermost ``{}`` pairs, one nesting level per pass (``bytes.replace`` does
       not rescan what it produced), at most ``MAX_DEPTH`` passes.

    In UTF-8 quotes and brackets never occur inside a multi-byte character. ``utf8``: the text's
    UTF-8 bytes, when the caller has them (the body as received), so they are not encoded again.
    """
    data = utf8 if utf8 is not None else text.encode("utf-8", "surrogatepass")
    if b"\\" in data:
        data = _ESCAPE.sub(b"", data)
    skeleton = data.translate(_AS_BRACES, _NOT_STRUCTURE)
    bare = skeleton.replace(b'""', b"")
    if b'"' in bare:
        bare = _STRING.sub(b"", skeleton)
    for _ in range(MAX_DEPTH):
        if not bare:
            return True
        bare = bare.replace(b"{}", b"")
    return not bare


def _load_json(text: str, where_zh: str = "", where_en: str = "") -> Any:
    """``json.loads`` with content limits told apart from a truncated body (see :func:`_decode_json`)."""
    return _decode_json(text, where_zh, where_en)[0]


def _decode_json(text: str, where_zh: str = "", where_en: str = "", utf8: bytes | None = None) -> tuple[Any, bool]:
    """``json.loads`` with content limits told apart from a truncated body; and whether the document is plain.

    ``JSONDecodeError`` (a truncated or garbled transfer) propagates for the caller to
    word; a number over 4300 digits (``ValueError``) and nesting that exhausts the
    interpreter's stack (``RecursionError``) become :class:`BodyLimitError`.

    msgspec parses first (about 1.6× faster on agency pages): where it accepts a text it
    returns what ``json.loads`` returns — the same strings, ints of any size up to the
    4300-digit limit, floats from the same ``float(text)`` (its float hook), the last of
    duplicate keys at the first one's position — and it is stricter everywhere else
    (``NaN``/``Infinity``, lone surrogate escapes, ints beyond 4300 digits, deep nesting),
    so whatever it refuses goes to ``json.loads``, which then decides as it always did.
    ``tests/connectors/test_fast_paths.py`` compares the two.

    *Plain* (the second value) means: parsed by msgspec and no float in it — so the document
    holds only dicts with text keys, lists, text, ints, booleans and nulls, on which
    canonical JSON needs no per-value check (``hub.ingest.canonical.raw_payload_hash``).

    ``utf8`` is the text's UTF-8 encoding when the caller has it (a body received as UTF-8):
    msgspec then reads the bytes, and the depth check too — the text is not encoded again.
    """
    if _FAST_DECODE is not None:
        _floats.seen = False
        try:
            document = _FAST_DECODE(text if utf8 is None else utf8)
        except Exception:  # noqa: BLE001 - anything msgspec refuses, json.loads decides (and words the error)
            pass
        else:
            if not _text_within_depth(text, utf8):
                raise _too_deep(where_zh, where_en)
            return document, not _floats.seen
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise _too_deep(where_zh, where_en) from None
    except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise BodyLimitError(
            f"{where_zh}JSON 中数字过长（超过 4300 位）", f"{where_en}number too long in JSON (over 4300 digits)"
        ) from None
    if not _text_within_depth(text):
        raise _too_deep(where_zh, where_en)
    return document, False


@dataclass
class ParsedBody:
    """The parsed document (for paginators: totals, next cursors) and its records.

    ``plain``: every record is plain JSON data — dicts with text keys, lists, text, ints,
    booleans, nulls; no floats, nothing else — as a JSON body parsed by msgspec without a
    float, and every CSV body, are (``False`` where that is not known).
    """

    document: Any
    records: list[dict[str, Any]] = field(default_factory=list)
    plain: bool = False


def dig(value: Any, path: str | None) -> Any:
    """Follow a dotted path (``data.items``) into nested dicts; ``None`` if absent.

    On an XML element a step is an attribute, else a child element's text.
    """
    if not path:
        return value
    for key in path.split("."):
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, ET.Element):
            if key in value.attrib:
                value = value.attrib[key]
            else:
                child = value.find(key)
                value = None if child is None else (child if len(child) else (child.text or "").strip())
        else:
            return None
    return value


def parse_body(text: str, fmt: Format, records_path: str | None = None, *, utf8: bytes | None = None) -> ParsedBody:
    """Parse ``text`` in format ``fmt`` and pick out the list of record dicts.

    ``utf8``: exactly ``text.encode("utf-8")``, if the caller has it (a body that decoded as
    UTF-8); the JSON parser reads it instead of encoding the text again.
    """
    if fmt == "json":
        try:
            document, plain = _decode_json(text, utf8=utf8)
        except json.JSONDecodeError as exc:
            raise BodyFormatError(
                f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列，可能被截断）",
                f"malformed JSON at line {exc.lineno} column {exc.colno} (possibly truncated)",
            ) from None
        records = dig(document, records_path) if records_path else document
        if records is None:
            records = []
        if not isinstance(records, list):
            raise BodyFormatError(
                f"JSON 中 {records_path} 不是记录列表", f"{records_path or 'the body'} is not a list of records"
            )
        return ParsedBody(document, records, plain)
    if fmt == "jsonl":
        records = []
        plain = True
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record, line_plain = _decode_json(line, f"JSON Lines 第 {number} 行：", f"JSON Lines line {number}: ")
                records.append(record)
                plain = plain and line_plain
            except json.JSONDecodeError:
                raise BodyFormatError(
                    f"JSON Lines 第 {number} 行格式错误", f"malformed JSON Lines record on line {number}"
                ) from None
        return ParsedBody(None, records, plain)
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows: list[dict[str, Any]] = []
        for row in reader:
            if None in row:  # more cells than header columns: a broken or truncated line
                raise BodyFormatError(
                    f"CSV 第 {reader.line_num} 行列数多于表头",
                    f"CSV line {reader.line_num} has more cells than the header",
                )
            rows.append({(k or "").strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items()})
        return ParsedBody(reader.fieldnames, rows, True)  # text keys; text values, or None for missing cells
    if fmt == "xml":
        root = parse_xml(text)
        elements = root.findall(records_path) if records_path else list(root)
        return ParsedBody(root, [element_to_dict(e) for e in elements])
    raise BodyFormatError(f"未知格式 {fmt}", f"unknown body format {fmt}")
