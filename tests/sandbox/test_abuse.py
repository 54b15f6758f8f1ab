"""The sandbox under abuse: every bad request gets a 4xx with a clear message, never a 5xx,
and the sandbox keeps serving afterwards (issue: sandbox under abuse)."""

from __future__ import annotations

import httpx
import pytest

from dropship_conformance.sandbox.server import serve_in_thread

from .helpers import SEED_ORDER, SUPPLIER, TOKEN

DS = f"/dropship/v1/Suppliers({SUPPLIER})"
ORDERS = "/orders/v1/Companies(14146)"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ABUSE = [
    (
        "PUT",
        f"{DS}/Orders({SEED_ORDER})/OrderStatusUpdate",
        {"Id": SEED_ORDER, "Status": "Other", "Extra": 1},
        "Extra",
    ),
    ("POST", f"{ORDERS}/Orders", {"EntityId": 14202, "OrderTypeId": 3, "Hacker": True}, "Hacker"),
    (
        "POST",
        f"{ORDERS}/Orders",
        {"EntityId": "14202; DROP TABLE orders", "OrderTypeId": 3},
        "EntityId",
    ),
    ("POST", f"{ORDERS}/Orders", {"EntityId": 14202, "OrderTypeId": [3]}, "OrderTypeId"),
    ("POST", f"{ORDERS}/Orders", [1, 2, 3], "body"),
    ("GET", f"{ORDERS}/Orders(' OR '1'='1)", None, ""),
    ("GET", f"{ORDERS}/Orders?$filter=State eq 'Pending'; DROP TABLE orders", None, "$filter"),
    ("GET", f"{DS}/Notifications/Pages(..%2F..%2F..%2Fetc%2Fpasswd)", None, ""),
    ("GET", "/dropship/v1/Suppliers(60455)/../../_sandbox/reset", None, ""),
    ("GET", f"{DS}/Notifications/Pages(%00)", None, ""),
]


@pytest.fixture(scope="module")
def base_url() -> str:
    with serve_in_thread() as url:
        yield url


@pytest.mark.parametrize(
    ("method", "path", "body", "named"), ABUSE, ids=[f"{m} {p[:60]}" for m, p, _, _ in ABUSE]
)
def test_abuse_gets_a_clear_4xx(
    base_url: str, method: str, path: str, body: object, named: str
) -> None:
    response = httpx.request(method, base_url + path, json=body, headers=AUTH, timeout=10)
    assert 400 <= response.status_code < 500, f"{response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/json")
    message = response.json()["Message"]
    assert named in message, f"the message should name {named!r}: {message!r}"


def test_sandbox_keeps_serving_after_abuse(base_url: str) -> None:
    for method, path, body, _ in ABUSE:
        httpx.request(method, base_url + path, json=body, headers=AUTH, timeout=10)
    response = httpx.get(f"{base_url}{DS}/Notifications", headers=AUTH, timeout=10)
    assert response.status_code == 200
    info = httpx.get(f"{base_url}/_sandbox/info", timeout=10).json()
    assert info["sandbox"] is True
