"""A new dropship order as the store keeps it: its order-created payload model and its row.

Pure (no database): the dropship model creates orders with it, and the seeding builds the seed
orders with it before the store exists to serve them.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from .errors import bad_field
from .records import Directory, DsOrderRow, dumps

PENDING = "PendingSupplier"  # 002 §Order Statuses: the status of a new dropship order
# What one request may add to a feed, as the stored JSON of one event. Every client of the
# supplier downloads the page it lands on for as long as it is current (and its archive for
# good): a 0.9 MB ItemStatusUpdate once added 19 MB to a page, and another company's
# Process 5 MB to supplier 60455's feed. A real order or update is a few kilobytes.
MAX_EVENT_BYTES = 64 * 1024

# OrderStatusUpdate / ItemInformation field -> item-information element (000 §OrderStatusUpdated).
UPDATE_FIELDS: dict[str, str] = {
    "Info": "info",
    "Message": "message",
    "ReferenceName": "reference-name",
    "ReferenceValue": "reference-value",
    "ShippingProvider": "shipping-provider",
    "TrackingInfo": "tracking-info",
}


def decimal_text(value: Any) -> str:
    """A JSON number or numeric string as xs:decimal text (no exponent)."""
    number = Decimal(str(value))
    text = format(number, "f")
    return text


def bounded_event(model: dict[str, Any], field: str) -> str:
    """The event's stored JSON; 400 naming ``field`` when it is over MAX_EVENT_BYTES."""
    text = dumps(model)
    size = len(text.encode("utf-8"))
    if size > MAX_EVENT_BYTES:
        raise bad_field(
            field,
            f"would add a feed event of {size} bytes; one request may add at most "
            f"{MAX_EVENT_BYTES} (fewer or shorter entries)",
        )
    return text


def store_address(directory: Directory, location_id: int) -> dict[str, Any]:
    """A store's shipping address: its name as business-name (001), type "Store" (002)."""
    address = directory.location_address[location_id]
    out = {
        "address-id": address["address-id"],
        "business-name": directory.location_name[location_id],
    }
    out.update({key: value for key, value in address.items() if key != "address-id"})
    return out


def normalize_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """order-item models in the element order of the 000/001 examples."""
    return [
        {
            "catalog-id": str(item["catalog-id"]),
            "description": str(item.get("description") or ""),
            "quantity": int(item["quantity"]),
            "selling-price": decimal_text(item.get("selling-price", 0)),
            "sku": str(item["sku"]),
        }
        for item in items
    ]


def initial_state(orders_item_id: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {"status": PENDING}
    for element in UPDATE_FIELDS.values():
        state[element] = None
    state["orders-item-id"] = orders_item_id
    return state


def new_order(
    now_text: str,
    *,
    supplier_id: int,
    company_id: int,
    location_id: int,
    po_reference: str,
    printable_id: str,
    ship_to_store: bool,
    shipping_entity_id: int,
    shipping_address: dict[str, Any],
    shipping_customer: dict[str, Any],
    shipping_method: str,
    items: list[dict[str, Any]],
    order_id: str | None = None,
    source_order_id: str | None = None,
    orders_item_ids: list[str | None] | None = None,
) -> tuple[dict[str, Any], DsOrderRow]:
    """A new dropship order (PendingSupplier): its order-created payload model and its row."""
    order_id = order_id or str(uuid.uuid4())
    model = {
        "items": normalize_items(items),
        "order-id": order_id,
        "seller": {
            "company-id": company_id,
            "location-id": location_id,
            "po-reference": po_reference,
            "printable-id": printable_id,
        },
        "ship-to-store": ship_to_store,
        # 001: "If shipped to store, Location identifier of store selected, otherwise 0"
        "shipping-entity-id": shipping_entity_id if ship_to_store else 0,
        "shipping-address": shipping_address,
        "shipping-customer": shipping_customer,
        "shipping-method": shipping_method,
        "supplier-id": supplier_id,
    }
    data = bounded_event(model, "items")
    item_state = None
    if orders_item_ids is not None:
        item_state = dumps([initial_state(orders_item_id) for orders_item_id in orders_item_ids])
    row = DsOrderRow(
        order_id, supplier_id, company_id, PENDING, data, item_state, source_order_id, now_text
    )
    return model, row
