"""Checks of the supplier's status updates: the answer and its echo (DS-UPD, DS-ITEM), what the
feed makes of an update (DS-EVT, DS-STAT, DS-TRK) and what the Orders API items show (LINK).

Values are compared by meaning: statuses by name or id, quantities as decimals, GUIDs whatever
their case. Several rules judge the same observation for different operations or readings; such
a check is registered under all of them, and the caller picks the id the situation decides
with :meth:`~dropship_conformance.checks.registry.Check.under`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ParamSpec

from dropship_conformance import openapi
from dropship_conformance.checks import ids
from dropship_conformance.checks.primitives import (
    JSON,
    describe,
    number,
    same_guid,
    status_name,
)
from dropship_conformance.checks.registry import Check, Observation, check, none_of
from dropship_conformance.client.http import Reply
from dropship_conformance.verdicts import Expect

P = ParamSpec("P")
# (field, problem): a problem of one sent field, so each field's own rule can judge it.
Problem = tuple[str, str]

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
# operationId -> (MUST requirement of the accepted answer, SHOULD requirement of 202).
ANSWERED_BY = {
    "putOrderStatusUpdate": (ids.DS_UPD_001, ids.DS_UPD_002),
    "putItemStatusUpdate": (ids.DS_ITEM_001, ids.DS_ITEM_002),
}
# What every accepted ItemStatusUpdate is judged by: its answer, its echo, its feed entry.
ITEM_UPDATE_RULES = (ids.DS_ITEM_001, ids.DS_ITEM_002, ids.DS_EVT_006, ids.DS_EVT_010)


def accepted(reply: Reply) -> bool:
    return 200 <= reply.status < 300


# ---------------------------------------------------------------- comparing by meaning


def same_in_echo(field: str, sent: Any, echoed: Any) -> bool:
    if field == "Status":
        return status_name(sent) is not None and status_name(sent) == status_name(echoed)
    if field in ("Id", "CatalogId") and isinstance(sent, str) and isinstance(echoed, str):
        return sent.lower() == echoed.lower()
    if field == "Quantity":
        return number(sent) is not None and number(sent) == number(echoed)
    return bool(sent == echoed)


def same_in_feed(field: str, sent: Any, fed: Any) -> bool:
    if sent is None:
        return fed is None
    if field == "Status":
        return bool(fed == status_name(sent))
    if field == "Quantity":
        return number(fed) is not None and number(fed) == number(sent)
    if field == "CatalogId":
        return isinstance(fed, str) and fed.lower() == str(sent).lower()
    return bool(fed == sent)


def echo_problems(sent: dict[str, Any], echo: Any, where: str = "") -> list[Problem]:
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
    if isinstance(infos, list):
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


def fed_problems(sent: dict[str, Any], fed: dict[str, Any], where: str) -> list[Problem]:
    return [
        (
            _routed_as(field, sent[field]),
            f"{where}{element}: sent {sent[field]!r}, fed {fed.get(element)!r}",
        )
        for field, element in FED_AS.items()
        if field in sent and not same_in_feed(field, sent[field], fed.get(element))
    ]


def _routed_as(field: str, value: Any) -> str:
    """The field a feed problem is judged under. A Status sent as its id goes to DS-STAT-002
    (the id form is disputed: DEV-STATUS-NAME-OR-ID); one sent by name and fed otherwise
    breaks the operation's own MUST (DS-UPD-006, DS-EVT-006: "the sent Status")."""
    return "Status name" if field == "Status" and isinstance(value, str) else field


def sent_fields(body: dict[str, Any]) -> set[str]:
    fields = set(body)
    for info in body.get("ItemInformation") or []:
        fields |= set(info)
    return fields


def fed_items(fed: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in fed.get("items") or [] if isinstance(item, dict)]


def header_problems(fed: dict[str, Any], order_id: str, supplier_id: int) -> list[Problem]:
    problems = []
    if not same_guid(fed.get("order-id"), order_id):
        problems.append(("*", f"order-id {fed.get('order-id')!r}, expected {order_id}"))
    if fed.get("supplier-id") != str(supplier_id):
        problems.append(("*", f"supplier-id {fed.get('supplier-id')!r}, expected {supplier_id}"))
    return problems


# ---------------------------------------------------------------- the answer to an update


def update_accepted(operation: str, body: dict[str, Any], reply: Reply) -> Observation:
    return Observation(accepted(reply), f"{operation} of {body!r} accepted (2xx)", describe(reply))


# Every rule an accepted update shows: the operation's own and the readings a body tests.
ACCEPTED = check(
    ids.DS_UPD_001,
    ids.DS_ITEM_001,
    ids.DS_STAT_002,
    ids.DS_UPD_005,
    ids.DS_TRK_001,
    ids.DS_ITEM_006,
    ids.DS_ITEM_007,
    ids.DS_UPD_007,
)(update_accepted)


