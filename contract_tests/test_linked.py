"""Linked suite: a state machine over both APIs, judged against the model of the linked system.

A hypothesis ``RuleBasedStateMachine`` makes retailer orders of generated shapes
(:mod:`dropship_conformance.harness.shapes`: many items, several suppliers, several item types,
quantities above 1) through the Orders API, changes them (POST Items, PUT Order, PUT
OrderFull), processes them, and answers as each supplier (OrderStatusUpdate, ItemStatusUpdate of
one or several SKUs, one or several tracking numbers). After every step ``@invariant``s compare
the target with :class:`dropship_conformance.model.LinkedSystem`: what each supplier's feed
holds for the order (its own DropShip items only, every one of them, SKUs and quantities:
LINK-001..003) and what the supplier's updates did to the order's items (LINK-004, LINK-005).

A verdict never stops the machine (``Expect.record``): every later step is still judged, and
the test fails at the end when a MUST failed, each failure with the request sequence that led
to it. Derandomized (the seed is printed); ``--examples`` bounds the sequences, ``--depth deep``
runs longer ones and shrinks a failing one.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import uuid
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, note, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from dropship_conformance.checks import linked
from dropship_conformance.checks.linked import answer, json_object
from dropship_conformance.client import Reply
from dropship_conformance.feed.rules import MAX_ENTRIES
from dropship_conformance.harness import shapes
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import TestData
from dropship_conformance.model import Item, LinkedSystem
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.linked

# Steps per sequence at each depth: a quick run sees a few orders through Process and updates.
STEPS = {"quick": 8, "deep": 25}
# A sequence's own entries are the newest: two pages (current document, newest archive) hold
# them, and reading further back on every step would cost most of the run.
FEED_ENTRIES = 2 * MAX_ENTRIES
REQUIREMENTS = linked.MACHINE_RULES
CHANGEABLE = ("Created", "Pending")


class Shrunk(AssertionError):
    """Raised at the end of a deep run's failing sequence so that hypothesis shrinks it."""


def _model_item(shape: shapes.ItemShape) -> Item:
    return Item(
        shape.sku,
        shape.item_type,
        shape.supplier if shape.item_type == shapes.DROPSHIP else None,
        shape.quantity,
        shape.description,
        shape.price,
    )


