"""The sandbox's order feed: document shape, paging at 50, archives, feed errors."""

from __future__ import annotations

import pytest

from dropship_conformance.feed import read_feed
from dropship_conformance.feed.atom import ATOM_NS, first_difference
from dropship_conformance.feed.events import to_value
from dropship_conformance.sandbox.feed import render_page
from dropship_conformance.sandbox.store import PageRow

from .helpers import DS, SUPPLIER, SUPPLIER2, TOKEN, Api, link_page_id, message

pytestmark = pytest.mark.both_databases

BASE = "http://testserver/dropship/v1"


def reset_feed_to(api: Api, total: int) -> None:
    """Reset the sandbox and grow supplier 60455's feed to exactly ``total`` entries."""
    api.control("POST", "/reset")
    seeded = api.feed_total()
    assert total >= seeded
    if total > seeded:
        api.add_events(total - seeded)
    assert api.feed_total() == total


def test_current_document_shape(api: Api) -> None:
    response = api.feed()
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    doc = read_feed(response.content)
    assert doc.title == "Dropship Order Event Feed"
    assert doc.root.find(f"{{{ATOM_NS}}}author/{{{ATOM_NS}}}name").text == "iQmetrix"
    current = doc.link("current")
    assert current == f"{BASE}/Suppliers({SUPPLIER})/Notifications"
    self_link = doc.link("self")
    assert self_link.startswith(f"{BASE}/Suppliers({SUPPLIER})/Notifications/Pages(")
    assert doc.id == f"urn:uuid:{link_page_id(self_link)}"
    assert doc.link("prev-archive") is None
    assert not doc.is_archive
    # Seed: two orders of supplier 60455, newest first, titled by payload.
    assert [e.title for e in doc.entries] == ["Dropship Order Created"] * 2
    assert doc.updated == doc.entries[0].updated
    assert [e.order_id for e in doc.entries] == [
        "32cb2b46-fb26-48c8-9b8f-67ed759e2599",
        "0b05f9fb-1210-4494-b654-d051948716b4",
    ]


def test_order_created_payload_matches_the_order(api: Api) -> None:
    created = api.new_ds_order(
        items=[
            {"sku": "SKU-1", "quantity": 2, "selling-price": 9.99, "description": "One"},
            {"sku": "SKU-2", "quantity": 1, "selling-price": "42", "description": "Two"},
        ]
    )
    doc = read_feed(api.feed().content)
    entry = doc.entries[0]
    assert entry.order_id == created["order-id"]
    assert entry.content_type == "application/xml"
    value = to_value(entry.payload)
    assert value["supplier-id"] == str(SUPPLIER)
    assert value["seller"]["company-id"] == "14146"
    assert value["seller"]["location-id"] == "14202"
    assert value["ship-to-store"] == "false"
    assert value["shipping-entity-id"] == "0"
    assert value["shipping-customer"]["customer-id"] == "659c2a38-d083-4421-9330-46d779702f85"
    assert value["shipping-address"]["address-id"] == "a08b0640-606a-41f0-901a-facaf50e75dd"
    assert value["shipping-address"]["notes"] is None  # i:nil
    assert [(i["sku"], i["quantity"], i["selling-price"]) for i in value["items"]] == [
        ("SKU-1", "2", "9.99"),
        ("SKU-2", "1", "42"),
    ]


def test_ship_to_store_order_names_the_store(api: Api) -> None:
    created = api.new_ds_order(**{"ship-to-store": True})
    entry = read_feed(api.feed().content).entries[0]
    assert entry.order_id == created["order-id"]
    value = to_value(entry.payload)
    assert value["ship-to-store"] == "true"
    assert value["shipping-entity-id"] == "14203"
    assert value["shipping-address"]["type"] == "Store"
    assert value["shipping-address"]["business-name"] == "Saskatoon 8th Street"


