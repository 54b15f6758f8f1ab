"""Fresh dropship orders for the scenario suites, on any target.

On the reference sandbox the test-control API creates them. On a foreign target they are made
the way a retailer would (ASSUME-ORDERS-TO-DROPSHIP): an Orders API order with DropShip items of
the supplier, then Process, then a bounded wait for its ``order-created`` entry. Whatever cannot
be set up skips the test with the reason: a missing precondition is never a pass.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from dropship_conformance.client import Reply
from dropship_conformance.feed import atom, events
from dropship_conformance.harness.target import Target

POLL_SECONDS = 0.25
# How many pages a lookup walks back: a fresh entry is in the current document unless other
# events pushed it into the newest archives meanwhile.
LOOKUP_PAGES = 3


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
    """Creates dropship orders for the supplier under test."""

    __test__ = False

    def __init__(self, target: Target) -> None:
        self.target = target

    def new_order(self, *, linked: bool = False) -> DropshipOrder:
        """A fresh order; ``linked`` makes it through the Orders API even on the sandbox."""
        if linked or self.target.control is None:
            return self._through_orders_api()
        return self._through_control()

    def _through_control(self) -> DropshipOrder:
        items = _items(uuid.uuid4().hex[:8])
        reply = self.target.control.create_order(self.target.settings.supplier_id, {"items": items})
        if reply.status not in (200, 201):
            pytest.skip(_refused("create a dropship order through the sandbox control API", reply))
        order_id = reply.json()["id"]
        entry = self.find_created(lambda value: value.get("order-id") == order_id, wait=0)
        return DropshipOrder(order_id, entry, items)

    def _through_orders_api(self) -> DropshipOrder:
        settings, orders = self.target.settings, self.target.orders
        tag = uuid.uuid4().hex[:8]
        items = _items(tag)
        created = orders.create_order(
            {
                "EntityId": settings.location_id,
                "OrderTypeId": 3,
                "BillingCustomerId": settings.billing_customer_id,
                "ShippingCustomerId": settings.billing_customer_id,
                "Name": f"dropship-conformance {tag}",
            }
        )
        if created.status != 201:
            pytest.skip(_refused("create an order through the Orders API", created))
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
                    "SupplierEntityId": settings.supplier_id,
                },
            )
            if added.status != 201:
                pytest.skip(_refused("add a DropShip item through the Orders API", added))
        processed = orders.process_order(order["Id"])
        if processed.status != 201:
            pytest.skip(_refused("process the order through the Orders API", processed))
        printable = order.get("PrintableId")

        def made_from_it(value: dict[str, Any]) -> bool:
            seller = value.get("seller") or {}
            return seller.get("printable-id") == printable and str(seller.get("company-id")) == str(
                settings.company_id
            )

        entry = self.find_created(made_from_it, wait=settings.event_wait)
        return DropshipOrder(entry["order-id"], entry, items, linked_order_id=order["Id"])

    def find_created(
        self, matches: Callable[[dict[str, Any]], bool], *, wait: float
    ) -> dict[str, Any]:
        """The ``order-created`` payload that ``matches``, waiting up to ``wait`` seconds."""
        deadline = time.monotonic() + wait
        while True:
            for entry in self.recent_entries():
                if entry.payload_kind == "order-created":
                    value = events.to_value(entry.payload)
                    if matches(value):
                        return value
            if time.monotonic() >= deadline:
                pytest.skip(
                    f"no matching order-created entry appeared in the feed of supplier "
                    f"{self.target.settings.supplier_id} within {wait:.0f} s "
                    "(the target does not show Orders API orders to the supplier, "
                    "see ASSUME-ORDERS-TO-DROPSHIP)"
                )
            time.sleep(POLL_SECONDS)

    def recent_entries(self) -> Iterator[atom.Entry]:
        """Entries of the current document and of the newest archives, newest first."""
        reply = self.target.dropship.notifications()
        for _ in range(LOOKUP_PAGES):
            if reply.status != 200:
                pytest.skip(_refused("read the order feed", reply))
            document = atom.read_feed(reply.content)
            yield from document.entries
            previous = document.link("prev-archive")
            if previous is None:
                return
            reply = self.target.dropship.follow(previous)
