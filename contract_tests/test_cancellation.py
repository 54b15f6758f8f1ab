"""Cancellation suite (002 §3.2 Cancelling an Order): the supplier cancels a whole dropship order
(OrderStatusUpdate, Status Cancelled by name or by its id 7) or one item (ItemStatusUpdate); each
is accepted, echoed and fed as an order-status-updated with status Cancelled, and on an order
made through the Orders API the items show Cancelled (ASSUME-ORDERS-TO-DROPSHIP). On the Orders
API side an order can be cancelled only when Pending (004 §OVERVIEW): from any other state the
update answers 409 with the documented message and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import pytest

from dropship_conformance import openapi
from dropship_conformance.client import DropshipClient, OrdersClient, Reply, SandboxControl
from dropship_conformance.feed import events
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder, TestData
from dropship_conformance.harness.updates import (
    GUID,
    describe,
    eventually,
    put_in_either_edition,
    status_name,
    wait_seconds,
)
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.cancellation

JSON = "application/json"
CANCELLED = "Cancelled"
TRANSITION = "Resource state transition from {x} to {y} is invalid"
# LINK-004: a supplier's Cancelled shows as the DropShip ItemStatus Cancelled (id 2).
LINKED_CANCELLED = (2, "Cancelled")
# JSON field of an update -> element of the fed item-information.
FED_AS = {
    "Status": "status",
    "Quantity": "quantity",
    "TrackingInfo": "tracking-info",
    "ShippingProvider": "shipping-provider",
    "Message": "message",
    "Info": "info",
    "CatalogId": "catalog-id",
}
# Elements a whole-order update carries from the order itself, not from the body (DS-UPD-006).
FROM_THE_ORDER = ("Quantity", "CatalogId")
# How a cancellation names the status: by name or by id (DEV-STATUS-NAME-OR-ID).
STATUSES = [pytest.param("Cancelled", id="by-name"), pytest.param(7, id="by-id-7")]
# Through the sandbox control API, or as a retailer would through the Orders API (linked).
ORIGINS = [
    pytest.param(False, id="order"),
    pytest.param(True, id="linked", marks=pytest.mark.requirements("LINK-004")),
]


# ---------------------------------------------------------------- comparing by meaning


def number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def same(field: str, sent: Any, found: Any, *, fed: bool) -> bool:
    """A sent value against its echo (``fed`` False) or its feed element (``fed`` True)."""
    if sent is None:
        return found is None
    if field == "Status":
        return status_name(sent) is not None and (
            found == status_name(sent) if fed else status_name(found) == status_name(sent)
        )
    if field == "Quantity":
        return number(found) is not None and number(found) == number(sent)
    if field in ("Id", "CatalogId"):
        return isinstance(found, str) and found.lower() == str(sent).lower()
    return found == sent


# ---------------------------------------------------------------- the supplier's update


def send_update(
    dropship: DropshipClient,
    expect: Expect,
    operation: str,
    order_id: str,
    body: dict[str, Any],
    requirements: tuple[str, str],
) -> dict[str, Any]:
    """PUT the cancellation; judge acceptance (DS-UPD-007), the echo and 202.

    The body the server accepted is returned (an item resent with TrackingInfo to a server
    following 000, DS-ITEM-009).
    """
    echo_rule, accepted_rule = requirements
    reply, body = put_in_either_edition(dropship, expect, operation, order_id, body)
    for requirement_id in ("DS-UPD-007", echo_rule):
        expect.that(
            requirement_id,
            200 <= reply.status < 300,
            expected=f"{operation} with Status {body_status(body)!r} accepted (2xx)",
            found=describe(reply),
        )
    expect.that(
        echo_rule,
        reply.media_type == JSON,
        expected=f"the echo with Content-Type {JSON}",
        found=repr(reply.headers.get("content-type")),
    )
    try:
        echo = reply.json()
    except ValueError as error:
        expect.that(echo_rule, False, expected="a JSON echo of the update", found=str(error))
        raise
    op = openapi.operation(operation)
    expect.none_of(
        echo_rule,
        openapi.validate(op.api, openapi.response_pointer(op, 202) or "", echo),
        expected=f"the echo validates against the {operation} response schema",
    )
    expect.none_of(echo_rule, echo_problems(body, echo), expected="every sent field echoed")
    expect.equal(accepted_rule, reply.status, 202, what="status of the accepted cancellation")
    return body


def body_status(body: dict[str, Any]) -> Any:
    return body.get("Status", (body.get("ItemInformation") or [{}])[0].get("Status"))


def echo_problems(sent: dict[str, Any], echo: Any, where: str = "") -> list[str]:
    """Every sent field back unchanged by meaning (extra fields allowed, DEV-ECHO-ENRICHED)."""
    if not isinstance(echo, dict):
        return [f"{where or 'body'}: echoed {echo!r:.200}, not an object"]
    problems = []
    for field, value in sent.items():
        if field == "ItemInformation":
            echoed = echo.get(field)
            by_sku = {e.get("Sku"): e for e in echoed or [] if isinstance(e, dict)}
            for info in value:
                match = by_sku.get(info["Sku"])
                if match is None:
                    problems.append(f"ItemInformation Sku {info['Sku']!r} missing from the echo")
                else:
                    problems += echo_problems(info, match, f"ItemInformation[{info['Sku']}].")
        elif field not in echo or not same(field, value, echo[field], fed=False):
            problems.append(f"{where}{field}: sent {value!r}, echoed {echo.get(field, '-')!r}")
    return problems


def fed_update(testdata: TestData, order_id: str, wait: float) -> dict[str, Any] | None:
    """The newest order-status-updated of ``order_id`` (a fresh order: the test's own)."""

    def newest() -> dict[str, Any] | None:
        for entry in testdata.recent_entries():
            if (
                entry.payload_kind == "order-status-updated"
                and str(entry.order_id or "").lower() == order_id.lower()
            ):
                return events.to_value(entry.payload)
        return None

    return eventually(newest, lambda value: value is not None, wait)


def cancelled_items_fed(
    expect: Expect, requirement_id: str, fed: dict[str, Any] | None, order_id: str
) -> list[dict[str, Any]]:
    expect.that(
        requirement_id,
        fed is not None,
        expected=f"an order-status-updated for order {order_id} in the supplier's feed",
        found="none in the current document and the newest archives",
    )
    assert fed is not None
    return [item for item in fed.get("items") or [] if isinstance(item, dict)]


def linked_problems(orders: OrdersClient, order: DropshipOrder, skus: list[str]) -> list[str]:
    """LINK-004: the Orders API items with these SKUs show ItemStatus Cancelled (2)."""
    assert order.linked_order_id is not None
    reply = orders.list_items(order.linked_order_id)
    if reply.status != 200:
        return [f"GET Items of order {order.linked_order_id}: {describe(reply)}"]
    items = {str(i.get("SKU")): i for i in reply.json() if isinstance(i, dict)}
    problems = []
    for sku in skus:
        item = items.get(sku)
        if item is None:
            problems.append(f"no Orders API item with SKU {sku}")
        elif (item.get("ItemStatusId"), item.get("ItemStatus")) != LINKED_CANCELLED:
            problems.append(
                f"item {sku}: ItemStatusId {item.get('ItemStatusId')!r} ItemStatus "
                f"{item.get('ItemStatus')!r}, expected {LINKED_CANCELLED}"
            )
    return problems


def judge_linked(
    testdata: TestData,
    orders: OrdersClient,
    expect: Expect,
    order: DropshipOrder,
    skus: list[str],
    wait: float,
) -> None:
    if order.linked_order_id is None:
        return
    problems = testdata.await_link(
        lambda: linked_problems(orders, order, skus), lambda p: {"LINK-004": p}, wait
    )
    expect.none_of(
        "LINK-004", problems, expected=f"Orders API items {skus} show {LINKED_CANCELLED}"
    )


# ---------------------------------------------------------------- tests: the supplier cancels


@pytest.mark.requirements("DS-UPD-001", "DS-UPD-002", "DS-UPD-006", "DS-UPD-007", "DS-UPD-008")
@pytest.mark.parametrize("linked", ORIGINS)
@pytest.mark.parametrize("status", STATUSES)
def test_supplier_cancels_the_whole_order(
    status: str | int,
    linked: bool,
    testdata: TestData,
    dropship: DropshipClient,
    orders: OrdersClient,
    target: Target,
    expect: Expect,
) -> None:
    order = testdata.new_order(linked=linked)
    body = {
        "Id": order.order_id,
        "Status": status,
        "Message": "Cancelled at the retailer's request",
    }
    send_update(
        dropship,
        expect,
        "putOrderStatusUpdate",
        order.order_id,
        body,
        ("DS-UPD-001", "DS-UPD-002"),
    )
    wait = wait_seconds(target)
    items = cancelled_items_fed(
        expect, "DS-UPD-007", fed_update(testdata, order.order_id, wait), order.order_id
    )
    ordered = {item["sku"]: item for item in order.created.get("items") or []}
    fed_skus = sorted(str(item.get("sku")) for item in items)
    shape = [] if fed_skus == sorted(ordered) else [f"skus {fed_skus}, order {sorted(ordered)}"]
    problems = []
    for item in items:
        sku = str(item.get("sku"))
        quantity = number(item.get("quantity"))
        if sku in ordered and quantity not in (None, number(ordered[sku]["quantity"])):
            shape.append(f"item {sku}: quantity {item.get('quantity')!r}, ordered")
        for field, element in FED_AS.items():
            if field not in FROM_THE_ORDER and not same(
                field, body.get(field), item.get(element), fed=True
            ):
                found = problems if field in body else shape
                found.append(
                    f"item {sku}: {element} {item.get(element)!r}, sent {body.get(field)!r}"
                )
    expect.none_of(
        "DS-UPD-006", problems, expected="every fed item carries what the cancellation sent"
    )
    expect.none_of(
        "DS-UPD-008",
        shape,
        expected="one item-information per item of the order, values not sent nil or absent",
    )
    expect.that(
        "DS-UPD-007",
        bool(items) and all(item.get("status") == CANCELLED for item in items),
        expected="the cancellation recorded in the feed with status Cancelled",
        found=f"statuses {[item.get('status') for item in items]}",
    )
    judge_linked(testdata, orders, expect, order, sorted(ordered), wait)


@pytest.mark.requirements("DS-ITEM-001", "DS-ITEM-002", "DS-EVT-006", "DS-EVT-010", "DS-UPD-007")
@pytest.mark.parametrize("linked", ORIGINS)
@pytest.mark.parametrize("status", STATUSES)
def test_supplier_cancels_one_item(
    status: str | int,
    linked: bool,
    testdata: TestData,
    dropship: DropshipClient,
    orders: OrdersClient,
    target: Target,
    expect: Expect,
) -> None:
    order = testdata.new_order(linked=linked)
    first = (order.created.get("items") or [{}])[0]
    info: dict[str, Any] = {
        "Sku": first.get("sku"),
        "Status": status,
        "Quantity": int(number(first.get("quantity")) or 1),
        "Message": "Discontinued by the manufacturer",
    }
    # Sent, catalog-id and quantity are judged by DS-EVT-006, not by what DS-EVT-010 allows
    # a server to fill in.
    if GUID.match(str(first.get("catalog-id"))):
        info["CatalogId"] = first["catalog-id"]
    body = {"Id": order.order_id, "ItemInformation": [info]}
    body = send_update(
        dropship,
        expect,
        "putItemStatusUpdate",
        order.order_id,
        body,
        ("DS-ITEM-001", "DS-ITEM-002"),
    )
    wait = wait_seconds(target)
    items = cancelled_items_fed(
        expect, "DS-UPD-007", fed_update(testdata, order.order_id, wait), order.order_id
    )
    info = body["ItemInformation"][0]
    shape = [] if len(items) == 1 else [f"{len(items)} item-information fed for 1 sent"]
    problems = []
    for item in items:
        for field, element in FED_AS.items():
            if not same(field, info.get(field), item.get(element), fed=True):
                found = problems if field in info else shape
                found.append(f"{element} {item.get(element)!r}, sent {info.get(field)!r}")
    expect.none_of("DS-EVT-006", problems, expected="the fed item carries what was sent")
    expect.none_of(
        "DS-EVT-010", shape, expected="one item-information, values not sent nil or absent"
    )
    expect.that(
        "DS-UPD-007",
        bool(items) and all(item.get("status") == CANCELLED for item in items),
        expected=f"item {info['Sku']} recorded in the feed with status Cancelled",
        found=f"statuses {[item.get('status') for item in items]}",
    )
    judge_linked(testdata, orders, expect, order, [str(info["Sku"])], wait)


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
            pytest.skip("reaching this state needs the sandbox control API (force_state)")
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


@pytest.mark.requirements("ORD-STATE-002", "ORD-ERR-007")
@pytest.mark.parametrize(("steps", "state", "answers"), CANCEL_FROM)
def test_orders_api_cancels_only_pending_orders(
    steps: tuple[str, ...],
    state: str,
    answers: tuple[int, ...],
    target: Target,
    orders: OrdersClient,
    control: SandboxControl | None,
    expect: Expect,
) -> None:
    body = _order_body(target)
    created = orders.create_order(body)
    if created.status != 201:
        pytest.skip(f"cannot create an order: {describe(created)}")
    order = created.json()
    for step in steps:
        reply = _step(orders, control, target.settings.company_id, order, body, step)
        if not 200 <= reply.status < 300:
            pytest.skip(f"cannot bring the order to {state} ({step}): {describe(reply)}")
    reply = orders.update_order(order["Id"], {**body, "Id": order["Id"], "State": CANCELLED})
    expect.that(
        "ORD-STATE-002",
        reply.status in answers,
        expected=f"State Cancelled on a {state} order answers {' or '.join(map(str, answers))}",
        found=describe(reply),
    )
    answer = reply.status
    try:
        answered = reply.json()
    except ValueError:
        answered = None
    expect.none_of(
        "ORD-STATE-002" if answer < 400 else "ORD-ERR-007",
        openapi.validate_response("updateOrder", reply.status, answered),
        expected=f"the updateOrder {reply.status} body validates against the OpenAPI",
    )
    if answer == 409:
        message = TRANSITION.format(x=state, y=CANCELLED)
        expect.equal(
            "ORD-ERR-007",
            answered.get("Message") if isinstance(answered, dict) else None,
            message,
            what="Message",
        )
    after = orders.get_order(order["Id"])
    now = after.json().get("State") if after.status == 200 else f"GET answered {after.status}"
    expect.equal(
        "ORD-STATE-002",
        now,
        CANCELLED if answer == 200 else state,
        what="State after the update (GET Order)",
    )
