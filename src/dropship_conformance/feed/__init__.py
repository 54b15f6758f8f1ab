"""Reading and judging the dropship order feed (Atom, RFC 4287; archives, RFC 5005).

* :mod:`.xmlsafe` parses untrusted XML without DTDs, entities or network access.
* :mod:`.schemas` validates against specs/atom.xsd and specs/dropship-events.xsd.
* :mod:`.atom` is the typed model (:class:`FeedDocument`, :class:`Entry`) and the
  structural comparison used for archive stability.
* :mod:`.rules` lists the document-local checks by role; their bodies are registered in
  :mod:`dropship_conformance.checks` (feed.py, archive.py) under their requirement ids.
"""

from dropship_conformance.feed.atom import (
    Entry,
    FeedDocument,
    NotAnAtomFeed,
    read_feed,
    same_document,
)
from dropship_conformance.feed.rules import Violation, check_document
from dropship_conformance.feed.xmlsafe import UnsafeOrInvalidXML, parse_xml

__all__ = [
    "Entry",
    "FeedDocument",
    "NotAnAtomFeed",
    "UnsafeOrInvalidXML",
    "Violation",
    "check_document",
    "parse_xml",
    "read_feed",
    "same_document",
]
