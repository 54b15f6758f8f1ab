"""Generated order and status-update shapes (issue 16: bugs that show only for some orders).

Scenario suites used one or two fixed shapes; servers fail on others: several suppliers in one
order, many items, quantities above 1, several SKUs or tracking numbers in one update. These
hypothesis strategies draw those shapes from the configured identities only (``--supplier-id``,
``--other-supplier-id``), and turn them into the Orders API and dropship request bodies the way
:mod:`dropship_conformance.harness.testdata` does on a foreign target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

# 004 §ItemType: 1 DropShip is the only type a supplier's feed is about; the others must stay
# out of every feed (LINK-003). Each type with a status it may be created in (004 §ItemStatus).
ITEM_TYPES = {1: 1, 2: 9, 3: 13}
DROPSHIP = 1
MAX_ITEMS = 12
MAX_QUANTITY = 5
# Supplier statuses that have a DropShip ItemStatus of the same name (LINK-004), and two that
# have none, so an update may mix mapped and unmapped ones.
MAPPED_STATUSES = ("Ordered", "Error", "NotAvailable", "Shipped", "Cancelled")
UNMAPPED_STATUSES = ("BackOrdered", "PendingSupplier")
SKU_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-"


@dataclass(frozen=True)
class ItemShape:
    """One item of a generated order; ``description``/``price`` None are left out."""

    sku: str
    item_type: int
    supplier: int | None
    quantity: int
    description: str | None
    price: Decimal | None

    @property
    def dropship(self) -> bool:
        return self.item_type == DROPSHIP and self.supplier is not None

    def body(self) -> dict[str, Any]:
        """The POST Items (or OrderFull ``Items``) body of this item."""
        body: dict[str, Any] = {
            "ItemTypeId": self.item_type,
            "ItemStatusId": ITEM_TYPES[self.item_type],
            "SKU": self.sku,
            "Quantity": self.quantity,
            "SupplierEntityId": self.supplier,
            "Description": self.description,
            "SellingPrice": None if self.price is None else float(self.price),
        }
        return {k: v for k, v in body.items() if v is not None}


@dataclass(frozen=True)
class OrderShape:
    items: tuple[ItemShape, ...]
    name: str | None

    @property
    def suppliers(self) -> frozenset[int]:
        return frozenset(i.supplier for i in self.items if i.dropship and i.supplier is not None)


@dataclass(frozen=True)
class Line:
    """One ItemInformation of an item-level update."""

    sku: str
    status: str
    tracking: tuple[str, ...]

    def body(self) -> dict[str, Any]:
        # Every line carries a tracking number: 000 makes TrackingInfo Required where 001 does
        # not (DS-ITEM-009), and that dispute is judged elsewhere, not here.
        return {
            "Sku": self.sku,
            "Status": self.status,
            "TrackingInfo": ",".join(self.tracking),
            "ShippingProvider": "UPS",
        }


@dataclass(frozen=True)
class UpdateShape:
    """An order-level update (``lines`` empty) or an item-level one."""

    status: str
    lines: tuple[Line, ...]

    @property
    def order_level(self) -> bool:
        return not self.lines

    def body(self, order_id: str) -> dict[str, Any]:
        if self.order_level:
            return {"Id": order_id, "Status": self.status}
        return {"Id": order_id, "ItemInformation": [line.body() for line in self.lines]}


def count(low: int, high: int, *, rich_first: bool) -> st.SearchStrategy[int]:
    """Integers from ``low`` to ``high``. Hypothesis finds small numbers simplest: it tries
    them first and shrinks towards them. ``rich_first`` turns that round, so that the few
    derandomized examples of a quick run meet the large shapes; a scenario that shrinks a
    failure to the smallest shape wants the natural order."""
    if rich_first:
        return st.integers(0, high - low).map(lambda fewer: high - fewer)
    return st.integers(low, high)


def _sku(tag: str) -> st.SearchStrategy[str]:
    return st.text(SKU_ALPHABET, min_size=1, max_size=8).map(lambda s: f"{tag}-{s}-")


def items(
    suppliers: Sequence[int], tag: str, *, max_size: int = MAX_ITEMS, rich_first: bool = True
) -> st.SearchStrategy[tuple[ItemShape, ...]]:
    """Items with SKUs unique in the order (``tag`` keeps them apart from other orders'): one
    or two DropShip items for each of 1 to 3 of ``suppliers``, then others up to ``max_size``.

    With ``rich_first`` (see :func:`count`) the simplest shape is the one that exposes the
    most: every supplier, two items each, quantities of 5.
    """
    pool = sorted(set(suppliers))[:3]
    chosen = count(1, len(pool), rich_first=rich_first).flatmap(
        lambda n: st.permutations(pool).map(lambda order: order[:n])
    )

    def of(picked: list[int]) -> st.SearchStrategy[tuple[ItemShape, ...]]:
        item = st.builds(
            ItemShape,
            sku=_sku(tag),
            item_type=st.sampled_from(sorted(ITEM_TYPES)),
            supplier=st.sampled_from(picked),
            quantity=count(1, MAX_QUANTITY, rich_first=rich_first),
            description=st.none() | st.sampled_from(("Case", "Charger", "Screen protector")),
            price=st.none() | st.decimals(0, 500, places=2),
        )
        # Two DropShip items per supplier at simplest: one update may then name several SKUs.
        per_supplier = count(1, 2, rich_first=rich_first)

        def dropship_of(supplier: int) -> st.SearchStrategy[list[ItemShape]]:
            dropship = item.map(lambda i: replace(i, item_type=DROPSHIP, supplier=supplier))
            return per_supplier.flatmap(lambda n: st.lists(dropship, min_size=n, max_size=n))

        heads = st.tuples(*(dropship_of(s) for s in picked)).map(
            lambda groups: [i for group in groups for i in group]
        )
        rest = st.lists(item, max_size=max(max_size - 2 * len(picked), 0))
        # Numbered, so SKUs are unique by construction: a filter would discard whole
        # sequences of the state machine when two drawn SKUs meet.
        return (
            st.tuples(heads, rest)
            .map(
                lambda pair: [
                    replace(i, sku=f"{i.sku}{n}") for n, i in enumerate([*pair[0], *pair[1]])
                ]
            )
            .flatmap(st.permutations)
            .map(tuple)
        )

    return chosen.flatmap(of)


def orders(
    suppliers: Sequence[int], tag: str, *, rich_first: bool = True
) -> st.SearchStrategy[OrderShape]:
    """Orders of 1 to ``MAX_ITEMS`` items with at least one DropShip item."""
    return st.builds(
        OrderShape,
        items=items(suppliers, tag, rich_first=rich_first),
        name=st.none() | st.just(f"dropship-conformance {tag}"),
    )


def tracking_numbers(*, rich_first: bool = True) -> st.SearchStrategy[tuple[str, ...]]:
    """One or several tracking numbers (001: "delimited by commas")."""
    number = st.text("0123456789ABCDEFGHJKLMNPRSTUVWXYZ", min_size=6, max_size=18)
    # Rich first, the simplest draw is three numbers: a few examples then meet several.
    return count(1, 3, rich_first=rich_first).flatmap(
        lambda n: st.lists(number, min_size=n, max_size=n, unique=True).map(
            lambda found: tuple(f"1Z{x}" for x in found)
        )
    )


def updates(skus: Sequence[str], *, rich_first: bool = True) -> st.SearchStrategy[UpdateShape]:
    """Status updates of a dropship order: order level when ``skus`` is empty, else one line
    per chosen SKU (one or several of ``skus``), statuses mixed among the lines."""
    status = st.sampled_from(MAPPED_STATUSES + UNMAPPED_STATUSES)
    if not skus:
        return st.builds(UpdateShape, status=status, lines=st.just(()))
    # Rich first, the simplest draw names every SKU: several in one update, as clients send.
    line_skus = count(1, len(skus), rich_first=rich_first).flatmap(
        lambda n: st.permutations(list(skus)).map(lambda p: p[:n])
    )
    lines = line_skus.flatmap(
        lambda chosen: st.tuples(
            *(
                st.builds(Line, st.just(s), status, tracking_numbers(rich_first=rich_first))
                for s in chosen
            )
        )
    )
    return st.builds(UpdateShape, status=st.just(""), lines=lines)


# One ItemStatusUpdate of a generated split: (item index, status, Quantity, TrackingInfo or
# None) lines in the order sent, which is drawn, not the order's.
SplitUpdate = tuple[tuple[int, str, int, str | None], ...]


def splits(quantities: list[int], rich_first: bool) -> st.SearchStrategy[tuple[SplitUpdate, ...]]:
    """A supplier's items shipped in 2 or 3 updates: each item is PartiallyShipped (below its
    quantity, if above 1), BackOrdered or not named until the update that ships it, then
    Shipped again or not named (002 §1); a parcel's tracking numbers join those its items
    carried before (001's Important note). Rich first, the items ship in different updates
    after partial shipments and backorders, listed in reverse; else the simplest split ships
    every item at once."""

    def build(updates: int, items: Any, listed: Any, parcels: Any) -> tuple[SplitUpdate, ...]:
        """The updates from the draws: per item, the update that ships it and, per update,
        ((named before, PartiallyShipped rather than BackOrdered, Quantity), named after);
        per update, its items' order and its parcel's numbers."""
        # Rich first, a draw of 0 ships item i in update -1-i: each update ships another item.
        shift = [updates - 1 - i % updates if rich_first else 0 for i in range(len(items))]
        ships = [(drawn + shift[i]) % updates for i, (drawn, _) in enumerate(items)]
        numbers: list[list[str]] = [[] for _ in items]
        split = []
        for j in range(updates):
            lines = []
            for i in listed[j]:
                ((waiting, partly, part), again), quantity = items[i][1][j], quantities[i]
                if j < ships[i] and waiting:
                    status = "PartiallyShipped" if partly and quantity > 1 else "BackOrdered"
                elif j == ships[i] or (j > ships[i] and again):
                    status = "Shipped"
                else:
                    continue
                if status == "PartiallyShipped" or j == ships[i]:
                    # Told apart from other parcels' numbers: an item resends them all.
                    numbers[i] += [f"{number}{j}" for number in parcels[j]]
                tracking = None if status == "BackOrdered" else ",".join(numbers[i])
                part = min(part, quantity - 1) if status == "PartiallyShipped" else quantity
                lines.append((i, status, part, tracking))
            if lines:
                split.append(tuple(lines))
        return tuple(split)

    order = tuple(range(len(quantities)))
    if rich_first:
        # One split, written out: every item named in every update, the even ones
        # PartiallyShipped, the odd BackOrdered, and every parcel with three numbers.
        items = [(0, [((True, i % 2 == 0, 1), True)] * 3) for i in order]
        three = tuple(f"1Z{n:06}" for n in range(3))
        return st.just(build(3, items, (order[::-1],) * 3, (three,) * 3))
    before = st.tuples(st.booleans(), st.booleans(), st.integers(1, MAX_QUANTITY - 1))
    item = st.tuples(st.integers(0, 2), st.tuples(*[st.tuples(before, st.booleans())] * 3))
    return st.builds(
        build,
        st.integers(2, 3),
        st.tuples(*[item] * len(quantities)),
        st.tuples(*[st.permutations(order)] * 3),
        st.tuples(*[tracking_numbers(rich_first=False)] * 3),
    )
