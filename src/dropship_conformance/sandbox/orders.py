"""Routes of the Orders API, mounted at ``/orders/v1``, and the order state machine of 004.

Operations (specs/orders.openapi.yaml): createOrder, listOrders, getOrder, updateOrder,
addItem, listItems, processOrder, createOrderFull, listOrderFull, getOrderFull,
updateOrderFull.

State flow (004 §OVERVIEW, 003/004 §Errors):

* a new order is ``Created`` (or ``Pending`` when the create body asks for it);
* by update, the only manual transitions are Created -> Pending and Pending -> Cancelled;
  sending the current state of a Created or Pending order is no transition; anything else,
  and any update of a Processed, Cancelled or Completed order, answers 409
  ``Resource state transition from {x} to {y} is invalid``;
* Process moves Created or Pending to Processed and needs a billing customer of the
  company (400 ``Billing Customer (id={x}) not found for company {y}. Proccessing ...``);
* OrderFull updates and added items are accepted only in Created or Pending (409 with the
  transition message otherwise, as specs/orders.openapi.yaml says);
* an expired order (sandbox clock past OrderExpiryDate) answers 409 ``Conflict`` to every
  update, item addition and Process (ASSUME-EXPIRY-409).

Processing an order whose DropShip items (ItemTypeId 1) name a sandbox supplier in
SupplierEntityId creates one dropship order per supplier with its order-created event, and
moves those items to Processed (ASSUME-ORDERS-TO-DROPSHIP).
"""

from __future__ import annotations

import random
import re
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from . import dropship_model, enums
from .auth import authenticate, company_id
from .bugs import active
from .clock import orders_time, parse_orders_time
from .errors import ApiError, bad_field
from .profile import Profile
from .seed import ADDRESS_FIELDS, CUSTOMER_FIELDS
from .store import Directory, Store, dumps
from .validation import INT32_MAX, Obj, as_integer, is_guid, read_json, same_guid, show

BASE_PATH = "/orders/v1"  # ASSUME-SANDBOX-PATHS
DEFAULT_EXPIRY_HOURS = 72  # 003/004 Order: "Defaults to 72 hours"
MAX_EXPIRY_HOURS = 87600
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")

# Response field order follows the 004 examples.
ORDER_FIELDS = (
    "Id",
    "Name",
    "BillingAddressId",
    "BillingCustomerId",
    "CreatedDateUtc",
    "DiscountAmount",
    "DiscountCode",
    "DiscountDescription",
    "EmployeeId",
    "EntityId",
    "OrderExpiryDate",
    "OrderExpiryHours",
    "OrderType",
    "OrderTypeId",
    "PrintableId",
    "ShippingAddressId",
    "ShippingCustomerId",
    "ShippingEntityId",
    "State",
    "TenderId",
    "CustomerId",
    "SourceId",
    "SourceName",
    "TenderOrigin",
)
ORDER_STRINGS = (
    "Name",
    "DiscountCode",
    "DiscountDescription",
    "TenderId",
    "CustomerId",
    "SourceId",
    "SourceName",
    "TenderOrigin",
)
ORDER_GUIDS = ("BillingAddressId", "BillingCustomerId", "ShippingAddressId", "ShippingCustomerId")
ITEM_FIELDS = (
    "Id",
    "Cost",
    "Description",
    "ItemStatus",
    "ItemStatusId",
    "ItemType",
    "ItemTypeId",
    "Index",
    "ListPrice",
    "Notes",
    "OrderId",
    "ProductId",
    "Quantity",
    "SellingPrice",
    "SerialNumbers",
    "SKU",
    "ShippingOptionId",
    "SupplierEntityId",
    "SupplierReference",
    "TrackingInformation",
    "ItemExtensions",
)
MANUAL_TRANSITIONS = {("Created", "Pending"), ("Pending", "Cancelled")}
MAX_EXTENSIONS_CHARS = 16_000
UPDATABLE_STATES = ("Created", "Pending")
STRICT = Profile()


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _profile(request: Request) -> Profile:
    profile: Profile = request.app.state.profile
    return profile


# ---- validation ----------------------------------------------------------------------------