def linked_machine(target: Target, claims: frozenset[str]) -> type[RuleBasedStateMachine]:
    """The machine for ``target`` (the configured suppliers, their tokens, the company), judging
    at the levels of the conformance classes ``claims``."""
    config = target.settings
    suppliers = [config.supplier_id, config.other_supplier_id]
    feed_options = {
        config.supplier_id: {},
        config.other_supplier_id: {
            "supplier_id": config.other_supplier_id,
            **({"token": config.other_token} if config.other_token else {}),
        },
    }
    base = {
        "EntityId": config.location_id,
        "OrderTypeId": 3,
        "BillingCustomerId": config.billing_customer_id,
        "ShippingCustomerId": config.billing_customer_id,
    }
    orders, dropship = target.orders, target.dropship
    lookup = TestData(target)

    class LinkedMachine(RuleBasedStateMachine):
        expect = Expect(claims=claims)
        steps: list[str] = []  # noqa: RUF012 - the sequence of the running example, shared
        # What the run generated, for the report: sequences, orders, requests.
        generated: Counter[str] = Counter()  # noqa: RUF012
        # Suppliers whose feed showed one of our orders: the evidence that the target links.
        linking: set[int] = set()  # noqa: RUF012

        def __init__(self) -> None:
            super().__init__()
            self.model = LinkedSystem()
            self.printable: dict[str, str] = {}
            self.bodies: dict[str, dict[str, Any]] = {}
            self.touched: str | None = None
            self.tag = uuid.uuid4().hex[:6].upper()
            self.draws = 0
            self.seen: dict[int, list[Any]] = {}
            LinkedMachine.steps = []
            LinkedMachine.generated["sequences"] += 1
            self.read_back = linked.ReadBack(
                self.expect, LinkedMachine.steps, self.model, LinkedMachine.linking
            )
            self.failed_before = len(self.expect.failed)

        def entries(self, supplier: int) -> list[Any]:
            """The newest entries of ``supplier``'s feed, read once between two writes: the
            current document, and the newest archive only when a sequence outgrew it."""
            if supplier not in self.seen:
                newest = lookup.recent_entries(**feed_options[supplier])
                self.seen[supplier] = list(itertools.islice(newest, FEED_ENTRIES))
            return self.seen[supplier]

        def fresh_tag(self) -> str:
            """A SKU prefix no earlier draw of the run used: SKUs never meet across orders."""
            self.draws += 1
            return f"{self.tag}{self.draws}"

        def call(self, method: str, send: Any, *args: Any, **options: Any) -> Reply:
            """Send, and keep the request as a line a person can replay (never the token)."""
            reply = send(*args, **options)
            self.seen.clear()
            body = f" {json.dumps(args[-1], default=str)}" if isinstance(args[-1], dict) else ""
            line = f"{method} {reply.url}{body} -> {reply.status}"
            LinkedMachine.steps.append(line)
            LinkedMachine.generated["requests"] += 1
            note(line)
            return reply

        # ---- Orders API
        def open_orders(self) -> list[str]:
            return [o.id for o in self.model.orders.values() if o.state in CHANGEABLE]

        @initialize(data=st.data())
        def create_and_process(self, data: st.DataObject) -> None:
            """Every sequence starts with a processed order and an open one, both of generated
            shapes, so even a short one judges the link and the changes of an open order."""
            self.create(data)
            processed = self.touched
            if processed is not None:
                self.process_order(processed)
                self.judge_feeds(processed)
            self.create(data)

        @rule(data=st.data())
        def create(self, data: st.DataObject) -> None:
            shape = data.draw(shapes.orders(suppliers, self.fresh_tag()), label="order")
            body = {**base, **({"Name": shape.name} if shape.name else {})}
            created = self.call("POST", orders.create_order, body)
            if created.status != 201:
                note(f"not checked further: the order was not created ({answer(created)})")
                return
            order = created.json()
            order_id = order["Id"]
            LinkedMachine.generated["orders"] += 1
            self.model.create(order_id, config.company_id)
            self.printable[order_id] = str(order.get("PrintableId"))
            self.bodies[order_id] = body
            self.add(order_id, shape.items)

        def add(self, order_id: str, items: tuple[shapes.ItemShape, ...]) -> None:
            for item in items:
                added = self.call("POST", orders.add_item, order_id, item.body())
                self.read_back.judge(linked.item_added, added, item)
                if added.status == 201:
                    self.model.add_item(order_id, _model_item(item))
            self.touched = order_id

        @precondition(lambda self: self.open_orders())
        @rule(data=st.data())
        def add_items(self, data: st.DataObject) -> None:
            order_id = data.draw(st.sampled_from(self.open_orders()), label="order")
            known = set(self.model.orders[order_id].items)
            new = data.draw(shapes.items(suppliers, self.fresh_tag(), max_size=3), label="items")
            self.add(order_id, tuple(i for i in new if i.sku not in known))

        @precondition(lambda self: self.open_orders())
        @rule(data=st.data(), pending=st.booleans())
        def put_order(self, data: st.DataObject, pending: bool) -> None:
            order_id = data.draw(st.sampled_from(self.open_orders()), label="order")
            state = (
                "Pending" if pending and self.model.orders[order_id].state == "Created" else None
            )
            body = {**self.bodies[order_id], "Id": order_id, "Name": f"renamed {self.tag}"}
            if state is not None:
                body["State"] = state
            reply = self.call("PUT", orders.update_order, order_id, body)
            after = json_object(orders.get_order(order_id)) if reply.status == 200 else {}
            sent = {k: body[k] for k in ("Name", "State") if k in body}
            state_before = self.model.orders[order_id].state
            self.read_back.judge(linked.order_updated, reply, after, sent, state_before)
            if reply.status == 200:
                self.model.update(order_id, state)
            self.touched = order_id

        @precondition(lambda self: self.open_orders())
        @rule(data=st.data())
        def put_order_full(self, data: st.DataObject) -> None:
            order_id = data.draw(st.sampled_from(self.open_orders()), label="order")
            listed = self.call("GET", orders.list_items, order_id)
            if listed.status != 200:
                note(f"PUT OrderFull not tried: the items are unreadable ({answer(listed)})")
                return
            known = set(self.model.orders[order_id].items)
            new = data.draw(shapes.items(suppliers, self.fresh_tag(), max_size=2), label="items")
            new = tuple(i for i in new if i.sku not in known)
            body = {
                **self.bodies[order_id],
                "Id": order_id,
                "Items": [*listed.json(), *(i.body() for i in new)],
            }
            reply = self.call("PUT", orders.update_order_full, order_id, body)
            after = orders.list_items(order_id) if reply.status == 200 else None
            sent = {str(i.get("SKU")) for i in body["Items"]}
            self.read_back.judge(linked.every_sent_item_kept, reply, sent, after)
            if reply.status == 200:
                self.model.full_update(order_id, [_model_item(i) for i in new])
            self.touched = order_id

        @precondition(lambda self: self.open_orders())
        @rule(data=st.data())
        def process(self, data: st.DataObject) -> None:
            self.process_order(data.draw(st.sampled_from(self.open_orders()), label="order"))

        def process_order(self, order_id: str) -> None:
            reply = self.call("POST", orders.process_order, order_id)
            self.read_back.judge(linked.processed, reply, order_id)
            if reply.status == 201:
                self.model.process(order_id)
            self.touched = order_id

        # ---- Supplier Orders API
        def updatable(self) -> list[tuple[str, int]]:
            return [
                (o.id, supplier)
                for o in self.model.orders.values()
                for supplier, dropship_id in o.dropship.items()
                if dropship_id is not None
            ]

        @precondition(lambda self: self.updatable())
        @rule(data=st.data(), item_level=st.booleans())
        def status_update(self, data: st.DataObject, item_level: bool) -> None:
            order_id, supplier = data.draw(st.sampled_from(self.updatable()), label="order")
            self.update_as(supplier, order_id, data, item_level)

        def update_as(
            self, supplier: int, order_id: str, data: st.DataObject, item_level: bool
        ) -> None:
            order = self.model.orders[order_id]
            dropship_id = order.dropship[supplier]
            assert dropship_id is not None
            skus = [i.sku for i in order.of(supplier)] if item_level else []
            update = data.draw(shapes.updates(skus), label="update")
            send = (
                dropship.order_status_update if update.order_level else dropship.item_status_update
            )
            what = "OrderStatusUpdate" if update.order_level else "ItemStatusUpdate"
            reply = self.call(
                "PUT", send, dropship_id, update.body(dropship_id), **feed_options[supplier]
            )
            self.touched = order_id
            if not 200 <= reply.status < 300:
                # A refused update is judged by the update suites (the status flow of the
                # dropship order is theirs); here it changes nothing.
                note(f"{what} refused, the model unchanged: {answer(reply)}")
                return
            lines = [(line.sku, line.status, line.tracking) for line in update.lines] or [
                ("", update.status, ())
            ]
            self.model.status_update(order_id, supplier, lines)
            if not update.order_level:
                self.read_back.fed_lines(self.entries(supplier), dropship_id, update)

        # ---- reads, judged in full
        @rule()
        def read_orders(self) -> None:
            for order_id in list(self.model.orders):
                self.judge_order(order_id)

        @rule()
        def read_feeds(self) -> None:
            for order_id in list(self.model.orders):
                self.judge_feeds(order_id)

        # ---- after every step: the order the step touched
        @invariant()
        def touched_order_matches_model(self) -> None:
            if self.touched is not None:
                self.judge_order(self.touched)

        @invariant()
        def feeds_match_model(self) -> None:
            if self.touched is not None:
                self.judge_feeds(self.touched)

        def judge_order(self, order_id: str) -> None:
            self.read_back.items(order_id, orders.list_items(order_id))

        def judge_feeds(self, order_id: str) -> None:
            for supplier in suppliers:
                entries = self.entries(supplier)
                self.read_back.feed(order_id, self.printable[order_id], supplier, entries)

        def teardown(self) -> None:
            deep = config.depth == "deep"
            if deep and len(self.expect.failed) > self.failed_before:
                # Raising lets hypothesis shrink the sequence; the verdict is already recorded.
                raise Shrunk(self.expect.failed[-1].message)

    return LinkedMachine


