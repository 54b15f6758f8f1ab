"""What a scenario expects to have happened by the end: one registry table of named checks.

A scenario lists the names it runs (``Scenario.outcomes``); each check reads the warehouse
plan, the client's accepted updates (the replay of :class:`ClientRun`) and the sandbox's
final state. Only orders the client had time to act on are judged (``ClientRun.had_time``):
an order that never reached the client is DS-CLI-003's finding, not a second one here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from dropship_conformance.clientcheck.traffic import ClientRun, Finding, Order, Record


@dataclass(frozen=True)
class OutcomeCheck:
    name: str
    requirement: str
    expected: str
    # Which items it judges: (run, sku) -> bool; none in the run means nothing to judge.
    judges: Callable[[ClientRun, str], bool]
    judge: Callable[[ClientRun, Order, str], list[str]]


def judged_items(run: ClientRun, check: OutcomeCheck) -> Iterator[tuple[Order, str]]:
    for order in run.orders.values():
        if run.had_time(order.order_id):
            for sku in order.skus:
                if check.judges(run, sku):
                    yield order, sku


def records_of(run: ClientRun, order: Order, sku: str) -> tuple[Record, ...]:
    """The client's updates addressing the item, for the report."""
    return tuple(
        r
        for r in run.updates
        if r.order_id == order.order_id and any(c.sku == sku for c in r.changes)
    )


def _shipments(run: ClientRun, sku: str) -> list[dict]:
    return list((run.plan_of(sku) or {}).get("shipments") or [])


def _ships(run: ClientRun, sku: str) -> bool:
    return bool(_shipments(run, sku))


def _split(run: ClientRun, sku: str) -> bool:
    return len(_shipments(run, sku)) > 1


def _cancelled(run: ClientRun, sku: str) -> bool:
    return "cancel" in (run.plan_of(sku) or {})


def _item(order: Order, sku: str) -> str:
    return f"order {order.order_id} item {sku!r}"


# ---------------------------------------------------------------- checks


def picked_up_once(run: ClientRun, order: Order, sku: str) -> list[str]:
    """DS-CLI-002: the client acts on each order-created once: exactly one Ordered per item."""
    ordered = [r.seq for r, c in run.accepted_changes(order.order_id, sku) if c.status == "Ordered"]
    if not ordered:
        return [f"{_item(order, sku)} was never picked up (no accepted update to Ordered)"]
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
        problems.append(f"{_item(order, sku)} ends {final.get('status')}, not Shipped")
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
        return [f"{_item(order, sku)} ends {final.get('status')}, not Cancelled"]
    return []


def cancelled_with_message(run: ClientRun, order: Order, sku: str) -> list[str]:
    """DS-CLI-017 (SHOULD): the cancellation says why in Message."""
    cancelling = [
        c for _, c in run.accepted_changes(order.order_id, sku) if c.status == "Cancelled"
    ]
    if cancelling and not any(str(c.sent.get("Message") or "").strip() for c in cancelling):
        return [f"{_item(order, sku)} cancelled without a Message giving the reason"]
    return []


OUTCOME_CHECKS: dict[str, OutcomeCheck] = {
    check.name: check
    for check in (
        OutcomeCheck(
            "picked_up_once",
            "DS-CLI-002",
            "every order the client read is picked up exactly once (Ordered)",
            lambda run, sku: True,
            picked_up_once,
        ),
        OutcomeCheck(
            "shipped_as_planned",
            "DS-TRK-003",
            "every item the warehouse shipped ends Shipped with its tracking number and carrier",
            _ships,
            shipped_as_planned,
        ),
        OutcomeCheck(
            "order_level_when_complete",
            "DS-CLI-006",
            "an order shipped complete is updated with one OrderStatusUpdate",
            _ships,
            order_level_when_complete,
        ),
        OutcomeCheck(
            "split_quantities",
            "DS-CLI-013",
            "an item shipped in n parts is PartiallyShipped n-1 times, then Shipped",
            _split,
            split_quantities,
        ),
        OutcomeCheck(
            "tracking_numbers_kept",
            "DS-CLI-012",
            "every item ends with the tracking numbers of all its shipments",
            _ships,
            tracking_numbers_kept,
        ),
        OutcomeCheck(
            "cancelled",
            "DS-CLI-008",
            "every item the warehouse cannot fulfil ends Cancelled",
            _cancelled,
            cancelled,
        ),
        OutcomeCheck(
            "cancelled_with_message",
            "DS-CLI-017",
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
