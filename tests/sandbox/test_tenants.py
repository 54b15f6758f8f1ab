"""Tenants: the admin provisioning API and CLI, and isolation between provisioned vendors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dropship_conformance import cli
from dropship_conformance.sandbox import create_app
from dropship_conformance.sandbox.store import Store
from dropship_conformance.sandbox.tenants import provision

from .helpers import COMPANY, SUPPLIER, TOKEN, Api, TestClient, message

pytestmark = pytest.mark.both_databases

ADMIN = "admin-s3cret"


@pytest.fixture
def admin_api(db_location: str) -> Iterator[Api]:
    app = create_app(db_location, admin_token=ADMIN)
    with TestClient(app, raise_server_exceptions=True) as client:
        yield Api(client)
    app.state.store.close()


def add_tenant(api: Api, name: str | None = None) -> dict[str, Any]:
    response = api.client.post(
        "/_admin/tenants",
        headers={"Authorization": f"Bearer {ADMIN}"},
        json={"name": name} if name else None,
    )
    assert response.status_code == 201, response.text
    return response.json()


def tenant_order(api: Api, tenant: dict[str, Any], **body: Any) -> dict[str, Any]:
    """An Orders API order of the tenant's company, made with the tenant's token."""
    customer = tenant["customers"][0]["customer-id"]
    return api.create_order(
        {"EntityId": tenant["location-ids"][0], "BillingCustomerId": customer, **body},
        company=tenant["company-id"],
        token=tenant["token"],
    )


def tenant_ds_order(api: Api, tenant: dict[str, Any]) -> str:
    customer = tenant["customers"][0]
    return api.new_ds_order(
        tenant["supplier-id"],
        **{
            "company-id": tenant["company-id"],
            "location-id": tenant["location-ids"][0],
            "customer-id": customer["customer-id"],
            "address-id": customer["address-ids"][0],
        },
    )["id"]


def test_admin_api_is_off_without_an_admin_token(api: Api) -> None:
    response = api.client.post("/_admin/tenants", headers={"Authorization": "Bearer x"})
    assert response.status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {ADMIN}", TOKEN])
def test_admin_api_needs_the_admin_token(admin_api: Api, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for method in ("GET", "POST"):
        response = admin_api.client.request(method, "/_admin/tenants", headers=headers)
        assert response.status_code == 401, response.text


@pytest.mark.parametrize(
    "body", [b"[]", b"{", b'{"name": 5}', b'{"name": ""}', json.dumps({"name": "x" * 101})]
)
def test_bad_tenant_bodies_get_400(admin_api: Api, body: bytes | str) -> None:
    response = admin_api.client.post(
        "/_admin/tenants", headers={"Authorization": f"Bearer {ADMIN}"}, content=body
    )
    assert response.status_code == 400
    assert message(response).startswith("name:")


def test_provisioned_tenants_are_listed_with_distinct_identities(admin_api: Api) -> None:
    a, b = add_tenant(admin_api, "Acme"), add_tenant(admin_api)
    assert a["name"] == "Acme" and b["name"] == "Tenant 2"
    for key in ("token", "supplier-id", "company-id"):
        assert a[key] != b[key]
    assert not set(a["location-ids"]) & set(b["location-ids"])
    listed = admin_api.client.get(
        "/_admin/tenants", headers={"Authorization": f"Bearer {ADMIN}"}
    ).json()
    assert listed["tenants"] == [a, b]


def test_a_tenant_acts_for_itself_only(admin_api: Api) -> None:
    api = admin_api
    a, b = add_tenant(api), add_tenant(api)
    a_sid, b_sid = a["supplier-id"], b["supplier-id"]
    # Feeds: each token reads its own supplier's feed only (and no seeded supplier's).
    assert api.feed(a_sid, a["token"]).status_code == 200
    for supplier, token in [(b_sid, a["token"]), (a_sid, b["token"]), (a_sid, TOKEN)]:
        assert api.feed(supplier, token).status_code == 401
    assert api.feed(SUPPLIER, a["token"]).status_code == 401
    # Orders API: a company's orders are its token's only, and its directory is its own.
    order = tenant_order(api, a)
    path = f"/Orders({order['Id']})"
    assert api.orders("getOrder", "GET", path, company=a["company-id"], token=a["token"]).json()
    for company, token, status in [
        (a["company-id"], b["token"], 401),
        (b["company-id"], b["token"], 404),
        (COMPANY, a["token"], 401),
        (COMPANY, TOKEN, 404),
    ]:
        response = api.orders("getOrder", "GET", path, company=company, token=token)
        assert response.status_code == status, (company, token, response.text)
    refused = api.orders(
        "createOrder",
        "POST",
        "/Orders",
        company=a["company-id"],
        token=a["token"],
        json={"EntityId": b["location-ids"][0], "OrderTypeId": 3},
    )
    assert refused.status_code == 400
    # Dropship orders: updates only through the owning supplier's token and URI.
    ds_order = tenant_ds_order(api, a)
    body = {"Id": ds_order, "Status": "Ordered", "Message": "mine"}
    assert api.order_status(ds_order, body, a_sid, a["token"]).status_code == 202
    assert api.order_status(ds_order, body, a_sid, b["token"]).status_code == 401
    assert api.order_status(ds_order, body, b_sid, b["token"]).status_code == 404
    a_entries = [e for d in api.walk(a_sid, a["token"]) for e in d.entries]
    b_entries = [e for d in api.walk(b_sid, b["token"]) for e in d.entries]
    assert len(a_entries) == 2 and b_entries == []


def test_tenants_survive_a_reset_without_their_orders(admin_api: Api) -> None:
    tenant = add_tenant(admin_api)
    tenant_ds_order(admin_api, tenant)
    assert admin_api.control("POST", "/reset").status_code == 200
    response = admin_api.feed(tenant["supplier-id"], tenant["token"])
    assert response.status_code == 200
    assert admin_api.walk(tenant["supplier-id"], tenant["token"])[0].entries == []
    assert add_tenant(admin_api)["tenant"] == tenant["tenant"] + 1


@pytest.fixture
def shared_location(db_location: str, tmp_path: Path) -> str:
    """A database two stores can share (a file instead of SQLite's private :memory:)."""
    return str(tmp_path / "shared.sqlite3") if db_location == ":memory:" else db_location


def test_another_process_serves_a_new_tenant_after_refresh(shared_location: str) -> None:
    serving, provisioning = Store(shared_location), Store(shared_location)
    try:
        tenant = provision(provisioning, "Late")
        assert tenant["token"] not in serving.directory.tokens
        serving.refresh()
        assert serving.directory.tokens[tenant["token"]].suppliers == {tenant["supplier-id"]}
        assert tenant["company-id"] in serving.directory.companies
    finally:
        serving.close()
        provisioning.close()


def test_cli_provision_prints_the_tenant(
    shared_location: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["sandbox", "provision", "--db", shared_location, "--name", "Cli"]) == 0
    tenant = json.loads(capsys.readouterr().out)
    assert tenant["name"] == "Cli"
    store = Store(shared_location)
    try:
        assert tenant["token"] in store.directory.tokens
    finally:
        store.close()


def test_cli_provision_refuses_a_bad_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sandbox", "provision", "--db", ":memory:", "--name", ""]) == 2
    assert "--name" in capsys.readouterr().err


def test_the_banner_keeps_tenant_tokens_out_of_the_log(tmp_path: Path) -> None:
    from .test_server import sandbox_process

    db = str(tmp_path / "banner.sqlite3")
    store = Store(db)
    try:
        tenant = provision(store, "Secret")
    finally:
        store.close()
    with sandbox_process(db) as (process, _):
        banner = process.banner
    assert "Tenants: 1" in banner
    assert tenant["token"] not in banner
    assert str(tenant["supplier-id"]) not in banner
