"""Full-shipment suite: a new dropship order is fed as order-created, the supplier reports it
Ordered and then Shipped with a tracking number and carrier (002 §3.1 Shipping an Order, 001
§Order Status Updates), every update is echoed and fed as sent, and on an order made through the
Orders API the items show the supplier's progress (ASSUME-ORDERS-TO-DROPSHIP).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from dropship_conformance import openapi
from dropship_conformance.client import DropshipClient, OrdersClient
from dropship_conformance.feed import events
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder, TestData
from dropship_conformance.harness.updates import (
    GUID,
    LINKED_STATUS,
    describe,
    eventually,
    fed_since,
    judge_items_fed,
    judge_order_fed,
    linked_items,
    linked_status_problems,
    linked_tracking_problems,
    number,
    order_created,
    order_updates,
    recent_entries,
    same_guid,
    send_update,
    wait_seconds,
)
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.full_shipment


# ---------------------------------------------------------------- tests


def catalog(order: DropshipOrder, sku: str) -> dict[str, str]:
    """``CatalogId`` of the item as its order-created gives it, when that is a GUID.

    Sending it, as 001's example does, makes the feed's catalog-id a sent value; the rule that
    unsent values are fed nil is judged by the partial-shipment suite.
    """
    for item in order.created.get("items") or []:
        if item.get("sku") == sku and GUID.match(str(item.get("catalog-id"))):
            return {"CatalogId": item["catalog-id"]}
    return {}


@pytest.mark.requirements("DS-EVT-002", "DS-EVT-007")
def test_new_order_is_fed_as_order_created(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    order = testdata.new_order()
    created = order_created(dropship, order.order_id)
    expect.that(
        "DS-EVT-002",
        len(created) >= 1,
        expected=f"an order-created with order-id {order.order_id} in the feed",
        found="none in the current document and the newest archives",
    )
    value = created[0]
    fed_items = {item.get("sku"): item for item in value.get("items") or []}
    problems = []
    if value.get("supplier-id") != str(target.settings.supplier_id):
        problems.append(f"supplier-id {value.get('supplier-id')!r}")
    for sent in order.sent_items:
        item = fed_items.get(sent["sku"])
        if item is None:
            problems.append(f"no order-item with sku {sent['sku']!r}")
            continue
        for name in ("quantity", "selling-price"):
            if number(item.get(name)) is None or number(item.get(name)) != number(sent[name]):
                problems.append(f"item {sent['sku']}: {name} {item.get(name)!r}, {sent[name]!r}")
    expect.none_of(
        "DS-EVT-002", problems, expected="the supplier and every item's sku, quantity and price"
    )
    order_id = value.get("order-id") or ""
    distinct = [
        f"order-id equals the {what} {other!r}"
        for what, other in (
            ("retailer's order id", order.linked_order_id),
            ("printable-id", (value.get("seller") or {}).get("printable-id")),
        )
        if other and str(other).lower() == order_id.lower()
    ]
    expect.that(
        "DS-EVT-007",
        bool(GUID.match(order_id)) and not distinct,
        expected="order-id is a GUID of its own (not the retailer's order id or printable id)",
        found=f"order-id {order_id!r} {'; '.join(distinct)}",
    )
    before = set(order_updates(dropship, order_id))
    reply = dropship.order_status_update(order_id, {"Id": order_id, "Status": "Ordered"})
    expect.that(
        "DS-EVT-007",
        200 <= reply.status < 300,
        expected=f"OrderStatusUpdate accepts the fed order-id {order_id} as OrderId",
        found=describe(reply),
    )
    fresh = fed_since(dropship, order_id, before, wait_seconds(target))
    expect.that(
        "DS-EVT-007",
        len(fresh) == 1,
        expected=f"the update is fed as one order-status-updated with order-id {order_id}",
        found=f"{len(fresh)} new entries for that order-id",
    )


@pytest.mark.requirements("DS-EVT-002", "DS-EVT-003", "DS-EVT-004", "DS-STAT-004")
@pytest.mark.parametrize("ship_to_store", [True, False], ids=["to-store", "to-customer"])
def test_order_created_carries_seller_and_shipping(
    target: Target, dropship: DropshipClient, expect: Expect, ship_to_store: bool
) -> None:
    """Chosen seller and shipping data come back in the order-created (sandbox only)."""
    if target.control is None or not target.sandbox_info:
        pytest.skip("only the sandbox's control API creates orders with chosen seller data")
    settings = target.settings
    company = next(
        (c for c in target.sandbox_info.get("companies", []) if c["id"] == settings.company_id),
        None,
    )
    if company is None or not company["customers"] or len(company["locations"]) < 2:
        pytest.skip(f"the sandbox has no company {settings.company_id} with two locations")
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
        pytest.skip(f"the sandbox refused to create the order: {describe(reply)}")
    order_id = reply.json()["id"]
    created = order_created(dropship, order_id)
    expect.that(
        "DS-EVT-002",
        len(created) == 1,
        expected=f"one order-created with order-id {order_id}",
        found=f"{len(created)}",
    )
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
        "shipping-entity-id": (
            value.get("shipping-entity-id", "0"),
            str(request.get("shipping-entity-id", 0)),
        ),
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
    problems = [
        f"{name}: fed {found!r}, created with {want!r}"
        for name, (found, want) in expected.items()
        if found != want
    ]
    expect.none_of("DS-EVT-002", problems, expected="the order-created carries the created data")
    entity = value.get("shipping-entity-id")
    store_id = str(request.get("shipping-entity-id", 0))
    expect.that(
        "DS-EVT-003",
        entity is None or entity == store_id,
        expected=f"shipping-entity-id absent or {store_id} (the store if shipped there, else 0)",
        found=f"shipping-entity-id {entity!r}",
    )
    kind = address.get("type")
    expect.that(
        "DS-EVT-004",
        (kind == "Store") == ship_to_store,
        expected=f"shipping-address type {'Store' if ship_to_store else 'not Store'}",
        found=f"type {kind!r}",
    )
    status = target.control.order(settings.supplier_id, order_id).json().get("status")
    expect.equal("DS-STAT-004", status, "PendingSupplier", what="status of the new order")


@pytest.mark.requirements(
    "DS-UPD-001", "DS-UPD-002", "DS-UPD-005", "DS-UPD-006", "DS-STAT-002", "DS-TRK-001"
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
    by_id = ("DS-STAT-002",) if isinstance(ordered, int) else ()
    steps = [
        ({"Id": order.order_id, "Status": ordered}, (*by_id, "DS-UPD-005")),
        (
            {
                "Id": order.order_id,
                "Status": shipped,
                "TrackingInfo": f"1Z{uuid.uuid4().hex[:16].upper()}",
                "ShippingProvider": "UPS",
                "Message": "No errors",
                "Info": "www.ups.com",
            },
            by_id,
        ),
    ]
    for body, accepted_by in steps:
        before = set(order_updates(dropship, order.order_id))
        send_update(dropship, expect, "putOrderStatusUpdate", order.order_id, body, accepted_by)
        fresh = fed_since(dropship, order.order_id, before, wait_seconds(target))
        judge_order_fed(expect, order, body, fresh, target.settings.supplier_id)


@pytest.mark.requirements("DS-ITEM-001", "DS-ITEM-002", "DS-EVT-006", "DS-STAT-002", "DS-TRK-001")
def test_all_items_shipped_by_item_status_update(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    """002 §Notifying the End Customer: a block of items Shipped in one ItemStatusUpdate."""
    order = testdata.new_order()
    body = {
        "Id": order.order_id,
        "ItemInformation": [
            {
                "Sku": item["sku"],
                **catalog(order, item["sku"]),
                "Status": "Shipped",
                "Quantity": item["quantity"],
                "TrackingInfo": f"1Z{uuid.uuid4().hex[:16].upper()}",
                "ShippingProvider": "FedEx",
            }
            for item in order.sent_items
        ],
    }
    unsent: list[str] = []
    before = set(order_updates(dropship, order.order_id))
    send_update(dropship, expect, "putItemStatusUpdate", order.order_id, body)
    fresh = fed_since(dropship, order.order_id, before, wait_seconds(target))
    judge_items_fed(expect, order, body, fresh, target.settings.supplier_id, unsent)
    expect.none_of("DS-EVT-006", unsent, expected="values not sent are nil or absent in the feed")


@pytest.mark.requirements("DS-TRK-001")
@pytest.mark.parametrize(
    "operation",
    [
        pytest.param("putOrderStatusUpdate", marks=pytest.mark.requirements("DS-UPD-006")),
        pytest.param("putItemStatusUpdate", marks=pytest.mark.requirements("DS-EVT-006")),
    ],
)
def test_shipped_without_tracking_is_accepted(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect, operation: str
) -> None:
    """Tracking with Shipped is the client's duty (DS-TRK-003): the server takes it without."""
    order = testdata.new_order()
    first = order.sent_items[0]
    body: dict[str, Any] = (
        {"Id": order.order_id, "Status": "Shipped"}
        if operation == "putOrderStatusUpdate"
        else {
            "Id": order.order_id,
            "ItemInformation": [
                {
                    "Sku": first["sku"],
                    **catalog(order, first["sku"]),
                    "Status": "Shipped",
                    "Quantity": first["quantity"],
                }
            ],
        }
    )
    unsent: list[str] = []
    before = set(order_updates(dropship, order.order_id))
    send_update(dropship, expect, operation, order.order_id, body, accepted_by=("DS-TRK-001",))
    fresh = fed_since(dropship, order.order_id, before, wait_seconds(target))
    if operation == "putOrderStatusUpdate":
        judge_order_fed(expect, order, body, fresh, target.settings.supplier_id)
    else:
        judge_items_fed(expect, order, body, fresh, target.settings.supplier_id, unsent)
        expect.none_of("DS-EVT-006", unsent, expected="values not sent are nil or absent")


