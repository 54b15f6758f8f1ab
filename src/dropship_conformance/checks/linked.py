"""Checks of the linked system (LINK, and the events of one order in a feed): what each
supplier's feed holds for an Orders API order, and what the suppliers' updates did to its items,
compared with :class:`dropship_conformance.model.LinkedSystem`.

The linked suite's state machine reads the target back after every step and hands what it read
to :class:`ReadBack`, which records every verdict without stopping, each failure with the
request sequence that led to it; :func:`carry` gives the test the run's verdicts at the end.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ParamSpec

from dropship_conformance.checks import ids
from dropship_conformance.checks.primitives import number, same_guid, status_name
from dropship_conformance.checks.registry import Check, Observation, check, none_of
from dropship_conformance.client import Reply
from dropship_conformance.feed import events
from dropship_conformance.feed.atom import Entry, FeedDocument
from dropship_conformance.harness.shapes import ItemShape, UpdateShape
from dropship_conformance.model import Item, LinkedSystem, Order
from dropship_conformance.verdicts import Check as Judged
from dropship_conformance.verdicts import Expect, RequirementFailed, Verdict

P = ParamSpec("P")
# What the linked machine judges, each by a check of this module.
MACHINE_RULES = (
    ids.LINK_001,
    ids.LINK_002,
    ids.LINK_003,
    ids.LINK_004,
    ids.LINK_005,
    ids.DS_EVT_006,
    ids.DS_EVT_010,
    ids.ORD_ITEM_001,
    ids.ORD_ITEM_007,
    ids.ORD_UPD_001,
    ids.ORD_FULL_004,
    ids.ORD_PROC_001,
)


def record(
    expect: Expect, steps: list[str], judged: Check[P], *args: P.args, **kwargs: P.kwargs
) -> None:
    """Record ``judged``'s verdict without stopping; a failure carries the request sequence."""
    seen = judged.judge(*args, **kwargs)
    found = seen.found
    if not seen.holds:
        found = f"{found}\n  request sequence (replayable):\n" + "\n".join(
            f"    {line}" for line in steps
        )
    for requirement_id in judged.requirement_ids:
        expect.record(requirement_id, seen.holds, expected=seen.expected, found=found)


def answer(reply: Reply) -> str:
    return f"{reply.status} {reply.text[:300]}"


def json_object(reply: Reply) -> dict[str, Any]:
    """The reply's JSON object; empty when it is none."""
    try:
        value = reply.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _json_list(reply: Reply | None) -> list[dict[str, Any]]:
    """The objects of a 200 reply's JSON array; empty when there is none."""
    try:
        value = reply.json() if reply is not None and reply.status == 200 else []
    except ValueError:
        return []
    return [i for i in value if isinstance(i, dict)] if isinstance(value, list) else []


def payload(entry: Entry) -> dict[str, Any]:
    """The entry's event as a dict; empty when it has none."""
    value = events.to_value(entry.payload) if entry.payload is not None else {}
    return value if isinstance(value, dict) else {}


# ----- the Orders API's answers to the machine's writes


@check(ids.ORD_ITEM_001)
def item_added(added: Reply, item: ItemShape) -> Observation:
    echoed = json_object(added)
    return Observation(
        added.status == 201
        and (echoed.get("SKU"), echoed.get("Quantity")) == (item.sku, item.quantity),
        f"POST Items of {item.sku} to a Created or Pending order answers 201 with SKU "
        f"{item.sku} and Quantity {item.quantity}",
        answer(added),
    )


@check(ids.ORD_UPD_001)
def order_updated(
    reply: Reply, after: dict[str, Any], sent: dict[str, Any], state: str
) -> Observation:
    shown = {k: after.get(k) for k in sent}
    return Observation(
        reply.status == 200 and shown == sent,
        f"PUT Order of a {state} order answers 200 and a later GET shows {sent}",
        f"{answer(reply)}; GET {shown}",
    )


