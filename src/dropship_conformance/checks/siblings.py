"""Checks of the sibling matrix (:mod:`dropship_conformance.harness.siblings`): each row's
documented outcome, registered under the row's requirement, and what a read-back shows: an
accepted write took effect (its effect rule), a refusal (or a read) changed nothing.

A table row is judged by one function registered under every row's id; :func:`on` gives the
check of one row. :class:`Verdicts` lets every rule of a cell get its verdict before a failed
MUST ends the test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec

from dropship_conformance.checks import ids
from dropship_conformance.checks.primitives import describe, same_guid
from dropship_conformance.checks.registry import Check, Observation, check, none_of
from dropship_conformance.client import Reply
from dropship_conformance.harness import siblings
from dropship_conformance.harness.siblings import Cell, Row
from dropship_conformance.verdicts import Expect, RequirementFailed

P = ParamSpec("P")
# Values of an order that only a server showing it would answer (its Id is in the URI).
SHOWN_FIELDS = ("Name", "PrintableId", "CreatedDateUtc")
Snapshot = tuple[Any, Any]


def _rules(wanted: Callable[[Row], bool]) -> tuple[str, ...]:
    """The ids of the rows ``wanted`` picks, once each, in table order."""
    return tuple(dict.fromkeys(row.rule for row in siblings.ROWS if wanted(row)))


def _effects(operations: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(siblings.EFFECT_RULES[o] for o in operations))


def _of(row: Row, operations: tuple[str, ...]) -> bool:
    return bool(set(row.operations) & set(operations))


ROW_RULES = _rules(lambda row: True)
ON_AN_ORDER = _rules(lambda r: _of(r, siblings.ORDER_OPERATIONS) and siblings.NONE not in r.states)
READ_RULES = _rules(lambda r: r.accepted and _of(r, siblings.ORDER_READS))
UNKNOWN_RULES = _rules(
    lambda r: siblings.UNKNOWN in r.tenants and _of(r, siblings.ORDER_OPERATIONS)
)
REFUSED_CREATES = _rules(lambda r: not r.accepted and _of(r, ("createOrder", "createOrderFull")))
REFUSED_UPDATES = _rules(lambda r: not r.accepted and _of(r, siblings.DROPSHIP_UPDATES))


def _statuses(statuses: tuple[int, ...]) -> str:
    return {siblings.SUCCESS: "a 2xx", siblings.CLIENT_ERROR: "a 4xx"}.get(
        statuses, " or ".join(map(str, statuses))
    )


@check(*ROW_RULES)
def answers_as_documented(cell: Cell, row: Row, reply: Reply) -> Observation:
    return Observation(
        reply.status in row.statuses,
        f"{cell.operation} by {cell.tenant} on a {cell.state} order answers "
        f"{_statuses(row.statuses)}",
        describe(reply),
    )


def _changes(before: Snapshot, after: Snapshot) -> list[str]:
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


@check(*ON_AN_ORDER)
def changed_nothing(cell: Cell, before: Snapshot, after: Snapshot) -> Observation:
    return none_of(
        _changes(before, after),
        f"{cell.operation} by {cell.tenant} changed nothing (read back)",
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


@check(*READ_RULES)
def answers_the_order(operation: str, reply: Reply, order_id: str) -> Observation:
    return none_of(
        _not_the_order(operation, reply, order_id), f"{operation} answers order {order_id}"
    )


def _took_effect(operation: str, tag: str, after: Snapshot) -> list[str]:
    order, items = after
    found = {
        "updateOrder": order.get("Name") == tag,
        "updateOrderFull": order.get("Name") == tag,
        "addItem": any(isinstance(i, dict) and i.get("SKU") == tag for i in items),
        "processOrder": order.get("State") == "Processed",
    }[operation]
    if found:
        return []
    return [
        f"read back: Name {order.get('Name')!r}, State {order.get('State')!r}, {len(items)} item(s)"
    ]


@check(*_effects(siblings.ORDER_WRITES))
def took_effect(operation: str, tag: str, after: Snapshot) -> Observation:
    return none_of(
        _took_effect(operation, tag, after), f"the accepted {operation} shows in a read-back"
    )


@check(ids.AUTH_004)
def shows_none_of_its_data(reply: Reply, order: dict[str, Any]) -> Observation:
    return none_of(
        [
            f"{name} {order[name]!r} of that order in the answer"
            for name in SHOWN_FIELDS
            if isinstance(order.get(name), str)
            and len(order[name]) > 3
            and order[name] in reply.text
        ],
        "none of its data shown",
    )


@check(*UNKNOWN_RULES)
def still_unknown(operation: str, order_id: str, again: Reply) -> Observation:
    return Observation(
        again.status == 404,
        f"order {order_id} still unknown after {operation}",
        f"GET Order: {describe(again)}",
    )


@check(*_effects(("createOrder", "createOrderFull")))
def created_and_listed(tag: str, named: list[Any], listed: int) -> Observation:
    return Observation(
        bool(named),
        f"the created order (Name {tag}) listed",
        f"{listed} orders, none named {tag}",
    )


@check(*REFUSED_CREATES)
def created_nothing(operation: str, named: list[Any]) -> Observation:
    return none_of(
        [f"order {i} was created" for i in named],
        f"the refused {operation} created nothing",
    )


@check(*_effects(siblings.DROPSHIP_UPDATES))
def fed(operation: str, new: set[str]) -> Observation:
    return Observation(
        bool(new),
        f"the accepted {operation} fed as an order-status-updated",
        "no new order-status-updated for the order",
    )


@check(*REFUSED_UPDATES)
def recorded_nothing(operation: str, order_id: str, new: set[str]) -> Observation:
    return none_of(
        [f"entry {e} fed for order {order_id}" for e in sorted(new)],
        f"the refused {operation} recorded nothing",
    )


class Verdicts:
    """Every rule of a cell gets its verdict before a failed MUST ends the test."""

    def __init__(self, expect: Expect) -> None:
        self.expect = expect
        self.failures: list[RequirementFailed] = []

    def judge(self, judged: Check[P], *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            judged(self.expect, *args, **kwargs)
        except RequirementFailed as failure:
            self.failures.append(failure)

    def on_each(
        self, rules: tuple[str, ...], judged: Check[P], *args: P.args, **kwargs: P.kwargs
    ) -> None:
        """``judged`` under each of ``rules`` (the cell's rows)."""
        for rule in rules:
            self.judge(judged.under(rule), *args, **kwargs)

    def status(self, cell: Cell, reply: Reply) -> None:
        for row in cell.rows:
            if cell.accepted and reply.status in row.statuses:
                # A 2xx alone is no evidence (a stateless mock answers one too): an accepted
                # cell passes on its read-back, not on its status.
                continue
            self.judge(answers_as_documented.under(row.rule), cell, row, reply)

    def effect(self, cell: Cell, judged: Check[P], *args: P.args, **kwargs: P.kwargs) -> None:
        """The accepted cell's effect, judged by its operation's effect rule."""
        self.judge(judged.under(siblings.EFFECT_RULES[cell.operation]), *args, **kwargs)

    def done(self) -> None:
        if self.failures:
            named = ", ".join(f.requirement_id for f in self.failures)
            first = self.failures[0]
            raise RequirementFailed(first.requirement_id, f"[{named}] {first}")