def _order_fields(
    obj: Obj,
    cid: int,
    directory: Directory,
    *,
    update: bool,
    full: bool,
    profile: Profile = STRICT,
) -> dict[str, Any]:
    """Check an order body; return the writable fields that were sent (DEV-* decisions)."""
    what = "OrderFull" if full else "Order"
    obj.only((*ORDER_FIELDS, "Items") if full else ORDER_FIELDS, what)
    sent: dict[str, Any] = {}
    obj.guid("Id", required=update)
    for key in ("CreatedDateUtc", "OrderExpiryDate"):
        value = obj.string(key)
        if value is not None and not TIMESTAMP_RE.match(value):
            raise bad_field(key, f"must be an ISO 8601 date-time, not {show(value)}")
    obj.string("PrintableId")
    for key in ORDER_STRINGS:
        if obj.has(key):
            sent[key] = obj.string(key)
    for key in ORDER_GUIDS:
        if obj.has(key):
            sent[key] = obj.guid(key)
    if obj.has("DiscountAmount"):
        sent["DiscountAmount"] = obj.number("DiscountAmount")
    if obj.has("EmployeeId"):
        sent["EmployeeId"] = obj.integer("EmployeeId", minimum=-INT32_MAX - 1, maximum=INT32_MAX)
    # DEV-UPDATE-REQUIRED-FIELDS: 003 lists both Optional on update (a merge keeps the stored).
    required = not (update and profile.orders_update_fields_optional)
    entity = obj.integer("EntityId", required=required, minimum=1, maximum=INT32_MAX)
    if entity is not None:
        sent["EntityId"] = entity
    if obj.has("OrderExpiryHours"):
        sent["OrderExpiryHours"] = obj.integer(
            "OrderExpiryHours", minimum=0, maximum=MAX_EXPIRY_HOURS
        )
    type_id = obj.integer("OrderTypeId", required=required)
    if type_id is not None and type_id not in enums.ORDER_TYPES:
        raise bad_field("OrderTypeId", f"{type_id} is not an OrderType id (1, 2, 3 or 4)")
    if type_id is not None:
        sent["OrderTypeId"] = type_id
    type_name = obj.string("OrderType")
    if type_name is not None and type_id is not None and type_name != enums.ORDER_TYPES[type_id]:
        # DEV-ORDERTYPE-NAME-ID: the name, when sent, must name the id.
        raise bad_field(
            "OrderType",
            f"{show(type_name)} does not name OrderTypeId {type_id} ({enums.ORDER_TYPES[type_id]})",
        )
    if obj.has("ShippingEntityId"):
        sent["ShippingEntityId"] = obj.integer("ShippingEntityId", minimum=0, maximum=INT32_MAX)
    if obj.has("State") and obj.value["State"] is None:
        # OrderState is a string of an enumeration, not nullable (orders.openapi.yaml).
        raise bad_field(
            "State", f"must be an OrderState ({', '.join(enums.ORDER_STATES)}), not null"
        )
    state = obj.string("State")
    if state is not None:
        if state not in enums.ORDER_STATES:
            raise bad_field(
                "State", f"{show(state)} is not an OrderState ({', '.join(enums.ORDER_STATES)})"
            )
        sent["State"] = state
    if full:
        obj.array("Items")
    # Relations to the company (004 §POST an Order, §ERRORS).
    if "EntityId" in sent and directory.location_company.get(sent["EntityId"]) != cid:
        raise ApiError("entity_not_related")
    shipping_entity = sent.get("ShippingEntityId")
    if shipping_entity and directory.location_company.get(shipping_entity) != cid:
        raise ApiError("entity_not_related")
    billing = sent.get("BillingCustomerId")
    if billing is not None and directory.customer_company.get(billing.lower()) != cid:
        raise bad_field("BillingCustomerId", f"customer {billing} does not belong to company {cid}")
    employee = sent.get("EmployeeId")
    known = directory.employees.get(cid, set())
    if employee is not None and employee not in known and not profile.orders_employee_any:
        raise bad_field("EmployeeId", f"employee {employee} does not belong to company {cid}")
    for key in ORDER_GUIDS:
        if sent.get(key) is not None:
            sent[key] = sent[key].lower()
    return sent


def _check_shipping_exclusive(order: dict[str, Any], profile: Profile) -> None:
    """003/004: if ShippingEntityId is provided, ShippingCustomerId must be excluded (0 = none)."""
    if profile.orders_both_shipping_fields:
        return
    if order.get("ShippingEntityId") and order.get("ShippingCustomerId"):
        raise bad_field(
            "ShippingEntityId",
            "ShippingEntityId and ShippingCustomerId exclude each other: an order ships to a "
            "location or to a customer",
        )


def _item_type_id(obj: Obj) -> int:
    key = "ItemTypeId"
    if not obj.has(key) or obj.value[key] is None:
        raise bad_field(obj.name(key), "is required")
    value = obj.value[key]
    # DEV-ITEMTYPEID-STRING: 1 and "1" are both accepted.
    if isinstance(value, str) and value in ("1", "2", "3", "4"):
        return int(value)
    number = as_integer(value)
    if number in enums.ITEM_TYPES:
        return number
    raise bad_field(obj.name(key), f"{show(value)} is not an ItemType id (1, 2, 3 or 4)")


