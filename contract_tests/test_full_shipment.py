"""Full-shipment suite: a new dropship order is fed as order-created, the supplier reports it
Ordered and then Shipped with a tracking number and carrier (002 §3.1 Shipping an Order, 001
§Order Status Updates), every update is echoed and fed as sent, and on an order made through the
Orders API the items show the supplier's progress (ASSUME-ORDERS-TO-DROPSHIP).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import pytest

from dropship_conformance import openapi
from dropship_conformance.client import DropshipClient, OrdersClient, Reply
from dropship_conformance.feed import atom, events
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder, TestData
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.full_shipment

T = TypeVar("T")
JSON = "application/json"
POLL_SECONDS = 0.25
# A fresh order's entries sit in the current document unless other events pushed them into
# the newest archives meanwhile; three pages are plenty for one test.
FEED_PAGES = 3
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
STATUS_NAMES: dict[int, str] = {
    row["id"]: row["name"]
    for row in openapi.document("dropship")["components"]["schemas"]["OrderStatus"]["x-enumeration"]
}
# LINK-004: the Orders API DropShip ItemStatus (id, name) a supplier status becomes.
LINKED_STATUS: dict[str, tuple[int, str]] = {
    "Ordered": (4, "Ordered"),
    "Error": (5, "Error"),
    "NotAvailable": (6, "NotAvailable"),
    "Shipped": (7, "Shipped"),
    "Cancelled": (2, "Cancelled"),
}
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
TRACKING_FIELDS = ("TrackingInfo", "ShippingProvider")
# operationId -> the client method that sends it.
PUTS = {
    "putOrderStatusUpdate": DropshipClient.order_status_update,
    "putItemStatusUpdate": DropshipClient.item_status_update,
}
# operationId -> (MUST requirement of the accepted answer, SHOULD requirement of 202).
ANSWERED_BY = {
    "putOrderStatusUpdate": ("DS-UPD-001", "DS-UPD-002"),
    "putItemStatusUpdate": ("DS-ITEM-001", "DS-ITEM-002"),
}


# ---------------------------------------------------------------- comparing by meaning


def status_name(value: Any) -> str | None:
    """The documented name of a status sent by name or by id (DEV-STATUS-NAME-OR-ID)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return STATUS_NAMES.get(value)
    return value if isinstance(value, str) and value in STATUS_NAMES.values() else None


def number(value: Any) -> Decimal | None:
    """A quantity or price as a number, whether JSON number or XML text."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def same_in_echo(field: str, sent: Any, echoed: Any) -> bool:
    if field == "Status":
        return status_name(sent) is not None and status_name(sent) == status_name(echoed)
    if field in ("Id", "CatalogId") and isinstance(sent, str) and isinstance(echoed, str):
        return sent.lower() == echoed.lower()
    if field == "Quantity":
        return number(sent) is not None and number(sent) == number(echoed)
    return sent == echoed


def same_in_feed(field: str, sent: Any, fed: Any) -> bool:
    if sent is None:
        return fed is None
    if field == "Status":
        return fed == status_name(sent)
    if field == "Quantity":
        return number(fed) is not None and number(fed) == number(sent)
    if field == "CatalogId":
        return isinstance(fed, str) and fed.lower() == str(sent).lower()
    return fed == sent


def same_guid(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.strip().lower() == b.strip().lower()


def describe(reply: Reply) -> str:
    content_type = reply.headers.get("content-type") or "no Content-Type"
    return f"HTTP {reply.status} ({content_type}) {reply.text[:300]!r}"


def wait_seconds(target: Target) -> float:
    """How long an effect may take to show: at once on the sandbox, bounded elsewhere."""
    return 0.0 if target.control is not None else target.settings.event_wait


def eventually(fetch: Callable[[], T], holds: Callable[[T], bool], wait: float) -> T:
    """``fetch()`` until ``holds`` or ``wait`` seconds passed; the last value either way."""
    deadline = time.monotonic() + wait
    while True:
        value = fetch()
        if holds(value) or time.monotonic() >= deadline:
            return value
        time.sleep(POLL_SECONDS)


# ---------------------------------------------------------------- the feed


def recent_entries(dropship: DropshipClient, **options: Any) -> list[atom.Entry]:
    """Entries of the current document and the newest archives, newest first."""
    reply = dropship.notifications(**options)
    entries: list[atom.Entry] = []
    for _ in range(FEED_PAGES):
        if reply.status != 200:
            pytest.skip(f"cannot read the order feed ({reply.url}): {describe(reply)}")
        try:
            document = atom.read_feed(reply.content)
        except ValueError as error:
            pytest.skip(f"the order feed is not a readable Atom document: {error}")
        entries.extend(document.entries)
        previous = document.link("prev-archive")
        if previous is None:
            break
        reply = dropship.follow(previous, **options)
    return entries


def order_created(dropship: DropshipClient, order_id: str) -> list[dict[str, Any]]:
    return [
        events.to_value(entry.payload)
        for entry in recent_entries(dropship)
        if entry.payload_kind == "order-created" and same_guid(entry.order_id, order_id)
    ]


def order_updates(dropship: DropshipClient, order_id: str) -> dict[str, dict[str, Any]]:
    """The order-status-updated payloads of ``order_id`` by entry id, newest first."""
    return {
        entry.id or "": events.to_value(entry.payload)
        for entry in recent_entries(dropship)
        if entry.payload_kind == "order-status-updated" and same_guid(entry.order_id, order_id)
    }


def fed_since(
    dropship: DropshipClient, order_id: str, before: set[str], wait: float
) -> list[dict[str, Any]]:
    """The order's order-status-updated payloads that were not in the feed ``before``."""
    return eventually(
        lambda: [v for k, v in order_updates(dropship, order_id).items() if k not in before],
        bool,
        wait,
    )


