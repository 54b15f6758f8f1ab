"""Dropship orders and their feed events: creation, status updates, and the Orders link.

A dropship order is stored as the ``order-created`` payload model (dict keyed by the feed's
element names, immutable once created) plus a mutable per-item state (status, tracking).
Every change appends an event to the supplier's feed in the caller's transaction, so the
order, its event and (ASSUME-ORDERS-TO-DROPSHIP) the Orders API items always agree.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime
from typing import Any

from . import enums
from .clock import atom_time
from .order_payload import PENDING, UPDATE_FIELDS, bounded_event, initial_state, new_order
from .order_payload import decimal_text as decimal_text
from .order_payload import store_address as store_address
from .profile import Profile
from .records import NewEvent, dumps
from .store import Store


def create_dropship_order(
    store: Store, conn: sqlite3.Connection, now: datetime, **fields: Any
) -> dict[str, Any]:
    """Store a new dropship order (PendingSupplier) and append its order-created event;
    ``fields`` are :func:`.order_payload.new_order`'s."""
    model, row = new_order(atom_time(now), **fields)
    store.insert_new_ds_order(conn, row)
    return model


def create_synthetic_orders(
    store: Store,
    conn: sqlite3.Connection,
    now: datetime,
    supplier_id: int,
    count: int,
) -> list[str]:
    """Create ``count`` small dropship orders and their order-created events, fast.

    Built for the control API (archives of 100,000 entries in seconds): the payload JSON is
    produced by substituting ids into one serialized template.
    """
    directory = store.directory
    company_id = min(directory.companies)
    company = directory.companies[company_id]
    location_id = company["locations"][0]["id"]
    customer_entry = company["customers"][0]
    template = {
        "items": [
            {
                "catalog-id": "@CATALOG@",
                "description": "Synthetic item",
                "quantity": 1,
                "selling-price": "10.00",
                "sku": "@SKU@",
            }
        ],
        "order-id": "@ORDER@",
        "seller": {
            "company-id": company_id,
            "location-id": location_id,
            "po-reference": "@PO@",
            "printable-id": "@PO@",
        },
        "ship-to-store": False,
        "shipping-entity-id": 0,
        "shipping-address": customer_entry["addresses"][0],
        "shipping-customer": customer_entry["customer"],
        "shipping-method": "1",
        "supplier-id": supplier_id,
    }
    text = dumps(template)
    created = atom_time(now)
    start = store.next_counter(conn, "synthetic_seq")
    store.set_meta(conn, "synthetic_seq", str(start + count - 1))
    catalog_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "dropship-sandbox:synthetic-item"))
    text = text.replace("@CATALOG@", catalog_id)
    order_rows = []
    events = []
    ids = []
    for n in range(start, start + count):
        order_id = str(uuid.uuid4())
        ids.append(order_id)
        data = (
            text.replace("@ORDER@", order_id)
            .replace("@SKU@", f"SYN-{n:07d}")
            .replace("@PO@", f"SYN{n:07d}")
        )
        order_rows.append((order_id, supplier_id, company_id, PENDING, data, None, None, created))
        events.append(NewEvent("created", order_id, None))
    store.insert_ds_orders(conn, order_rows)
    store.append_events(conn, supplier_id, events, created)
    return ids


def order_items(row: sqlite3.Row) -> list[dict[str, Any]]:
    """The order-item models of a stored dropship order."""
    items: list[dict[str, Any]] = json.loads(row["data"])["items"]
    return items