def _item(
    raw: Any,
    path: str,
    order_id: str,
    existing: dict[str, Any] | None = None,
    *,
    profile: Profile = STRICT,
    update: bool = False,
) -> dict[str, Any]:
    """Check an item body and build the stored item (004 §Item, §POST an Item)."""
    obj = Obj(raw, path)
    obj.only(ITEM_FIELDS, "Item")
    obj.guid("Id")
    body_order_id = obj.guid("OrderId")
    if (
        profile.orders_item_order_id_refused
        and body_order_id is not None
        and not same_guid(body_order_id, order_id)
    ):
        raise ApiError("id_mismatch")
    status_id: int | None
    if update and profile.orders_update_fields_optional:
        type_id, status_id = _item_ids_or_defaults(obj, existing)
    else:
        type_id = _item_type_id(obj)
        status_id = obj.integer("ItemStatusId", required=True)
    assert status_id is not None
    valid = enums.ITEM_STATUSES.get(status_id)
    if valid is None or (valid[0] != type_id and not profile.orders_item_status_any_type):
        allowed = sorted(k for k, (t, _) in enums.ITEM_STATUSES.items() if t == type_id)
        raise bad_field(
            obj.name("ItemStatusId"),
            f"{status_id} is not an ItemStatus of ItemTypeId {type_id} "
            f"({enums.ITEM_TYPES[type_id]}); valid: {', '.join(map(str, allowed))}",
        )
    status_name = obj.string("ItemStatus")
    if status_name is not None and status_name not in {n for _, n in enums.ITEM_STATUSES.values()}:
        raise bad_field(obj.name("ItemStatus"), f"{show(status_name)} is not an ItemStatus name")
    type_name = obj.string("ItemType")
    if type_name is not None and type_name not in enums.ITEM_TYPES.values():
        raise bad_field(obj.name("ItemType"), f"{show(type_name)} is not an ItemType name")
    serials = obj.array("SerialNumbers")
    for index, serial in enumerate(serials or []):
        if not isinstance(serial, str):
            raise bad_field(
                obj.name(f"SerialNumbers[{index}]"), f"must be a string, not {show(serial)}"
            )
    tracking = obj.array("TrackingInformation")
    tracking_out = []
    for index, entry in enumerate(tracking or []):
        # DEV-TRACKING-500: an invalid tracking number is a 400 here, not a 500.
        t = Obj(entry, obj.name(f"TrackingInformation[{index}]"))
        t.only(("Quantity", "TrackingNumber"), "TrackingInformation")
        quantity = t.integer("Quantity", required=True, minimum=0, maximum=INT32_MAX)
        number = t.string("TrackingNumber", required=True, min_length=1)
        assert number is not None
        if not number.strip():
            raise bad_field(t.name("TrackingNumber"), "must not be blank")
        tracking_out.append({"Quantity": quantity, "TrackingNumber": number})
    extensions = obj.array("ItemExtensions")
    for index, extension in enumerate(extensions or []):
        if not isinstance(extension, dict):
            raise bad_field(obj.name(f"ItemExtensions[{index}]"), "must be a JSON object")
    if extensions and len(dumps(extensions)) > MAX_EXTENSIONS_CHARS:
        # The one free-form field: every read of the order and of the company's OrderFull
        # list carries it, so its size is bounded like a text field's.
        raise bad_field(
            obj.name("ItemExtensions"), f"is longer than {MAX_EXTENSIONS_CHARS} characters as JSON"
        )
    item = {
        "Id": existing["Id"] if existing else str(uuid.uuid4()),
        "Cost": _number_or(obj, "Cost", 0),
        "Description": obj.string("Description"),
        "ItemStatus": enums.ITEM_STATUSES[status_id][1],
        "ItemStatusId": status_id,
        "ItemType": enums.ITEM_TYPES[type_id],
        "ItemTypeId": str(type_id),  # 004 writes the id as a string
        "Index": obj.integer("Index", minimum=-INT32_MAX - 1, maximum=INT32_MAX),
        "ListPrice": _number_or(obj, "ListPrice", 0),
        "Notes": obj.string("Notes"),
        "OrderId": order_id,
        "ProductId": obj.string("ProductId"),
        "Quantity": _int_or(obj, "Quantity", 0),
        "SellingPrice": _number_or(obj, "SellingPrice", 0),
        "SerialNumbers": serials if serials is not None else [],
        "SKU": obj.string("SKU"),
        "ShippingOptionId": obj.string("ShippingOptionId"),
        "SupplierEntityId": obj.integer("SupplierEntityId", minimum=0, maximum=INT32_MAX),
        "SupplierReference": obj.string("SupplierReference"),
        "TrackingInformation": tracking_out,
        "ItemExtensions": extensions,
    }
    return item


