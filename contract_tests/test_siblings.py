"""Siblings suite: every cell of the sibling matrix (:mod:`dropship_conformance.harness.siblings`),
one operation by one tenant on an order in one state, built through the APIs and judged on the
status class the documents give and on what a read-back shows: an accepted write took effect,
a refusal (or a read) changed nothing.

A rule kept on one endpoint and forgotten on its sibling shows only here: the other suites use
one endpoint per rule. Orders in each state come from create, update, Process and (Completed,
which no API reaches) the sandbox's control API; an expired order from OrderExpiryHours 0.
Another company is reached by its id in our URI, which needs no second token; its own orders
need ``--other-token``. A cell that cannot be built is not checked, and says why.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from dropship_conformance import openapi
from dropship_conformance.client import DropshipClient, OrdersClient, Reply, SandboxControl
from dropship_conformance.feed import atom
from dropship_conformance.harness import options, siblings
from dropship_conformance.harness.siblings import Cell
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import TestData
from dropship_conformance.harness.updates import (
    STATUS_NAMES,
    describe,
    eventually,
    recent_entries,
    same_guid,
    wait_seconds,
)
from dropship_conformance.verdicts import Expect, RequirementFailed

pytestmark = pytest.mark.siblings

DROPSHIP_OPERATIONS = siblings.DROPSHIP_UPDATES + siblings.FEED_READS
# test function -> the cells it runs
SUBSETS: dict[str, Callable[[Cell], bool]] = {
    "test_order_cell": lambda c: (
        c.operation not in DROPSHIP_OPERATIONS and c.state != siblings.NONE
    ),
    "test_order_cell_without_state": lambda c: (
        c.operation not in DROPSHIP_OPERATIONS and c.state == siblings.NONE
    ),
    "test_dropship_cell": lambda c: c.operation in DROPSHIP_OPERATIONS,
}
# How a new order reaches each state: a State by update, Process, or the sandbox's force.
STEPS: dict[str, tuple[str, ...]] = {
    siblings.CREATED: (),
    siblings.PENDING: ("Pending",),
    siblings.PROCESSED: ("Process",),
    siblings.CANCELLED: ("Pending", "Cancelled"),
    siblings.COMPLETED: ("force:Completed",),
    siblings.EXPIRED: (),
}
# Values of an order that only a server showing it would answer (its Id is in the URI).
SHOWN_FIELDS = ("Name", "PrintableId", "CreatedDateUtc")


def _tag() -> str:
    return f"SIB-{uuid.uuid4().hex[:10]}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per cell of the run's depth, declaring the rules it decides: its rows', and the
    rule its effect is read back by. A quick run leaves the other states to ``--depth deep``."""
    config = metafunc.config
    try:
        settings = options.resolve({o.dest: config.getoption(o.dest) for o in options.OPTIONS})
    except options.OptionError:
        settings = None  # the plugin ends such a run with the reason (exit 2)
    depth = getattr(settings, "depth", "quick")
    wanted = SUBSETS[metafunc.function.__name__]
    cells = [c for c in siblings.cells() if wanted(c) and (depth == "deep" or siblings.quick(c))]
    metafunc.parametrize("cell", params(cells))


def params(cells: list[Cell]) -> list[Any]:
    return [
        pytest.param(
            cell,
            id=cell.id,
            marks=pytest.mark.requirements(
                *cell.rules,
                *(
                    [siblings.EFFECT_RULES[cell.operation]]
                    if cell.accepted and cell.operation in siblings.EFFECT_RULES
                    else []
                ),
            ),
        )
        for cell in cells
    ]


# ---------------------------------------------------------------- the two companies


@dataclass(frozen=True)
class Company:
    """A company's identities and the request options that act as it."""

    company_id: int
    location_id: int
    customer_id: str | None
    options: dict[str, Any]


@dataclass(frozen=True)
class Companies:
    own: Company
    other_id: int
    other: Company | None  # None: no token of the other company is known

    def owner(self, tenant: str) -> Company:
        if tenant != siblings.OTHER_ORDER:
            return self.own
        if self.other is None:
            pytest.skip(
                f"not checked: no token of company {self.other_id} is known to build its order "
                "(give --other-token or DROPSHIP_CONFORMANCE_OTHER_TOKEN)"
            )
        return self.other


