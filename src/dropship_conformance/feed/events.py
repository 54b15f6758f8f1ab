"""The ``urn:iQmetrix:dropship`` entry payloads as plain Python values.

Suites compare what a feed says with what was sent or created (an ``order-status-updated``
holds "exactly what was sent"); comparing by meaning needs values, not XML. Element order,
namespace prefixes and whitespace do not matter here; ``i:nil`` becomes None.
"""

from __future__ import annotations

from typing import Any

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type stubs

XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
# Lists in the payloads: the container element and the name of its repeated child.
LISTS = {"items": ("order-item", "item-information")}


def _local(element: etree._Element) -> str:
    name: str = etree.QName(element).localname
    return name


def to_value(element: etree._Element) -> Any:
    """A payload element as a dict, list, str or None."""
    if element.get(XSI_NIL) in ("true", "1"):
        return None
    children = [child for child in element if isinstance(child.tag, str)]
    name = _local(element)
    if name in LISTS:
        return [to_value(child) for child in children if _local(child) in LISTS[name]]
    if not children:
        return (element.text or "").strip()
    return {_local(child): to_value(child) for child in children}
