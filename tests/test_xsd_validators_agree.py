"""The fast validator (libxml2) and the reference one (xmlschema) judge alike.

Documents under test are validated with libxml2 for speed; xmlschema is the reference reader of
the XSDs. Any document on which they disagree would make a verdict depend on the tool.
"""

from __future__ import annotations

import pytest

from dropship_conformance.feed.schemas import reference_errors, validate_feed
from dropship_conformance.feed.xmlsafe import parse_xml

from .conftest import SPECS
from .test_feed_reader import archive_doc, current_doc

EXAMPLES = sorted((SPECS / "examples" / "xml").glob("*.xml"))
MUTATIONS = {
    "valid current": lambda: current_doc(),
    "valid archive": lambda: archive_doc(),
    "quantity not a number": lambda: current_doc().replace(
        b"<quantity>1</quantity>", b"<quantity>x</quantity>"
    ),
    "unknown status": lambda: archive_doc().replace(
        b"<status>Shipped</status>", b"<status>Exception</status>"
    ),
    "truncated GUID": lambda: current_doc().replace(b"<order-id>0000", b"<order-id>00", 1),
    "valid: no feed title (cardinality is DS-FEED-013, not XSD)": lambda: current_doc().replace(
        b'<title type="text">Dropship Order Event Feed</title>', b""
    ),
    "date without zone": lambda: current_doc().replace(b"Z</updated>", b"</updated>", 1),
    "foreign payload": lambda: current_doc().replace(
        b'xmlns="urn:iQmetrix:dropship"', b'xmlns="urn:x"', 1
    ),
}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_validators_agree_on_source_examples(path) -> None:
    root = parse_xml(path.read_bytes())
    assert bool(validate_feed(root)) == bool(reference_errors(root))


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_validators_agree_on_broken_documents(name: str) -> None:
    root = parse_xml(MUTATIONS[name]())
    fast, reference = validate_feed(root), reference_errors(root)
    assert bool(fast) == bool(reference), f"libxml2: {fast}\nxmlschema: {reference}"
    assert bool(fast) == (not name.startswith("valid"))