@pytest.fixture(scope="module")
def companies(target: Target) -> Companies:
    settings = target.settings
    info = target.sandbox_info or {}
    listed = next(
        (c for c in info.get("companies", []) if c.get("id") == settings.other_company_id), {}
    )
    own = Company(settings.company_id, settings.location_id, settings.billing_customer_id, {})
    other = None
    if settings.other_token is not None:
        other = Company(
            settings.other_company_id,
            settings.other_location_id,
            next((c["id"] for c in listed.get("customers", [])), None),
            {"token": settings.other_token, "company_id": settings.other_company_id},
        )
    return Companies(own, settings.other_company_id, other)


# ---------------------------------------------------------------- building an order in a state


def _order_body(company: Company, tag: str, **fields: Any) -> dict[str, Any]:
    body = {
        "EntityId": company.location_id,
        "OrderTypeId": 3,
        "BillingCustomerId": company.customer_id,
        "Name": tag,
        **fields,
    }
    return {k: v for k, v in body.items() if v is not None}


def build(
    orders: OrdersClient, control: SandboxControl | None, company: Company, state: str
) -> dict[str, Any]:
    """A new order of ``company`` in ``state``, through the APIs (Completed: the sandbox)."""
    extra = {"OrderExpiryHours": 0} if state == siblings.EXPIRED else {}
    reply = orders.create_order(_order_body(company, _tag(), **extra), **company.options)
    if reply.status != 201:
        pytest.skip(f"not checked: cannot create a {state} order: {describe(reply)}")
    order = reply.json()
    for step in STEPS[state]:
        if step == "Process":
            moved = orders.process_order(order["Id"], **company.options)
        elif step.startswith("force:"):
            if control is None:
                pytest.skip(f"not checked: no API reaches {state}; only the sandbox's control API")
            moved = control.force_state(company.company_id, order["Id"], state)
        else:
            body = {"Id": order["Id"], **_order_body(company, order["Name"]), "State": step}
            moved = orders.update_order(order["Id"], body, **company.options)
        if not 200 <= moved.status < 300:
            pytest.skip(
                f"not checked: cannot bring an order to {state} ({step}): {describe(moved)}"
            )
    return order


def snapshot(orders: OrdersClient, order_id: str, company: Company) -> tuple[Any, Any]:
    """What the owner reads of the order: the order and its items."""
    read = (
        orders.get_order(order_id, **company.options),
        orders.list_items(order_id, **company.options),
    )
    for reply in read:
        if reply.status != 200:
            pytest.skip(f"not checked: the owner cannot read the order back: {describe(reply)}")
    return read[0].json(), read[1].json()


# The State a read-back shows for each state of the matrix.
SHOWN_STATE = {**{state: state for state in siblings.STATES}, siblings.EXPIRED: "Created"}


@pytest.fixture(scope="module")
def stock() -> dict[tuple[int, str], dict[str, Any]]:
    """Orders already built, by (company, state), for the cells that must not change them."""
    return {}


def order_for(
    cell: Cell,
    stock: dict[tuple[int, str], dict[str, Any]],
    orders: OrdersClient,
    control: SandboxControl | None,
    owner: Company,
) -> tuple[dict[str, Any], tuple[Any, Any]]:
    """An order of ``owner`` in the cell's state and its read-back. A cell whose request must
    change nothing reuses one while it still reads back in that state (a faulty earlier cell
    may have moved it on); an accepted write gets its own."""
    key = (owner.company_id, cell.state)
    shared = not (cell.accepted and cell.operation in siblings.EFFECT_RULES)
    order = stock.get(key) if shared else None
    if order is not None:
        before = snapshot(orders, order["Id"], owner)
        if before[0].get("State") == SHOWN_STATE[cell.state]:
            return order, before
    order = build(orders, control, owner, cell.state)
    if shared:
        stock[key] = order
    return order, snapshot(orders, order["Id"], owner)


# ---------------------------------------------------------------- requests and judgements