def _item_ids_or_defaults(obj: Obj, existing: dict[str, Any] | None) -> tuple[int, int]:
    """DEV-UPDATE-REQUIRED-FIELDS (003 §Updating an Order With Items: both ids Optional): a
    missing id is the stored item's, else follows from the other (each ItemStatusId belongs to
    one ItemType; a type's first status is its default)."""
    status_id = obj.integer("ItemStatusId")
    if obj.has("ItemTypeId"):
        type_id = _item_type_id(obj)
    elif existing is not None:
        type_id = int(existing["ItemTypeId"])
    elif status_id in enums.ITEM_STATUSES:
        type_id = enums.ITEM_STATUSES[status_id][0]
    else:
        raise bad_field(obj.name("ItemTypeId"), "is required for a new item without ItemStatusId")
    if status_id is None:
        status_id = (
            existing["ItemStatusId"]
            if existing is not None
            else min(k for k, (t, _) in enums.ITEM_STATUSES.items() if t == type_id)
        )
    return type_id, status_id


def _number_or(obj: Obj, key: str, default: int) -> int | float:
    value = obj.number(key)
    return default if value is None else value


def _int_or(obj: Obj, key: str, default: int) -> int:
    value = obj.integer(key, minimum=0, maximum=INT32_MAX)
    return default if value is None else value


def _unique_product_ids(items: list[dict[str, Any]], path: str) -> None:
    """004: ProductId, if provided, must be unique for each Item on the Order."""
    seen: set[str] = set()
    for index, item in enumerate(items):
        product = item.get("ProductId")
        if product is None:
            continue
        if product in seen:
            raise bad_field(
                f"{path}[{index}].ProductId" if path else "ProductId",
                f"{show(product)} is already the ProductId of another item of the order",
            )
        seen.add(product)


# ---- order model ----------------------------------------------------------------------------


def _new_printable_id(store: Store, conn: sqlite3.Connection) -> str:
    """System-generated, unique, in the shape of the 003/004 example ``8765-1234-987``."""
    rng = random.SystemRandom()
    while True:
        digits = f"{rng.randrange(10**11):011d}"
        candidate = f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"
        if not store.printable_id_taken(conn, candidate):
            return candidate


def _build_order(
    store: Store,
    conn: sqlite3.Connection,
    now: datetime,
    sent: dict[str, Any],
    profile: Profile = STRICT,
) -> dict[str, Any]:
    hours = sent.get("OrderExpiryHours")
    hours = DEFAULT_EXPIRY_HOURS if hours is None else hours
    state = sent.get("State") or "Created"
    if state not in ("Created", "Pending") and profile.orders_create_state_conflict:
        raise ApiError("transition", from_state="Created", to_state=state)
    if state not in ("Created", "Pending"):
        raise bad_field("State", f"a new order is Created or Pending, not {show(state)}")
    order: dict[str, Any] = {key: None for key in ORDER_FIELDS}
    order.update({key: value for key, value in sent.items() if key in order})
    order.update(
        {
            "Id": str(uuid.uuid4()),
            "CreatedDateUtc": orders_time(now),
            "OrderExpiryDate": orders_time(now + timedelta(hours=hours)),
            "OrderExpiryHours": hours,
            "OrderType": enums.ORDER_TYPES[sent["OrderTypeId"]],
            "PrintableId": _new_printable_id(store, conn),
            "ShippingEntityId": sent.get("ShippingEntityId") or 0,
            "State": state,
        }
    )
    _check_shipping_exclusive(order, profile)
    return order


def _apply_update(
    order: dict[str, Any], sent: dict[str, Any], now: datetime, profile: Profile = STRICT
) -> dict[str, Any]:
    """PUT merges: fields sent replace the stored ones, fields not sent are kept."""
    current = order["State"]
    wanted = sent.get("State", current)
    if profile.orders_repeated_pending_conflict and current == sent.get("State") == "Pending":
        raise ApiError("transition", from_state=current, to_state=wanted)  # DEV-REPEATED-PENDING
    manual = MANUAL_TRANSITIONS - (
        {("Pending", "Cancelled")} if profile.orders_no_manual_cancel else set()
    )
    if wanted != current and (current, wanted) not in manual:
        raise ApiError("transition", from_state=current, to_state=wanted)
    updated = dict(order)
    for key, value in sent.items():
        if key in updated:
            updated[key] = value
    updated["State"] = wanted
    if updated.get("ShippingEntityId") is None:
        updated["ShippingEntityId"] = 0
    if "OrderExpiryHours" in sent:
        hours = sent["OrderExpiryHours"]
        hours = DEFAULT_EXPIRY_HOURS if hours is None else hours
        updated["OrderExpiryHours"] = hours
        # DEV-EXPIRY-EXAMPLE: the hours count from the creation, or (lenient) from this update.
        created = parse_orders_time(order["CreatedDateUtc"])
        start = now if profile.orders_expiry_from_update else created
        updated["OrderExpiryDate"] = orders_time(start + timedelta(hours=hours))
    updated["OrderType"] = enums.ORDER_TYPES[updated["OrderTypeId"]]
    _check_shipping_exclusive(updated, profile)
    return updated


