"""Tenants: one shared sandbox serving many vendors, each isolated from the others.

A tenant is a supplier and a company (two locations, two customers with an address each,
employees) and one token that stands for both, so a vendor runs the harness with
``--token T --supplier-id S --company-id C``. The ownership rules of :mod:`.auth` isolate
tenants from each other and from the seeded identities: a token acts only for its own
supplier and company.

Provisioning is an admin API, off unless the sandbox is given an admin token
(``sandbox --admin-token T`` or ``DROPSHIP_SANDBOX_ADMIN_TOKEN``):

``POST /_admin/tenants``  ``{"name": "Acme"}`` (optional)
    Answers 201 with the tenant (ids, token, locations, customers).
``GET  /_admin/tenants``
    Every tenant, tokens included.

``dropship-conformance sandbox provision --db ...`` does the same on the database directly.
Tenants are kept in their own table and survive a reset of the test data; a new tenant
bumps the store's generation, so every sandbox process on the database serves it at once.
"""

from __future__ import annotations

import hmac
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import ApiError, bad_field
from .seed import _address, _customer
from .store import Store, dumps

ADMIN_BASE = "/_admin"
MAX_NAME = 100
MAX_BODY = 4096
# Far from the seeded ids (4-5 digits) and within the APIs' positive 32-bit integers
# for ten million tenants.
SUPPLIER_BASE = 100_000_000
COMPANY_BASE = 200_000_000
COMPANY_STRIDE = 10

Endpoint = Callable[[Request], Awaitable[Response]]


def _customer_entry(name: str, family: str, city: str) -> dict[str, Any]:
    customer_id = str(uuid.uuid4())
    return {
        "customer": _customer(customer_id, primary_name=name, family_name=family, type="Person"),
        "addresses": [
            _address(
                str(uuid.uuid4()),
                attention_to=f"{name} {family}",
                country="Canada",
                country_code="CA",
                locality=city,
                postal_code="S4P3Y2",
                region="Saskatchewan",
                region_code="SK",
                street_address_1="1 Tenant St",
                type="Home",
            )
        ],
    }


def _location(location_id: int, city: str) -> dict[str, Any]:
    return {
        "id": location_id,
        "name": f"{city} store {location_id}",
        "address": _address(
            str(uuid.uuid4()),
            attention_to=f"Store {location_id}",
            country="Canada",
            country_code="CA",
            locality=city,
            postal_code="S4N0P2",
            region="Saskatchewan",
            region_code="SK",
            street_address_1=f"{location_id % 1000} Main St",
            type="Store",
        ),
    }


def build_spec(n: int, name: str, token: str) -> dict[str, Any]:
    """The directory rows of tenant ``n`` in seed.py's shapes."""
    supplier_id = SUPPLIER_BASE + n
    company_id = COMPANY_BASE + COMPANY_STRIDE * n
    company = {
        "id": company_id,
        "name": f"{name} (company)",
        "employees": [company_id + 5, company_id + 6],
        "locations": [_location(company_id + 1, "Regina"), _location(company_id + 2, "Saskatoon")],
        "customers": [
            _customer_entry("Jane", f"Tenant{n}", "Regina"),
            _customer_entry("John", f"Tenant{n}", "Moose Jaw"),
        ],
    }
    return {
        "n": n,
        "name": name,
        "suppliers": [{"id": supplier_id, "name": f"{name} (supplier)"}],
        "companies": [company],
        "tokens": [
            {
                "token": token,
                "suppliers": [supplier_id],
                "companies": [company_id],
                "description": f"tenant {n}: {name}",
            }
        ],
    }


def describe(spec: dict[str, Any]) -> dict[str, Any]:
    """What a vendor needs to run against its tenant."""
    company = spec["companies"][0]
    return {
        "tenant": spec["n"],
        "name": spec["name"],
        "token": spec["tokens"][0]["token"],
        "supplier-id": spec["suppliers"][0]["id"],
        "company-id": company["id"],
        "location-ids": [location["id"] for location in company["locations"]],
        "employee-ids": company["employees"],
        "customers": [
            {
                "customer-id": entry["customer"]["customer-id"],
                "address-ids": [a["address-id"] for a in entry["addresses"]],
            }
            for entry in company["customers"]
        ],
    }


def provision(store: Store, name: str | None = None) -> dict[str, Any]:
    """Create a tenant (in one transaction) and return :func:`describe` of it."""
    with store.write() as conn:
        n = conn.execute("SELECT COALESCE(MAX(n), 0) + 1 AS n FROM tenants").fetchone()["n"]
        spec = build_spec(n, name or f"Tenant {n}", f"tenant-{secrets.token_urlsafe(24)}")
        conn.execute("INSERT INTO tenants VALUES(?, ?, ?)", (n, spec["name"], dumps(spec)))
        store.insert_identities(conn, spec["suppliers"], spec["companies"], spec["tokens"])
        store.bump_generation(conn)
    store.refresh()
    return describe(spec)


def list_tenants(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute("SELECT spec FROM tenants ORDER BY n").fetchall()
    return [describe(json.loads(row["spec"])) for row in rows]


def _name(body: bytes) -> str | None:
    """The optional tenant name of a POST body; ApiError 400 when the body is not
    ``{"name": <1-100 characters>}`` or empty."""
    if not body.strip():
        return None
    try:
        sent = json.loads(body)
    except (ValueError, RecursionError):
        sent = None
    name = sent.get("name") if isinstance(sent, dict) else None
    if not isinstance(sent, dict) or (
        name is not None and not (isinstance(name, str) and 0 < len(name) <= MAX_NAME)
    ):
        raise bad_field("name", f'the body must be {{"name": <text of 1-{MAX_NAME} characters>}}')
    return name


async def _create(request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ApiError("too_large", limit=MAX_BODY)
    tenant = provision(request.app.state.store, _name(body))
    return JSONResponse(tenant, status_code=201)


async def _list(request: Request) -> Response:
    return JSONResponse({"tenants": list_tenants(request.app.state.store)})


def _guarded(endpoint: Endpoint, token: str) -> Endpoint:
    async def guarded(request: Request) -> Response:
        scheme, _, sent = request.headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            sent.strip().encode(), token.encode()
        ):
            raise ApiError("invalid_token")
        return await endpoint(request)

    return guarded


def routes(admin_token: str) -> list[Route]:
    """The admin routes, each answering only requests bearing ``admin_token``."""
    table: list[tuple[str, Endpoint, str]] = [
        ("/tenants", _create, "POST"),
        ("/tenants", _list, "GET"),
    ]
    return [
        Route(ADMIN_BASE + path, _guarded(endpoint, admin_token), methods=[method])
        for path, endpoint, method in table
    ]