def send(
    orders: OrdersClient, operation_id: str, order_id: str, body: Any, company_id: int
) -> Reply:
    """``operation_id`` as the OpenAPI document defines it, under Companies(``company_id``)."""
    op = openapi.operation(operation_id)
    path = op.path.replace("{CompanyId}", str(company_id)).replace("{OrderId}", order_id)
    return orders.session.request(op.method, orders.base_url + path, json_body=body)


def valid_body(operation_id: str, company: Company, order_id: str, tag: str) -> Any:
    """A body the operation takes from ``company``; Name or SKU ``tag`` shows its effect."""
    order = _order_body(company, tag)
    item = {"ItemTypeId": 2, "ItemStatusId": 9, "SKU": tag}
    return {
        "createOrder": order,
        "createOrderFull": {**order, "Items": [item]},
        "updateOrder": {"Id": order_id, **order},
        "updateOrderFull": {"Id": order_id, **order, "Items": [item]},
        "addItem": item,
        "processOrder": {"OrderId": order_id},
    }.get(operation_id)


def _statuses(statuses: tuple[int, ...]) -> str:
    return {siblings.SUCCESS: "a 2xx", siblings.CLIENT_ERROR: "a 4xx"}.get(
        statuses, " or ".join(map(str, statuses))
    )


class Verdicts:
    """Every rule of a cell gets its verdict before a failed MUST ends the test."""

    def __init__(self, expect: Expect) -> None:
        self.expect = expect
        self.failures: list[RequirementFailed] = []

    def that(self, rule: str, holds: bool, *, expected: str, found: str) -> None:
        try:
            self.expect.that(rule, holds, expected=expected, found=found)
        except RequirementFailed as failure:
            self.failures.append(failure)

    def none_of(self, rule: str, problems: list[str], *, expected: str) -> None:
        self.that(rule, not problems, expected=expected, found="; ".join(problems) or "-")

    def status(self, cell: Cell, reply: Reply) -> None:
        for row in cell.rows:
            if cell.accepted and reply.status in row.statuses:
                # A 2xx alone is no evidence (a stateless mock answers one too): an accepted
                # cell passes on its read-back, not on its status.
                continue
            self.that(
                row.rule,
                reply.status in row.statuses,
                expected=f"{cell.operation} by {cell.tenant} on a {cell.state} order answers "
                f"{_statuses(row.statuses)}",
                found=describe(reply),
            )

    def done(self) -> None:
        if self.failures:
            ids = ", ".join(f.requirement_id for f in self.failures)
            raise RequirementFailed(self.failures[0].requirement_id, f"[{ids}] {self.failures[0]}")


def _took_effect(operation: str, tag: str, after: tuple[Any, Any]) -> list[str]:
    order, items = after
    found = {
        "updateOrder": order.get("Name") == tag,
        "updateOrderFull": order.get("Name") == tag,
        "addItem": any(isinstance(i, dict) and i.get("SKU") == tag for i in items),
        "processOrder": order.get("State") == "Processed",
    }[operation]
    return (
        []
        if found
        else [
            f"read back: Name {order.get('Name')!r}, State {order.get('State')!r}, "
            f"{len(items)} item(s)"
        ]
    )


def _not_the_order(operation: str, reply: Reply, order_id: str) -> list[str]:
    """What an accepted read shows that is not the order asked for (or its items)."""
    try:
        body = reply.json()
    except ValueError as error:
        return [f"not JSON: {error}"]
    if operation == "listItems":
        if not isinstance(body, list):
            return [f"not an array: {describe(reply)}"]
        return [
            f"item {i.get('Id')} of order {i.get('OrderId')}"
            for i in body
            if not isinstance(i, dict) or not same_guid(i.get("OrderId"), order_id)
        ]
    found = body.get("Id") if isinstance(body, dict) else None
    return [] if same_guid(found, order_id) else [f"the answer is order {found!r}"]


def _changes(before: tuple[Any, Any], after: tuple[Any, Any]) -> list[str]:
    order_before, items_before = before
    order_after, items_after = after
    changed = [
        f"{name} {order_before.get(name)!r} became {order_after.get(name)!r}"
        for name in sorted(set(order_before) | set(order_after))
        if order_before.get(name) != order_after.get(name)
    ]
    if items_before != items_after:
        changed.append(
            f"items {len(items_before)} became {len(items_after)}: {items_after!r}"[:300]
        )
    return changed


