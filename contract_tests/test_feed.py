"""Feed suite: the current order feed document, judged against the XSDs and the RFC 4287 and
dropship rules no XSD can state (000 §Order Feed, 001 §Order Notifications Feed, 002 §Step 2).
"""

from __future__ import annotations

import contextlib
from urllib.parse import urljoin

import pytest

from dropship_conformance.checks import archive, feed, ids, linked
from dropship_conformance.client import DropshipClient, Reply
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.feed import atom, rules
from dropship_conformance.feed.walk import FeedScope
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import TestData
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.feed

# Attempts at reading the current document and its self link with no event added in between.
STABLE_ATTEMPTS = 5
CURRENT_CHECKS = rules.rules_for("current")


@pytest.fixture(scope="module")
def current_feed(dropship: DropshipClient, testdata: TestData) -> Reply:
    """The current document, with a fresh order-created in it where the target allows one.

    The feed rules hold for any feed, so a target where no order can be made is judged on the
    feed it has rather than skipped.
    """
    with contextlib.suppress(SetupImpossible):
        testdata.new_order()
    return dropship.notifications()


def _document(expect: Expect, reply: Reply) -> atom.FeedDocument:
    feed.served_as_atom(expect, reply)
    try:
        return atom.read_feed(reply.content)
    except ValueError as error:
        feed.read_as_atom(expect, error)
        raise


@pytest.mark.requirements(ids.DS_FEED_001)
def test_current_feed_is_served_as_atom(current_feed: Reply, expect: Expect) -> None:
    _document(expect, current_feed)


@pytest.mark.parametrize(
    "check", CURRENT_CHECKS, ids=[f"{c.requirement_id}-{c.name}" for c in CURRENT_CHECKS]
)
def test_current_document_rule(current_feed: Reply, expect: Expect, check: rules.Check) -> None:
    """One test per document rule, so each requirement gets its own verdict in the matrix."""
    _document(expect, current_feed)
    rules.judge(expect, check, rules.check_document(current_feed.content, "current"))


@pytest.mark.requirements(ids.DS_FEED_016, ids.AUTH_002)
def test_feed_holds_only_the_suppliers_events(
    current_feed: Reply, target: Target, expect: Expect
) -> None:
    document = _document(expect, current_feed)
    supplier = str(target.settings.supplier_id)
    feed.only_the_suppliers_events(expect, document, supplier)
    feed.no_other_suppliers_entries(expect, document, supplier)


@pytest.mark.requirements(ids.DS_EVT_008, ids.DS_EVT_009)
def test_each_order_created_once_before_its_updates(current_feed: Reply, expect: Expect) -> None:
    document = _document(expect, current_feed)
    linked.created_once_before_its_updates(expect, document)
    linked.updates_carry_the_company(expect, document)


def _scope(dropship: DropshipClient) -> FeedScope:
    return FeedScope.of(f"{dropship.base_url}/Suppliers({dropship.supplier_id})/Notifications")


@pytest.mark.requirements(ids.DS_FEED_010)
def test_current_and_self_links_name_the_suppliers_feed(
    current_feed: Reply, dropship: DropshipClient, expect: Expect
) -> None:
    document = _document(expect, current_feed)
    # A relative href names the URI it resolves to (DS-ARCH-014 warns that it is relative).
    currents, selves = (
        [urljoin(current_feed.url, href) for href in document.links.get(rel, [])]
        for rel in ("current", "self")
    )
    if not currents and not selves:
        raise SetupImpossible(
            "the current document has neither link (judged by the DS-FEED-010 count rule)"
        )
    archive.links_name_the_suppliers_feed(expect, currents, selves, _scope(dropship))


@pytest.mark.requirements(ids.DS_ARCH_007)
def test_self_link_resolves_to_the_same_document(
    current_feed: Reply, dropship: DropshipClient, expect: Expect
) -> None:
    document = _document(expect, current_feed)
    self_link = document.link("self")
    if self_link is None:
        raise SetupImpossible("the current document has no self link (judged by DS-FEED-010)")
    self_link = urljoin(current_feed.url, self_link)
    if not _scope(dropship).followable(self_link):
        raise SetupImpossible(
            f"self link {self_link!r} is not on the target's origin (judged by DS-FEED-010)"
        )
    # Other clients (parallel workers, other integrations) may add events between two GETs:
    # the self link's document counts only when the current one read after it is unchanged.
    for _ in range(STABLE_ATTEMPTS):
        before = dropship.notifications()
        link = atom.read_feed(before.content).link("self") if before.status == 200 else None
        self_link = urljoin(before.url, link) if link else self_link
        if not _scope(dropship).followable(self_link):
            raise SetupImpossible(
                f"self link {self_link!r} is not on the target's origin (DS-FEED-010)"
            )
        again = dropship.follow(self_link)
        if atom.first_difference(before.content, dropship.notifications().content) is None:
            break
    else:
        raise SetupImpossible(
            f"not checked: the current document changed while its self link was read, "
            f"{STABLE_ATTEMPTS} times in a row (other clients are adding events)"
        )
    archive.self_link_is_the_document(expect, self_link, before.content, again)
