"""Partial-shipment suite: items of one dropship order ship separately (001 §Multiple
Shiments, 002 §Optional: Partially Shipping an Order). ItemStatusUpdates carry some items Shipped
and others BackOrdered, PartiallyShipped (6) repeats with quantities before Shipped (2), several
tracking numbers travel comma-delimited as one value, a later TrackingInfo replaces the earlier,
and on an order made through the Orders API each tracking number shows on its item.

The helpers above the tests are the same as in test_full_shipment.py (kept in step by hand until
they move into the harness package).
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

pytestmark = pytest.mark.partial_shipment

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
) -> dict[str, Any]:
    """Send one update, judge its answer and its feed entry; the entry's payload."""
    before = set(order_updates(dropship, order.order_id))
    send_update(dropship, expect, operation, order.order_id, body, accepted_by)
    fresh = fed_since(dropship, order.order_id, before, wait_seconds(target))
    supplier_id = target.settings.supplier_id
    if operation == "putOrderStatusUpdate":
        judge_order_fed(expect, order, body, fresh, supplier_id)
    else:
        judge_items_fed(expect, order, body, fresh, supplier_id, unsent, fed_rule)
    return fresh[0]


def judge_unsent(expect: Expect, unsent: list[str]) -> None:
    expect.none_of("DS-EVT-006", unsent, expected="values not sent are nil or absent in the feed")


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


@pytest.mark.requirements("DS-ITEM-001", "DS-ITEM-002", "DS-EVT-006", "DS-TRK-001", "DS-STAT-002")
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


@pytest.mark.requirements("DS-ITEM-006", "DS-ITEM-001", "DS-EVT-006")
def test_item_with_only_status_and_sku_is_accepted(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    order = testdata.new_order()
    first, second = order.sent_items
    body = items_body(
        order.order_id,
        {"Sku": first["sku"], "Status": "Ordered"},
        {"Sku": second["sku"], "Status": "NotAvailable"},
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


@pytest.mark.requirements("DS-ITEM-007", "DS-STAT-002", "DS-TRK-001", "DS-EVT-006")
def test_partially_shipped_repeated_then_shipped(
    testdata: TestData, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    """001 §Multiple Shiments: "Status": 6 per shipment of one item, then "Status": 2.

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
            accepted_by=("DS-ITEM-007", "DS-STAT-002"),
            fed_rule="DS-ITEM-007",
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


@pytest.mark.requirements("DS-ITEM-001", "DS-ITEM-002", "DS-EVT-006", "DS-TRK-001")
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


@pytest.mark.requirements("DS-ITEM-001", "DS-EVT-006", "DS-UPD-001", "DS-UPD-006", "DS-TRK-001")
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
                {"Sku": first["sku"], "Status": "Shipped", "TrackingInfo": other},
            ),
            {first["sku"]: other, second["sku"]: three},
            {},
        ),
    ]
    for body, tracking, statuses in steps:
        send_update(dropship, expect, "putItemStatusUpdate", order.order_id, body)

        def problems(
            items: dict[str, dict[str, Any]],
            tracking: dict[str, str] = tracking,
            statuses: dict[str, str] = statuses,
        ) -> list[str]:
            found = [
                problem
                for sku, numbers in tracking.items()
                for problem in linked_tracking_problems(items, [sku], numbers)
            ]
            return found + [
                problem
                for sku, status in statuses.items()
                for problem in linked_status_problems(items, [sku], status)
            ]

        items = eventually(
            lambda: linked_items(orders, expect, order), lambda i: not problems(i), wait
        )
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
