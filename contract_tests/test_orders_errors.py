"""Errors suite, Orders API: every error row of 003/004 §Errors with its status and message, the
400s the request tables imply (required fields, exclusive fields, item rules, $filter), the
bearer token on every operation, and company isolation. Each case is a row of a table of
harness/orders_error_cases.py; every documented error answer must be application/json holding
the Error object with its Message (an error no document lists, such as the Orders API's 401, is
judged on its status only).

A refusal is evidence only when nothing but the fault under test explains it: each negative
case also sends the same request without the fault, and when that is refused too the case is
not checked (a server refusing everything proves no rule).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import pytest

from dropship_conformance.checks import auth, errors, ids
from dropship_conformance.checks.primitives import describe
from dropship_conformance.client import OrdersClient, SandboxControl
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.harness import orders_error_cases as cases
from dropship_conformance.harness.error_cases import (
    PROBES,
    Company,
    Other,
    error_answer,
    fill,
    judge_error,
    new_order,
    require_accepted,
)
from dropship_conformance.harness.orders_error_cases import Identities, new_tag, valid_body
from dropship_conformance.harness.target import Target
from dropship_conformance.verdicts import Expect

pytestmark = [pytest.mark.errors, pytest.mark.orders]
Order = dict[str, Any]
requirements = pytest.mark.requirements


@pytest.fixture(scope="module")
def who(target: Target) -> Identities:
    return Identities.of(target)


@pytest.fixture
def company(orders: OrdersClient, who: Identities, expect: Expect) -> Company:
    return Company(orders, who, expect)


@pytest.fixture
def order(company: Company) -> Order:
    """A fresh Created order with a billing customer."""
    return company.new_order()


# ---------------------------------------------------------------- 404: unknown order


@requirements(ids.ORD_ERR_005, ids.HTTP_001, ids.HTTP_003)
@pytest.mark.parametrize("operation_id", cases.ORDER_OPERATIONS)
def test_unknown_order_is_not_found(operation_id: str, company: Company) -> None:
    unknown = str(uuid.uuid4())
    reply = company.call_valid(operation_id, unknown)
    message = cases.NOT_FOUND.format(x=unknown)
    judge_error(company.expect, reply, operation_id, 404, (ids.ORD_ERR_005,), message)


# ---------------------------------------------------------------- 400: body id and URI id

Fault = Callable[[dict[str, Any], str], dict[str, Any]]


def _body_id_case(
    company: Company, operation_id: str, order: Order, rules: tuple[str, ...], faulty: Fault
) -> Any:
    """Send the body ``faulty`` makes of a valid one (tagged) and probe that it changed nothing;
    the valid body goes to a twin of ``order`` made the same way: only when that is accepted
    does the refusal show the body-id rule. The control needs its own order because a server
    that wrongly accepted the faulty request has moved ``order`` on (Process leaves it
    Processed, and a second Process is a 409), which must not hide the acceptance.
    The status decides ``rules`` together, the effect the operation's rule (the last), so each
    is judged before a failure of another ends the test. Returns the error answer's body."""
    field, expect, tag = cases.BODY_ID[operation_id][0], company.expect, new_tag()
    body = faulty(valid_body(operation_id, company.who, order["Id"], tag), field)
    reply = company.call(operation_id, order["Id"], body)
    problems = PROBES[operation_id](company.orders, order["Id"], tag)
    twin = company.new_order()["Id"]
    company.control(operation_id, twin, f"{operation_id} of order {twin}, made as {order['Id']}")
    errors.status_is.under(*rules)(expect, reply, 400, operation_id)
    unchanged = f"the refused {operation_id} changed nothing"
    errors.changed_nothing.under(rules[-1])(expect, problems, unchanged)
    return error_answer(expect, reply, operation_id)


@requirements(ids.ORD_ERR_004, ids.ORD_UPD_002, ids.ORD_FULL_004, ids.ORD_PROC_003)
@pytest.mark.parametrize("operation_id", sorted(cases.BODY_ID))
def test_body_id_must_match_the_uri(operation_id: str, company: Company, order: Order) -> None:
    rules = (ids.ORD_ERR_004, cases.BODY_ID[operation_id][1])
    body = _body_id_case(
        company, operation_id, order, rules, lambda body, field: {**body, field: str(uuid.uuid4())}
    )
    errors.message_is.under(ids.ORD_ERR_004)(company.expect, body, cases.ID_MISMATCH)