@pytest.mark.parametrize("total", [2, 49, 50, 51, 100, 101, 150])
def test_paging(api: Api, total: int) -> None:
    """002 §Step 2: the current document holds 1..50 entries, archives exactly 50."""
    api.control("POST", "/reset")
    seeded = api.feed_total()
    if total < seeded:
        pytest.skip("the seed already holds more entries")
    if total > seeded:
        api.add_events(total - seeded)
    documents = api.walk()
    current, archives = documents[0], documents[1:]
    assert len(current.entries) == (total - 1) % 50 + 1
    assert len(archives) == (total - 1) // 50
    assert all(len(doc.entries) == 50 for doc in archives)
    assert all(doc.is_archive for doc in archives)
    ids = [entry.id for doc in documents for entry in doc.entries]
    assert len(ids) == total == len(set(ids))
    # next-archive / prev-archive are mutual, the oldest has no prev-archive.
    for newer, older in zip(documents, archives, strict=False):
        assert older.link("next-archive") == newer.link("self")
        assert newer.link("prev-archive") == older.link("self")
    if archives:
        assert archives[-1].link("prev-archive") is None
        for doc in archives:
            assert doc.link("current") == current.link("current")
    # Newest first across the whole walk.
    stamps = [entry.updated for doc in documents for entry in doc.entries]
    assert stamps == sorted(stamps, reverse=True)


def test_rollover_keeps_the_page_id(api: Api) -> None:
    """DS-ARCH-008: 50 entries + 1 event -> those 50 become an archive with the same id."""
    reset_feed_to(api, 50)
    before = read_feed(api.feed().content)
    assert len(before.entries) == 50
    assert before.link("prev-archive") is None
    full_page = link_page_id(before.link("self"))
    created = api.new_ds_order()
    after = read_feed(api.feed().content)
    assert len(after.entries) == 1
    assert after.entries[0].order_id == created["order-id"]
    assert link_page_id(after.link("prev-archive")) == full_page
    assert link_page_id(after.link("self")) != full_page
    archive = read_feed(api.page(full_page, role="archive").content)
    assert archive.is_archive
    assert [e.id for e in archive.entries] == [e.id for e in before.entries]
    assert archive.link("next-archive") == after.link("self")
    assert archive.link("prev-archive") is None


def test_archives_never_change(api: Api) -> None:
    """DS-ARCH-002: an archive is byte-identical however often and whenever it is read."""
    reset_feed_to(api, 120)
    documents = api.walk()
    urls = [doc.link("self") for doc in documents[1:]]
    first = [api.page(url, role="archive").content for url in urls]
    api.add_events(75)
    api.order_status(
        "0b05f9fb-1210-4494-b654-d051948716b4",
        {"Id": "0b05f9fb-1210-4494-b654-d051948716b4", "Status": "Ordered"},
    )
    again = [api.page(url, role="archive").content for url in urls]
    assert first == again
    for a, b in zip(first, again, strict=True):
        assert first_difference(a, b) is None


def test_current_page_by_id_is_the_current_document(api: Api) -> None:
    current = api.feed()
    page_id = link_page_id(read_feed(current.content).link("self"))
    by_id = api.page(page_id, role="current")
    assert by_id.content == current.content


def test_page_self_link_resolves_to_same_document(api: Api) -> None:
    reset_feed_to(api, 60)
    archive_url = read_feed(api.feed().content).link("prev-archive")
    archive = api.page(archive_url, role="archive")
    self_url = read_feed(archive.content).link("self")
    assert api.page(self_url, role="archive").content == archive.content


@pytest.mark.parametrize(
    "page_id",
    [
        "abc",
        "",
        "e1697c26-23e2-4bc7-8f6c-494c6034d9e2",  # well-formed, not a page
        "e1697c26-23e2-4bc7-8f6c",  # truncated
        "{e1697c26-23e2-4bc7-8f6c-494c6034d9e2}",
    ],
)
def test_bad_page_id(api: Api, page_id: str) -> None:
    response = api.page(page_id)
    assert response.status_code == 400
    assert message(response) == "The request is invalid"


