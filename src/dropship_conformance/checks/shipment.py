"""What the shipment and cancellation suites judge besides the update itself: the order-created
of a new order (DS-EVT, DS-STAT-004, LINK-001..003), how a cancellation is recorded (DS-UPD-007),
what the Orders API items show of the supplier's updates (LINK-004, LINK-005), the stored
tracking number (DS-TRK-002) and the Orders API's own cancel (ORD-STATE-002, ORD-ERR-007).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dropship_conformance import openapi
from dropship_conformance.checks import ids
from dropship_conformance.checks.primitives import GUID, describe, number, same_guid
from dropship_conformance.checks.registry import Observation, check, none_of
from dropship_conformance.checks.updates import (
    FED_AS,
    same_in_feed,
    whole_order_problems,
)
from dropship_conformance.client.http import Reply

# LINK-004: the ItemStatusId of the Orders API DropShip ItemStatus a supplier status becomes
# (the ItemStatus has the supplier status's name).
LINKED_STATUS = {"Ordered": 4, "Error": 5, "NotAvailable": 6, "Shipped": 7, "Cancelled": 2}


# ---------------------------------------------------------------- a cancellation


@check(ids.DS_UPD_007)
def cancellation_fed(order_id: str, fed: dict[str, Any] | None) -> Observation:
    return Observation(
        fed is not None,
        f"an order-status-updated for order {order_id} in the supplier's feed",
        "none in the current document and the newest archives",
    )


@check(ids.DS_UPD_007)
def recorded_cancelled(what: str, items: list[dict[str, Any]]) -> Observation:
    return Observation(
        bool(items) and all(item.get("status") == "Cancelled" for item in items),
        f"{what} recorded in the feed with status Cancelled",
        f"statuses {[item.get('status') for item in items]}",
    )


def against_sent(
    sent: dict[str, Any], items: list[dict[str, Any]], fields: tuple[str, ...]
) -> tuple[list[str], list[str]]:
    """(fed unlike what was sent, fed though not sent) over ``fields`` of every fed item."""
    unlike: list[str] = []
    unsent: list[str] = []
    for item in items:
        for field in fields:
            element = FED_AS[field]
            if not same_in_feed(field, sent.get(field), item.get(element)):
                found = unlike if field in sent else unsent
                found.append(
                    f"item {item.get('sku')}: {element} {item.get(element)!r}, "
                    f"sent {sent.get(field)!r}"
                )
    return unlike, unsent


# What a whole-order update feeds from its body: Quantity and CatalogId come from the order.
ORDER_FIELDS = tuple(field for field in FED_AS if field not in ("Quantity", "CatalogId"))


@check(ids.DS_UPD_008)
def cancelled_order_whole(
    ordered_items: list[dict[str, Any]], body: dict[str, Any], items: list[dict[str, Any]]
) -> Observation:
    shape = whole_order_problems(ordered_items, items) + against_sent(body, items, ORDER_FIELDS)[1]
    return none_of(
        shape, "one item-information per item of the order, values not sent nil or absent"
    )


def cancelled_as_sent(sent: dict[str, Any], items: list[dict[str, Any]]) -> Observation:
    """Each fed item carries what was sent (a whole-order body has no Quantity or CatalogId)."""
    unlike, _ = against_sent(sent, items, tuple(FED_AS))
    return none_of(unlike, "every fed item carries what the cancellation sent")


# The rule of the values fed: DS-UPD-006 for a whole-order update, DS-EVT-006 for items.
CANCELLED_AS_SENT = check(ids.DS_UPD_006, ids.DS_EVT_006)(cancelled_as_sent)


@check(ids.DS_EVT_010)
def cancelled_item_alone(info: dict[str, Any], items: list[dict[str, Any]]) -> Observation:
    shape = [] if len(items) == 1 else [f"{len(items)} item-information fed for 1 sent"]
    shape += against_sent(info, items, tuple(FED_AS))[1]
    return none_of(shape, "one item-information, values not sent nil or absent")


# ---------------------------------------------------------------- the Orders API items


def answers_200(what: str, reply: Reply) -> Observation:
    return Observation(reply.status == 200, f"{what} answers 200", describe(reply))


def body_validates(operation: str, status: int, body: Any) -> Observation:
    return none_of(
        openapi.validate_response(operation, status, body),
        f"the {operation} {status} body validates against the OpenAPI",
    )


ANSWERS_200 = check(ids.ORD_ITEM_007, ids.ORD_UPD_003)(answers_200)
BODY_VALIDATES = check(ids.ORD_ITEM_007, ids.ORD_UPD_003, ids.ORD_STATE_002, ids.ORD_ERR_007)(
    body_validates
)


@check(ids.LINK_004)
def linked_status_shown(items: dict[str, dict[str, Any]], wanted: Mapping[str, str]) -> Observation:
    """The Orders API items of these SKUs show the DropShip ItemStatus of a supplier status."""
    return none_of(linked_status_problems(items, wanted), f"the DropShip items show {wanted}")


def linked_status_problems(
    items: dict[str, dict[str, Any]], wanted: Mapping[str, str]
) -> list[str]:
    problems = []
    for sku, status in wanted.items():
        want_id, want_name = LINKED_STATUS[status], status
        item = items.get(sku)
        if item is None:
            problems.append(f"no Orders API item with SKU {sku}")
        elif item.get("ItemStatusId") != want_id or item.get("ItemStatus") != want_name:
            problems.append(
                f"item {sku}: ItemStatusId {item.get('ItemStatusId')!r} ItemStatus "
                f"{item.get('ItemStatus')!r}, expected {want_id} {want_name}"
            )
    return problems


@check(ids.LINK_005)
def linked_tracking_shown(
    items: dict[str, dict[str, Any]], wanted: Mapping[str, str]
) -> Observation:
    """Each item holds one TrackingInformation per comma-delimited tracking number sent."""
    return none_of(
        linked_tracking_problems(items, wanted),
        f"one TrackingInformation per tracking number: {wanted}",
    )


def linked_tracking_problems(
    items: dict[str, dict[str, Any]], wanted: Mapping[str, str]
) -> list[str]:
    problems = []
    for sku, tracking_info in wanted.items():
        entries = (items.get(sku) or {}).get("TrackingInformation") or []
        found = sorted(str(e.get("TrackingNumber")) for e in entries if isinstance(e, dict))
        # Comma-delimited numbers, one TrackingInformation each (001 §Multiple Shiments).
        sent = sorted(part.strip() for part in tracking_info.split(",") if part.strip())
        if found != sent:
            problems.append(f"item {sku}: TrackingNumbers {found}, sent {tracking_info!r}")
    return problems


def linked_problems(
    items: dict[str, dict[str, Any]],
    statuses: Mapping[str, str],
    tracking: Mapping[str, str] | None = None,
) -> dict[str, list[str]]:
    """What the Orders API items do not show yet, by requirement (``TestData.await_link``):
    the ``tracking`` numbers sent (LINK-005), the ``statuses`` the items take (LINK-004)."""
    found = {} if tracking is None else {ids.LINK_005: linked_tracking_problems(items, tracking)}
    if statuses:
        found[ids.LINK_004] = linked_status_problems(items, statuses)
    return found


# ---------------------------------------------------------------- the order-created


@check(ids.DS_EVT_002)
def order_created_fed(order_id: str, created: list[dict[str, Any]], once: bool) -> Observation:
    """An order-created for the new order: at least one, or exactly one (``once``)."""
    if once:
        return Observation(
            len(created) == 1, f"one order-created with order-id {order_id}", f"{len(created)}"
        )
    return Observation(
        len(created) >= 1,
        f"an order-created with order-id {order_id} in the feed",
        "none in the current document and the newest archives",
    )


def item_problems(
    fed_items: dict[Any, dict[str, Any]], sent_items: list[dict[str, Any]], *, present: bool
) -> list[str]:
    """The quantity and selling price of every sent item, compared as numbers; ``present``:
    a missing item, or a value that is no number, is a problem even where both sides lack it."""
    problems = []
    for sent in sent_items:
        item = fed_items.get(sent["sku"])
        if item is None and present:
            problems.append(f"no order-item with sku {sent['sku']!r}")
            continue
        for name in ("quantity", "selling-price"):
            found = number((item or {}).get(name))
            if found != number(sent[name]) or (present and found is None):
                problems.append(
                    f"item {sent['sku']}: {name} {(item or {}).get(name)!r}, {sent[name]!r}"
                )
    return problems


@check(ids.DS_EVT_002)
def created_as_ordered(
    value: dict[str, Any], sent_items: list[dict[str, Any]], supplier_id: int
) -> Observation:
    fed_items = {item.get("sku"): item for item in value.get("items") or []}
    problems = []
    if value.get("supplier-id") != str(supplier_id):
        problems.append(f"supplier-id {value.get('supplier-id')!r}")
    problems += item_problems(fed_items, sent_items, present=True)
    return none_of(problems, "the supplier and every item's sku, quantity and price")


def mismatches(wanted: Mapping[str, tuple[Any, Any]], source: str) -> list[str]:
    """``wanted`` maps an element to (fed, expected): every one fed otherwise."""
    return [
        f"{name}: fed {found!r}, {source} {want!r}"
        for name, (found, want) in wanted.items()
        if found != want
    ]


@check(ids.DS_EVT_002)
def created_as_requested(wanted: Mapping[str, tuple[Any, Any]]) -> Observation:
    return none_of(mismatches(wanted, "created with"), "the order-created carries the created data")


@check(ids.DS_EVT_003)
def shipping_entity(value: dict[str, Any], store_id: str) -> Observation:
    entity = value.get("shipping-entity-id")
    return Observation(
        entity is None or entity == store_id,
        f"shipping-entity-id absent or {store_id} (the store if shipped there, else 0)",
        f"shipping-entity-id {entity!r}",
    )


@check(ids.DS_EVT_004)
def address_type(value: dict[str, Any], ship_to_store: bool) -> Observation:
    kind = (value.get("shipping-address") or {}).get("type")
    return Observation(
        (kind == "Store") == ship_to_store,
        f"shipping-address type {'Store' if ship_to_store else 'not Store'}",
        f"type {kind!r}",
    )


@check(ids.DS_STAT_004)
def new_order_pending(status: Any) -> Observation:
    what = "status of the new order"
    return Observation(
        status == "PendingSupplier", f"{what} = 'PendingSupplier'", f"{what} = {status!r}"
    )


@check(ids.DS_EVT_007)
def order_id_of_its_own(value: dict[str, Any], linked_order_id: str | None) -> Observation:
    order_id = value.get("order-id") or ""
    distinct = [
        f"order-id equals the {what} {other!r}"
        for what, other in (
            ("retailer's order id", linked_order_id),
            ("printable-id", (value.get("seller") or {}).get("printable-id")),
        )
        if other and str(other).lower() == order_id.lower()
    ]
    return Observation(
        bool(GUID.match(order_id)) and not distinct,
        "order-id is a GUID of its own (not the retailer's order id or printable id)",
        f"order-id {order_id!r} {'; '.join(distinct)}",
    )


@check(ids.DS_EVT_007)
def not_the_retailers_id(value: dict[str, Any], linked_order_id: str | None) -> Observation:
    return Observation(
        not same_guid(value.get("order-id"), linked_order_id),
        "the dropship order-id is not the retailer's order id",
        f"order-id {value.get('order-id')!r}",
    )


@check(ids.DS_EVT_007)
def fed_order_id_accepted(order_id: str, reply: Reply) -> Observation:
    return Observation(
        200 <= reply.status < 300,
        f"OrderStatusUpdate accepts the fed order-id {order_id} as OrderId",
        describe(reply),
    )


@check(ids.DS_EVT_007)
def update_fed_once(order_id: str, fresh: list[dict[str, Any]]) -> Observation:
    return Observation(
        len(fresh) == 1,
        f"the update is fed as one order-status-updated with order-id {order_id}",
        f"{len(fresh)} new entries for that order-id",
    )


# ---------------------------------------------------------------- an Orders API order


@check(ids.LINK_001)
def one_created_per_order(printable: Any, matching: int) -> Observation:
    return Observation(
        matching == 1, f"exactly one order-created with printable-id {printable!r}", f"{matching}"
    )


@check(ids.LINK_002)
def created_as_linked(
    wanted: Mapping[str, tuple[Any, Any]],
    value: dict[str, Any],
    skus: list[str],
    sent_items: list[dict[str, Any]],
) -> Observation:
    """The order-created carries the Orders API order's seller, shipping and DropShip items."""
    problems = mismatches(wanted, "order has")
    fed_items = {item.get("sku"): item for item in value.get("items") or []}
    if sorted(fed_items) != sorted(skus):
        problems.append(f"order-item skus {sorted(fed_items)}, DropShip items {skus}")
    problems += item_problems(fed_items, sent_items, present=False)
    problems += [
        f"item {sent['sku']}: description {fed_items[sent['sku']].get('description')!r}"
        for sent in sent_items
        if (fed_items.get(sent["sku"]) or {}).get("description") != sent["description"]
    ]
    return none_of(problems, "the order-created carries the order's data")