def _expired(store: Store, order: dict[str, Any]) -> bool:
    return store.clock.now() > parse_orders_time(order["OrderExpiryDate"])


def _load(store: Store, conn: sqlite3.Connection, cid: int, raw_id: str) -> dict[str, Any]:
    order = store.get_order(conn, cid, raw_id.lower()) if is_guid(raw_id) else None
    if order is None:
        raise ApiError("order_not_found", order_id=raw_id)
    return order


def _check_mutable(store: Store, order: dict[str, Any]) -> None:
    if _expired(store, order):
        raise ApiError("expired")


def _load_leaky(request: Request, bug: str, conn: sqlite3.Connection, cid: int) -> dict[str, Any]:
    """``_load``, or under ``bug`` the order whatever its company (a forgotten isolation)."""
    raw_id = request.path_params["order_id"]
    if active(request.app, bug) and is_guid(raw_id):
        found = _store(request).get_order_any_company(conn, raw_id.lower())
        if found is not None:
            return found
    return _load(_store(request), conn, cid, raw_id)


def _check_updatable(order: dict[str, Any], sent: dict[str, Any]) -> None:
    """Updates are accepted only while Created or Pending (ORD-STATE-004, ORD-FULL-005).

    004 §OrderFull: "can only be updated in the 'Pending' or 'Created' State"; an Order out of
    Processed, Cancelled or Completed has no manual transition left (ORD-STATE-002/003), so
    even repeating its state (Cancelled -> Cancelled) answers 409.
    """
    current = order["State"]
    if current not in UPDATABLE_STATES:
        raise ApiError("transition", from_state=current, to_state=sent.get("State", current))


# ---- handlers --------------------------------------------------------------------------------


def _company(request: Request, store: Store) -> int:
    identity = authenticate(request, store)
    return company_id(request.path_params["company_id"], identity)


async def create_order(request: Request) -> Response:
    store = _store(request)
    cid = _company(request, store)
    obj = Obj(await read_json(request), what="object (Order)")
    sent = _order_fields(
        obj, cid, store.directory, update=False, full=False, profile=_profile(request)
    )
    if active(request.app, "expiry-zero-hours-default") and sent.get("OrderExpiryHours") == 0:
        sent["OrderExpiryHours"] = None
    now = store.clock.now()
    with store.write() as conn:
        order = _build_order(store, conn, now, sent, _profile(request))
        store.insert_order(conn, cid, order)
    return JSONResponse(order, status_code=201)


async def create_order_full(request: Request) -> Response:
    store = _store(request)
    cid = _company(request, store)
    obj = Obj(await read_json(request), what="object (OrderFull)")
    sent = _order_fields(
        obj, cid, store.directory, update=False, full=True, profile=_profile(request)
    )
    raw_items = obj.value.get("Items") or []
    now = store.clock.now()
    with store.write() as conn:
        profile = _profile(request)
        order = _build_order(store, conn, now, sent, profile)
        items = [
            _item(raw, f"Items[{i}]", order["Id"], profile=profile)
            for i, raw in enumerate(raw_items)
        ]
        _unique_product_ids(items, "Items")
        store.insert_order(conn, cid, order)
        store.replace_items(conn, order["Id"], items)
    return JSONResponse({**order, "Items": items}, status_code=201)


_STATE = r"State\s+eq\s+'(?P<state>[^']*)'"
_ENTITY = r"EntityId\s+eq\s+(?P<entity>[+-]?\d+)"
_PRINTABLE = r"PrintableId\s+eq\s+'(?P<printable>(?:[^']|'')*)'"
FILTERS = [
    re.compile(rf"^\s*{_STATE}\s+and\s+{_ENTITY}\s*$"),
    re.compile(rf"^\s*{_STATE}\s*$"),
    re.compile(rf"^\s*{_ENTITY}\s*$"),
    re.compile(rf"^\s*{_PRINTABLE}\s*$"),
]


def parse_filter(text: str) -> dict[str, Any]:
    """The documented $filter forms (004 §GET Pending Orders by Location, §GET Orders by
    PrintableId); anything else answers 400 naming $filter."""
    for pattern in FILTERS:
        match = pattern.match(text)
        if match is None:
            continue
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        out: dict[str, Any] = {}
        if "state" in groups:
            if groups["state"] not in enums.ORDER_STATES:
                raise bad_field(
                    "$filter",
                    f"{show(groups['state'])} is not an OrderState "
                    f"({', '.join(enums.ORDER_STATES)})",
                )
            out["state"] = groups["state"]
        if "entity" in groups:
            digits = groups["entity"].lstrip("+-").lstrip("0")
            # Any integer is a valid EntityId to filter on, but one of more than ten digits
            # is no 32-bit location id (and int() refuses over 4,300 digits): it matches none.
            out["entity_id"] = int(groups["entity"]) if len(digits) <= 10 else -1
        if "printable" in groups:
            out["printable_id"] = groups["printable"].replace("''", "'")
        return out
    raise bad_field(
        "$filter",
        f"unsupported filter {show(text)}; supported: State eq '<state>', EntityId eq <id>, "
        "State eq '<state>' and EntityId eq <id>, PrintableId eq '<id>'",
    )


