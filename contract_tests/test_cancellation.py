"""Cancellation suite (002 §3.2 Cancelling an Order): the supplier cancels a whole dropship order
(OrderStatusUpdate, Status Cancelled by name or by its id 7) or one item (ItemStatusUpdate); each
is accepted, echoed and fed as an order-status-updated with status Cancelled, and on an order
made through the Orders API the items show Cancelled (ASSUME-ORDERS-TO-DROPSHIP). On the Orders
API side an order can be cancelled only when Pending (004 §OVERVIEW): from any other state the
update answers 409 with the documented message and changes nothing. Both sides run again over
generated orders (harness.generated): several suppliers, many items, several SKUs in one update.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import strategies as st

from dropship_conformance.checks import ids, shipment
from dropship_conformance.checks import updates as checks
from dropship_conformance.checks.primitives import describe, number, same_guid, status_name
from dropship_conformance.checks.shipment import BODY_VALIDATES
from dropship_conformance.client import DropshipClient, OrdersClient, Reply, SandboxControl
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.feed import events
from dropship_conformance.harness import shapes
from dropship_conformance.harness.generated import (
    created_order,
    over_shapes,
    shaped_order,
    suppliers,
)
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder, TestData
from dropship_conformance.harness.updates import (
    catalog,
    eventually,
    item_information,
    items_body,
    new_tracking,
    send_update,
    wait_seconds,
)
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.cancellation

CANCELLED = "Cancelled"
# (status, linked): Cancelled by name or by its id 7 (DEV-STATUS-NAME-OR-ID), on an order made
# through the sandbox control API or, as a retailer would, through the Orders API (linked).
SUPPLIER_CANCELS = [
    pytest.param(status, linked, id=f"{name}-{origin}", marks=marks)
    for status, name in (("Cancelled", "by-name"), (7, "by-id-7"))
    for linked, origin, marks in (
        (False, "order", ()),
        (True, "linked", pytest.mark.requirements(ids.LINK_004)),
    )
]


def fed_update(
    testdata: TestData, order_id: str, wait: float, **feed: Any
) -> dict[str, Any] | None:
    """The newest order-status-updated of ``order_id`` (a fresh order: the test's own) in the
    feed ``feed`` reads (:meth:`TestData.feed_options`)."""

    def newest() -> dict[str, Any] | None:
        for entry in testdata.recent_entries(**feed):
            if entry.payload_kind == "order-status-updated" and same_guid(
                str(entry.order_id or ""), order_id
            ):
                return events.to_value(entry.payload)
        return None

    return eventually(newest, lambda value: value is not None, wait)


def linked_items(orders: OrdersClient, order: DropshipOrder) -> dict[str, dict[str, Any]] | str:
    """The Orders API items by SKU, or why they could not be read (judged as LINK-004's)."""
    assert order.linked_order_id is not None
    reply = orders.list_items(order.linked_order_id)
    if reply.status != 200:
        return f"GET Items of order {order.linked_order_id}: {describe(reply)}"
    return {str(i.get("SKU")): i for i in reply.json() if isinstance(i, dict)}


@dataclasses.dataclass(frozen=True)
class Supplier:
    """The supplier cancelling an order: the update sent, its feed entry, the linked order."""

    testdata: TestData
    dropship: DropshipClient
    orders: OrdersClient
    expect: Expect
    wait: float

    def cancel(
        self, order: DropshipOrder, operation: str, body: dict[str, Any]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """PUT the cancellation and judge its answer; the body accepted and the items fed."""
        accepted = send_update(
            self.dropship,
            self.expect,
            operation,
            order.order_id,
            body,
            (ids.DS_UPD_007,),
            by_field=False,
        )
        # The client's own feed: a generated order's other supplier reads its own.
        other = int(self.dropship.supplier_id) != self.testdata.target.settings.supplier_id
        fed = fed_update(
            self.testdata, order.order_id, self.wait, **self.testdata.feed_options(other)
        )
        shipment.cancellation_fed(self.expect, order.order_id, fed)
        assert fed is not None
        return accepted, [item for item in fed.get("items") or [] if isinstance(item, dict)]

    def cancel_order(self, order: DropshipOrder, status: str | int) -> None:
        """OrderStatusUpdate Cancelled: echoed, fed for every item, shown on the linked order."""
        body = {
            "Id": order.order_id,
            "Status": status,
            "Message": "Cancelled at the retailer's request",
        }
        body, items = self.cancel(order, "putOrderStatusUpdate", body)
        ordered_items = order.created.get("items") or []
        shipment.CANCELLED_AS_SENT.under(ids.DS_UPD_006)(self.expect, body, items)
        shipment.cancelled_order_whole(self.expect, ordered_items, body, items)
        shipment.recorded_cancelled(self.expect, "the cancellation", items)
        skus = sorted(item["sku"] for item in ordered_items)
        self.judge_linked(order, dict.fromkeys(skus, CANCELLED))

    def cancel_items(self, order: DropshipOrder, infos: list[dict[str, Any]]) -> None:
        """One ItemStatusUpdate of several lines, some Cancelled: each line judged as
        test_supplier_cancels_one_item judges its one line, against the item-information fed
        with its Sku; DS-EVT-010 over the whole entry (``checks.unsent_fed``), since extra
        item-information belong to no line."""
        body, items = self.cancel(order, "putItemStatusUpdate", items_body(order, *infos))
        sent = body["ItemInformation"]
        checks.every_sku_fed(self.expect, sent, items)
        for info in sent:
            own = [item for item in items if item.get("sku") == info["Sku"]]
            shipment.CANCELLED_AS_SENT.under(ids.DS_EVT_006)(self.expect, info, own)
            if status_name(info["Status"]) == CANCELLED:
                shipment.recorded_cancelled(self.expect, f"item {info['Sku']}", own)
        ordered = order.created.get("items") or []
        # The newest entry alone, as fed_update reads it.
        fed = [{"items": items}]
        checks.unsent_values_nil(self.expect, checks.unsent_fed(ordered, sent, fed))
        wanted = {str(info["Sku"]): str(status_name(info["Status"])) for info in sent}
        self.judge_linked(order, wanted)

    def judge_linked(self, order: DropshipOrder, wanted: Mapping[str, str]) -> None:
        """LINK-004: the Orders API items with these SKUs show the DropShip ItemStatus of the
        supplier status sent (Cancelled is 2)."""
        if order.linked_order_id is None:
            return

        def problems(items: dict[str, dict[str, Any]] | str) -> dict[str, list[str]]:
            if isinstance(items, str):
                return {ids.LINK_004: [items]}
            return {ids.LINK_004: shipment.linked_status_problems(items, wanted)}

        items = self.testdata.await_link(
            lambda: linked_items(self.orders, order), problems, self.wait
        )
        shipment.linked_status_shown(self.expect, {} if isinstance(items, str) else items, wanted)


@pytest.fixture
def supplier(
    testdata: TestData,
    dropship: DropshipClient,
    orders: OrdersClient,
    target: Target,
    expect: Expect,
) -> Supplier:
    return Supplier(testdata, dropship, orders, expect, wait_seconds(target))


def cancelled_item(order: DropshipOrder, item: dict[str, Any], status: str | int) -> dict[str, Any]:
    """The ItemInformation cancelling ``item`` (an order-created or sent item)."""
    # Sent, catalog-id and quantity are judged by DS-EVT-006, not by what DS-EVT-010 allows a
    # server to fill in.
    return {
        "Sku": item.get("sku"),
        "Status": status,
        "Quantity": int(number(item.get("quantity")) or 1),
        "Message": "Discontinued by the manufacturer",
        **catalog(order, str(item.get("sku"))),
    }


# ---------------------------------------------------------------- tests: the supplier cancels


@pytest.mark.requirements(
    ids.DS_UPD_001, ids.DS_UPD_002, ids.DS_UPD_006, ids.DS_UPD_007, ids.DS_UPD_008
)
@pytest.mark.parametrize(("status", "linked"), SUPPLIER_CANCELS)
def test_supplier_cancels_the_whole_order(
    status: str | int, linked: bool, supplier: Supplier, expect: Expect
) -> None:
    supplier.cancel_order(supplier.testdata.new_order(linked=linked), status)


@pytest.mark.requirements(
    ids.DS_ITEM_001, ids.DS_ITEM_002, ids.DS_EVT_006, ids.DS_EVT_010, ids.DS_UPD_007
)
@pytest.mark.parametrize(("status", "linked"), SUPPLIER_CANCELS)
def test_supplier_cancels_one_item(
    status: str | int, linked: bool, supplier: Supplier, expect: Expect
) -> None:
    order = supplier.testdata.new_order(linked=linked)
    first = (order.created.get("items") or [{}])[0]
    info = cancelled_item(order, first, status)
    body, items = supplier.cancel(order, "putItemStatusUpdate", items_body(order, info))
    info = body["ItemInformation"][0]
    shipment.CANCELLED_AS_SENT.under(ids.DS_EVT_006)(expect, info, items)
    shipment.cancelled_item_alone(expect, info, items)
    shipment.recorded_cancelled(expect, f"item {info['Sku']}", items)
    supplier.judge_linked(order, {str(info["Sku"]): CANCELLED})


@dataclasses.dataclass(frozen=True)
class Cancels:
    """What one supplier of a generated order sends: Cancelled for the whole order (``skus``
    empty) or for the items of ``skus``, the items of ``shipped`` Shipped in the same update."""

    status: str | int
    skus: tuple[str, ...]
    shipped: tuple[str, ...]


def cancellations(
    shape: shapes.OrderShape, rich_first: bool
) -> st.SearchStrategy[tuple[tuple[int, Cancels], ...]]:
    """Each supplier's cancellation of ``shape``, by name or by id 7 as SUPPLIER_CANCELS.

    Rich first, every supplier item by item, one SKU Cancelled and the others Shipped, named
    against the order's own order: one update then names several SKUs of mixed statuses, which
    a server matching lines by position gets wrong. In the natural order a failure shrinks
    towards the whole order and one SKU, the fixed tests' requests."""

    def of(supplier: int) -> st.SearchStrategy[tuple[int, Cancels]]:
        skus = [i.sku for i in shape.items if i.dropship and i.supplier == supplier]
        status = st.sampled_from((CANCELLED, 7))
        ship = st.booleans().map(lambda left: not left) if rich_first else st.booleans()
        some = st.builds(
            lambda status, n, named, shipped: Cancels(
                status,
                tuple(named[:n]),
                tuple(sku for sku, yes in zip(named[n:], shipped, strict=False) if yes),
            ),
            status,
            shapes.count(1, len(skus), rich_first=False),
            st.permutations(skus).map(lambda named: named[::-1] if rich_first else named),
            st.lists(ship, min_size=len(skus), max_size=len(skus)),
        )
        whole = st.builds(Cancels, status, st.just(()), st.just(()))
        return (some if rich_first else st.one_of(whole, some)).map(lambda c: (supplier, c))

    return st.tuples(*(of(supplier) for supplier in sorted(shape.suppliers)))


@pytest.mark.requirements(
    ids.DS_UPD_001,
    ids.DS_UPD_002,
    ids.DS_UPD_006,
    ids.DS_UPD_007,
    ids.DS_UPD_008,
    *checks.ITEM_UPDATE_RULES,
    ids.LINK_004,
)
def test_cancellation_over_generated_shapes(
    supplier: Supplier, target: Target, expect: Expect
) -> None:
    """002 §3.2 over generated orders (several suppliers, many items, quantities above 1):
    every supplier cancels its dropship order whole, or some of its items in an update that
    may report others Shipped; each update is judged as the fixed-shape tests judge theirs."""
    Drawn = tuple[shapes.OrderShape, tuple[tuple[int, Cancels], ...]]

    def cancel(expect: Expect, drawn: Drawn) -> None:
        shape, plans = drawn
        order = shaped_order(supplier.testdata, shape)
        made = {item.sku: placed.sku for item, placed in zip(shape.items, order.items, strict=True)}
        for supplier_id, cancels in plans:
            placed = order.dropship[supplier_id]
            by = dataclasses.replace(supplier, dropship=order.clients[supplier_id], expect=expect)
            if not cancels.skus:
                by.cancel_order(placed, cancels.status)
                continue
            sent = {item["sku"]: item for item in placed.sent_items}
            tracking = {"TrackingInfo": new_tracking(), "ShippingProvider": "UPS"}
            lines = [cancelled_item(placed, sent[made[s]], cancels.status) for s in cancels.skus]
            lines += [item_information(placed, sent[made[s]], **tracking) for s in cancels.shipped]
            by.cancel_items(placed, lines)

    def drawn(rich_first: bool) -> st.SearchStrategy[Drawn]:
        return shapes.orders(suppliers(target), "C", rich_first=rich_first).flatmap(
            lambda shape: st.tuples(st.just(shape), cancellations(shape, rich_first))
        )

    over_shapes(target, expect, "cancellation", drawn, cancel)


# ---------------------------------------------------------------- tests: Orders API cancel


def _order_body(target: Target) -> dict[str, Any]:
    settings = target.settings
    return {
        "EntityId": settings.location_id,
        "OrderTypeId": 3,
        "BillingCustomerId": settings.billing_customer_id,
        "Name": "Cancellation",
    }


def _step(
    orders: OrdersClient,
    control: SandboxControl | None,
    company_id: int,
    order: dict[str, Any],
    body: dict[str, Any],
    step: str,
) -> Reply:
    """Bring the order one step on: a State by update, Process, or force (sandbox)."""
    if step == "Process":
        return orders.process_order(order["Id"])
    if step.startswith("force:"):
        if control is None:
            raise SetupImpossible("reaching this state needs the sandbox control API (force_state)")
        return control.force_state(company_id, order["Id"], step.removeprefix("force:"))
    return orders.update_order(order["Id"], {**body, "Id": order["Id"], "State": step})


# (steps that bring a new order to the state, the state, the answers allowed to State
# "Cancelled"). A Pending order may be cancelled (004 §OVERVIEW) or refused: 003/004 call only
# Created to Pending a manual transition and 002 §3.2 gives cancelling to the supplier.
CANCEL_FROM = [
    pytest.param((), "Created", (409,), id="from-Created"),
    pytest.param(("Pending",), "Pending", (200, 409), id="from-Pending"),
    pytest.param(("Process",), "Processed", (409,), id="from-Processed"),
    pytest.param(("Pending", "Cancelled"), "Cancelled", (409,), id="from-Cancelled"),
    pytest.param(("force:Completed",), "Completed", (409,), id="from-Completed"),
]
# PUT OrderFull is the sibling of PUT Order: in Created and Pending the same state rules hold
# (ORD-STATE-002 names both updates). Outside them any 4xx refuses it (ORD-FULL-005), which the
# siblings suite judges.
CANCELS = [
    *(pytest.param(*p.values, "updateOrder", id=p.id) for p in CANCEL_FROM),
    *(
        pytest.param(*p.values, "updateOrderFull", id=f"orderfull-{p.id}")
        for p in CANCEL_FROM
        if p.values[1] in ("Created", "Pending")
    ),
]


def cancel_in_state(
    target: Target,
    orders: OrdersClient,
    control: SandboxControl | None,
    expect: Expect,
    cell: tuple[tuple[str, ...], str, tuple[int, ...], str],
    items: tuple[shapes.ItemShape, ...] = (),
) -> None:
    """A new order with ``items`` brought to a state and cancelled as the CANCELS ``cell``
    says: answered as it allows (ORD-STATE-002), a refusal with 004's message (ORD-ERR-007),
    and the State GET Order shows after."""
    steps, state, answers, operation = cell
    body = _order_body(target)
    order, _ = created_order(target, body, items)
    for step in steps:
        reply = _step(orders, control, target.settings.company_id, order, body, step)
        if not 200 <= reply.status < 300:
            raise SetupImpossible(f"cannot bring the order to {state} ({step}): {describe(reply)}")
    update = orders.update_order_full if operation == "updateOrderFull" else orders.update_order
    reply = update(order["Id"], {**body, "Id": order["Id"], "State": CANCELLED})
    shipment.cancel_answered(expect, state, answers, reply)
    try:
        answered = reply.json()
    except ValueError:
        answered = None
    rule = ids.ORD_STATE_002 if reply.status < 400 else ids.ORD_ERR_007
    BODY_VALIDATES.under(rule)(expect, operation, reply.status, answered)
    if reply.status == 409:
        shipment.transition_refused(expect, state, answered)
    after = orders.get_order(order["Id"])
    now = after.json().get("State") if after.status == 200 else f"GET answered {after.status}"
    shipment.state_after(expect, now, CANCELLED if reply.status == 200 else state)


@pytest.mark.requirements(ids.ORD_STATE_002, ids.ORD_ERR_007)
@pytest.mark.parametrize(("steps", "state", "answers", "operation"), CANCELS)
def test_orders_api_cancels_only_pending_orders(
    steps: tuple[str, ...],
    state: str,
    answers: tuple[int, ...],
    operation: str,
    target: Target,
    orders: OrdersClient,
    control: SandboxControl | None,
    expect: Expect,
) -> None:
    cancel_in_state(target, orders, control, expect, (steps, state, answers, operation))


# The CANCELS cells an order reaches through the Orders API alone (no sandbox force).
REACHED = [p.values for p in CANCELS if p.values[1] in ("Created", "Pending", "Processed")]


@pytest.mark.requirements(ids.ORD_STATE_002, ids.ORD_ERR_007)
def test_orders_api_cancel_over_generated_shapes(
    target: Target,
    orders: OrdersClient,
    control: SandboxControl | None,
    expect: Expect,
) -> None:
    """004 §OVERVIEW over generated orders: items of several suppliers and types, quantities
    above 1, brought to a drawn state and cancelled by PUT Order or PUT OrderFull; judged as
    test_orders_api_cancels_only_pending_orders judges its cell."""
    Drawn = tuple[tuple[shapes.ItemShape, ...], Any]

    def cancel(expect: Expect, drawn: Drawn) -> None:
        items, cell = drawn
        cancel_in_state(target, orders, control, expect, cell, items)

    def drawn(rich_first: bool) -> st.SearchStrategy[Drawn]:
        # Rich first, PUT OrderFull: the sibling on which a server may forget the rule.
        cells = sorted(REACHED, key=lambda c: c[3] != "updateOrderFull") if rich_first else REACHED
        return st.tuples(
            shapes.items(suppliers(target), "O", rich_first=rich_first), st.sampled_from(cells)
        )

    over_shapes(target, expect, "Orders API cancellation", drawn, cancel)
