"""The fast validator (libxml2) and the reference one (xmlschema) judge alike.

Documents under test are validated with libxml2 for speed; xmlschema is the reference reader of
the XSDs. Any document on which they disagree would make a verdict depend on the tool.
"""

from __future__ import annotations

import re

import pytest

from dropship_conformance.feed.schemas import reference_errors, validate_feed
from dropship_conformance.feed.xmlsafe import parse_xml

from .conftest import SPECS
from .test_feed_reader import archive_doc, current_doc

EXAMPLES = sorted((SPECS / "examples" / "xml").glob("*.xml"))
# Elements of item-information, located by their neighbour (catalog-id also opens order-item).
ITEM_CATALOG_ID = rb"<catalog-id>[^<]*</catalog-id>(\s*<info)"
ITEM_QUANTITY = rb"<quantity>[^<]*</quantity>(\s*<shipping-provider>)"
ITEM_OPTIONAL = (
    ITEM_CATALOG_ID,
    ITEM_QUANTITY,
    rb"<info[^>]*/>()",
    rb"<message>[^<]*</message>()",
    rb"<shipping-provider>[^<]*</shipping-provider>()",
    rb"<tracking-info>[^<]*</tracking-info>()",
)


def _without_item_optionals() -> bytes:
    """DEV-FEED-NIL-OR-ABSENT: item-information of sku and status alone."""
    document = archive_doc()
    for pattern in ITEM_OPTIONAL:
        document = re.sub(pattern, rb"\1", document)
    return document


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
    "valid: item-information catalog-id and quantity nil": lambda: re.sub(
        ITEM_QUANTITY,
        rb'<quantity i:nil="true" />\1',
        re.sub(ITEM_CATALOG_ID, rb'<catalog-id i:nil="true" />\1', archive_doc()),
    ),
    "valid: item-information of sku and status alone": _without_item_optionals,
    "valid: order-item catalog-id and description nil": lambda: re.sub(
        rb"<catalog-id>[^<]*</catalog-id>(\s*)<description>[^<]*</description>",
        rb'<catalog-id i:nil="true" />\1<description i:nil="true" />',
        current_doc(),
    ),
    "item-information catalog-id truncated": lambda: re.sub(
        ITEM_CATALOG_ID, rb"<catalog-id>dbc2577a-021f-4bbf-8289</catalog-id>\1", archive_doc()
    ),
    "item-information without status": lambda: re.sub(
        rb"<status>[^<]*</status>", b"", archive_doc()
    ),
    "item-information sku nil": lambda: archive_doc().replace(
        b"<sku>AB-JH0786-MI</sku>", b'<sku i:nil="true" />'
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