async def list_orders(request: Request) -> Response:
    store = _store(request)
    cid = _company(request, store)
    criteria: dict[str, Any] = {}
    profile = _profile(request)
    if "$filter" in request.query_params:
        try:
            parsed = parse_filter(request.query_params["$filter"])
            # DEV-FILTER-OTHER-STATES: the documents show the State filter with Pending only.
            if profile.orders_filter_pending_only and parsed.get("state", "Pending") != "Pending":
                raise bad_field("$filter", "only State eq 'Pending' is supported")
            criteria = parsed
        except ApiError:
            if not profile.orders_filter_any_shape:
                raise
    entity = criteria.get("entity_id")
    if entity is not None and not 0 <= entity <= INT32_MAX:
        return JSONResponse([])
    with store.read() as conn:
        orders = store.list_orders(conn, cid, **criteria)
    return JSONResponse(orders)


async def get_order(request: Request) -> Response:
    store = _store(request)
    cid = _company(request, store)
    with store.read() as conn:
        order = _load(store, conn, cid, request.path_params["order_id"])
    return JSONResponse(order)


async def update_order(request: Request) -> Response:
    store = _store(request)
    cid = _company(request, store)
    uri_id = request.path_params["order_id"]
    obj = Obj(await read_json(request), what="object (Order)")
    sent = _order_fields(
        obj, cid, store.directory, update=True, full=False, profile=_profile(request)
    )
    if not same_guid(obj.value["Id"], uri_id):
        raise ApiError("id_mismatch")
    with store.write() as conn:
        order = _load(store, conn, cid, uri_id)
        state_change = sent.get("State", order["State"]) != order["State"]
        if not (state_change and active(request.app, "expired-state-change-accepted")):
            _check_mutable(store, order)
        _check_updatable(order, sent)
        updated = _apply_update(order, sent, store.clock.now(), _profile(request))
        store.save_order(conn, updated)
    return JSONResponse(updated)


async def update_order_full(request: Request) -> Response:
    store = _store(request)
    cid = _company(request, store)
    uri_id = request.path_params["order_id"]
    obj = Obj(await read_json(request), what="object (OrderFull)")
    sent = _order_fields(
        obj, cid, store.directory, update=True, full=True, profile=_profile(request)
    )
    mismatch_accepted = active(request.app, "orderfull-id-mismatch-accepted")
    if not same_guid(obj.value["Id"], uri_id) and not mismatch_accepted:
        raise ApiError("id_mismatch")
    with store.write() as conn:
        order = _load(store, conn, cid, uri_id)
        if not active(request.app, "orderfull-expiry-ignored"):
            _check_mutable(store, order)
        profile = _profile(request)
        if profile.orders_full_update_refused_400 and order["State"] not in UPDATABLE_STATES:
            # DEV-ORDERFULL-REFUSAL: no document gives this refusal's status.
            raise bad_field("State", "an OrderFull is updated only while Created or Pending")
        if not ("State" not in sent and active(request.app, "orderfull-updates-processed")):
            _check_updatable(order, sent)
        cancels_created = (order["State"], sent.get("State")) == ("Created", "Cancelled")
        basis = (
            {**order, "State": "Pending"}
            if cancels_created and active(request.app, "orderfull-cancels-created")
            else order
        )
        updated = _apply_update(basis, sent, store.clock.now(), profile)
        items = store.list_items(conn, order["Id"])
        if "Items" in obj.value and obj.value["Items"] is not None:
            existing = {item["Id"]: item for item in items}
            items = []
            sent_ids: set[str] = set()
            for index, raw in enumerate(obj.value["Items"]):
                raw_id = raw.get("Id") if isinstance(raw, dict) else None
                match = existing.get(raw_id.lower()) if is_guid(raw_id) else None
                if match is not None and match["Id"] in sent_ids:
                    raise bad_field(
                        f"Items[{index}].Id", f"{show(raw_id)} is the Id of another item sent"
                    )
                if match is not None:
                    sent_ids.add(match["Id"])
                items.append(
                    _item(
                        raw,
                        f"Items[{index}]",
                        order["Id"],
                        existing=match,
                        profile=profile,
                        update=True,
                    )
                )
            if profile.orders_full_merges_items:
                items += [item for item in existing.values() if item["Id"] not in sent_ids]
            _unique_product_ids(items, "Items")
            store.replace_items(conn, order["Id"], items)
        store.save_order(conn, updated)
    return JSONResponse({**updated, "Items": items})


