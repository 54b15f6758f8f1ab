"""Client of the Supplier Orders (dropship) API, in the API's own words."""

from __future__ import annotations

from typing import Any

from dropship_conformance.client.http import HttpSession, Reply

ATOM = "application/atom+xml"


class DropshipClient:
    """The four operations of specs/dropship.openapi.yaml for one supplier.

    Every method takes ``supplier_id=`` to address another supplier (isolation and error
    tests) and the :meth:`HttpSession.request` options (``token=``, ``headers=``).
    ``token``: the supplier's own token, sent unless a call gives one (the session's otherwise).
    """

    def __init__(
        self,
        session: HttpSession,
        base_url: str,
        supplier_id: int | str,
        token: str | None = None,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.supplier_id = supplier_id
        self.token = token

    def as_supplier(self, supplier_id: int | str, token: str | None) -> DropshipClient:
        """The client of another supplier, sending its ``token``."""
        return DropshipClient(self.session, self.base_url, supplier_id, token)

    def _own_token(self, options: dict[str, Any]) -> dict[str, Any]:
        if self.token is not None:
            options.setdefault("token", self.token)
        return options

    def _url(self, suffix: str, options: dict[str, Any]) -> str:
        self._own_token(options)
        supplier = options.pop("supplier_id", self.supplier_id)
        return f"{self.base_url}/Suppliers({supplier}){suffix}"

    def notifications(self, **options: Any) -> Reply:
        """getNotifications: the current feed document."""
        url = self._url("/Notifications", options)
        return self.session.request("GET", url, accept=ATOM, **options)

    def page(self, page_id: str, **options: Any) -> Reply:
        """getNotificationsPage: one page by id."""
        url = self._url(f"/Notifications/Pages({page_id})", options)
        return self.session.request("GET", url, accept=ATOM, **options)

    def follow(self, href: str, **options: Any) -> Reply:
        """GET a feed link (self, prev-archive, next-archive, current) exactly as given."""
        return self.session.request("GET", href, accept=ATOM, **self._own_token(options))

    def order_status_update(self, order_id: str, body: Any, **options: Any) -> Reply:
        """putOrderStatusUpdate."""
        url = self._url(f"/Orders({order_id})/OrderStatusUpdate", options)
        return self.session.request("PUT", url, json_body=body, **options)

    def item_status_update(self, order_id: str, body: Any, **options: Any) -> Reply:
        """putItemStatusUpdate."""
        url = self._url(f"/Orders({order_id})/ItemStatusUpdate", options)
        return self.session.request("PUT", url, json_body=body, **options)