# ---------------------------------------------------------------- judging an update


def echo_problems(sent: dict[str, Any], echo: Any, where: str = "") -> list[tuple[str, str]]:
    """(field, problem) for every sent field the echo lacks or changes (DEV-ECHO-ENRICHED)."""
    if not isinstance(echo, dict):
        return [("*", f"{where or 'body'}: echoed {echo!r}, not an object")]
    problems = []
    for field, value in sent.items():
        if field == "ItemInformation":
            continue
        if field not in echo:
            problems.append((field, f"{where}{field}: sent {value!r}, missing from the echo"))
        elif not same_in_echo(field, value, echo[field]):
            problems.append((field, f"{where}{field}: sent {value!r}, echoed {echo[field]!r}"))
    infos = sent.get("ItemInformation")
    if isinstance(infos, list) and isinstance(echo, dict):
        echoed = echo.get("ItemInformation")
        if not isinstance(echoed, list) or len(echoed) != len(infos):
            return [*problems, ("*", f"ItemInformation: sent {len(infos)}, echoed {echoed!r}")]
        by_sku = {e.get("Sku"): e for e in echoed if isinstance(e, dict)}
        for index, info in enumerate(infos):
            match = by_sku.get(info.get("Sku"))
            label = f"ItemInformation[{index}]"
            if match is None:
                problems.append(("*", f"{label}: Sku {info.get('Sku')!r} missing from the echo"))
            else:
                problems += echo_problems(info, match, f"{label}.")
    return problems


def judge_by_field(
    expect: Expect,
    problems: list[tuple[str, str]],
    sent_fields: set[str],
    routes: dict[str, tuple[str, ...]],
    rest: str,
    expected: str,
) -> None:
    """Judge problems of the fields in ``routes`` by their own requirement, the rest by ``rest``.

    A routed requirement is judged only when one of its fields was sent, so it never counts
    as checked by a request that could not show it.
    """
    for requirement_id, fields in routes.items():
        if sent_fields & set(fields):
            found = [text for field, text in problems if field in fields]
            expect.none_of(requirement_id, found, expected=f"{expected} ({', '.join(fields)})")
    routed = {field for fields in routes.values() for field in fields}
    expect.none_of(rest, [t for f, t in problems if f not in routed], expected=expected)


def sent_fields(body: dict[str, Any]) -> set[str]:
    fields = set(body)
    for info in body.get("ItemInformation") or []:
        fields |= set(info)
    return fields