async def add_item(request: Request) -> Response:
    store = _store(request)
    cid = _company(request, store)
    raw = await read_json(request)
    with store.write() as conn:
        order = _load_leaky(request, "add-item-other-company", conn, cid)
        profile = _profile(request)
        item = _item(raw, "", order["Id"], profile=profile)
        if not profile.orders_expiry_updates_only:
            _check_mutable(store, order)
        if order["State"] not in UPDATABLE_STATES:
            raise ApiError("transition", from_state=order["State"], to_state=order["State"])
        items = store.list_items(conn, order["Id"])
        _unique_product_ids([*items, item], "")
        store.add_item(conn, order["Id"], item)
    return JSONResponse(item, status_code=201)


async def list_items(request: Request) -> Response:
    store = _store(request)
    cid = _company(request, store)
    with store.read() as conn:
        order = _load_leaky(request, "items-read-other-company", conn, cid)
        items = store.list_items(conn, order["Id"])
    return JSONResponse(items)


async def get_order_full(request: Request) -> Response:
    store = _store(request)
    cid = _company(request, store)
    with store.read() as conn:
        order = _load_leaky(request, "orderfull-read-other-company", conn, cid)
        items = store.list_items(conn, order["Id"])
    return JSONResponse({**order, "Items": items})


async def list_order_full(request: Request) -> Response:
    store = _store(request)
    cid = _company(request, store)
    with store.read() as conn:
        orders = store.list_orders(conn, cid)
        items = store.items_of_company(conn, cid)
    return JSONResponse([{**order, "Items": items.get(order["Id"], [])} for order in orders])


async def process_order(request: Request) -> Response:
    store = _store(request)
    cid = _company(request, store)
    uri_id = request.path_params["order_id"]
    obj = Obj(await read_json(request), what="object (ProcessRequest)")
    obj.only(("OrderId",), "ProcessRequest")
    body_id = obj.guid("OrderId", required=True)
    assert body_id is not None
    if not same_guid(body_id, uri_id) and not active(request.app, "process-id-mismatch-accepted"):
        raise ApiError("id_mismatch")
    now = store.clock.now()
    with store.write() as conn:
        order = _load(store, conn, cid, uri_id)
        profile = _profile(request)
        if not profile.orders_expiry_updates_only:
            _check_mutable(store, order)
        if order["State"] == "Processed" and profile.orders_process_repeatable:
            process_id = store.next_counter(conn, "process_seq")
            return JSONResponse({"Id": process_id, "OrderId": order["Id"]}, status_code=201)
        if order["State"] not in UPDATABLE_STATES:
            raise ApiError("transition", from_state=order["State"], to_state="Processed")
        billing = order.get("BillingCustomerId")
        if not billing or store.directory.customer_company.get(billing) != cid:
            if profile.orders_billing_message_bad_request:  # DEV-BILLING-MESSAGE
                raise ApiError("bad_field", detail="Bad Request")
            raise ApiError("billing_customer", customer_id=billing or "null", company_id=cid)
        order["State"] = "Processed"
        store.save_order(conn, order)
        _dropship_link(store, conn, now, cid, order, request.app)
        process_id = store.next_counter(conn, "process_seq")
    return JSONResponse({"Id": process_id, "OrderId": order["Id"]}, status_code=201)


def _dropship_link(
    store: Store,
    conn: sqlite3.Connection,
    now: datetime,
    cid: int,
    order: dict[str, Any],
    app: Any = None,
) -> None:
    """ASSUME-ORDERS-TO-DROPSHIP: one dropship order per supplier of the DropShip items.

    ``app`` carries the conditional bugs (:mod:`.bugs`) that break this link.
    """
    directory = store.directory
    items = store.list_items(conn, order["Id"])
    groups: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        supplier = item.get("SupplierEntityId")
        if item["ItemTypeId"] == str(enums.DROPSHIP_ITEM_TYPE) and supplier in directory.suppliers:
            groups.setdefault(supplier, []).append(item)
    if not groups:
        return
    if active(app, "process-first-supplier-takes-all"):
        groups = {next(iter(groups)): [item for group in groups.values() for item in group]}
    if active(app, "process-feeds-first-supplier-only"):
        groups = dict(list(groups.items())[:1])
    address, customer, ship_to_store = _shipping(directory, order)
    for supplier, group in groups.items():
        if active(app, "process-drops-items-after-four"):
            group = group[:4]
        ds_items = [
            {
                "catalog-id": _catalog_id(item),
                "description": item.get("Description") or "",
                "quantity": (1 if active(app, "feed-quantity-one") else item.get("Quantity") or 0),
                "selling-price": item.get("SellingPrice") or 0,
                "sku": item.get("SKU") or item.get("ProductId") or item["Id"],
            }
            for item in group
        ]
        dropship_model.create_dropship_order(
            store,
            conn,
            now,
            supplier_id=supplier,
            company_id=cid,
            location_id=order["EntityId"],
            po_reference=order.get("TenderId") or order["PrintableId"],
            printable_id=order["PrintableId"],
            ship_to_store=ship_to_store,
            shipping_entity_id=order.get("ShippingEntityId") or 0,
            shipping_address=address,
            shipping_customer=customer,
            shipping_method=next(
                (i["ShippingOptionId"] for i in group if i.get("ShippingOptionId")), ""
            ),
            items=ds_items,
            source_order_id=order["Id"],
            orders_item_ids=[item["Id"] for item in group],
        )
        for item in group:
            item["ItemStatusId"] = enums.DROPSHIP_PROCESSED
            item["ItemStatus"] = enums.ITEM_STATUSES[enums.DROPSHIP_PROCESSED][1]
            store.save_item(conn, item)


