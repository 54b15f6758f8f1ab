"""Client of the reference sandbox's test-control API (never part of either contract).

The harness uses it only when the target offers it: a foreign target has no way to create
dropship orders for a supplier directly, so there the harness goes through the Orders API
(ASSUME-ORDERS-TO-DROPSHIP) or skips with the reason.
"""

from __future__ import annotations

from typing import Any

import httpx

from dropship_conformance.client.http import HttpSession, Reply, TargetError

SANDBOX_DROPSHIP_PREFIX = "/dropship/v1"


def control_url_for(dropship_url: str) -> str:
    """Where a sandbox serving ``dropship_url`` keeps its control API (ASSUME-SANDBOX-PATHS)."""
    url = httpx.URL(dropship_url.rstrip("/"))
    root = (
        url.path.removesuffix(SANDBOX_DROPSHIP_PREFIX)
        if url.path.endswith(SANDBOX_DROPSHIP_PREFIX)
        else ""
    )
    return str(url.copy_with(path=f"{root}/_sandbox", query=None))


class SandboxControl:
    """Creates test data and moves the sandbox clock."""

    def __init__(self, session: HttpSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")

    @classmethod
    def discover(cls, session: HttpSession, dropship_url: str) -> SandboxControl | None:
        """The control API of the target, or None when the target is not a sandbox."""
        control = cls(session, control_url_for(dropship_url))
        try:
            reply = control.info()
        except TargetError:
            return None
        if reply.status != 200 or reply.media_type != "application/json":
            return None
        try:
            info = reply.json()
        except ValueError:
            return None
        return control if isinstance(info, dict) and "identities" in info else None

    def _call(self, method: str, path: str, body: Any = None) -> Reply:
        return self.session.request(method, f"{self.base_url}{path}", json_body=body, token=None)

    def info(self) -> Reply:
        return self._call("GET", "/info")

    def create_order(self, supplier_id: int | str, order: dict[str, Any] | None = None) -> Reply:
        return self._call("POST", f"/suppliers/{supplier_id}/orders", order or {})

    def order(self, supplier_id: int | str, order_id: str) -> Reply:
        """The sandbox's view of a dropship order: its status and every update received."""
        return self._call("GET", f"/suppliers/{supplier_id}/orders/{order_id}")

    def force_state(self, company_id: int | str, order_id: str, state: str) -> Reply:
        """Put an Orders API order into any state, bypassing the state machine."""
        return self._call(
            "POST", f"/companies/{company_id}/orders/{order_id}/state", {"State": state}
        )

    def append_events(self, supplier_id: int | str, count: int) -> Reply:
        return self._call("POST", f"/suppliers/{supplier_id}/events", {"count": count})

    def advance_clock(self, hours: float) -> Reply:
        return self._call("POST", "/clock", {"advance_hours": hours})

    def reset(self) -> Reply:
        return self._call("POST", "/reset")
