"""Checks of orders and items as the Orders API answers them (ORD-CRT, ORD-ITEM, ORD-FULL,
ORD-FLT, ORD-EXP, ORD-ENUM): what a create sets, items as sent, the lists and their $filter,
OrderFull as the order with its items, expired orders, and the names of the enumerations.

The lifecycle machine judges its answers under the row of the model's tables that decided them;
a check registered under several rows is picked for one with
:meth:`Check.under <dropship_conformance.checks.registry.Check.under>`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable
from functools import cache
from typing import Any

from dropship_conformance import openapi
from dropship_conformance.checks import ids
from dropship_conformance.checks.orders_state import order_problems, same_value
from dropship_conformance.checks.primitives import GUID, JSON, describe
from dropship_conformance.checks.registry import Observation, check, none_of
from dropship_conformance.client.http import Reply
from dropship_conformance.model.lifecycle import (
    CLIENT_CREATED,
    CLIENT_PRINTABLE_ID,
    CREATED_BY,
    DEFAULT_EXPIRY_HOURS,
    ITEM_DEFAULTS,
    ITEM_WRITABLE,
    ROW_REQUIREMENTS,
    SCHEMA_REQUIREMENT,
    ItemModel,
    OrderModel,
)

CREATES = tuple(CREATED_BY.values())
# The rules a create's or an update's items are judged under.
ITEM_RULES = (*CREATES, ids.ORD_ITEM_001, ids.ORD_FULL_004)


def _ids(listed: Iterable[Any]) -> Counter[str]:
    return Counter(str(o.get("Id")).lower() for o in listed if isinstance(o, dict))


def item_problems(found: Any, model: ItemModel | None, order_id: str) -> dict[str, list[str]]:
    """What differs between an Item body and what was sent, by kind of rule."""
    out: dict[str, list[str]] = {"content": [], "default": [], "order": []}
    if not isinstance(found, dict) or model is None:
        out["content"].append(f"unexpected item {found!r:.200}")
        return out
    if str(found.get("OrderId")).lower() != order_id.lower():
        out["order"].append(f"item {found.get('Id')}: OrderId {found.get('OrderId')!r}")
    for name in ITEM_WRITABLE:
        if name == "ItemStatusId" and not model.status_known:
            continue
        if name in model.sent:
            if not same_value(name, model.sent[name], found.get(name)):
                out["content"].append(
                    f"item {model.sent.get('SKU')}: {name} {found.get(name)!r}, "
                    f"sent {model.sent[name]!r}"
                )
        elif name in ITEM_DEFAULTS and found.get(name) != ITEM_DEFAULTS[name]:
            out["default"].append(
                f"item {model.sent.get('SKU')}: {name} not sent, found {found.get(name)!r}"
            )
    return out


def items_problems(found: Any, model: OrderModel) -> list[str]:
    """Every model item exactly once, nothing else, each as sent (by Id)."""
    if not isinstance(found, list):
        return [f"not an array of items: {found!r:.200}"]
    seen = _ids(found)
    wanted = {item.id.lower(): item for item in model.items}
    problems = [f"item {i} was never added" for i in seen if i not in wanted]
    problems += [f"item {i} listed {n} times" for i, n in seen.items() if i in wanted and n > 1]
    problems += [
        f"item {i} ({m.sent.get('SKU')}) missing" for i, m in wanted.items() if not seen[i]
    ]
    for item in found:
        if isinstance(item, dict) and str(item.get("Id")).lower() in wanted:
            model_item = wanted[str(item.get("Id")).lower()]
            for kinds in item_problems(item, model_item, model.id).values():
                problems += kinds
    return problems


@check(*ITEM_RULES)
def item_as_sent(found: Any, model: ItemModel, order_id: str) -> Observation:
    return none_of(item_problems(found, model, order_id)["content"], "every sent field unchanged")


@check(ids.ORD_ITEM_003)
def item_defaults(found: Any, model: ItemModel, order_id: str) -> Observation:
    return none_of(item_problems(found, model, order_id)["default"], "0 when not sent")


@check(ids.ORD_ITEM_004)
def item_on_the_uri_order(found: Any, model: ItemModel, order_id: str) -> Observation:
    return none_of(item_problems(found, model, order_id)["order"], f"OrderId {order_id}")


@check(ids.ORD_ITEM_007)
def items_listed(found: Any, model: OrderModel) -> Observation:
    return none_of(items_problems(found, model), "every item once, as sent")


@check(*ITEM_RULES)
def items_answered(found: list[Any], sent: list[dict[str, Any]]) -> Observation:
    """The items of an answer matched to the sent ones by SKU."""
    by_sku = {i.get("SKU"): i for i in found if isinstance(i, dict)}
    return Observation(
        len(by_sku) == len(found) == len(sent) and set(by_sku) == {i["SKU"] for i in sent},
        f"the items sent, SKUs {sorted(i['SKU'] for i in sent)}",
        f"SKUs {[i.get('SKU') for i in found if isinstance(i, dict)]}",
    )


@check(*ITEM_RULES)
def new_guid(value: str, taken: Collection[str], what: str = "a new GUID Id") -> Observation:
    return Observation(
        bool(GUID.match(value)) and value.lower() not in taken, what, f"Id {value!r}"
    )


@check(ids.HTTP_001)
def json_answer(operation_id: str, reply: Reply) -> Observation:
    return Observation(
        reply.media_type == JSON,
        f"{operation_id} answers {JSON}",
        f"Content-Type {reply.headers.get('content-type')!r}",
    )


@check(*ROW_REQUIREMENTS)
def json_body(error: ValueError) -> Observation:
    return Observation(False, "a JSON body", str(error))


def schema_problems(operation_id: str, status: int, body: Any) -> list[str]:
    """openapi.validate_response, element by element for arrays: lists repeat the same orders
    on every call, and each distinct element is validated once (a run stays linear)."""
    op = openapi.operation(operation_id)
    pointer = openapi.response_pointer(op, status)
    schema: Any = openapi.document(op.api)
    for token in (pointer or "/-").strip("/").split("/"):
        schema = schema.get(token.replace("~1", "/").replace("~0", "~"), {})
    if pointer is None or not isinstance(body, list) or set(schema) != {"type", "items"}:
        return openapi.validate_response(operation_id, status, body)
    return [
        f"[{index}]{problem}"
        for index, element in enumerate(body)
        for problem in _element_problems(op.api, f"{pointer}/items", json.dumps(element))
    ]


@cache
def _element_problems(api: str, pointer: str, element: str) -> tuple[str, ...]:
    return tuple(openapi.validate(api, pointer, json.loads(element)))


@check(*sorted(set(SCHEMA_REQUIREMENT.values())), ids.HTTP_003)
def valid_against_openapi(operation_id: str, status: int, body: Any) -> Observation:
    return none_of(
        schema_problems(operation_id, status, body),
        f"the {operation_id} {status} body valid against the OpenAPI",
    )


# ---- what a create sets


@check(ids.ORD_CRT_002)
def printable_id_by_server(printable: Any) -> Observation:
    return Observation(
        isinstance(printable, str) and printable != CLIENT_PRINTABLE_ID,
        "a PrintableId string generated by the server (a sent one is not taken)",
        f"PrintableId {printable!r}",
    )


@check(ids.ORD_CRT_011)
def printable_id_not_empty(printable: Any) -> Observation:
    return Observation(bool(printable), "a non-empty PrintableId", f"PrintableId {printable!r}")


@check(ids.ORD_CRT_003)
def created_by_server(found: dict[str, Any]) -> Observation:
    created = found.get("CreatedDateUtc")
    return Observation(
        created != CLIENT_CREATED, "CreatedDateUtc set by the server", f"CreatedDateUtc {created!r}"
    )


@check(ids.ORD_CRT_005, *CREATES)
def created_state(found: dict[str, Any]) -> Observation:
    """A State sent that no legal transition reaches is not taken (DEV-CREATE-STATE)."""
    return Observation(
        found.get("State") == "Created", "State = 'Created'", f"State = {found.get('State')!r}"
    )


@check(ids.ORD_CRT_004)
def default_expiry_hours(found: dict[str, Any]) -> Observation:
    hours = found.get("OrderExpiryHours")
    return Observation(
        hours == DEFAULT_EXPIRY_HOURS,
        f"OrderExpiryHours (not sent) = {DEFAULT_EXPIRY_HOURS!r}",
        f"OrderExpiryHours (not sent) = {hours!r}",
    )


# ---- lists and OrderFull


@check(ids.ORD_FLT_001)
def every_order_listed(found: list[Any], models: dict[str, OrderModel]) -> Observation:
    """GET Orders without $filter: every model order once, as modelled, no Items."""
    by_id = _ids(found)
    problems = [f"order {o.get('Id')} carries Items" for o in found if "Items" in o]
    problems += [f"order {i} listed {by_id[i]} times" for i in models if by_id[i] != 1]
    for order in found:
        model = models.get(str(order.get("Id")).lower())
        if model is not None:
            problems += order_problems(order, model)["content"]
    return none_of(problems, "every order of the company once")


@check(ids.ORD_FLT_002, ids.ORD_FLT_005)
def state_filter_exact(found: list[Any], wanted: set[str], state: str, entity: int) -> Observation:
    text = f"State eq '{state}' and EntityId eq {entity}"
    listed = _ids(found)
    problems = [
        f"order {o.get('Id')} is {o.get('State')} at {o.get('EntityId')}"
        for o in found
        if o.get("State") != state or o.get("EntityId") != entity
    ]
    problems += [f"order {i} listed {n} times" for i, n in listed.items() if n > 1]
    problems += [f"order {i} missing" for i in sorted(wanted - set(listed))]
    return none_of(problems, f"exactly the orders of {text}")


@check(ids.ORD_FLT_003)
def printable_filter_exact(found: list[Any], printable: str, order_id: str) -> Observation:
    text = "PrintableId eq '{}'".format(printable.replace("'", "''"))
    problems = [
        f"order {o.get('Id')} has PrintableId {o.get('PrintableId')!r}"
        for o in found
        if o.get("PrintableId") != printable
    ]
    listed = [str(o.get("Id")).lower() for o in found].count(order_id)
    if listed != 1:
        problems.append(f"order {order_id} listed {listed} times")
    return none_of(problems, f"exactly the orders of {text}")


@check(ids.ORD_FULL_002)
def order_full_as_order(plain: Any, full: dict[str, Any], model: OrderModel) -> Observation:
    problems = [
        f"{name} {full.get(name)!r}, GET Order says {value!r}"
        for name, value in (plain if isinstance(plain, dict) else {}).items()
        if full.get(name) != value
    ]
    problems += items_problems(full.get("Items"), model)
    return none_of(problems, "the order and all its items")


@check(ids.ORD_FULL_003)
def one_order_full_per_order(found: list[Any], models: dict[str, OrderModel]) -> Observation:
    listed = _ids(found)
    problems = [f"order {i} listed {n} times" for i, n in listed.items() if n > 1]
    problems += [f"order {i} missing" for i in sorted(set(models) - set(listed))]
    for order in found:
        model = models.get(str(order.get("Id")).lower())
        if model is not None:
            problems += order_problems(order, model)["content"]
            problems += items_problems(order.get("Items"), model)
    return none_of(problems, "one OrderFull per order")


# ---- expired orders (ASSUME-EXPIRY-409) and the enumerations' names


@check(ids.ORD_EXP_001, ids.ORD_EXP_002)
def refused_as_expired(reply: Reply, what: str) -> Observation:
    return Observation(
        reply.status == 409,
        f"{what} after OrderExpiryDate answers 409",
        describe(reply),
    )


@check(ids.ORD_ERR_006, ids.ORD_EXP_002)
def conflict_message(reply: Reply, what: str) -> Observation:
    try:
        answered = reply.json()
    except ValueError:
        answered = None
    message = answered.get("Message") if isinstance(answered, dict) else None
    return Observation(
        message == "Conflict", f"{what} Message = 'Conflict'", f"{what} Message = {message!r}"
    )


@check(ids.ORD_EXP_002)
def expired_still_readable(order: Reply, items: Reply) -> Observation:
    return Observation(
        order.status == 200 and items.status == 200,
        "GET Order and GET Items of the expired order answer 200",
        f"GET Order {describe(order)}; GET Items {describe(items)}",
    )


@check(ids.ORD_EXP_001, ids.ORD_EXP_002)
def expired_unchanged(order: Reply, changed: bool, expected: str, skus: list[Any]) -> Observation:
    return Observation(not changed, expected, f"GET Order {describe(order)}; items {skus}")


@check(ids.ORD_ENUM_002, ids.ORD_ENUM_004)
def names_follow_the_table(wrong: list[str], expected: str) -> Observation:
    return none_of(wrong, expected)
