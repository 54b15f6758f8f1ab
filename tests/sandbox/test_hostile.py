"""The sandbox under hostile input (issue 12): never a 5xx, bounded growth, documented shapes.

Each test is one case an attack found: before the fix, each got a 500 (or stored something
that broke later reads), grew a feed without bound, or answered outside the documents.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from dropship_conformance.sandbox import create_app, validation
from dropship_conformance.sandbox import store as store_module
from dropship_conformance.sandbox.feed import RenderCache
from dropship_conformance.sandbox.store import Store
from dropship_conformance.specs import spec_path

from .helpers import (
    COMPANY2,
    CUSTOMER,
    LOCATION,
    OTHER_CUSTOMER,
    OTHER_LOCATION,
    SEED_ORDER,
    SEED_SKUS,
    SUPPLIER,
    Api,
    TestClient,
    message,
)

GUID = "0b05f9fb-1210-4494-b654-d051948716b4"


def _item(**fields: object) -> dict[str, Any]:
    return {"ItemTypeId": 1, "ItemStatusId": 1, **fields}


def _full(**fields: object) -> dict[str, Any]:
    return {"EntityId": LOCATION, "OrderTypeId": 3, "BillingCustomerId": CUSTOMER, **fields}


def _nested(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth - 1):
        value = {"x": value}
    return value


# ---- ids and numbers typed as the documents type them --------------------------------------


@pytest.mark.parametrize("digits", [11, 4301, 20000])
def test_filter_entity_id_of_thousands_of_digits(api: Api, digits: int) -> None:
    number = "9" * digits
    for text in (f"EntityId eq {number}", f"State eq 'Pending' and EntityId eq -{number}"):
        response = api.orders("listOrders", "GET", "/Orders", params={"$filter": text})
        assert response.status_code == 200 and response.json() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/suppliers/²/orders"),
        ("POST", f"/suppliers/{'6' * 5000}/orders"),
        ("GET", f"/suppliers/²/orders/{GUID}"),
        ("POST", "/suppliers/٦٠٤٥٥/events"),
        ("POST", f"/companies/²/orders/{GUID}/state"),
        ("POST", f"/companies/{'1' * 4400}/orders/{GUID}/state"),
    ],
)
def test_control_ids_must_be_ascii_integers(api: Api, method: str, path: str) -> None:
    response = api.control(method, path, json={"State": "Completed", "count": 1})
    assert response.status_code == 400
    assert message(response).startswith(("SupplierId:", "CompanyId:"))


@pytest.mark.parametrize("raw", ["60455%0A", "%EF%BC%96%EF%BC%90455", "+60455", "60455.0"])
def test_uri_supplier_id_is_exactly_ascii_digits(api: Api, raw: str) -> None:
    response = api.request(
        "getNotifications", "GET", f"/dropship/v1/Suppliers({raw})/Notifications"
    )
    assert response.status_code == 400
    company = api.request(
        "listOrders", "GET", f"/orders/v1/Companies({raw.replace('60455', '14146')})/Orders"
    )
    assert company.status_code == 400


@pytest.mark.parametrize("price", ["1e999999999999999999", "1E5", 1e300, "NaN", "12.5.1", True])
def test_selling_price_must_be_a_bounded_decimal(api: Api, price: object) -> None:
    body = {"items": [{"sku": "X-1", "selling-price": price}]}
    response = api.control("POST", f"/suppliers/{SUPPLIER}/orders", json=body)
    assert response.status_code == 400
    assert message(response).startswith("items[0].selling-price:")


@pytest.mark.parametrize("price", ["9.99", 12, 0.5, "-1.25"])
def test_selling_price_plain_decimals_accepted(api: Api, price: object) -> None:
    body = {"items": [{"sku": "X-1", "selling-price": price}]}
    assert api.control("POST", f"/suppliers/{SUPPLIER}/orders", json=body).status_code == 201


def test_integral_floats_are_integers(api: Api) -> None:
    """JSON Schema: "a number with a zero fractional part is an integer"."""
    body = _full(EntityId=14202.0, OrderTypeId=3.0, Items=[_item(ItemTypeId=1.0, ItemStatusId=1.0)])
    response = api.orders("createOrderFull", "POST", "/OrderFull", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["EntityId"] == LOCATION
    status = api.order_status(SEED_ORDER, {"Id": SEED_ORDER, "Status": 2.0})
    assert status.status_code == 202


@pytest.mark.parametrize(
    ("operation", "path"), [("createOrder", "/Orders"), ("createOrderFull", "/OrderFull")]
)
def test_state_null_refused_on_create(api: Api, operation: str, path: str) -> None:
    response = api.orders(operation, "POST", path, json=_full(State=None))
    assert response.status_code == 400
    assert message(response).startswith("State:")


# ---- stored data that broke later reads ------------------------------------------------------


def test_order_full_update_refuses_duplicate_item_ids(api: Api) -> None:
    created = api.orders(
        "createOrderFull", "POST", "/OrderFull", json=_full(Items=[_item(SKU="A")])
    )
    order = created.json()
    item_id = order["Items"][0]["Id"]
    body = {**_full(Id=order["Id"]), "Items": [_item(Id=item_id), _item(Id=item_id.upper())]}
    response = api.orders("updateOrderFull", "PUT", f"/OrderFull({order['Id']})", json=body)
    assert response.status_code == 400
    assert message(response).startswith("Items[1].Id:")
    got = api.orders("getOrderFull", "GET", f"/OrderFull({order['Id']})").json()
    assert [item["Id"] for item in got["Items"]] == [item_id]


@pytest.mark.parametrize("depth", [33, 960, 100_000])  # the bound is 32
def test_deep_json_refused_and_reads_keep_working(api: Api, depth: int) -> None:
    # Written as text: json.dumps itself recurses, and fails long before 100,000 levels.
    deep = '{"x":' * (depth - 1) + "{}" + "}" * (depth - 1)
    text = json.dumps(_full(Items=[_item(ItemExtensions=[])])).replace(
        '"ItemExtensions": []', f'"ItemExtensions": [{deep}]'
    )
    response = api.orders(
        "createOrderFull",
        "POST",
        "/OrderFull",
        content=text,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "nested" in message(response)
    assert api.orders("listOrderFull", "GET", "/OrderFull").status_code == 200


def test_moderately_nested_extensions_accepted(api: Api) -> None:
    body = _full(Items=[_item(ItemExtensions=[_nested(validation.MAX_DEPTH - 4)])])
    assert api.orders("createOrderFull", "POST", "/OrderFull", json=body).status_code == 201
    assert api.orders("listOrderFull", "GET", "/OrderFull").status_code == 200


def test_item_extensions_bounded(api: Api) -> None:
    extensions = [{"k": "v" * 3000} for _ in range(6)]
    body = _full(Items=[_item(ItemExtensions=extensions)])
    response = api.orders("createOrderFull", "POST", "/OrderFull", json=body)
    assert response.status_code == 400
    assert message(response).startswith("Items[0].ItemExtensions:")


def test_text_fields_bounded(api: Api) -> None:
    response = api.orders("createOrder", "POST", "/Orders", json=_full(Name="n" * 4001))
    assert response.status_code == 400
    assert message(response).startswith("Name:")


# ---- the clock ---------------------------------------------------------------------------------


def test_clock_offset_bounded_and_restart_works(tmp_path: Path) -> None:
    db = str(tmp_path / "clock.sqlite3")
    with TestClient(create_app(db), raise_server_exceptions=True) as client:
        api = Api(client)
        statuses = [
            api.control("POST", "/clock", json={"advance_hours": 876_000}).status_code
            for _ in range(80)
        ]
        assert statuses[0] == 200 and set(statuses[1:]) == {400}
        assert api.create_order()["State"] == "Created"
        assert api.feed().status_code == 200
        assert api.orders("listOrders", "GET", "/Orders").status_code == 200
    store = Store(db)
    try:
        assert store.clock.offset_seconds == store_module.MAX_CLOCK_OFFSET_SECONDS
    finally:
        store.close()


@pytest.mark.parametrize("stored", ["1e300", "inf", "nan", "-5", "garbage"])
def test_startup_survives_a_stored_clock_out_of_bounds(tmp_path: Path, stored: str) -> None:
    db = str(tmp_path / "old.sqlite3")
    Store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'clock_offset'", (stored,))
    with TestClient(create_app(db), raise_server_exceptions=True) as client:
        api = Api(client)
        assert api.create_order()["State"] == "Created"
        assert api.feed().status_code == 200


# ---- bounded growth ------------------------------------------------------------------------


def test_huge_item_status_update_cannot_grow_the_feed(api: Api) -> None:
    before = len(api.feed().content)
    infos = [{"Sku": SEED_SKUS[n % 4], "Status": "Shipped"} for n in range(22_000)]
    body = {"Id": SEED_ORDER, "ItemInformation": infos}
    assert 800_000 < len(json.dumps(body)) < 1 << 20
    response = api.item_status(SEED_ORDER, body)
    assert response.status_code == 400
    assert message(response).startswith("ItemInformation:")
    assert len(api.feed().content) == before
    small = {"Id": SEED_ORDER, "ItemInformation": [{"Sku": SEED_SKUS[0], "Status": "Shipped"}]}
    assert api.item_status(SEED_ORDER, small).status_code == 202


def test_other_company_cannot_grow_a_supplier_feed_by_megabytes(api: Api) -> None:
    token = "sandbox-company-33772"
    before = len(api.feed().content)
    order = api.create_order(
        {"EntityId": OTHER_LOCATION, "BillingCustomerId": OTHER_CUSTOMER},
        company=COMPANY2,
        token=token,
    )
    for n in range(40):
        item = _item(SKU=f"BIG-{n}", Description="d" * 4000, SupplierEntityId=SUPPLIER)
        response = api.add_item(order["Id"], item, company=COMPANY2, token=token)
        assert response.status_code == 201
    response = api.process(order["Id"], company=COMPANY2, token=token)
    assert response.status_code == 400
    assert "feed event" in message(response)
    assert len(api.feed().content) == before
    got = api.orders("getOrder", "GET", f"/Orders({order['Id']})", company=COMPANY2, token=token)
    assert got.json()["State"] == "Created"


def test_render_cache_bounded_by_bytes() -> None:
    cache = RenderCache(size=512, max_bytes=1000)
    # Random bytes do not compress: the budget is met by evicting, not by zlib.
    for n in range(10):
        cache.put(("page", n), os.urandom(200))
    assert cache.total_bytes <= 1000
    assert cache.get(("page", 9)) is not None and cache.get(("page", 0)) is None
    cache.put(("huge",), os.urandom(400))
    assert cache.get(("huge",)) is None


# ---- documented shapes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", f"/dropship/v1/Suppliers({SUPPLIER})/Notifications", "GET, HEAD"),
        ("PUT", "/orders/v1/Companies(14146)/Orders", "GET, HEAD, POST"),
        ("DELETE", f"/orders/v1/Companies(14146)/Orders({GUID})", "GET, HEAD, PUT"),
        ("DELETE", "/orders/v1/Companies(14146)/OrderFull", "GET, HEAD, POST"),
        ("PUT", "/_sandbox/clock", "GET, HEAD, POST"),
    ],
)
def test_405_allow_lists_every_method(api: Api, method: str, path: str, allowed: str) -> None:
    response = api.request(None, method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed
    assert method in message(response)


BODY_OPERATIONS = {
    "dropship.openapi.yaml": ["putOrderStatusUpdate", "putItemStatusUpdate"],
    "orders.openapi.yaml": [
        "createOrder",
        "updateOrder",
        "addItem",
        "processOrder",
        "createOrderFull",
        "updateOrderFull",
    ],
}


def test_openapi_declares_413_and_415_where_a_body_is_read() -> None:
    for document, operations in BODY_OPERATIONS.items():
        spec = yaml.safe_load(Path(spec_path(document)).read_text())
        found = {
            op["operationId"]: op
            for item in spec["paths"].values()
            for op in item.values()
            if isinstance(op, dict) and "operationId" in op
        }
        for name in operations:
            assert {"413", "415"} <= set(found[name]["responses"]), name


def test_413_and_415_answers_match_the_documents(api: Api) -> None:
    """Api.request checks each answer against its operation's documented responses."""
    update = f"/dropship/v1/Suppliers({SUPPLIER})/Orders({SEED_ORDER})/OrderStatusUpdate"
    json_type = {"Content-Type": "application/json"}
    big = api.request(
        "putOrderStatusUpdate", "PUT", update, content=b" " * (1 << 21), headers=json_type
    )
    assert big.status_code == 413
    plain = api.request(
        "putOrderStatusUpdate", "PUT", update, content=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert plain.status_code == 415
    order = api.create_order()
    items = f"/orders/v1/Companies(14146)/Orders({order['Id']})/Items"
    assert (
        api.request(
            "addItem", "POST", items, content=b" " * (1 << 21), headers=json_type
        ).status_code
        == 413
    )


def test_control_clock_refuses_huge_advances(api: Api) -> None:
    response = api.control("POST", "/clock", json={"advance_hours": float(2**60)})
    assert response.status_code == 400 and message(response).startswith("advance_hours:")
