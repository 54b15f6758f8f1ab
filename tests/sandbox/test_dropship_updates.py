"""OrderStatusUpdate and ItemStatusUpdate: echo, feed events, every documented error."""

from __future__ import annotations

import json

import pytest

from dropship_conformance.feed import read_feed
from dropship_conformance.feed.events import to_value
from dropship_conformance.sandbox.enums import DS_STATUSES
from dropship_conformance.specs import spec_path

from .helpers import DS, SEED_ORDER, SEED_SKUS, SUPPLIER, SUPPLIER2, Api, message

pytestmark = pytest.mark.both_databases

ID_MISMATCH = (
    "Uri parameter representing resource id and resource id found in the request content "
    "don't match"
)


def newest_event(api: Api) -> dict:
    entry = read_feed(api.feed().content).entries[0]
    assert entry.title == "Dropship Order Status Updated"
    return to_value(entry.payload)


def test_order_status_update_echoes_and_appends_event(api: Api) -> None:
    body = {
        "Id": SEED_ORDER,
        "Status": "Shipped",
        "Message": "No errors",
        "TrackingInfo": "1Z863YY60392796356,1Z863YY60393998",
        "ShippingProvider": "UPS",
        "Info": "www.ups.com",
    }
    before = api.feed_total()
    response = api.order_status(SEED_ORDER, body)
    assert response.status_code == 202
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == body
    assert api.feed_total() == before + 1
    event = newest_event(api)
    assert event["order-id"] == SEED_ORDER
    assert event["supplier-id"] == str(SUPPLIER)
    assert event["company-id"] == "14146"
    assert [item["sku"] for item in event["items"]] == SEED_SKUS
    for item in event["items"]:
        assert item["status"] == "Shipped"
        assert item["tracking-info"] == body["TrackingInfo"]
        assert item["shipping-provider"] == "UPS"
        assert item["message"] == "No errors"
        assert item["info"] == "www.ups.com"
        assert item["reference-name"] is None
    assert [item["quantity"] for item in event["items"]] == ["1", "1", "5", "1"]
    view = api.ds_order(SEED_ORDER)
    assert view["status"] == "Shipped"
    assert {item["status"] for item in view["item-status"]} == {"Shipped"}
    assert view["updates"][-1]["body"] == body


@pytest.mark.parametrize("index,name", list(enumerate(DS_STATUSES)))
def test_status_by_name_and_by_id(api: Api, index: int, name: str) -> None:
    for status in (name, index):
        response = api.order_status(SEED_ORDER, {"Id": SEED_ORDER, "Status": status})
        assert response.status_code == 202
        assert response.json()["Status"] == status  # echoed as sent
        assert {item["status"] for item in newest_event(api)["items"]} == {name}


@pytest.mark.parametrize(
    "status", ["Exception", "shipped", "SHIPPED", "2", " Shipped", 9, -1, True, 2.5, "", [], {}]
)
def test_unknown_status(api: Api, status: object) -> None:
    response = api.order_status(SEED_ORDER, {"Id": SEED_ORDER, "Status": status})
    assert response.status_code == 400
    assert message(response).startswith("Status:")


@pytest.mark.parametrize(
    "body,field",
    [
        ({"Status": "Shipped"}, "Id"),
        ({"Id": None, "Status": "Shipped"}, "Id"),
        ({"Id": SEED_ORDER}, "Status"),
        ({"Id": "0b05f9fb-1210-4494-b654", "Status": "Shipped"}, "Id"),
        ({"Id": 12, "Status": "Shipped"}, "Id"),
        ({"Id": SEED_ORDER, "Status": "Shipped", "TrackingInfo": 23923408863}, "TrackingInfo"),
        ({"Id": SEED_ORDER, "Status": "Shipped", "Message": ["x"]}, "Message"),
        ({"Id": SEED_ORDER, "Status": "Shipped", "ShippingProvider": 1}, "ShippingProvider"),
        ({"Id": SEED_ORDER, "Status": "Shipped", "Info": False}, "Info"),
        ({"Id": SEED_ORDER, "Status": "Shipped", "ReferenceName": {}}, "ReferenceName"),
        ({"Id": SEED_ORDER, "Status": "Shipped", "Bogus": 1}, "Bogus"),
        ([], "body"),
        ("Shipped", "body"),
    ],
)
def test_order_status_update_bad_field(api: Api, body: object, field: str) -> None:
    before = api.feed_total()
    response = api.order_status(SEED_ORDER, body)
    assert response.status_code == 400
    assert message(response).startswith(f"{field}:")
    assert api.feed_total() == before


