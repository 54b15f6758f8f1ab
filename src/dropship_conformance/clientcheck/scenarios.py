"""The scenarios a supplier's client is judged on: data and expectations, as tables.

A scenario is orders (batches in the feed before the client starts, and batches that arrive
while it runs), a *warehouse plan* telling the client what happens to each SKU, and the names
of the outcome checks (:mod:`.outcome_checks`) that say what must have happened by the end.

How the client learns what to do: the runner writes the plan as JSON to the file named by
``DROPSHIP_WAREHOUSE_FILE``; it stands in for the supplier's stock system. It maps SKUs to
``{"shipments": [{"quantity": q, "tracking": "..."}, ...]}`` (the item leaves the warehouse
in these shipments, in this order), ``{"cancel": "reason"}`` (it cannot be fulfilled) or
``{"backorder": "reason"}`` (temporarily out of stock, no restock during the run), and gives
the ``carrier``. A SKU the plan does not list is in stock but not shipped yet: the client
picks its order up (Ordered) and leaves it, or holds it with the order (002 §3.1: an order
waiting for an item is held BackOrdered, not shipped in part).

Every scenario also holds the sandbox's two seeded orders of supplier 60455 (the ids of the
000/001 examples); ``seeded`` says whether the plan ships them or only expects a pick-up.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any, Literal

SUPPLIER_ID = 60455
TOKEN = "sandbox-supplier-60455"  # a supplier-only identity of the sandbox (seed.TOKENS)
PLAN_FORMAT = 1


@dataclass(frozen=True)
class Item:
    """One order item and what the warehouse does with it."""

    quantity: int = 1
    shipments: tuple[int, ...] = ()  # quantities of successive shipments (they sum to quantity)
    cancel: str | None = None  # the reason it cannot be fulfilled
    backorder: str | None = None  # why it is temporarily out of stock (no restock in the run)


@dataclass(frozen=True)
class Template:
    """The items of the orders of a batch."""

    items: tuple[Item, ...]
    # Every item leaves in one shipment: the whole order has one tracking number (a
    # complete order, 002 §3.1, which the client ships with one OrderStatusUpdate).
    one_box: bool = False


@dataclass(frozen=True)
class Batch:
    count: int
    # None: the sandbox's synthetic one-item orders (control API ``events``), not in the plan.
    template: Template | None = None
    # None: in the feed before the client starts; else seconds after the client's first
    # request for the current feed document (or after its start if it never asks).
    at: float | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    duty: str  # what the client must do, as README.md states it
    batches: tuple[Batch, ...]
    outcomes: tuple[str, ...]  # names in outcome_checks.OUTCOME_CHECKS
    seeded: Literal["pick-up", "ship"] = "ship"
    carrier: str = "UPS"
    info: str = "www.ups.com"
    tracking: Literal["ups", "digits"] = "ups"
    sku_prefix: str = "VC"
    time_limit: float = 60.0
    # The sandbox clock stands still for the whole run, so every entry shares the second of
    # the newest one the client has read: a marker compared with <= or < is caught every time.
    held_clock: bool = False

    @property
    def arrivals(self) -> tuple[Batch, ...]:
        return tuple(batch for batch in self.batches if batch.at is not None)

    @property
    def initial(self) -> tuple[Batch, ...]:
        return tuple(batch for batch in self.batches if batch.at is None)


ONE = Template((Item(1, (1,)),), one_box=True)
TWO = Template((Item(1, (1,)), Item(2, (2,))), one_box=True)
THREE = Template((Item(1, (1,)), Item(1, (1,)), Item(3, (3,))), one_box=True)
SPLIT_SECOND = Template((Item(1, (1,)), Item(3, (2, 1))))
SPLIT_THREE_WAYS = Template((Item(4, (1, 1, 2)),))
SPLIT_BOTH = Template((Item(2, (2,)), Item(2, (1, 1))))
DISCONTINUED = "Discontinued by the manufacturer"
NO_RESTOCK = "Out of stock with no restock date"
CANCEL_ONE = Template((Item(1, cancel=DISCONTINUED),))
CANCEL_ALL = Template((Item(1, cancel=DISCONTINUED), Item(2, cancel=NO_RESTOCK)))
CANCEL_SOME = Template((Item(1, (1,)), Item(2, cancel=NO_RESTOCK)))
RESTOCKING = "Temporarily out of stock, restock expected"
# In-stock items (no shipments: not shipped yet) beside one the warehouse awaits.
HOLD_ONE = Template((Item(1), Item(2, backorder=RESTOCKING)))
HOLD_TWO = Template((Item(1), Item(1), Item(1, backorder=RESTOCKING)))

SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            name="backlog",
            summary="148 new orders already in the feed (with the 2 seeded ones: two archive "
            "pages and a full current document), 120 more arriving in two bursts while the "
            "client runs, all in the same second as the entries it has read (the sandbox "
            "clock is held), each burst leaving the newest entry the client read on a page "
            "boundary",
            duty="pick up every order exactly once (Ordered), reaching the older ones through "
            "prev-archive: none skipped, none updated twice for the same transition",
            # 150 entries fill three pages; 100 more archive the current one (its newest entry
            # tops an archive page) and fill the next; 20 more archive that one in turn.
            batches=(Batch(148), Batch(100, at=1.0), Batch(20, at=2.5)),
            outcomes=("picked_up", "backlog_picked_up", "picked_up_once"),
            seeded="pick-up",
            held_clock=True,
        ),
        Scenario(
            name="full-shipment",
            summary="8 orders of one to three items (2 arriving while the client runs), every "
            "item in stock; the warehouse ships each order complete under one tracking number",
            duty="move every order to Shipped with its tracking number (TrackingInfo) and the "
            "carrier (ShippingProvider), with one OrderStatusUpdate per order",
            batches=(Batch(3, ONE), Batch(2, TWO), Batch(1, THREE), Batch(2, TWO, at=1.0)),
            outcomes=("shipped_as_planned", "order_level_when_complete"),
            carrier="FedEx",
            info="www.fedex.com",
            tracking="digits",
            sku_prefix="FS",
        ),
        Scenario(
            name="partial-shipment",
            summary="5 orders where some items are short: quantities of one item leave in two "
            "or three shipments, each with its own tracking number (1 order arrives later)",
            duty="ship what it can with ItemStatusUpdates: PartiallyShipped (with Quantity) "
            "for each shipment of an item but the last, then Shipped; every update carries the "
            "item's earlier tracking numbers and the new one, comma-delimited (001 Important)",
            batches=(
                Batch(2, SPLIT_SECOND),
                Batch(1, SPLIT_THREE_WAYS),
                Batch(1, SPLIT_BOTH),
                Batch(1, SPLIT_SECOND, at=1.0),
            ),
            outcomes=("shipped_as_planned", "split_quantities", "tracking_numbers_kept"),
            sku_prefix="PS",
        ),
        Scenario(
            name="cancellation",
            summary="5 orders with items the warehouse cannot fulfil: whole orders and single "
            "items (1 order arrives later)",
            duty="cancel what cannot be fulfilled (Cancelled, with the reason as Message): the "
            "whole order with an OrderStatusUpdate when no item can ship, else the items with "
            "an ItemStatusUpdate, shipping the others",
            batches=(
                Batch(1, CANCEL_ONE),
                Batch(1, CANCEL_ALL),
                Batch(2, CANCEL_SOME),
                Batch(1, CANCEL_SOME, at=1.0),
            ),
            outcomes=("cancelled", "cancelled_with_message", "shipped_as_planned"),
            sku_prefix="CA",
        ),
        Scenario(
            name="backorder",
            summary="3 orders where one item is temporarily out of stock and the others are in "
            "stock but not shipped (1 order arrives later); no restock during the run",
            duty="hold each such order BackOrdered (the order, or the item awaited) and ship "
            "none of its items in part (002 §3.1)",
            batches=(Batch(1, HOLD_ONE), Batch(1, HOLD_TWO), Batch(1, HOLD_ONE, at=1.0)),
            outcomes=("held_back_ordered",),
            seeded="pick-up",
            sku_prefix="BO",
        ),
    )
}


# ---------------------------------------------------------------- the warehouse plan


def tracking_number(scenario: Scenario, order: int, item: int, shipment: int) -> str:
    """A tracking number that looks like the carrier's (UPS "1Z...", or digits as 000's)."""
    if scenario.tracking == "digits":
        return f"7489{order:04d}{item:02d}{shipment:02d}"
    return f"1ZVC{order:04d}{string.ascii_uppercase[item]}{shipment}"


@dataclass(frozen=True)
class PlannedOrder:
    """One templated order of a scenario, numbered across its batches (SKUs derive from it)."""

    scenario: Scenario
    number: int
    batch_index: int  # position of its batch in Scenario.batches
    template: Template

    def sku(self, index: int) -> str:
        return f"{self.scenario.sku_prefix}-{self.number:04d}-{string.ascii_uppercase[index]}"

    def control_body(self) -> dict[str, Any]:
        """The body of ``POST /_sandbox/suppliers/{id}/orders`` creating this order."""
        return {
            "items": [
                {
                    "sku": self.sku(index),
                    "quantity": item.quantity,
                    "selling-price": 10 + index,
                    "description": f"Scenario {self.scenario.name} item",
                }
                for index, item in enumerate(self.template.items)
            ],
            "po-reference": f"{self.scenario.sku_prefix}PO{self.number:04d}",
        }

    def plan(self) -> dict[str, Any]:
        """The warehouse plan entries of this order's SKUs (none for an unshipped one)."""
        skus: dict[str, Any] = {}
        for index, item in enumerate(self.template.items):
            if item.cancel is not None:
                skus[self.sku(index)] = {"cancel": item.cancel}
                continue
            if item.backorder is not None:
                skus[self.sku(index)] = {"backorder": item.backorder}
                continue
            if not item.shipments:
                continue
            box = 0 if self.template.one_box else index
            skus[self.sku(index)] = {
                "shipments": [
                    {
                        "quantity": quantity,
                        "tracking": tracking_number(self.scenario, self.number, box, k + 1),
                    }
                    for k, quantity in enumerate(item.shipments)
                ]
            }
        return skus