@pytest.mark.requirements("LINK-001", "LINK-002", "LINK-004", "LINK-005", "DS-EVT-007")
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
    expect.that(
        "ORD-UPD-003", got.status == 200, expected="GET Order answers 200", found=describe(got)
    )
    retail = got.json()
    expect.none_of(
        "ORD-UPD-003",
        openapi.validate_response("getOrder", got.status, retail),
        expected="the getOrder body validates against the OpenAPI",
    )
    printable = retail.get("PrintableId")
    matching = [
        entry
        for entry in recent_entries(dropship)
        if entry.payload_kind == "order-created"
        and ((events.to_value(entry.payload).get("seller") or {}).get("printable-id")) == printable
    ]
    expect.that(
        "LINK-001",
        len(matching) == 1,
        expected=f"exactly one order-created with printable-id {printable!r}",
        found=f"{len(matching)}",
    )
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
    problems = [f"{k}: fed {f!r}, order has {w!r}" for k, (f, w) in wanted.items() if f != w]
    fed_items = {item.get("sku"): item for item in value.get("items") or []}
    if sorted(fed_items) != sorted(order.skus):
        problems.append(f"order-item skus {sorted(fed_items)}, DropShip items {order.skus}")
    for sent in order.sent_items:
        item = fed_items.get(sent["sku"]) or {}
        for name in ("quantity", "selling-price"):
            if number(item.get(name)) != number(sent[name]):
                problems.append(f"item {sent['sku']}: {name} {item.get(name)!r}, {sent[name]!r}")
        if item.get("description") != sent["description"]:
            problems.append(f"item {sent['sku']}: description {item.get('description')!r}")
    expect.none_of("LINK-002", problems, expected="the order-created carries the order's data")
    expect.that(
        "DS-EVT-007",
        not same_guid(value.get("order-id"), order.linked_order_id),
        expected="the dropship order-id is not the retailer's order id",
        found=f"order-id {value.get('order-id')!r}",
    )
    wait = wait_seconds(target)
    tracking = f"1Z{uuid.uuid4().hex[:8].upper()}"
    steps = [
        {"Id": order.order_id, "Status": "Ordered"},
        {
            "Id": order.order_id,
            "Status": "Shipped",
            "TrackingInfo": tracking,
            "ShippingProvider": "UPS",
        },
    ]
    for body in steps:
        send_update(dropship, expect, "putOrderStatusUpdate", order.order_id, body)
        status = str(body["Status"])

        def shown(items: dict[str, dict[str, Any]], status: str = status) -> bool:
            return not linked_status_problems(items, order.skus, status)

        items = eventually(lambda: linked_items(orders, expect, order), shown, wait)
        expect.none_of(
            "LINK-004",
            linked_status_problems(items, order.skus, status),
            expected=f"the DropShip items show {status} {LINKED_STATUS[status]}",
        )
    expect.none_of(
        "LINK-005",
        linked_tracking_problems(items, order.skus, tracking),
        expected=f"each item's TrackingInformation holds the tracking number {tracking}",
    )


@pytest.mark.requirements("LINK-003")
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
        pytest.skip(f"cannot create an order through the Orders API: {describe(created)}")
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
            pytest.skip(f"cannot add a DropShip item: {describe(added)}")

    def made_from_it(value: dict[str, Any]) -> bool:
        return (value.get("seller") or {}).get("printable-id") == order.get("PrintableId")

    early = [e for e in testdata.recent_entries() if e.payload_kind == "order-created"]
    expect.that(
        "LINK-003",
        not any(made_from_it(events.to_value(e.payload)) for e in early),
        expected="no order-created before Process",
        found="an order-created for the order before it was processed",
    )
    if orders.process_order(order["Id"]).status != 201:
        pytest.skip("the Orders API did not process the order")
    value = testdata.find_created(made_from_it, wait=wait_seconds(target))
    skus = sorted(item.get("sku") for item in value.get("items") or [])
    expect.equal("LINK-003", skus, [mine], what="SKUs of the order-created in this supplier's feed")
