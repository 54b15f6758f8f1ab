"""Safe parsing of XML received from the server under test.

The harness reads feed documents from servers it does not trust: a target may be broken,
or hostile. A naive XML parser can be turned against the machine running the harness:

* XXE (XML external entities): ``<!ENTITY x SYSTEM "file:///etc/passwd">`` makes the
  parser read local files (or fetch URLs) and splice them into the document, where they
  end up in reports.
* Billion laughs: nested internal entities expand a few hundred bytes into gigabytes.
* External DTDs and parameter entities make the parser open the network.
* Oversized or deeply nested bodies exhaust memory.

The feed (000/001 "Get Order Feed") never needs a DTD, so any document type declaration
or entity declaration is refused outright, before libxml2 sees the document. The lxml
parser is configured so that, even if that first check were bypassed, it loads no DTD,
substitutes no entity, opens no network connection and keeps libxml2's size limits; and
the parsed tree is checked again for a DTD or entity node. Everything that goes wrong is
reported as :class:`UnsafeOrInvalidXML` with a readable reason, never as a crash.
"""

from __future__ import annotations

import codecs
import re
from typing import NoReturn

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type stubs

from dropship_conformance.errors import ConformanceError

__all__ = ["DEFAULT_MAX_BYTES", "UnsafeOrInvalidXML", "parse_xml"]

#: A current page or archive page holds at most 50 entries of a few KiB each; 5 MiB leaves
#: ample room while keeping a hostile body from exhausting memory.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024

_XML_DECL_ENCODING = re.compile(
    rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._\-]*)["']"""
)
# XML keywords are case-sensitive, but refusing any spelling costs nothing.
_DTD_OR_ENTITY = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class UnsafeOrInvalidXML(ConformanceError, ValueError):
    """The body is not a safe, well-formed XML document; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _RefuseExternal(etree.Resolver):  # type: ignore[misc]  # Resolver is Any: no lxml stubs
    """Resolver of last resort: libxml2 must never load anything from outside."""

    def resolve(self, system_url: str, public_id: str | None, context: object) -> NoReturn:
        raise UnsafeOrInvalidXML(f"refused to load external resource {system_url!r}")


def _make_parser() -> etree.XMLParser:
    """Return a parser that cannot be made to read files, open sockets or expand entities."""
    parser = etree.XMLParser(
        resolve_entities=False,  # no entity substitution: defeats XXE and billion laughs
        no_network=True,  # libxml2 may not open network connections
        load_dtd=False,  # never fetch an external DTD
        dtd_validation=False,
        attribute_defaults=False,  # DTD attribute defaults would need the DTD
        huge_tree=False,  # keep libxml2's limits on depth and text node size
        recover=False,  # truncated or broken XML is an error, not something to repair
        # Do NOT pass collect_ids=False: with lxml 6.1 / libxml2 2.14 it makes libxml2 load
        # an external DTD (file:// included) and apply its attribute defaults despite
        # load_dtd=False and attribute_defaults=False (seen here; see the tests).
    )
    parser.resolvers.add(_RefuseExternal())
    return parser


def _detect_encoding(data: bytes) -> tuple[str, bytes]:
    """Return the encoding to check the body against and the body without its BOM."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8", data[len(codecs.BOM_UTF8) :]
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", data
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", data
    match = _XML_DECL_ENCODING.match(data)
    if match is None:
        return "utf-8", data  # XML 1.0 section 4.3.3: no declaration, no BOM -> UTF-8
    return match.group(1).decode("ascii").lower(), data


def _decode(data: bytes) -> str:
    """Decode strictly so that invalid byte sequences are refused with their offset."""
    encoding, body = _detect_encoding(data)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UnsafeOrInvalidXML(f"unsupported character encoding {encoding!r}") from None
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if codecs.lookup(encoding).name == "utf-8" else encoding
        raise UnsafeOrInvalidXML(
            f"invalid {name}: byte sequence {exc.object[exc.start : exc.end]!r} "
            f"at offset {exc.start} cannot be decoded"
        ) from None


def _prescan(text: str) -> None:
    """Refuse any DTD or entity declaration before the parser sees the document."""
    match = _DTD_OR_ENTITY.search(text)
    if match is not None:
        raise UnsafeOrInvalidXML(
            f"document type declarations are refused: found '<!{match.group(1)}' at "
            f"character {match.start()} (DTDs and entities enable XXE and entity expansion)"
        )


def _parse(data: bytes) -> etree._Element:
    try:
        root = etree.fromstring(data, _make_parser())
    except UnsafeOrInvalidXML:
        raise
    except etree.XMLSyntaxError as exc:
        raise UnsafeOrInvalidXML(f"not well-formed XML: {exc}") from None
    if root is None:
        raise UnsafeOrInvalidXML("no root element")
    return root


def _check_tree(root: etree._Element) -> None:
    """Second line of defence: a parsed tree must carry no DTD and no entity reference."""
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeOrInvalidXML(f"document type declarations are refused: {docinfo.doctype!r}")
    for node in root.iter(etree.Entity):
        raise UnsafeOrInvalidXML(f"entity references are refused: found {node.text}")


def parse_xml(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse an untrusted XML body and return its root element.

    Raises :class:`UnsafeOrInvalidXML` when the body is larger than ``max_bytes`` (checked
    before any parsing), empty, not decodable in its encoding (invalid UTF-8 included),
    carries a DTD or entity declaration, or is not well-formed (e.g. truncated).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"parse_xml expects bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise UnsafeOrInvalidXML(
            f"document of {len(data)} bytes exceeds the limit of {max_bytes} bytes"
        )
    if not data.strip():
        raise UnsafeOrInvalidXML("empty document")
    _prescan(_decode(data))
    root = _parse(data)
    _check_tree(root)
    return root
