"""The lifecycle state machine: random sequences of Orders API calls judged against the tables
of :mod:`dropship_conformance.model.lifecycle`.

Each rule sends one request and judges its answer by the row the model's tables give for the
order's state; the order it touched is then read back by the ``@invariant``s. A failed MUST
ends the sequence at the step or invariant where it failed (the registered check raises), so
hypothesis reports the steps that led to that one requirement; a failed SHOULD warns and the
sequence goes on.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar, ParamSpec

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    multiple,
)

from dropship_conformance import openapi
from dropship_conformance.checks import ids, orders_state
from dropship_conformance.checks import orders as checks
from dropship_conformance.checks.registry import Check as RegisteredCheck
from dropship_conformance.client import OrdersClient, Reply, SandboxControl
from dropship_conformance.harness.target import Target
from dropship_conformance.model.lifecycle import (
    CLIENT_CREATED,
    CLIENT_PRINTABLE_ID,
    CREATE,
    CREATED_BY,
    DEFAULT_EXPIRY_HOURS,
    FOREIGN_ORDER_ID,
    FRESH_ORDER_ID,
    ITEM_STATUSES,
    READS,
    SCHEMA_REQUIREMENT,
    ItemModel,
    OrderModel,
    Row,
    accepted,
    create_row,
    duplicate_products,
    foreign_order_id,
    sent_item,
    writable,
)
from dropship_conformance.verdicts import Check, Expect, Verdict

P = ParamSpec("P")


@dataclass(frozen=True)
class World:
    """The identities the machine may use on the target."""

    orders: OrdersClient
    control: SandboxControl | None
    company_id: int
    entities: tuple[int, ...]
    customer_id: str

    @classmethod
    def of(cls, target: Target) -> World:
        settings_ = target.settings
        entities = [settings_.location_id]
        for company in (target.sandbox_info or {}).get("companies", []):
            if company.get("id") == settings_.company_id:
                entities += [e for e in company.get("locations", []) if e not in entities]
        return cls(
            target.orders,
            target.control,
            settings_.company_id,
            tuple(entities[:2]),
            settings_.billing_customer_id,
        )


def item_bodies() -> st.SearchStrategy[dict[str, Any]]:
    def of_type(type_id: int) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries(
            {
                "ItemTypeId": st.sampled_from([type_id, str(type_id)]),
                "ItemStatusId": st.sampled_from(ITEM_STATUSES[type_id]),
            },
            optional={
                "Quantity": st.integers(0, 3),
                "ListPrice": st.sampled_from([12.99, 50]),
                "SellingPrice": st.sampled_from([9.99, 45]),
                "Cost": st.just(5.99),
                "Description": st.just("Lifecycle item"),
                "ProductId": st.sampled_from(["P-1", "P-2"]),
                "SerialNumbers": st.just(["SN-1"]),
                "TrackingInformation": st.just([{"Quantity": 1, "TrackingNumber": "1TTTTN4421"}]),
                "OrderId": st.just(FOREIGN_ORDER_ID),  # ORD-ITEM-004: not taken
            },
        )

    return st.sampled_from(sorted(ITEM_STATUSES)).flatmap(of_type)


def shipping_choices(world: World, *, with_invalid: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Where the order ships: nowhere, a location, or a customer (ORD-CRT-008 when both)."""
    choices: list[dict[str, Any]] = [
        {"ShippingEntityId": 0, "ShippingCustomerId": None},
        {"ShippingEntityId": world.entities[-1], "ShippingCustomerId": None},
        {"ShippingEntityId": 0, "ShippingCustomerId": world.customer_id},
    ]
    if with_invalid:
        choices.append(
            {"ShippingEntityId": world.entities[0], "ShippingCustomerId": world.customer_id}
        )
    return st.sampled_from(choices)


def order_bodies(world: World, *, full: bool) -> st.SearchStrategy[dict[str, Any]]:
    base = st.fixed_dictionaries(
        {"EntityId": st.sampled_from(world.entities), "OrderTypeId": st.sampled_from((1, 2, 3, 4))},
        optional={
            "Name": st.sampled_from(["Lifecycle A", "Lifecycle B"]),
            "BillingCustomerId": st.just(world.customer_id),
            "OrderExpiryHours": st.sampled_from([1, 24, 100]),
            "TenderId": st.just("TT101IN18"),
            "DiscountAmount": st.sampled_from([0, 12.5]),
            "State": st.sampled_from(["Created", "Processed"]),
            "PrintableId": st.just(CLIENT_PRINTABLE_ID),
            "CreatedDateUtc": st.just(CLIENT_CREATED),
        },
    )
    parts = [base, st.one_of(st.just({}), shipping_choices(world, with_invalid=True))]
    if full:
        parts.append(st.lists(item_bodies(), max_size=2).map(lambda items: {"Items": items}))
    return st.tuples(*parts).map(lambda ps: {k: v for p in ps for k, v in p.items()})