def test_page_of_another_supplier_is_a_bad_page_id(api: Api) -> None:
    other = read_feed(api.feed(SUPPLIER2, token="sandbox-supplier-14107").content)
    response = api.page(link_page_id(other.link("self")))
    assert response.status_code == 400
    assert message(response) == "The request is invalid"


@pytest.mark.parametrize(
    "supplier", ["abc", "", "0", "-1", "60455.0", "99999999999", " 60455", "12345", "2147483646"]
)
def test_bad_supplier_id(api: Api, supplier: str) -> None:
    response = api.feed(supplier)
    assert response.status_code == 400
    assert message(response) == "Cannot find supplier identifier in the uri"
    response = api.page("e1697c26-23e2-4bc7-8f6c-494c6034d9e2", supplier=supplier)
    assert response.status_code == 400
    assert message(response) == "Cannot find supplier identifier in the uri"


def test_supplier_not_of_the_token(api: Api) -> None:
    response = api.feed(SUPPLIER2)
    assert response.status_code == 401
    assert message(response) == "Invalid token"


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Basic c2FuZGJveA==", "Bearer wrong-token", f"Token {TOKEN}"],
)
def test_invalid_token(api: Api, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = api.request(
        "getNotifications",
        "GET",
        f"{DS}/Suppliers({SUPPLIER})/Notifications",
        token=None,
        headers=headers,
    )
    assert response.status_code == 401
    assert message(response) == "Invalid token"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_token_checked_before_supplier_id(api: Api) -> None:
    response = api.feed("abc", token="nope")
    assert response.status_code == 401


def test_bearer_scheme_is_case_insensitive(api: Api) -> None:
    response = api.request(
        "getNotifications",
        "GET",
        f"{DS}/Suppliers({SUPPLIER})/Notifications",
        token=None,
        headers={"Authorization": f"bearer {TOKEN}"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        f"{DS}/Zxppliers({SUPPLIER})/Notifications",
        f"{DS}/Suppliers({SUPPLIER})/Notification",
        f"{DS}/Suppliers({SUPPLIER})/Notifications/Pages",
        "/dropship/v2/Suppliers(60455)/Notifications",
        "/",
        "/orders/v1/Nothing",
    ],
)
def test_unknown_path(api: Api, path: str) -> None:
    for token in (TOKEN, None):
        response = api.request(None, "GET", path, token=token)
        assert response.status_code == 404
        assert message(response) == "Not found"


def test_wrong_method_is_405_json(api: Api) -> None:
    response = api.request(None, "POST", f"{DS}/Suppliers({SUPPLIER})/Notifications", json={})
    assert response.status_code == 405
    assert "POST" in message(response)


def test_empty_current_page_renders_valid(api: Api) -> None:
    """A supplier without any event yet still gets a valid current document."""
    from dropship_conformance.feed import check_document

    page = PageRow("5f2b4c1e-8d3a-4b6f-9e0d-1c2b3a4d5e6f", 1, 0, False, 0, "2025-01-01T00:00:00Z")
    body = render_page(BASE, page, None, None, [])
    assert check_document(body, "current") == []
    assert read_feed(body).updated is not None


@pytest.mark.parametrize("raw", ["%0A", "a%0Ab", "%00", "%E2%80%A8"])
def test_odd_characters_in_ids_are_refused_not_404(api: Api, raw: str) -> None:
    """A newline or NUL in an id is still that operation's refusal, never 404."""
    response = api.request("getNotifications", "GET", f"{DS}/Suppliers({raw})/Notifications")
    assert response.status_code == 400
    response = api.request("listOrderFull", "GET", f"/orders/v1/Companies({raw})/OrderFull")
    assert response.status_code == 400
    assert "CompanyId" in message(response)
    response = api.request("getOrder", "GET", f"/orders/v1/Companies(14146)/Orders({raw})")
    assert response.status_code == 404
