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
from .clock import atom_time
from .enums import ds_status_name
from .errors import ApiError, bad_field
from .feed import MEDIA_TYPE, render_page
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
    return request.app.state.store


def _feed_response(request: Request, store: Store, page_id: str | None, sid: int) -> Response:
    """Render the current page (page_id None) or the page ``page_id`` of supplier ``sid``."""
    if page_id is None:
        page = store.current_page(sid, atom_time(store.clock.now()))
        page_id = page.id
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
        key = (store.generation, page.id, page.archived, page.count, base)
        body = cache.get(key)
        if body is None:
            prev_id, next_id, _current, entries = store.page_document_data(page)
    if body is None:
        body = render_page(base, page, prev_id, next_id, entries)
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


def _status(obj: Obj, key: str, what: str) -> str:
    if not obj.has(key) or obj.value[key] is None:
        raise bad_field(obj.name(key), "is required")
    value = obj.value[key]
    name = ds_status_name(value)
    if name is None:
        raise bad_field(
            obj.name(key),
            f"{show(value)} is not an {what} name or id (a name such as 'Shipped', or an "
            "integer 0-8)",
        )
    return name


def _load_order(conn: Any, store: Store, sid: int, order_id: str) -> Any:
    row = store.get_ds_order(conn, sid, order_id.lower()) if is_guid(order_id) else None
    if row is None:
        raise ApiError("order_not_found", order_id=order_id)
    return row


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
    status = _status(obj, "Status", "OrderStatus")
    for field in UPDATE_TEXT_FIELDS:
        obj.string(field)
    assert body_id is not None
    if not same_guid(body_id, uri_id):
        raise ApiError("id_mismatch")
    now = store.clock.now()
    with store.write() as conn:
        row = _load_order(conn, store, sid, uri_id)
        dropship_model.apply_order_status_update(store, conn, now, row, body, status)
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
    infos = obj.array("ItemInformation", required=True, min_items=1)
    assert body_id is not None and infos is not None
    statuses = []
    for index, info in enumerate(infos):
        item = Obj(info, f"ItemInformation[{index}]")
        item.only(ITEM_INFORMATION_FIELDS, "ItemInformation")
        item.string("Sku", required=True, min_length=1)
        statuses.append(_status(item, "Status", "ItemStatus"))
        item.guid("CatalogId")
        item.integer("Quantity", minimum=0, maximum=INT32_MAX)
        item.string("ProductName")
        for field in UPDATE_TEXT_FIELDS:
            item.string(field)
    if not same_guid(body_id, uri_id):
        raise ApiError("id_mismatch")
    now = store.clock.now()
    with store.write() as conn:
        row = _load_order(conn, store, sid, uri_id)
        skus = {item["sku"] for item in dropship_model.order_items(row)}
        for index, info in enumerate(infos):
            if info["Sku"] not in skus:
                raise bad_field(
                    f"ItemInformation[{index}].Sku",
                    f"{show(info['Sku'])} is not a SKU of order {row['id']}",
                )
        dropship_model.apply_item_status_update(store, conn, now, row, body, statuses)
    return JSONResponse(body, status_code=202)


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
