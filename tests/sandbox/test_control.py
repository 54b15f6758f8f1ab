"""The sandbox's test-control API (/_sandbox): info, orders, events, clock, reset."""

from __future__ import annotations

import time

import pytest

from dropship_conformance.feed import read_feed

from .helpers import COMPANY, SEED_ORDER, SUPPLIER, Api, message

pytestmark = pytest.mark.both_databases


def test_info(api: Api) -> None:
    info = api.control("GET", "/info").json()
    assert info["sandbox"] is True
    assert info["base_paths"] == {
        "dropship": "/dropship/v1",
        "orders": "/orders/v1",
        "control": "/_sandbox",
    }
    assert info["urls"]["dropship"] == "http://testserver/dropship/v1"
    assert info["default_token"] == "sandbox-token"
    identities = {i["token"]: i for i in info["identities"]}
    assert identities["sandbox-token"]["suppliers"] == [60455]
    assert identities["sandbox-token"]["companies"] == [14146]
    assert set(identities) == {
        "sandbox-token",
        "sandbox-supplier-60455",
        "sandbox-supplier-14107",
        "sandbox-company-14146",
        "sandbox-company-33772",
        "sandbox-other-token",
    }
    assert sorted(info["tokens"]) == sorted(identities)
    companies = {c["id"]: c for c in info["companies"]}
    assert companies[14146]["locations"] == [14202, 14203]
    assert companies[33772]["locations"] == [33773, 33774]
    assert {s["id"] for s in info["suppliers"]} == {60455, 14107}


def test_create_order_defaults_and_view(api: Api) -> None:
    created = api.new_ds_order()
    assert created["order-id"] == created["id"]
    assert created["status"] == "PendingSupplier"
    assert len(created["order-created"]["items"]) == 1
    assert created["order-created"]["seller"]["company-id"] == COMPANY
    assert api.ds_order(created["id"]) == created
    assert read_feed(api.feed().content).entries[0].order_id == created["id"]


@pytest.mark.parametrize(
    "body,start",
    [
        ({"items": []}, "items:"),
        ({"items": [{"quantity": 1}]}, "items[0].sku:"),
        ({"items": [{"sku": "A"}, {"sku": "A"}]}, "items[1].sku:"),
        ({"items": [{"sku": "A", "selling-price": "abc"}]}, "items[0].selling-price:"),
        ({"items": [{"sku": "A", "selling-price": True}]}, "items[0].selling-price:"),
        ({"items": [{"sku": "A", "catalog-id": "x"}]}, "items[0].catalog-id:"),
        ({"company-id": 1}, "company-id:"),
        ({"location-id": 33773}, "location-id:"),
        ({"customer-id": "3da9470e-f1b2-4a1a-bd47-5bf18fe2d1ab"}, "customer-id:"),
        ({"shipping-entity-id": 14203}, "shipping-entity-id:"),
        ({"ship-to-store": True, "shipping-entity-id": 33774}, "shipping-entity-id:"),
        ({"nope": 1}, "nope:"),
    ],
)
def test_create_order_refusals(api: Api, body: dict, start: str) -> None:
    response = api.control("POST", f"/suppliers/{SUPPLIER}/orders", json=body)
    assert response.status_code == 400
    assert message(response).startswith(start)


@pytest.mark.parametrize("supplier", ["1", "abc"])
def test_unknown_supplier(api: Api, supplier: str) -> None:
    response = api.control("POST", f"/suppliers/{supplier}/orders", json={})
    assert response.status_code == 400


def test_unknown_order_view(api: Api) -> None:
    response = api.control("GET", f"/suppliers/{SUPPLIER}/orders/nope")
    assert response.status_code == 404


@pytest.mark.parametrize("count", [0, -1, 200_001, "5", None])
def test_events_bounds(api: Api, count: object) -> None:
    response = api.control("POST", f"/suppliers/{SUPPLIER}/events", json={"count": count})
    assert response.status_code == 400
    assert message(response).startswith("count:")


def test_many_events_are_fast(api: Api) -> None:
    started = time.perf_counter()
    result = api.add_events(20_000)
    elapsed = time.perf_counter() - started
    assert result["feed"]["entries"] == 20_002
    assert result["feed"]["pages"] == 401
    assert elapsed < 10, f"20,000 events took {elapsed:.1f}s"
    # A synthetic order is a real order: it can be updated.
    order_id = result["last-order-id"]
    view = api.ds_order(order_id)
    sku = view["order-created"]["items"][0]["sku"]
    response = api.item_status(
        order_id, {"Id": order_id, "ItemInformation": [{"Sku": sku, "Status": 2}]}
    )
    assert response.status_code == 202


def test_clock(api: Api) -> None:
    before = api.control("GET", "/clock").json()
    after = api.control("POST", "/clock", json={"advance_hours": 24}).json()
    assert after["offset_hours"] == before["offset_hours"] + 24
    for bad in ({"advance_hours": -1}, {}, {"advance_hours": "1"}, {"hours": 1}):
        assert api.control("POST", "/clock", json=bad).status_code == 400
    api.control("POST", "/reset")
    assert api.control("GET", "/clock").json()["offset_hours"] == 0


def test_reset(api: Api) -> None:
    api.new_ds_order()
    api.order_status(SEED_ORDER, {"Id": SEED_ORDER, "Status": "Shipped"})
    api.create_order()
    response = api.control("POST", "/reset")
    assert response.status_code == 200
    assert api.feed_total() == 2
    assert api.orders("listOrders", "GET", "/Orders").json() == []
    assert api.ds_order(SEED_ORDER)["status"] == "PendingSupplier"


def test_force_state_refusals(api: Api) -> None:
    order = api.create_order()
    path = f"/companies/{COMPANY}/orders/{order['Id']}/state"
    assert api.control("POST", path, json={"State": "Nope"}).status_code == 400
    assert (
        api.control(
            "POST", f"/companies/1/orders/{order['Id']}/state", json={"State": "Pending"}
        ).status_code
        == 400
    )
    assert (
        api.control(
            "POST", f"/companies/{COMPANY}/orders/x/state", json={"State": "Pending"}
        ).status_code
        == 404
    )


def test_control_body_must_be_json(api: Api) -> None:
    response = api.request(
        None,
        "POST",
        "/_sandbox/clock",
        token=None,
        content=b"advance",
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 415


def test_unexpected_failure_is_a_plain_500(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """An internal failure is logged and answered 500 "An error has occurred", nothing more."""
    store = api.client.app.state.store

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals /var/lib/x.sqlite3")

    monkeypatch.setattr(store, "current_page", broken)
    response = api.client.get(
        "/dropship/v1/Suppliers(60455)/Notifications",
        headers={"Authorization": "Bearer sandbox-token"},
    )
    assert response.status_code == 500
    assert response.json() == {"Message": "An error has occurred"}
    assert "secret" not in response.text