@requirements(ids.ORD_UPD_002, ids.ORD_FULL_004, ids.ORD_PROC_003)
@pytest.mark.parametrize("operation_id", sorted(cases.BODY_ID))
def test_body_id_is_required(operation_id: str, company: Company, order: Order) -> None:
    rules = (cases.BODY_ID[operation_id][1],)
    body = _body_id_case(
        company,
        operation_id,
        order,
        rules,
        lambda body, field: {k: v for k, v in body.items() if k != field},
    )
    errors.message_named(company.expect, body)


# ---------------------------------------------------------------- 400: Process without billing


@requirements(ids.ORD_ERR_001)
def test_process_needs_a_billing_customer(company: Company) -> None:
    created = company.new_order(BillingCustomerId=None)
    reply = company.orders.process_order(created["Id"])
    message = cases.billing_message(company.who.company_id)
    judge_error(company.expect, reply, "processOrder", 400, (ids.ORD_ERR_001,), message)
    company.changed_nothing(ids.ORD_ERR_001, "processOrder", created["Id"], "")


# ---------------------------------------------------------------- 400: bodies the rules refuse


@requirements(
    ids.ORD_ERR_003,
    ids.ORD_CRT_006,
    ids.ORD_CRT_013,
    ids.ORD_CRT_008,
    ids.ORD_ENUM_002,
    ids.ORD_CRT_007,
    ids.ORD_CRT_009,
)
@pytest.mark.parametrize("case", cases.BAD_BODIES, ids=attrgetter("name"))
def test_order_body_is_refused(case: cases.BadBody, company: Company, order: Order) -> None:
    body = valid_body(case.operation_id, company.who, order["Id"], new_tag())
    body.update(fill(case.set, company.who.values(order["Id"])))
    for name in case.drop:
        body.pop(name, None)
    reply = company.call(case.operation_id, order["Id"], body)
    company.control(case.operation_id, order["Id"])
    rules = (case.rule,)
    judge_error(company.expect, reply, case.operation_id, 400, rules, case.message)


@requirements(ids.ORD_CRT_008)
@pytest.mark.parametrize("operation_id", cases.WRITES)
def test_shipping_entity_zero_means_none(operation_id: str, company: Company, order: Order) -> None:
    """DEV-SHIPPING-EXCLUSIVE-EXAMPLE: ShippingEntityId 0 with a ShippingCustomerId is valid."""
    body = valid_body(operation_id, company.who, order["Id"], new_tag())
    body.update({"ShippingEntityId": 0, "ShippingCustomerId": company.who.customer_id})
    reply = company.call(operation_id, order["Id"], body)
    what = f"{operation_id} with ShippingEntityId 0 and a ShippingCustomerId"
    errors.accepted(company.expect, reply, what)


# ---------------------------------------------------------------- 400: not understood


@requirements(ids.ORD_ERR_002, ids.HTTP_005)
@pytest.mark.parametrize(
    ("operation_id", "body"),
    [pytest.param(op, body, id=f"{op}-{i}") for i, (op, body) in enumerate(cases.NOT_UNDERSTOOD)],
)
def test_request_not_understood(
    operation_id: str, body: bytes | dict[str, Any], company: Company, order: Order
) -> None:
    if isinstance(body, bytes):
        reply = company.call(operation_id, order["Id"], raw=body)
    else:
        reply = company.call(operation_id, order["Id"], fill(body, company.who.values(order["Id"])))
    company.control(operation_id, order["Id"])
    errors.no_server_error(company.expect, reply)
    judge_error(company.expect, reply, operation_id, 400, (ids.ORD_ERR_002,))


# ---------------------------------------------------------------- 400: items


@requirements(
    ids.ORD_ITEM_002, ids.ORD_ITEM_008, ids.ORD_ENUM_003, ids.ORD_ENUM_005, ids.ORD_ITEM_006
)
@pytest.mark.parametrize("operation_id", cases.ITEM_ROUTES)
@pytest.mark.parametrize("case", cases.BAD_ITEMS, ids=attrgetter("name"))
def test_item_is_refused(
    case: cases.BadItem, operation_id: str, company: Company, order: Order
) -> None:
    reply = company.send_items(operation_id, order["Id"], [{**case.item, "SKU": new_tag()}])
    valid = company.send_items(operation_id, order["Id"], [cases.item_body(new_tag())])
    require_accepted(valid, f"{operation_id} with an item")
    rule = cases.ITEM_RULE_ON_ROUTE.get((case.rule, operation_id), case.rule)
    judge_error(company.expect, reply, operation_id, 400, (rule,))


