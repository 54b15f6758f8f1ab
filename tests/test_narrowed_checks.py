"""Checks narrowed to their quoted basis (issue 10 §1): a reading the documents or the RFCs
allow passes the MUST, at most a SHOULD warns, and the MUST still fires on what breaks it.

The breaking documents of every feed rule live in test_feed_reader.py; here are the readings
that must not fail.
"""

from __future__ import annotations

import pytest

from dropship_conformance.catalogue import requirement
from dropship_conformance.feed.rules import check_document
from tests.test_feed_reader import current_doc, current_links, entry, feed, stamp


def fired(data: bytes) -> set[str]:
    return {v.requirement_id for v in check_document(data, "current")}


ALLOWED = [
    pytest.param(
        feed([entry(2), entry(2), entry(1)], updated=stamp(2), links=current_links()),
        {"DS-FEED-017"},
        id="DEV-REPEATED-ENTRY: one event listed twice",
    ),
    pytest.param(
        current_doc().replace(b'type="application/xml"', b'type="Application/XML; charset=utf-8"'),
        set(),
        id="DEV-CONTENT-TYPE: application/xml compared as a media type",
    ),
    pytest.param(
        current_doc().replace(b'type="application/xml"', b'type="text/xml"'),
        {"DS-FEED-019"},
        id="DEV-CONTENT-TYPE: text/xml",
    ),
    pytest.param(
        current_doc().replace(b'type="application/xml"', b'type="application/vnd.ds+xml"'),
        {"DS-FEED-019"},
        id="DEV-CONTENT-TYPE: a +xml type",
    ),
    pytest.param(
        feed(
            [entry(3, "order-created"), entry(1), entry(2)],
            updated=stamp(3),
            links=current_links(),
        ),
        {"DS-FEED-018"},
        id="DEV-FEED-ORDER: status updates out of order, new order first",
    ),
]


@pytest.mark.parametrize(("document", "warned"), ALLOWED)
def test_allowed_reading_fires_no_must(document: bytes, warned: set[str]) -> None:
    found = fired(document)
    assert found == warned
    assert all(requirement(rid).level == "SHOULD" for rid in found)


def test_new_order_behind_an_older_entry_still_fails() -> None:
    document = feed(
        [entry(3), entry(1), entry(2, "order-created")], updated=stamp(3), links=current_links()
    )
    found = fired(document)
    assert "DS-FEED-008" in found
    assert requirement("DS-FEED-008").level == "MUST"