def send_update(
    dropship: DropshipClient,
    expect: Expect,
    operation: str,
    order_id: str,
    body: dict[str, Any],
    accepted_by: tuple[str, ...] = (),
) -> Any:
    """PUT one status update and judge its answer: 2xx, JSON, the schema, the echo, 202."""
    must, should = ANSWERED_BY[operation]
    reply = PUTS[operation](dropship, order_id, body)
    for requirement_id in (*accepted_by, must):
        expect.that(
            requirement_id,
            200 <= reply.status < 300,
            expected=f"{operation} of {body!r} accepted (2xx)",
            found=describe(reply),
        )
    expect.that(
        must,
        reply.media_type == JSON,
        expected=f"the echo with Content-Type {JSON}",
        found=repr(reply.headers.get("content-type")),
    )
    try:
        echo = reply.json()
    except ValueError as error:
        expect.that(must, False, expected="a JSON echo of the update", found=str(error))
        raise
    expect.none_of(
        must,
        openapi.validate_response(operation, reply.status, echo),
        expected=f"the {reply.status} body of {operation} validates against the OpenAPI",
    )
    routes = {"DS-TRK-001": TRACKING_FIELDS}
    if operation == "putOrderStatusUpdate":
        routes["DS-UPD-005"] = ("Message",)
    judge_by_field(
        expect,
        echo_problems(body, echo),
        sent_fields(body),
        routes,
        must,
        "the echo holds every sent field unchanged by meaning",
    )
    expect.equal(should, reply.status, 202, what="status of the accepted update")
    return echo


def fed_problems(sent: dict[str, Any], fed: dict[str, Any], where: str) -> list[tuple[str, str]]:
    problems = []
    for field, element in FED_AS.items():
        if field in sent and not same_in_feed(field, sent[field], fed.get(element)):
            problems.append(
                (field, f"{where}{element}: sent {sent[field]!r}, fed {fed.get(element)!r}")
            )
    return problems


def header_problems(
    fed: dict[str, Any], order: DropshipOrder, supplier_id: int
) -> list[tuple[str, str]]:
    problems = []
    if not same_guid(fed.get("order-id"), order.order_id):
        problems.append(("*", f"order-id {fed.get('order-id')!r}, expected {order.order_id}"))
    if fed.get("supplier-id") != str(supplier_id):
        problems.append(("*", f"supplier-id {fed.get('supplier-id')!r}, expected {supplier_id}"))
    return problems


def judge_order_fed(
    expect: Expect,
    order: DropshipOrder,
    body: dict[str, Any],
    fresh: list[dict[str, Any]],
    supplier_id: int,
) -> None:
    """DS-UPD-006: one new entry, one item-information per order item with the sent values."""
    expect.that(
        "DS-UPD-006",
        len(fresh) == 1,
        expected=f"exactly one new order-status-updated for order {order.order_id}",
        found=f"{len(fresh)} new entries: {fresh!r}",
    )
    fed = fresh[0]
    problems = header_problems(fed, order, supplier_id)
    ordered = {item["sku"]: item for item in order.created.get("items") or []}
    items = [i for i in fed.get("items") or [] if isinstance(i, dict)]
    skus = sorted(str(item.get("sku")) for item in items)
    if skus != sorted(ordered):
        problems.append(("*", f"item-information skus {skus}, the order's {sorted(ordered)}"))
    sent = {k: v for k, v in body.items() if k != "Id"}
    for item in items:
        sku = item.get("sku")
        if sku in ordered and number(item.get("quantity")) != number(ordered[sku]["quantity"]):
            problems.append(
                (
                    "*",
                    f"item {sku}: quantity {item.get('quantity')!r}, "
                    f"ordered {ordered[sku]['quantity']!r}",
                )
            )
        problems += fed_problems(sent, item, f"item {sku}: ")
    judge_by_field(
        expect,
        problems,
        set(sent),
        {"DS-STAT-002": ("Status",), "DS-TRK-001": TRACKING_FIELDS, "DS-UPD-005": ("Message",)},
        "DS-UPD-006",
        "the order-status-updated carries what was sent for every item of the order",
    )


