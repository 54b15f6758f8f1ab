"""Cancellation suite (002 §3.2 Cancelling an Order): the supplier cancels a whole dropship order
(OrderStatusUpdate, Status Cancelled by name or by its id 7) or one item (ItemStatusUpdate); each
is accepted, echoed and fed as an order-status-updated with status Cancelled, and on an order
made through the Orders API the items show Cancelled (ASSUME-ORDERS-TO-DROPSHIP). On the Orders
API side an order can be cancelled only when Pending (004 §OVERVIEW): from any other state the
update answers 409 with the documented message and changes nothing.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from dropship_conformance.checks import ids, shipment
from dropship_conformance.checks.primitives import describe, number, same_guid
from dropship_conformance.checks.shipment import BODY_VALIDATES
from dropship_conformance.client import DropshipClient, OrdersClient, Reply, SandboxControl
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.feed import events
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder, TestData
from dropship_conformance.harness.updates import (
    catalog,
    eventually,
    items_body,
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


def fed_update(testdata: TestData, order_id: str, wait: float) -> dict[str, Any] | None:
    """The newest order-status-updated of ``order_id`` (a fresh order: the test's own)."""

    def newest() -> dict[str, Any] | None:
        for entry in testdata.recent_entries():
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
        fed = fed_update(self.testdata, order.order_id, self.wait)
        shipment.cancellation_fed(self.expect, order.order_id, fed)
        assert fed is not None
        return accepted, [item for item in fed.get("items") or [] if isinstance(item, dict)]

    def judge_linked(self, order: DropshipOrder, skus: list[str]) -> None:
        """LINK-004: the Orders API items with these SKUs show ItemStatus Cancelled (2)."""
        if order.linked_order_id is None:
            return
        wanted = dict.fromkeys(skus, CANCELLED)

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


# ---------------------------------------------------------------- tests: the supplier cancels


@pytest.mark.requirements(
    ids.DS_UPD_001, ids.DS_UPD_002, ids.DS_UPD_006, ids.DS_UPD_007, ids.DS_UPD_008
)
@pytest.mark.parametrize(("status", "linked"), SUPPLIER_CANCELS)
def test_supplier_cancels_the_whole_order(
    status: str | int, linked: bool, supplier: Supplier, expect: Expect
) -> None:
    order = supplier.testdata.new_order(linked=linked)
    body = {
        "Id": order.order_id,
        "Status": status,
        "Message": "Cancelled at the retailer's request",
    }
    body, items = supplier.cancel(order, "putOrderStatusUpdate", body)
    ordered_items = order.created.get("items") or []
    shipment.CANCELLED_AS_SENT.under(ids.DS_UPD_006)(expect, body, items)
    shipment.cancelled_order_whole(expect, ordered_items, body, items)
    shipment.recorded_cancelled(expect, "the cancellation", items)
    supplier.judge_linked(order, sorted(item["sku"] for item in ordered_items))


@pytest.mark.requirements(
    ids.DS_ITEM_001, ids.DS_ITEM_002, ids.DS_EVT_006, ids.DS_EVT_010, ids.DS_UPD_007
)
@pytest.mark.parametrize(("status", "linked"), SUPPLIER_CANCELS)
def test_supplier_cancels_one_item(
    status: str | int, linked: bool, supplier: Supplier, expect: Expect
) -> None:
    order = supplier.testdata.new_order(linked=linked)
    first = (order.created.get("items") or [{}])[0]
    # Sent, catalog-id and quantity are judged by DS-EVT-006, not by what DS-EVT-010 allows a
    # server to fill in.
    info: dict[str, Any] = {
        "Sku": first.get("sku"),
        "Status": status,
        "Quantity": int(number(first.get("quantity")) or 1),
        "Message": "Discontinued by the manufacturer",
        **catalog(order, str(first.get("sku"))),
    }
    body, items = supplier.cancel(order, "putItemStatusUpdate", items_body(order, info))
    info = body["ItemInformation"][0]
    shipment.CANCELLED_AS_SENT.under(ids.DS_EVT_006)(expect, info, items)
    shipment.cancelled_item_alone(expect, info, items)
    shipment.recorded_cancelled(expect, f"item {info['Sku']}", items)
    supplier.judge_linked(order, [str(info["Sku"])])


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
    body = _order_body(target)
    created = orders.create_order(body)
    if created.status != 201:
        raise SetupImpossible(f"cannot create an order: {describe(created)}")
    order = created.json()
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
