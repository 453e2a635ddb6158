"""An XML parser that refuses DTDs and entity declarations outright.

The court's service sends XML; XML from outside the hub is an attack surface (external
entities read local files — XXE; nested entity expansion exhausts memory — "billion
laughs"). No agency document the hub reads needs a DTD, so instead of depending on
``defusedxml`` we drive expat directly and fail on the first DOCTYPE, entity or
external reference, before anything is expanded. Elements nested deeper than
:data:`MAX_DEPTH` are refused as they open, before the tree is built: expat itself is
iterative, but the tree would then overflow the recursive walks over it (and a
50 000-deep document is an attack, not an agency's record).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from xml.parsers import expat

from connectors.sdk.errors import BodyFormatError, UnsafeXmlError

_FORBIDDEN = UnsafeXmlError(
    "XML 含 DTD 或实体声明，已拒绝（防 XXE 与实体膨胀攻击）",
    "XML with a DTD or entity declarations refused (XXE / entity-expansion protection)",
)


#: Deepest nesting accepted in an XML or JSON body; agency documents nest a handful of levels.
MAX_DEPTH = 64


def _refuse(*_args: Any) -> None:
    raise _FORBIDDEN


def _too_deep() -> UnsafeXmlError:
    return UnsafeXmlError(
        f"XML 嵌套过深（超过 {MAX_DEPTH} 层），已拒绝", f"XML nested too deeply (over {MAX_DEPTH} levels); refused"
    )


def parse_xml(text: str) -> ET.Element:
    """Parse an XML document held as ``str``; return the root element.

    The caller decodes the bytes first (see :mod:`connectors.sdk.decoding`), so an
    ``encoding=`` in the XML declaration is ignored rather than trusted.
    """
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate("utf-8")  # overrides any encoding= in the declaration
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    depth = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise _too_deep()
        builder.start(tag, attrs)

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(tag)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True
    try:
        parser.Parse(text.encode("utf-8"), True)
    except UnsafeXmlError:
        raise
    except expat.ExpatError as exc:
        raise BodyFormatError(
            f"XML 格式错误（第 {exc.lineno} 行）", f"malformed XML (line {exc.lineno}): {expat.ErrorString(exc.code)}"
        ) from None
    return builder.close()


def element_to_dict(element: ET.Element) -> dict[str, Any]:
    """Flatten one record element: attributes and child elements' text become keys.

    A child with children of its own becomes a list: of dicts for structured items
    (``<parties><party><name>…``), of strings for plain ones (``<defendants><item>…``).
    """
    out: dict[str, Any] = dict(element.attrib)
    for child in element:
        if len(child):
            out[child.tag] = [element_to_dict(g) if len(g) or g.attrib else (g.text or "").strip() for g in child]
        else:
            text = (child.text or "").strip()
            out[child.tag] = text if text or child.attrib else None
            if child.attrib:
                out[child.tag] = {**child.attrib, "value": text}
    return out