def _shown(reply: Reply, order: dict[str, Any]) -> list[str]:
    return [
        f"{name} {order[name]!r} of that order in the answer"
        for name in SHOWN_FIELDS
        if isinstance(order.get(name), str) and len(order[name]) > 3 and order[name] in reply.text
    ]


# ---------------------------------------------------------------- Orders API cells


def test_order_cell(
    cell: Cell,
    orders: OrdersClient,
    control: SandboxControl | None,
    companies: Companies,
    stock: dict[tuple[int, str], dict[str, Any]],
    expect: Expect,
) -> None:
    owner = companies.owner(cell.tenant)
    order, before = order_for(cell, stock, orders, control, owner)
    uri_company = (
        companies.other_id if cell.tenant == siblings.OTHER_URI else companies.own.company_id
    )
    tag = _tag()
    body = valid_body(cell.operation, companies.own, order["Id"], tag)
    reply = send(orders, cell.operation, order["Id"], body, uri_company)
    verdicts = Verdicts(expect)
    verdicts.status(cell, reply)
    after = snapshot(orders, order["Id"], owner)
    if cell.accepted and cell.operation in siblings.ORDER_READS and 200 <= reply.status < 300:
        for rule in cell.rules:
            verdicts.none_of(
                rule,
                _not_the_order(cell.operation, reply, order["Id"]),
                expected=f"{cell.operation} answers order {order['Id']}",
            )
    if cell.accepted and cell.operation in siblings.EFFECT_RULES:
        if 200 <= reply.status < 300:
            verdicts.none_of(
                siblings.EFFECT_RULES[cell.operation],
                _took_effect(cell.operation, tag, after),
                expected=f"the accepted {cell.operation} shows in a read-back",
            )
    else:
        for row in cell.rows:
            verdicts.none_of(
                row.rule,
                _changes(before, after),
                expected=f"{cell.operation} by {cell.tenant} changed nothing (read back)",
            )
    if cell.tenant == siblings.OTHER_ORDER:
        verdicts.none_of("AUTH-004", _shown(reply, order), expected="none of its data shown")
    verdicts.done()


def test_order_cell_without_state(
    cell: Cell, orders: OrdersClient, companies: Companies, expect: Expect
) -> None:
    """Unknown ids (nothing may come to exist under them) and the collections."""
    own = companies.own
    tag = _tag()
    order_id = str(uuid.uuid4()) if cell.tenant == siblings.UNKNOWN else ""
    uri_company = companies.other_id if cell.tenant == siblings.OTHER_URI else own.company_id
    body = valid_body(cell.operation, own, order_id, tag)
    reply = send(orders, cell.operation, order_id, body, uri_company)
    verdicts = Verdicts(expect)
    verdicts.status(cell, reply)
    if cell.tenant == siblings.UNKNOWN:
        again = orders.get_order(order_id)
        for rule in cell.rules:
            verdicts.that(
                rule,
                again.status == 404,
                expected=f"order {order_id} still unknown after {cell.operation}",
                found=f"GET Order: {describe(again)}",
            )
    elif cell.operation in ("createOrder", "createOrderFull"):
        listed = orders.list_orders()
        if listed.status != 200:
            pytest.skip(f"not checked: cannot list the orders to read back: {describe(listed)}")
        named = [o.get("Id") for o in listed.json() if o.get("Name") == tag]
        if cell.accepted:
            if 200 <= reply.status < 300:
                verdicts.that(
                    siblings.EFFECT_RULES[cell.operation],
                    bool(named),
                    expected=f"the created order (Name {tag}) listed",
                    found=f"{len(listed.json())} orders, none named {tag}",
                )
        else:
            for rule in cell.rules:
                verdicts.none_of(
                    rule,
                    [f"order {i} was created" for i in named],
                    expected=f"the refused {cell.operation} created nothing",
                )
    verdicts.done()


# ---------------------------------------------------------------- Supplier Orders API cells


