"""Partial-shipment suite: items of one dropship order ship separately (001 §Multiple
Shiments, 002 §Optional: Partially Shipping an Order). ItemStatusUpdates carry some items Shipped
and others BackOrdered, PartiallyShipped (6) repeats with quantities before Shipped (2), several
tracking numbers travel comma-delimited as one value, a later TrackingInfo replaces the earlier,
and on an order made through the Orders API each tracking number shows on its item. The last
test ships generated orders in generated parts (harness.generated).

The steps shared with the full-shipment suite live in dropship_conformance.harness.updates.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import strategies as st

from dropship_conformance.checks import ids, shipment
from dropship_conformance.checks.primitives import describe, status_names
from dropship_conformance.checks.updates import ITEM_UPDATE_RULES, unsent_values_nil
from dropship_conformance.client import DropshipClient, OrdersClient
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.harness import shapes
from dropship_conformance.harness.generated import over_shapes, shaped_order, suppliers
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder, TestData
from dropship_conformance.harness.updates import (
    item_information,
    items_body,
    judge_answer,
    linked_items,
    new_tracking,
    put_by_id_or_name,
    shipped_body,
    update_step,
    wait_seconds,
)
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.partial_shipment

STATUS_IDS = {name: status_id for status_id, name in status_names().items()}


OPERATIONS = [
    pytest.param(
        "putOrderStatusUpdate", id="order", marks=pytest.mark.requirements(ids.DS_UPD_001)
    ),
    pytest.param(
        "putItemStatusUpdate", id="items", marks=pytest.mark.requirements(ids.DS_ITEM_001)
    ),
]


def shipped_by_ups(operation: str, order: DropshipOrder, tracking: str) -> dict[str, Any]:
    """Shipped by UPS with ``tracking``: the whole order, or its first item."""
    return shipped_body(operation, order, TrackingInfo=tracking, ShippingProvider="UPS")


@pytest.mark.requirements(*ITEM_UPDATE_RULES, ids.DS_TRK_001, ids.DS_STAT_002)
def test_some_items_shipped_others_backordered(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    """000 §Order Status: ItemStatusUpdate when some items have exceptions."""
    order = testdata.new_order()
    first, second = order.sent_items
    body = items_body(
        order,
        item_information(
            order,
            first,
            ProductName=first["description"],
            TrackingInfo=new_tracking("A"),
            ShippingProvider="UPS",
            Info="www.ups.com",
        ),
        item_information(order, second, "BackOrdered", Message="Expected in stock next week"),
    )
    unsent: list[str] = []
    update_step(dropship, target, expect, order, "putItemStatusUpdate", body, unsent)
    unsent_values_nil(expect, unsent)


@pytest.mark.requirements(ids.DS_ITEM_006, ids.DS_ITEM_001, ids.DS_EVT_006, ids.DS_EVT_010)
def test_item_with_only_status_sku_and_tracking_is_accepted(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    """000 §Update Item Status: Sku and TrackingInfo Required, the rest optional. The statuses
    are not Shipped, so no reading asks for a ShippingProvider (DEV-SHIPPED-TRACKING)."""
    order = testdata.new_order()
    first, second = order.sent_items
    body = items_body(
        order,
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
        accepted_by=(ids.DS_ITEM_006,),
    )
    unsent_values_nil(expect, unsent)


@pytest.mark.requirements(ids.DS_ITEM_009, ids.DS_ITEM_001, ids.DS_EVT_006, ids.DS_EVT_010)
def test_item_with_only_status_and_sku_is_accepted(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    """001: Status and Sku alone (DS-ITEM-009); a server following 000 gets the same items
    again with TrackingInfo, which 000 requires."""
    order = testdata.new_order()
    first, second = order.sent_items
    body = items_body(
        order,
        {"Sku": first["sku"], "Status": "Ordered"},
        {"Sku": second["sku"], "Status": "NotAvailable"},
    )
    unsent: list[str] = []
    update_step(dropship, target, expect, order, "putItemStatusUpdate", body, unsent)
    unsent_values_nil(expect, unsent)


@pytest.mark.requirements(
    ids.DS_ITEM_007, ids.DS_STAT_002, ids.DS_TRK_001, ids.DS_EVT_006, ids.DS_EVT_010
)
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
        info = item_information(
            order, item, status, Quantity=quantity, TrackingInfo=tracking, ShippingProvider="UPS"
        )
        body = items_body(order, info)
        update_step(
            dropship,
            target,
            expect,
            order,
            "putItemStatusUpdate",
            body,
            unsent,
            accepted_by=(ids.DS_ITEM_007,),
            fed_rule=ids.DS_ITEM_007,
            by_name_if_refused=True,
        )
    unsent_values_nil(expect, unsent)


@pytest.mark.requirements(ids.DS_TRK_001)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_several_tracking_numbers_are_one_value(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect, operation: str
) -> None:
    """001 §Multiple Shiments: comma-delimited tracking numbers, accepted and kept as sent."""
    order = testdata.new_order()
    body = shipped_by_ups(operation, order, "1Z863YY60392796356,1Z863YY60393998")
    unsent: list[str] = []
    update_step(
        dropship, target, expect, order, operation, body, unsent, accepted_by=(ids.DS_TRK_001,)
    )


@pytest.mark.requirements(ids.DS_TRK_002, ids.DS_TRK_001)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_later_tracking_info_replaces_the_earlier(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect, operation: str
) -> None:
    """The server stores what it is sent: no merging, no appending (001 §Multiple Shiments)."""
    order = testdata.new_order()
    earlier, later = new_tracking("E"), new_tracking("L")
    unsent: list[str] = []
    for tracking in (earlier, later):
        body = shipped_by_ups(operation, order, tracking)
        fed = update_step(dropship, target, expect, order, operation, body, unsent)
    shown = {
        str(item.get("sku")): item.get("tracking-info")
        for item in fed.get("items") or []
        if isinstance(item, dict)
    }
    shipment.later_tracking_kept(expect, "fed", shown, later)
    if target.control is None:
        return
    view = target.control.order(target.settings.supplier_id, order.order_id)
    if view.status != 200:
        raise SetupImpossible(
            f"the sandbox has no view of order {order.order_id}: {describe(view)}"
        )
    stored = {
        entry.get("sku"): entry.get("tracking-info") for entry in view.json().get("item-status", [])
    }
    shipment.later_tracking_kept(expect, "stored", {sku: stored.get(sku) for sku in shown}, later)


@pytest.mark.requirements(*ITEM_UPDATE_RULES, ids.DS_TRK_001)
def test_incremental_shipments(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    """002 §1. Incremental Shipments: item updates up to the final shipment, Shipped repeated."""
    order = testdata.new_order()
    first, second = order.sent_items
    shipped_first = item_information(
        order, first, TrackingInfo=new_tracking("A"), ShippingProvider="UPS"
    )
    shipped_second = item_information(
        order, second, TrackingInfo=new_tracking("B"), ShippingProvider="Purolator"
    )
    updates = [
        items_body(order, shipped_first, item_information(order, second, "BackOrdered")),
        items_body(order, shipped_first, shipped_second),
    ]
    unsent: list[str] = []
    for body in updates:
        update_step(dropship, target, expect, order, "putItemStatusUpdate", body, unsent)
    unsent_values_nil(expect, unsent)


@pytest.mark.requirements(
    ids.DS_ITEM_001,
    ids.DS_EVT_006,
    ids.DS_EVT_010,
    ids.DS_UPD_001,
    ids.DS_UPD_006,
    ids.DS_UPD_008,
    ids.DS_TRK_001,
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
        order,
        item_information(order, first, TrackingInfo=first_tracking, ShippingProvider="UPS"),
        item_information(order, second, "BackOrdered"),
    )
    update_step(dropship, target, expect, order, "putItemStatusUpdate", partial, unsent)
    complete = shipped_by_ups("putOrderStatusUpdate", order, f"{first_tracking},{second_tracking}")
    update_step(dropship, target, expect, order, "putOrderStatusUpdate", complete, unsent)
    unsent_values_nil(expect, unsent)


@pytest.mark.requirements(ids.LINK_004, ids.LINK_005)
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
                order,
                {"Sku": first["sku"], "Status": 6, "Quantity": 1, "TrackingInfo": one},
            ),
            {first["sku"]: one},
            {},
        ),
        (
            items_body(
                order,
                {
                    "Sku": first["sku"],
                    "Status": 2,
                    "Quantity": first["quantity"],
                    "TrackingInfo": f"{one},{two}",
                    "ShippingProvider": "UPS",
                },
                item_information(order, second, "BackOrdered"),
            ),
            {first["sku"]: f"{one},{two}"},
            {first["sku"]: "Shipped"},
        ),
        (
            items_body(
                order,
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
                order,
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
    operation = "putItemStatusUpdate"
    for body, tracking, statuses in steps:
        reply, sent = put_by_id_or_name(dropship, expect, operation, order.order_id, body)
        judge_answer(expect, operation, sent, reply)
        problems = functools.partial(shipment.linked_problems, statuses=statuses, tracking=tracking)
        items = testdata.await_link(lambda: linked_items(orders, expect, order), problems, wait)
        if statuses:
            shipment.linked_status_shown(expect, items, statuses)
        shipment.linked_tracking_shown(expect, items, tracking)


@pytest.mark.requirements(
    *ITEM_UPDATE_RULES,
    ids.DS_ITEM_007,
    ids.DS_ITEM_009,
    ids.DS_STAT_002,
    ids.DS_TRK_001,
    ids.LINK_004,
    ids.LINK_005,
)
def test_partial_shipment_over_generated_shapes(
    testdata: TestData, orders: OrdersClient, target: Target, expect: Expect
) -> None:
    """001 §Multiple Shiments and 002 §1 over generated orders (several suppliers, many items,
    quantities above 1): each supplier ships its items in parts (``shapes.splits``) by
    ItemStatusUpdates naming several SKUs with mixed statuses, statuses by id or by name;
    every update is echoed and fed as sent, and the order's items end Shipped with every
    tracking number."""
    Drawn = tuple[shapes.OrderShape, tuple[tuple[shapes.SplitUpdate, ...], ...], bool]

    def ship_in_parts(expect: Expect, drawn: Drawn) -> None:
        shape, split_of, by_id = drawn
        order = shaped_order(testdata, shape)
        unsent: list[str] = []
        tracking: dict[str, str] = {}
        for (supplier, placed), split in zip(order.dropship.items(), split_of, strict=True):
            partly: set[int] = set()
            for update in split:
                lines = []
                for i, status, quantity, numbers in update:
                    item = placed.sent_items[i]
                    fields = {"TrackingInfo": numbers, "ShippingProvider": "UPS"} if numbers else {}
                    sent = STATUS_IDS[status] if by_id else status
                    lines.append(item_information(placed, item, sent, Quantity=quantity, **fields))
                    if numbers:  # the item keeps the last numbers sent (DS-TRK-002)
                        tracking[item["sku"]] = numbers
                partly |= {line[0] for line in update if line[1] == "PartiallyShipped"}
                # An update that ships an item in parts, up to its Shipped, is DS-ITEM-007's.
                in_parts = any(line[0] in partly for line in update)
                update_step(
                    order.clients[supplier],
                    target,
                    expect,
                    placed,
                    "putItemStatusUpdate",
                    items_body(placed, *lines),
                    unsent,
                    accepted_by=(ids.DS_ITEM_007,) if in_parts else (),
                    fed_rule=ids.DS_ITEM_007 if in_parts else ids.DS_EVT_006,
                    by_name_if_refused=by_id,
                )
        unsent_values_nil(expect, unsent)
        shown = dict.fromkeys(tracking, "Shipped")
        linked = next(iter(order.dropship.values()))
        wanted = functools.partial(shipment.linked_problems, statuses=shown, tracking=tracking)
        items = testdata.await_link(
            lambda: linked_items(orders, expect, linked), wanted, wait_seconds(target)
        )
        shipment.linked_status_shown(expect, items, shown)
        shipment.linked_tracking_shown(expect, items, tracking)

    def drawn(rich_first: bool) -> st.SearchStrategy[Drawn]:
        def split_of(shape: shapes.OrderShape) -> st.SearchStrategy[Any]:
            def quantities(supplier: int) -> list[int]:
                return [i.quantity for i in shape.items if i.dropship and i.supplier == supplier]

            return st.tuples(
                *(shapes.splits(quantities(s), rich_first) for s in sorted(shape.suppliers))
            )

        # Rich first, statuses by id as 001 writes them; else by name, the simplest.
        by_id = st.just(True) if rich_first else st.booleans()
        return shapes.orders(suppliers(target), "P", rich_first=rich_first).flatmap(
            lambda shape: st.tuples(st.just(shape), split_of(shape), by_id)
        )

    over_shapes(target, expect, "partial shipment", drawn, ship_in_parts)
