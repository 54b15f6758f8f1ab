"""Full-shipment suite: a new dropship order is fed as order-created, the supplier reports it
Ordered and then Shipped with a tracking number and carrier (002 §3.1 Shipping an Order, 001
§Order Status Updates), every update is echoed and fed as sent, and on an order made through the
Orders API the items show the supplier's progress (ASSUME-ORDERS-TO-DROPSHIP).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import strategies as st

from dropship_conformance.checks import ids, shipment
from dropship_conformance.checks import updates as checks
from dropship_conformance.checks.primitives import describe, number
from dropship_conformance.checks.shipment import ANSWERS_200, BODY_VALIDATES
from dropship_conformance.client import DropshipClient, OrdersClient, Reply
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.feed import events
from dropship_conformance.harness import shapes
from dropship_conformance.harness.generated import over_shapes, shaped_order, suppliers
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder, TestData
from dropship_conformance.harness.updates import (
    PUTS,
    fed_since,
    item_information,
    items_body,
    judge_answer,
    judge_fed,
    linked_items,
    new_tracking,
    order_created,
    order_updates,
    recent_entries,
    send_update,
    shipped_body,
    update_step,
    wait_seconds,
)
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.full_shipment

NUMERIC_TRACKING = 23923408863  # 000 §Update Item Status, 002 §Updating the Item Status


@pytest.mark.requirements(ids.DS_EVT_002, ids.DS_EVT_007)
def test_new_order_is_fed_as_order_created(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    order = testdata.new_order()
    created = order_created(dropship, order.order_id)
    shipment.order_created_fed(expect, order.order_id, created, once=False)
    value = created[0]
    shipment.created_as_ordered(expect, value, order.sent_items, target.settings.supplier_id)
    shipment.order_id_of_its_own(expect, value, order.linked_order_id)
    order_id = value.get("order-id") or ""
    before = set(order_updates(dropship, order_id))
    reply = dropship.order_status_update(order_id, {"Id": order_id, "Status": "Ordered"})
    shipment.fed_order_id_accepted(expect, order_id, reply)
    fresh = fed_since(dropship, order_id, before, wait_seconds(target))
    shipment.update_fed_once(expect, order_id, fresh)


@pytest.mark.requirements(ids.DS_EVT_002, ids.DS_EVT_003, ids.DS_EVT_004, ids.DS_STAT_004)
@pytest.mark.parametrize("ship_to_store", [True, False], ids=["to-store", "to-customer"])
def test_order_created_carries_seller_and_shipping(
    target: Target, dropship: DropshipClient, expect: Expect, ship_to_store: bool
) -> None:
    """Chosen seller and shipping data come back in the order-created (sandbox only)."""
    if target.control is None or not target.sandbox_info:
        raise SetupImpossible(
            "only the sandbox's control API creates orders with chosen seller data"
        )
    settings = target.settings
    company = next(
        (c for c in target.sandbox_info.get("companies", []) if c["id"] == settings.company_id),
        None,
    )
    if company is None or not company["customers"] or len(company["locations"]) < 2:
        raise SetupImpossible(
            f"the sandbox has no company {settings.company_id} with two locations"
        )
    tag = uuid.uuid4().hex[:8]
    customer = company["customers"][0]
    request: dict[str, Any] = {
        "items": [{"sku": f"DC-{tag}-S", "quantity": 3, "selling-price": "12.50"}],
        "company-id": settings.company_id,
        "location-id": company["locations"][0],
        "po-reference": f"PO-{tag}",
        "printable-id": f"PR-{tag}",
        "shipping-method": "Ground",
        "customer-id": customer["id"],
        "ship-to-store": ship_to_store,
    }
    if ship_to_store:
        request["shipping-entity-id"] = company["locations"][1]
    else:
        request["address-id"] = customer["addresses"][0]
    reply = target.control.create_order(settings.supplier_id, request)
    if reply.status != 201:
        raise SetupImpossible(f"the sandbox refused to create the order: {describe(reply)}")
    order_id = reply.json()["id"]
    created = order_created(dropship, order_id)
    shipment.order_created_fed(expect, order_id, created, once=True)
    value = created[0]
    seller = value.get("seller") or {}
    address = value.get("shipping-address") or {}
    item = (value.get("items") or [{}])[0]
    expected = {
        "seller/company-id": (seller.get("company-id"), str(request["company-id"])),
        "seller/location-id": (seller.get("location-id"), str(request["location-id"])),
        "seller/po-reference": (seller.get("po-reference"), request["po-reference"]),
        "seller/printable-id": (seller.get("printable-id"), request["printable-id"]),
        "ship-to-store": (value.get("ship-to-store") in ("true", "1"), ship_to_store),
        "shipping-customer/customer-id": (
            str((value.get("shipping-customer") or {}).get("customer-id")).lower(),
            customer["id"].lower(),
        ),
        "shipping-method": (value.get("shipping-method"), request["shipping-method"]),
        "items/order-item/sku": (item.get("sku"), f"DC-{tag}-S"),
        "items/order-item/quantity": (number(item.get("quantity")), Decimal(3)),
        "items/order-item/selling-price": (number(item.get("selling-price")), Decimal("12.50")),
    }
    if not ship_to_store:
        expected["shipping-address/address-id"] = (
            str(address.get("address-id")).lower(),
            request["address-id"].lower(),
        )
    shipment.created_as_requested(expect, expected)
    shipment.shipping_entity(expect, value, str(request.get("shipping-entity-id", 0)))
    shipment.address_type(expect, value, ship_to_store)
    status = target.control.order(settings.supplier_id, order_id).json().get("status")
    shipment.new_order_pending(expect, status)


@pytest.mark.requirements(
    ids.DS_UPD_001, ids.DS_UPD_002, ids.DS_UPD_005, ids.DS_UPD_006, ids.DS_STAT_002, ids.DS_TRK_001
)
@pytest.mark.parametrize(
    ("ordered", "shipped"), [("Ordered", "Shipped"), (1, 2)], ids=["by-name", "by-id"]
)
def test_ordered_then_shipped(
    testdata: TestData,
    dropship: DropshipClient,
    target: Target,
    expect: Expect,
    ordered: str | int,
    shipped: str | int,
) -> None:
    """002 §3.1: Ordered (Id and Status alone), then Shipped with tracking number and carrier."""
    order = testdata.new_order()
    by_id = (ids.DS_STAT_002,) if isinstance(ordered, int) else ()
    shipping = {
        "TrackingInfo": new_tracking(),
        "ShippingProvider": "UPS",
        "Message": "No errors",
        "Info": "www.ups.com",
    }
    steps = [
        ({"Id": order.order_id, "Status": ordered}, (*by_id, ids.DS_UPD_005)),
        ({"Id": order.order_id, "Status": shipped, **shipping}, by_id),
    ]
    for body, accepted_by in steps:
        operation = "putOrderStatusUpdate"
        update_step(dropship, target, expect, order, operation, body, [], accepted_by)


@pytest.mark.requirements(*checks.ITEM_UPDATE_RULES, ids.DS_STAT_002, ids.DS_TRK_001)
def test_all_items_shipped_by_item_status_update(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    """002 §Notifying the End Customer: a block of items Shipped in one ItemStatusUpdate."""
    order = testdata.new_order()
    shipped = [
        item_information(order, item, TrackingInfo=new_tracking(), ShippingProvider="FedEx")
        for item in order.sent_items
    ]
    body = items_body(order, *shipped)
    unsent: list[str] = []
    update_step(dropship, target, expect, order, "putItemStatusUpdate", body, unsent)
    checks.unsent_values_nil(expect, unsent)


def judge_refused_or_fed(
    dropship: DropshipClient,
    target: Target,
    expect: Expect,
    order: DropshipOrder,
    operation: str,
    body: dict[str, Any],
    before: set[str],
    reply: Reply,
) -> None:
    """DS-TRK-001 where two readings are documented: a refusal (4xx) records nothing; an
    acceptance is fed like any other update."""
    accepted = checks.accepted(reply)
    fresh = fed_since(dropship, order.order_id, before, wait_seconds(target) if accepted else 0)
    if not accepted:
        checks.refusal_records_nothing(expect, operation, fresh)
        return
    unsent = judge_fed(expect, order, operation, body, fresh, target.settings.supplier_id)
    if operation == "putItemStatusUpdate":
        checks.unsent_values_nil(expect, unsent)


@pytest.mark.requirements(ids.DS_TRK_001)
@pytest.mark.parametrize(
    "operation",
    [
        pytest.param("putOrderStatusUpdate", marks=pytest.mark.requirements(ids.DS_UPD_006)),
        pytest.param("putItemStatusUpdate", marks=pytest.mark.requirements(ids.DS_EVT_006)),
    ],
)
@pytest.mark.parametrize(
    "missing", [checks.TRACKING_FIELDS, ("ShippingProvider",)], ids=["both", "carrier"]
)
def test_shipped_without_tracking(
    testdata: TestData,
    dropship: DropshipClient,
    target: Target,
    expect: Expect,
    operation: str,
    missing: tuple[str, ...],
) -> None:
    """DEV-SHIPPED-TRACKING: 001 says Shipped "must include" tracking number and carrier (a
    server may refuse without), 000 and 002 leave it to the client (a server may accept).

    Either passes; a refusal must record nothing, an acceptance is echoed and fed as sent.
    """
    order = testdata.new_order()
    kept = {"TrackingInfo": new_tracking(), "ShippingProvider": "UPS"}
    body = shipped_body(operation, order, **{k: v for k, v in kept.items() if k not in missing})
    before = set(order_updates(dropship, order.order_id))
    reply = PUTS[operation](dropship, order.order_id, body)
    checks.accepted_or_refused(expect, f"Shipped without {' and '.join(missing)}", reply)
    if checks.accepted(reply):
        judge_answer(expect, operation, body, reply, (ids.DS_TRK_001,))
    judge_refused_or_fed(dropship, target, expect, order, operation, body, before, reply)


def tracking_as_text(body: Any) -> Any:
    """``body`` with a numeric TrackingInfo, at any depth, as its digits."""
    if isinstance(body, list):
        return [tracking_as_text(value) for value in body]
    if not isinstance(body, dict):
        return body
    return {
        key: str(value)
        if key == "TrackingInfo" and isinstance(value, int) and not isinstance(value, bool)
        else tracking_as_text(value)
        for key, value in body.items()
    }


@pytest.mark.requirements(ids.DS_TRK_001)
@pytest.mark.parametrize(
    "operation",
    [
        pytest.param("putOrderStatusUpdate", marks=pytest.mark.requirements(ids.DS_UPD_001)),
        pytest.param("putItemStatusUpdate", marks=pytest.mark.requirements(ids.DS_ITEM_001)),
    ],
)
def test_numeric_tracking_info(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect, operation: str
) -> None:
    """DEV-NUMERIC-TRACKINGINFO: 000 and 002 send TrackingInfo as a JSON number, every table
    types it String. Refused (4xx, nothing recorded) or accepted, echoed as the number or its
    digits (000's echo) and fed as its digits: either passes."""
    order = testdata.new_order()
    body = shipped_body(operation, order, TrackingInfo=NUMERIC_TRACKING, ShippingProvider="UPS")
    before = set(order_updates(dropship, order.order_id))
    reply = PUTS[operation](dropship, order.order_id, body)
    checks.accepted_or_refused(expect, "a numeric TrackingInfo", reply)
    if checks.accepted(reply):
        checks.ECHO_PARSES.under(checks.ANSWERED_BY[operation][0])(expect, reply)
        echo = reply.json()
        sku = order.sent_items[0]["sku"]
        checks.numeric_tracking_echoed(expect, NUMERIC_TRACKING, echo, operation, sku)
        # The rest of the answer is judged as if the digits had been sent and echoed.
        as_text = dataclasses.replace(reply, content=json.dumps(tracking_as_text(echo)).encode())
        judge_answer(expect, operation, tracking_as_text(body), as_text)
    judge_refused_or_fed(
        dropship, target, expect, order, operation, tracking_as_text(body), before, reply
    )


@pytest.mark.requirements(ids.LINK_001, ids.LINK_002, ids.LINK_004, ids.LINK_005, ids.DS_EVT_007)
def test_linked_order_shows_the_shipment(
    testdata: TestData,
    dropship: DropshipClient,
    orders: OrdersClient,
    target: Target,
    expect: Expect,
) -> None:
    """An Orders API order with DropShip items: its items follow the supplier's updates."""
    order = testdata.new_order(linked=True)
    assert order.linked_order_id is not None
    settings = target.settings
    got = orders.get_order(order.linked_order_id)
    ANSWERS_200.under(ids.ORD_UPD_003)(expect, "GET Order", got)
    retail = got.json()
    BODY_VALIDATES.under(ids.ORD_UPD_003)(expect, "getOrder", got.status, retail)
    printable = retail.get("PrintableId")
    matching = [
        entry
        for entry in recent_entries(dropship)
        if entry.payload_kind == "order-created"
        and ((events.to_value(entry.payload).get("seller") or {}).get("printable-id")) == printable
    ]
    shipment.one_created_per_order(expect, printable, len(matching))
    value = order.created
    seller = value.get("seller") or {}
    store = retail.get("ShippingEntityId") or 0
    wanted = {
        "seller/company-id": (seller.get("company-id"), str(settings.company_id)),
        "seller/location-id": (seller.get("location-id"), str(retail.get("EntityId"))),
        "seller/printable-id": (seller.get("printable-id"), printable),
        "ship-to-store": (value.get("ship-to-store") in ("true", "1"), bool(store)),
        "shipping-entity-id": (value.get("shipping-entity-id", "0"), str(store)),
        "shipping-customer/customer-id": (
            str((value.get("shipping-customer") or {}).get("customer-id")).lower(),
            str(retail.get("ShippingCustomerId")).lower(),
        ),
    }
    shipment.created_as_linked(expect, wanted, value, order.skus, order.sent_items)
    shipment.not_the_retailers_id(expect, value, order.linked_order_id)
    wait = wait_seconds(target)
    tracking = new_tracking()
    operation = "putOrderStatusUpdate"
    steps = [
        {"Id": order.order_id, "Status": "Ordered"},
        shipped_body(operation, order, TrackingInfo=tracking, ShippingProvider="UPS"),
    ]
    for body in steps:
        send_update(dropship, expect, operation, order.order_id, body)
        shown = {sku: str(body["Status"]) for sku in order.skus}
        problems = functools.partial(shipment.linked_problems, statuses=shown)
        items = testdata.await_link(lambda: linked_items(orders, expect, order), problems, wait)
        shipment.linked_status_shown(expect, items, shown)
    shipment.linked_tracking_shown(expect, items, dict.fromkeys(order.skus, tracking))


@pytest.mark.requirements(ids.LINK_003)
def test_order_created_holds_only_this_suppliers_items_and_only_after_process(
    testdata: TestData, orders: OrdersClient, target: Target, expect: Expect
) -> None:
    """An order with DropShip items of two suppliers: this supplier's feed gets its own."""
    settings = target.settings
    tag = uuid.uuid4().hex[:8]
    created = orders.create_order(
        {
            "EntityId": settings.location_id,
            "OrderTypeId": 3,
            "BillingCustomerId": settings.billing_customer_id,
        }
    )
    if created.status != 201:
        raise SetupImpossible(f"cannot create an order through the Orders API: {describe(created)}")
    order = created.json()
    mine, theirs = f"DC-{tag}-MINE", f"DC-{tag}-THEIRS"
    for sku, supplier in ((mine, settings.supplier_id), (theirs, settings.other_supplier_id)):
        added = orders.add_item(
            order["Id"],
            {
                "ItemTypeId": 1,
                "ItemStatusId": 1,
                "SKU": sku,
                "Quantity": 1,
                "SupplierEntityId": supplier,
            },
        )
        if added.status != 201:
            raise SetupImpossible(f"cannot add a DropShip item: {describe(added)}")

    def made_from_it(value: dict[str, Any]) -> bool:
        return (value.get("seller") or {}).get("printable-id") == order.get("PrintableId")

    early = [e for e in testdata.recent_entries() if e.payload_kind == "order-created"]
    shipment.none_before_process(
        expect, any(made_from_it(events.to_value(e.payload)) for e in early)
    )
    if orders.process_order(order["Id"]).status != 201:
        raise SetupImpossible("the Orders API did not process the order")
    value = testdata.find_created(made_from_it, wait=wait_seconds(target))
    skus = sorted(item.get("sku") for item in value.get("items") or [])
    shipment.only_own_items(expect, skus, mine)


@pytest.mark.requirements(
    ids.DS_UPD_001,
    ids.DS_UPD_006,
    *checks.ITEM_UPDATE_RULES,
    ids.DS_TRK_001,
    ids.LINK_004,
    ids.LINK_005,
)
def test_full_shipment_over_generated_shapes(
    testdata: TestData, orders: OrdersClient, target: Target, expect: Expect
) -> None:
    """002 §3.1 over generated orders (many items, several suppliers, quantities above 1):
    every supplier of the order reports it Ordered, then Shipped with one or several tracking
    numbers, for the whole order or item by item; each update is echoed and fed as sent, and
    the order's items show the shipment."""

    def ship(expect: Expect, drawn: tuple[shapes.OrderShape, bool, tuple[str, ...]]) -> None:
        shape, by_items, numbers = drawn
        order = shaped_order(testdata, shape)
        tracking = ",".join(numbers)
        unsent: list[str] = []
        for supplier, placed in order.dropship.items():
            client = order.clients[supplier]
            ordered = {"Id": placed.order_id, "Status": "Ordered"}
            update_step(client, target, expect, placed, "putOrderStatusUpdate", ordered, unsent)
            fields = {"TrackingInfo": tracking, "ShippingProvider": "UPS"}
            if by_items:
                lines = [item_information(placed, item, **fields) for item in placed.sent_items]
                operation, body = "putItemStatusUpdate", items_body(placed, *lines)
            else:
                operation = "putOrderStatusUpdate"
                body = {"Id": placed.order_id, "Status": "Shipped", **fields}
            update_step(client, target, expect, placed, operation, body, unsent)
        checks.unsent_values_nil(expect, unsent)
        skus = [item["sku"] for placed in order.dropship.values() for item in placed.sent_items]
        shown = dict.fromkeys(skus, "Shipped")
        linked = next(iter(order.dropship.values()))
        wanted = functools.partial(
            shipment.linked_problems, statuses=shown, tracking=dict.fromkeys(skus, tracking)
        )
        items = testdata.await_link(
            lambda: linked_items(orders, expect, linked), wanted, wait_seconds(target)
        )
        shipment.linked_status_shown(expect, items, shown)
        shipment.linked_tracking_shown(expect, items, dict.fromkeys(skus, tracking))

    def drawn(
        rich_first: bool,
    ) -> st.SearchStrategy[tuple[shapes.OrderShape, bool, tuple[str, ...]]]:
        return st.tuples(
            shapes.orders(suppliers(target), "F", rich_first=rich_first),
            # Rich first, item by item: one update then names several SKUs.
            st.booleans().map(lambda by_order: not by_order) if rich_first else st.booleans(),
            shapes.tracking_numbers(rich_first=rich_first),
        )

    over_shapes(target, expect, "full shipment", drawn, ship)
