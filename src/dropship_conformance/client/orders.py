"""Client of the Orders API, in the API's own words."""

from __future__ import annotations

from typing import Any

import httpx

from dropship_conformance.client.http import HttpSession, Reply


class OrdersClient:
    """The operations of specs/orders.openapi.yaml for one company."""

    def __init__(self, session: HttpSession, base_url: str, company_id: int | str) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.company_id = company_id

    def _url(self, path: str, company_id: int | str | None) -> str:
        company = self.company_id if company_id is None else company_id
        return f"{self.base_url}/Companies({company}){path}"

    def _call(self, method: str, path: str, body: Any = None, **options: Any) -> Reply:
        url = self._url(path, options.pop("company_id", None))
        return self.session.request(method, url, json_body=body, **options)

    def create_order(self, body: Any, **options: Any) -> Reply:
        return self._call("POST", "/Orders", body, **options)

    def list_orders(self, filter_: str | None = None, **options: Any) -> Reply:
        url = self._url("/Orders", options.pop("company_id", None))
        params = {} if filter_ is None else {"$filter": filter_}
        return self.session.request("GET", str(httpx.URL(url, params=params)), **options)

    def get_order(self, order_id: str, **options: Any) -> Reply:
        return self._call("GET", f"/Orders({order_id})", **options)

    def update_order(self, order_id: str, body: Any, **options: Any) -> Reply:
        return self._call("PUT", f"/Orders({order_id})", body, **options)

    def add_item(self, order_id: str, body: Any, **options: Any) -> Reply:
        return self._call("POST", f"/Orders({order_id})/Items", body, **options)

    def list_items(self, order_id: str, **options: Any) -> Reply:
        return self._call("GET", f"/Orders({order_id})/Items", **options)

    def process_order(self, order_id: str, body: Any = ..., **options: Any) -> Reply:
        return self._call(
            "POST",
            f"/Orders({order_id})/Process",
            {"OrderId": order_id} if body is ... else body,
            **options,
        )

    def create_order_full(self, body: Any, **options: Any) -> Reply:
        return self._call("POST", "/OrderFull", body, **options)

    def list_order_full(self, **options: Any) -> Reply:
        return self._call("GET", "/OrderFull", **options)

    def get_order_full(self, order_id: str, **options: Any) -> Reply:
        return self._call("GET", f"/OrderFull({order_id})", **options)

    def update_order_full(self, order_id: str, body: Any, **options: Any) -> Reply:
        return self._call("PUT", f"/OrderFull({order_id})", body, **options)