@check(ids.ORD_FULL_004)
def every_sent_item_kept(reply: Reply, sent: set[str], after: Reply | None) -> Observation:
    """PUT OrderFull kept every item it sent, as GET Items shows ``after`` it (None: not read)."""
    on_order = {str(i.get("SKU")) for i in _json_list(after)}
    return Observation(
        reply.status == 200 and sent <= on_order,
        f"PUT OrderFull answers 200 and every sent item is on the order: {sorted(sent)}",
        f"{answer(reply)}; on the order {sorted(on_order)}",
    )


@check(ids.ORD_PROC_001)
def processed(reply: Reply, order_id: str) -> Observation:
    return Observation(
        reply.status == 201 and same_guid(json_object(reply).get("OrderId"), order_id),
        f"Process of a Created or Pending order answers 201 with OrderId {order_id}",
        answer(reply),
    )


# ----- the order's items against the model


@check(ids.ORD_ITEM_007)
def items_readable(reply: Reply) -> Observation:
    return Observation(reply.status == 200, "GET Items answers 200", answer(reply))


@check(ids.ORD_ITEM_007)
def items_as_modelled(items: list[dict[str, Any]], model: Order) -> Observation:
    skus = Counter(str(i.get("SKU")) for i in items)
    return Observation(
        skus == Counter(list(model.items)),
        f"the order's items, each once: {sorted(model.items)}",
        f"{sorted(skus.elements())}",
    )


@check(ids.LINK_004)
def item_status_linked(sku: str, item: Item, found: dict[str, Any]) -> Observation:
    return Observation(
        str(found.get("ItemStatusId")) == str(item.status_id),
        f"item {sku}: ItemStatusId {item.status_id} after the update",
        f"ItemStatusId {found.get('ItemStatusId')!r} ItemStatus {found.get('ItemStatus')!r}",
    )


@check(ids.LINK_005)
def tracking_linked(sku: str, item: Item, found: dict[str, Any]) -> Observation:
    # The item's TrackingInformation as text: its key-value pairs have no documented keys.
    text = json.dumps(found.get("TrackingInformation") or [])
    missing = [t for t in item.tracking if t not in text]
    return Observation(
        not missing,
        f"item {sku}: TrackingInformation holds {item.tracking}",
        f"{text[:300]} (missing {missing})",
    )


# ----- each supplier's feed against the model


def _created_count(
    mine: list[Entry], expected: int, printable: str, supplier: int, model: Order
) -> Observation:
    return Observation(
        len(mine) == expected,
        f"{expected} order-created for order {printable} in the feed of supplier {supplier} "
        f"(its DropShip items {[i.sku for i in model.of(supplier)]}, state {model.state})",
        f"{len(mine)}: {[e.id for e in mine]}",
    )


# The order-created a supplier with items of the order is due, and none where none is due.
created_for_its_items = check(ids.LINK_001)(_created_count)
none_created_without_items = check(ids.LINK_003)(_created_count)


def _fed_items(value: dict[str, Any]) -> list[dict[str, Any]]:
    fed = value.get("items") or []
    return [i for i in (fed if isinstance(fed, list) else [fed]) if isinstance(i, dict)]


@check(ids.LINK_003)
def only_own_items(supplier: int, own: list[Item], value: dict[str, Any]) -> Observation:
    own_skus = {i.sku for i in own}
    foreign = sorted({str(i.get("sku")) for i in _fed_items(value)} - own_skus)
    return Observation(
        not foreign,
        f"the order-created of supplier {supplier} holds only its own items {sorted(own_skus)}",
        f"also {foreign}",
    )


def _item_problems(item: Item, got: dict[str, Any]) -> list[str]:
    problems = []
    if number(got.get("quantity")) != Decimal(item.quantity):
        problems.append(f"{item.sku}: quantity {got.get('quantity')!r}, ordered {item.quantity}")
    if item.price is not None and number(got.get("selling-price")) != item.price:
        problems.append(
            f"{item.sku}: selling-price {got.get('selling-price')!r}, ordered {item.price}"
        )
    if item.description is not None and got.get("description") != item.description:
        problems.append(f"{item.sku}: description {got.get('description')!r}")
    return problems