def echo_is_json(reply: Reply) -> Observation:
    return Observation(
        reply.media_type == JSON,
        f"the echo with Content-Type {JSON}",
        repr(reply.headers.get("content-type")),
    )


def echo_parses(reply: Reply) -> Observation:
    try:
        reply.json()
    except ValueError as error:
        return Observation(False, "a JSON echo of the update", str(error))
    return Observation(True, "a JSON echo of the update")


def echo_validates(operation: str, reply: Reply, echo: Any) -> Observation:
    return none_of(
        openapi.validate_response(operation, reply.status, echo),
        f"the {reply.status} body of {operation} validates against the OpenAPI",
    )


def answered_202(reply: Reply) -> Observation:
    what = "status of the accepted update"
    return Observation(reply.status == 202, f"{what} = 202", f"{what} = {reply.status}")


ECHO_IS_JSON = check(ids.DS_UPD_001, ids.DS_ITEM_001)(echo_is_json)
ECHO_PARSES = check(ids.DS_UPD_001, ids.DS_ITEM_001)(echo_parses)
ECHO_VALIDATES = check(ids.DS_UPD_001, ids.DS_ITEM_001)(echo_validates)
ANSWERED_202 = check(ids.DS_UPD_002, ids.DS_ITEM_002)(answered_202)


def as_sent(problems: list[Problem], fields: tuple[str, ...] | None, expected: str) -> Observation:
    """The problems of ``fields`` (all but the routed ones when None) are none."""
    return none_of(
        [text for field, text in problems if fields is None or field in fields], expected
    )


# The echo and the feed entry hold what was sent: judged per field by the field's own rule.
ECHOED_AS_SENT = check(ids.DS_UPD_001, ids.DS_ITEM_001, ids.DS_TRK_001, ids.DS_UPD_005)(as_sent)
FED_AS_SENT = check(
    ids.DS_UPD_006, ids.DS_EVT_006, ids.DS_STAT_002, ids.DS_TRK_001, ids.DS_UPD_005
)(as_sent)
# operationId -> {requirement: the fields it judges} in the echo and in the feed entry.
ECHO_ROUTES: dict[str, dict[str, tuple[str, ...]]] = {
    "putOrderStatusUpdate": {ids.DS_TRK_001: TRACKING_FIELDS, ids.DS_UPD_005: ("Message",)},
    "putItemStatusUpdate": {ids.DS_TRK_001: TRACKING_FIELDS},
}
FED_ROUTES = {
    operation: {ids.DS_STAT_002: ("Status",), **routes} for operation, routes in ECHO_ROUTES.items()
}


def judge_by_field(
    expect: Expect,
    checks: Check[[list[Problem], tuple[str, ...] | None, str]],
    problems: list[Problem],
    sent: set[str],
    routes: Mapping[str, tuple[str, ...]],
    rest: str,
    expected: str,
) -> None:
    """Judge problems of the fields in ``routes`` by their own requirement, the rest by ``rest``.

    A routed requirement is judged only when one of its fields was sent, so it never counts
    as checked by a request that could not show it.
    """
    for requirement_id, fields in routes.items():
        if sent & set(fields):
            checks.under(requirement_id)(
                expect, problems, fields, f"{expected} ({', '.join(fields)})"
            )
    routed = {field for fields in routes.values() for field in fields}
    checks.under(rest)(expect, [p for p in problems if p[0] not in routed], None, expected)


@check(ids.DS_ITEM_009)
def untracked_items_accepted(reply: Reply) -> Observation:
    """001 accepts items that are not Shipped without TrackingInfo; ``reply`` is the answer
    to them, judged after an answer showing whether TrackingInfo on every item is accepted."""
    found = describe(reply)
    if not accepted(reply):
        found += "; accepted with a TrackingInfo on every item (000)"
    return Observation(
        accepted(reply), "items that are not Shipped accepted without TrackingInfo (001)", found
    )


@check(ids.DS_STAT_002)
def statuses_by_id_accepted(reply: Reply) -> Observation:
    found = describe(reply)
    if not accepted(reply):
        found += "; accepted with the statuses' names"
    return Observation(accepted(reply), "item statuses sent by numeric id (001) accepted", found)


@check(ids.DS_TRK_001)
def accepted_or_refused(what: str, reply: Reply) -> Observation:
    return Observation(
        accepted(reply) or 400 <= reply.status < 500,
        f"{what}: accepted (2xx) or refused (4xx)",
        describe(reply),
    )


def echoed_tracking(echo: Any, operation: str, sku: str) -> Any:
    """The TrackingInfo of the order, or of the item ``sku``, in an echo (the echo if no object)."""
    if not isinstance(echo, dict):
        return echo
    if operation == "putOrderStatusUpdate":
        return echo.get("TrackingInfo")
    items = [i for i in echo.get("ItemInformation") or [] if isinstance(i, dict)]
    return next((i.get("TrackingInfo") for i in items if i.get("Sku") == sku), None)