@requirements(ids.ORD_ITEM_005)
@pytest.mark.parametrize("operation_id", cases.ITEM_ROUTES)
def test_duplicate_product_id_is_refused(operation_id: str, company: Company, order: Order) -> None:
    product = str(uuid.uuid4())
    items = [{**cases.item_body(new_tag()), "ProductId": product} for _ in range(2)]
    reply = company.send_items(operation_id, order["Id"], items)
    judge_error(company.expect, reply, operation_id, 400, (ids.ORD_ITEM_005,))


@requirements(ids.ORD_ERR_008)
@pytest.mark.parametrize("number", ["", "   "], ids=["empty", "blank"])
def test_invalid_tracking_number_is_a_client_error(
    number: str, company: Company, order: Order
) -> None:
    """DEV-TRACKING-500: 003/004 document a 500 here; a 4xx is what a client mistake gets."""
    tracking = [{"Quantity": 1, "TrackingNumber": number}]
    body = {**cases.item_body(new_tag()), "TrackingInformation": tracking}
    reply = company.orders.add_item(order["Id"], body)
    errors.status_is.under(ids.ORD_ERR_008)(company.expect, reply, None, "addItem")


# ---------------------------------------------------------------- 400: $filter


@requirements(ids.ORD_FLT_004)
@pytest.mark.parametrize("text", cases.UNSUPPORTED_FILTERS)
def test_unsupported_filter_is_refused(text: str, company: Company) -> None:
    """DEV-FILTER-SHAPES: a 200 is the other reading, warned."""
    reply = company.orders.list_orders(text)
    valid = company.orders.list_orders("PrintableId eq 'none'")
    require_accepted(valid, "GET Orders with a $filter")
    judge_error(company.expect, reply, "listOrders", 400, (ids.ORD_FLT_004,))


# ---------------------------------------------------------------- 409: state transitions


@requirements(
    ids.ORD_ERR_007, ids.ORD_STATE_003, ids.ORD_PROC_004, ids.ORD_FULL_005, ids.ORD_FULL_006
)
@pytest.mark.parametrize("case", cases.TRANSITIONS, ids=attrgetter("name"))
def test_invalid_transition_is_a_conflict(
    case: cases.Transition, company: Company, control: SandboxControl | None, order: Order
) -> None:
    for step in case.steps:
        reply = company.step(control, order["Id"], step)
        if not 200 <= reply.status < 300:
            raise SetupImpossible(
                f"cannot bring the order to {case.state} ({step}): {describe(reply)}"
            )
    tag, op, expect = new_tag(), case.operation_id, company.expect
    body = valid_body(op, company.who, order["Id"], tag)
    if case.requested is not None and op != "processOrder":
        body["State"] = case.requested
    reply = company.call(op, order["Id"], body)
    # A State change gets the documented message; an OrderFull update without one only a 409.
    message = cases.TRANSITION.format(x=case.state, y=case.requested) if case.requested else None
    status_rule = cases.REFUSAL_STATUS_RULE.get(case.rule)
    if status_rule is None:
        judge_error(expect, reply, op, 409, (case.rule,), message, ids.ORD_ERR_007)
    elif errors.status_is.under(case.rule)(expect, reply, None, op):
        judge_error(expect, reply, op, 409, (status_rule,), message, ids.ORD_ERR_007)
    after = company.orders.get_order(order["Id"])
    errors.still_in_state.under(case.rule)(expect, after, case.state, tag)


# ---------------------------------------------------------------- 409: expired


@pytest.fixture(scope="module")
def expired_orders(
    orders: OrdersClient, control: SandboxControl | None, who: Identities
) -> dict[str, Order]:
    """One order per case, created with OrderExpiryHours 0: expired from the start, on any
    target. A target refusing 0 hours gets orders of 1 hour and, on the sandbox, its clock."""
    made = {}
    for case in cases.EXPIRED:
        reply = orders.create_order(cases.order_body(who, OrderExpiryHours=0))
        if reply.status != 201:
            break
        made[case] = reply.json()
    else:
        return made
    if control is None:
        raise SetupImpossible(
            f"not checked: the target refuses OrderExpiryHours 0 ({describe(reply)})"
        )
    made = {case: new_order(orders, who, OrderExpiryHours=1) for case in cases.EXPIRED}
    moved = control.advance_clock(1.5)
    if moved.status != 200:
        raise SetupImpossible(f"the sandbox clock did not move: {describe(moved)}")
    return made


