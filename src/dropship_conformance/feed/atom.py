"""A small typed model of the dropship order feed (Atom, RFC 4287, with RFC 5005 archives).

The model is deliberately forgiving: it reads whatever is there (first occurrence of each
element, ``None`` when absent or unparsable) so that the rules in
:mod:`dropship_conformance.feed.rules` can say precisely what is wrong instead of the
reader failing on the first defect. Only unsafe or non-XML bodies raise
(:class:`~dropship_conformance.feed.xmlsafe.UnsafeOrInvalidXML`), and a well-formed
document whose root is not ``atom:feed`` raises :class:`NotAnAtomFeed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal, cast

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type stubs

from dropship_conformance.errors import ConformanceError
from dropship_conformance.feed.xmlsafe import DEFAULT_MAX_BYTES, parse_xml

__all__ = [
    "ATOM_NS",
    "DS_NS",
    "FH_NS",
    "XSI_NS",
    "Entry",
    "FeedDocument",
    "NotAnAtomFeed",
    "PayloadKind",
    "first_difference",
    "normalize_rel",
    "parse_rfc3339",
    "read_feed",
    "read_feed_root",
    "same_document",
]

ATOM_NS = "http://www.w3.org/2005/Atom"
DS_NS = "urn:iQmetrix:dropship"
FH_NS = "http://purl.org/syndication/history/1.0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

PayloadKind = Literal["order-created", "order-status-updated"]
PAYLOAD_KINDS: tuple[PayloadKind, ...] = ("order-created", "order-status-updated")

_IANA_REL_PREFIX = "http://www.iana.org/assignments/relation/"

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$"
)


class NotAnAtomFeed(ConformanceError, ValueError):
    """The document is well-formed XML but its root element is not ``atom:feed``."""


def _atom(name: str) -> str:
    return f"{{{ATOM_NS}}}{name}"


def parse_rfc3339(text: str | None) -> datetime | None:
    """Parse an RFC 3339 date-time (RFC 4287 section 3.3) into an aware datetime.

    Returns ``None`` for anything else, including a date-time without a time zone, so that
    comparisons between timestamps never mix naive and aware values.
    """
    if text is None:
        return None
    match = _RFC3339.match(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    if zone == "Z":
        tz: timezone = UTC
    else:
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            return None
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz
        )
    except ValueError:
        return None


def normalize_rel(rel: str | None) -> str:
    """Return the comparable form of a link relation.

    RFC 4287 section 4.2.7.2: no rel means "alternate", and a registered name is equivalent
    to the IANA relation IRI; registered names are compared case-insensitively.
    """
    if rel is None or not rel.strip():
        return "alternate"
    value = rel.strip()
    if value.lower().startswith(_IANA_REL_PREFIX):
        value = value[len(_IANA_REL_PREFIX) :]
    if ":" in value:  # an extension relation IRI: compared as is
        return value
    return value.lower()


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    return "".join(element.itertext())


def _first(parent: etree._Element, name: str) -> etree._Element | None:
    return parent.find(_atom(name))


@dataclass(frozen=True)
class Entry:
    """One atom:entry: one dropship event."""

    id: str | None
    title: str | None
    published: datetime | None
    updated: datetime | None
    content_type: str | None
    payload: etree._Element | None = field(repr=False)
    payload_kind: PayloadKind | None
    element: etree._Element = field(repr=False, compare=False)

    @property
    def order_id(self) -> str | None:
        """The dropship order id carried by the payload (``order-id``), if any."""
        if self.payload is None:
            return None
        return _text(self.payload.find(f"{{{DS_NS}}}order-id"))


@dataclass(frozen=True)
class FeedDocument:
    """One feed document: the current document or one archive page."""

    id: str | None
    title: str | None
    updated: datetime | None
    links: dict[str, list[str]]
    is_archive: bool
    entries: list[Entry]
    root: etree._Element = field(repr=False, compare=False)

    def link(self, rel: str) -> str | None:
        """Return the first href of relation ``rel`` (``None`` if absent)."""
        hrefs = self.links.get(normalize_rel(rel))
        return hrefs[0] if hrefs else None


def _read_entry(element: etree._Element) -> Entry:
    content = _first(element, "content")
    payload: etree._Element | None = None
    kind: PayloadKind | None = None
    content_type: str | None = None
    if content is not None:
        content_type = content.get("type")
        children = [child for child in content if isinstance(child.tag, str)]
        if children:
            payload = children[0]
            qname = etree.QName(payload)
            if qname.namespace == DS_NS and qname.localname in PAYLOAD_KINDS:
                kind = cast(PayloadKind, qname.localname)  # lxml is untyped; checked above
    return Entry(
        id=_text(_first(element, "id")),
        title=_text(_first(element, "title")),
        published=parse_rfc3339(_text(_first(element, "published"))),
        updated=parse_rfc3339(_text(_first(element, "updated"))),
        content_type=content_type,
        payload=payload,
        payload_kind=kind,
        element=element,
    )


def read_feed_root(root: etree._Element) -> FeedDocument:
    """Build the model from an already (safely) parsed root element."""
    if root.tag != _atom("feed"):
        raise NotAnAtomFeed(f"root element is {root.tag!r}, expected {{{ATOM_NS}}}feed")
    links: dict[str, list[str]] = {}
    for link in root.findall(_atom("link")):
        href = link.get("href")
        if href is not None:
            links.setdefault(normalize_rel(link.get("rel")), []).append(href)
    return FeedDocument(
        id=_text(_first(root, "id")),
        title=_text(_first(root, "title")),
        updated=parse_rfc3339(_text(_first(root, "updated"))),
        links=links,
        is_archive=root.find(f"{{{FH_NS}}}archive") is not None,
        entries=[_read_entry(entry) for entry in root.findall(_atom("entry"))],
        root=root,
    )


def read_feed(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> FeedDocument:
    """Safely parse a feed body (current document or archive page) into the model."""
    return read_feed_root(parse_xml(data, max_bytes=max_bytes))


# ----- structural comparison (DS-ARCH-002: an archive document never changes) -----


def _significant(text: str | None) -> str:
    """Whitespace-only text between elements is insignificant; other text is kept as is."""
    if text is None or not text.strip():
        return ""
    return text


def _describe(element: etree._Element) -> str:
    qname = etree.QName(element)
    prefix = {ATOM_NS: "atom:", DS_NS: "ds:", FH_NS: "fh:"}.get(qname.namespace or "", "")
    # lxml is untyped: a namespaced element's tag and local name are str
    if not prefix and qname.namespace:
        return cast(str, element.tag)
    return prefix + cast(str, qname.localname)


def _elements(element: etree._Element) -> list[etree._Element]:
    """Child elements, ignoring comments and processing instructions."""
    return [child for child in element if isinstance(child.tag, str)]


def _mixed_text(element: etree._Element) -> list[str]:
    """The element's significant character data: its text and its children's tails."""
    parts = [_significant(element.text)]
    parts.extend(_significant(child.tail) for child in element)
    return [part for part in parts if part]


def _diff(a: etree._Element, b: etree._Element, path: str) -> str | None:
    """Return the first difference below ``a`` / ``b`` (``path`` names ``a``), or ``None``."""
    if a.tag != b.tag:
        return f"{path}: element {_describe(a)} differs from {_describe(b)}"
    # Attribute names are in Clark notation: prefixes play no part, order neither.
    if dict(a.attrib) != dict(b.attrib):
        return f"{path}: attributes {dict(a.attrib)} differ from {dict(b.attrib)}"
    if _mixed_text(a) != _mixed_text(b):
        return f"{path}: text {_mixed_text(a)!r} differs from {_mixed_text(b)!r}"
    children_a, children_b = _elements(a), _elements(b)
    if len(children_a) != len(children_b):
        return f"{path}: {len(children_a)} child elements differ from {len(children_b)}"
    for index, (child_a, child_b) in enumerate(zip(children_a, children_b, strict=True), 1):
        found = _diff(child_a, child_b, f"{path}/{_describe(child_a)}[{index}]")
        if found is not None:
            return found
    return None


def first_difference(a_bytes: bytes, b_bytes: bytes) -> str | None:
    """Return where two documents differ as namespaced XML structure, or ``None``.

    Namespace prefixes, attribute order, comments, processing instructions, the XML
    declaration and whitespace-only text between elements are not significant; element
    names (namespace + local name), attributes, child order and other text are.
    """
    a, b = parse_xml(a_bytes), parse_xml(b_bytes)
    return _diff(a, b, "/" + _describe(a))


def same_document(a_bytes: bytes, b_bytes: bytes) -> bool:
    """True when both bodies are the same document as namespaced XML structure."""
    return first_difference(a_bytes, b_bytes) is None
