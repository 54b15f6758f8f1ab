"""The seed orders of the sandbox's world, built from seed.py's data into the store's rows.

The store writes them when a database is first opened and on reset; how they are made (the
same payload model as an order created through the APIs) lives here, so the store does not
depend on the dropship model, which depends on the store.
"""

from __future__ import annotations

from .order_payload import new_order, store_address
from .records import Directory, DsOrderRow
from .seed import DROPSHIP_ORDERS


def seed_orders(directory: Directory, now_text: str) -> list[DsOrderRow]:
    """The rows of seed.py's dropship orders; ``directory`` gives their addresses, customers."""
    rows = []
    for spec in DROPSHIP_ORDERS:
        if spec.get("ship-to-store"):
            address = store_address(directory, spec["shipping-entity-id"])
        else:
            address = directory.addresses[spec["address-id"]]
        _, row = new_order(
            now_text,
            supplier_id=spec["supplier-id"],
            order_id=spec["order-id"],
            company_id=spec["company-id"],
            location_id=spec["location-id"],
            po_reference=spec["po-reference"],
            printable_id=spec["printable-id"],
            ship_to_store=bool(spec.get("ship-to-store")),
            shipping_entity_id=int(spec.get("shipping-entity-id", 0)),
            shipping_address=address,
            shipping_customer=directory.customers[spec["customer-id"]],
            shipping_method=spec["shipping-method"],
            items=spec["items"],
        )
        rows.append(row)
    return rows