@requirements(ids.ORD_ERR_006, ids.ORD_EXP_001, ids.ORD_EXP_002)
@pytest.mark.parametrize("case", sorted(cases.EXPIRED))
def test_expired_order_refuses_changes(
    case: str, company: Company, expired_orders: dict[str, Order]
) -> None:
    operation_id, extra, rule = cases.EXPIRED[case]
    order_id, tag = expired_orders[case]["Id"], new_tag()
    body = {**valid_body(operation_id, company.who, order_id, tag), **extra}
    reply = company.call(operation_id, order_id, body)
    message_rule = cases.EXPIRED_MESSAGE_RULE[rule]
    judge_error(company.expect, reply, operation_id, 409, (rule,), cases.CONFLICT, message_rule)
    company.changed_nothing(rule, operation_id, order_id, tag)
    company.changed_nothing(rule, "processOrder", order_id, tag)


# ---------------------------------------------------------------- 401: the bearer token


@requirements(ids.AUTH_001, ids.AUTH_005)
@pytest.mark.parametrize("variant", sorted(cases.TOKEN_VARIANTS))
@pytest.mark.parametrize("operation_id", cases.ALL_OPERATIONS)
def test_operation_needs_a_valid_token(
    operation_id: str, variant: str, company: Company, order: Order
) -> None:
    tag = new_tag()
    reply = company.call_valid(operation_id, order["Id"], tag, **cases.TOKEN_VARIANTS[variant])
    # DEV-ORDERS-UNDOCUMENTED-ERRORS: 003/004 list no 401, so neither its body nor its media
    # type is held to the Error object; only the refusal and its lack of effect are, and the
    # 401 warns (DEV-AUTH-STATUS).
    auth.refused.under(ids.AUTH_001)(company.expect, reply, operation_id)
    auth.answered_401(company.expect, reply)
    company.changed_nothing(ids.AUTH_001, operation_id, order["Id"], tag)


# ---------------------------------------------------------------- isolation between companies


@pytest.fixture(scope="module")
def other(orders: OrdersClient, who: Identities) -> Other:
    return Other.of(orders, who)


@requirements(ids.AUTH_004, ids.AUTH_006)
@pytest.mark.parametrize("operation_id", cases.ORDER_OPERATIONS)
def test_order_of_another_company_is_not_found(
    operation_id: str, company: Company, other: Other
) -> None:
    """DEV-AUTH-STATUS: a refusal that shows nothing of the order is the MUST; the 404 and its
    message of an unknown order (004 §ERRORS) warn."""
    order_id, tag, expect = other.order["Id"], new_tag(), company.expect
    reply = company.call_valid(operation_id, order_id, tag)
    what = f"{operation_id} of company {company.who.other_company_id}'s order"
    auth.shows_nothing_of(expect, reply, other.order, what)
    message = cases.NOT_FOUND.format(x=order_id)
    judge_error(expect, reply, operation_id, 404, (ids.AUTH_006,), message)
    company.changed_nothing(ids.AUTH_004, operation_id, order_id, tag, **other.options)


@requirements(ids.AUTH_004)
@pytest.mark.parametrize("operation_id", cases.ALL_OPERATIONS)
def test_uri_of_another_company_is_refused(
    operation_id: str, company: Company, order: Order
) -> None:
    """Our token under Companies({other}) reaches nothing: no second token is needed, since our
    own order, named under the other company's URI, must come out unchanged."""
    order_id, tag, who = order["Id"], new_tag(), company.who
    reply = company.call_valid(operation_id, order_id, tag, company_id=who.other_company_id)
    probe = PROBES.get(operation_id)
    problems = probe(company.orders, order_id, tag) if probe is not None else []
    company.control(
        operation_id, order_id, f"{operation_id} under our own Companies({who.company_id})"
    )
    what = f"{operation_id} under Companies({who.other_company_id})"
    auth.refused.under(ids.AUTH_004)(company.expect, reply, what)
    unchanged = f"the refused {operation_id} changed nothing"
    errors.changed_nothing.under(ids.AUTH_004)(company.expect, problems, unchanged)


@requirements(ids.AUTH_004)
def test_lists_hold_only_the_companys_orders(company: Company, order: Order, other: Other) -> None:
    orders, theirs, ours = company.orders, other.order, order
    printable = "PrintableId eq '{}'".format(str(theirs["PrintableId"]).replace("'", "''"))
    views = [
        ("GET Orders", theirs["Id"], orders.list_orders()),
        ("GET OrderFull", theirs["Id"], orders.list_order_full()),
        (f"GET Orders $filter={printable}", theirs["Id"], orders.list_orders(printable)),
        ("GET Orders (as the other company)", ours["Id"], orders.list_orders(**other.options)),
    ]
    auth.lists_only_own(company.expect, views)
