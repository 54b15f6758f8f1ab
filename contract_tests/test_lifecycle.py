"""Lifecycle suite: random sequences of Orders API calls judged against an executable model of
the documented order state flow (004 §OVERVIEW, §OrderFull, §ERRORS; 003 §Errors).

The model is data (:mod:`dropship_conformance.model.lifecycle`); the state machine
(:mod:`dropship_conformance.harness.lifecycle_rules`) drives the target through create,
OrderFull, items, PUT (every requested State), Process, cancel, the two documented ``$filter``
forms and every read, and judges each answer with the registered checks
(:mod:`dropship_conformance.checks.orders_state`, :mod:`dropship_conformance.checks.orders`).
The failure text names the requirement and holds the HTTP exchanges of the failing sequence.
Shrinking is off by default: replayed against a live target whose state moved on, a shrunk
sequence rarely repeats (env var to switch it on).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import HypothesisException
from hypothesis.stateful import run_state_machine_as_test

from dropship_conformance import openapi
from dropship_conformance.checks import ids
from dropship_conformance.checks import orders as checks
from dropship_conformance.checks.primitives import describe
from dropship_conformance.client import OrdersClient, Reply, SandboxControl
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.harness.lifecycle_machine import LifecycleBase, World
from dropship_conformance.harness.lifecycle_rules import lifecycle_machine
from dropship_conformance.harness.target import Target
from dropship_conformance.model.lifecycle import (
    CLIENT_CREATED,
    CLIENT_PRINTABLE_ID,
    FOREIGN_ORDER_ID,
)
from dropship_conformance.verdicts import Check, Expect, RequirementFailed, Verdict

pytestmark = pytest.mark.lifecycle

ENV_EXAMPLES = "DROPSHIP_CONFORMANCE_LIFECYCLE_EXAMPLES"
ENV_STEPS = "DROPSHIP_CONFORMANCE_LIFECYCLE_STEPS"
ENV_DERANDOMIZE = "DROPSHIP_CONFORMANCE_LIFECYCLE_DERANDOMIZE"
ENV_SHRINK = "DROPSHIP_CONFORMANCE_LIFECYCLE_SHRINK"
DEFAULT_EXAMPLES = 15
DEFAULT_STEPS = 12


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def _env_flag(name: str, *, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in ("1", "true", "yes")


def machine_settings() -> settings:
    """Bounded: a run takes seconds against the embedded sandbox (env vars widen it)."""
    return settings(
        max_examples=_env_int(ENV_EXAMPLES, DEFAULT_EXAMPLES),
        stateful_step_count=_env_int(ENV_STEPS, DEFAULT_STEPS),
        deadline=None,
        database=None,
        # Derandomized unless asked otherwise: a CI gate must give the same verdict twice.
        derandomize=_env_flag(ENV_DERANDOMIZE, default=True),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        print_blob=True,
        # No explain phase: its "lines only run by failing cases" adds minutes, not insight.
        # No shrink phase unless asked: it has no public time bound, and against a live target
        # its replays meet a state that moved on.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
        + ([Phase.shrink] if _env_flag(ENV_SHRINK, default=False) else []),
    )


STATE_MACHINE_REQUIREMENTS = (
    *(ids.ORD_CRT_001, ids.ORD_CRT_002, ids.ORD_CRT_003, ids.ORD_CRT_004, ids.ORD_CRT_005),
    *(ids.ORD_CRT_008, ids.ORD_CRT_011, ids.ORD_CRT_012, ids.ORD_CRT_014),
    *(ids.ORD_ITEM_001, ids.ORD_ITEM_003, ids.ORD_ITEM_004, ids.ORD_ITEM_005, ids.ORD_ITEM_007),
    *(ids.ORD_UPD_001, ids.ORD_UPD_003),
    *(ids.ORD_STATE_001, ids.ORD_STATE_002, ids.ORD_STATE_003, ids.ORD_STATE_004),
    *(ids.ORD_STATE_005, ids.ORD_PROC_001, ids.ORD_PROC_002, ids.ORD_PROC_004),
    *(ids.ORD_FULL_001, ids.ORD_FULL_002, ids.ORD_FULL_003, ids.ORD_FULL_004),
    *(ids.ORD_FULL_005, ids.ORD_FULL_006),
    *(ids.ORD_FLT_001, ids.ORD_FLT_002, ids.ORD_FLT_003, ids.ORD_FLT_005),
    *(ids.ORD_ERR_001, ids.ORD_ERR_007, ids.HTTP_001, ids.HTTP_003),
)


@pytest.mark.requirements(*STATE_MACHINE_REQUIREMENTS)
def test_orders_follow_the_documented_state_machine(target: Target, expect: Expect) -> None:
    """Random call sequences against the model; a failure shows its sequence."""
    machine = lifecycle_machine(World.of(target))
    with judged_by(expect, machine, "failing sequence (hypothesis, replayable)"):
        run_state_machine_as_test(machine, settings=machine_settings())


@pytest.mark.requirements(*STATE_MACHINE_REQUIREMENTS)
def test_orders_walk_every_documented_transition(target: Target, expect: Expect) -> None:
    """The same model and checks along one fixed walk through every row kind of the tables,
    so each requirement is decided in every run whatever the random sequences visit."""
    world = World.of(target)
    machine = lifecycle_machine(world)
    walk: Any = machine()
    where, who = world.entities[0], world.customer_id

    def then(step: Callable[..., Any], *args: Any) -> Any:
        """One step, then the invariants, as hypothesis runs them after every rule."""
        result = step(*args)
        walk.read_back_order()
        walk.read_back_order_items()
        return result

    with judged_by(expect, machine, "steps: the fixed walk of this test"), harvested(walk):
        a = then(
            walk.start,
            {
                "EntityId": where,
                "OrderTypeId": 3,
                "BillingCustomerId": who,
                "Name": "Walk",
                "PrintableId": CLIENT_PRINTABLE_ID,
                "CreatedDateUtc": CLIENT_CREATED,
            },
        )
        assert isinstance(a, str), "the walk's first order was not created (judged above)"
        then(walk.add_item, a, {"ItemTypeId": 2, "ItemStatusId": 9, "ProductId": "P-1"})
        then(walk.add_item, a, {"ItemTypeId": 2, "ItemStatusId": 10, "ProductId": "P-1"})
        then(walk.add_item, a, {"ItemTypeId": "1", "ItemStatusId": 1, "OrderId": FOREIGN_ORDER_ID})
        then(walk.update_order, a, None, {"Name": "Walk renamed"}, True)  # STATE-004, CRT-002
        then(walk.update_order, a, "Processed", {}, False)  # STATE-003
        then(walk.update_order, a, "Cancelled", {}, False)  # STATE-002 from Created
        then(walk.to_pending, a)  # STATE-001
        new_item = [{"ItemTypeId": 3, "ItemStatusId": 13}]
        then(walk.update_order_full, a, "Pending", {}, False, new_item)
        then(walk.update_order_full, a, None, {}, True, [])  # FULL-004: last item left out
        then(walk.list_orders, "state-and-entity", "Pending", where)
        then(walk.read_order, "order-full", a)
        then(walk.list_orders, "order-full", "Pending", where)
        then(walk.process, a)  # PROC-001/002
        then(walk.update_order_full, a, None, {}, False, [])  # FULL-005
        then(walk.process, a)  # PROC-004
        b = then(walk.create_order_full, {"EntityId": where, "OrderTypeId": 1, "Items": []})
        if isinstance(b, str):
            then(walk.process, b)  # ERR-001: no billing customer
        else:  # CRT-014 warned: the target needs a billing customer to create (003)
            billed = {"EntityId": where, "OrderTypeId": 1, "BillingCustomerId": who, "Items": []}
            b = then(walk.create_order_full, billed)
        assert isinstance(b, str), "the walk's second order was not created (judged above)"
        then(walk.to_pending, b)
        then(walk.cancel, b)  # STATE-002 from Pending
        then(walk.cancel, b)  # STATE-002 from Cancelled
        then(walk.create_order, {"EntityId": where, "OrderTypeId": 3, "State": "Processed"})
        both = {"ShippingEntityId": where, "ShippingCustomerId": who}
        then(walk.create_order, {"EntityId": where, "OrderTypeId": 1, **both})  # CRT-008


@contextmanager
def harvested(machine: LifecycleBase) -> Iterator[None]:
    """Outside hypothesis nobody calls teardown: collect the verdicts even on a failure."""
    try:
        yield
    finally:
        machine.teardown()


@contextmanager
def judged_by(expect: Expect, machine: type[LifecycleBase], steps_title: str) -> Iterator[None]:
    """Carry the machine's verdicts into the test's ``expect``; a failed MUST ended its
    sequence, and the test fails with it, the steps and the exchanges that led to it."""
    try:
        yield
    except RequirementFailed as failure:
        steps = [str(note) for note in getattr(failure, "__notes__", [])]
        how = f"  {steps_title}:\n{_indent(steps)}\n"
        _fail(expect, machine, failure.requirement_id, f"{failure}\n{how}")
    except HypothesisException as error:
        # A live target's state moves on between replays, so hypothesis may be unable to
        # replay or shrink a failing sequence; the verdict is still the one the run found.
        failed = machine.last.expect.failed if machine.last is not None else []
        if not failed:
            raise
        how = (
            f"  (not shrunk: hypothesis reported {type(error).__name__}, "
            "the target's state changed between replays)\n"
        )
        _fail(expect, machine, failed[0].requirement_id, f"{failed[0].message}\n{how}")
    _carry(expect, machine)


def _fail(expect: Expect, machine: type[LifecycleBase], requirement_id: str, text: str) -> NoReturn:
    """The one failure that ended the sequence, with its exchanges."""
    trace = machine.last.trace[-40:] if machine.last is not None else []
    message = f"{text}  exchanges of the failing sequence (last {len(trace)}):\n{_indent(trace)}"
    _carry(expect, machine)
    expect.checks.append(Check(requirement_id, Verdict.FAILED, message))
    raise RequirementFailed(requirement_id, message) from None


def _carry(expect: Expect, machine: type[LifecycleBase]) -> None:
    """One PASSED check per requirement that held, every distinct warning as it was."""
    for requirement_id, count in sorted(machine.passed.items()):
        expect.checks.append(
            Check(requirement_id, Verdict.PASSED, f"{requirement_id}: held in {count} checks")
        )
    expect.checks.extend(machine.warned.values())


def _indent(lines: list[str]) -> str:
    return "\n".join(f"      {line}" for line in lines) or "      -"


# ---- expiry (ASSUME-EXPIRY-409), on the sandbox clock ---------------------------------------


def _expired_order(
    orders: OrdersClient, control: SandboxControl | None, body: dict[str, Any]
) -> dict[str, Any]:
    """An order past its OrderExpiryDate: created with OrderExpiryHours 0 (expired at once, on
    any target); where 0 is refused, 1 hour and the sandbox clock moved 1.5 hours on."""
    created = orders.create_order({**body, "OrderExpiryHours": 0})
    if created.status == 201:
        return dict(created.json())
    if control is None:
        raise SetupImpossible(
            f"not checked: the target refuses OrderExpiryHours 0 ({describe(created)})"
        )
    created = orders.create_order({**body, "OrderExpiryHours": 1})
    if created.status != 201:
        raise SetupImpossible(f"cannot create an order: {describe(created)}")
    moved = control.advance_clock(1.5)
    if moved.status != 200:
        raise SetupImpossible(f"the sandbox clock did not move: {describe(moved)}")
    return dict(created.json())


@pytest.mark.requirements(ids.ORD_EXP_001, ids.ORD_EXP_002, ids.ORD_ERR_006)
def test_order_expires_after_its_expiry_hours(
    target: Target, orders: OrdersClient, control: SandboxControl | None, expect: Expect
) -> None:
    """Past OrderExpiryDate every update is 409 Conflict (ORD-EXP-001); POST Items and Process
    are refused as well and reads still work (ORD-EXP-002, SHOULD)."""
    settings_ = target.settings
    body = {
        "EntityId": settings_.location_id,
        "OrderTypeId": 3,
        "BillingCustomerId": settings_.billing_customer_id,
        "Name": "Expiry",
    }
    order_id = _expired_order(orders, control, body)["Id"]
    update = {**body, "Id": order_id}
    item = {"ItemTypeId": 2, "ItemStatusId": 9}
    full = {**update, "Items": [{**item, "SKU": "EXPIRED-FULL"}]}
    changes: list[tuple[str, str, Callable[[], Reply]]] = [
        (
            ids.ORD_EXP_001,
            "PUT Order",
            lambda: orders.update_order(order_id, {**update, "Name": "Late"}),
        ),
        (
            ids.ORD_EXP_001,
            "PUT Order State Pending",
            lambda: orders.update_order(order_id, {**update, "State": "Pending"}),
        ),
        (ids.ORD_EXP_001, "PUT OrderFull", lambda: orders.update_order_full(order_id, full)),
        (
            ids.ORD_EXP_002,
            "POST Items",
            lambda: orders.add_item(order_id, {**item, "SKU": "EXPIRED-ITEM"}),
        ),
        (ids.ORD_EXP_002, "POST Process", lambda: orders.process_order(order_id)),
    ]
    for requirement_id, what, call in changes:
        reply = call()
        if not checks.refused_as_expired.under(requirement_id)(expect, reply, what):
            continue
        # ORD-ERR-006's row is about updates; the other changes answer it under ORD-EXP-002.
        message_rule = ids.ORD_ERR_006 if requirement_id == ids.ORD_EXP_001 else requirement_id
        checks.conflict_message.under(message_rule)(expect, reply, what)
    after = orders.get_order(order_id)
    items = orders.list_items(order_id)
    if not checks.expired_still_readable(expect, after, items):
        return
    state = after.json()
    skus = [i.get("SKU") for i in items.json() if isinstance(i, dict)]
    updated = (
        state.get("Name") != "Expiry" or state.get("State") == "Pending" or "EXPIRED-FULL" in skus
    )
    checks.expired_unchanged.under(ids.ORD_EXP_001)(
        expect,
        after,
        updated,
        "the refused updates changed nothing (Name 'Expiry', not Pending, no item EXPIRED-FULL)",
        skus,
    )
    added = "EXPIRED-ITEM" in skus or state.get("State") != "Created"
    checks.expired_unchanged.under(ids.ORD_EXP_002)(
        expect,
        after,
        added,
        "POST Items and Process changed nothing (no item EXPIRED-ITEM, State Created)",
        skus,
    )


# ---- the names of the enumerations ----------------------------------------------------------

SCHEMAS = openapi.document("orders")["components"]["schemas"]
ITEM_STATUS_ROWS = SCHEMAS["OrdersItemStatusId"]["x-enumeration"]
ITEM_TYPE_IDS = {row["name"]: row["id"] for row in SCHEMAS["ItemTypeId"]["x-enumeration"]}
ORDER_TYPES = SCHEMAS["OrderTypeId"]["x-enumeration"]


def _order_of_type(target: Target, type_id: int) -> Reply:
    """With a billing customer: 003 requires one (ORD-CRT-014)."""
    return target.orders.create_order(
        {
            "EntityId": target.settings.location_id,
            "OrderTypeId": type_id,
            "BillingCustomerId": target.settings.billing_customer_id,
        }
    )


@pytest.mark.requirements(ids.ORD_ENUM_004)
def test_item_status_names_follow_the_table(
    orders: OrdersClient, target: Target, expect: Expect
) -> None:
    """Every row of the ItemStatus table (004 §ItemStatus, DEV-ITEMSTATUS-TABLE) as named."""
    created = _order_of_type(target, 3)
    if created.status != 201:
        raise SetupImpossible(f"cannot create an order: {describe(created)}")
    order_id = created.json()["Id"]
    wrong = []
    for row in ITEM_STATUS_ROWS:
        type_id = ITEM_TYPE_IDS[row["itemType"]]
        reply = orders.add_item(order_id, {"ItemStatusId": row["id"], "ItemTypeId": type_id})
        item = reply.json() if reply.status == 201 else {}
        if (item.get("ItemStatus"), item.get("ItemType")) != (row["name"], row["itemType"]):
            wrong.append(
                f"ItemTypeId {type_id} ItemStatusId {row['id']}: {reply.status} "
                f"ItemStatus {item.get('ItemStatus')!r} ItemType {item.get('ItemType')!r}, "
                f"expected {row['name']!r} {row['itemType']!r}"
            )
    names = checks.names_follow_the_table.under(ids.ORD_ENUM_004)
    names(expect, wrong, "ItemStatus and ItemType name their ids")


@pytest.mark.requirements(ids.ORD_ENUM_002)
def test_order_type_names_follow_the_table(target: Target, expect: Expect) -> None:
    """Each OrderTypeId of 004 §OrderType comes back with its name (DEV-ORDERTYPE-NAME-ID)."""
    wrong = []
    for row in ORDER_TYPES:
        reply = _order_of_type(target, row["id"])
        name = reply.json().get("OrderType") if reply.status == 201 else None
        if name != row["name"]:
            wrong.append(
                f"OrderTypeId {row['id']}: {reply.status} OrderType {name!r}, "
                f"expected {row['name']!r}"
            )
    names = checks.names_follow_the_table.under(ids.ORD_ENUM_002)
    names(expect, wrong, "OrderType names its OrderTypeId")
