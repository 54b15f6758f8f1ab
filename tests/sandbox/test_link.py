"""ASSUME-ORDERS-TO-DROPSHIP: processing an order feeds the suppliers; their updates come back."""

from __future__ import annotations

import pytest

from dropship_conformance.feed import read_feed
from dropship_conformance.feed.events import to_value

from .helpers import COMPANY, CUSTOMER, LOCATION, LOCATION2, SUPPLIER, SUPPLIER2, Api

pytestmark = pytest.mark.both_databases


def make_processed_order(api: Api, **order_fields: object) -> tuple[dict, list[dict]]:
    order = api.create_order({"TenderId": "INV-1", **order_fields})
    items = [
        {
            "ItemTypeId": 1,
            "ItemStatusId": 1,
            "SKU": "DS-A",
            "Quantity": 2,
            "SellingPrice": 9.99,
            "Description": "Dropship A",
            "SupplierEntityId": SUPPLIER,
            "ShippingOptionId": "7",
            "ProductId": "a183f1a9-c58f-426a-930a-9a6357db52ed",
        },
        {
            "ItemTypeId": "1",
            "ItemStatusId": 1,
            "SKU": "DS-B",
            "Quantity": 1,
            "SellingPrice": 5,
            "Description": "Dropship B",
            "SupplierEntityId": SUPPLIER,
            "ProductId": "P-B",
        },
        {
            "ItemTypeId": 1,
            "ItemStatusId": 1,
            "SKU": "DS-C",
            "Quantity": 3,
            "SellingPrice": 1.5,
            "SupplierEntityId": SUPPLIER2,
        },
        {"ItemTypeId": 2, "ItemStatusId": 9, "SKU": "STOCK", "SupplierEntityId": SUPPLIER},
        {"ItemTypeId": 1, "ItemStatusId": 1, "SKU": "NO-SUPPLIER", "SupplierEntityId": 0},
    ]
    created = []
    for body in items:
        response = api.add_item(order["Id"], body)
        assert response.status_code == 201, response.text
        created.append(response.json())
    assert api.process(order["Id"]).status_code == 201
    return order, created


def items_of(api: Api, order_id: str) -> dict[str, dict]:
    response = api.orders("listItems", "GET", f"/Orders({order_id})/Items")
    return {item["SKU"]: item for item in response.json()}


def test_processing_creates_one_dropship_order_per_supplier(api: Api) -> None:
    order, _ = make_processed_order(api)
    entry = read_feed(api.feed().content).entries[0]
    assert entry.title == "Dropship Order Created"
    value = to_value(entry.payload)
    assert value["seller"] == {
        "company-id": str(COMPANY),
        "location-id": str(LOCATION),
        "po-reference": "INV-1",
        "printable-id": order["PrintableId"],
    }
    assert value["supplier-id"] == str(SUPPLIER)
    assert value["ship-to-store"] == "false"
    assert value["shipping-customer"]["customer-id"] == CUSTOMER
    assert value["shipping-address"]["address-id"] == "a08b0640-606a-41f0-901a-facaf50e75dd"
    assert value["shipping-method"] == "7"
    assert [(i["sku"], i["quantity"], i["selling-price"]) for i in value["items"]] == [
        ("DS-A", "2", "9.99"),
        ("DS-B", "1", "5"),
    ]
    assert value["items"][0]["catalog-id"] == "a183f1a9-c58f-426a-930a-9a6357db52ed"
    other = read_feed(api.feed(SUPPLIER2, token="sandbox-supplier-14107").content).entries[0]
    assert [i["sku"] for i in to_value(other.payload)["items"]] == ["DS-C"]
    items = items_of(api, order["Id"])
    assert {sku: i["ItemStatus"] for sku, i in items.items()} == {
        "DS-A": "Processed",
        "DS-B": "Processed",
        "DS-C": "Processed",
        "STOCK": "New",
        "NO-SUPPLIER": "New",
    }
    assert items["DS-A"]["ItemStatusId"] == 3


