"""Checks on every recorded request of the client: one registry table of small named functions.

Each row names the requirement it decides, which requests it judges, and a function returning
the problems of one request (an empty list: the request keeps the rule). Requests are judged
whatever the sandbox answered: a body the sandbox refused is still a body the client sent.
Checks that need the state of an item before the request read the :class:`Change` list the
run's replay attached to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dropship_conformance import openapi
from dropship_conformance.checks import ids
from dropship_conformance.clientcheck.traffic import (
    API_BASES,
    NOT_JSON,
    Change,
    ClientRun,
    Record,
    status_name,
    status_names,
)


@dataclass(frozen=True)
class RequestCheck:
    name: str
    requirement: str
    expected: str  # the rule as the report states it
    scope: str  # the requests it judges, for the report when there are none
    applies: Callable[[Record], bool]
    judge: Callable[[Record, ClientRun], list[str]]


def _media_types(value: str | None) -> list[str]:
    """Media types of an Accept or Content-Type value: lower-case, parameters dropped."""
    return [part.split(";")[0].strip().lower() for part in (value or "").split(",")]


def _any(record: Record) -> bool:
    return True


def _update(record: Record) -> bool:
    return record.is_update


def _has_body(record: Record) -> bool:
    if record.route is None:
        return False
    return openapi.request_pointer(openapi.operation(record.route.operation_id)) is not None


def _sends_status(*names: str) -> Callable[[Record], bool]:
    def applies(record: Record) -> bool:
        return record.is_update and any(
            status_name(sent.get("Status")) in names for _, sent in record.sent_items()
        )

    return applies


# ---------------------------------------------------------------- checks


def documented_operation(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-015: a documented path and method, under the client's own SupplierId."""
    if record.route is None:
        if record.path_known:
            return [f"{record.method} is not documented for this path"]
        return ["no operation of specs/ has this path"]
    supplier = record.params.get("SupplierId")
    if supplier is not None and supplier != str(run.supplier_id):
        return [f"SupplierId {supplier!r} is not the client's own ({run.supplier_id})"]
    return []