@check(ids.LINK_003)
def none_before_process(early: bool) -> Observation:
    return Observation(
        not early,
        "no order-created before Process",
        "an order-created for the order before it was processed",
    )


@check(ids.LINK_003)
def only_own_items(skus: list[str], mine: str) -> Observation:
    what = "SKUs of the order-created in this supplier's feed"
    return Observation(skus == [mine], f"{what} = {[mine]!r}", f"{what} = {skus!r}")


# ---------------------------------------------------------------- a later tracking number


@check(ids.DS_TRK_002)
def later_tracking_kept(how: str, kept: Mapping[Any, Any], later: str) -> Observation:
    """The updated items hold tracking-info ``later`` alone, as ``how`` (fed, stored) shows."""
    return none_of(
        [f"item {sku}: {how} {value!r}" for sku, value in kept.items() if value != later],
        f"the updated items {how} with tracking-info {later!r} alone",
    )


# ---------------------------------------------------------------- the Orders API's own cancel

TRANSITION = "Resource state transition from {x} to {y} is invalid"


@check(ids.ORD_STATE_002)
def cancel_answered(state: str, answers: tuple[int, ...], reply: Reply) -> Observation:
    return Observation(
        reply.status in answers,
        f"State Cancelled on a {state} order answers {' or '.join(map(str, answers))}",
        describe(reply),
    )


@check(ids.ORD_ERR_007)
def transition_refused(state: str, answered: Any) -> Observation:
    """A refused cancel names the states in 004's message."""
    message = answered.get("Message") if isinstance(answered, dict) else None
    want = TRANSITION.format(x=state, y="Cancelled")
    return Observation(message == want, f"Message = {want!r}", f"Message = {message!r}")


@check(ids.ORD_STATE_002)
def state_after(now: Any, want: str) -> Observation:
    what = "State after the update (GET Order)"
    return Observation(now == want, f"{what} = {want!r}", f"{what} = {now!r}")
