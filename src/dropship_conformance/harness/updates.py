"""Shared steps of the status-update suites: send an update, read what the feed made of it,
and compare both with what was sent, by meaning (statuses by name or id, numbers as decimals).

The full- and partial-shipment suites judge the same things about an update; keeping the steps
here makes them judge it the same way.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import urljoin

import pytest

from dropship_conformance import openapi
from dropship_conformance.client import DropshipClient, OrdersClient, Reply
from dropship_conformance.feed import atom, events
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder
from dropship_conformance.verdicts import Expect

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
# DEV-ECHO-ENRICHED: 000 and 002 echo items without the ProductName that was sent.
MAY_LEAVE_OUT = {"ProductName"}
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
    # A link names its page whole: the supplier id only builds the first URL.
    follow_options = {k: v for k, v in options.items() if k != "supplier_id"}
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
        reply = dropship.follow(urljoin(reply.url, previous), **follow_options)
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
        if field == "ItemInformation" or (field in MAY_LEAVE_OUT and field not in echo):
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


def untracked_items(body: dict[str, Any]) -> list[int]:
    """Indexes of the ItemInformation entries without TrackingInfo that are not Shipped."""
    return [
        index
        for index, info in enumerate(body.get("ItemInformation") or [])
        if info.get("TrackingInfo") is None and status_name(info.get("Status")) != "Shipped"
    ]


def with_tracking(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with a TrackingInfo on every item that lacks one: valid in 000 as well."""
    missing = set(untracked_items(body))
    return {
        **body,
        "ItemInformation": [
            {**info, "TrackingInfo": f"1Z{uuid.uuid4().hex[:12].upper()}"}
            if index in missing
            else info
            for index, info in enumerate(body["ItemInformation"])
        ],
    }


def put_in_either_edition(
    dropship: DropshipClient, expect: Expect, operation: str, order_id: str, body: dict[str, Any]
) -> tuple[Reply, dict[str, Any]]:
    """PUT ``body``; an item update refused while some non-Shipped item has no TrackingInfo
    is warned (DS-ITEM-009: 000 makes it Required) and resent with one on every item.

    Only the added TrackingInfo differs between the two requests, so a refusal of the first
    and acceptance of the second shows that 000's reading explains the refusal. The reply
    and the body that decide the rest of the test are returned.
    """
    reply = PUTS[operation](dropship, order_id, body)
    if operation != "putItemStatusUpdate" or not untracked_items(body):
        return reply, body
    expected = "items that are not Shipped accepted without TrackingInfo (001)"
    if 200 <= reply.status < 300:
        expect.that("DS-ITEM-009", True, expected=expected, found=describe(reply))
    if not 400 <= reply.status < 500:
        return reply, body
    resent = with_tracking(body)
    again = PUTS[operation](dropship, order_id, resent)
    if 200 <= again.status < 300:
        expect.that(
            "DS-ITEM-009",
            False,
            expected=expected,
            found=f"{describe(reply)}; accepted with a TrackingInfo on every item (000)",
        )
    return again, resent


def send_update(
    dropship: DropshipClient,
    expect: Expect,
    operation: str,
    order_id: str,
    body: dict[str, Any],
    accepted_by: tuple[str, ...] = (),
) -> dict[str, Any]:
    """PUT one status update and judge its answer: 2xx, JSON, the schema, the echo, 202.

    The body the server accepted is returned: ``body``, or ``body`` with TrackingInfo added
    where a server following 000 refused it without (``put_in_either_edition``).
    """
    reply, body = put_in_either_edition(dropship, expect, operation, order_id, body)
    judge_answer(expect, operation, body, reply, accepted_by)
    return body


def judge_answer(
    expect: Expect,
    operation: str,
    body: dict[str, Any],
    reply: Reply,
    accepted_by: tuple[str, ...] = (),
) -> None:
    """The answer to an update that must be accepted: 2xx, JSON, the schema, the echo, 202."""
    must, should = ANSWERED_BY[operation]
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


def fed_problems(sent: dict[str, Any], fed: dict[str, Any], where: str) -> list[tuple[str, str]]:
    problems = []
    for field, element in FED_AS.items():
        if field in sent and not same_in_feed(field, sent[field], fed.get(element)):
            problems.append(
                (field, f"{where}{element}: sent {sent[field]!r}, fed {fed.get(element)!r}")
            )
    return problems


def fed_items(fed: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in fed.get("items") or [] if isinstance(item, dict)]


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
    """DS-UPD-006: a new entry whose item-information carry the sent values; DS-UPD-008
    (SHOULD): one entry, one item-information per order item with its sku and quantity."""
    expect.that(
        "DS-UPD-006",
        bool(fresh) and any(fed_items(fed) for fed in fresh),
        expected=f"a new order-status-updated with item-information for order {order.order_id}",
        found=f"{len(fresh)} new entries: {fresh!r}",
    )
    problems = [p for fed in fresh for p in header_problems(fed, order, supplier_id)]
    items = [item for fed in fresh for item in fed_items(fed)]
    ordered = {item["sku"]: item for item in order.created.get("items") or []}
    skus = sorted(str(item.get("sku")) for item in items)
    shape = [] if len(fresh) == 1 else [f"{len(fresh)} new entries for one update"]
    if skus != sorted(ordered):
        shape.append(f"item-information skus {skus}, the order's {sorted(ordered)}")
    sent = {k: v for k, v in body.items() if k != "Id"}
    for item in items:
        sku = item.get("sku")
        quantity = number(item.get("quantity"))
        if sku in ordered and quantity not in (None, number(ordered[sku]["quantity"])):
            shape.append(f"item {sku}: quantity {item.get('quantity')!r}, ordered")
        problems += fed_problems(sent, item, f"item {sku}: ")
    expect.none_of(
        "DS-UPD-008",
        shape,
        expected="one entry, one item-information per item of the order (its sku and quantity)",
    )
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
    """DS-EVT-006: a new entry with an item-information carrying each sent item's values.

    That it is one entry with one item-information per sent item, and that values the update
    did not send are nil or absent (DS-EVT-010, SHOULD), is added to ``unsent`` so the caller
    judges it last and every other rule still gets its verdict.
    """
    expect.that(
        fed_rule,
        bool(fresh),
        expected=f"a new order-status-updated for order {order.order_id}",
        found="none in the current document and the newest archives",
    )
    problems = [p for fed in fresh for p in header_problems(fed, order, supplier_id)]
    infos = body["ItemInformation"]
    items = [item for fed in fresh for item in fed_items(fed)]
    if len(fresh) != 1:
        unsent.append(f"{len(fresh)} new entries for one update")
    if len(items) != len(infos):
        unsent.append(f"{len(items)} item-information fed for {len(infos)} sent")
    by_sku = {item.get("sku"): item for item in items}
    for info in infos:
        item = by_sku.get(info["Sku"])
        if item is None:
            problems.append(("*", f"no item-information with sku {info['Sku']!r}"))
            continue
        problems += fed_problems(info, item, f"item {info['Sku']}: ")
        # 000's examples fill catalog-id and quantity with the order's own values.
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
        "the order-status-updated carries the item information sent",
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