def judge_items_fed(
    expect: Expect,
    order: DropshipOrder,
    body: dict[str, Any],
    fresh: list[dict[str, Any]],
    supplier_id: int,
    unsent: list[str],
    fed_rule: str = "DS-EVT-006",
) -> None:
    """DS-EVT-006: one new entry with one item-information per sent ItemInformation.

    Values the update did not send must be nil or absent; those problems are added to
    ``unsent`` so the caller judges them last and every other rule still gets its verdict.
    """
    expect.that(
        fed_rule,
        len(fresh) == 1,
        expected=f"exactly one new order-status-updated for order {order.order_id}",
        found=f"{len(fresh)} new entries: {fresh!r}",
    )
    fed = fresh[0]
    problems = header_problems(fed, order, supplier_id)
    infos = body["ItemInformation"]
    items = [i for i in fed.get("items") or [] if isinstance(i, dict)]
    if len(items) != len(infos):
        problems.append(("*", f"{len(items)} item-information fed for {len(infos)} sent"))
    by_sku = {item.get("sku"): item for item in items}
    for info in infos:
        item = by_sku.get(info["Sku"])
        if item is None:
            problems.append(("*", f"no item-information with sku {info['Sku']!r}"))
            continue
        problems += fed_problems(info, item, f"item {info['Sku']}: ")
        # The XSD requires catalog-id and quantity: the order's own values may fill them.
        own = next((i for i in order.created.get("items") or [] if i.get("sku") == info["Sku"]), {})
        unsent += [
            f"item {info['Sku']}: {element} fed {item[element]!r}, not sent"
            for field, element in FED_AS.items()
            if field not in info
            and item.get(element) is not None
            and not (
                element in ("catalog-id", "quantity") and item.get(element) == own.get(element)
            )
        ]
    judge_by_field(
        expect,
        problems,
        sent_fields(body),
        {"DS-STAT-002": ("Status",), "DS-TRK-001": TRACKING_FIELDS},
        "DS-EVT-006",
        "the order-status-updated carries exactly the item information sent",
    )


# ---------------------------------------------------------------- the Orders API side


def linked_items(
    orders: OrdersClient, expect: Expect, order: DropshipOrder
) -> dict[str, dict[str, Any]]:
    """The Orders API items of a linked order by SKU (judged by the operation's rules)."""
    assert order.linked_order_id is not None
    reply = orders.list_items(order.linked_order_id)
    expect.that(
        "ORD-ITEM-007",
        reply.status == 200,
        expected="GET Items answers 200",
        found=describe(reply),
    )
    body = reply.json()
    expect.none_of(
        "ORD-ITEM-007",
        openapi.validate_response("listItems", reply.status, body),
        expected="the listItems body validates against the OpenAPI",
    )
    return {str(item.get("SKU")): item for item in body if isinstance(item, dict)}


def linked_status_problems(
    items: dict[str, dict[str, Any]], skus: list[str], status: str
) -> list[str]:
    want_id, want_name = LINKED_STATUS[status]
    problems = []
    for sku in skus:
        item = items.get(sku)
        if item is None:
            problems.append(f"no Orders API item with SKU {sku}")
        elif item.get("ItemStatusId") != want_id or item.get("ItemStatus") != want_name:
            problems.append(
                f"item {sku}: ItemStatusId {item.get('ItemStatusId')!r} ItemStatus "
                f"{item.get('ItemStatus')!r}, expected {want_id} {want_name}"
            )
    return problems


def tracking_numbers(tracking_info: str) -> list[str]:
    return sorted(part.strip() for part in tracking_info.split(",") if part.strip())


def linked_tracking_problems(
    items: dict[str, dict[str, Any]], skus: list[str], tracking_info: str
) -> list[str]:
    problems = []
    for sku in skus:
        entries = (items.get(sku) or {}).get("TrackingInformation") or []
        found = sorted(str(e.get("TrackingNumber")) for e in entries if isinstance(e, dict))
        if found != tracking_numbers(tracking_info):
            problems.append(f"item {sku}: TrackingNumbers {found}, sent {tracking_info!r}")
    return problems


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
