"""Routes of the Supplier Orders (dropship) API, mounted at ``/dropship/v1``.

Operations (specs/dropship.openapi.yaml): getNotifications, getNotificationsPage,
putOrderStatusUpdate, putItemStatusUpdate. Order of checks in every handler: the route
(404 ``Not found`` for an unknown path), the bearer token (401), the SupplierId (400 /
401), the body (415 / 413 / 400), the body Id against the URI (400), the order (404).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import dropship_model
from .auth import authenticate, supplier_id
from .bugs import active
from .clock import atom_time
from .enums import DROPSHIP_ITEM_TYPE, ds_status_name
from .errors import ApiError, bad_field
from .feed import MEDIA_TYPE, render_page
from .profile import Profile
from .store import PageRow, Store
from .validation import INT32_MAX, Obj, is_guid, read_json, same_guid, show

UPDATE_TEXT_FIELDS = (
    "Message",
    "TrackingInfo",
    "ShippingProvider",
    "Info",
    "ReferenceName",
    "ReferenceValue",
)
ORDER_STATUS_UPDATE_FIELDS = ("Id", "Status", *UPDATE_TEXT_FIELDS)
ITEM_STATUS_UPDATE_FIELDS = ("Id", "ItemInformation")
ITEM_INFORMATION_FIELDS = (
    "Sku",
    "Status",
    "ProductName",
    "CatalogId",
    "Quantity",
    *UPDATE_TEXT_FIELDS,
)


BASE_PATH = "/dropship/v1"  # ASSUME-SANDBOX-PATHS


def api_base(request: Request) -> str:
    """Absolute URL of the API root, e.g. ``http://127.0.0.1:8080/dropship/v1``."""
    url = request.url
    return f"{url.scheme}://{url.netloc}{request.scope.get('root_path', '')}{BASE_PATH}"


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _feed_response(request: Request, store: Store, page_id: str | None, sid: int) -> Response:
    """Render the current page (page_id None) or the page ``page_id`` of supplier ``sid``."""
    profile: Profile = request.app.state.profile
    current_id = None
    if page_id is None or profile.newest_archive_without_next:
        current_id = store.current_page(sid, atom_time(store.clock.now())).id
    page_id = page_id or current_id
    base = api_base(request)
    cache = request.app.state.render_cache
    with store.read() as conn:
        row = conn.execute(
            "SELECT * FROM pages WHERE id = ? AND supplier_id = ?", (page_id, sid)
        ).fetchone()
        if row is None:
            raise ApiError("bad_page_id")
        page = PageRow(
            row["id"],
            row["supplier_id"],
            row["seq"],
            bool(row["archived"]),
            row["count"],
            row["created"],
        )
        # An archive's next-archive link names the current page until it is archived in turn;
        # a profile that leaves that link out renders the page differently once it is.
        key = (store.generation, page.id, page.archived, page.count, base, current_id)
        body = cache.get(key)
        if body is None:
            prev_id, next_id, current_id, entries = store.page_document_data(page)
    if body is None:
        if profile.newest_archive_without_next and next_id == current_id:
            next_id = None
        oldest_archive = page.archived and prev_id is None
        if oldest_archive and active(request.app, "oldest-archive-drops-last-entry"):
            entries = entries[:-1]
        if oldest_archive and active(request.app, "oldest-archive-prev-self"):
            prev_id = page.id
        body = render_page(base, page, prev_id, next_id, entries, profile)
        cache.put(key, body)
    headers = {"Cache-Control": "max-age=86400" if page.archived else "no-cache"}
    return Response(body, media_type=MEDIA_TYPE, headers=headers)


async def get_notifications(request: Request) -> Response:
    """getNotifications: the current feed document (000 §Get Order Feed)."""
    store = _store(request)
    identity = authenticate(request, store)
    sid = supplier_id(request.path_params["supplier_id"], identity, store.directory.suppliers)
    return _feed_response(request, store, None, sid)


