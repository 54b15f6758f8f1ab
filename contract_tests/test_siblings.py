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
from dropship_conformance.checks import siblings as judged
from dropship_conformance.checks.primitives import describe, same_guid, status_names
from dropship_conformance.checks.siblings import Verdicts
from dropship_conformance.client import DropshipClient, OrdersClient, Reply, SandboxControl
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.feed import atom
from dropship_conformance.harness import options, siblings
from dropship_conformance.harness.siblings import Cell
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import TestData
from dropship_conformance.harness.updates import eventually, recent_entries, wait_seconds
from dropship_conformance.verdicts import Expect

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
        pytest.param(cell, id=cell.id, marks=pytest.mark.requirements(*cell.decides))
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
            raise SetupImpossible(
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
        raise SetupImpossible(f"not checked: cannot create a {state} order: {describe(reply)}")
    order = reply.json()
    for step in siblings.STEPS[state]:
        if step == "Process":
            moved = orders.process_order(order["Id"], **company.options)
        elif step.startswith("force:"):
            if control is None:
                raise SetupImpossible(
                    f"not checked: no API reaches {state}; only the sandbox's control API"
                )
            moved = control.force_state(company.company_id, order["Id"], state)
        else:
            body = {"Id": order["Id"], **_order_body(company, order["Name"]), "State": step}
            moved = orders.update_order(order["Id"], body, **company.options)
        if not 200 <= moved.status < 300:
            raise SetupImpossible(
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
            raise SetupImpossible(
                f"not checked: the owner cannot read the order back: {describe(reply)}"
            )
    return read[0].json(), read[1].json()


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
        if before[0].get("State") == siblings.SHOWN_STATE[cell.state]:
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
        verdicts.on_each(cell.rules, judged.answers_the_order, cell.operation, reply, order["Id"])
    if cell.accepted and cell.operation in siblings.EFFECT_RULES:
        if 200 <= reply.status < 300:
            verdicts.effect(cell, judged.took_effect, cell.operation, tag, after)
    else:
        verdicts.on_each(cell.rules, judged.changed_nothing, cell, before, after)
    if cell.tenant == siblings.OTHER_ORDER:
        verdicts.judge(judged.shows_none_of_its_data, reply, order)
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
        verdicts.on_each(cell.rules, judged.still_unknown, cell.operation, order_id, again)
    elif cell.operation in ("createOrder", "createOrderFull"):
        listed = orders.list_orders()
        if listed.status != 200:
            raise SetupImpossible(
                f"not checked: cannot list the orders to read back: {describe(listed)}"
            )
        named = [o.get("Id") for o in listed.json() if o.get("Name") == tag]
        if not cell.accepted:
            verdicts.on_each(cell.rules, judged.created_nothing, cell.operation, named)
        elif 200 <= reply.status < 300:
            verdicts.effect(cell, judged.created_and_listed, tag, named, len(listed.json()))
    verdicts.done()


# ---------------------------------------------------------------- Supplier Orders API cells


@pytest.fixture(scope="module")
def ordered(testdata: TestData, dropship: DropshipClient) -> Callable[[str], Any]:
    """The status value this target takes, by name (000) or by id (001): DEV-STATUS-NAME-OR-ID."""
    order = testdata.new_order()
    by_id = {name: number for number, name in status_names().items()}
    for edition in (lambda name: name, lambda name: by_id[name]):
        body = {"Id": order.order_id, "Status": edition("Ordered")}
        if 200 <= dropship.order_status_update(order.order_id, body).status < 300:
            return edition
    raise SetupImpossible("not checked: OrderStatusUpdate Ordered is refused by name and by id")


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
            raise SetupImpossible(
                f"not checked: the current feed document is not readable Atom: {error}"
            ) from error
        match = re.search(r"/Pages\(([^)]*)\)", self_link)
    if match is None:
        raise SetupImpossible(
            f"not checked: the current feed document names no page: {describe(reply)}"
        )
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
    if not cell.accepted:
        new = _fed(dropship, order_id, **feed) - before
        verdicts.on_each(cell.rules, judged.recorded_nothing, cell.operation, order_id, new)
    elif 200 <= reply.status < 300:
        after = eventually(
            lambda: _fed(dropship, order_id, **feed),
            lambda fed: bool(fed - before),
            wait_seconds(target),
        )
        verdicts.effect(cell, judged.fed, cell.operation, after - before)
    verdicts.done()
