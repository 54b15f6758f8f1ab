"""A model of the linked system: the Orders API's orders and the suppliers' dropship feeds.

Pure Python, written from the documents (002's walkthrough and Figure 2, 003/004 §Order, §Item,
§ItemStatus, 000/001 on the feed), not from the sandbox: a retailer's order is Created, may be
made Pending, and is Processed once; Process gives each supplier with DropShip items of the
order one dropship order, whose order-created in that supplier's feed holds that supplier's
DropShip items and nothing else (LINK-001..003); a supplier's status update adds one
order-status-updated to its own feed and shows on the order's items of the same SKU
(LINK-004, LINK-005). Whatever the documents leave open (the item statuses Process sets, a
refused update) the model does not predict: it answers None, and the caller judges nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from dropship_conformance.errors import ConformanceError

STATES = ("Created", "Pending", "Processed", "Cancelled", "Completed")
CHANGEABLE = ("Created", "Pending")
DEFAULT_EXPIRY_HOURS = 72  # 003/004 Order: "Defaults to 72 hours"
DROPSHIP = 1  # 004 §ItemType
# LINK-004: a supplier status -> the DropShip ItemStatusId of the same name (004 §ItemStatus).
LINKED_STATUS = {"Cancelled": 2, "Ordered": 4, "Error": 5, "NotAvailable": 6, "Shipped": 7}
# 004 §OVERVIEW: the manual transitions of PUT Order.
MANUAL = {("Created", "Pending"), ("Created", "Created"), ("Pending", "Pending")}


class Refused(ConformanceError):
    """The documents refuse this change (the state machine or expiry): 409 on a target."""


@dataclass
class Item:
    sku: str
    item_type: int
    supplier: int | None
    quantity: int
    description: str | None = None
    price: Decimal | None = None
    status_id: int | None = None  # None: the documents do not say (after Process, say)
    tracking: list[str] = field(default_factory=list)

    @property
    def dropship(self) -> bool:
        return self.item_type == DROPSHIP and self.supplier is not None


@dataclass
class Order:
    id: str
    company: int
    state: str = "Created"
    expiry_hours: int = DEFAULT_EXPIRY_HOURS
    elapsed_hours: float = 0.0
    items: dict[str, Item] = field(default_factory=dict)
    # supplier -> its dropship order id, once the feed showed it (None: not yet seen).
    dropship: dict[int, str | None] = field(default_factory=dict)

    @property
    def expired(self) -> bool:
        return self.elapsed_hours >= self.expiry_hours

    def of(self, supplier: int) -> list[Item]:
        """The DropShip items of ``supplier``: what its order-created holds (LINK-002/003)."""
        return [i for i in self.items.values() if i.dropship and i.supplier == supplier]


@dataclass(frozen=True)
class Event:
    """An entry a supplier's feed must gain: its kind and the Orders API order behind it."""

    kind: str  # "order-created" or "order-status-updated"
    order_id: str
    supplier: int


@dataclass
class LinkedSystem:
    orders: dict[str, Order] = field(default_factory=dict)
    feeds: dict[int, list[Event]] = field(default_factory=dict)

    # ---- Orders API
    def create(
        self,
        order_id: str,
        company: int,
        items: Iterable[Item] = (),
        expiry_hours: int = DEFAULT_EXPIRY_HOURS,
    ) -> Order:
        order = Order(order_id, company, expiry_hours=expiry_hours)
        order.items = {i.sku: i for i in items}
        self.orders[order_id] = order
        return order

    def _changeable(self, order_id: str) -> Order:
        order = self.orders[order_id]
        if order.expired or order.state not in CHANGEABLE:
            raise Refused(f"order {order_id} is {order.state}, expired: {order.expired}")
        return order

    def add_item(self, order_id: str, item: Item) -> None:
        self._changeable(order_id).items[item.sku] = item

    def update(self, order_id: str, state: str | None) -> None:
        """PUT Order: ``state`` None keeps the state."""
        order = self._changeable(order_id)
        if state is not None and (order.state, state) not in MANUAL:
            raise Refused(f"{order.state} -> {state} is no manual transition")
        order.state = state or order.state

    def full_update(self, order_id: str, items: Iterable[Item]) -> None:
        """PUT OrderFull with every current item and ``items``: either reading of
        DEV-ORDERFULL-ITEMS (replace or merge) then gives the same list."""
        order = self._changeable(order_id)
        order.items.update({i.sku: i for i in items})

    def advance(self, hours: float) -> None:
        for order in self.orders.values():
            order.elapsed_hours += hours

    def process(self, order_id: str) -> dict[int, list[Item]]:
        """Process: the order-created each supplier's feed gains, by supplier."""
        order = self._changeable(order_id)
        order.state = "Processed"
        created: dict[int, list[Item]] = {}
        for item in order.items.values():
            if item.dropship and item.supplier is not None:
                created.setdefault(item.supplier, []).append(item)
                # The status Process gives an item no document states.
                item.status_id = None
        for supplier in created:
            order.dropship[supplier] = None
            self.feeds.setdefault(supplier, []).append(Event("order-created", order_id, supplier))
        return created

    def suppliers_without_event(self, order_id: str, suppliers: Iterable[int]) -> list[int]:
        """Of ``suppliers``, those whose feed must show no order-created for the order."""
        order = self.orders[order_id]
        return [s for s in suppliers if s not in order.dropship]

    # ---- Supplier Orders API
    def status_update(
        self, order_id: str, supplier: int, lines: Iterable[tuple[str, str, tuple[str, ...]]]
    ) -> list[Item]:
        """An accepted update of ``supplier``'s dropship order: ``lines`` (sku, status, tracking
        numbers), or one line with sku "" for an order-level update of every item. Returns the
        items it must show on (LINK-004/005) and adds the order-status-updated it feeds."""
        order = self.orders[order_id]
        own = order.of(supplier)
        touched = []
        for sku, status, tracking in lines:
            for item in own if sku == "" else [i for i in own if i.sku == sku]:
                if status in LINKED_STATUS:
                    item.status_id = LINKED_STATUS[status]
                if tracking:
                    # DS-TRK-002 (001 §Multiple Shiments): a later TrackingInfo replaces the
                    # earlier one, never merged or appended.
                    item.tracking = list(tracking)
                touched.append(item)
        self.feeds.setdefault(supplier, []).append(
            Event("order-status-updated", order_id, supplier)
        )
        return touched

    def events(self, supplier: int, order_id: str, kind: str) -> int:
        """How many entries of ``kind`` for the order ``supplier``'s feed must have gained."""
        return sum(
            1 for e in self.feeds.get(supplier, []) if e.order_id == order_id and e.kind == kind
        )