async def get_notifications_page(request: Request) -> Response:
    """getNotificationsPage: any page of the supplier's feed, archive or current.

    A PageId that is not a GUID, or not a page of this supplier, answers 400 ``The request
    is invalid`` (001 §ERRORS: "Occurs when entering an incorrect PageId in the uri").
    """
    store = _store(request)
    identity = authenticate(request, store)
    sid = supplier_id(request.path_params["supplier_id"], identity, store.directory.suppliers)
    raw = request.path_params["page_id"]
    if not is_guid(raw):
        raise ApiError("bad_page_id")
    return _feed_response(request, store, raw.lower(), sid)


def _status(obj: Obj, key: str, what: str, profile: Profile) -> str:
    """The status name; a numeric string ("6") is its id under ``numeric_string_status``
    (DEV-STATUS-NAME-OR-ID)."""
    if not obj.has(key) or obj.value[key] is None:
        raise bad_field(obj.name(key), "is required")
    value = obj.value[key]
    if profile.numeric_string_status and isinstance(value, str) and value.isdigit():
        value = int(value)
    name = ds_status_name(value)
    if name is None:
        raise bad_field(
            obj.name(key),
            f"{show(value)} is not an {what} name or id (a name such as 'Shipped', or an "
            "integer 0-8)",
        )
    return name


def _load_order(conn: Any, store: Store, sid: int, order_id: str, profile: Profile) -> Any:
    """The supplier's order; 404, or 400 under ``unknown_order_400``
    (DEV-DROPSHIP-UNDOCUMENTED-ERRORS)."""
    row = store.get_ds_order(conn, sid, order_id.lower()) if is_guid(order_id) else None
    if row is None:
        raise ApiError(
            "bad_page_id" if profile.unknown_order_400 else "order_not_found", order_id=order_id
        )
    return row


def _text_fields(obj: Obj, profile: Profile) -> dict[str, Any]:
    """The update's text fields as stored and fed; a JSON-integer TrackingInfo is its digits
    under ``numeric_tracking_info`` (DEV-NUMERIC-TRACKINGINFO)."""
    tracking = obj.value.get("TrackingInfo")
    numeric = (
        profile.numeric_tracking_info
        and isinstance(tracking, int)
        and not isinstance(tracking, bool)
    )
    for field in UPDATE_TEXT_FIELDS:
        if not (numeric and field == "TrackingInfo"):
            obj.string(field)
    return {"TrackingInfo": str(tracking)} if numeric else {}


def _check_tracking(obj: Obj, status: str, profile: Profile, *, item: bool) -> None:
    """``item_tracking_required`` (000: item TrackingInfo Required, DEV-ITEM-TRACKING-REQUIRED)
    and ``shipped_requires_tracking`` (001 §OVERVIEW, DEV-SHIPPED-TRACKING)."""
    needed = ["TrackingInfo"] if item and profile.item_tracking_required else []
    if status == "Shipped" and profile.shipped_requires_tracking:
        needed += ["TrackingInfo", "ShippingProvider"]
    for field in needed:
        if obj.value.get(field) in (None, ""):
            raise bad_field(obj.name(field), f"is required when Status is {status}")


def _check_id(body_id: str, uri_id: str, profile: Profile) -> None:
    """400 on a body Id other than the URI's, unless ``body_id_mismatch_accepted`` (001's
    examples, DEV-BODY-ID-MISMATCH): then the URI's order is the one updated."""
    if not same_guid(body_id, uri_id) and not profile.body_id_mismatch_accepted:
        raise ApiError("id_mismatch")


