"""Feed suite: the current order feed document, judged against the XSDs and the RFC 4287 and
dropship rules no XSD can state (000 §Order Feed, 001 §Order Notifications Feed, 002 §Step 2).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from urllib.parse import urljoin

import pytest

from dropship_conformance.client import DropshipClient, Reply
from dropship_conformance.feed import atom, events, rules
from dropship_conformance.feed.walk import FeedScope
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import TestData
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.feed

ATOM = "application/atom+xml"
# Attempts at reading the current document and its self link with no event added in between.
STABLE_ATTEMPTS = 5
CURRENT_CHECKS = [check for check in rules.CHECKS if "current" in check.roles]


@pytest.fixture(scope="module")
def current_feed(dropship: DropshipClient, testdata: TestData) -> Reply:
    """The current document, with a fresh order-created in it where the target allows one.

    The feed rules hold for any feed, so a target where no order can be made is judged on the
    feed it has rather than skipped.
    """
    with contextlib.suppress(pytest.skip.Exception):
        testdata.new_order()
    return dropship.notifications()


def _document(expect: Expect, reply: Reply) -> atom.FeedDocument:
    expect.that(
        "DS-FEED-001",
        reply.status == 200 and reply.media_type == ATOM,
        expected=f"200 with Content-Type {ATOM}",
        found=f"{reply.status} with Content-Type {reply.headers.get('content-type')!r}",
    )
    try:
        return atom.read_feed(reply.content)
    except ValueError as error:
        expect.that("DS-FEED-002", False, expected="a well-formed Atom feed", found=str(error))
        raise


@pytest.mark.requirements("DS-FEED-001")
def test_current_feed_is_served_as_atom(current_feed: Reply, expect: Expect) -> None:
    _document(expect, current_feed)


@pytest.mark.parametrize(
    "check", CURRENT_CHECKS, ids=[f"{c.requirement_id}-{c.name}" for c in CURRENT_CHECKS]
)
def test_current_document_rule(current_feed: Reply, expect: Expect, check: rules.Check) -> None:
    """One test per document rule, so each requirement gets its own verdict in the matrix."""
    _document(expect, current_feed)
    found = [
        v.message
        for v in rules.check_document(current_feed.content, "current")
        if v.requirement_id == check.requirement_id
    ]
    expect.none_of(check.requirement_id, found, expected=f"{check.name}: no violation")


@pytest.mark.requirements("DS-FEED-016", "AUTH-002")
def test_feed_holds_only_the_suppliers_events(
    current_feed: Reply, target: Target, expect: Expect
) -> None:
    document = _document(expect, current_feed)
    supplier = str(target.settings.supplier_id)
    strangers = [
        f"entry {entry.id}: supplier-id {value.get('supplier-id')!r}"
        for entry in document.entries
        if entry.payload is not None
        and (value := events.to_value(entry.payload)).get("supplier-id") != supplier
    ]
    expect.none_of("DS-FEED-016", strangers, expected=f"every payload's supplier-id is {supplier}")
    expect.none_of("AUTH-002", strangers, expected="no entry of another supplier")


@pytest.mark.requirements("DS-EVT-008", "DS-EVT-009")
def test_each_order_created_once_before_its_updates(current_feed: Reply, expect: Expect) -> None:
    document = _document(expect, current_feed)
    created: Counter[str] = Counter()
    companies: dict[str, str] = {}
    early, strangers = [], []
    # Newest first: walking backwards visits each order's events from oldest to newest. An
    # update whose order-created is older than this page is fine; one older than it is not.
    for entry in reversed(document.entries):
        if entry.payload is None:
            continue
        value = events.to_value(entry.payload)
        order_id = value.get("order-id")
        if entry.payload_kind == "order-created":
            created[order_id] += 1
            companies[order_id] = (value.get("seller") or {}).get("company-id")
            continue
        if order_id in companies and value.get("company-id") != companies[order_id]:
            strangers.append(
                f"update {entry.id}: company-id {value.get('company-id')}, "
                f"order-created of {order_id}: {companies[order_id]}"
            )
    for entry in document.entries:
        value = events.to_value(entry.payload) if entry.payload is not None else {}
        if entry.payload_kind == "order-created" and any(
            later.payload_kind == "order-status-updated"
            and later.order_id == value.get("order-id")
            and later.updated
            and entry.updated
            and later.updated < entry.updated
            for later in document.entries
        ):
            early.append(f"order {value.get('order-id')}: an update predates its order-created")
    twice = [f"order {oid}: {n} order-created entries" for oid, n in created.items() if n > 1]
    expect.none_of("DS-EVT-008", twice + early, expected="one order-created per order, first")
    expect.none_of("DS-EVT-009", strangers, expected="updates carry their order's company-id")


def _scope(dropship: DropshipClient) -> FeedScope:
    return FeedScope.of(f"{dropship.base_url}/Suppliers({dropship.supplier_id})/Notifications")


@pytest.mark.requirements("DS-FEED-010")
def test_current_and_self_links_name_the_suppliers_feed(
    current_feed: Reply, dropship: DropshipClient, expect: Expect
) -> None:
    """000 §Feed: link current is the "Link to the order feed endpoint", link self the page's
    own URI; a link to another origin is a finding, never followed."""
    document = _document(expect, current_feed)
    scope = _scope(dropship)
    # A relative href names the URI it resolves to (DS-ARCH-014 warns that it is relative).
    currents, selves = (
        [urljoin(current_feed.url, href) for href in document.links.get(rel, [])]
        for rel in ("current", "self")
    )
    if not currents and not selves:
        pytest.skip("the current document has neither link (judged by the DS-FEED-010 count rule)")
    problems = [
        f"link rel=current {href!r} is not {scope.notifications_url!r}"
        for href in currents
        if not scope.is_endpoint(href)
    ]
    problems += [p for href in selves if (p := scope.link_problem("self", href)) is not None]
    expect.none_of(
        "DS-FEED-010",
        problems,
        expected=f"current names {scope.notifications_url}, self a page of that feed",
    )


@pytest.mark.requirements("DS-ARCH-007")
def test_self_link_resolves_to_the_same_document(
    current_feed: Reply, dropship: DropshipClient, expect: Expect
) -> None:
    document = _document(expect, current_feed)
    self_link = document.link("self")
    if self_link is None:
        pytest.skip("the current document has no self link (judged by DS-FEED-010)")
    self_link = urljoin(current_feed.url, self_link)
    if not _scope(dropship).followable(self_link):
        pytest.skip(
            f"self link {self_link!r} is not on the target's origin (judged by DS-FEED-010)"
        )
    # Other clients (parallel workers, other integrations) may add events between two GETs:
    # the self link's document counts only when the current one read after it is unchanged.
    for _ in range(STABLE_ATTEMPTS):
        before = dropship.notifications()
        link = atom.read_feed(before.content).link("self") if before.status == 200 else None
        self_link = urljoin(before.url, link) if link else self_link
        if not _scope(dropship).followable(self_link):
            pytest.skip(f"self link {self_link!r} is not on the target's origin (DS-FEED-010)")
        again = dropship.follow(self_link)
        if atom.first_difference(before.content, dropship.notifications().content) is None:
            break
    else:
        pytest.skip(
            f"not checked: the current document changed while its self link was read, "
            f"{STABLE_ATTEMPTS} times in a row (other clients are adding events)"
        )
    difference = (
        atom.first_difference(before.content, again.content)
        if again.status == 200
        else f"status {again.status}"
    )
    expect.that(
        "DS-ARCH-007",
        difference is None,
        expected=f"GET {self_link} returns the current document",
        found=difference or "",
    )
