"""Shared steps of the status-update suites: send an update, read what the feed made of it, wait
with a deadline, and hand each observation to its checks (dropship_conformance.checks.updates).

The full-shipment, partial-shipment and cancellation suites send updates the same way; keeping
the steps here makes them judge an update the same way.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urljoin

from dropship_conformance.checks import ids
from dropship_conformance.checks import updates as checks
from dropship_conformance.checks.primitives import (
    GUID,
    describe,
    number,
    same_guid,
    status_name,
    status_names,
)
from dropship_conformance.checks.shipment import ANSWERS_200, BODY_VALIDATES
from dropship_conformance.client import DropshipClient, OrdersClient, Reply
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.feed import atom, events
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder
from dropship_conformance.verdicts import Expect

# Other suites still import these from here; checks.primitives is where they live.
STATUS_NAMES = status_names()
__all__ = ["STATUS_NAMES", "describe", "number", "same_guid", "status_name"]

T = TypeVar("T")
POLL_SECONDS = 0.25
# A fresh order's entries sit in the current document unless other events pushed them into
# the newest archives meanwhile; three pages are plenty for one test.
FEED_PAGES = 3
# operationId -> the client method that sends it.
PUTS = {
    "putOrderStatusUpdate": DropshipClient.order_status_update,
    "putItemStatusUpdate": DropshipClient.item_status_update,
}


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
            raise SetupImpossible(f"cannot read the order feed ({reply.url}): {describe(reply)}")
        try:
            document = atom.read_feed(reply.content)
        except ValueError as error:
            raise SetupImpossible(
                f"the order feed is not a readable Atom document: {error}"
            ) from error
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


# ---------------------------------------------------------------- sending an update


def untracked(info: dict[str, Any]) -> bool:
    """An ItemInformation without TrackingInfo that is not Shipped (001 allows it, 000 not)."""
    return info.get("TrackingInfo") is None and status_name(info.get("Status")) != "Shipped"


def each_item(body: dict[str, Any], change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """``body`` with ``change`` made to every ItemInformation."""
    return {**body, "ItemInformation": [change(info) for info in body["ItemInformation"]]}


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
    infos = body.get("ItemInformation") or []
    if operation != "putItemStatusUpdate" or not any(map(untracked, infos)):
        return reply, body
    if checks.accepted(reply):
        checks.untracked_items_accepted(expect, reply)
    if not 400 <= reply.status < 500:
        return reply, body
    resent = each_item(
        body, lambda info: {**info, "TrackingInfo": new_tracking()} if untracked(info) else info
    )
    again = PUTS[operation](dropship, order_id, resent)
    if checks.accepted(again):
        checks.untracked_items_accepted(expect, reply)
    return again, resent


def put_by_id_or_name(
    dropship: DropshipClient, expect: Expect, operation: str, order_id: str, body: dict[str, Any]
) -> tuple[Reply, dict[str, Any]]:
    """PUT an ItemStatusUpdate whose statuses are ids (001 §Multiple Shiments); refused, it is
    warned (DS-STAT-002: 000 documents names only) and resent with the statuses' names, so a
    names-only server is judged on the same update. Each attempt is made in either edition
    (``put_in_either_edition``). The deciding reply and body are returned."""
    reply, sent = put_in_either_edition(dropship, expect, operation, order_id, body)
    if not 400 <= reply.status < 500:
        if checks.accepted(reply):
            checks.statuses_by_id_accepted(expect, reply)
        return reply, sent
    named = each_item(
        body, lambda info: {**info, "Status": status_names().get(info["Status"], info["Status"])}
    )
    again, sent = put_in_either_edition(dropship, expect, operation, order_id, named)
    if checks.accepted(again):
        checks.statuses_by_id_accepted(expect, reply)
    return again, sent


def send_update(
    dropship: DropshipClient,
    expect: Expect,
    operation: str,
    order_id: str,
    body: dict[str, Any],
    accepted_by: tuple[str, ...] = (),
    *,
    by_field: bool = True,
) -> dict[str, Any]:
    """PUT one status update and judge its answer: 2xx, JSON, the schema, the echo, 202.

    The body the server accepted is returned: ``body``, or ``body`` with TrackingInfo added
    where a server following 000 refused it without (``put_in_either_edition``).
    """
    reply, body = put_in_either_edition(dropship, expect, operation, order_id, body)
    judge_answer(expect, operation, body, reply, accepted_by, by_field=by_field)
    return body


def judge_answer(
    expect: Expect,
    operation: str,
    body: dict[str, Any],
    reply: Reply,
    accepted_by: tuple[str, ...] = (),
    *,
    by_field: bool = True,
) -> None:
    """The answer to an update that must be accepted: 2xx, JSON, the schema, the echo, 202.

    ``by_field``: a sent tracking number or message is judged by its own rule too
    (DS-TRK-001, DS-UPD-005); without, every field by the operation's rule alone.
    """
    must, should = checks.ANSWERED_BY[operation]
    for requirement_id in (*accepted_by, must):
        checks.ACCEPTED.under(requirement_id)(expect, operation, body, reply)
    checks.ECHO_IS_JSON.under(must)(expect, reply)
    checks.ECHO_PARSES.under(must)(expect, reply)
    echo = reply.json()
    checks.ECHO_VALIDATES.under(must)(expect, operation, reply, echo)
    checks.judge_by_field(
        expect,
        checks.ECHOED_AS_SENT,
        checks.echo_problems(body, echo),
        checks.sent_fields(body),
        checks.ECHO_ROUTES[operation] if by_field else {},
        must,
        "the echo holds every sent field unchanged by meaning",
    )
    checks.ANSWERED_202.under(should)(expect, reply)


# ---------------------------------------------------------------- judging what was fed


def judge_order_fed(
    expect: Expect,
    order: DropshipOrder,
    body: dict[str, Any],
    fresh: list[dict[str, Any]],
    supplier_id: int,
) -> None:
    """DS-UPD-006: a new entry whose item-information carry the sent values; DS-UPD-008
    (SHOULD): one entry, one item-information per order item with its sku and quantity."""
    order_id = order.order_id
    checks.order_update_fed(expect, order_id, fresh)
    problems = [p for fed in fresh for p in checks.header_problems(fed, order_id, supplier_id)]
    sent = {k: v for k, v in body.items() if k != "Id"}
    for item in (item for fed in fresh for item in checks.fed_items(fed)):
        problems += checks.fed_problems(sent, item, f"item {item.get('sku')}: ")
    checks.one_entry_per_order_item(expect, order.created.get("items") or [], fresh)
    checks.judge_by_field(
        expect,
        checks.FED_AS_SENT,
        problems,
        set(sent),
        checks.FED_ROUTES["putOrderStatusUpdate"],
        ids.DS_UPD_006,
        "the order-status-updated carries what was sent for every item of the order",
    )


def judge_items_fed(
    expect: Expect,
    order_id: str,
    body: dict[str, Any],
    fresh: list[dict[str, Any]],
    supplier_id: int,
    fed_rule: str = ids.DS_EVT_006,
) -> None:
    """DS-EVT-006: a new entry with an item-information carrying each sent item's values
    (DS-EVT-010 is judged last: ``judge_fed``)."""
    checks.ITEMS_UPDATE_FED.under(fed_rule)(expect, order_id, fresh)
    problems = [p for fed in fresh for p in checks.header_problems(fed, order_id, supplier_id)]
    by_sku = {item.get("sku"): item for fed in fresh for item in checks.fed_items(fed)}
    for info in body["ItemInformation"]:
        if info["Sku"] in by_sku:
            problems += checks.fed_problems(info, by_sku[info["Sku"]], f"item {info['Sku']}: ")
    checks.judge_by_field(
        expect,
        checks.FED_AS_SENT,
        problems,
        checks.sent_fields(body),
        checks.FED_ROUTES["putItemStatusUpdate"],
        ids.DS_EVT_006,
        "the order-status-updated carries the item information sent",
    )
    checks.every_sku_fed(expect, body["ItemInformation"], list(by_sku.values()))


# ---------------------------------------------------------------- the Orders API side


def linked_items(
    orders: OrdersClient, expect: Expect, order: DropshipOrder
) -> dict[str, dict[str, Any]]:
    """The Orders API items of a linked order by SKU (judged by the operation's rules)."""
    assert order.linked_order_id is not None
    reply = orders.list_items(order.linked_order_id)
    ANSWERS_200.under(ids.ORD_ITEM_007)(expect, "GET Items", reply)
    body = reply.json()
    BODY_VALIDATES.under(ids.ORD_ITEM_007)(expect, "listItems", reply.status, body)
    return {str(item.get("SKU")): item for item in body if isinstance(item, dict)}


def catalog(order: DropshipOrder, sku: str) -> dict[str, str]:
    """``CatalogId`` of the item as its order-created gives it, when that is a GUID.

    Sending it, as 001's example does, makes the feed's catalog-id a sent value; the rule that
    unsent values are fed nil is judged by test_item_with_only_status_and_sku_is_accepted.
    """
    for item in order.created.get("items") or []:
        if item.get("sku") == sku and GUID.match(str(item.get("catalog-id"))):
            return {"CatalogId": item["catalog-id"]}
    return {}


# ---------------------------------------------------------------- update bodies


def new_tracking(label: str = "") -> str:
    """A tracking number no earlier test sent (``label`` tells the numbers of a test apart)."""
    return f"1Z{label}{uuid.uuid4().hex[:10].upper()}"


def item_information(
    order: DropshipOrder, item: dict[str, Any], status: str | int = "Shipped", **fields: Any
) -> dict[str, Any]:
    """The ItemInformation of a sent ``item``: its Sku and CatalogId, ``status``, the quantity
    ordered, then ``fields`` (a Quantity among them replaces the one ordered)."""
    return {
        "Sku": item["sku"],
        **catalog(order, item["sku"]),
        "Status": status,
        "Quantity": item["quantity"],
        **fields,
    }


def items_body(order: DropshipOrder, *infos: dict[str, Any]) -> dict[str, Any]:
    return {"Id": order.order_id, "ItemInformation": list(infos)}


def shipped_body(operation: str, order: DropshipOrder, **fields: Any) -> dict[str, Any]:
    """Shipped with ``fields``: the whole order, or its first item with its quantity."""
    if operation == "putOrderStatusUpdate":
        return {"Id": order.order_id, "Status": "Shipped", **fields}
    return items_body(order, item_information(order, order.sent_items[0], **fields))


# ---------------------------------------------------------------- one update, sent and fed


def update_step(
    dropship: DropshipClient,
    target: Target,
    expect: Expect,
    order: DropshipOrder,
    operation: str,
    body: dict[str, Any],
    unsent: list[str],
    accepted_by: tuple[str, ...] = (),
    fed_rule: str = ids.DS_EVT_006,
    by_name_if_refused: bool = False,
) -> dict[str, Any]:
    """Send one update, judge its answer and its feed entry; the entry's payload. What the
    entry feeds though not sent is added to ``unsent`` (DS-EVT-010, judged last by the caller).

    ``by_name_if_refused``: the item statuses are ids, resent as names when refused
    (``put_by_id_or_name``).
    """
    before = set(order_updates(dropship, order.order_id))
    put = put_by_id_or_name if by_name_if_refused else put_in_either_edition
    reply, body = put(dropship, expect, operation, order.order_id, body)
    judge_answer(expect, operation, body, reply, accepted_by)
    fresh = fed_since(dropship, order.order_id, before, wait_seconds(target))
    # The client's supplier: a generated order's other supplier answers through its own.
    unsent += judge_fed(expect, order, operation, body, fresh, int(dropship.supplier_id), fed_rule)
    return fresh[0]


def judge_fed(
    expect: Expect,
    order: DropshipOrder,
    operation: str,
    body: dict[str, Any],
    fresh: list[dict[str, Any]],
    supplier_id: int,
    fed_rule: str = ids.DS_EVT_006,
) -> list[str]:
    """Judge the feed entry of one accepted update. What an item update fed though not sent
    is returned: DS-EVT-010 (SHOULD) is judged last, so every other rule gets its verdict."""
    if operation == "putOrderStatusUpdate":
        judge_order_fed(expect, order, body, fresh, supplier_id)
        return []
    judge_items_fed(expect, order.order_id, body, fresh, supplier_id, fed_rule)
    return checks.unsent_fed(order.created.get("items") or [], body["ItemInformation"], fresh)
