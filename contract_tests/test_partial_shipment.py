"""Partial-shipment suite: items of one dropship order ship separately (001 §Multiple
Shiments, 002 §Optional: Partially Shipping an Order). ItemStatusUpdates carry some items Shipped
and others BackOrdered, PartiallyShipped (6) repeats with quantities before Shipped (2), several
tracking numbers travel comma-delimited as one value, a later TrackingInfo replaces the earlier,
and on an order made through the Orders API each tracking number shows on its item.

The steps shared with the full-shipment suite live in dropship_conformance.harness.updates.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from dropship_conformance.client import DropshipClient, OrdersClient, Reply
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder, TestData
from dropship_conformance.harness.updates import (
    GUID,
    STATUS_NAMES,
    describe,
    fed_since,
    judge_answer,
    judge_items_fed,
    judge_order_fed,
    linked_items,
    linked_status_problems,
    linked_tracking_problems,
    order_updates,
    put_in_either_edition,
    send_update,
    wait_seconds,
)
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.partial_shipment


# ---------------------------------------------------------------- tests


def new_tracking(label: str) -> str:
    return f"1Z{label}{uuid.uuid4().hex[:10].upper()}"


def items_body(order_id: str, *infos: dict[str, Any]) -> dict[str, Any]:
    return {"Id": order_id, "ItemInformation": list(infos)}


def catalog(order: DropshipOrder, sku: str) -> dict[str, str]:
    """``CatalogId`` of the item as its order-created gives it, when that is a GUID.

    Sending it, as 001's example does, makes the feed's catalog-id a sent value; the rule that
    unsent values are fed nil is judged by test_item_with_only_status_and_sku_is_accepted.
    """
    for item in order.created.get("items") or []:
        if item.get("sku") == sku and GUID.match(str(item.get("catalog-id"))):
            return {"CatalogId": item["catalog-id"]}
    return {}


def update_step(
    dropship: DropshipClient,
    target: Target,
    expect: Expect,
    order: DropshipOrder,
    operation: str,
    body: dict[str, Any],
    unsent: list[str],
    accepted_by: tuple[str, ...] = (),
    fed_rule: str = "DS-EVT-006",
    by_name_if_refused: bool = False,
) -> dict[str, Any]:
    """Send one update, judge its answer and its feed entry; the entry's payload.

    ``by_name_if_refused``: the item statuses are ids, resent as names when refused
    (``put_by_id_or_name``).
    """
    before = set(order_updates(dropship, order.order_id))
    if by_name_if_refused:
        reply, body = put_by_id_or_name(dropship, expect, order.order_id, body)
        judge_answer(expect, operation, body, reply, accepted_by)
    else:
        body = send_update(dropship, expect, operation, order.order_id, body, accepted_by)
    fresh = fed_since(dropship, order.order_id, before, wait_seconds(target))
    supplier_id = target.settings.supplier_id
    if operation == "putOrderStatusUpdate":
        judge_order_fed(expect, order, body, fresh, supplier_id)
    else:
        judge_items_fed(expect, order, body, fresh, supplier_id, unsent, fed_rule)
    return fresh[0]


def put_by_id_or_name(
    dropship: DropshipClient, expect: Expect, order_id: str, body: dict[str, Any]
) -> tuple[Reply, dict[str, Any]]:
    """PUT an ItemStatusUpdate whose statuses are ids (001 §Multiple Shiments); refused, it is
    warned (DS-STAT-002: 000 documents names only) and resent with the statuses' names, so a
    names-only server is judged on the same update. Each attempt is made in either edition
    (``put_in_either_edition``). The deciding reply and body are returned."""
    operation = "putItemStatusUpdate"
    reply, sent = put_in_either_edition(dropship, expect, operation, order_id, body)
    expected = "item statuses sent by numeric id (001) accepted"
    if not 400 <= reply.status < 500:
        if 200 <= reply.status < 300:
            expect.that("DS-STAT-002", True, expected=expected, found=describe(reply))
        return reply, sent
    named = {
        **body,
        "ItemInformation": [
            {**info, "Status": STATUS_NAMES.get(info["Status"], info["Status"])}
            for info in body["ItemInformation"]
        ],
    }
    again, sent = put_in_either_edition(dropship, expect, operation, order_id, named)
    if 200 <= again.status < 300:
        expect.that(
            "DS-STAT-002",
            False,
            expected=expected,
            found=f"{describe(reply)}; accepted with the statuses' names",
        )
    return again, sent


def judge_unsent(expect: Expect, unsent: list[str]) -> None:
    expect.none_of(
        "DS-EVT-010",
        unsent,
        expected="one entry, one item-information per sent item, values not sent nil or absent",
    )


OPERATIONS = [
    pytest.param("putOrderStatusUpdate", id="order", marks=pytest.mark.requirements("DS-UPD-001")),
    pytest.param("putItemStatusUpdate", id="items", marks=pytest.mark.requirements("DS-ITEM-001")),
]


def shipped_body(
    operation: str, order: DropshipOrder, tracking: str, provider: str = "UPS"
) -> dict[str, Any]:
    """Shipped with ``tracking``: the whole order, or its first item with its quantity."""
    if operation == "putOrderStatusUpdate":
        return {
            "Id": order.order_id,
            "Status": "Shipped",
            "TrackingInfo": tracking,
            "ShippingProvider": provider,
        }
    first = order.sent_items[0]
    return items_body(
        order.order_id,
        {
            "Sku": first["sku"],
            **catalog(order, first["sku"]),
            "Status": "Shipped",
            "Quantity": first["quantity"],
            "TrackingInfo": tracking,
            "ShippingProvider": provider,
        },
    )


@pytest.mark.requirements(
    "DS-ITEM-001", "DS-ITEM-002", "DS-EVT-006", "DS-EVT-010", "DS-TRK-001", "DS-STAT-002"
)
def test_some_items_shipped_others_backordered(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    """000 §Order Status: ItemStatusUpdate when some items have exceptions."""
    order = testdata.new_order()
    first, second = order.sent_items
    body = items_body(
        order.order_id,
        {
            "Sku": first["sku"],
            **catalog(order, first["sku"]),
            "Status": "Shipped",
            "Quantity": first["quantity"],
            "ProductName": first["description"],
            "TrackingInfo": new_tracking("A"),
            "ShippingProvider": "UPS",
            "Info": "www.ups.com",
        },
        {
            "Sku": second["sku"],
            **catalog(order, second["sku"]),
            "Status": "BackOrdered",
            "Quantity": second["quantity"],
            "Message": "Expected in stock next week",
        },
    )
    unsent: list[str] = []
    update_step(dropship, target, expect, order, "putItemStatusUpdate", body, unsent)
    judge_unsent(expect, unsent)


@pytest.mark.requirements("DS-ITEM-006", "DS-ITEM-001", "DS-EVT-006", "DS-EVT-010")
def test_item_with_only_status_sku_and_tracking_is_accepted(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    """000 §Update Item Status: Sku and TrackingInfo Required, the rest optional. The statuses
    are not Shipped, so no reading asks for a ShippingProvider (DEV-SHIPPED-TRACKING)."""
    order = testdata.new_order()
    first, second = order.sent_items
    body = items_body(
        order.order_id,
        {"Sku": first["sku"], "Status": "Ordered", "TrackingInfo": new_tracking("T")},
        {"Sku": second["sku"], "Status": "BackOrdered", "TrackingInfo": new_tracking("T")},
    )
    unsent: list[str] = []
    update_step(
        dropship,
        target,
        expect,
        order,
        "putItemStatusUpdate",
        body,
        unsent,
        accepted_by=("DS-ITEM-006",),
    )
    judge_unsent(expect, unsent)


@pytest.mark.requirements("DS-ITEM-009", "DS-ITEM-001", "DS-EVT-006", "DS-EVT-010")
def test_item_with_only_status_and_sku_is_accepted(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    """001: Status and Sku alone (DS-ITEM-009); a server following 000 gets the same items
    again with TrackingInfo, which 000 requires."""
    order = testdata.new_order()
    first, second = order.sent_items
    body = items_body(
        order.order_id,
        {"Sku": first["sku"], "Status": "Ordered"},
        {"Sku": second["sku"], "Status": "NotAvailable"},
    )
    unsent: list[str] = []
    update_step(dropship, target, expect, order, "putItemStatusUpdate", body, unsent)
    judge_unsent(expect, unsent)


@pytest.mark.requirements("DS-ITEM-007", "DS-STAT-002", "DS-TRK-001", "DS-EVT-006", "DS-EVT-010")
def test_partially_shipped_repeated_then_shipped(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    """001 §Multiple Shiments: "Status": 6 per shipment of one item, then "Status": 2 (by
    name where the ids are refused: DS-STAT-002).

    The client resends earlier tracking numbers with each new one (001's Important note).
    """
    order = testdata.new_order()
    item = order.sent_items[0]
    first, second = new_tracking("P"), new_tracking("P")
    shipments = [
        (6, 1, first),
        (6, 1, f"{first},{second}"),
        (2, item["quantity"], f"{first},{second}"),
    ]
    unsent: list[str] = []
    for status, quantity, tracking in shipments:
        body = items_body(
            order.order_id,
            {
                "Sku": item["sku"],
                **catalog(order, item["sku"]),
                "Status": status,
                "Quantity": quantity,
                "TrackingInfo": tracking,
                "ShippingProvider": "UPS",
            },
        )
        update_step(
            dropship,
            target,
            expect,
            order,
            "putItemStatusUpdate",
            body,
            unsent,
            accepted_by=("DS-ITEM-007",),
            fed_rule="DS-ITEM-007",
            by_name_if_refused=True,
        )
    judge_unsent(expect, unsent)


@pytest.mark.requirements("DS-TRK-001")
@pytest.mark.parametrize("operation", OPERATIONS)
def test_several_tracking_numbers_are_one_value(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect, operation: str
) -> None:
    """001 §Multiple Shiments: comma-delimited tracking numbers, accepted and kept as sent."""
    order = testdata.new_order()
    body = shipped_body(operation, order, "1Z863YY60392796356,1Z863YY60393998")
    unsent: list[str] = []
    update_step(
        dropship, target, expect, order, operation, body, unsent, accepted_by=("DS-TRK-001",)
    )


@pytest.mark.requirements("DS-TRK-002", "DS-TRK-001")
@pytest.mark.parametrize("operation", OPERATIONS)
def test_later_tracking_info_replaces_the_earlier(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect, operation: str
) -> None:
    """The server stores what it is sent: no merging, no appending (001 §Multiple Shiments)."""
    order = testdata.new_order()
    earlier, later = new_tracking("E"), new_tracking("L")
    unsent: list[str] = []
    update_step(
        dropship, target, expect, order, operation, shipped_body(operation, order, earlier), unsent
    )
    fed = update_step(
        dropship, target, expect, order, operation, shipped_body(operation, order, later), unsent
    )
    shown = {
        str(item.get("sku")): item.get("tracking-info")
        for item in fed.get("items") or []
        if isinstance(item, dict)
    }
    expect.none_of(
        "DS-TRK-002",
        [f"item {sku}: fed {value!r}" for sku, value in shown.items() if value != later],
        expected=f"the later update is fed with tracking-info {later!r} alone",
    )
    if target.control is None:
        return
    view = target.control.order(target.settings.supplier_id, order.order_id)
    if view.status != 200:
        pytest.skip(f"the sandbox has no view of order {order.order_id}: {describe(view)}")
    stored = {
        entry.get("sku"): entry.get("tracking-info") for entry in view.json().get("item-status", [])
    }
    expect.none_of(
        "DS-TRK-002",
        [f"item {sku}: stored {stored.get(sku)!r}" for sku in shown if stored.get(sku) != later],
        expected=f"the sandbox stores tracking-info {later!r} for the updated items",
    )


@pytest.mark.requirements("DS-ITEM-001", "DS-ITEM-002", "DS-EVT-006", "DS-EVT-010", "DS-TRK-001")
def test_incremental_shipments(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    """002 §1. Incremental Shipments: item updates up to the final shipment, Shipped repeated."""
    order = testdata.new_order()
    first, second = order.sent_items
    first_tracking, second_tracking = new_tracking("A"), new_tracking("B")
    shipped_first = {
        "Sku": first["sku"],
        **catalog(order, first["sku"]),
        "Status": "Shipped",
        "Quantity": first["quantity"],
        "TrackingInfo": first_tracking,
        "ShippingProvider": "UPS",
    }
    updates = [
        items_body(
            order.order_id,
            shipped_first,
            {
                "Sku": second["sku"],
                "Status": "BackOrdered",
                "Quantity": second["quantity"],
                **catalog(order, second["sku"]),
            },
        ),
        items_body(
            order.order_id,
            shipped_first,
            {
                "Sku": second["sku"],
                **catalog(order, second["sku"]),
                "Status": "Shipped",
                "Quantity": second["quantity"],
                "TrackingInfo": second_tracking,
                "ShippingProvider": "Purolator",
            },
        ),
    ]
    unsent: list[str] = []
    for body in updates:
        update_step(dropship, target, expect, order, "putItemStatusUpdate", body, unsent)
    judge_unsent(expect, unsent)


@pytest.mark.requirements(
    "DS-ITEM-001",
    "DS-EVT-006",
    "DS-EVT-010",
    "DS-UPD-001",
    "DS-UPD-006",
    "DS-UPD-008",
    "DS-TRK-001",
)
def test_partial_shipments_then_complete_order(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    """002 §2. Partial Shipments followed by a Complete Order: the last update is the order's."""
    order = testdata.new_order()
    first, second = order.sent_items
    first_tracking, second_tracking = new_tracking("A"), new_tracking("B")
    unsent: list[str] = []
    partial = items_body(
        order.order_id,
        {
            "Sku": first["sku"],
            **catalog(order, first["sku"]),
            "Status": "Shipped",
            "Quantity": first["quantity"],
            "TrackingInfo": first_tracking,
            "ShippingProvider": "UPS",
        },
        {
            "Sku": second["sku"],
            "Status": "BackOrdered",
            "Quantity": second["quantity"],
            **catalog(order, second["sku"]),
        },
    )
    update_step(dropship, target, expect, order, "putItemStatusUpdate", partial, unsent)
    complete = {
        "Id": order.order_id,
        "Status": "Shipped",
        "TrackingInfo": f"{first_tracking},{second_tracking}",
        "ShippingProvider": "UPS",
    }
    update_step(dropship, target, expect, order, "putOrderStatusUpdate", complete, unsent)
    judge_unsent(expect, unsent)


@pytest.mark.requirements("LINK-004", "LINK-005")
def test_linked_order_shows_each_tracking_number(
    testdata: TestData,
    dropship: DropshipClient,
    orders: OrdersClient,
    target: Target,
    expect: Expect,
) -> None:
    """The Orders API items hold one TrackingInformation per comma-delimited number."""
    order = testdata.new_order(linked=True)
    first, second = order.sent_items
    one, two, three, other = (new_tracking(label) for label in "ABCD")
    wait = wait_seconds(target)
    # (body, {sku: tracking numbers expected}, {sku: Orders API status expected})
    steps: list[tuple[dict[str, Any], dict[str, str], dict[str, str]]] = [
        (
            items_body(
                order.order_id,
                {"Sku": first["sku"], "Status": 6, "Quantity": 1, "TrackingInfo": one},
            ),
            {first["sku"]: one},
            {},
        ),
        (
            items_body(
                order.order_id,
                {
                    "Sku": first["sku"],
                    "Status": 2,
                    "Quantity": first["quantity"],
                    "TrackingInfo": f"{one},{two}",
                    "ShippingProvider": "UPS",
                },
                {
                    "Sku": second["sku"],
                    "Status": "BackOrdered",
                    "Quantity": second["quantity"],
                    **catalog(order, second["sku"]),
                },
            ),
            {first["sku"]: f"{one},{two}"},
            {first["sku"]: "Shipped"},
        ),
        (
            items_body(
                order.order_id,
                {
                    "Sku": second["sku"],
                    "Status": "Shipped",
                    "Quantity": second["quantity"],
                    "TrackingInfo": three,
                    "ShippingProvider": "UPS",
                },
            ),
            {first["sku"]: f"{one},{two}", second["sku"]: three},
            {first["sku"]: "Shipped", second["sku"]: "Shipped"},
        ),
        (
            items_body(
                order.order_id,
                {
                    "Sku": first["sku"],
                    "Status": "Shipped",
                    "TrackingInfo": other,
                    "ShippingProvider": "UPS",
                },
            ),
            {first["sku"]: other, second["sku"]: three},
            {},
        ),
    ]
    for body, tracking, statuses in steps:
        reply, sent = put_by_id_or_name(dropship, expect, order.order_id, body)
        judge_answer(expect, "putItemStatusUpdate", sent, reply)

        def problems(
            items: dict[str, dict[str, Any]],
            tracking: dict[str, str] = tracking,
            statuses: dict[str, str] = statuses,
        ) -> dict[str, list[str]]:
            found = {
                "LINK-005": [
                    problem
                    for sku, numbers in tracking.items()
                    for problem in linked_tracking_problems(items, [sku], numbers)
                ]
            }
            if statuses:
                found["LINK-004"] = [
                    problem
                    for sku, status in statuses.items()
                    for problem in linked_status_problems(items, [sku], status)
                ]
            return found

        items = testdata.await_link(lambda: linked_items(orders, expect, order), problems, wait)
        if statuses:
            expect.none_of(
                "LINK-004",
                [p for s, st in statuses.items() for p in linked_status_problems(items, [s], st)],
                expected=f"the DropShip items show {statuses}",
            )
        expect.none_of(
            "LINK-005",
            [p for s, t in tracking.items() for p in linked_tracking_problems(items, [s], t)],
            expected=f"one TrackingInformation per tracking number: {tracking}",
        )