def _catalog_id(item: dict[str, Any]) -> str:
    """item-information/catalog-id must be a GUID: the ProductId when it is one (004:
    "Generally, this is a CatalogItemId"), else a stable GUID derived from it."""
    product = item.get("ProductId")
    if is_guid(product):
        return str(product).lower()
    basis = product or item.get("SKU") or item["Id"]
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"dropship-sandbox:product:{basis}"))


ZERO_GUID = "00000000-0000-0000-0000-000000000000"


def _shipping(
    directory: Directory, order: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Shipping address, shipping customer and ship-to-store of the dropship order.

    Ship to store (ShippingEntityId non-zero): the store's address, with its name as
    business-name and type "Store" (002 §Step 2: the type tells a store from a customer
    address), and the billing customer as the customer to notify. Otherwise the shipping
    customer (or the billing customer) and the shipping address (or the customer's first).
    """
    store_id = order.get("ShippingEntityId") or 0
    address: dict[str, Any] | None
    if store_id:
        address = dropship_model.store_address(directory, store_id)
        customer_id = order.get("BillingCustomerId")
    else:
        customer_id = order.get("ShippingCustomerId") or order.get("BillingCustomerId")
        address_id = order.get("ShippingAddressId")
        if address_id is None and customer_id:
            address_id = next(iter(directory.customer_addresses.get(customer_id, [])), None)
        address = directory.addresses.get(address_id or "")
        if address is None:
            address = {"address-id": address_id or ZERO_GUID}
            address.update({key: None for key in ADDRESS_FIELDS})
    customer = directory.customers.get(customer_id or "")
    if customer is None:
        customer = {key: None for key in CUSTOMER_FIELDS}
        customer["customer-id"] = customer_id or ZERO_GUID
    return address, customer, bool(store_id)


def routes(base: str = BASE_PATH) -> list[Route]:
    """The Orders routes; ``{x:seg}`` captures a path segment (possibly empty) as text."""
    company = f"{base}/Companies({{company_id:seg}})"
    order = f"{company}/Orders({{order_id:seg}})"
    full = f"{company}/OrderFull({{order_id:seg}})"
    table = [
        Route(f"{company}/Orders", create_order, methods=["POST"]),
        Route(f"{company}/Orders", list_orders, methods=["GET"]),
        Route(order, get_order, methods=["GET"]),
        Route(order, update_order, methods=["PUT"]),
        Route(f"{order}/Items", add_item, methods=["POST"]),
        Route(f"{order}/Items", list_items, methods=["GET"]),
        Route(f"{order}/Process", process_order, methods=["POST"]),
        Route(f"{company}/OrderFull", create_order_full, methods=["POST"]),
        Route(f"{company}/OrderFull", list_order_full, methods=["GET"]),
        Route(full, get_order_full, methods=["GET"]),
        Route(full, update_order_full, methods=["PUT"]),
    ]
    return [Route(r.path, _auth_errors(r.endpoint), methods=r.methods) for r in table]


def _auth_errors(handler: Callable[[Request], Awaitable[Response]]) -> Callable[..., Any]:
    """003/004 list no 401 row and no 404 for a path that names no well-formed order: with
    ``orders_plain_auth_errors`` both are bare text answers, as a gateway in front of the API
    would give them (DEV-ORDERS-UNDOCUMENTED-ERRORS)."""

    async def answer(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as error:
            if not _profile(request).orders_plain_auth_errors:
                raise
            if error.status == 401:
                return PlainTextResponse(
                    "Unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"}
                )
            if error.status == 404 and not is_guid(request.path_params.get("order_id")):
                return PlainTextResponse("Not Found", status_code=404)
            raise

    return answer
