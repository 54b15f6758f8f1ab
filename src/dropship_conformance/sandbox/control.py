"""The sandbox-only test-control API, mounted at ``/_sandbox``.

Off unless asked for (``sandbox --control``, or ``--control-token T`` to serve it only to
``Authorization: Bearer T``): it can reset the sandbox and lists every token. The embedded
sandbox of ``run`` and ``verify-client`` (``serve_in_thread``) has it on, without a token.

It exists only in the sandbox (ASSUME-SANDBOX-PATHS): a harness detects a sandbox by
``GET /_sandbox/info`` answering 200 with ``"sandbox": true``. All bodies are JSON; errors
are ``{"Message": "..."}`` like the public APIs.

``GET  /_sandbox/info``
    ``"sandbox": true``, version, base paths and absolute URLs of both APIs, the default
    token/supplier/company, ``identities`` (every token with the suppliers and companies it
    stands for), ``tokens``, the seeded suppliers and companies (locations, customers,
    addresses, employees) and the sandbox clock.

``POST /_sandbox/suppliers/{SupplierId}/orders``
    Create a dropship order for the supplier and append its ``order-created`` event.
    Body (optional, every field optional)::

        {"items": [{"sku": "AB-1", "quantity": 1, "selling-price": 9.99,
                    "description": "...", "catalog-id": "<guid>"}],
         "company-id": 14146, "location-id": 14202,
         "ship-to-store": false, "shipping-entity-id": 14203,
         "customer-id": "<guid>", "address-id": "<guid>",
         "po-reference": "PO1", "printable-id": "P1", "shipping-method": "1"}

    Defaults: one item, company 14146 at location 14202, shipping to customer
    659c2a38-... at address a08b0640-... (or, with ship-to-store, to the company's other
    location). Answers 201 with the order view (``id`` is the dropship order id).

``GET  /_sandbox/suppliers/{SupplierId}/orders/{OrderId}``
    The order view: the order-created payload, order status, per-item status and
    tracking, and every status update received (as sent).

``POST /_sandbox/suppliers/{SupplierId}/events``  ``{"count": N}``
    Append N synthetic order-created events (N small orders) in one transaction, to build
    archives quickly (1 <= N <= 200000). Answers 201 with the feed's page/entry counts.

``POST /_sandbox/clock``  ``{"advance_hours": h}``  (h >= 0)
    Move the sandbox clock forward (order expiry, 004 OrderExpiryDate). ``GET`` reads it.

``POST /_sandbox/companies/{CompanyId}/orders/{OrderId}/state``  ``{"State": "Completed"}``
    Force an Orders API order into any state, bypassing the state machine (to test the
    transitions out of states the public API cannot reach, e.g. Completed).

``POST /_sandbox/reset``
    Drop every order, event and clock offset; back to the seeded state.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import __version__
from . import dropship_model, enums, seed
from .errors import ApiError, bad_field
from .store import MAX_CLOCK_OFFSET_SECONDS, Store
from .validation import Obj, decimal_number, is_guid, positive_int32, read_json, show

MAX_SYNTHETIC = 200_000
DROPSHIP_BASE = "/dropship/v1"
ORDERS_BASE = "/orders/v1"
CONTROL_BASE = "/_sandbox"


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _root(request: Request) -> str:
    url = request.url
    return f"{url.scheme}://{url.netloc}{request.scope.get('root_path', '')}"


async def _optional_json(request: Request) -> Obj:
    """Control bodies are optional: an empty body is ``{}``."""
    body = await request.body()
    if not body.strip():
        return Obj({})
    return Obj(await read_json(request))


def _supplier(request: Request, store: Store) -> int:
    raw = request.path_params["supplier_id"]
    value = positive_int32(raw)
    if value is None or value not in store.directory.suppliers:
        raise bad_field("SupplierId", f"{show(raw)} is not a supplier of the sandbox")
    return value


def info_document(store: Store, root: str) -> dict[str, Any]:
    d = store.directory
    return {
        "sandbox": True,
        "name": "dropship-conformance reference sandbox",
        "version": __version__,
        "base_paths": {"dropship": DROPSHIP_BASE, "orders": ORDERS_BASE, "control": CONTROL_BASE},
        "urls": {
            "dropship": root + DROPSHIP_BASE,
            "orders": root + ORDERS_BASE,
            "control": root + CONTROL_BASE,
        },
        "default_token": seed.DEFAULT_TOKEN,
        "default_supplier_id": seed.TOKENS[0]["suppliers"][0],
        "default_company_id": seed.TOKENS[0]["companies"][0],
        "identities": [
            {
                "token": identity.token,
                "suppliers": sorted(identity.suppliers),
                "companies": sorted(identity.companies),
                "description": identity.description,
            }
            for identity in d.tokens.values()
        ],
        "tokens": list(d.tokens),
        "suppliers": [{"id": sid, "name": name} for sid, name in sorted(d.suppliers.items())],
        "companies": [
            {
                "id": company["id"],
                "name": company["name"],
                "locations": [loc["id"] for loc in company["locations"]],
                "employees": company.get("employees", []),
                "customers": [
                    {
                        "id": entry["customer"]["customer-id"],
                        "addresses": [a["address-id"] for a in entry.get("addresses", [])],
                    }
                    for entry in company.get("customers", [])
                ],
            }
            for company in d.companies.values()
        ],
        "clock": _clock(store),
    }


def _clock(store: Store) -> dict[str, Any]:
    return {
        "now": store.clock.now().isoformat(),
        "offset_hours": store.clock.offset_seconds / 3600.0,
    }


async def info(request: Request) -> Response:
    return JSONResponse(info_document(_store(request), _root(request)))


async def reset(request: Request) -> Response:
    store = _store(request)
    store.reset()
    return JSONResponse(info_document(store, _root(request)))


async def get_clock(request: Request) -> Response:
    return JSONResponse(_clock(_store(request)))


async def advance_clock(request: Request) -> Response:
    store = _store(request)
    obj = await _optional_json(request)
    obj.only(("advance_hours",), "the clock request")
    hours = obj.number("advance_hours", required=True)
    assert hours is not None
    room = (MAX_CLOCK_OFFSET_SECONDS - store.clock.offset_seconds) / 3600.0
    if not 0 <= hours <= room:
        raise bad_field(
            "advance_hours",
            f"must be between 0 and {room:.0f}: the clock only moves on, and at most "
            f"{MAX_CLOCK_OFFSET_SECONDS // 3600} hours ahead in all (POST /_sandbox/reset "
            "moves it back)",
        )
    store.advance_clock(float(hours))
    return JSONResponse(_clock(store))


def _order_items(obj: Obj) -> list[dict[str, Any]]:
    raw = obj.array("items", min_items=1)
    if raw is None:
        return [
            {
                "catalog-id": str(uuid.uuid4()),
                "description": "Sandbox item",
                "quantity": 1,
                "selling-price": "9.99",
                "sku": f"SBX-{uuid.uuid4().hex[:8].upper()}",
            }
        ]
    items = []
    skus: set[str] = set()
    for index, entry in enumerate(raw):
        item = Obj(entry, f"items[{index}]")
        item.only(("sku", "quantity", "selling-price", "description", "catalog-id"), "an item")
        sku = item.string("sku", required=True, min_length=1)
        assert sku is not None
        if sku in skus:
            raise bad_field(item.name("sku"), f"{show(sku)} is already the SKU of another item")
        skus.add(sku)
        quantity = item.integer("quantity", minimum=0, maximum=2147483647)
        price = item.value.get("selling-price", 0)
        if not decimal_number(price):
            raise bad_field(
                item.name("selling-price"),
                f"must be a decimal of at most 15 integer and 10 fraction digits, not "
                f"{show(price)}",
            )
        price_text = dropship_model.decimal_text(price)
        items.append(
            {
                "catalog-id": item.guid("catalog-id") or str(uuid.uuid4()),
                "description": item.string("description") or "",
                "quantity": 1 if quantity is None else quantity,
                "selling-price": price_text,
                "sku": sku,
            }
        )
    return items


async def create_order(request: Request) -> Response:
    store = _store(request)
    sid = _supplier(request, store)
    obj = await _optional_json(request)
    obj.only(
        (
            "items",
            "company-id",
            "location-id",
            "ship-to-store",
            "shipping-entity-id",
            "customer-id",
            "address-id",
            "po-reference",
            "printable-id",
            "shipping-method",
        ),
        "the order request",
    )
    d = store.directory
    items = _order_items(obj)
    company_id = obj.integer("company-id") or seed.TOKENS[0]["companies"][0]
    company = d.companies.get(company_id)
    if company is None:
        raise bad_field("company-id", f"{company_id} is not a company of the sandbox")
    locations = [loc["id"] for loc in company["locations"]]
    location_id = obj.integer("location-id") or locations[0]
    if location_id not in locations:
        raise bad_field("location-id", f"{location_id} is not a location of company {company_id}")
    ship_to_store = bool(obj.boolean("ship-to-store"))
    store_id = obj.integer("shipping-entity-id")
    customers = [entry["customer"]["customer-id"] for entry in company.get("customers", [])]
    customer_id = obj.guid("customer-id")
    customer_id = customer_id.lower() if customer_id else customers[0]
    if customer_id not in customers:
        raise bad_field("customer-id", f"{customer_id} is not a customer of company {company_id}")
    if ship_to_store:
        if store_id is None:
            store_id = next((loc for loc in locations if loc != location_id), location_id)
        if store_id not in locations:
            raise bad_field(
                "shipping-entity-id", f"{store_id} is not a location of company {company_id}"
            )
        address = dropship_model.store_address(d, store_id)
    else:
        if store_id:
            raise bad_field("shipping-entity-id", "is only allowed with ship-to-store true")
        address_id = obj.guid("address-id")
        address_id = address_id.lower() if address_id else d.customer_addresses[customer_id][0]
        if address_id not in d.customer_addresses[customer_id]:
            raise bad_field(
                "address-id", f"{address_id} is not an address of customer {customer_id}"
            )
        address = d.addresses[address_id]
    now = store.clock.now()
    with store.write() as conn:
        serial = store.next_counter(conn, "control_order_seq")
        model = dropship_model.create_dropship_order(
            store,
            conn,
            now,
            supplier_id=sid,
            company_id=company_id,
            location_id=location_id,
            po_reference=obj.string("po-reference") or f"SBXPO{serial:06d}",
            printable_id=obj.string("printable-id") or f"SBX{serial:06d}",
            ship_to_store=ship_to_store,
            shipping_entity_id=store_id or 0,
            shipping_address=address,
            shipping_customer=d.customers[customer_id],
            shipping_method=obj.string("shipping-method") or "1",
            items=items,
        )
        row = store.get_ds_order(conn, sid, model["order-id"])
        view = dropship_model.order_view(store, conn, row)
    return JSONResponse(view, status_code=201)


async def get_order(request: Request) -> Response:
    store = _store(request)
    sid = _supplier(request, store)
    order_id = request.path_params["order_id"]
    with store.read() as conn:
        row = store.get_ds_order(conn, sid, order_id.lower()) if is_guid(order_id) else None
        if row is None:
            raise ApiError("order_not_found", order_id=order_id)
        view = dropship_model.order_view(store, conn, row)
    return JSONResponse(view)


async def create_events(request: Request) -> Response:
    store = _store(request)
    sid = _supplier(request, store)
    obj = await _optional_json(request)
    obj.only(("count",), "the events request")
    count = obj.integer("count", required=True, minimum=1, maximum=MAX_SYNTHETIC)
    assert count is not None
    now = store.clock.now()
    with store.write() as conn:
        ids = dropship_model.create_synthetic_orders(store, conn, now, sid, count)
    return JSONResponse(
        {
            "supplier-id": sid,
            "created": count,
            "first-order-id": ids[0],
            "last-order-id": ids[-1],
            "feed": store.feed_stats(sid),
        },
        status_code=201,
    )


async def force_state(request: Request) -> Response:
    store = _store(request)
    raw_company = request.path_params["company_id"]
    cid = positive_int32(raw_company)
    if cid is None or cid not in store.directory.companies:
        raise bad_field("CompanyId", f"{show(raw_company)} is not a company of the sandbox")
    obj = await _optional_json(request)
    obj.only(("State",), "the state request")
    state = obj.string("State", required=True)
    if state not in enums.ORDER_STATES:
        raise bad_field("State", f"{show(state)} is not an OrderState")
    order_id = request.path_params["order_id"]
    with store.write() as conn:
        order = store.get_order(conn, cid, order_id.lower()) if is_guid(order_id) else None
        if order is None:
            raise ApiError("order_not_found", order_id=order_id)
        order["State"] = state
        store.save_order(conn, order)
    return JSONResponse(order)


Endpoint = Callable[[Request], Awaitable[Response]]


def _guarded(endpoint: Endpoint, token: str) -> Endpoint:
    """The endpoint, answering 401 ``Invalid token`` unless the request bears ``token``."""
    expected = f"Bearer {token}".encode()

    async def guarded(request: Request) -> Response:
        sent = request.headers.get("authorization", "").strip().encode()
        if not hmac.compare_digest(sent, expected):
            raise ApiError("invalid_token")
        return await endpoint(request)

    return guarded


def routes(base: str = CONTROL_BASE, token: str | None = None) -> list[Route]:
    """The control routes; with ``token``, each one answers only requests bearing it."""
    table: list[tuple[str, Endpoint, str]] = [
        ("/info", info, "GET"),
        ("/reset", reset, "POST"),
        ("/clock", get_clock, "GET"),
        ("/clock", advance_clock, "POST"),
        ("/suppliers/{supplier_id:seg}/orders", create_order, "POST"),
        ("/suppliers/{supplier_id:seg}/orders/{order_id:seg}", get_order, "GET"),
        ("/suppliers/{supplier_id:seg}/events", create_events, "POST"),
        ("/companies/{company_id:seg}/orders/{order_id:seg}/state", force_state, "POST"),
    ]
    return [
        Route(base + path, _guarded(endpoint, token) if token else endpoint, methods=[method])
        for path, endpoint, method in table
    ]
