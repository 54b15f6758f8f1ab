"""Full-shipment suite: a new dropship order is fed as order-created, the supplier reports it
Ordered and then Shipped with a tracking number and carrier (002 §3.1 Shipping an Order, 001
§Order Status Updates), every update is echoed and fed as sent, and on an order made through the
Orders API the items show the supplier's progress (ASSUME-ORDERS-TO-DROPSHIP).
"""

from __future__ import annotations

import dataclasses
import json
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
    ANSWERED_BY,
    GUID,
    LINKED_STATUS,
    PUTS,
    TRACKING_FIELDS,
    describe,
    fed_since,
    judge_answer,
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

UNSENT = "one entry, one item-information per sent item, values not sent nil or absent"
NUMERIC_TRACKING = 23923408863  # 000 §Update Item Status, 002 §Updating the Item Status


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


@pytest.mark.requirements(
    "DS-ITEM-001", "DS-ITEM-002", "DS-EVT-006", "DS-EVT-010", "DS-STAT-002", "DS-TRK-001"
)
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
    expect.none_of("DS-EVT-010", unsent, expected=UNSENT)


def shipped_body(operation: str, order: DropshipOrder, **fields: Any) -> dict[str, Any]:
    """Shipped with ``fields``: the whole order, or its first item with its quantity."""
    if operation == "putOrderStatusUpdate":
        return {"Id": order.order_id, "Status": "Shipped", **fields}
    first = order.sent_items[0]
    info = {"Sku": first["sku"], **catalog(order, first["sku"]), "Status": "Shipped"}
    return {
        "Id": order.order_id,
        "ItemInformation": [{**info, "Quantity": first["quantity"], **fields}],
    }


def judge_refused_or_fed(
    dropship: DropshipClient,
    target: Target,
    expect: Expect,
    order: DropshipOrder,
    operation: str,
    body: dict[str, Any],
    before: set[str],
    accepted: bool,
) -> None:
    """DS-TRK-001 where two readings are documented: a refusal (4xx) records nothing; an
    acceptance is fed like any other update."""
    fresh = fed_since(dropship, order.order_id, before, wait_seconds(target) if accepted else 0)
    if not accepted:
        expect.that(
            "DS-TRK-001",
            not fresh,
            expected=f"the refused {operation} records nothing",
            found=f"{len(fresh)} new order-status-updated entries: {fresh!r}",
        )
    elif operation == "putOrderStatusUpdate":
        judge_order_fed(expect, order, body, fresh, target.settings.supplier_id)
    else:
        unsent: list[str] = []
        judge_items_fed(expect, order, body, fresh, target.settings.supplier_id, unsent)
        expect.none_of("DS-EVT-010", unsent, expected=UNSENT)


@pytest.mark.requirements("DS-TRK-001")
@pytest.mark.parametrize(
    "operation",
    [
        pytest.param("putOrderStatusUpdate", marks=pytest.mark.requirements("DS-UPD-006")),
        pytest.param("putItemStatusUpdate", marks=pytest.mark.requirements("DS-EVT-006")),
    ],
)
@pytest.mark.parametrize(
    "missing", [TRACKING_FIELDS, ("ShippingProvider",)], ids=["both", "carrier"]
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
    kept = {"TrackingInfo": f"1Z{uuid.uuid4().hex[:16].upper()}", "ShippingProvider": "UPS"}
    body = shipped_body(operation, order, **{k: v for k, v in kept.items() if k not in missing})
    before = set(order_updates(dropship, order.order_id))
    reply = PUTS[operation](dropship, order.order_id, body)
    expect.that(
        "DS-TRK-001",
        200 <= reply.status < 300 or 400 <= reply.status < 500,
        expected=f"Shipped without {' and '.join(missing)}: accepted (2xx) or refused (4xx)",
        found=describe(reply),
    )
    accepted = 200 <= reply.status < 300
    if accepted:
        judge_answer(expect, operation, body, reply, ("DS-TRK-001",))
    judge_refused_or_fed(dropship, target, expect, order, operation, body, before, accepted)


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


def echoed_tracking(echo: Any, operation: str, sku: str) -> Any:
    if not isinstance(echo, dict):
        return echo
    if operation == "putOrderStatusUpdate":
        return echo.get("TrackingInfo")
    items = [i for i in echo.get("ItemInformation") or [] if isinstance(i, dict)]
    return next((i.get("TrackingInfo") for i in items if i.get("Sku") == sku), None)


@pytest.mark.requirements("DS-TRK-001")
@pytest.mark.parametrize(
    "operation",
    [
        pytest.param("putOrderStatusUpdate", marks=pytest.mark.requirements("DS-UPD-001")),
        pytest.param("putItemStatusUpdate", marks=pytest.mark.requirements("DS-ITEM-001")),
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
    expect.that(
        "DS-TRK-001",
        200 <= reply.status < 300 or 400 <= reply.status < 500,
        expected="a numeric TrackingInfo accepted (2xx) or refused (4xx)",
        found=describe(reply),
    )
    accepted = 200 <= reply.status < 300
    if accepted:
        try:
            echo = reply.json()
        except ValueError as error:
            expect.that(ANSWERED_BY[operation][0], False, expected="a JSON echo", found=str(error))
            raise
        echoed = echoed_tracking(echo, operation, order.sent_items[0]["sku"])
        expect.that(
            "DS-TRK-001",
            echoed in (NUMERIC_TRACKING, str(NUMERIC_TRACKING)),
            expected=f"TrackingInfo echoed as {NUMERIC_TRACKING} or {str(NUMERIC_TRACKING)!r}",
            found=f"TrackingInfo {echoed!r}",
        )
        # The rest of the answer is judged as if the digits had been sent and echoed.
        as_text = dataclasses.replace(reply, content=json.dumps(tracking_as_text(echo)).encode())
        judge_answer(expect, operation, tracking_as_text(body), as_text)
    judge_refused_or_fed(
        dropship, target, expect, order, operation, tracking_as_text(body), before, accepted
    )


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

        def shown(items: dict[str, dict[str, Any]], status: str = status) -> dict[str, list[str]]:
            return {"LINK-004": linked_status_problems(items, order.skus, status)}

        items = testdata.await_link(lambda: linked_items(orders, expect, order), shown, wait)
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