@check(ids.LINK_002)
def own_items_as_ordered(supplier: int, own: list[Item], value: dict[str, Any]) -> Observation:
    fed = _fed_items(value)
    fed_skus = Counter(str(i.get("sku")) for i in fed)
    by_sku = {str(i.get("sku")): i for i in fed}
    problems = []
    for item in own:
        got = by_sku.get(item.sku)
        if got is None or fed_skus[item.sku] != 1:
            problems.append(f"{item.sku}: fed {fed_skus[item.sku]} times")
            continue
        problems += _item_problems(item, got)
    return none_of(problems, f"one order-item per DropShip item of supplier {supplier}, as ordered")


@check(ids.DS_EVT_010)
def one_event_per_update(fed: list[Entry], expected: int) -> Observation:
    return Observation(
        len(fed) == expected,
        f"one order-status-updated per accepted update: {expected}",
        f"{len(fed)}",
    )


@check(ids.DS_EVT_006)
def every_line_fed(fed: Entry | None, update: UpdateShape) -> Observation:
    """The newest order-status-updated carries every sent Sku and Status."""
    value = payload(fed) if fed is not None else {}
    infos = value.get("items") or value.get("item-information") or []
    infos = infos if isinstance(infos, list) else [infos]
    got = {
        (i.get("sku"), status_name(i.get("status")), i.get("tracking-info"))
        for i in infos
        if isinstance(i, dict)
    }
    sent = {(line.sku, line.status, ",".join(line.tracking)) for line in update.lines}
    return Observation(
        sent <= got,
        f"the fed order-status-updated has (sku, status, tracking-info) {sorted(sent)}",
        f"{sorted(map(str, got))} in {fed.id if fed else 'no entry'}",
    )


# ----- the events of each order in one feed document


@check(ids.DS_EVT_008)
def created_once_before_its_updates(document: FeedDocument) -> Observation:
    # Oldest first, as the orders were created.
    created: Counter[Any] = Counter(
        payload(entry).get("order-id")
        for entry in reversed(document.entries)
        if entry.payload is not None and entry.payload_kind == "order-created"
    )
    early = [
        f"order {payload(entry).get('order-id')}: an update predates its order-created"
        for entry in document.entries
        if entry.payload_kind == "order-created"
        and any(
            later.payload_kind == "order-status-updated"
            and later.order_id == payload(entry).get("order-id")
            and later.updated
            and entry.updated
            and later.updated < entry.updated
            for later in document.entries
        )
    ]
    twice = [f"order {oid}: {n} order-created entries" for oid, n in created.items() if n > 1]
    return none_of(twice + early, "one order-created per order, first")


@check(ids.DS_EVT_009)
def updates_carry_the_company(document: FeedDocument) -> Observation:
    companies: dict[Any, Any] = {}
    strangers = []
    # Newest first: walking backwards visits each order's events from oldest to newest. An
    # update whose order-created is older than this page is fine; one older than it is not.
    for entry in reversed(document.entries):
        if entry.payload is None:
            continue
        value = payload(entry)
        order_id = value.get("order-id")
        if entry.payload_kind == "order-created":
            companies[order_id] = (value.get("seller") or {}).get("company-id")
        elif order_id in companies and value.get("company-id") != companies[order_id]:
            strangers.append(
                f"update {entry.id}: company-id {value.get('company-id')}, "
                f"order-created of {order_id}: {companies[order_id]}"
            )
    return none_of(strangers, "updates carry their order's company-id")


# ----- the machine's read-backs


def updates_of(entries: list[Entry], dropship_id: str) -> list[Entry]:
    """The order-status-updated entries of the dropship order, newest first."""
    return [
        e
        for e in entries
        if e.payload_kind == "order-status-updated" and same_guid(e.order_id, dropship_id)
    ]