@check(ids.DS_TRK_001)
def numeric_tracking_echoed(number_sent: int, echo: Any, operation: str, sku: str) -> Observation:
    echoed = echoed_tracking(echo, operation, sku)
    return Observation(
        echoed in (number_sent, str(number_sent)),
        f"TrackingInfo echoed as {number_sent} or {str(number_sent)!r}",
        f"TrackingInfo {echoed!r}",
    )


@check(ids.DS_TRK_001)
def refusal_records_nothing(operation: str, fresh: list[dict[str, Any]]) -> Observation:
    return Observation(
        not fresh,
        f"the refused {operation} records nothing",
        f"{len(fresh)} new order-status-updated entries: {fresh!r}",
    )


# ---------------------------------------------------------------- what the feed makes of it


@check(ids.DS_UPD_006)
def order_update_fed(order_id: str, fresh: list[dict[str, Any]]) -> Observation:
    return Observation(
        bool(fresh) and any(fed_items(fed) for fed in fresh),
        f"a new order-status-updated with item-information for order {order_id}",
        f"{len(fresh)} new entries: {fresh!r}",
    )


def items_update_fed(order_id: str, fresh: list[dict[str, Any]]) -> Observation:
    return Observation(
        bool(fresh),
        f"a new order-status-updated for order {order_id}",
        "none in the current document and the newest archives",
    )


# DS-ITEM-007: the repeated PartiallyShipped updates are fed like any item update.
ITEMS_UPDATE_FED = check(ids.DS_EVT_006, ids.DS_ITEM_007)(items_update_fed)


@check(ids.DS_UPD_008)
def one_entry_per_order_item(
    ordered_items: list[dict[str, Any]], fresh: list[dict[str, Any]]
) -> Observation:
    """One entry, one item-information per order item with the order's sku and quantity."""
    items = [item for fed in fresh for item in fed_items(fed)]
    shape = [] if len(fresh) == 1 else [f"{len(fresh)} new entries for one update"]
    return none_of(
        shape + whole_order_problems(ordered_items, items),
        "one entry, one item-information per item of the order (its sku and quantity)",
    )


def whole_order_problems(
    ordered_items: list[dict[str, Any]], items: list[dict[str, Any]]
) -> list[str]:
    """The fed items of a whole-order update against the order's: the same skus, each with
    the quantity ordered (or none)."""
    ordered = {item["sku"]: item for item in ordered_items}
    skus = sorted(str(item.get("sku")) for item in items)
    problems = []
    if skus != sorted(ordered):
        problems.append(f"item-information skus {skus}, the order's {sorted(ordered)}")
    for item in items:
        sku = item.get("sku")
        quantity = number(item.get("quantity"))
        if sku in ordered and quantity not in (None, number(ordered[sku]["quantity"])):
            problems.append(f"item {sku}: quantity {item.get('quantity')!r}, ordered")
    return problems


@check(ids.DS_EVT_010)
def unsent_values_nil(unsent: list[str]) -> Observation:
    return none_of(
        unsent, "one entry, one item-information per sent item, values not sent nil or absent"
    )


def unsent_fed(
    ordered_items: list[dict[str, Any]], infos: list[dict[str, Any]], fresh: list[dict[str, Any]]
) -> list[str]:
    """DS-EVT-010: one entry with one item-information per sent item, values not sent nil."""
    items = [item for fed in fresh for item in fed_items(fed)]
    unsent = [] if len(fresh) == 1 else [f"{len(fresh)} new entries for one update"]
    if len(items) != len(infos):
        unsent.append(f"{len(items)} item-information fed for {len(infos)} sent")
    by_sku = {item.get("sku"): item for item in items}
    for info in infos:
        item = by_sku.get(info["Sku"])
        if item is None:
            continue
        # 000's examples fill catalog-id and quantity with the order's own values.
        own = next((i for i in ordered_items if i.get("sku") == info["Sku"]), {})
        unsent += [
            f"item {info['Sku']}: {element} fed {item[element]!r}, not sent"
            for field, element in FED_AS.items()
            if field not in info
            and item.get(element) is not None
            and not (
                element in ("catalog-id", "quantity") and item.get(element) == own.get(element)
            )
        ]
    return unsent


@check(ids.DS_EVT_006)
def every_sku_fed(infos: list[dict[str, Any]], items: list[dict[str, Any]]) -> Observation:
    """DS-EVT-006's "an item-information for every sent Sku", apart from what each carries
    (``fed_problems`` compares the lines that were fed)."""
    fed = {item.get("sku") for item in items}
    return none_of(
        [
            f"no item-information with sku {info['Sku']!r}"
            for info in infos
            if info["Sku"] not in fed
        ],
        "an item-information for every sent Sku",
    )
