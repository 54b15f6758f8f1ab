"""Switchable conditional bugs: realistic server mistakes the harness must catch.

Unlike the proxy faults (``dropship_conformance.faults``), which rewrite single responses,
each bug here is a mistake inside the sandbox that shows only under a condition: an order
shape, one sibling endpoint, one state, a boundary, or the link between the two APIs. Each
breaks one MUST (or a LINK rule the ``linked`` class makes mandatory) of
``specs/requirements.yaml``. ``sandbox --bug NAME`` or ``serve_in_thread(bugs={NAME})``
switches one on; handlers ask :func:`active`.

``caught`` records whether today's suites catch the bug: a bug not caught stays in the table
(and its self-test is an expected failure) so that the table tells the truth.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dropship_conformance.checks import ids

CONDITIONS = ("shape", "sibling", "state", "boundary", "link")


@dataclass(frozen=True)
class Bug:
    name: str
    requirement: str
    condition: str
    description: str
    caught: bool = False


BUGS: tuple[Bug, ...] = (
    # ---- shapes ---------------------------------------------------------------------------
    Bug(
        "process-first-supplier-takes-all",
        ids.LINK_003,
        "shape",
        "Process of an order with DropShip items of several suppliers puts every DropShip "
        "item into one dropship order of the first supplier",
        caught=True,
    ),
    Bug(
        "item-update-first-sku-only",
        ids.DS_EVT_006,
        "shape",
        "an ItemStatusUpdate naming several SKUs records and feeds only the first",
        caught=True,
    ),
    Bug(
        "tracking-first-number-only",
        ids.DS_TRK_001,
        "shape",
        "a TrackingInfo of several comma-delimited numbers is fed as its first number",
        caught=True,
    ),
    Bug(
        "feed-quantity-one",
        ids.LINK_002,
        "shape",
        "Process feeds every order-item with quantity 1, whatever Quantity was ordered",
        caught=True,
    ),
    Bug(
        "process-drops-items-after-four",
        ids.LINK_002,
        "shape",
        "Process feeds at most 4 order-items per supplier; the others are dropped",
        caught=True,
    ),
    Bug(
        "item-update-lines-by-position",
        ids.DS_EVT_006,
        "shape",
        "an ItemStatusUpdate naming several SKUs gives line i's values to the i-th named item "
        "in the order's own order, not to the line's Sku",
        caught=True,
    ),
    # ---- siblings -------------------------------------------------------------------------
    Bug(
        "orderfull-id-mismatch-accepted",
        ids.ORD_ERR_004,
        "sibling",
        "PUT OrderFull accepts a body Id other than the URI OrderId (PUT Order refuses it)",
        caught=True,
    ),
    Bug(
        "process-id-mismatch-accepted",
        ids.ORD_PROC_003,
        "sibling",
        "Process accepts a body OrderId other than the URI OrderId and processes the order",
        caught=True,
    ),
    Bug(
        "add-item-other-company",
        ids.AUTH_004,
        "sibling",
        "POST Orders({OrderId})/Items adds an item to another company's order (GET, PUT Order "
        "and OrderFull refuse)",
        caught=True,
    ),
    Bug(
        "item-status-other-supplier",
        ids.AUTH_003,
        "sibling",
        "ItemStatusUpdate finds the order without its supplier: a supplier updates the items "
        "of another supplier's order (OrderStatusUpdate refuses)",
        caught=True,
    ),
    Bug(
        "item-status-unknown-status",
        ids.DS_STAT_003,
        "sibling",
        "ItemStatusUpdate records a status name of neither enumeration (OrderStatusUpdate "
        "refuses it)",
        caught=True,
    ),
    Bug(
        "orderfull-read-other-company",
        ids.AUTH_004,
        "sibling",
        "GET OrderFull({OrderId}) shows an order of another company (GET Orders refuses)",
        caught=True,
    ),
    Bug(
        "items-read-other-company",
        ids.AUTH_004,
        "sibling",
        "GET Orders({OrderId})/Items lists the items of another company's order",
        caught=True,
    ),
    Bug(
        "item-information-first-entry-checked",
        ids.DS_ITEM_004,
        "sibling",
        "ItemStatusUpdate checks Status only on its first ItemInformation entry; a later "
        "entry without Status is recorded",
        caught=True,
    ),
    # ---- states ---------------------------------------------------------------------------
    Bug(
        "orderfull-expiry-ignored",
        ids.ORD_EXP_001,
        "state",
        "PUT OrderFull updates an expired order (PUT Order answers 409 Conflict)",
        caught=True,
    ),
    Bug(
        "orderfull-updates-processed",
        ids.ORD_FULL_005,
        "state",
        "PUT OrderFull updates a Processed order that sends no State",
        caught=True,
    ),
    Bug(
        "expired-state-change-accepted",
        ids.ORD_EXP_001,
        "state",
        "an expired order still takes a State change by PUT Order (other updates get 409)",
        caught=True,
    ),
    Bug(
        "orderfull-cancels-created",
        ids.ORD_STATE_002,
        "state",
        "PUT OrderFull cancels a Created order (PUT Order answers 409)",
        caught=True,
    ),
    # ---- boundaries -----------------------------------------------------------------------
    Bug(
        "expiry-zero-hours-default",
        ids.ORD_EXP_001,
        "boundary",
        "OrderExpiryHours 0 is read as not sent: the order expires after 72 hours",
        caught=True,
    ),
    Bug(
        "feed-page-51",
        ids.DS_FEED_009,
        "boundary",
        "the current page is archived at 51 entries instead of 50",
        caught=True,
    ),
    Bug(
        "oldest-archive-prev-self",
        ids.DS_ARCH_009,
        "boundary",
        "the oldest archive page carries a prev-archive link to itself",
        caught=True,
    ),
    Bug(
        "oldest-archive-drops-last-entry",
        ids.DS_ARCH_005,
        "boundary",
        "the oldest archive page leaves out its oldest entry",
        caught=True,
    ),
    # ---- the link -------------------------------------------------------------------------
    Bug(
        "second-supplier-item-update-refused",
        ids.DS_ITEM_001,
        "link",
        "on a dropship order made by Process from an order of several suppliers, an "
        "ItemStatusUpdate of any supplier but the first is refused (its SKUs are looked up among "
        "the first supplier's items)",
        caught=True,
    ),
    Bug(
        "process-feeds-first-supplier-only",
        ids.LINK_001,
        "link",
        "Process of an order with DropShip items of several suppliers creates the dropship "
        "order of the first supplier only",
        caught=True,
    ),
)

BY_NAME: dict[str, Bug] = {bug.name: bug for bug in BUGS}


def bugs_named(names: Iterable[str]) -> frozenset[str]:
    """The bugs called ``names``; an unknown name is a ValueError naming the choices."""
    chosen = frozenset(names)
    unknown = sorted(chosen - BY_NAME.keys())
    if unknown:
        raise ValueError(
            f"no sandbox bug {', '.join(unknown)} (see dropship-conformance sandbox --list-bugs)"
        )
    return chosen


def active(app: Any, name: str) -> bool:
    """Whether the application (a Starlette app, a request's ``app``, or None) has bug ``name``
    on."""
    return name in getattr(getattr(app, "state", None), "bugs", ())


def bug_table() -> str:
    """One line per bug: name, requirement, condition, description."""
    lines = [f"{'bug':<38} {'requirement':<13} {'condition':<9} description"]
    lines += [
        f"{bug.name:<38} {bug.requirement:<13} {bug.condition:<9} {bug.description}" for bug in BUGS
    ]
    return "\n".join(lines)
