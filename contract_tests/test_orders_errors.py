"""Errors suite, Orders API: every error row of 003/004 §Errors with its status and message, the
400s the request tables imply (required fields, exclusive fields, item rules, $filter), the
bearer token on every operation, and company isolation. Each case is a row of a table; every
documented error answer must be application/json holding the Error object with its Message
(an error no document lists, such as the Orders API's 401, is judged on its status only).

A refusal is evidence only when nothing but the fault under test explains it: each negative
case also sends the same request without the fault, and when that is refused too the case is
not checked (a server refusing everything proves no rule).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from dropship_conformance import openapi
from dropship_conformance.client import OrdersClient, Reply, SandboxControl
from dropship_conformance.harness.target import Target
from dropship_conformance.verdicts import Expect

pytestmark = [pytest.mark.errors, pytest.mark.orders]

JSON = "application/json"
NOT_FOUND = "Order resource with id {x} cannot be found"
ENTITY_NOT_RELATED = "Entity is not related to company"
ID_MISMATCH = (  # DEV-ID-MISMATCH-MESSAGE: either documented message
    "The request is invalid",
    "Uri parameter representing resource id and resource id found in the request content "
    "don't match",
)
CONFLICT = "Conflict"
TRANSITION = "Resource state transition from {x} to {y} is invalid"
# Used where the target's seed is unknown: ids no company is expected to own.
FOREIGN_EMPLOYEE = 2147483001
ORDER_OPERATIONS = (
    "getOrder",
    "updateOrder",
    "addItem",
    "listItems",
    "processOrder",
    "getOrderFull",
    "updateOrderFull",
)
ALL_OPERATIONS = (
    "createOrder",
    "listOrders",
    "createOrderFull",
    "listOrderFull",
    *ORDER_OPERATIONS,
)


# ---------------------------------------------------------------- identities and calls


@dataclass(frozen=True)
class Ids:
    """The identities the cases use: the company under test and, where known, another one."""

    company_id: int
    location_id: int
    customer_id: str
    other_company_id: int
    other_location_id: int
    other_customer_id: str
    other_token: str | None

    @classmethod
    def of(cls, target: Target) -> Ids:
        settings = target.settings
        info = target.sandbox_info or {}
        other = next(
            (c for c in info.get("companies", []) if c.get("id") == settings.other_company_id),
            {},
        )
        return cls(
            settings.company_id,
            settings.location_id,
            settings.billing_customer_id,
            settings.other_company_id,
            settings.other_location_id,
            next((c["id"] for c in other.get("customers", [])), str(uuid.uuid4())),
            settings.other_token,
        )


@pytest.fixture(scope="module")
def ids(target: Target) -> Ids:
    return Ids.of(target)


def call(
    orders: OrdersClient,
    operation_id: str,
    order_id: str = "",
    body: Any = None,
    *,
    raw: bytes | None = None,
    company_id: int | None = None,
    **options: Any,
) -> Reply:
    """Send ``operation_id`` as the OpenAPI document defines it (method and path)."""
    op = openapi.operation(operation_id)
    company = orders.company_id if company_id is None else company_id
    path = op.path.replace("{CompanyId}", str(company)).replace("{OrderId}", order_id)
    url = orders.base_url + path
    if raw is not None:
        headers = {"Content-Type": JSON, **options.pop("headers", {})}
        return orders.session.request(op.method, url, content=raw, headers=headers, **options)
    return orders.session.request(op.method, url, json_body=body, **options)


def describe(reply: Reply) -> str:
    content_type = reply.headers.get("content-type") or "no Content-Type"
    return f"HTTP {reply.status} ({content_type}) {reply.text[:300]!r}"


def item_body(tag: str) -> dict[str, Any]:
    return {"ItemTypeId": 2, "ItemStatusId": 9, "SKU": tag}


def valid_body(operation_id: str, ids: Ids, order_id: str, tag: str) -> Any:
    """A body the operation would accept (Name/SKU ``tag`` shows whether it took effect), under
    either edition: 003 requires a billing customer on create (ORD-CRT-014)."""
    order = {
        "EntityId": ids.location_id,
        "OrderTypeId": 3,
        "BillingCustomerId": ids.customer_id,
        "Name": tag,
    }
    return {
        "createOrder": order,
        "createOrderFull": {**order, "Items": [item_body(tag)]},
        "updateOrder": {"Id": order_id, **order},
        "updateOrderFull": {"Id": order_id, **order, "Items": [item_body(tag)]},
        "addItem": item_body(tag),
        "processOrder": {"OrderId": order_id},
    }.get(operation_id)


def new_order(orders: OrdersClient, ids: Ids, **fields: Any) -> dict[str, Any]:
    body = {
        "EntityId": ids.location_id,
        "OrderTypeId": 3,
        "BillingCustomerId": ids.customer_id,
        "Name": "Errors",
        **fields,
    }
    reply = orders.create_order({k: v for k, v in body.items() if v is not None})
    if reply.status != 201:
        pytest.skip(f"cannot create an order for the case: {describe(reply)}")
    return reply.json()


@pytest.fixture
def order(orders: OrdersClient, ids: Ids) -> dict[str, Any]:
    """A fresh Created order with a billing customer."""
    return new_order(orders, ids)


def require_control(control: Reply, what: str) -> None:
    """The request without the fault must be accepted, or a refusal of it proves nothing."""
    if not 200 <= control.status < 300:
        pytest.skip(
            f"not checked: {what} without the fault under test was refused as well "
            f"({describe(control)}), so a refusal would not show the rule"
        )


def judge_error(
    expect: Expect,
    reply: Reply,
    operation_id: str,
    status: int | tuple[int, ...],
    rule: str | tuple[str, ...],
    message: str | tuple[str, ...] | re.Pattern[str] | None = None,
    message_rule: str | None = None,
) -> Any:
    """Status (``rule``, or every rule of a tuple), then the documented error answer. A SHOULD
    status that does not hold leaves nothing else to judge: the server chose another reading."""
    if not judge_status(expect, reply, operation_id, status, rule):
        return None
    return judge_error_body(expect, reply, operation_id, rule, message, message_rule)


def judge_status(
    expect: Expect,
    reply: Reply,
    operation_id: str,
    status: int | tuple[int, ...],
    rule: str | tuple[str, ...],
) -> bool:
    statuses = status if isinstance(status, tuple) else (status,)
    return expect.all_hold(
        rule if isinstance(rule, tuple) else (rule,),
        reply.status in statuses,
        expected=f"{operation_id} answers {' or '.join(map(str, statuses))}",
        found=describe(reply),
    )


def judge_error_body(
    expect: Expect,
    reply: Reply,
    operation_id: str,
    rule: str | tuple[str, ...],
    message: str | tuple[str, ...] | re.Pattern[str] | None = None,
    message_rule: str | None = None,
) -> Any:
    """A documented error (003/004 §Errors): JSON (HTTP-001), the Error object (HTTP-003), its
    Message (``message_rule``, else the first rule)."""
    rule = rule[0] if isinstance(rule, tuple) else rule
    expect.that(
        "HTTP-001",
        reply.media_type == JSON,
        expected=f"the error with Content-Type {JSON}",
        found=repr(reply.headers.get("content-type")),
    )
    try:
        body = reply.json()
    except ValueError as error:
        expect.that("HTTP-003", False, expected="an Error object", found=str(error))
        raise
    problems = openapi.validate_response(operation_id, reply.status, body)
    expect.none_of("HTTP-003", problems, expected="the Error object {Message} of the OpenAPI")
    found = body.get("Message") if isinstance(body, dict) else None
    if message is None:
        expect.that(
            "HTTP-003",
            isinstance(found, str) and bool(found.strip()),
            expected="a Message naming the problem",
            found=f"Message {found!r}",
        )
    else:
        if isinstance(message, re.Pattern):
            holds = isinstance(found, str) and message.fullmatch(found) is not None
            shown = message.pattern
        else:
            accepted = (message,) if isinstance(message, str) else message
            holds, shown = found in accepted, " or ".join(map(repr, accepted))
        expect.that(
            message_rule or rule, holds, expected=f"Message {shown}", found=f"Message {found!r}"
        )
    return body


# ---------------------------------------------------------------- effects a refusal must not have


def _no_order_named(orders: OrdersClient, order_id: str, tag: str, **options: Any) -> list[str]:
    reply = orders.list_orders(**options)
    if reply.status != 200:
        return [f"GET Orders: {describe(reply)}"]
    return [f"order {o.get('Id')} was created" for o in reply.json() if o.get("Name") == tag]


def _not_updated(orders: OrdersClient, order_id: str, tag: str, **options: Any) -> list[str]:
    reply = orders.get_order(order_id, **options)
    if reply.status != 200:
        return [f"GET Order: {describe(reply)}"]
    problems = [f"Name became {tag!r}"] if reply.json().get("Name") == tag else []
    return problems + _no_item(orders, order_id, tag, **options)


def _no_item(orders: OrdersClient, order_id: str, tag: str, **options: Any) -> list[str]:
    reply = orders.list_items(order_id, **options)
    if reply.status != 200:
        return [f"GET Items: {describe(reply)}"]
    return [f"item {i.get('Id')} was added" for i in reply.json() if i.get("SKU") == tag]


def _still_created(orders: OrdersClient, order_id: str, tag: str, **options: Any) -> list[str]:
    reply = orders.get_order(order_id, **options)
    if reply.status != 200:
        return [f"GET Order: {describe(reply)}"]
    state = reply.json().get("State")
    return [] if state == "Created" else [f"State became {state!r}"]


Probe = Callable[..., list[str]]
# What each refused change must not have done (reads change nothing).
PROBES: dict[str, Probe] = {
    "createOrder": _no_order_named,
    "createOrderFull": _no_order_named,
    "updateOrder": _not_updated,
    "updateOrderFull": _not_updated,
    "addItem": _no_item,
    "processOrder": _still_created,
}


def judge_no_effect(
    expect: Expect,
    rule: str,
    orders: OrdersClient,
    operation_id: str,
    order_id: str,
    tag: str,
    **options: Any,
) -> None:
    probe = PROBES.get(operation_id)
    if probe is not None:
        expect.none_of(
            rule,
            probe(orders, order_id, tag, **options),
            expected=f"the refused {operation_id} changed nothing",
        )


def _tag() -> str:
    return f"ERR-{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------- 404: unknown order


@pytest.mark.requirements("ORD-ERR-005", "HTTP-001", "HTTP-003")
@pytest.mark.parametrize("operation_id", ORDER_OPERATIONS)
def test_unknown_order_is_not_found(
    operation_id: str, orders: OrdersClient, ids: Ids, expect: Expect
) -> None:
    unknown = str(uuid.uuid4())
    body = valid_body(operation_id, ids, unknown, _tag())
    reply = call(orders, operation_id, unknown, body)
    judge_error(expect, reply, operation_id, 404, "ORD-ERR-005", NOT_FOUND.format(x=unknown))


# ---------------------------------------------------------------- 400: body id and URI id

# operation -> (the body field holding the order id, the requirement of the operation)
BODY_ID = {
    "updateOrder": ("Id", "ORD-UPD-002"),
    "updateOrderFull": ("Id", "ORD-FULL-004"),
    "processOrder": ("OrderId", "ORD-PROC-003"),
}


def _body_id_case(
    operation_id: str, orders: OrdersClient, ids: Ids, order: dict[str, Any], faulty: Any
) -> tuple[Reply, list[str]]:
    """Send ``faulty`` (tagged), probe that it changed nothing, then send the same body with
    the right id: only when that is accepted does the refusal show the body-id rule. The probe
    comes first because the control request changes the order (Process moves it on)."""
    tag = _tag()
    body = valid_body(operation_id, ids, order["Id"], tag)
    reply = call(orders, operation_id, order["Id"], faulty(body))
    probe = PROBES[operation_id]
    problems = probe(orders, order["Id"], tag)
    control = call(
        orders, operation_id, order["Id"], valid_body(operation_id, ids, order["Id"], _tag())
    )
    require_control(control, f"{operation_id} of order {order['Id']}")
    return reply, problems


@pytest.mark.requirements("ORD-ERR-004", "ORD-UPD-002", "ORD-FULL-004", "ORD-PROC-003")
@pytest.mark.parametrize("operation_id", sorted(BODY_ID))
def test_body_id_must_match_the_uri(
    operation_id: str, orders: OrdersClient, ids: Ids, order: dict[str, Any], expect: Expect
) -> None:
    """Each declared rule is judged before a failure of another can end the test: the status
    decides ORD-ERR-004 and the operation's rule together, the effect the operation's rule."""
    field, rule = BODY_ID[operation_id]
    reply, problems = _body_id_case(
        operation_id, orders, ids, order, lambda body: {**body, field: str(uuid.uuid4())}
    )
    judge_status(expect, reply, operation_id, 400, ("ORD-ERR-004", rule))
    expect.none_of(rule, problems, expected=f"the refused {operation_id} changed nothing")
    judge_error_body(expect, reply, operation_id, "ORD-ERR-004", ID_MISMATCH)


@pytest.mark.requirements("ORD-UPD-002", "ORD-FULL-004", "ORD-PROC-003")
@pytest.mark.parametrize("operation_id", sorted(BODY_ID))
def test_body_id_is_required(
    operation_id: str, orders: OrdersClient, ids: Ids, order: dict[str, Any], expect: Expect
) -> None:
    field, rule = BODY_ID[operation_id]
    reply, problems = _body_id_case(
        operation_id, orders, ids, order, lambda body: {k: v for k, v in body.items() if k != field}
    )
    judge_status(expect, reply, operation_id, 400, rule)
    expect.none_of(rule, problems, expected=f"the refused {operation_id} changed nothing")
    judge_error_body(expect, reply, operation_id, rule)


# ---------------------------------------------------------------- 400: Process without billing


@pytest.mark.requirements("ORD-ERR-001")
def test_process_needs_a_billing_customer(orders: OrdersClient, ids: Ids, expect: Expect) -> None:
    created = new_order(orders, ids, BillingCustomerId=None)
    reply = orders.process_order(created["Id"])
    # 004 §ERRORS: Description "Bad Request", Reason "Billing Customer (id={x}) not found for
    # company {y}. Proccessing ..." with the company's id: either is the message
    # (DEV-BILLING-MESSAGE); the order names no customer, so {x} can only show that there is none.
    message = re.compile(
        r"Bad Request|(?:Bad Request\W*)?Billing Customer \(id=(?:|null|None|"
        r"00000000-0000-0000-0000-000000000000)\) not found for company "
        + re.escape(str(ids.company_id))
        + r"\. Proccessing an Order requires a Billing Customer on the Order"
    )
    judge_error(expect, reply, "processOrder", 400, "ORD-ERR-001", message)
    judge_no_effect(expect, "ORD-ERR-001", orders, "processOrder", created["Id"], "")


# ---------------------------------------------------------------- 400: bodies the rules refuse


@dataclass(frozen=True)
class BadBody:
    operation_id: str
    set: dict[str, Any]
    drop: tuple[str, ...]
    rule: str
    message: str | None = None


# Placeholders resolved from Ids at run time.
OTHER_LOCATION, OTHER_CUSTOMER, LOCATION, CUSTOMER = (
    "<other-location>",
    "<other-customer>",
    "<location>",
    "<customer>",
)
WRITES = ("createOrder", "createOrderFull", "updateOrder", "updateOrderFull")
BAD_BODIES = [
    *(
        pytest.param(
            BadBody(op, {field: OTHER_LOCATION}, (), "ORD-ERR-003", ENTITY_NOT_RELATED),
            id=f"{op}-{field}-of-another-company",
        )
        for op in WRITES
        for field in ("EntityId", "ShippingEntityId")
    ),
    *(
        pytest.param(BadBody(op, {}, (field,), rule), id=f"{op}-without-{field}")
        # DEV-UPDATE-REQUIRED-FIELDS: required on create; on update by 004 only (a SHOULD).
        for op, rule in (
            ("createOrder", "ORD-CRT-006"),
            ("createOrderFull", "ORD-CRT-006"),
            ("updateOrder", "ORD-CRT-013"),
            ("updateOrderFull", "ORD-CRT-013"),
        )
        for field in ("EntityId", "OrderTypeId")
    ),
    *(
        pytest.param(
            BadBody(
                op,
                {"ShippingEntityId": LOCATION, "ShippingCustomerId": CUSTOMER},
                (),
                "ORD-CRT-008",
            ),
            id=f"{op}-ShippingEntityId-and-ShippingCustomerId",
        )
        for op in WRITES
    ),
    *(
        pytest.param(
            BadBody(op, {"OrderTypeId": value}, (), "ORD-ENUM-002"), id=f"{op}-OrderTypeId-{value}"
        )
        for op, value in (("createOrder", 5), ("updateOrder", 0), ("createOrderFull", 9))
    ),
    *(
        pytest.param(
            BadBody(op, {"BillingCustomerId": OTHER_CUSTOMER}, (), "ORD-CRT-007"),
            id=f"{op}-BillingCustomerId-of-another-company",
        )
        for op in ("createOrder", "updateOrder")
    ),
    *(
        pytest.param(
            BadBody(op, {"EmployeeId": FOREIGN_EMPLOYEE}, (), "ORD-CRT-009"),
            id=f"{op}-EmployeeId-not-of-the-company",
        )
        for op in ("createOrder", "updateOrder")
    ),
]


def _resolve(value: Any, ids: Ids) -> Any:
    return (
        {
            OTHER_LOCATION: ids.other_location_id,
            OTHER_CUSTOMER: ids.other_customer_id,
            LOCATION: ids.location_id,
            CUSTOMER: ids.customer_id,
        }.get(value, value)
        if isinstance(value, str)
        else value
    )


@pytest.mark.requirements(
    "ORD-ERR-003",
    "ORD-CRT-006",
    "ORD-CRT-013",
    "ORD-CRT-008",
    "ORD-ENUM-002",
    "ORD-CRT-007",
    "ORD-CRT-009",
)
@pytest.mark.parametrize("case", BAD_BODIES)
def test_order_body_is_refused(
    case: BadBody, orders: OrdersClient, ids: Ids, order: dict[str, Any], expect: Expect
) -> None:
    body = valid_body(case.operation_id, ids, order["Id"], _tag())
    body.update({k: _resolve(v, ids) for k, v in case.set.items()})
    for name in case.drop:
        body.pop(name, None)
    reply = call(orders, case.operation_id, order["Id"], body)
    control = call(
        orders,
        case.operation_id,
        order["Id"],
        valid_body(case.operation_id, ids, order["Id"], _tag()),
    )
    require_control(control, case.operation_id)
    judge_error(expect, reply, case.operation_id, 400, case.rule, case.message)


@pytest.mark.requirements("ORD-CRT-008")
@pytest.mark.parametrize("operation_id", WRITES)
def test_shipping_entity_zero_means_none(
    operation_id: str, orders: OrdersClient, ids: Ids, order: dict[str, Any], expect: Expect
) -> None:
    """DEV-SHIPPING-EXCLUSIVE-EXAMPLE: ShippingEntityId 0 with a ShippingCustomerId is valid."""
    body = valid_body(operation_id, ids, order["Id"], _tag())
    body.update({"ShippingEntityId": 0, "ShippingCustomerId": ids.customer_id})
    reply = call(orders, operation_id, order["Id"], body)
    expect.that(
        "ORD-CRT-008",
        200 <= reply.status < 300,
        expected=f"{operation_id} with ShippingEntityId 0 and a ShippingCustomerId accepted",
        found=describe(reply),
    )


# ---------------------------------------------------------------- 400: not understood

# (operation, body: raw bytes or JSON; "<order>"/"<location>" filled in at run time)
NOT_UNDERSTOOD = [
    ("createOrder", b'{"EntityId": 14202, "OrderTypeId": 3'),
    ("createOrder", b"EntityId=14202&OrderTypeId=3"),
    ("createOrder", b"[]"),
    ("createOrder", b"null"),
    ("createOrder", {"EntityId": "14202x", "OrderTypeId": 3}),
    ("createOrder", {"EntityId": LOCATION, "OrderTypeId": "Purchase"}),
    ("createOrder", {"EntityId": LOCATION, "OrderTypeId": 3, "OrderExpiryHours": "72h"}),
    ("createOrder", {"EntityId": LOCATION, "OrderTypeId": 3, "DiscountAmount": "fifteen"}),
    ("createOrder", {"EntityId": LOCATION, "OrderTypeId": 3, "BillingCustomerId": "Jane"}),
    ("updateOrder", b"{"),
    ("updateOrder", {"Id": "<order>", "EntityId": [14202], "OrderTypeId": 3}),
    ("addItem", b'{"ItemTypeId": 2,'),
    ("addItem", {"ItemTypeId": 2, "ItemStatusId": "nine"}),
    ("addItem", {"ItemTypeId": 2, "ItemStatusId": 9, "Quantity": "two"}),
    ("addItem", {"ItemTypeId": 2, "ItemStatusId": 9, "SerialNumbers": "SN-1"}),
    ("processOrder", b"{"),
    ("processOrder", {"OrderId": 12}),
    ("createOrderFull", {"EntityId": LOCATION, "OrderTypeId": 3, "Items": "none"}),
    ("updateOrderFull", {"Id": "<order>", "EntityId": LOCATION, "OrderTypeId": 3, "Items": {}}),
]


def _fill(body: Any, ids: Ids, order_id: str) -> Any:
    if isinstance(body, dict):
        return {k: _fill(v, ids, order_id) for k, v in body.items()}
    return order_id if body == "<order>" else _resolve(body, ids)


@pytest.mark.requirements("ORD-ERR-002", "HTTP-005")
@pytest.mark.parametrize(
    ("operation_id", "body"),
    [pytest.param(op, body, id=f"{op}-{i}") for i, (op, body) in enumerate(NOT_UNDERSTOOD)],
)
def test_request_not_understood(
    operation_id: str,
    body: bytes | dict[str, Any],
    orders: OrdersClient,
    ids: Ids,
    order: dict[str, Any],
    expect: Expect,
) -> None:
    if isinstance(body, bytes):
        reply = call(orders, operation_id, order["Id"], raw=body)
    else:
        reply = call(orders, operation_id, order["Id"], _fill(body, ids, order["Id"]))
    control = call(
        orders, operation_id, order["Id"], valid_body(operation_id, ids, order["Id"], _tag())
    )
    require_control(control, operation_id)
    expect.that(
        "HTTP-005",
        reply.status < 500,
        expected="a client mistake never gets a 5xx",
        found=describe(reply),
    )
    judge_error(expect, reply, operation_id, 400, "ORD-ERR-002")


# ---------------------------------------------------------------- 400: items


@dataclass(frozen=True)
class BadItem:
    item: dict[str, Any]
    rule: str


BAD_ITEMS = [
    pytest.param(BadItem({"ItemTypeId": 2}, "ORD-ITEM-002"), id="without-ItemStatusId"),
    pytest.param(BadItem({"ItemStatusId": 9}, "ORD-ITEM-002"), id="without-ItemTypeId"),
    pytest.param(BadItem({"ItemTypeId": 5, "ItemStatusId": 9}, "ORD-ENUM-003"), id="ItemTypeId-5"),
    pytest.param(
        BadItem({"ItemTypeId": "DropShip", "ItemStatusId": 1}, "ORD-ENUM-003"),
        id="ItemTypeId-DropShip",
    ),
    *(
        pytest.param(
            BadItem({"ItemTypeId": type_id, "ItemStatusId": status_id}, "ORD-ENUM-005"),
            id=f"ItemTypeId-{type_id}-ItemStatusId-{status_id}",
        )
        for type_id, status_id in ((1, 9), ("2", 1), (2, 13), (3, 10), (4, 1), (1, 15))
    ),
    pytest.param(
        BadItem(
            {"ItemTypeId": 2, "ItemStatusId": 9, "TrackingInformation": [{"Quantity": 1}]},
            "ORD-ITEM-006",
        ),
        id="TrackingInformation-without-TrackingNumber",
    ),
    pytest.param(
        BadItem(
            {
                "ItemTypeId": 2,
                "ItemStatusId": 9,
                "TrackingInformation": [{"TrackingNumber": "1TTTTN4421"}],
            },
            "ORD-ITEM-006",
        ),
        id="TrackingInformation-without-Quantity",
    ),
]
ITEM_ROUTES = ("addItem", "createOrderFull", "updateOrderFull")
# DEV-UPDATE-REQUIRED-FIELDS: 003 lists the item ids Optional in an OrderFull update.
ITEM_RULE_ON_ROUTE = {("ORD-ITEM-002", "updateOrderFull"): "ORD-ITEM-008"}


def _send_items(
    orders: OrdersClient, ids: Ids, operation_id: str, order_id: str, items: list[dict[str, Any]]
) -> Reply:
    """Items through POST Items (one at a time: the last answer) or in an OrderFull body."""
    if operation_id == "addItem":
        replies = [orders.add_item(order_id, item) for item in items]
        return replies[-1]
    body = {**valid_body(operation_id, ids, order_id, _tag()), "Items": items}
    return call(orders, operation_id, order_id, body)


@pytest.mark.requirements(
    "ORD-ITEM-002", "ORD-ITEM-008", "ORD-ENUM-003", "ORD-ENUM-005", "ORD-ITEM-006"
)
@pytest.mark.parametrize("operation_id", ITEM_ROUTES)
@pytest.mark.parametrize("case", BAD_ITEMS)
def test_item_is_refused(
    case: BadItem,
    operation_id: str,
    orders: OrdersClient,
    ids: Ids,
    order: dict[str, Any],
    expect: Expect,
) -> None:
    reply = _send_items(orders, ids, operation_id, order["Id"], [{**case.item, "SKU": _tag()}])
    control = _send_items(orders, ids, operation_id, order["Id"], [item_body(_tag())])
    require_control(control, f"{operation_id} with an item")
    rule = ITEM_RULE_ON_ROUTE.get((case.rule, operation_id), case.rule)
    judge_error(expect, reply, operation_id, 400, rule)


@pytest.mark.requirements("ORD-ITEM-005")
@pytest.mark.parametrize("operation_id", ITEM_ROUTES)
def test_duplicate_product_id_is_refused(
    operation_id: str, orders: OrdersClient, ids: Ids, order: dict[str, Any], expect: Expect
) -> None:
    product = str(uuid.uuid4())
    items = [{**item_body(_tag()), "ProductId": product} for _ in range(2)]
    reply = _send_items(orders, ids, operation_id, order["Id"], items)
    judge_error(expect, reply, operation_id, 400, "ORD-ITEM-005")


@pytest.mark.requirements("ORD-ERR-008")
@pytest.mark.parametrize("number", ["", "   "], ids=["empty", "blank"])
def test_invalid_tracking_number_is_a_client_error(
    number: str, orders: OrdersClient, order: dict[str, Any], expect: Expect
) -> None:
    """DEV-TRACKING-500: 003/004 document a 500 here; a 4xx is what a client mistake gets."""
    body = {**item_body(_tag()), "TrackingInformation": [{"Quantity": 1, "TrackingNumber": number}]}
    reply = orders.add_item(order["Id"], body)
    expect.that(
        "ORD-ERR-008",
        400 <= reply.status < 500,
        expected=f"TrackingNumber {number!r} refused with a 4xx (400)",
        found=describe(reply),
    )


# ---------------------------------------------------------------- 400: $filter

UNSUPPORTED_FILTERS = [
    "Name eq 'Errors'",
    "State ne 'Pending'",
    "State eq 'Pending' or EntityId eq 14202",
    "State eq Pending",
    "EntityId gt 0",
    "startswith(PrintableId, '1')",
    "PrintableId eq 'x' and State eq 'Created'",
    "State eq 'Pending' and",
    "1 eq 1",
]


@pytest.mark.requirements("ORD-FLT-004")
@pytest.mark.parametrize("text", UNSUPPORTED_FILTERS)
def test_unsupported_filter_is_refused(text: str, orders: OrdersClient, expect: Expect) -> None:
    """DEV-FILTER-SHAPES: a 200 is the other reading, warned."""
    reply = orders.list_orders(text)
    require_control(orders.list_orders("PrintableId eq 'none'"), "GET Orders with a $filter")
    judge_error(expect, reply, "listOrders", 400, "ORD-FLT-004")


# ---------------------------------------------------------------- 409: state transitions


def _step(
    orders: OrdersClient,
    control: SandboxControl | None,
    ids: Ids,
    order: dict[str, Any],
    step: str,
) -> Reply:
    """Bring the order one step on: a State by update, Process, or force (sandbox)."""
    if step == "Process":
        return orders.process_order(order["Id"])
    if step.startswith("force:"):
        if control is None:
            pytest.skip("reaching this state needs the sandbox control API (force_state)")
        return control.force_state(ids.company_id, order["Id"], step.removeprefix("force:"))
    body = {
        "Id": order["Id"],
        "EntityId": ids.location_id,
        "OrderTypeId": 3,
        "BillingCustomerId": ids.customer_id,
        "Name": "Errors",
        "State": step,
    }
    return orders.update_order(order["Id"], body)


@dataclass(frozen=True)
class Transition:
    steps: tuple[str, ...]  # how a new order reaches ``state``
    state: str
    operation_id: str
    requested: str | None  # the State sent (Process requests Processed)
    rule: str


TRANSITIONS = [
    pytest.param(Transition((), "Created", "updateOrder", "Processed", "ORD-STATE-003")),
    pytest.param(Transition((), "Created", "updateOrder", "Completed", "ORD-STATE-003")),
    pytest.param(Transition(("Pending",), "Pending", "updateOrder", "Created", "ORD-STATE-003")),
    pytest.param(Transition(("Pending",), "Pending", "updateOrder", "Processed", "ORD-STATE-003")),
    pytest.param(Transition(("Process",), "Processed", "updateOrder", "Pending", "ORD-STATE-003")),
    pytest.param(Transition(("Process",), "Processed", "updateOrder", "Created", "ORD-STATE-003")),
    pytest.param(
        Transition(("Pending", "Cancelled"), "Cancelled", "updateOrder", "Pending", "ORD-STATE-003")
    ),
    pytest.param(
        Transition(("force:Completed",), "Completed", "updateOrder", "Pending", "ORD-STATE-003")
    ),
    pytest.param(
        Transition(("Process",), "Processed", "processOrder", "Processed", "ORD-PROC-004")
    ),
    pytest.param(
        Transition(
            ("Pending", "Cancelled"), "Cancelled", "processOrder", "Processed", "ORD-PROC-004"
        )
    ),
    pytest.param(
        Transition(("force:Completed",), "Completed", "processOrder", "Processed", "ORD-PROC-004")
    ),
    pytest.param(Transition(("Process",), "Processed", "updateOrderFull", None, "ORD-FULL-005")),
    pytest.param(
        Transition(("Pending", "Cancelled"), "Cancelled", "updateOrderFull", None, "ORD-FULL-005")
    ),
]
# Rules whose refusal is mandatory but whose status no document gives: any 4xx holds the rule,
# 409 is the SHOULD named here (DEV-ORDERFULL-REFUSAL).
REFUSAL_STATUS_RULE = {"ORD-FULL-005": "ORD-FULL-006"}
CLIENT_ERRORS = tuple(range(400, 500))


@pytest.mark.requirements(
    "ORD-ERR-007", "ORD-STATE-003", "ORD-PROC-004", "ORD-FULL-005", "ORD-FULL-006"
)
@pytest.mark.parametrize(
    "case",
    TRANSITIONS,
    ids=lambda c: f"{c.state}-{c.operation_id}-{c.requested or 'no-State'}",
)
def test_invalid_transition_is_a_conflict(
    case: Transition,
    orders: OrdersClient,
    control: SandboxControl | None,
    ids: Ids,
    order: dict[str, Any],
    expect: Expect,
) -> None:
    for step in case.steps:
        reply = _step(orders, control, ids, order, step)
        if not 200 <= reply.status < 300:
            pytest.skip(f"cannot bring the order to {case.state} ({step}): {describe(reply)}")
    tag = _tag()
    body = valid_body(case.operation_id, ids, order["Id"], tag)
    if case.requested is not None and case.operation_id != "processOrder":
        body["State"] = case.requested
    reply = call(orders, case.operation_id, order["Id"], body)
    # A State change gets the documented message; an OrderFull update without one only a 409.
    message = TRANSITION.format(x=case.state, y=case.requested) if case.requested else None
    status_rule = REFUSAL_STATUS_RULE.get(case.rule)
    if status_rule is None:
        judge_error(expect, reply, case.operation_id, 409, case.rule, message, "ORD-ERR-007")
    elif judge_status(expect, reply, case.operation_id, CLIENT_ERRORS, case.rule):
        judge_error(expect, reply, case.operation_id, 409, status_rule, message, "ORD-ERR-007")
    after = orders.get_order(order["Id"])
    found = after.json() if after.status == 200 else {}
    expect.that(
        case.rule,
        found.get("State") == case.state and found.get("Name") != tag,
        expected=f"the order still {case.state}, unchanged",
        found=f"GET Order: {describe(after)}",
    )


# ---------------------------------------------------------------- 409: expired

# case -> (operation, extra body fields, the rule: updates are ORD-EXP-001, the rest ORD-EXP-002)
EXPIRED = {
    "PUT-Order": ("updateOrder", {}, "ORD-EXP-001"),
    "PUT-Order-State-Pending": ("updateOrder", {"State": "Pending"}, "ORD-EXP-001"),
    "PUT-OrderFull": ("updateOrderFull", {}, "ORD-EXP-001"),
    "POST-Items": ("addItem", {}, "ORD-EXP-002"),
    "POST-Process": ("processOrder", {}, "ORD-EXP-002"),
}


@pytest.fixture(scope="module")
def expired_orders(
    orders: OrdersClient, control: SandboxControl | None, ids: Ids
) -> dict[str, dict[str, Any]]:
    """One order per case, created with OrderExpiryHours 0: expired from the start, on any
    target. A target refusing 0 hours gets orders of 1 hour and, on the sandbox, its clock."""
    made = {}
    for case in EXPIRED:
        body = {
            "EntityId": ids.location_id,
            "OrderTypeId": 3,
            "BillingCustomerId": ids.customer_id,
            "Name": "Errors",
            "OrderExpiryHours": 0,
        }
        reply = orders.create_order(body)
        if reply.status != 201:
            break
        made[case] = reply.json()
    else:
        return made
    if control is None:
        pytest.skip(f"not checked: the target refuses OrderExpiryHours 0 ({describe(reply)})")
    made = {case: new_order(orders, ids, OrderExpiryHours=1) for case in EXPIRED}
    moved = control.advance_clock(1.5)
    if moved.status != 200:
        pytest.skip(f"the sandbox clock did not move: {describe(moved)}")
    return made


@pytest.mark.requirements("ORD-ERR-006", "ORD-EXP-001", "ORD-EXP-002")
@pytest.mark.parametrize("case", sorted(EXPIRED))
def test_expired_order_refuses_changes(
    case: str,
    orders: OrdersClient,
    ids: Ids,
    expired_orders: dict[str, dict[str, Any]],
    expect: Expect,
) -> None:
    operation_id, extra, rule = EXPIRED[case]
    order_id = expired_orders[case]["Id"]
    tag = _tag()
    body = {**valid_body(operation_id, ids, order_id, tag), **extra}
    reply = call(orders, operation_id, order_id, body)
    # ORD-ERR-006's row is about updates; Items and Process answer it under ORD-EXP-002 alone.
    message_rule = "ORD-ERR-006" if rule == "ORD-EXP-001" else rule
    judge_error(expect, reply, operation_id, 409, rule, CONFLICT, message_rule)
    judge_no_effect(expect, rule, orders, operation_id, order_id, tag)
    judge_no_effect(expect, rule, orders, "processOrder", order_id, tag)


# ---------------------------------------------------------------- 401: the bearer token

TOKEN_VARIANTS = {
    "no-Authorization": {"token": None},
    "unknown-token": {"token": "dropship-conformance-not-a-token"},
    "Basic-scheme": {"token": None, "headers": {"Authorization": "Basic ZGM6bm90LWEtdG9rZW4="}},
}


@pytest.mark.requirements("AUTH-001", "AUTH-005")
@pytest.mark.parametrize("variant", sorted(TOKEN_VARIANTS))
@pytest.mark.parametrize("operation_id", ALL_OPERATIONS)
def test_operation_needs_a_valid_token(
    operation_id: str,
    variant: str,
    orders: OrdersClient,
    ids: Ids,
    order: dict[str, Any],
    expect: Expect,
) -> None:
    tag = _tag()
    body = valid_body(operation_id, ids, order["Id"], tag)
    reply = call(orders, operation_id, order["Id"], body, **TOKEN_VARIANTS[variant])
    # DEV-ORDERS-UNDOCUMENTED-ERRORS: 003/004 list no 401, so neither its body nor its media
    # type is held to the Error object; only the refusal and its lack of effect are, and the
    # 401 warns (DEV-AUTH-STATUS).
    expect.that(
        "AUTH-001",
        400 <= reply.status < 500,
        expected=f"{operation_id} refused with a 4xx",
        found=describe(reply),
    )
    expect.equal("AUTH-005", reply.status, 401, what="status of the refusal")
    judge_no_effect(expect, "AUTH-001", orders, operation_id, order["Id"], tag)


# ---------------------------------------------------------------- isolation between companies


@dataclass(frozen=True)
class Other:
    """The other company: its token and one of its orders (sandbox identities)."""

    options: dict[str, Any]
    order: dict[str, Any]


@pytest.fixture(scope="module")
def other(orders: OrdersClient, ids: Ids) -> Other:
    if ids.other_token is None:
        pytest.skip(
            f"no token of company {ids.other_company_id} is known: give --other-token "
            "(or DROPSHIP_CONFORMANCE_OTHER_TOKEN) to act as that company"
        )
    options = {"token": ids.other_token, "company_id": ids.other_company_id}
    body = {"EntityId": ids.other_location_id, "OrderTypeId": 3, "Name": "Other company"}
    reply = orders.create_order(body, **options)
    if reply.status != 201:
        pytest.skip(f"cannot create an order of company {ids.other_company_id}: {describe(reply)}")
    return Other(options, reply.json())


# Values of an order that only a server showing it would answer (its Id is in the URI).
SHOWN_FIELDS = ("Name", "PrintableId", "CreatedDateUtc", "OrderExpiryDate")


def shown(reply: Reply, order: dict[str, Any]) -> list[str]:
    """The fields of ``order`` whose values ``reply`` shows."""
    return [
        f"{name} {order[name]!r} of that order in the answer"
        for name in SHOWN_FIELDS
        if isinstance(order.get(name), str) and len(order[name]) > 3 and order[name] in reply.text
    ]


@pytest.mark.requirements("AUTH-004", "AUTH-006")
@pytest.mark.parametrize("operation_id", ORDER_OPERATIONS)
def test_order_of_another_company_is_not_found(
    operation_id: str, orders: OrdersClient, ids: Ids, other: Other, expect: Expect
) -> None:
    """DEV-AUTH-STATUS: a refusal that shows nothing of the order is the MUST; the 404 and its
    message of an unknown order (004 §ERRORS) warn."""
    order_id = other.order["Id"]
    tag = _tag()
    reply = call(orders, operation_id, order_id, valid_body(operation_id, ids, order_id, tag))
    refused = 400 <= reply.status < 500
    expect.none_of(
        "AUTH-004",
        ([] if refused else [describe(reply)]) + shown(reply, other.order),
        expected=f"{operation_id} of company {ids.other_company_id}'s order refused with a 4xx "
        "showing none of its data",
    )
    judge_error(expect, reply, operation_id, 404, "AUTH-006", NOT_FOUND.format(x=order_id))
    judge_no_effect(expect, "AUTH-004", orders, operation_id, order_id, tag, **other.options)


@pytest.mark.requirements("AUTH-004")
@pytest.mark.parametrize("operation_id", ALL_OPERATIONS)
def test_uri_of_another_company_is_refused(
    operation_id: str, orders: OrdersClient, ids: Ids, order: dict[str, Any], expect: Expect
) -> None:
    """Our token under Companies({other}) reaches nothing: no second token is needed, since our
    own order, named under the other company's URI, must come out unchanged."""
    order_id = order["Id"]
    tag = _tag()
    body = valid_body(operation_id, ids, order_id, tag)
    reply = call(orders, operation_id, order_id, body, company_id=ids.other_company_id)
    probe = PROBES.get(operation_id)
    problems = probe(orders, order_id, tag) if probe is not None else []
    control = call(orders, operation_id, order_id, valid_body(operation_id, ids, order_id, _tag()))
    require_control(control, f"{operation_id} under our own Companies({ids.company_id})")
    expect.that(
        "AUTH-004",
        400 <= reply.status < 500,
        expected=f"{operation_id} under Companies({ids.other_company_id}) refused with a 4xx",
        found=describe(reply),
    )
    expect.none_of("AUTH-004", problems, expected=f"the refused {operation_id} changed nothing")


@pytest.mark.requirements("AUTH-004")
def test_lists_hold_only_the_companys_orders(
    orders: OrdersClient, ids: Ids, order: dict[str, Any], other: Other, expect: Expect
) -> None:
    theirs, ours = other.order, order
    printable = "PrintableId eq '{}'".format(str(theirs["PrintableId"]).replace("'", "''"))
    views: list[tuple[str, str, Reply]] = [
        ("GET Orders", theirs["Id"], orders.list_orders()),
        ("GET OrderFull", theirs["Id"], orders.list_order_full()),
        (f"GET Orders $filter={printable}", theirs["Id"], orders.list_orders(printable)),
        ("GET Orders (as the other company)", ours["Id"], orders.list_orders(**other.options)),
    ]
    problems = []
    for what, stranger, reply in views:
        if reply.status != 200 or not isinstance(reply.json(), list):
            problems.append(f"{what}: {describe(reply)}")
        elif any(str(o.get("Id")).lower() == stranger.lower() for o in reply.json()):
            problems.append(f"{what} lists order {stranger} of the other company")
    expect.none_of("AUTH-004", problems, expected="each list holds only its company's orders")