def created_of(entries: list[Entry], printable: str, company: int) -> list[Entry]:
    """The order-created entries of the Orders API order (its PrintableId and company)."""
    return [
        e
        for e in entries
        if e.payload_kind == "order-created"
        and str((payload(e).get("seller") or {}).get("printable-id")) == printable
        and str((payload(e).get("seller") or {}).get("company-id")) == str(company)
    ]


@dataclass
class ReadBack:
    """The target read back after a step, judged against ``model``; no verdict stops the run."""

    expect: Expect
    steps: list[str]
    model: LinkedSystem
    # Suppliers whose feed showed one of our orders: the evidence that the target links.
    linking: set[int] = field(default_factory=set)

    def judge(self, judged: Check[P], *args: P.args, **kwargs: P.kwargs) -> None:
        record(self.expect, self.steps, judged, *args, **kwargs)

    def items(self, order_id: str, reply: Reply) -> None:
        """GET Items of the order: its items, their statuses and tracking (LINK-004/005)."""
        if reply.status != 200:
            self.judge(items_readable, reply)
            return
        items = [i for i in reply.json() if isinstance(i, dict)]
        model = self.model.orders[order_id]
        self.judge(items_as_modelled, items, model)
        by_sku = {str(i.get("SKU")): i for i in items}
        for sku, item in model.items.items():
            found = by_sku.get(sku)
            if found is None:
                continue
            if item.status_id is not None:
                self.judge(item_status_linked, sku, item, found)
            if item.tracking:
                self.judge(tracking_linked, sku, item, found)

    def feed(self, order_id: str, printable: str, supplier: int, entries: list[Entry]) -> None:
        """What ``supplier``'s feed holds for the order: its order-created, once, with its own
        items only (LINK-001..003), and an order-status-updated per accepted update."""
        model = self.model.orders[order_id]
        mine = created_of(entries, printable, model.company)
        expected = self.model.events(supplier, order_id, "order-created")
        if not expected and supplier not in self.linking:
            # No entry where none is due proves nothing from a target that has not yet shown
            # any order of ours to this supplier.
            return
        count = created_for_its_items if expected else none_created_without_items
        self.judge(count, mine, expected, printable, supplier, model)
        if len(mine) != 1 or not expected:
            return
        value = payload(mine[0])
        self.linking.add(supplier)
        if model.dropship.get(supplier) is None:
            model.dropship[supplier] = mine[0].order_id or value.get("order-id")
        self.judge(only_own_items, supplier, model.of(supplier), value)
        self.judge(own_items_as_ordered, supplier, model.of(supplier), value)
        dropship_id = model.dropship.get(supplier)
        updates = self.model.events(supplier, order_id, "order-status-updated")
        if dropship_id is not None and updates:
            self.judge(one_event_per_update, updates_of(entries, dropship_id), updates)

    def fed_lines(self, entries: list[Entry], dropship_id: str, update: UpdateShape) -> None:
        """The newest order-status-updated of the dropship order carries the update's lines."""
        self.judge(every_line_fed, next(iter(updates_of(entries, dropship_id)), None), update)


def carry(run: Expect, expect: Expect) -> None:
    """The run's verdicts into the test's ``expect``, passes counted per requirement and every
    other verdict once; the test fails if a MUST failed."""
    passed = Counter(c.requirement_id for c in run.checks if c.verdict is Verdict.PASSED)
    for requirement_id, count in sorted(passed.items()):
        expect.checks.append(
            Judged(requirement_id, Verdict.PASSED, f"{requirement_id}: held in {count} checks")
        )
    distinct = {c.message: c for c in run.checks if c.verdict is not Verdict.PASSED}
    expect.checks.extend(distinct.values())
    failed = [c for c in distinct.values() if c.verdict is Verdict.FAILED]
    if failed:
        named = ", ".join(sorted({c.requirement_id for c in failed}))
        raise RequirementFailed(
            failed[0].requirement_id,
            f"[{named}] {len(failed)} failed checks; the first:\n{failed[0].message}",
        )