@pytest.fixture(scope="module")
def ordered(testdata: TestData, dropship: DropshipClient) -> Callable[[str], Any]:
    """The status value this target takes, by name (000) or by id (001): DEV-STATUS-NAME-OR-ID."""
    order = testdata.new_order()
    by_id = {name: number for number, name in STATUS_NAMES.items()}
    for edition in (lambda name: name, lambda name: by_id[name]):
        body = {"Id": order.order_id, "Status": edition("Ordered")}
        if 200 <= dropship.order_status_update(order.order_id, body).status < 300:
            return edition
    pytest.skip("not checked: OrderStatusUpdate Ordered is refused by name and by id")


def _update_body(operation: str, order_id: str, sku: str, status: Callable[[str], Any]) -> Any:
    if operation == "putOrderStatusUpdate":
        return {"Id": order_id, "Status": status("Ordered")}
    item = {
        "Sku": sku,
        "Status": status("Shipped"),
        "TrackingInfo": "1Z863YY60392796356",
        "ShippingProvider": "UPS",
    }
    return {"Id": order_id, "ItemInformation": [item]}


def _fed(dropship: DropshipClient, order_id: str, **options: Any) -> set[str]:
    """Entry ids of the order's order-status-updated in the newest pages of a feed."""
    return {
        entry.id or ""
        for entry in recent_entries(dropship, **options)
        if entry.payload_kind == "order-status-updated" and same_guid(entry.order_id, order_id)
    }


def _page_id(dropship: DropshipClient) -> str:
    reply = dropship.notifications()
    match = None
    if reply.status == 200:
        try:
            self_link = atom.read_feed(reply.content).link("self") or ""
        except ValueError as error:
            pytest.skip(f"not checked: the current feed document is not readable Atom: {error}")
        match = re.search(r"/Pages\(([^)]*)\)", self_link)
    if match is None:
        pytest.skip(f"not checked: the current feed document names no page: {describe(reply)}")
    return match.group(1)


def test_dropship_cell(
    cell: Cell,
    dropship: DropshipClient,
    target: Target,
    testdata: TestData,
    expect: Expect,
    request: pytest.FixtureRequest,
) -> None:
    other = target.settings.other_supplier_id
    uri = {"supplier_id": other} if cell.tenant == siblings.OTHER_URI else {}
    verdicts = Verdicts(expect)
    if cell.operation in siblings.FEED_READS:
        page = _page_id(dropship) if cell.operation == "getNotificationsPage" else None
        reply = dropship.page(page, **uri) if page else dropship.notifications(**uri)
        verdicts.status(cell, reply)
        verdicts.done()
        return
    status = request.getfixturevalue("ordered")
    if cell.tenant == siblings.UNKNOWN:
        order_id, sku, feed = str(uuid.uuid4()), "SIB-SKU", {}
    else:
        made = testdata.new_order(other_supplier=cell.tenant == siblings.OTHER_ORDER)
        order_id, sku = made.order_id, made.skus[0]
        feed = testdata.feed_options(cell.tenant == siblings.OTHER_ORDER)
    before = _fed(dropship, order_id, **feed)
    body = _update_body(cell.operation, order_id, sku, status)
    put = {"putOrderStatusUpdate": dropship.order_status_update}.get(
        cell.operation, dropship.item_status_update
    )
    reply = put(order_id, body, **uri)
    verdicts.status(cell, reply)
    if cell.accepted:
        if 200 <= reply.status < 300:
            after = eventually(
                lambda: _fed(dropship, order_id, **feed),
                lambda fed: bool(fed - before),
                wait_seconds(target),
            )
            verdicts.that(
                siblings.EFFECT_RULES[cell.operation],
                bool(after - before),
                expected=f"the accepted {cell.operation} fed as an order-status-updated",
                found="no new order-status-updated for the order",
            )
    else:
        after = _fed(dropship, order_id, **feed)
        for rule in cell.rules:
            verdicts.none_of(
                rule,
                [f"entry {e} fed for order {order_id}" for e in sorted(after - before)],
                expected=f"the refused {cell.operation} recorded nothing",
            )
    verdicts.done()