def test_id_must_match_uri(api: Api) -> None:
    other = "91a57ddb-2d42-402b-85b4-fe327a347313"
    response = api.order_status(SEED_ORDER, {"Id": other, "Status": "Shipped"})
    assert response.status_code == 400
    assert message(response) == ID_MISMATCH
    response = api.item_status(
        SEED_ORDER, {"Id": other, "ItemInformation": [{"Sku": "abc123", "Status": "Shipped"}]}
    )
    assert response.status_code == 400
    assert message(response) == ID_MISMATCH


def test_id_compares_as_guid_case_insensitively(api: Api) -> None:
    response = api.order_status(SEED_ORDER.upper(), {"Id": SEED_ORDER, "Status": "Ordered"})
    assert response.status_code == 202


@pytest.mark.parametrize("order_id", ["5c2e0d1a-7b3f-4e8a-9d6c-2f1e0a9b8c7d", "not-a-guid"])
def test_unknown_order(api: Api, order_id: str) -> None:
    response = api.order_status(order_id, {"Id": order_id, "Status": "Shipped"})
    if order_id == "not-a-guid":
        assert response.status_code == 400 and message(response).startswith("Id:")
        return
    assert response.status_code == 404
    assert message(response) == f"Order resource with id {order_id} cannot be found"
    response = api.item_status(
        order_id, {"Id": order_id, "ItemInformation": [{"Sku": "x", "Status": "Shipped"}]}
    )
    assert response.status_code == 404


def test_another_suppliers_order_is_not_found(api: Api) -> None:
    response = api.order_status(
        SEED_ORDER,
        {"Id": SEED_ORDER, "Status": "Shipped"},
        supplier=SUPPLIER2,
        token="sandbox-supplier-14107",
    )
    assert response.status_code == 404


def test_another_suppliers_id_is_invalid_token(api: Api) -> None:
    response = api.order_status(
        SEED_ORDER, {"Id": SEED_ORDER, "Status": "Shipped"}, supplier=SUPPLIER2
    )
    assert response.status_code == 401
    assert message(response) == "Invalid token"


def test_bad_supplier_id_on_update(api: Api) -> None:
    response = api.order_status(SEED_ORDER, {"Id": SEED_ORDER, "Status": "Shipped"}, supplier="x")
    assert response.status_code == 400
    assert message(response) == "Cannot find supplier identifier in the uri"


def test_no_token_on_update(api: Api) -> None:
    response = api.order_status(SEED_ORDER, {"Id": SEED_ORDER, "Status": "Shipped"}, token=None)
    assert response.status_code == 401
    assert message(response) == "Invalid token"


