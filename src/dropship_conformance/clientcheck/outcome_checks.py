"""What a scenario expects to have happened by the end: one registry table of named checks.

A scenario lists the names it runs (``Scenario.outcomes``); each check reads the warehouse
plan, the client's accepted updates (the replay of :class:`ClientRun`) and the sandbox's
final state. Only orders the client had time to act on are judged (``ClientRun.had_time``):
an order that never reached the client is DS-CLI-003's finding, not a second one here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from dropship_conformance.checks import ids
from dropship_conformance.clientcheck.traffic import ClientRun, Finding, Order, Record


@dataclass(frozen=True)
class OutcomeCheck:
    name: str
    requirement: str
    expected: str
    # Which items it judges: (run, order, sku) -> bool; none in the run: nothing to judge.
    judges: Callable[[ClientRun, Order, str], bool]
    judge: Callable[[ClientRun, Order, str], list[str]]


def judged_items(run: ClientRun, check: OutcomeCheck) -> Iterator[tuple[Order, str]]:
    for order in run.orders.values():
        if run.had_time(order.order_id):
            for sku in order.skus:
                if check.judges(run, order, sku):
                    yield order, sku


def records_of(run: ClientRun, order: Order, sku: str) -> tuple[Record, ...]:
    """The client's updates addressing the item, for the report."""
    return tuple(
        r
        for r in run.updates
        if r.order_id == order.order_id and any(c.sku == sku for c in r.changes)
    )


def _shipments(run: ClientRun, sku: str) -> list[dict[str, Any]]:
    return list((run.plan_of(sku) or {}).get("shipments") or [])


def _ships(run: ClientRun, order: Order, sku: str) -> bool:
    return bool(_shipments(run, sku))


def _split(run: ClientRun, order: Order, sku: str) -> bool:
    return len(_shipments(run, sku)) > 1


def _cancelled(run: ClientRun, order: Order, sku: str) -> bool:
    return "cancel" in (run.plan_of(sku) or {})


def _held(run: ClientRun, order: Order, sku: str) -> bool:
    return any("backorder" in (run.plan_of(s) or {}) for s in order.skus)


def _while_monitored(run: ClientRun, order: Order, sku: str) -> bool:
    return order.created >= run.first_read


def _backlog(run: ClientRun, order: Order, sku: str) -> bool:
    return order.created < run.first_read


def _any(run: ClientRun, order: Order, sku: str) -> bool:
    return True


def _item(order: Order, sku: str) -> str:
    return f"order {order.order_id} item {sku!r}"


def _left(run: ClientRun, order: Order, sku: str, wanted: str) -> str:
    """What the plan wanted of an item and what the client left, with how the run ended."""
    ending = {
        "time-limit": f"the run ended at the time limit ({run.client.get('time_limit', 0):g}s) "
        "with the plan not met",
        "exit": "the client exited by itself",
        "complete": "the scenario was complete",
    }[run.stopped_by]
    final = run.final_item(order.order_id, sku)
    return (
        f"{_item(order, sku)}: the plan wanted {wanted}; the client left it "
        f"{final.get('status', 'PendingSupplier')} ({ending})"
    )


# ---------------------------------------------------------------- checks


def picked_up(run: ClientRun, order: Order, sku: str) -> list[str]:
    """DS-CLI-003 / DS-CLI-021: an order that reached the client's feed reads is acted on: an
    entry read and dropped (a marker compared with <=, a page skipped) is an order missed."""
    if any(True for _ in run.accepted_changes(order.order_id, sku)):
        return []
    return [
        _left(run, order, sku, "it picked up (Ordered)") + ", though its order-created "
        "was in a feed document the client fetched"
    ]


def picked_up_once(run: ClientRun, order: Order, sku: str) -> list[str]:
    """DS-CLI-002: the client acts on each order-created once: at most one Ordered per item
    (an order never picked up is the pick-up rule's finding, not this one's)."""
    ordered = [r.seq for r, c in run.accepted_changes(order.order_id, sku) if c.status == "Ordered"]
    if len(ordered) > 1:
        shown = ", ".join(f"#{seq}" for seq in ordered)
        return [f"{_item(order, sku)} set to Ordered {len(ordered)} times ({shown})"]
    return []


def shipped_as_planned(run: ClientRun, order: Order, sku: str) -> list[str]:
    """DS-TRK-003: what the warehouse shipped ends Shipped, with its tracking number and the
    carrier."""
    final = run.final_item(order.order_id, sku)
    last = _shipments(run, sku)[-1]["tracking"]
    problems = []
    if final.get("status") != "Shipped":
        problems.append(_left(run, order, sku, f"Shipped (tracking {last})"))
    numbers = [n.strip() for n in str(final.get("tracking-info") or "").split(",")]
    if last not in numbers:
        problems.append(
            f"{_item(order, sku)} ends with tracking {final.get('tracking-info')!r}, without "
            f"its tracking number {last}"
        )
    carrier = run.plan["carrier"]
    if final.get("shipping-provider") != carrier:
        problems.append(
            f"{_item(order, sku)} ends with carrier {final.get('shipping-provider')!r}, not "
            f"{carrier!r}"
        )
    return problems


def order_level_when_complete(run: ClientRun, order: Order, sku: str) -> list[str]:
    """DS-CLI-006 (SHOULD): an order with no exception is shipped with OrderStatusUpdate."""
    complete = all(
        len(_shipments(run, s)) == 1
        and _shipments(run, s)[0]["tracking"] == _shipments(run, order.skus[0])[0]["tracking"]
        for s in order.skus
    )
    if not complete:
        return []
    shipped_by = [
        c.via for _, c in run.accepted_changes(order.order_id, sku) if c.status == "Shipped"
    ]
    if shipped_by and "order" not in shipped_by:
        return [
            f"{_item(order, sku)} shipped with ItemStatusUpdate though no item has an exception"
        ]
    return []