def machine_settings(target: Target) -> settings:
    depth = target.settings.depth
    return settings(
        max_examples=target.settings.generated_examples,
        stateful_step_count=STEPS[depth],
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        # Shrinking replays sequences against a live target whose state moved on: nightly only.
        phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if depth == "deep" else []),
    )


def _carry(machine: Any, expect: Expect, name: str) -> None:
    """The machine's verdicts into the test's ``expect``; the test fails if a MUST failed."""
    made = machine.generated
    summary = ", ".join(f"{made[k]} {k}" for k in ("sequences", "orders", "requests"))
    print(f"{name}: generated {summary}")
    linked.carry(machine.expect, expect)


@pytest.mark.requirements(*REQUIREMENTS)
def test_linked_system_follows_the_model(target: Target, expect: Expect) -> None:
    """Random sequences of generated orders through both APIs, target and model compared
    after every step."""
    machine = linked_machine(target, expect.claims)
    chosen = target.settings.seed
    machine_run = machine_settings(target)
    print(
        f"linked: seed {chosen}, {machine_run.max_examples} sequences of up to "
        f"{machine_run.stateful_step_count} steps"
    )
    try:
        run_state_machine_as_test(seed(chosen)(machine), settings=machine_run)
    except Shrunk:
        pass  # deep runs raise to shrink; every verdict is already in the machine's Expect
    except HypothesisException:
        # Replaying a failing sequence against a live target whose state moved on may not
        # repeat it; the verdicts the run found stand.
        if not machine.expect.failed:
            raise
    _carry(machine, expect, "linked")