@pytest.mark.parametrize(
    "content,content_type,status,start",
    [
        (b'{"Id": ', "application/json", 400, "body:"),
        (b"", "application/json", 400, "body:"),
        (b'{"Id": NaN}', "application/json", 400, "body:"),
        (b'{"Id": 1e999}', "application/json", 400, "body:"),
        (b"\xff\xfe{}", "application/json", 400, "body:"),
        (b"[" * 100000 + b"]" * 100000, "application/json", 400, "body:"),
        (b"{}", "text/plain", 415, "Content-Type:"),
        (b"{}", "", 415, "Content-Type:"),
        (b"{}", "application/xml", 415, "Content-Type:"),
    ],
)
def test_malformed_bodies(
    api: Api, content: bytes, content_type: str, status: int, start: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.request(
        None,
        "PUT",
        f"{DS}/Suppliers({SUPPLIER})/Orders({SEED_ORDER})/OrderStatusUpdate",
        content=content,
        headers=headers,
    )
    assert response.status_code == status, response.text
    assert message(response).startswith(start)


def test_json_content_type_with_parameters_is_accepted(api: Api) -> None:
    response = api.request(
        "putOrderStatusUpdate",
        "PUT",
        f"{DS}/Suppliers({SUPPLIER})/Orders({SEED_ORDER})/OrderStatusUpdate",
        content=json.dumps({"Id": SEED_ORDER, "Status": "Other"}).encode(),
        headers={"Content-Type": "Application/JSON; charset=utf-8"},
    )
    assert response.status_code == 202


def test_body_over_one_mebibyte(api: Api) -> None:
    body = {"Id": SEED_ORDER, "Status": "Other", "Message": "x" * (1 << 20)}
    response = api.request(
        None,
        "PUT",
        f"{DS}/Suppliers({SUPPLIER})/Orders({SEED_ORDER})/OrderStatusUpdate",
        json=body,
    )
    assert response.status_code == 413
    assert "1048576" in message(response)


def test_item_status_update_event_holds_the_items_sent(api: Api) -> None:
    body = {
        "Id": SEED_ORDER,
        "ItemInformation": [
            {
                "Status": "Error",
                "ProductName": "SMS L720 BLU SPT RTD",
                "Message": "Error: Product dsf could not be found",
                "Sku": "abc123",
                "TrackingInfo": "23923408863",
                "ShippingProvider": "UPS",
            },
            {
                "Status": 6,
                "Sku": "9356SAMGL6S",
                "Quantity": 2,
                "CatalogId": "11111111-2222-4333-8444-555555555555",
                "TrackingInfo": "1Z1",
            },
        ],
    }
    response = api.item_status(SEED_ORDER, body)
    assert response.status_code == 202
    assert response.json() == body
    event = newest_event(api)
    items = event["items"]
    assert [(i["sku"], i["status"]) for i in items] == [
        ("abc123", "Error"),
        ("9356SAMGL6S", "PartiallyShipped"),
    ]
    # catalog-id and quantity come from the order when not sent.
    assert items[0]["catalog-id"] == "dbc2577a-021f-4bbf-8289-ff9cac593a8b"
    assert items[0]["quantity"] == "1"
    assert items[1]["catalog-id"] == "11111111-2222-4333-8444-555555555555"
    assert items[1]["quantity"] == "2"
    assert items[0]["message"] == "Error: Product dsf could not be found"
    assert items[1]["message"] is None
    view = api.ds_order(SEED_ORDER)
    statuses = {item["sku"]: item["status"] for item in view["item-status"]}
    assert statuses == {
        "abc123": "Error",
        "234oike": "PendingSupplier",
        "9356SAMGL6S": "PartiallyShipped",
        "802975857401": "PendingSupplier",
    }


@pytest.mark.parametrize(
    "info,field",
    [
        ({"Sku": "nope", "Status": "Shipped"}, "ItemInformation[0].Sku"),
        ({"Status": "Shipped"}, "ItemInformation[0].Sku"),
        ({"Sku": "", "Status": "Shipped"}, "ItemInformation[0].Sku"),
        ({"Sku": "abc123"}, "ItemInformation[0].Status"),
        ({"Sku": "abc123", "Status": "Exception"}, "ItemInformation[0].Status"),
        (
            {"Sku": "abc123", "Status": "Shipped", "TrackingInfo": 9870873242},
            "ItemInformation[0].TrackingInfo",
        ),
        (
            {"Sku": "abc123", "Status": "Shipped", "CatalogId": "dbc2577a-021f-4bbf-8289"},
            "ItemInformation[0].CatalogId",
        ),
        ({"Sku": "abc123", "Status": "Shipped", "Quantity": -1}, "ItemInformation[0].Quantity"),
        ({"Sku": "abc123", "Status": "Shipped", "Quantity": 1.5}, "ItemInformation[0].Quantity"),
        ({"Sku": "abc123", "Status": "Shipped", "Extra": 1}, "ItemInformation[0].Extra"),
        ("abc123", "ItemInformation[0]"),
    ],
)
def test_item_status_update_bad_item(api: Api, info: object, field: str) -> None:
    response = api.item_status(SEED_ORDER, {"Id": SEED_ORDER, "ItemInformation": [info]})
    assert response.status_code == 400
    assert message(response).startswith(f"{field}:")


def test_unknown_sku_is_named(api: Api) -> None:
    body = {
        "Id": SEED_ORDER,
        "ItemInformation": [
            {"Sku": "abc123", "Status": "Shipped"},
            {"Sku": "NOT-ON-ORDER", "Status": "Shipped"},
        ],
    }
    before = api.feed_total()
    response = api.item_status(SEED_ORDER, body)
    assert response.status_code == 400
    assert message(response).startswith("ItemInformation[1].Sku:")
    assert "NOT-ON-ORDER" in message(response)
    assert api.feed_total() == before
    # Nothing of the refused update was applied.
    assert api.ds_order(SEED_ORDER)["item-status"][0]["status"] == "PendingSupplier"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"Id": SEED_ORDER}, "ItemInformation"),
        ({"Id": SEED_ORDER, "ItemInformation": []}, "ItemInformation"),
        ({"Id": SEED_ORDER, "ItemInformation": {}}, "ItemInformation"),
        ({"ItemInformation": [{"Sku": "abc123", "Status": 1}]}, "Id"),
        (
            {"Id": SEED_ORDER, "ItemInformation": [{"Sku": "abc123", "Status": 1}], "Status": 1},
            "Status",
        ),
    ],
)
def test_item_status_update_bad_body(api: Api, body: object, field: str) -> None:
    response = api.item_status(SEED_ORDER, body)
    assert response.status_code == 400
    assert message(response).startswith(f"{field}:")