def split_quantities(run: ClientRun, order: Order, sku: str) -> list[str]:
    """DS-CLI-013: an item leaving in n shipments is PartiallyShipped n-1 times, then Shipped."""
    n = len(_shipments(run, sku))
    expected = ["PartiallyShipped"] * (n - 1) + ["Shipped"]
    sent = [
        c.status
        for _, c in run.accepted_changes(order.order_id, sku)
        if c.status in ("PartiallyShipped", "Shipped")
    ]
    if sent == expected:
        return []
    return [f"{_item(order, sku)} left in {n} shipments: statuses {sent}, expected {expected}"]


def tracking_numbers_kept(run: ClientRun, order: Order, sku: str) -> list[str]:
    """DS-CLI-012: at the end the item holds the tracking number of every shipment."""
    final = str(run.final_item(order.order_id, sku).get("tracking-info") or "")
    numbers = {n.strip() for n in final.split(",")}
    lost = [s["tracking"] for s in _shipments(run, sku) if s["tracking"] not in numbers]
    if not lost:
        return []
    return [f"{_item(order, sku)} ends with tracking {final!r}: {', '.join(lost)} lost"]


def cancelled(run: ClientRun, order: Order, sku: str) -> list[str]:
    """DS-CLI-008: what cannot be fulfilled is Cancelled."""
    final = run.final_item(order.order_id, sku)
    if final.get("status") != "Cancelled":
        reason = (run.plan_of(sku) or {}).get("cancel")
        return [_left(run, order, sku, f"Cancelled ({reason})")]
    return []


def cancelled_with_message(run: ClientRun, order: Order, sku: str) -> list[str]:
    """DS-CLI-017 (SHOULD): the cancellation says why in Message. An item the plan cancels
    that the client never cancelled gave no reason either: that is not a pass."""
    cancelling = [
        c for _, c in run.accepted_changes(order.order_id, sku) if c.status == "Cancelled"
    ]
    if not cancelling:
        return [f"{_item(order, sku)} was never cancelled, so no reason was given"]
    if not any(str(c.sent.get("Message") or "").strip() for c in cancelling):
        return [f"{_item(order, sku)} cancelled without a Message giving the reason"]
    return []


def held_back_ordered(run: ClientRun, order: Order, sku: str) -> list[str]:
    """DS-CLI-007 (SHOULD): an order waiting for an item is held BackOrdered (the order, or the
    item awaited: 002's example sets it per item) and none of it ships until all is in stock."""
    entry = run.plan_of(sku) or {}
    final = run.final_item(order.order_id, sku)
    if "backorder" in entry and final.get("status") != "BackOrdered":
        return [_left(run, order, sku, f"BackOrdered ({entry['backorder']})")]
    shipped = [
        f"#{r.seq}"
        for r, c in run.accepted_changes(order.order_id, sku)
        if c.status in ("Shipped", "PartiallyShipped")
    ]
    if shipped:
        return [
            f"{_item(order, sku)} shipped ({', '.join(shipped)}) while its order waits for an "
            "item: a partial shipment instead of holding the order"
        ]
    return []


OUTCOME_CHECKS: dict[str, OutcomeCheck] = {
    check.name: check
    for check in (
        OutcomeCheck(
            "picked_up",
            ids.DS_CLI_003,
            "every order that entered the feed while the client monitored it, and reached its "
            "feed reads, is picked up",
            _while_monitored,
            picked_up,
        ),
        OutcomeCheck(
            "backlog_picked_up",
            ids.DS_CLI_021,
            "every order already in the feed when the client first read it, and that reached "
            "its feed reads, is picked up",
            _backlog,
            picked_up,
        ),
        OutcomeCheck(
            "picked_up_once",
            ids.DS_CLI_002,
            "no order the client read is picked up more than once (Ordered)",
            _any,
            picked_up_once,
        ),
        OutcomeCheck(
            "shipped_as_planned",
            ids.DS_TRK_003,
            "every item the warehouse shipped ends Shipped with its tracking number and carrier",
            _ships,
            shipped_as_planned,
        ),
        OutcomeCheck(
            "order_level_when_complete",
            ids.DS_CLI_006,
            "an order shipped complete is updated with one OrderStatusUpdate",
            _ships,
            order_level_when_complete,
        ),
        OutcomeCheck(
            "split_quantities",
            ids.DS_CLI_013,
            "an item shipped in n parts is PartiallyShipped n-1 times, then Shipped",
            _split,
            split_quantities,
        ),
        OutcomeCheck(
            "tracking_numbers_kept",
            ids.DS_CLI_012,
            "every item ends with the tracking numbers of all its shipments",
            _ships,
            tracking_numbers_kept,
        ),
        OutcomeCheck(
            "cancelled",
            ids.DS_CLI_008,
            "every item the warehouse cannot fulfil ends Cancelled",
            _cancelled,
            cancelled,
        ),
        OutcomeCheck(
            "held_back_ordered",
            ids.DS_CLI_007,
            "an order waiting for an item is held BackOrdered and none of its items ships",
            _held,
            held_back_ordered,
        ),
        OutcomeCheck(
            "cancelled_with_message",
            ids.DS_CLI_017,
            "every cancellation gives the reason as Message",
            _cancelled,
            cancelled_with_message,
        ),
    )
}


def judge(run: ClientRun, check: OutcomeCheck) -> tuple[int, list[Finding]]:
    """(how many items were judged, the findings)."""
    judged = 0
    findings = []
    for order, sku in judged_items(run, check):
        judged += 1
        findings += [
            Finding(message, records_of(run, order, sku))
            for message in check.judge(run, order, sku)
        ]
    return judged, findings
