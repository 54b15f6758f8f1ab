"""Fresh dropship orders for the scenario suites, on any target.

On the reference sandbox the test-control API creates them. On a foreign target they are made
the way a retailer would (ASSUME-ORDERS-TO-DROPSHIP): an Orders API order with DropShip items of
the supplier, then Process, then a bounded wait for its ``order-created`` entry. Whatever cannot
be set up raises SetupImpossible with the reason: a missing precondition is never a pass.

The links between the two APIs (that entry, and the supplier's updates shown on the Orders API
items) are waited for with a bound, and a target that does not show one costs that wait once per
run: the first wait that ends empty-handed decides it, later tests are not checked, and say so.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urljoin

from dropship_conformance.checks import ids
from dropship_conformance.client import Reply
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.feed import atom, events
from dropship_conformance.feed.rules import MAX_ENTRIES
from dropship_conformance.harness.options import option
from dropship_conformance.harness.target import Target

T = TypeVar("T")
POLL_SECONDS = 0.25
# How many pages a lookup walks back: a fresh entry is in the current document unless other
# events pushed it into the newest archives meanwhile.
LOOKUP_PAGES = 3
# The links a target may lack, as a skip names what the target did not do.
LINKS = {
    "order-created": "show a processed Orders API order as an order-created in the supplier's feed",
    "updates": "show the supplier's updates on the Orders API items (LINK-004, LINK-005)",
}
# The link each LINK requirement waits for: a target that copies no update back costs one wait.
LINK_OF = {ids.LINK_004: "updates", ids.LINK_005: "updates"}


def current_test() -> str:
    """The node id of the running test (pytest sets PYTEST_CURRENT_TEST while it runs)."""
    return os.environ.get("PYTEST_CURRENT_TEST", "an earlier test").rsplit(" ", 1)[0]


@dataclass(frozen=True)
class Missed:
    """A link the target did not show within a whole wait, and the test that spent it."""

    what: str
    wait: float
    test: str

    def reason(self) -> str:
        return (
            f"not checked: the target did not {self.what} within {self.wait:g} s "
            f"(decided once by test {self.test})"
        )


@dataclass(frozen=True)
class DropshipOrder:
    """A dropship order created for a test, as its ``order-created`` entry shows it."""

    order_id: str
    created: dict[str, Any]
    sent_items: list[dict[str, Any]]
    linked_order_id: str | None = None

    @property
    def skus(self) -> list[str]:
        return [item["sku"] for item in self.sent_items]


def _items(tag: str) -> list[dict[str, Any]]:
    return [
        {
            "sku": f"DC-{tag}-A",
            "quantity": 2,
            "selling-price": "9.99",
            "description": "Conformance item A",
        },
        {
            "sku": f"DC-{tag}-B",
            "quantity": 1,
            "selling-price": "42",
            "description": "Conformance item B",
        },
    ]


def _refused(what: str, reply: Reply) -> str:
    return f"cannot {what}: {reply.url} answered {reply.status} {reply.text[:200]!r}"


class TestData:
    """Creates dropship orders for the supplier under test; remembers the links a target lacks."""

    __test__ = False

    def __init__(self, target: Target) -> None:
        self.target = target
        self.missed: dict[str, Missed] = {}

    def new_order(
        self,
        *,
        linked: bool = False,
        other_supplier: bool = False,
        retail: dict[str, Any] | None = None,
    ) -> DropshipOrder:
        """A fresh order of the supplier under test, or of the other one (``other_supplier``).

        ``linked`` makes it through the Orders API even on the sandbox; so do ``retail`` fields,
        which the Orders API order is created with (seller data: ShippingEntityId, TenderId...).
        """
        if linked or retail is not None or self.target.control is None:
            return self._through_orders_api(other_supplier, retail or {})
        return self._through_control(other_supplier)

    def feed_options(self, other_supplier: bool) -> dict[str, Any]:
        """Request options that read the feed of the supplier under test or of the other one."""
        settings = self.target.settings
        if not other_supplier:
            return {}
        if settings.other_token is None:
            token = option("other-token")
            raise SetupImpossible(
                f"no token of supplier {settings.other_supplier_id} is known: give "
                f"{token.flag} (or {token.env}) to read its feed"
            )
        return {"supplier_id": settings.other_supplier_id, "token": settings.other_token}

    def _supplier(self, other_supplier: bool) -> int:
        settings = self.target.settings
        return settings.other_supplier_id if other_supplier else settings.supplier_id

    def _through_control(self, other_supplier: bool) -> DropshipOrder:
        assert self.target.control is not None
        options = self.feed_options(other_supplier)
        items = _items(uuid.uuid4().hex[:8])
        reply = self.target.control.create_order(self._supplier(other_supplier), {"items": items})
        if reply.status not in (200, 201):
            raise SetupImpossible(
                _refused("create a dropship order through the sandbox control API", reply)
            )
        order_id = reply.json()["id"]
        entry = self.find_created(
            lambda value: value.get("order-id") == order_id, wait=0, **options
        )
        return DropshipOrder(order_id, entry, items)

    def _through_orders_api(self, other_supplier: bool, retail: dict[str, Any]) -> DropshipOrder:
        settings, orders = self.target.settings, self.target.orders
        options = self.feed_options(other_supplier)
        tag = uuid.uuid4().hex[:8]
        items = _items(tag)
        # The configured identities and documented values: nothing read from a sandbox. A
        # retail field given as None is left out (ShippingCustomerId, to ship to a store).
        body = {
            "EntityId": settings.location_id,
            "OrderTypeId": 3,
            "BillingCustomerId": settings.billing_customer_id,
            "ShippingCustomerId": settings.billing_customer_id,
            "Name": f"dropship-conformance {tag}",
            **retail,
        }
        created = orders.create_order({k: v for k, v in body.items() if v is not None})
        if created.status != 201:
            raise SetupImpossible(_refused("create an order through the Orders API", created))
        order = created.json()
        for item in items:
            added = orders.add_item(
                order["Id"],
                {
                    "ItemTypeId": 1,
                    "ItemStatusId": 1,
                    "SKU": item["sku"],
                    "Quantity": item["quantity"],
                    "SellingPrice": float(item["selling-price"]),
                    "Description": item["description"],
                    "SupplierEntityId": self._supplier(other_supplier),
                },
            )
            if added.status != 201:
                raise SetupImpossible(_refused("add a DropShip item through the Orders API", added))
        before = self.entry_ids(**options)
        processed = orders.process_order(order["Id"])
        if processed.status != 201:
            raise SetupImpossible(_refused("process the order through the Orders API", processed))
        printable = order.get("PrintableId")

        def made_from_it(value: dict[str, Any]) -> bool:
            seller = value.get("seller") or {}
            return seller.get("printable-id") == printable and str(seller.get("company-id")) == str(
                settings.company_id
            )

        entry = self.find_created(made_from_it, wait=settings.event_wait, before=before, **options)
        return DropshipOrder(entry["order-id"], entry, items, linked_order_id=order["Id"])

    def entry_ids(self, **options: Any) -> frozenset[str]:
        """The ids of the entries of the current document (``options``: another feed)."""
        return frozenset(
            entry.id
            for entry in itertools.islice(self.recent_entries(**options), MAX_ENTRIES)
            if entry.id is not None
        )

    def find_created(
        self,
        matches: Callable[[dict[str, Any]], bool],
        *,
        wait: float,
        before: frozenset[str] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """The ``order-created`` payload that ``matches``, waiting up to ``wait`` seconds.

        ``options`` read another supplier's feed (:meth:`feed_options`). A positive wait that
        ends empty-handed decides the "order-created" link for the run (see :meth:`await_link`).
        ``before``, the entry ids the feed showed before the order was made, ends the wait at
        once when a newer entry is no dropship event the harness can read: the target did feed
        something, and waiting longer would not make it readable (the feed rules judge it).
        """
        wait = self._remaining_wait(["order-created"], wait)
        supplier = options.get("supplier_id", self.target.settings.supplier_id)
        deadline = time.monotonic() + wait
        while True:
            unreadable = None
            for entry in self.recent_entries(**options):
                if entry.payload_kind == "order-created":
                    # An order-created payload is an element of fields: a dict.
                    value: dict[str, Any] = events.to_value(entry.payload)
                    if matches(value):
                        return value
                elif entry.payload_kind is None and before is not None and entry.id not in before:
                    unreadable = entry.id
            if unreadable is not None:
                raise SetupImpossible(
                    f"not checked: the feed of supplier {supplier} shows a new entry "
                    f"{unreadable!r} whose content is no urn:iQmetrix:dropship event the harness "
                    "can read, so the test's order cannot be found in it (DS-FEED-011)"
                )
            if time.monotonic() >= deadline:
                self._miss("order-created", wait)
                raise SetupImpossible(
                    f"no matching order-created entry appeared in the feed of supplier "
                    f"{supplier} within {wait:g} s "
                    "(the target does not show Orders API orders to the supplier, "
                    "see ASSUME-ORDERS-TO-DROPSHIP)"
                )
            time.sleep(POLL_SECONDS)

    def await_link(
        self,
        fetch: Callable[[], T],
        problems: Callable[[T], dict[str, list[str]]],
        wait: float,
    ) -> T:
        """``fetch()`` until ``problems`` (by LINK requirement id) are none, ``wait`` s at most.

        Returns the last value: the caller judges it. A link whose problems outlast a positive
        wait is remembered; a later test that waits for it is skipped at once with the reason
        (and the test that spent the wait does not wait for it again).
        """
        value = fetch()
        found = problems(value)
        wait = self._remaining_wait({LINK_OF[rid] for rid in found}, wait)
        deadline = time.monotonic() + wait
        while any(found.values()) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            value = fetch()
            found = problems(value)
        for requirement_id, listed in found.items():
            if listed:
                self._miss(LINK_OF[requirement_id], wait)
        return value

    def _remaining_wait(self, links: Iterable[str], wait: float) -> float:
        """``wait``, or none if this test already spent it on a link; a skip if another did."""
        for link in links:
            missed = self.missed.get(link)
            if missed is None:
                continue
            if missed.test != current_test():
                raise SetupImpossible(missed.reason())
            wait = 0.0
        return wait

    def _miss(self, link: str, wait: float) -> None:
        # A zero wait costs nothing to repeat, so it decides nothing for later tests.
        if wait > 0:
            self.missed.setdefault(link, Missed(LINKS[link], wait, current_test()))

    def recent_entries(self, **options: Any) -> Iterator[atom.Entry]:
        """Entries of the current document and of the newest archives, newest first."""
        token = {k: v for k, v in options.items() if k == "token"}
        reply = self.target.dropship.notifications(**options)
        for _ in range(LOOKUP_PAGES):
            if reply.status != 200:
                raise SetupImpossible(_refused("read the order feed", reply))
            try:
                document = atom.read_feed(reply.content)
            except ValueError as error:
                raise SetupImpossible(
                    f"cannot find the test's order: the feed at {reply.url} is not a "
                    f"readable Atom document ({error})"
                ) from error
            yield from document.entries
            previous = document.link("prev-archive")
            if previous is None:
                return
            reply = self.target.dropship.follow(urljoin(reply.url, previous), **token)