def test_supplier_updates_show_on_orders_items(api: Api) -> None:
    order, _ = make_processed_order(api)
    ds_id = read_feed(api.feed().content).entries[0].order_id
    response = api.order_status(
        ds_id,
        {"Id": ds_id, "Status": "Shipped", "TrackingInfo": "1Z1, 1Z2", "ShippingProvider": "UPS"},
    )
    assert response.status_code == 202
    items = items_of(api, order["Id"])
    assert items["DS-A"]["ItemStatus"] == "Shipped" and items["DS-A"]["ItemStatusId"] == 7
    assert items["DS-A"]["TrackingInformation"] == [
        {"Quantity": 2, "TrackingNumber": "1Z1"},
        {"Quantity": 2, "TrackingNumber": "1Z2"},
    ]
    assert items["DS-C"]["ItemStatus"] == "Processed"  # the other supplier's order
    # Item updates: NotAvailable -> NotAvailable (6); PartiallyShipped has no Orders status.
    response = api.item_status(
        ds_id,
        {
            "Id": ds_id,
            "ItemInformation": [
                {"Sku": "DS-A", "Status": "NotAvailable"},
                {"Sku": "DS-B", "Status": "PartiallyShipped", "Quantity": 1, "TrackingInfo": "1Z9"},
            ],
        },
    )
    assert response.status_code == 202
    items = items_of(api, order["Id"])
    assert items["DS-A"]["ItemStatusId"] == 6
    assert items["DS-B"]["ItemStatus"] == "Shipped"  # unchanged by PartiallyShipped
    assert items["DS-B"]["TrackingInformation"] == [{"Quantity": 1, "TrackingNumber": "1Z9"}]
    for status, expected in [("Ordered", 4), ("Error", 5), ("Cancelled", 2), ("Other", 2)]:
        api.order_status(ds_id, {"Id": ds_id, "Status": status})
        assert items_of(api, order["Id"])["DS-A"]["ItemStatusId"] == expected
    full = api.orders("getOrderFull", "GET", f"/OrderFull({order['Id']})").json()
    assert {i["SKU"]: i["ItemStatusId"] for i in full["Items"]}["DS-A"] == 2


def test_ship_to_store_order(api: Api) -> None:
    make_processed_order(api, ShippingEntityId=LOCATION2)
    value = to_value(read_feed(api.feed().content).entries[0].payload)
    assert value["ship-to-store"] == "true"
    assert value["shipping-entity-id"] == str(LOCATION2)
    assert value["shipping-address"]["type"] == "Store"
    assert value["shipping-customer"]["customer-id"] == CUSTOMER


def test_order_without_dropship_items_feeds_nobody(api: Api) -> None:
    before = api.feed_total()
    order = api.create_order()
    api.add_item(order["Id"], {"ItemTypeId": 2, "ItemStatusId": 9, "SupplierEntityId": SUPPLIER})
    assert api.process(order["Id"]).status_code == 201
    assert api.feed_total() == before


def test_unknown_customer_and_address_are_nil(api: Api) -> None:
    """An order naming ids the sandbox does not know still yields a valid event."""
    order = api.create_order(
        {
            "BillingCustomerId": CUSTOMER,
            "ShippingCustomerId": "11111111-2222-4333-8444-555555555555",
            "ShippingAddressId": "66666666-7777-4888-9999-000000000000",
        }
    )
    api.add_item(order["Id"], {"ItemTypeId": 1, "ItemStatusId": 1, "SupplierEntityId": SUPPLIER})
    assert api.process(order["Id"]).status_code == 201
    value = to_value(read_feed(api.feed().content).entries[0].payload)
    assert value["shipping-customer"]["customer-id"] == "11111111-2222-4333-8444-555555555555"
    assert value["shipping-customer"]["family-name"] is None
    assert value["shipping-address"]["address-id"] == "66666666-7777-4888-9999-000000000000"
    assert value["shipping-address"]["locality"] is None
    # An item without SKU is still addressable by the supplier: its id stands in.
    sku = value["items"][0]["sku"]
    ds_id = value["order-id"]
    response = api.item_status(ds_id, {"Id": ds_id, "ItemInformation": [{"Sku": sku, "Status": 1}]})
    assert response.status_code == 202
