"""Helpers of the sandbox tests: constants, and a client that checks every answer.

Every response the tests receive passes through :meth:`Api.check`: a JSON body must satisfy
the OpenAPI response schema of its operation and status, a feed document must be valid
against the XSDs and pass every document-local rule of ``dropship_conformance.feed``, and
nothing may be a 5xx. A response that breaks the spec therefore fails the test that got it.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import httpx
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from dropship_conformance import openapi
from dropship_conformance.feed import check_document, read_feed

with warnings.catch_warnings():
    # starlette.testclient warns at import that it prefers httpx2; httpx works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

TOKEN = "sandbox-token"
SUPPLIER = 60455
SUPPLIER2 = 14107
COMPANY = 14146
COMPANY2 = 33772
LOCATION = 14202
LOCATION2 = 14203
OTHER_LOCATION = 33773
CUSTOMER = "659c2a38-d083-4421-9330-46d779702f85"
CUSTOMER2 = "503d1d4a-c974-4286-b4a2-002699e60ad6"
OTHER_CUSTOMER = "3da9470e-f1b2-4a1a-bd47-5bf18fe2d1ab"
ADDRESS = "a08b0640-606a-41f0-901a-facaf50e75dd"
SEED_ORDER = "0b05f9fb-1210-4494-b654-d051948716b4"
SEED_SKUS = ["abc123", "234oike", "9356SAMGL6S", "802975857401"]
DS = "/dropship/v1"
ORD = "/orders/v1"
CTL = "/_sandbox"
UNSET: Any = object()
ATOM_OPERATIONS = ("getNotifications", "getNotificationsPage")


def error_schema_violations(body: Any) -> list[str]:
    return openapi.validate("dropship", openapi.component_pointer("Error"), body)


class Api:
    """Requests against the sandbox; every answer is checked against specs/."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    # ---- generic -------------------------------------------------------------------

    def request(
        self,
        operation: str | None,
        method: str,
        path: str,
        *,
        token: str | None = TOKEN,
        json: Any = UNSET,
        content: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        role: str | None = None,
    ) -> httpx.Response:
        sent_headers: dict[str, str] = {}
        if token is not None:
            sent_headers["Authorization"] = f"Bearer {token}"
        sent_headers.update(headers or {})
        kwargs: dict[str, Any] = {"headers": sent_headers, "params": params}
        if json is not UNSET:
            kwargs["json"] = json
        if content is not None:
            kwargs["content"] = content
        response = self.client.request(method, path, **kwargs)
        self.check(operation, response, role=role)
        return response

    @staticmethod
    def check(operation: str | None, response: httpx.Response, role: str | None = None) -> None:
        """Fail unless ``response`` is what specs/ allows for ``operation``."""
        status = response.status_code
        assert status < 500, f"server error {status}: {response.text[:500]}"
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "application/json":
            body = response.json()
            if status >= 400:
                assert error_schema_violations(body) == [], body
                assert isinstance(body["Message"], str) and body["Message"]
            if operation is not None:
                problems = openapi.validate_response(operation, status, body)
                assert problems == [], f"{operation} {status} breaks the spec: {problems}"
        elif media == "application/atom+xml":
            assert operation in ATOM_OPERATIONS, f"{operation} answered a feed"
            assert status == 200
            if role is None:
                role = "archive" if read_feed(response.content).is_archive else "current"
            violations = check_document(response.content, role)  # type: ignore[arg-type]
            assert violations == [], [f"{v.requirement_id}: {v.message}" for v in violations]
        else:
            pytest.fail(f"unexpected content type {media!r} ({status}): {response.text[:200]}")

    # ---- dropship ---------------------------------------------------------------------

    def feed(self, supplier: int | str = SUPPLIER, token: str | None = TOKEN) -> httpx.Response:
        return self.request(
            "getNotifications",
            "GET",
            f"{DS}/Suppliers({supplier})/Notifications",
            token=token,
            headers={"Accept": "application/atom+xml"},
            role="current",
        )

    def page(
        self,
        page: str,
        supplier: int | str = SUPPLIER,
        token: str | None = TOKEN,
        role: str | None = None,
    ) -> httpx.Response:
        path = (
            page
            if page.startswith("http")
            else f"{DS}/Suppliers({supplier})/Notifications/Pages({page})"
        )
        return self.request("getNotificationsPage", "GET", path, token=token, role=role)

    def order_status(
        self,
        order_id: str,
        body: Any,
        supplier: int | str = SUPPLIER,
        token: str | None = TOKEN,
        **kw: Any,
    ) -> httpx.Response:
        return self.request(
            "putOrderStatusUpdate",
            "PUT",
            f"{DS}/Suppliers({supplier})/Orders({order_id})/OrderStatusUpdate",
            token=token,
            json=body,
            **kw,
        )

    def item_status(
        self,
        order_id: str,
        body: Any,
        supplier: int | str = SUPPLIER,
        token: str | None = TOKEN,
        **kw: Any,
    ) -> httpx.Response:
        return self.request(
            "putItemStatusUpdate",
            "PUT",
            f"{DS}/Suppliers({supplier})/Orders({order_id})/ItemStatusUpdate",
            token=token,
            json=body,
            **kw,
        )

    # ---- orders -------------------------------------------------------------------------

    def orders(
        self,
        operation: str,
        method: str,
        path: str = "",
        *,
        company: int | str = COMPANY,
        **kw: Any,
    ) -> httpx.Response:
        return self.request(operation, method, f"{ORD}/Companies({company}){path}", **kw)

    def create_order(self, body: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        body = {
            "EntityId": LOCATION,
            "OrderTypeId": 3,
            "BillingCustomerId": CUSTOMER,
            **(body or {}),
        }
        response = self.orders("createOrder", "POST", "/Orders", json=body, **kw)
        assert response.status_code == 201, response.text
        return response.json()

    def add_item(self, order_id: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
        return self.orders("addItem", "POST", f"/Orders({order_id})/Items", json=body, **kw)

    def put_order(self, order_id: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
        return self.orders("updateOrder", "PUT", f"/Orders({order_id})", json=body, **kw)

    def process(self, order_id: str, body: Any = UNSET, **kw: Any) -> httpx.Response:
        body = {"OrderId": order_id} if body is UNSET else body
        return self.orders("processOrder", "POST", f"/Orders({order_id})/Process", json=body, **kw)

    # ---- control --------------------------------------------------------------------------

    def control(self, method: str, path: str, json: Any = UNSET) -> httpx.Response:
        response = self.request(None, method, f"{CTL}{path}", token=None, json=json)
        return response

    def new_ds_order(self, supplier: int = SUPPLIER, **body: Any) -> dict[str, Any]:
        response = self.control("POST", f"/suppliers/{supplier}/orders", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def add_events(self, count: int, supplier: int = SUPPLIER) -> dict[str, Any]:
        response = self.control("POST", f"/suppliers/{supplier}/events", json={"count": count})
        assert response.status_code == 201, response.text
        return response.json()

    def ds_order(self, order_id: str, supplier: int = SUPPLIER) -> dict[str, Any]:
        response = self.control("GET", f"/suppliers/{supplier}/orders/{order_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def feed_total(self, supplier: int = SUPPLIER) -> int:
        """Entries in the whole feed (walk of prev-archive links)."""
        return sum(len(doc.entries) for doc in self.walk(supplier))

    def walk(self, supplier: int = SUPPLIER, token: str = TOKEN) -> list[Any]:
        """Every document of the feed, current first, following prev-archive."""
        documents = [read_feed(self.feed(supplier, token).content)]
        while (prev := documents[-1].link("prev-archive")) is not None:
            documents.append(read_feed(self.page(prev, supplier, token, role="archive").content))
        return documents


def message(response: httpx.Response) -> str:
    return response.json()["Message"]


def entry_payload_id(entry: Any) -> str | None:
    return entry.order_id


def link_page_id(href: str) -> str:
    match = re.search(r"Pages\(([^)]*)\)", href)
    assert match, href
    return match.group(1)
