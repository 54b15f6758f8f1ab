"""The rules of the lifecycle state machine: create, OrderFull, items, PUT (every requested
State), Process, cancel, the two documented ``$filter`` forms and every read, each judged by
the row of :mod:`dropship_conformance.model.lifecycle` for the order's state.

The machine is built per target, as its strategies draw the target's identities.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, precondition, rule

from dropship_conformance.checks import ids, orders_state
from dropship_conformance.checks import orders as checks
from dropship_conformance.harness.lifecycle_machine import (
    LifecycleBase,
    World,
    item_bodies,
    order_bodies,
    order_changes,
)
from dropship_conformance.model.lifecycle import (
    ADD_ITEM,
    CLIENT_PRINTABLE_ID,
    FULL_UPDATE_REFUSED,
    PROCESS,
    STATE_FILTER,
    STATES,
    UPDATE,
    ItemModel,
    OrderModel,
    Row,
    accepted,
    duplicate_products,
    foreign_order_id,
    overlay,
    sent_item,
    writable,
)


def lifecycle_machine(world: World) -> type[LifecycleBase]:
    """The state machine for one target (its strategies use the target's identities)."""

    class Lifecycle(LifecycleBase):
        orders = Bundle("orders")

        @initialize(target=orders, body=order_bodies(world, full=False))
        def start(self, body: dict[str, Any]) -> Any:
            """Every sequence starts with an order to work on, found by its PrintableId."""
            order = self.create("createOrder", body)
            if isinstance(order, str):
                self.filter_by_printable_id(order)
            return order

        @rule(target=orders, body=order_bodies(world, full=False))
        def create_order(self, body: dict[str, Any]) -> Any:
            return self.create("createOrder", body)

        @rule(target=orders, body=order_bodies(world, full=True))
        def create_order_full(self, body: dict[str, Any]) -> Any:
            return self.create("createOrderFull", body)

        @rule(order=orders, item=item_bodies())
        def add_item(self, order: str, item: dict[str, Any]) -> None:
            model = self.model[order]
            body = {**item, "SKU": self.next_sku()}
            duplicate = duplicate_products([i.sent for i in model.items] + [body])
            row = foreign_order_id(ADD_ITEM[(model.state, duplicate)], [body], order)
            reply, found = self.send(
                "addItem",
                row,
                lambda: world.orders.add_item(order, body),
                body=body,
                x=model.state,
            )
            if reply.status == 201:
                item_id = str(found.get("Id", ""))
                self.judge(
                    checks.new_guid.under(ids.ORD_ITEM_001), item_id, [i.id for i in model.items]
                )
                new = ItemModel(item_id.lower(), sent_item(body))
                self.judge_item(ids.ORD_ITEM_001, found, new, order)
                model.items.append(new)
            self.items_touched.append(order)

        def update(
            self, order: str, state: str | None, change: dict[str, Any], printable: bool
        ) -> None:
            model = self.model[order]
            body: dict[str, Any] = {"Id": order, **model.fields, **change}
            if state is not None:
                body["State"] = state
            if printable:
                body["PrintableId"] = CLIENT_PRINTABLE_ID
            row = UPDATE[(model.state, state)]
            reply, found = self.send(
                "updateOrder",
                row,
                lambda: world.orders.update_order(order, body),
                body=body,
                x=model.state,
                y=state or model.state,
            )
            if 200 <= reply.status < 300:
                self.follow(model, row, body)
                self.judge_order(ids.ORD_UPD_001, found, model)
            self.touched.append((order, row.requirement))

        def follow(self, model: OrderModel, row: Row, body: dict[str, Any]) -> None:
            """An accepted update: the model takes the fields sent and the row's state."""
            model.fields = writable(body)
            model.state = row.becomes or model.state
            model.hours_resent = True

        @rule(
            order=orders,
            state=st.sampled_from([None, *STATES]),
            change=order_changes(world),
            printable=st.booleans(),
        )
        def update_order(
            self, order: str, state: str | None, change: dict[str, Any], printable: bool
        ) -> None:
            self.update(order, state, change, printable)

        @rule(order=orders)
        def cancel(self, order: str) -> None:
            self.update(order, "Cancelled", {}, False)

        @rule(order=orders)
        def to_pending(self, order: str) -> None:
            self.update(order, "Pending", {}, False)

        @rule(
            order=orders,
            state=st.sampled_from([None, *STATES]),
            change=order_changes(world),
            drop=st.booleans(),
            new=st.lists(item_bodies(), max_size=1),
        )
        def update_order_full(
            self,
            order: str,
            state: str | None,
            change: dict[str, Any],
            drop: bool,
            new: list[dict[str, Any]],
        ) -> None:
            model = self.model[order]
            kept = model.items[:-1] if drop else model.items
            items = [{**i.sent, "Id": i.id} for i in kept] + self.with_skus(new)
            body: dict[str, Any] = {"Id": order, **model.fields, **change, "Items": items}
            if state is not None:
                body["State"] = state
            invalid = accepted(400, ids.ORD_ITEM_005) if duplicate_products(items) else None
            refusal = FULL_UPDATE_REFUSED.get(model.state)
            row = overlay(invalid, refusal or UPDATE[(model.state, state)])
            row = foreign_order_id(row, items, order)
            reply, found = self.send(
                "updateOrderFull",
                row,
                lambda: world.orders.update_order_full(order, body),
                body=body,
                x=model.state,
                y=state or model.state,
            )
            # Only the state explains this refusal when no other fault is in the body.
            state_only = row is refusal and all("OrderId" not in item for item in items)
            if state_only and 400 <= reply.status < 500:
                self.judge(orders_state.full_update_refused_with_409, reply, model.state)
            if 200 <= reply.status < 300:
                self.follow(model, row, body)
                self.judge_order(ids.ORD_FULL_004, found, model)
                # DEV-ORDERFULL-ITEMS: an item left out may be removed or kept (merged).
                answered = found.get("Items") if isinstance(found, dict) else None
                shown = {str(i.get("Id")).lower() for i in answered or [] if isinstance(i, dict)}
                merged = [{**i.sent, "Id": i.id} for i in model.items if i not in kept]
                on_order = items + [i for i in merged if i["Id"] in shown]
                model.items = self.adopt_items(ids.ORD_FULL_004, answered, on_order, model)
            self.touched.append((order, row.requirement))
            self.items_touched.append(order)

        @rule(order=orders)
        def process(self, order: str) -> None:
            model = self.model[order]
            row = PROCESS[(model.state, model.has_billing)]
            reply, found = self.send(
                "processOrder",
                row,
                lambda: world.orders.process_order(order),
                body={"OrderId": order},
                x=model.state,
                y="Processed",
            )
            if reply.status == 201:
                self.judge(orders_state.process_names_the_order, found, order)
                model.state = self.state_after_process(order, model.state)
                for item in model.items:  # a target may move item statuses on Process
                    item.status_known = False
            self.touched.append((order, ids.ORD_UPD_003))

        def state_after_process(self, order: str, before: str) -> str:
            """DEV-PROCESS-STATE: the model follows the state the target shows."""
            reply = world.orders.get_order(order)
            try:
                answer = reply.json() if reply.status == 200 else None
            except ValueError:
                answer = None
            shown = answer.get("State") if isinstance(answer, dict) else None
            self.trace.append(f"GET Orders({order}) -> {reply.status} State {shown!r}")
            self.judge(orders_state.processed_after_process, reply, shown, before)
            return shown if shown in STATES else before

        @precondition(lambda self: world.control is not None)
        @rule(order=orders)
        def complete(self, order: str) -> None:
            """Completed is never reached through the API: the sandbox forces it."""
            assert world.control is not None
            reply = world.control.force_state(world.company_id, order, "Completed")
            self.trace.append(f"(sandbox control) force State Completed -> {reply.status}")
            if reply.status != 200:
                raise RuntimeError(f"the sandbox refused to force Completed: {reply.text[:200]}")
            self.model[order].state = "Completed"

        @rule(view=st.sampled_from(["items", "order-full", "printable-id"]), order=orders)
        def read_order(self, view: str, order: str) -> None:
            """One of the reads of an order (few read rules leave the steps to changes)."""
            {
                "items": self.read_items,
                "order-full": self.get_order_full,
                "printable-id": self.filter_by_printable_id,
            }[view](order)

        @rule(
            query=st.sampled_from(["state-and-entity", "order-full"]),
            state=st.sampled_from(STATES),
            entity=st.sampled_from(world.entities),
        )
        def list_orders(self, query: str, state: str, entity: int) -> None:
            """One of the company-wide lists: a $filter, or every OrderFull."""
            if query == "order-full":
                self.list_order_full()
            else:
                self.filter_by_state_and_entity(state, entity)

        def filter_by_state_and_entity(self, state: str, entity: int) -> None:
            universe = self.list_all()
            text = f"State eq '{state}' and EntityId eq {entity}"
            requirement = STATE_FILTER[state]
            _, found = self.send(
                "listOrders",
                accepted(200, requirement),
                lambda: world.orders.list_orders(text),
                body={"$filter": text},
            )
            wanted = {
                str(o.get("Id")).lower()
                for o in universe
                if o.get("State") == state and o.get("EntityId") == entity
            } | {
                m.id
                for m in self.model.values()
                if m.state == state and m.fields["EntityId"] == entity
            }
            found = found if isinstance(found, list) else []
            check = checks.state_filter_exact.under(requirement)
            self.judge(check, found, wanted, state, entity)

        def filter_by_printable_id(self, order: str) -> None:
            printable = self.model[order].printable_id
            text = "PrintableId eq '{}'".format(printable.replace("'", "''"))
            _, found = self.send(
                "listOrders",
                accepted(200, ids.ORD_FLT_003),
                lambda: world.orders.list_orders(text),
                body={"$filter": text},
            )
            found = found if isinstance(found, list) else []
            self.judge(checks.printable_filter_exact, found, printable, order)

        def get_order_full(self, order: str) -> None:
            plain = self.read("getOrder", lambda: world.orders.get_order(order))
            full = self.read("getOrderFull", lambda: world.orders.get_order_full(order))
            full = full if isinstance(full, dict) else {}
            self.judge(checks.order_full_as_order, plain, full, self.model[order])

        def list_order_full(self) -> None:
            """Every order of the sequence once, as modelled, with all its items. (Comparing
            with GET Orders as well would double the cost of the longest answers.)"""
            found = self.read("listOrderFull", world.orders.list_order_full)
            found = found if isinstance(found, list) else []
            self.judge(checks.one_order_full_per_order, found, self.model)

    Lifecycle.world = world
    Lifecycle.passed = Counter()
    Lifecycle.warned = {}
    Lifecycle.last = None
    return Lifecycle