def test_tracking_numbers_are_stored_as_sent(api: Api) -> None:
    """001: the sandbox stores what it is sent; resending old numbers is the client's duty."""
    api.order_status(
        SEED_ORDER, {"Id": SEED_ORDER, "Status": "PartiallyShipped", "TrackingInfo": "1ZA"}
    )
    api.order_status(SEED_ORDER, {"Id": SEED_ORDER, "Status": "Shipped", "TrackingInfo": "1ZB"})
    view = api.ds_order(SEED_ORDER)
    assert {item["tracking-info"] for item in view["item-status"]} == {"1ZB"}
    api.order_status(SEED_ORDER, {"Id": SEED_ORDER, "Status": "Shipped", "TrackingInfo": "1ZA,1ZB"})
    assert newest_event(api)["items"][0]["tracking-info"] == "1ZA,1ZB"


def _example(name: str) -> object:
    return json.loads(spec_path("examples", "json", name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "name,operation,status",
    [
        ("000-putOrderStatusUpdate-request-2.json", "order", 202),
        ("000-putItemStatusUpdate-request-2.json", "item", 400),  # DEV-NUMERIC-TRACKINGINFO
        ("002-putOrderStatusUpdate-request.json", "order", 202),
        ("001-putOrderStatusUpdate-request.json", "order", 400),  # DEV-BODY-ID-MISMATCH
        ("001-putItemStatusUpdate-request.json", "item", 400),  # Exception, truncated GUID
    ],
)
def test_documented_examples(api: Api, name: str, operation: str, status: int) -> None:
    body = _example(name)
    call = api.order_status if operation == "order" else api.item_status
    response = call(SEED_ORDER, body)
    assert response.status_code == status, response.text
    if status == 202:
        assert response.json() == body


def test_000_item_example_with_string_tracking_numbers_is_accepted(api: Api) -> None:
    body = _example("000-putItemStatusUpdate-request-2.json")
    assert isinstance(body, dict)
    for info in body["ItemInformation"]:
        info["TrackingInfo"] = str(info["TrackingInfo"])
    response = api.item_status(SEED_ORDER, body)
    assert response.status_code == 202
    assert response.json() == body


@pytest.mark.parametrize(
    "raw,field",
    [
        (b'{"Id": "%s", "Status": "Other", "Message": "bell\\u0007"}', "Message:"),
        (b'{"Id": "%s", "Status": "Other", "Info": "\\ud800"}', "Info:"),
        (b'{"Id": "%s", "Status": "Other", "Message": "\\ufffe"}', "Message:"),
        (b'{"Id": "%s", "Status": "Other", "Bad\\u0001Key": 1}', "Bad\\u0001Key:"),
    ],
)
def test_text_that_xml_cannot_carry_is_refused(api: Api, raw: bytes, field: str) -> None:
    """Such text would make the feed unrenderable; it is refused up front, naming the field."""
    response = api.request(
        "putOrderStatusUpdate",
        "PUT",
        f"{DS}/Suppliers({SUPPLIER})/Orders({SEED_ORDER})/OrderStatusUpdate",
        content=raw % SEED_ORDER.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert message(response).startswith(field)
    api.feed()  # the feed still renders


def test_unicode_text_round_trips(api: Api) -> None:
    body = {"Id": SEED_ORDER, "Status": "Other", "Message": "Café 😀 <&> ]]> \t"}
    assert api.order_status(SEED_ORDER, body).json() == body
    entry = read_feed(api.feed().content).entries[0]
    element = entry.payload.find(
        "{urn:iQmetrix:dropship}items/{urn:iQmetrix:dropship}item-information/{urn:iQmetrix:dropship}message"
    )
    assert element.text == body["Message"]  # exact, whitespace included
