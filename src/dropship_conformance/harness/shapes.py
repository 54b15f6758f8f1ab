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


def _sku(tag: str) -> st.SearchStrategy[str]:
    return st.text(SKU_ALPHABET, min_size=1, max_size=8).map(lambda s: f"{tag}-{s}-")


def items(
    suppliers: Sequence[int], tag: str, *, max_size: int = MAX_ITEMS
) -> st.SearchStrategy[tuple[ItemShape, ...]]:
    """Items with SKUs unique in the order (``tag`` keeps them apart from other orders'): one
    or two DropShip items for each of 1 to 3 of ``suppliers``, then others up to ``max_size``.

    A derandomized run of a few examples mostly meets the shapes hypothesis finds simplest, so
    the simplest one here is the one that exposes the most: every supplier, quantities of 5.
    """
    pool = sorted(set(suppliers))[:3]
    count = st.integers(0, len(pool) - 1).map(lambda fewer: len(pool) - fewer)
    chosen = count.flatmap(lambda n: st.permutations(pool).map(lambda order: order[:n]))

    def of(picked: list[int]) -> st.SearchStrategy[tuple[ItemShape, ...]]:
        item = st.builds(
            ItemShape,
            sku=_sku(tag),
            item_type=st.sampled_from(sorted(ITEM_TYPES)),
            supplier=st.sampled_from(picked),
            quantity=st.integers(0, MAX_QUANTITY - 1).map(lambda less: MAX_QUANTITY - less),
            description=st.none() | st.sampled_from(("Case", "Charger", "Screen protector")),
            price=st.none() | st.decimals(0, 500, places=2),
        )
        # Two DropShip items per supplier at simplest: one update may then name several SKUs.
        per_supplier = st.integers(0, 1).map(lambda fewer: 2 - fewer)

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


def orders(suppliers: Sequence[int], tag: str) -> st.SearchStrategy[OrderShape]:
    """Orders of 1 to ``MAX_ITEMS`` items with at least one DropShip item."""
    return st.builds(
        OrderShape,
        items=items(suppliers, tag),
        name=st.none() | st.just(f"dropship-conformance {tag}"),
    )


def tracking_numbers() -> st.SearchStrategy[tuple[str, ...]]:
    """One or several tracking numbers (001: "delimited by commas")."""
    number = st.text("0123456789ABCDEFGHJKLMNPRSTUVWXYZ", min_size=6, max_size=18)
    # The simplest draw is three numbers: a few derandomized examples then meet several.
    count = st.integers(0, 2).map(lambda fewer: 3 - fewer)
    return count.flatmap(
        lambda n: st.lists(number, min_size=n, max_size=n, unique=True).map(
            lambda found: tuple(f"1Z{x}" for x in found)
        )
    )


def updates(skus: Sequence[str]) -> st.SearchStrategy[UpdateShape]:
    """Status updates of a dropship order: order level when ``skus`` is empty, else one line
    per chosen SKU (one or several of ``skus``), statuses mixed among the lines."""
    status = st.sampled_from(MAPPED_STATUSES + UNMAPPED_STATUSES)
    if not skus:
        return st.builds(UpdateShape, status=status, lines=st.just(()))
    # The simplest draw names every SKU: several in one update, as real clients send them.
    count = st.integers(0, len(skus) - 1).map(lambda fewer: len(skus) - fewer)
    line_skus = count.flatmap(lambda n: st.permutations(list(skus)).map(lambda p: p[:n]))
    lines = line_skus.flatmap(
        lambda chosen: st.tuples(
            *(st.builds(Line, st.just(s), status, tracking_numbers()) for s in chosen)
        )
    )
    return st.builds(UpdateShape, status=st.just(""), lines=lines)
