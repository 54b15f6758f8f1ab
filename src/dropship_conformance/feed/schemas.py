"""XSD validation of feed documents (specs/atom.xsd) and dropship events
(specs/dropship-events.xsd), reporting readable error strings instead of raising.

Two validators read the same XSDs. Documents under test go through libxml2's (lxml
``XMLSchema``): it is written in C and validates a 50-entry page in milliseconds, where
xmlschema, pure Python, takes most of a second, which a 100,000-event archive walk cannot
afford. xmlschema stays the reference loader of the specs (the project's tests check both
give the same verdict on every example of the source documents).

The schemas are loaded once. xmlschema is told to read nothing outside the specs folder
(``allow="sandbox"``) and to parse the schema files with its defused parser; instances are
handed over as already-parsed lxml elements (see :mod:`.xmlsafe`) with every resource
access forbidden, and ``xsi:schemaLocation`` hints in a document are ignored, so a
document under test can never make the validator fetch anything.
"""

from __future__ import annotations

from functools import cache

import xmlschema
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type stubs

from dropship_conformance.feed.atom import ATOM_NS, DS_NS, FH_NS
from dropship_conformance.specs import spec_path

__all__ = [
    "MAX_ERRORS",
    "atom_schema",
    "events_schema",
    "readable_path",
    "validate_event",
    "validate_feed",
]

#: A badly broken document can produce thousands of errors; past this many the rest are
#: summarised in one line.
MAX_ERRORS = 50

_PREFIXES = {ATOM_NS: "atom", DS_NS: "ds", FH_NS: "fh"}


def _load(name: str) -> xmlschema.XMLSchema10:
    path = spec_path(name)
    return xmlschema.XMLSchema10(
        str(path), base_url=str(path.parent), allow="sandbox", defuse="always"
    )


@cache
def atom_schema() -> xmlschema.XMLSchema10:
    """specs/atom.xsd, which imports specs/dropship-events.xsd and specs/fh.xsd."""
    return _load("atom.xsd")


@cache
def events_schema() -> xmlschema.XMLSchema10:
    """specs/dropship-events.xsd alone, for validating one event payload."""
    return _load("dropship-events.xsd")


def readable_path(element: etree._Element) -> str:
    """An XPath-like location with short prefixes, e.g. ``/atom:feed/atom:entry[2]/...``."""
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        qname = etree.QName(node)
        prefix = _PREFIXES.get(qname.namespace or "")
        name = f"{prefix}:{qname.localname}" if prefix else node.tag
        parent = node.getparent()
        if parent is not None:
            same = [sibling for sibling in parent if sibling.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))


def _errors(schema: xmlschema.XMLSchema10, element: etree._Element) -> list[str]:
    resource = xmlschema.XMLResource(element, allow="none")
    messages: list[str] = []
    count = 0
    for error in schema.iter_errors(resource, use_location_hints=False):
        count += 1
        if count > MAX_ERRORS:
            continue
        where = (
            readable_path(error.elem)
            if isinstance(error.elem, etree._Element)
            else (error.path or "?")
        )
        reason = error.reason or error.message
        messages.append(f"{where}: {reason}")
    if count > MAX_ERRORS:
        messages.append(f"... and {count - MAX_ERRORS} more schema errors")
    return messages


@cache
def _fast(name: str) -> etree.XMLSchema:
    # The schema files are ours; a parser that refuses the network reads their local imports.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(spec_path(name)), parser))


def _fast_errors(name: str, element: etree._Element) -> list[str]:
    schema = _fast(name)
    if schema.validate(element):
        return []
    log = list(schema.error_log)
    messages = [f"{_where(element, e.path)}: {_short(e.message)}" for e in log[:MAX_ERRORS]]
    if len(log) > MAX_ERRORS:
        messages.append(f"... and {len(log) - MAX_ERRORS} more schema errors")
    return messages


def _where(element: etree._Element, path: str | None) -> str:
    """libxml2 reports ``/*/*[8]/*[5]``; say it with prefixes, as xmlschema's errors do."""
    try:
        found = element.getroottree().xpath(path) if path else []
    except etree.XPathError:
        found = []
    return readable_path(found[0]) if found else (path or "?")


def _short(message: str) -> str:
    for namespace, prefix in _PREFIXES.items():
        message = message.replace(f"{{{namespace}}}", f"{prefix}:")
    return message


def validate_feed(root: etree._Element) -> list[str]:
    """Validate a feed document (root ``atom:feed``) against atom.xsd; [] when valid."""
    return _fast_errors("atom.xsd", root)


def validate_event(payload: etree._Element) -> list[str]:
    """Validate one ``order-created`` / ``order-status-updated`` element; [] when valid."""
    return _fast_errors("dropship-events.xsd", payload)


def reference_errors(root: etree._Element) -> list[str]:
    """The same judgement by xmlschema, the reference validator (slow; for the tests)."""
    return _errors(atom_schema(), root)
