"""Archive filling over generated shapes: what one example sends, and in which order.

An example is a few generated orders with the updates their supplier sends, sent order by
order or interleaved, and where the page boundary falls among their events; the archive suite
fills the current page so that these events roll it, then walks back over them.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from dropship_conformance.client import DropshipClient
from dropship_conformance.harness import shapes
from dropship_conformance.harness.generated import shaped_order, suppliers
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder, TestData
from dropship_conformance.harness.updates import put_in_either_edition
from dropship_conformance.verdicts import Expect


@dataclass(frozen=True)
class Filling:
    """One example of archive filling: orders with the updates their supplier sends, sent order
    by order or interleaved, and how many of the example's events the current page still takes
    before the one that rolls it (where the page boundary falls among them)."""

    orders: tuple[tuple[shapes.OrderShape, tuple[shapes.UpdateShape, ...]], ...]
    interleaved: bool
    before: int


# Two orders of two updates each straddle a boundary in every interleaving; each more event
# costs a feed read per example.
MAX_ORDERS, MAX_UPDATES = 2, 2


def fillings(target: Target, rich_first: bool) -> st.SearchStrategy[Filling]:
    supplier = target.settings.supplier_id
    # Rich first, True is the simplest draw: item level and interleaved.
    flag = st.booleans().map(operator.not_) if rich_first else st.booleans()

    def with_updates(order: shapes.OrderShape) -> st.SearchStrategy[Any]:
        skus = [i.sku for i in order.items if i.dropship and i.supplier == supplier]
        update = flag.flatmap(
            lambda by_items: shapes.updates(skus if by_items else [], rich_first=rich_first)
        )
        sent = shapes.count(0, MAX_UPDATES if skus else 0, rich_first=rich_first)
        return sent.flatmap(lambda n: st.lists(update, min_size=n, max_size=n)).map(
            lambda updates: (order, tuple(updates))
        )

    placed = shapes.orders(suppliers(target), "A", rich_first=rich_first).flatmap(with_updates)
    orders = shapes.count(1, MAX_ORDERS, rich_first=rich_first).flatmap(
        lambda n: st.lists(placed, min_size=n, max_size=n).map(tuple)
    )
    before = shapes.count(0, MAX_ORDERS * (1 + MAX_UPDATES) - 1, rich_first=rich_first)
    # An order of the other supplier alone feeds elsewhere; at least one must feed this one.
    return st.builds(Filling, orders, flag, before).filter(
        lambda filling: any(supplier in o.suppliers for o, _ in filling.orders)
    )


@dataclass(frozen=True)
class Sent:
    """What made an entry: Process of ``order`` (``operation`` None) or an update ``body``."""

    order: DropshipOrder
    operation: str | None = None
    body: dict[str, Any] = field(default_factory=dict, hash=False)


def send(
    dropship: DropshipClient, testdata: TestData, filling: Filling, expect: Expect
) -> Iterator[Sent | None]:
    """Make the filling's orders and send their updates, order by order or interleaved; yield
    what each step fed to ``dropship``'s supplier (None: nothing, refused or another's)."""
    supplier = int(dropship.supplier_id)
    steps: list[tuple[int, int | None]] = [(i, None) for i in range(len(filling.orders))]
    updates: list[tuple[int, int | None]] = [
        (i, k) for i, (_, u) in enumerate(filling.orders) for k in range(len(u))
    ]
    if filling.interleaved:
        plan = steps + sorted(updates, key=lambda step: (step[1], step[0]))
    else:
        plan = sorted(
            steps + updates, key=lambda step: (step[0], -1 if step[1] is None else step[1])
        )
    made: dict[int, DropshipOrder] = {}
    for i, k in plan:
        shape, sent_updates = filling.orders[i]
        if k is None:
            order = shaped_order(testdata, shape).dropship.get(supplier)
            if order is not None:
                made[i] = order
            yield None if order is None else Sent(order)
            continue
        order = made[i]
        own = [s.sku for s in shape.items if s.dropship and s.supplier == supplier]
        sku = dict(zip(own, (item["sku"] for item in order.sent_items), strict=True))
        update = sent_updates[k]
        body = update.body(order.order_id)
        for info in body.get("ItemInformation", []):
            info["Sku"] = sku[info["Sku"]]
        operation = "putOrderStatusUpdate" if update.order_level else "putItemStatusUpdate"
        reply, body = put_in_either_edition(dropship, expect, operation, order.order_id, body)
        # A refused update is the update suites' to judge (the status flow): it feeds nothing.
        yield Sent(order, operation, body) if 200 <= reply.status < 300 else None