def item_states(row: sqlite3.Row, model: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-item state of a stored order (default: PendingSupplier, nothing tracked)."""
    if row["item_state"]:
        states: list[dict[str, Any]] = json.loads(row["item_state"])
        return states
    return [initial_state() for _ in model["items"]]


def order_view(store: Store, conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """The control API's view of a dropship order: payload, status, items, updates."""
    model = json.loads(row["data"])
    states = item_states(row, model)
    return {
        "id": row["id"],
        "order-id": row["id"],
        "supplier-id": row["supplier_id"],
        "status": row["status"],
        "created": row["created"],
        "source-order-id": row["source_order_id"],
        "order-created": model,
        "item-status": [
            {"sku": item["sku"], **state}
            for item, state in zip(model["items"], states, strict=True)
        ],
        "updates": store.ds_updates(conn, row["id"]),
    }


def apply_order_status_update(
    store: Store,
    conn: sqlite3.Connection,
    now: datetime,
    row: sqlite3.Row,
    body: dict[str, Any],
    status: str,
    *,
    profile: Profile | None = None,
) -> None:
    """OrderStatusUpdate: every item takes the status; one item-information per item."""
    model = json.loads(row["data"])
    states = item_states(row, model)
    event_items = []
    for item, state in zip(model["items"], states, strict=True):
        state["status"] = status
        for field, element in UPDATE_FIELDS.items():
            if body.get(field) is not None:
                state[element] = body[field]
        event_items.append(
            _item_information(
                item, status, body, quantity=None, catalog_id=None, profile=profile or Profile()
            )
        )
    _finish_update(
        store, conn, now, row, model, states, status, "OrderStatusUpdate", body, event_items
    )
    for item, state in zip(model["items"], states, strict=True):
        _propagate(store, conn, state, status, body.get("TrackingInfo"), item["quantity"])


def apply_item_status_update(
    store: Store,
    conn: sqlite3.Connection,
    now: datetime,
    row: sqlite3.Row,
    body: dict[str, Any],
    statuses: list[str],
    *,
    profile: Profile | None = None,
) -> None:
    """ItemStatusUpdate: the named items take their statuses; the event lists the items sent."""
    model = json.loads(row["data"])
    states = item_states(row, model)
    by_sku: dict[str, list[int]] = {}
    for index, item in enumerate(model["items"]):
        by_sku.setdefault(item["sku"], []).append(index)
    event_items = []
    touched: list[tuple[int, str, dict[str, Any]]] = []
    for info, status in zip(body["ItemInformation"], statuses, strict=True):
        indexes = by_sku[info["Sku"]]
        first = model["items"][indexes[0]]
        for index in indexes:
            state = states[index]
            state["status"] = status
            for field, element in UPDATE_FIELDS.items():
                if info.get(field) is not None:
                    state[element] = info[field]
            touched.append((index, status, info))
        event_items.append(
            _item_information(
                first,
                status,
                info,
                quantity=info.get("Quantity"),
                catalog_id=info.get("CatalogId"),
                profile=profile or Profile(),
            )
        )
    distinct = {state["status"] for state in states}
    order_status = distinct.pop() if len(distinct) == 1 else row["status"]
    _finish_update(
        store, conn, now, row, model, states, order_status, "ItemStatusUpdate", body, event_items
    )
    for index, status, info in touched:
        quantity = info.get("Quantity")
        if quantity is None:
            quantity = model["items"][index]["quantity"]
        _propagate(store, conn, states[index], status, info.get("TrackingInfo"), quantity)


def _item_information(
    item: dict[str, Any],
    status: str,
    sent: dict[str, Any],
    *,
    quantity: int | None,
    catalog_id: str | None,
    profile: Profile,
) -> dict[str, Any]:
    """An item-information model in the element order of the 000 examples.

    catalog-id and quantity not sent are the order's own (000's examples fill them in), or
    unknown under ``feed_unsent_catalog_quantity_unknown``; unknown values are i:nil, or left
    out under ``feed_omits_unsent`` (DEV-FEED-NIL-OR-ABSENT).
    """
    fill = not profile.feed_unsent_catalog_quantity_unknown
    model = {
        "catalog-id": catalog_id or (item["catalog-id"] if fill else None),
        "info": sent.get("Info"),
        "message": sent.get("Message"),
        "quantity": item["quantity"] if quantity is None and fill else quantity,
        "reference-name": sent.get("ReferenceName"),
        "reference-value": sent.get("ReferenceValue"),
        "shipping-provider": sent.get("ShippingProvider"),
        "sku": item["sku"],
        "status": status,
        "tracking-info": sent.get("TrackingInfo"),
    }
    if profile.feed_omits_unsent:
        return {key: value for key, value in model.items() if value is not None}
    return model


def _finish_update(
    store: Store,
    conn: sqlite3.Connection,
    now: datetime,
    row: sqlite3.Row,
    model: dict[str, Any],
    states: list[dict[str, Any]],
    order_status: str,
    kind: str,
    body: dict[str, Any],
    event_items: list[dict[str, Any]],
) -> None:
    payload = {
        "company-id": model["seller"]["company-id"],
        "items": event_items,
        "order-id": row["id"],
        "supplier-id": row["supplier_id"],
    }
    text = bounded_event(payload, "ItemInformation" if kind == "ItemStatusUpdate" else "body")
    store.set_ds_order_state(conn, row["id"], order_status, states)
    store.log_update(conn, row["id"], kind, body, atom_time(now))
    store.append_events(
        conn, row["supplier_id"], [NewEvent("status", row["id"], text)], atom_time(now)
    )


def _propagate(
    store: Store,
    conn: sqlite3.Connection,
    state: dict[str, Any],
    status: str,
    tracking: str | None,
    quantity: int,
) -> None:
    """Show a supplier update on the Orders API item it came from (ASSUME-ORDERS-TO-DROPSHIP).

    The status maps by meaning (DS_TO_ORDERS_ITEM_STATUS); TrackingInformation becomes one
    entry per comma-delimited tracking number (001 §Multiple Shiments). What is sent replaces
    what was there: keeping earlier numbers is the client's duty (001).
    """
    item_id = state.get("orders-item-id")
    if not item_id:
        return
    item = store.get_item(conn, item_id)
    if item is None:
        return
    status_id = enums.DS_TO_ORDERS_ITEM_STATUS.get(status)
    if status_id is not None:
        item["ItemStatusId"] = status_id
        item["ItemStatus"] = enums.ITEM_STATUSES[status_id][1]
    if tracking is not None:
        numbers = [part.strip() for part in tracking.split(",") if part.strip()]
        item["TrackingInformation"] = [
            {"Quantity": quantity, "TrackingNumber": number} for number in numbers
        ]
    store.save_item(conn, item)