def order_changes(world: World) -> st.SearchStrategy[dict[str, Any]]:
    fields = st.fixed_dictionaries(
        {},
        optional={
            "Name": st.sampled_from(["Renamed", None]),
            "BillingCustomerId": st.sampled_from([world.customer_id, None]),
            "OrderExpiryHours": st.sampled_from([1, 100]),
            "EntityId": st.sampled_from(world.entities),
            "OrderTypeId": st.sampled_from((1, 4)),
        },
    )
    shipping = st.one_of(st.just({}), shipping_choices(world, with_invalid=False))
    return st.tuples(fields, shipping).map(lambda ps: {**ps[0], **ps[1]})


class LifecycleBase(RuleBasedStateMachine):
    """Shared bookkeeping: one Expect per generated sequence, a trace of its exchanges, and
    the passes and warnings of every sequence for the test."""

    world: ClassVar[World]
    passed: ClassVar[Counter[str]]
    warned: ClassVar[dict[str, Check]]
    last: ClassVar[LifecycleBase | None]

    def __init__(self) -> None:
        super().__init__()
        self.expect = Expect()
        self.model: dict[str, OrderModel] = {}
        self.trace: list[str] = []
        self.serial = 0
        # What the last step changed, for the invariants to read back: (order, its rule).
        self.touched: list[tuple[str, str]] = []
        self.items_touched: list[str] = []
        type(self).last = self

    def judge(self, registered: RegisteredCheck[P], *args: P.args, **kwargs: P.kwargs) -> bool:
        """A failed MUST raises: later steps would only repeat its consequences."""
        return registered(self.expect, *args, **kwargs)

    def teardown(self) -> None:
        """Hypothesis calls it after every sequence, failed or not; the failure itself
        reaches the test as the exception that ended the sequence."""
        for verdict in self.expect.checks:
            if verdict.verdict is Verdict.PASSED:
                type(self).passed[verdict.requirement_id] += 1
            elif verdict.verdict is Verdict.WARNED:
                type(self).warned.setdefault(verdict.message, verdict)

    # -- talking to the target

    def send(
        self,
        operation_id: str,
        row: Row,
        call: Callable[[], Reply],
        *,
        body: Any = None,
        x: str = "",
        y: str = "",
    ) -> tuple[Reply, Any]:
        """Call, then judge status, media type, body schema and documented message."""
        reply = call()
        base = self.world.orders.base_url
        shown = json.dumps(body, separators=(",", ":"))[:400] if body is not None else ""
        method = openapi.operation(operation_id).method
        self.trace.append(
            f"{method} {reply.url.removeprefix(base)} {shown} -> {reply.status} {reply.text[:300]}"
        )
        self.judge(
            orders_state.answered_as_row.under(row.requirement), operation_id, row, reply, x, y
        )
        self.judge(checks.json_answer, operation_id, reply)
        try:
            found = reply.json()
        except ValueError as error:
            # Nothing to go on with: the sequence ends here, judged.
            self.judge(checks.json_body.under(row.requirement), error)
            raise
        rule_ = SCHEMA_REQUIREMENT[operation_id] if reply.status < 400 else ids.HTTP_003
        self.judge(checks.valid_against_openapi.under(rule_), operation_id, reply.status, found)
        kind = row.messages.get(reply.status)
        if kind is not None:
            requirement = orders_state.MESSAGE_REQUIREMENT[kind]
            message = orders_state.documented_message.under(requirement)
            self.judge(message, kind, found, self.world.company_id, x, y)
        return reply, found

    def read(self, operation_id: str, call: Callable[[], Reply], **options: Any) -> Any:
        """A read answering 200 under its own requirement; its body, or None."""
        return self.send(operation_id, READS[operation_id], call, **options)[1]

    def judge_order(self, requirement: str, found: Any, model: OrderModel) -> None:
        self.judge(orders_state.identity_kept, found, model)
        self.judge(orders_state.printable_id_kept, found, model)
        self.judge(orders_state.order_as_modelled.under(requirement), found, model)
        expiry = ids.ORD_CRT_012 if model.hours_resent else ids.ORD_CRT_003
        self.judge(orders_state.expiry_from_hours.under(expiry), found, model)

    def judge_item(self, requirement: str, found: Any, model: ItemModel, order_id: str) -> None:
        self.judge(checks.item_as_sent.under(requirement), found, model, order_id)
        self.judge(checks.item_defaults, found, model, order_id)
        self.judge(checks.item_on_the_uri_order, found, model, order_id)

    # -- after every step: the orders the step touched, as the model says they are

    @invariant()
    def read_back_order(self) -> None:
        """GET each order the step changed: it must be as the model says after the answer."""
        touched, self.touched = self.touched, []
        for order_id, requirement in touched:
            self.read_back(order_id, requirement)

    def read_back(self, order_id: str, requirement: str) -> None:
        orders = self.world.orders
        found = self.read("getOrder", lambda: orders.get_order(order_id))
        self.judge_order(requirement, found, self.model[order_id])

    @invariant()
    def read_back_order_items(self) -> None:
        touched, self.items_touched = self.items_touched, []
        for order_id in touched:
            self.read_items(order_id)

    def read_items(self, order_id: str) -> None:
        orders = self.world.orders
        found = self.read("listItems", lambda: orders.list_items(order_id))
        self.judge(checks.items_listed, found, self.model[order_id])

    def list_all(self) -> list[dict[str, Any]]:
        """GET Orders without $filter: every model order, as modelled, no Items."""
        found = self.read("listOrders", self.world.orders.list_orders)
        found = found if isinstance(found, list) else []
        self.judge(checks.every_order_listed, found, self.model)
        return found

    def next_sku(self) -> str:
        self.serial += 1
        return f"LC-{self.serial:03d}"

    def with_skus(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**item, "SKU": item.get("SKU") or self.next_sku()} for item in items]

    def adopt_items(
        self, requirement: str, found: Any, sent: list[dict[str, Any]], model: OrderModel
    ) -> list[ItemModel]:
        """Match the answered items to the sent ones by SKU; the model takes their Ids."""
        found = found if isinstance(found, list) else []
        self.judge(checks.items_answered.under(requirement), found, sent)
        by_sku = {i.get("SKU"): i for i in found if isinstance(i, dict)}
        items = []
        for body in sent:
            answer = by_sku[body["SKU"]]
            item_id = str(answer.get("Id", ""))
            new = checks.new_guid.under(requirement)
            self.judge(new, item_id, (), "each item with a GUID Id")
            item = ItemModel(item_id.lower(), sent_item(body))
            self.judge_item(requirement, answer, item, model.id)
            items.append(item)
        return items

    def create(self, operation_id: str, body: dict[str, Any]) -> Any:
        """POST Orders or OrderFull, judged by CREATE; the new order's id or nothing."""
        world = self.world
        items = self.with_skus(body.get("Items", [])) if "Items" in body else None
        if items is not None:
            body = {**body, "Items": items}
        if not body.get("BillingCustomerId") and any("OrderId" in i for i in items or []):
            # One possible reason per refusal: a target following 003 refuses a create
            # without billing customer (ORD-CRT-014), which would leave a 400 for the
            # item's OrderId (ORD-ITEM-004, message judged) unexplained.
            body = {**body, "BillingCustomerId": world.customer_id}
        both = bool(body.get("ShippingEntityId")) and bool(body.get("ShippingCustomerId"))
        row = CREATE[(both, duplicate_products(items or []))]
        content = CREATED_BY[operation_id]
        if row.answers == (201,):
            row = accepted(201, content, becomes="Created")
        call = world.orders.create_order_full if items is not None else world.orders.create_order
        status_row = foreign_order_id(
            create_row(row, body.get("State")), items or [], FRESH_ORDER_ID
        )
        if status_row.answers == (201,) and not body.get("BillingCustomerId"):
            # ORD-CRT-014: without a billing customer the create is still accepted (004);
            # only a body with nothing else to refuse shows it.
            status_row = replace(status_row, requirement=ids.ORD_CRT_014)
        reply, found = self.send(
            operation_id,
            status_row,
            lambda: call(body),
            body=body,
            x="Created",
            y=str(body.get("State")),
        )
        if reply.status != 201:
            return multiple()
        # A 201 the row did not expect was judged above (a warned SHOULD); the order it made
        # is judged as any other from here.
        order_id = str(found.get("Id", ""))
        self.judge(checks.new_guid.under(content), order_id, self.model)
        printable = found.get("PrintableId")
        self.judge(checks.printable_id_by_server, printable)
        self.judge(checks.printable_id_not_empty, printable)
        self.judge(checks.created_by_server, found)
        taken = body.get("State") in (None, "Created")
        self.judge(checks.created_state.under(ids.ORD_CRT_005 if taken else content), found)
        if "OrderExpiryHours" not in body:
            self.judge(checks.default_expiry_hours, found)
        fields = writable(body)
        fields.setdefault("OrderExpiryHours", DEFAULT_EXPIRY_HOURS)
        model = OrderModel(
            order_id.lower(), str(printable), str(found.get("CreatedDateUtc")), "Created", fields
        )
        self.judge_order(content, found, model)
        if items is not None:
            model.items = self.adopt_items(content, found.get("Items"), items, model)
        self.model[model.id] = model
        self.touched.append((model.id, content))
        return model.id