@pytest.mark.requirements(*REQUIREMENTS)
def test_linked_walk_over_generated_shapes(target: Target, expect: Expect) -> None:
    """Every rule of the machine in a fixed order, over generated shapes: the few sequences of
    a quick run are mostly short, so this decides each requirement in every run."""
    machine = linked_machine(target, expect.claims)
    chosen = target.settings.seed
    machine_run = machine_settings(target)

    @seed(chosen)
    @settings(machine_run, stateful_step_count=1)
    @given(st.data())
    def walk(data: st.DataObject) -> None:
        steps = machine()

        def then(step: Any, *args: Any) -> None:
            step(*args)
            steps.touched_order_matches_model()
            steps.feeds_match_model()

        then(steps.create_and_process, data)
        then(steps.add_items, data)
        then(steps.put_order, data, True)
        then(steps.put_order_full, data)
        # Every supplier of every processed order answers: a server may link only the first.
        for order_id, supplier in steps.updatable():
            for item_level in (False, True):
                then(steps.update_as, supplier, order_id, data, item_level)
        then(steps.process, data)
        then(steps.read_orders)
        then(steps.read_feeds)
        steps.teardown()

    print(f"linked walk: seed {chosen}, {machine_run.max_examples} generated walks")
    with contextlib.suppress(Shrunk):
        walk()
    _carry(machine, expect, "linked-walk")