async def put_order_status_update(request: Request) -> Response:
    """putOrderStatusUpdate: 202 with the echo of what was sent (001, 002; DEV-UPDATE-202)."""
    store = _store(request)
    identity = authenticate(request, store)
    sid = supplier_id(request.path_params["supplier_id"], identity, store.directory.suppliers)
    uri_id = request.path_params["order_id"]
    body = await read_json(request)
    obj = Obj(body, what="object (OrderStatusUpdate)")
    obj.only(ORDER_STATUS_UPDATE_FIELDS, "OrderStatusUpdate")
    body_id = obj.guid("Id", required=True)
    profile: Profile = request.app.state.profile
    status = _status(obj, "Status", "OrderStatus", profile)
    stored = _first_number(request, {**body, **_text_fields(obj, profile)})
    _check_tracking(obj, status, profile, item=False)
    assert body_id is not None
    _check_id(body_id, uri_id, profile)
    now = store.clock.now()
    with store.write() as conn:
        row = _load_order(conn, store, sid, uri_id, profile)
        dropship_model.apply_order_status_update(
            store, conn, now, row, stored, status, profile=profile
        )
    return JSONResponse(body, status_code=202)


async def put_item_status_update(request: Request) -> Response:
    """putItemStatusUpdate: every Sku must be on the order; 202 with the echo."""
    store = _store(request)
    identity = authenticate(request, store)
    sid = supplier_id(request.path_params["supplier_id"], identity, store.directory.suppliers)
    uri_id = request.path_params["order_id"]
    body = await read_json(request)
    obj = Obj(body, what="object (ItemStatusUpdate)")
    obj.only(ITEM_STATUS_UPDATE_FIELDS, "ItemStatusUpdate")
    body_id = obj.guid("Id", required=True)
    profile: Profile = request.app.state.profile
    # ``item_information_optional``: 000 lists ItemInformation as optional
    # (DEV-ITEMINFORMATION-REQUIRED); such an update names no item and records nothing.
    optional = profile.item_information_optional
    infos = obj.array("ItemInformation", required=not optional, min_items=0 if optional else 1)
    assert body_id is not None
    infos = infos or []
    statuses: list[str] = []
    stored_infos = []
    for index, info in enumerate(infos):
        item = Obj(info, f"ItemInformation[{index}]")
        item.only(ITEM_INFORMATION_FIELDS, "ItemInformation")
        item.string("Sku", required=True, min_length=1)
        statuses.append(_item_status(request, item, statuses, profile))
        item.guid("CatalogId")
        item.integer("Quantity", minimum=0, maximum=INT32_MAX)
        item.string("ProductName")
        stored_infos.append(_first_number(request, {**info, **_text_fields(item, profile)}))
        _check_tracking(item, statuses[-1], profile, item=True)
    _check_id(body_id, uri_id, profile)
    now = store.clock.now()
    with store.write() as conn:
        leaky = active(request.app, "item-status-other-supplier")
        row = (leaky and _any_supplier_order(conn, store, uri_id)) or _load_order(
            conn, store, sid, uri_id, profile
        )
        order_items = dropship_model.order_items(row)
        skus = {item["sku"] for item in order_items}
        if active(request.app, "second-supplier-item-update-refused"):
            skus = _first_supplier_skus(conn, store, row) or skus
        for index, info in enumerate(infos):
            if info["Sku"] not in skus:
                raise bad_field(
                    f"ItemInformation[{index}].Sku",
                    f"{show(info['Sku'])} is not a SKU of order {row['id']}",
                )
        if active(request.app, "item-update-first-sku-only"):
            stored_infos, statuses = stored_infos[:1], statuses[:1]
        if active(request.app, "item-update-lines-by-position"):
            stored_infos = _by_position(stored_infos, order_items)
        if infos:
            dropship_model.apply_item_status_update(
                store,
                conn,
                now,
                row,
                {**body, "ItemInformation": stored_infos},
                statuses,
                profile=profile,
            )
    echo = _echo_as_000(body, order_items) if profile.echo_as_000 else body
    return JSONResponse(echo, status_code=202)


def _item_status(request: Request, item: Obj, earlier: list[str], profile: Profile) -> str:
    """``_status`` of an ItemInformation, loosened by the conditional bugs of :mod:`.bugs`."""
    value = item.value.get("Status")
    if earlier and value is None and active(request.app, "item-information-first-entry-checked"):
        return earlier[0]
    if (
        isinstance(value, str)
        and ds_status_name(value) is None
        and active(request.app, "item-status-unknown-status")
    ):
        return value
    return _status(item, "Status", "ItemStatus", profile)