def planned_orders(scenario: Scenario) -> list[PlannedOrder]:
    out: list[PlannedOrder] = []
    for index, batch in enumerate(scenario.batches):
        if batch.template is not None:
            out += [
                PlannedOrder(scenario, len(out) + 1 + n, index, batch.template)
                for n in range(batch.count)
            ]
    return out


def build_plan(scenario: Scenario, seeded_orders: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """The warehouse file's content: every templated SKU, and the seeded ones if shipped.

    ``seeded_orders`` holds the order-items (sku, quantity) of each seeded order.
    """
    skus: dict[str, Any] = {}
    for order in planned_orders(scenario):
        skus.update(order.plan())
    if scenario.seeded == "ship":
        # Numbered from 9001 so their tracking numbers never meet a templated order's.
        for number, items in enumerate(seeded_orders, start=9001):
            for item in items:
                skus[item["sku"]] = {
                    "shipments": [
                        {
                            "quantity": int(item["quantity"]),
                            "tracking": tracking_number(scenario, number, 0, 1),
                        }
                    ]
                }
    return {
        "format": PLAN_FORMAT,
        "scenario": scenario.name,
        "carrier": scenario.carrier,
        "info": scenario.info,
        "skus": skus,
    }


def final_status(plan_entry: dict[str, Any] | None) -> str:
    """The status an item must end in under the plan (an unplanned item: picked up)."""
    if plan_entry is None:
        return "Ordered"
    if "cancel" in plan_entry:
        return "Cancelled"
    if "backorder" in plan_entry:
        return "BackOrdered"
    return "Shipped"
