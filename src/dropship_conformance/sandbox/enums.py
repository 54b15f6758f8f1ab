"""Enumerations of both APIs, as the later editions list them (001 and 004 §ENUMERATIONS)."""

from __future__ import annotations

from typing import Any

# 001 §ENUMERATIONS OrderStatus / ItemStatus: the same names with ids 0..8.
DS_STATUSES: tuple[str, ...] = (
    "PendingSupplier",
    "Ordered",
    "Shipped",
    "BackOrdered",
    "Error",
    "NotAvailable",
    "PartiallyShipped",
    "Cancelled",
    "Other",
)

# 004 §OrderState (ids 0..4); the API carries the name (DEV-STATE-NAME-VS-ID).
ORDER_STATES: tuple[str, ...] = ("Created", "Pending", "Processed", "Cancelled", "Completed")

# 004 §OrderType.
ORDER_TYPES: dict[int, str] = {1: "Sales", 2: "Transfer", 3: "Purchase", 4: "RMA"}

# 004 §ItemType.
ITEM_TYPES: dict[int, str] = {1: "DropShip", 2: "InStock", 3: "eCommerce", 4: "Shipping"}
DROPSHIP_ITEM_TYPE = 1

# 004 §ItemStatus: id -> (ItemTypeId it is valid for, name). The table's headers are
# shifted (DEV-ITEMSTATUS-TABLE): "OrderType" holds the item type, "ItemType" the name.
ITEM_STATUSES: dict[int, tuple[int, str]] = {
    1: (1, "New"),
    2: (1, "Cancelled"),
    3: (1, "Processed"),
    4: (1, "Ordered"),
    5: (1, "Error"),
    6: (1, "NotAvailable"),
    7: (1, "Shipped"),
    8: (1, "Received"),
    13: (3, "New"),
    14: (3, "Processed"),
    17: (3, "Cancelled"),
    9: (2, "New"),
    10: (2, "Processed"),
    11: (2, "Error"),
    12: (2, "BackOrder"),
    16: (2, "Cancelled"),
    15: (4, "Shipping"),
}
DROPSHIP_PROCESSED = 3

# ASSUME-ORDERS-TO-DROPSHIP: a supplier's dropship status shows on the Orders item.
# Statuses without a DropShip ItemStatus of the same meaning leave the item as it is.
DS_TO_ORDERS_ITEM_STATUS: dict[str, int] = {
    "Ordered": 4,
    "Shipped": 7,
    "Error": 5,
    "NotAvailable": 6,
    "Cancelled": 2,
}


def ds_status_name(value: Any) -> str | None:
    """A dropship status by name or JSON-integer id (DEV-STATUS-NAME-OR-ID), else None.

    Only a JSON integer 0..8 is an id: a numeric string such as "2" is neither a name nor
    an id, and a boolean is not an integer.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON Schema: 2.0 is the integer 2
    if isinstance(value, int):
        return DS_STATUSES[value] if 0 <= value < len(DS_STATUSES) else None
    if isinstance(value, str) and value in DS_STATUSES:
        return value
    return None