def _first_number(request: Request, update: dict[str, Any]) -> dict[str, Any]:
    """Under ``tracking-first-number-only``, a comma-delimited TrackingInfo is cut to its first
    number."""
    tracking = update.get("TrackingInfo")
    if isinstance(tracking, str) and active(request.app, "tracking-first-number-only"):
        return {**update, "TrackingInfo": tracking.split(",")[0]}
    return update


def _first_supplier_skus(conn: Any, store: Store, row: Any) -> set[str]:
    """Under ``second-supplier-item-update-refused``: the SKUs of the DropShip items of the
    Orders API order's first supplier (empty for an order not made by Process), as if every
    dropship order of a processed order held the first supplier's items."""
    if not row["source_order_id"]:
        return set()
    suppliers = store.directory.suppliers
    items = [
        item
        for item in store.list_items(conn, row["source_order_id"])
        if item["ItemTypeId"] == str(DROPSHIP_ITEM_TYPE)
        and item.get("SupplierEntityId") in suppliers
    ]
    if not items:
        return set()
    first = items[0]["SupplierEntityId"]
    return {
        item.get("SKU") or item.get("ProductId") or item["Id"]
        for item in items
        if item["SupplierEntityId"] == first
    }


def _by_position(
    infos: list[dict[str, Any]], order_items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Under ``item-update-lines-by-position``: the lines of an update naming several SKUs are
    zipped with the named items in the order's own order (as a ``WHERE sku IN (...)`` query
    returns them), so line i's values go to the i-th named item, whatever its Sku."""
    named = {info["Sku"] for info in infos}
    in_order = list(dict.fromkeys(item["sku"] for item in order_items if item["sku"] in named))
    if len(infos) < 2 or len(in_order) != len(infos):
        return infos
    return [{**info, "Sku": sku} for info, sku in zip(infos, in_order, strict=True)]


def _any_supplier_order(conn: Any, store: Store, order_id: str) -> Any:
    """The dropship order ``order_id`` of whichever supplier holds it (a forgotten isolation)."""
    if not is_guid(order_id):
        return None
    rows = (store.get_ds_order(conn, sid, order_id.lower()) for sid in store.directory.suppliers)
    return next((row for row in rows if row is not None), None)


def _echo_as_000(body: dict[str, Any], order_items: list[dict[str, Any]]) -> dict[str, Any]:
    """``echo_as_000``: the 000 §Update Item Status response: no ProductName, the order's
    CatalogId (when a GUID) and Quantity, null reserved fields (DEV-ECHO-ENRICHED)."""
    by_sku = {item["sku"]: item for item in order_items}
    echoed = []
    for info in body.get("ItemInformation") or []:
        own = by_sku.get(info.get("Sku"), {})
        known = {
            "CatalogId": own.get("catalog-id") if is_guid(own.get("catalog-id")) else None,
            "Quantity": own.get("quantity"),
            **dict.fromkeys(("ReferenceName", "ReferenceValue", "Info", "Message")),
        }
        sent = {key: value for key, value in info.items() if key != "ProductName"}
        echoed.append({**known, **sent})
    return {**body, "ItemInformation": echoed} if "ItemInformation" in body else body


def routes(base: str = BASE_PATH) -> list[Route]:
    """The dropship routes; ``{x:seg}`` captures a path segment (possibly empty) as text."""
    prefix = f"{base}/Suppliers({{supplier_id:seg}})"
    return [
        Route(f"{prefix}/Notifications", get_notifications, methods=["GET"]),
        Route(
            f"{prefix}/Notifications/Pages({{page_id:seg}})",
            get_notifications_page,
            methods=["GET"],
        ),
        Route(
            f"{prefix}/Orders({{order_id:seg}})/OrderStatusUpdate",
            put_order_status_update,
            methods=["PUT"],
        ),
        Route(
            f"{prefix}/Orders({{order_id:seg}})/ItemStatusUpdate",
            put_item_status_update,
            methods=["PUT"],
        ),
    ]