def keeps_v1(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-019 (SHOULD): the path keeps the /v1 of the base URL (DEV-BASE-V1)."""
    assert record.route is not None
    base = API_BASES[record.route.api]
    if record.path.startswith(base + "/"):
        return []
    return [f"{record.path} is not under {base}: the base URL's /v1 was left out"]


# Violations of these fields are judged by DS-CLI-011 and DS-CLI-020, so one defect is
# reported once.
_OWNED_BY_CLI_011 = re.compile(r"^\$(\.ItemInformation\[\d+\])?\.(Status|TrackingInfo):")


def body_matches_schema(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-015: the body is the documented request of the operation its path names."""
    assert record.route is not None
    body = record.json()
    if body is NOT_JSON:
        return ["the body is not JSON"]
    problems = openapi.validate_request(record.route.operation_id, body)
    return [p for p in problems if not _OWNED_BY_CLI_011.match(p)]


AUTH_PROBLEMS = {
    "missing": "no Authorization header",
    "not bearer": "the Authorization scheme is not Bearer",
    "wrong token": "the bearer token is not the one given in DROPSHIP_TOKEN",
}


def bearer_token(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-009: every request carries ``Authorization: Bearer <token>``."""
    return [AUTH_PROBLEMS[record.auth]] if record.auth in AUTH_PROBLEMS else []


def documented_headers(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-014: Accept on feed requests; Accept and Content-Type on status updates."""
    problems = []
    accept = record.header("accept")
    if record.is_feed and "application/atom+xml" not in _media_types(accept):
        problems.append(f"Accept is {accept!r}, not application/atom+xml")
    if record.is_update:
        if "application/json" not in _media_types(accept):
            problems.append(f"Accept is {accept!r}, not application/json")
        content_type = record.header("content-type")
        if _media_types(content_type)[:1] != ["application/json"]:
            problems.append(f"Content-Type is {content_type!r}, not application/json")
    return problems


def _where(sku: str | None) -> str:
    return "" if sku is None else f" of item {sku!r}"


def status_by_name_or_id(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-011: every Status is a documented name or a JSON integer id 0-8."""
    problems = []
    for sku, sent in record.sent_items():
        if "Status" in sent and status_name(sent["Status"]) is None:
            problems.append(
                f"Status{_where(sku)} {sent['Status']!r} is neither a documented name nor an "
                f"id 0-{max(status_names())} (DEV-STATUS-EXCEPTION)"
            )
    return problems


def tracking_as_string(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-020 (SHOULD): TrackingInfo is a JSON string (DEV-NUMERIC-TRACKINGINFO)."""
    problems = []
    for sku, sent in record.sent_items():
        value = sent.get("TrackingInfo")
        if value is not None and not isinstance(value, str):
            problems.append(
                f"TrackingInfo{_where(sku)} is {type(value).__name__} {value!r}, not a string"
            )
    return problems


def shipped_with_tracking_and_carrier(record: Record, run: ClientRun) -> list[str]:
    """DS-TRK-003: a shipment (Shipped, or PartiallyShipped for part of an item) names its
    tracking number and carrier (001 §OVERVIEW; 001 §PUT Item Status for each shipment)."""
    problems = []
    for sku, sent in record.sent_items():
        status = status_name(sent.get("Status"))
        if status not in ("Shipped", "PartiallyShipped"):
            continue
        if not str(sent.get("TrackingInfo") or "").strip():
            problems.append(f"{status}{_where(sku)} without a tracking number (TrackingInfo)")
        provider = sent.get("ShippingProvider")
        if not isinstance(provider, str) or not provider.strip():
            problems.append(f"{status}{_where(sku)} without the carrier (ShippingProvider)")
    return problems


def order_from_feed(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-005: the OrderId is one the client read in its feed (002: "Use the order-id")."""
    order_id = record.order_id or ""
    seen = run.received.get(order_id)
    if seen is None or seen > record.t:
        return [f"order {order_id!r} was in no order-created the client had read in its feed"]
    return []


def body_id_is_uri_order(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-018 (SHOULD): the body Id equals the URI's OrderId; no sentence requires it and
    the 001 examples differ (DEV-BODY-ID-MISMATCH)."""
    order_id = record.order_id or ""
    body = record.json()
    body_id = body.get("Id") if isinstance(body, dict) else None
    if isinstance(body_id, str) and body_id.strip().lower() == order_id:
        return []
    return [f"body Id {body_id!r} differs from the URI OrderId {order_id!r}"]


def no_reserved_fields(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-016: ReferenceName and ReferenceValue are reserved for internal use."""
    return [
        f"{name}{_where(sku)} is set ({sent[name]!r})"
        for sku, sent in record.sent_items()
        for name in ("ReferenceName", "ReferenceValue")
        if sent.get(name) is not None
    ]


# The statuses whose description (001 §ENUMERATIONS) fits each situation of the warehouse
# plan (ClientRun.situation). Error and Other are left to the supplier (002: "you may use either
# the Other state"); PendingSupplier is DS-CLI-002's.
FITTING_STATUSES: dict[str, frozenset[str]] = {
    "shipments": frozenset({"Ordered", "PartiallyShipped", "Shipped"}),
    "cancel": frozenset({"Ordered", "Cancelled", "NotAvailable"}),
    "backorder": frozenset({"Ordered", "BackOrdered"}),
    "held": frozenset({"Ordered", "BackOrdered"}),
    "in stock": frozenset({"Ordered"}),
}
UNJUDGED_STATUSES = frozenset({"Error", "Other", "PendingSupplier"})
SITUATION_WORDS = {
    "shipments": "it ships",
    "cancel": "it can no longer be fulfilled",
    "backorder": "it is temporarily out of stock",
    "held": "it is in stock but its order waits for another item",
    "in stock": "it is in stock and not shipped yet",
}


def status_fits_situation(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-022 (SHOULD): the status sent is one the enumerations describe for the item's
    situation (BackOrdered for a discontinued item, Shipped for a cancelled one: no)."""
    problems = []
    for change in record.changes:
        if change.status is None or change.status in UNJUDGED_STATUSES:
            continue
        situation = run.situation(record.order_id or "", change.sku)
        fitting = FITTING_STATUSES[situation]
        if change.status not in fitting:
            problems.append(
                f"item {change.sku!r}: {change.status} while {SITUATION_WORDS[situation]} "
                f"(fitting: {', '.join(sorted(fitting))})"
            )
    return problems


def sku_of_the_order(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-023 (SHOULD): every ItemInformation names an item of the URI's order."""
    order = run.orders.get(record.order_id or "")
    if order is None:
        return []  # an order not in the feed is DS-CLI-005's finding
    skus = order.skus
    return [
        f"ItemInformation Sku {sku!r} is no item of order {record.order_id} "
        f"(its items: {', '.join(skus)})"
        for sku, _ in record.sent_items()
        if sku is not None and sku not in skus
    ]


def one_number_per_shipment(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-024 (SHOULD): a shipment adds one tracking number, not several new ones."""
    problems = []
    for change in record.changes:
        if change.status not in ("Shipped", "PartiallyShipped"):
            continue
        added = [n for n in change.after.tracking if n not in record.order_tracking]
        if len(added) > 1:
            problems.append(
                f"item {change.sku!r}: one {change.status} adds {len(added)} tracking numbers "
                f"({', '.join(added)}) that were on no item of the order"
            )
    return problems


# ---------------------------------------------------------------- transitions


@dataclass(frozen=True)
class Transition:
    """A forbidden status change of one item: before -> after (None: any status)."""

    before: frozenset[str] | None
    after: frozenset[str] | None
    requirement: str
    why: str


_NOT_SHIPPED = frozenset(status_names().values()) - {"Shipped"}
# First matching row wins. Shipped -> Shipped stays allowed: that is how tracking numbers
# are added to a shipped order (001 Important); an unchanged repeat is judged as a duplicate.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        None,
        frozenset({"PendingSupplier"}),
        ids.DS_CLI_002,
        "PendingSupplier is the dropship service's status of a new order (002 §Order "
        "Statuses), never the supplier's",
    ),
    Transition(
        frozenset({"Cancelled"}),
        None,
        ids.DS_CLI_002,
        "a cancelled order or item is closed (002 §3.2 Cancelling an Order)",
    ),
    Transition(
        frozenset({"Shipped"}),
        frozenset({"PartiallyShipped"}),
        ids.DS_CLI_013,
        "PartiallyShipped comes before Shipped, never after (001 §Multiple Shiments)",
    ),
    Transition(
        frozenset({"Shipped"}),
        _NOT_SHIPPED,
        ids.DS_CLI_002,
        "a shipped item has left the warehouse; only more tracking numbers may follow",
    ),
)


def forbidden(change: Change) -> Transition | None:
    """The TRANSITIONS row a change breaks, if any (an undocumented status is not judged)."""
    if change.status is None:
        return None
    for rule in TRANSITIONS:
        before_ok = rule.before is None or change.before.status in rule.before
        after_ok = rule.after is None or change.status in rule.after
        if before_ok and after_ok:
            return rule
    return None


def _transition_problems(record: Record, requirement: str) -> list[str]:
    problems = []
    for change in record.changes:
        rule = forbidden(change)
        if rule is not None and rule.requirement == requirement:
            problems.append(
                f"item {change.sku!r}: {change.before.status} -> {change.status}: {rule.why}"
            )
    return problems


def no_invalid_transition(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-002: a client that keeps track of its orders' status sends no step back."""
    return _transition_problems(record, ids.DS_CLI_002)


def _visible(change: Change, which: str) -> tuple[Any, ...]:
    state = change.before if which == "before" else change.after
    return (state.status, state.tracking, state.provider, state.message)


def changes_something(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-002: an update the client has already made is not made again."""
    if not record.changes or any(
        _visible(c, "before") != _visible(c, "after") for c in record.changes
    ):
        return []
    skus = ", ".join(sorted({c.sku for c in record.changes}))
    return [f"changes nothing: item(s) {skus} already hold exactly this (an update already made)"]


def partially_shipped_before_shipped(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-013: PartiallyShipped, with its Quantity, until all units shipped; then Shipped."""
    problems = _transition_problems(record, ids.DS_CLI_013)
    order = run.orders.get(record.order_id or "")
    quantities = dict(order.items) if order else {}
    for change in record.changes:
        if change.status != "PartiallyShipped" or change.via != "item":
            continue
        quantity = change.sent.get("Quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            problems.append(
                f"item {change.sku!r}: PartiallyShipped without the Quantity of this shipment "
                "(001: Quantity is 'Used in the case of partial shipments')"
            )
        ordered = quantities.get(change.sku)
        if ordered is not None and change.after.partial_quantity >= ordered:
            problems.append(
                f"item {change.sku!r}: PartiallyShipped reports {change.after.partial_quantity} "
                f"of {ordered} units shipped: with all units shipped the status is Shipped"
            )
    return problems


def tracking_numbers_kept(record: Record, run: ClientRun) -> list[str]:
    """DS-CLI-012: a new TrackingInfo keeps the item's earlier tracking numbers."""
    problems = []
    for change in record.changes:
        if change.sent.get("TrackingInfo") is None:
            continue
        lost = [n for n in change.before.tracking if n not in change.after.tracking]
        if lost:
            problems.append(
                f"item {change.sku!r}: TrackingInfo {change.sent['TrackingInfo']!r} drops "
                f"{', '.join(lost)} already on the item (send old and new, comma-delimited)"
            )
    return problems


def _adds_to_tracked(record: Record) -> bool:
    return any(c.sent.get("TrackingInfo") is not None and c.before.tracking for c in record.changes)


def _partial(record: Record) -> bool:
    return any(c.status == "PartiallyShipped" for c in record.changes)


REQUEST_CHECKS: tuple[RequestCheck, ...] = (
    RequestCheck(
        "status_fits_situation",
        ids.DS_CLI_022,
        "every status sent is one the enumerations describe for what the warehouse says of the "
        "item",
        "status update of an order in the feed",
        lambda r: bool(r.changes),
        status_fits_situation,
    ),
    RequestCheck(
        "sku_of_the_order",
        ids.DS_CLI_023,
        "every ItemInformation's Sku is an item of the order in the URI",
        "item status update of an order in the feed",
        lambda r: r.operation == "putItemStatusUpdate" and r.order_id is not None,
        sku_of_the_order,
    ),
    RequestCheck(
        "one_number_per_shipment",
        ids.DS_CLI_024,
        "a shipment adds one tracking number, not several new ones",
        "update to Shipped or PartiallyShipped",
        lambda r: any(c.status in ("Shipped", "PartiallyShipped") for c in r.changes),
        one_number_per_shipment,
    ),
    RequestCheck(
        "documented_operation",
        ids.DS_CLI_015,
        "every request is a documented operation of specs/ (path and method), under the "
        "client's own SupplierId",
        "request",
        _any,
        documented_operation,
    ),
    RequestCheck(
        "keeps_v1",
        ids.DS_CLI_019,
        "every request path keeps the /v1 of the base URL it was given",
        "request to a documented operation",
        lambda r: r.route is not None,
        keeps_v1,
    ),
    RequestCheck(
        "body_matches_schema",
        ids.DS_CLI_015,
        "every request body is valid against its operation's schema in specs/ (an "
        "ItemStatusUpdate body to .../ItemStatusUpdate, an OrderStatusUpdate to "
        ".../OrderStatusUpdate)",
        "request with a body",
        _has_body,
        body_matches_schema,
    ),
    RequestCheck(
        "bearer_token",
        ids.DS_CLI_009,
        'every request carries "Authorization: Bearer <the token given>"',
        "request",
        _any,
        bearer_token,
    ),
    RequestCheck(
        "documented_headers",
        ids.DS_CLI_014,
        "feed requests send Accept: application/atom+xml; status updates send Accept and "
        "Content-Type application/json",
        "feed request or status update",
        lambda r: r.is_feed or r.is_update,
        documented_headers,
    ),
    RequestCheck(
        "status_by_name_or_id",
        ids.DS_CLI_011,
        "every Status is a documented name or an integer id 0-8",
        "status update",
        _update,
        status_by_name_or_id,
    ),
    RequestCheck(
        "tracking_as_string",
        ids.DS_CLI_020,
        "every TrackingInfo is a JSON string",
        "status update",
        _update,
        tracking_as_string,
    ),
    RequestCheck(
        "shipped_with_tracking_and_carrier",
        ids.DS_TRK_003,
        "every Shipped or PartiallyShipped update carries TrackingInfo and ShippingProvider",
        "update to Shipped or PartiallyShipped",
        _sends_status("Shipped", "PartiallyShipped"),
        shipped_with_tracking_and_carrier,
    ),
    RequestCheck(
        "order_from_feed",
        ids.DS_CLI_005,
        "every status update targets an order-id the client read in its feed",
        "status update",
        _update,
        order_from_feed,
    ),
    RequestCheck(
        "body_id_is_uri_order",
        ids.DS_CLI_018,
        "every status update's body Id equals the URI OrderId",
        "status update",
        _update,
        body_id_is_uri_order,
    ),
    RequestCheck(
        "no_reserved_fields",
        ids.DS_CLI_016,
        "ReferenceName and ReferenceValue are left unset",
        "status update",
        _update,
        no_reserved_fields,
    ),
    RequestCheck(
        "no_invalid_transition",
        ids.DS_CLI_002,
        "no update sets PendingSupplier, reopens a cancelled item or moves a shipped one back",
        "status update of an order in the feed",
        lambda r: bool(r.changes),
        no_invalid_transition,
    ),
    RequestCheck(
        "changes_something",
        ids.DS_CLI_002,
        "no update repeats what the items already hold (each transition is made once)",
        "status update of an order in the feed",
        lambda r: bool(r.changes),
        changes_something,
    ),
    RequestCheck(
        "partially_shipped_before_shipped",
        ids.DS_CLI_013,
        "PartiallyShipped carries the Quantity shipped, is used only while units remain, and "
        "never follows Shipped",
        "PartiallyShipped update",
        _partial,
        partially_shipped_before_shipped,
    ),
    RequestCheck(
        "tracking_numbers_kept",
        ids.DS_CLI_012,
        "an update adding tracking numbers to an item keeps the ones it has, comma-delimited",
        "update adding tracking numbers to an item that has some",
        _adds_to_tracked,
        tracking_numbers_kept,
    ),
)
