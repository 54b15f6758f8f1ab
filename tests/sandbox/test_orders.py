"""The Orders API of the sandbox: every operation, its errors, $filter, and expiry."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest

from dropship_conformance.specs import spec_path

from .helpers import (
    ADDRESS,
    COMPANY,
    COMPANY2,
    CUSTOMER,
    CUSTOMER2,
    LOCATION,
    LOCATION2,
    OTHER_CUSTOMER,
    OTHER_LOCATION,
    Api,
    message,
)

pytestmark = pytest.mark.both_databases

ID_MISMATCH = (
    "Uri parameter representing resource id and resource id found in the request content "
    "don't match"
)
UNKNOWN = "5c2e0d1a-7b3f-4e8a-9d6c-2f1e0a9b8c7d"


def example(name: str) -> dict:
    return json.loads(spec_path("examples", "json", name).read_text(encoding="utf-8"))


def item(**fields: object) -> dict:
    return {"ItemTypeId": 1, "ItemStatusId": 1, **fields}


# ---- create ------------------------------------------


def test_create_order_generates_fields(api: Api) -> None:
    order = api.create_order()
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", order["Id"]
    )
    assert re.fullmatch(r"\d{4}-\d{4}-\d{3}", order["PrintableId"])
    assert order["CreatedDateUtc"].endswith("+00:00")
    assert order["OrderExpiryHours"] == 72
    created = datetime.fromisoformat(order["CreatedDateUtc"])
    assert datetime.fromisoformat(order["OrderExpiryDate"]) - created == timedelta(hours=72)
    assert order["State"] == "Created"
    assert order["OrderType"] == "Purchase" and order["OrderTypeId"] == 3
    assert order["ShippingEntityId"] == 0
    assert order["EntityId"] == LOCATION


def test_printable_ids_are_unique(api: Api) -> None:
    ids = {api.create_order()["PrintableId"] for _ in range(30)}
    assert len(ids) == 30


def test_create_with_every_field(api: Api) -> None:
    body = example("004-createOrder-request.json")
    body["ShippingEntityId"] = 0  # 004's example also sends ShippingCustomerId
    order = api.create_order(body)
    for key in (
        "Name",
        "BillingAddressId",
        "DiscountAmount",
        "DiscountCode",
        "EmployeeId",
        "OrderExpiryHours",
        "ShippingAddressId",
        "ShippingCustomerId",
        "TenderId",
    ):
        assert order[key] == body[key], key
    created = datetime.fromisoformat(order["CreatedDateUtc"])
    assert datetime.fromisoformat(order["OrderExpiryDate"]) - created == timedelta(hours=20)
    assert order["OrderType"] == "Purchase"


def test_004_example_is_refused_for_shipping_exclusivity(api: Api) -> None:
    """DEV-SHIPPING-EXCLUSIVE-EXAMPLE: ShippingEntityId and ShippingCustomerId together."""
    response = api.orders(
        "createOrder", "POST", "/Orders", json=example("004-createOrder-request.json")
    )
    assert response.status_code == 400
    assert message(response).startswith("ShippingEntityId:")


@pytest.mark.parametrize(
    "type_id,name", [(1, "Sales"), (2, "Transfer"), (3, "Purchase"), (4, "RMA")]
)
def test_order_type_names(api: Api, type_id: int, name: str) -> None:
    assert api.create_order({"OrderTypeId": type_id})["OrderType"] == name


def test_create_in_pending(api: Api) -> None:
    assert api.create_order({"State": "Pending"})["State"] == "Pending"


def test_read_only_fields_are_ignored(api: Api) -> None:
    order = api.create_order(
        {
            "Id": UNKNOWN,
            "PrintableId": "mine",
            "CreatedDateUtc": "2015-03-27T18:47:29.9012402+00:00",
            "OrderExpiryDate": "2015-05-05T14:32:05.9140188+00:00",
            "OrderType": "Purchase",
        }
    )
    assert order["Id"] != UNKNOWN and order["PrintableId"] != "mine"
    assert not order["CreatedDateUtc"].startswith("2015")


@pytest.mark.parametrize(
    "body,start",
    [
        ({"EntityId": OTHER_LOCATION}, "Entity is not related to company"),
        ({"EntityId": 999999}, "Entity is not related to company"),
        ({"ShippingEntityId": OTHER_LOCATION}, "Entity is not related to company"),
        ({"ShippingEntityId": LOCATION2, "ShippingCustomerId": CUSTOMER}, "ShippingEntityId:"),
        ({"BillingCustomerId": OTHER_CUSTOMER}, "BillingCustomerId:"),
        ({"BillingCustomerId": "3da9470e-f1b2-a-bd47-5bf18fe2d1ab"}, "BillingCustomerId:"),
        ({"EmployeeId": 999}, "EmployeeId:"),
        ({"EmployeeId": "15"}, "EmployeeId:"),
        ({"EntityId": None}, "EntityId:"),
        ({"EntityId": "14202"}, "EntityId:"),
        ({"EntityId": 0}, "EntityId:"),
        ({"OrderTypeId": None}, "OrderTypeId:"),
        ({"OrderTypeId": 5}, "OrderTypeId:"),
        ({"OrderType": "Sales"}, "OrderType:"),  # DEV-ORDERTYPE-NAME-ID, OrderTypeId is 3
        ({"State": "Bogus"}, "State:"),
        ({"State": 1}, "State:"),  # DEV-STATE-NAME-VS-ID
        ({"State": "Processed"}, "State:"),
        ({"OrderExpiryHours": -1}, "OrderExpiryHours:"),
        ({"OrderExpiryHours": 87601}, "OrderExpiryHours:"),
        ({"DiscountAmount": "15"}, "DiscountAmount:"),
        ({"Name": 5}, "Name:"),
        ({"CreatedDateUtc": "yesterday"}, "CreatedDateUtc:"),
        ({"Items": []}, "Items:"),
        ({"Unknown": 1}, "Unknown:"),
    ],
)
def test_create_order_refusals(api: Api, body: dict, start: str) -> None:
    full = {"EntityId": LOCATION, "OrderTypeId": 3, **body}
    response = api.orders("createOrder", "POST", "/Orders", json=full)
    assert response.status_code == 400, response.text
    assert message(response).startswith(start)


def test_create_order_full_location_of_company(api: Api) -> None:
    order = api.create_order({"EntityId": LOCATION2, "ShippingEntityId": LOCATION})
    assert order["ShippingEntityId"] == LOCATION


# ---- get, list, $filter ------------------------------------------------------------------------


def test_get_order(api: Api) -> None:
    order = api.create_order({"Name": "x"})
    response = api.orders("getOrder", "GET", f"/Orders({order['Id']})")
    assert response.status_code == 200
    assert response.json() == order


@pytest.mark.parametrize("order_id", [UNKNOWN, "nope", UNKNOWN.upper()])
def test_get_unknown_order(api: Api, order_id: str) -> None:
    response = api.orders("getOrder", "GET", f"/Orders({order_id})")
    assert response.status_code == 404
    assert message(response) == f"Order resource with id {order_id} cannot be found"


def test_list_orders_and_filters(api: Api) -> None:
    a = api.create_order()
    b = api.create_order({"EntityId": LOCATION2})
    c = api.create_order({"State": "Pending"})
    d = api.create_order({"State": "Pending", "EntityId": LOCATION2})

    def ids(flt: str | None) -> list[str]:
        params = None if flt is None else {"$filter": flt}
        response = api.orders("listOrders", "GET", "/Orders", params=params)
        assert response.status_code == 200, response.text
        return [o["Id"] for o in response.json()]

    assert ids(None) == [a["Id"], b["Id"], c["Id"], d["Id"]]
    assert ids("State eq 'Pending'") == [c["Id"], d["Id"]]
    assert ids("State eq 'Created'") == [a["Id"], b["Id"]]
    assert ids(f"State eq 'Pending' and EntityId eq {LOCATION2}") == [d["Id"]]
    assert ids(f"  State   eq  'Pending'   and  EntityId  eq  {LOCATION}  ") == [c["Id"]]
    assert ids(f"EntityId eq {LOCATION2}") == [b["Id"], d["Id"]]
    assert ids(f"PrintableId eq '{c['PrintableId']}'") == [c["Id"]]
    assert ids("PrintableId eq 'TT101IN18'") == []
    assert ids("State eq 'Cancelled'") == []
    assert ids("EntityId eq 99999999999") == []


@pytest.mark.parametrize(
    "flt",
    [
        "",
        "State eq 'Bogus'",
        "state eq 'Pending'",
        "State EQ 'Pending'",
        "State eq Pending",
        "Name eq 'x'",
        "EntityId eq 'x'",
        "State eq 'Pending' or EntityId eq 1",
        f"EntityId eq {LOCATION} and State eq 'Pending'",
        "PrintableId eq 'a' and EntityId eq 1",
    ],
)
def test_unsupported_filters(api: Api, flt: str) -> None:
    response = api.orders("listOrders", "GET", "/Orders", params={"$filter": flt})
    assert response.status_code == 400
    assert message(response).startswith("$filter:")


# ---- update and the state machine ------------------------------------------


def test_update_order_merges_fields(api: Api) -> None:
    order = api.create_order({"Name": "before", "DiscountCode": "X"})
    response = api.put_order(
        order["Id"], {"Id": order["Id"], "EntityId": LOCATION2, "OrderTypeId": 1, "Name": "after"}
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["Name"] == "after" and updated["DiscountCode"] == "X"
    assert updated["EntityId"] == LOCATION2 and updated["OrderType"] == "Sales"
    assert updated["CreatedDateUtc"] == order["CreatedDateUtc"]
    assert updated["PrintableId"] == order["PrintableId"]
    got = api.orders("getOrder", "GET", f"/Orders({order['Id']})").json()
    assert got == updated


def test_update_expiry_hours_moves_expiry_date(api: Api) -> None:
    order = api.create_order()
    updated = api.put_order(
        order["Id"],
        {"Id": order["Id"], "EntityId": LOCATION, "OrderTypeId": 3, "OrderExpiryHours": 5},
    ).json()
    created = datetime.fromisoformat(updated["CreatedDateUtc"])
    assert datetime.fromisoformat(updated["OrderExpiryDate"]) - created == timedelta(hours=5)


def test_update_id_mismatch(api: Api) -> None:
    order = api.create_order()
    response = api.put_order(order["Id"], {"Id": UNKNOWN, "EntityId": LOCATION, "OrderTypeId": 3})
    assert response.status_code == 400
    assert message(response) == ID_MISMATCH


def test_update_004_example_is_refused(api: Api) -> None:
    """004's PUT example: OrderType "Sales" with OrderTypeId 3, both shipping targets."""
    order = api.create_order()
    body = (
        example("004-updateOrder-request.json")
        if spec_path("examples", "json", "004-updateOrder-request.json").exists()
        else None
    )
    if body is None:
        pytest.skip("no 004 updateOrder example file")
    body["Id"] = order["Id"]
    response = api.put_order(order["Id"], body)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body,status,start",
    [
        ({"EntityId": LOCATION, "OrderTypeId": 3}, 400, "Id:"),
        ({"Id": UNKNOWN, "OrderTypeId": 3}, 400, "EntityId:"),
        ({"Id": UNKNOWN, "EntityId": LOCATION}, 400, "OrderTypeId:"),
        ({"Id": UNKNOWN, "EntityId": LOCATION, "OrderTypeId": 3}, 404, "Order resource with id"),
        (
            {"Id": UNKNOWN, "EntityId": OTHER_LOCATION, "OrderTypeId": 3},
            400,
            "Entity is not related",
        ),
        ({"Id": UNKNOWN, "EntityId": LOCATION, "OrderTypeId": 3, "Items": []}, 400, "Items:"),
    ],
)
def test_update_refusals(api: Api, body: dict, status: int, start: str) -> None:
    response = api.put_order(UNKNOWN, body)
    assert response.status_code == status, response.text
    assert message(response).startswith(start)


def test_shipping_exclusivity_on_merged_order(api: Api) -> None:
    order = api.create_order({"ShippingCustomerId": CUSTOMER})
    response = api.put_order(
        order["Id"],
        {"Id": order["Id"], "EntityId": LOCATION, "OrderTypeId": 3, "ShippingEntityId": LOCATION2},
    )
    assert response.status_code == 400
    response = api.put_order(
        order["Id"],
        {
            "Id": order["Id"],
            "EntityId": LOCATION,
            "OrderTypeId": 3,
            "ShippingEntityId": LOCATION2,
            "ShippingCustomerId": None,
        },
    )
    assert response.status_code == 200
    assert response.json()["ShippingEntityId"] == LOCATION2


# ---- items ------------------------------------------


def test_add_and_list_items(api: Api) -> None:
    order = api.create_order()
    body = example("004-addItem-request.json")
    response = api.add_item(order["Id"], body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["OrderId"] == order["Id"]
    assert created["ItemStatus"] == "New" and created["ItemType"] == "DropShip"
    assert created["ItemTypeId"] == "1"
    for key in (
        "Cost",
        "Description",
        "ListPrice",
        "Notes",
        "ProductId",
        "Quantity",
        "SellingPrice",
        "SerialNumbers",
        "SKU",
        "ShippingOptionId",
        "SupplierEntityId",
        "SupplierReference",
        "TrackingInformation",
    ):
        assert created[key] == body[key], key
    second = api.add_item(order["Id"], {"ItemTypeId": "2", "ItemStatusId": 12}).json()
    assert second["ItemType"] == "InStock" and second["ItemStatus"] == "BackOrder"
    assert second["Cost"] == 0 and second["Quantity"] == 0 and second["SellingPrice"] == 0
    listed = api.orders("listItems", "GET", f"/Orders({order['Id']})/Items")
    assert listed.status_code == 200
    assert [i["Id"] for i in listed.json()] == [created["Id"], second["Id"]]


@pytest.mark.parametrize(
    "type_id,status_id,name",
    [
        (1, s, n)
        for s, n in [
            (1, "New"),
            (2, "Cancelled"),
            (3, "Processed"),
            (4, "Ordered"),
            (5, "Error"),
            (6, "NotAvailable"),
            (7, "Shipped"),
            (8, "Received"),
        ]
    ]
    + [
        (2, 9, "New"),
        (2, 10, "Processed"),
        (2, 11, "Error"),
        (2, 12, "BackOrder"),
        (2, 16, "Cancelled"),
        (3, 13, "New"),
        (3, 14, "Processed"),
        (3, 17, "Cancelled"),
        (4, 15, "Shipping"),
    ],
)
def test_item_status_table(api: Api, type_id: int, status_id: int, name: str) -> None:
    order = api.create_order()
    response = api.add_item(order["Id"], {"ItemTypeId": type_id, "ItemStatusId": status_id})
    assert response.status_code == 201
    assert response.json()["ItemStatus"] == name


@pytest.mark.parametrize(
    "body,start",
    [
        ({"ItemTypeId": 1}, "ItemStatusId:"),
        ({"ItemStatusId": 1}, "ItemTypeId:"),
        ({"ItemTypeId": 1, "ItemStatusId": 9}, "ItemStatusId:"),
        ({"ItemTypeId": 2, "ItemStatusId": 1}, "ItemStatusId:"),
        ({"ItemTypeId": 5, "ItemStatusId": 1}, "ItemTypeId:"),
        ({"ItemTypeId": "DropShip", "ItemStatusId": 1}, "ItemTypeId:"),
        ({"ItemTypeId": True, "ItemStatusId": 1}, "ItemTypeId:"),
        (item(ItemStatusId=18), "ItemStatusId:"),
        (item(Quantity=-1), "Quantity:"),
        (item(ProductId=1), "ProductId:"),  # DEV-PRODUCTID-TYPE
        (item(SerialNumbers="abc"), "SerialNumbers:"),
        (item(SerialNumbers=[1]), "SerialNumbers[0]:"),
        (
            item(TrackingInformation=[{"Quantity": 1, "TrackingNumber": ""}]),
            "TrackingInformation[0].TrackingNumber:",
        ),
        (
            item(TrackingInformation=[{"Quantity": 1, "TrackingNumber": "   "}]),
            "TrackingInformation[0].TrackingNumber:",
        ),
        (item(TrackingInformation=[{"Quantity": 1}]), "TrackingInformation[0].TrackingNumber:"),
        (item(TrackingInformation=[{"TrackingNumber": "1Z"}]), "TrackingInformation[0].Quantity:"),
        (
            item(TrackingInformation=[{"Quantity": 1, "TrackingNumber": 5}]),
            "TrackingInformation[0].TrackingNumber:",
        ),
        (item(ItemStatus="Whatever"), "ItemStatus:"),
        (item(SupplierEntityId=-1), "SupplierEntityId:"),
        (item(Other=1), "Other:"),
        ([], "body:"),
    ],
)
def test_add_item_refusals(api: Api, body: object, start: str) -> None:
    order = api.create_order()
    response = api.add_item(order["Id"], body)
    assert response.status_code == 400, response.text
    assert message(response).startswith(start)


def test_product_id_unique_on_order(api: Api) -> None:
    order = api.create_order()
    assert api.add_item(order["Id"], item(ProductId="P1")).status_code == 201
    response = api.add_item(order["Id"], item(ProductId="P1"))
    assert response.status_code == 400
    assert message(response).startswith("ProductId:")


def test_add_item_to_unknown_order(api: Api) -> None:
    response = api.add_item(UNKNOWN, item())
    assert response.status_code == 404
    response = api.orders("listItems", "GET", f"/Orders({UNKNOWN})/Items")
    assert response.status_code == 404


# ---- OrderFull ------------------------------------------


def full_body(**fields: object) -> dict:
    return {
        "EntityId": LOCATION,
        "OrderTypeId": 3,
        "BillingCustomerId": CUSTOMER,
        "Items": [item(SKU="A", ProductId="P1"), item(ItemTypeId="2", ItemStatusId=9, SKU="B")],
        **fields,
    }


def test_order_full_create_get_list(api: Api) -> None:
    response = api.orders("createOrderFull", "POST", "/OrderFull", json=full_body(Name="full"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert [i["SKU"] for i in created["Items"]] == ["A", "B"]
    assert all(i["OrderId"] == created["Id"] for i in created["Items"])
    got = api.orders("getOrderFull", "GET", f"/OrderFull({created['Id']})")
    assert got.status_code == 200 and got.json() == created
    listed = api.orders("listOrderFull", "GET", "/OrderFull")
    assert listed.status_code == 200 and listed.json() == [created]
    plain = api.orders("getOrder", "GET", f"/Orders({created['Id']})").json()
    assert "Items" not in plain
    assert (
        api.orders("listItems", "GET", f"/Orders({created['Id']})/Items").json() == created["Items"]
    )


def test_order_full_create_004_example(api: Api) -> None:
    body = example("004-createOrderFull-request.json")
    body["ShippingEntityId"] = 0
    response = api.orders("createOrderFull", "POST", "/OrderFull", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["Items"][0]["SupplierEntityId"] == 14107


@pytest.mark.parametrize(
    "fields,start",
    [
        ({"Items": [{"ItemTypeId": 1}]}, "Items[0].ItemStatusId:"),
        ({"Items": [item(ProductId="X"), item(ProductId="X")]}, "Items[1].ProductId:"),
        ({"Items": "x"}, "Items:"),
        ({"Items": [5]}, "Items[0]:"),
        ({"EntityId": OTHER_LOCATION}, "Entity is not related to company"),
    ],
)
def test_order_full_create_refusals(api: Api, fields: dict, start: str) -> None:
    response = api.orders("createOrderFull", "POST", "/OrderFull", json=full_body(**fields))
    assert response.status_code == 400
    assert message(response).startswith(start)


def test_order_full_update(api: Api) -> None:
    created = api.orders("createOrderFull", "POST", "/OrderFull", json=full_body()).json()
    keep = created["Items"][0]
    body = {
        "Id": created["Id"],
        "EntityId": LOCATION,
        "OrderTypeId": 3,
        "State": "Pending",
        "Items": [
            {
                **{k: v for k, v in keep.items() if k not in ("ItemStatus", "ItemType")},
                "Notes": "kept",
            },
            item(SKU="C"),
        ],
    }
    response = api.orders("updateOrderFull", "PUT", f"/OrderFull({created['Id']})", json=body)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["State"] == "Pending"
    assert [i["SKU"] for i in updated["Items"]] == ["A", "C"]
    assert updated["Items"][0]["Id"] == keep["Id"] and updated["Items"][0]["Notes"] == "kept"
    assert updated["Items"][1]["Id"] != created["Items"][1]["Id"]
    # Without Items the items stay.
    again = api.orders(
        "updateOrderFull",
        "PUT",
        f"/OrderFull({created['Id']})",
        json={"Id": created["Id"], "EntityId": LOCATION, "OrderTypeId": 3, "Name": "n"},
    ).json()
    assert again["Items"] == updated["Items"]


def test_order_full_update_mismatch_and_unknown(api: Api) -> None:
    created = api.orders("createOrderFull", "POST", "/OrderFull", json=full_body()).json()
    body = {"Id": UNKNOWN, "EntityId": LOCATION, "OrderTypeId": 3}
    response = api.orders("updateOrderFull", "PUT", f"/OrderFull({created['Id']})", json=body)
    assert response.status_code == 400 and message(response) == ID_MISMATCH
    response = api.orders("updateOrderFull", "PUT", f"/OrderFull({UNKNOWN})", json=body)
    assert response.status_code == 404
    response = api.orders("getOrderFull", "GET", f"/OrderFull({UNKNOWN})")
    assert response.status_code == 404


# ---- process ------------------------------------------


def test_process(api: Api) -> None:
    order = api.create_order()
    response = api.process(order["Id"])
    assert response.status_code == 201
    assert response.json()["OrderId"] == order["Id"]
    assert isinstance(response.json()["Id"], int)
    got = api.orders("getOrder", "GET", f"/Orders({order['Id']})").json()
    assert got["State"] == "Processed"
    second = api.process(api.create_order()["Id"]).json()
    assert second["Id"] != response.json()["Id"]


def test_process_needs_a_billing_customer(api: Api) -> None:
    order = api.create_order({"BillingCustomerId": None})
    response = api.process(order["Id"])
    assert response.status_code == 400
    assert message(response) == (
        f"Billing Customer (id=null) not found for company {COMPANY}. "
        "Proccessing an Order requires a Billing Customer on the Order"
    )
    # A billing customer added by update makes it processable.
    api.put_order(
        order["Id"],
        {"Id": order["Id"], "EntityId": LOCATION, "OrderTypeId": 3, "BillingCustomerId": CUSTOMER2},
    )
    assert api.process(order["Id"]).status_code == 201


@pytest.mark.parametrize(
    "body,start",
    [
        ({"OrderId": UNKNOWN}, ID_MISMATCH),
        ({}, "OrderId:"),
        ({"OrderId": "x"}, "OrderId:"),
        ({"OrderId": None}, "OrderId:"),
        ([], "body:"),
    ],
)
def test_process_refusals(api: Api, body: object, start: str) -> None:
    order = api.create_order()
    response = api.process(order["Id"], body)
    assert response.status_code == 400
    assert message(response).startswith(start)


def test_process_unknown_order(api: Api) -> None:
    response = api.process(UNKNOWN)
    assert response.status_code == 404


# ---- expiry ------------------------------------------


def test_expired_order_is_conflict(api: Api) -> None:
    order = api.create_order({"OrderExpiryHours": 1})
    full = api.orders(
        "createOrderFull", "POST", "/OrderFull", json=full_body(OrderExpiryHours=1)
    ).json()
    api.control("POST", "/clock", json={"advance_hours": 1.5})
    checks = [
        api.put_order(order["Id"], {"Id": order["Id"], "EntityId": LOCATION, "OrderTypeId": 3}),
        api.put_order(
            order["Id"],
            {"Id": order["Id"], "EntityId": LOCATION, "OrderTypeId": 3, "State": "Pending"},
        ),
        api.add_item(order["Id"], item()),
        api.process(order["Id"]),
        api.orders(
            "updateOrderFull",
            "PUT",
            f"/OrderFull({full['Id']})",
            json={"Id": full["Id"], "EntityId": LOCATION, "OrderTypeId": 3},
        ),
    ]
    for response in checks:
        assert response.status_code == 409, response.text
        assert message(response) == "Conflict"
    # Reading still works.
    assert api.orders("getOrder", "GET", f"/Orders({order['Id']})").status_code == 200
    # A fresh order is not expired.
    fresh = api.create_order()
    assert api.process(fresh["Id"]).status_code == 201


def test_order_not_expired_before_its_date(api: Api) -> None:
    order = api.create_order({"OrderExpiryHours": 2})
    api.control("POST", "/clock", json={"advance_hours": 1})
    assert api.process(order["Id"]).status_code == 201


# ---- companies ------------------------------------------


@pytest.mark.parametrize("company", ["abc", "0", "", "-5", "99999999999"])
def test_bad_company_id(api: Api, company: str) -> None:
    """A malformed CompanyId is a bad request: 400 with a message naming CompanyId."""
    for operation, method, path in [
        ("listOrders", "GET", "/Orders"),
        ("listOrderFull", "GET", "/OrderFull"),
        ("getOrder", "GET", f"/Orders({UNKNOWN})"),
    ]:
        response = api.orders(operation, method, path, company=company)
        assert response.status_code == 400
        assert "CompanyId" in message(response)


def test_company_isolation(api: Api) -> None:
    mine = api.create_order()
    # The other company's token cannot use this company's id ...
    response = api.orders("listOrders", "GET", "/Orders", token="sandbox-company-33772")
    assert response.status_code == 401 and message(response) == "Invalid token"
    response = api.orders(
        "getOrder", "GET", f"/Orders({mine['Id']})", token="sandbox-company-33772"
    )
    assert response.status_code == 401
    # ... and under its own id does not see it.
    response = api.orders(
        "getOrder", "GET", f"/Orders({mine['Id']})", company=COMPANY2, token="sandbox-company-33772"
    )
    assert response.status_code == 404
    theirs = api.create_order(
        {"EntityId": OTHER_LOCATION, "BillingCustomerId": OTHER_CUSTOMER},
        company=COMPANY2,
        token="sandbox-company-33772",
    )
    listed = api.orders("listOrders", "GET", "/Orders").json()
    assert [o["Id"] for o in listed] == [mine["Id"]]
    listed = api.orders(
        "listOrderFull", "GET", "/OrderFull", company=COMPANY2, token="sandbox-company-33772"
    )
    assert [o["Id"] for o in listed.json()] == [theirs["Id"]]
    # A supplier-only token is no company token.
    response = api.orders("listOrders", "GET", "/Orders", token="sandbox-supplier-60455")
    assert response.status_code == 401


def test_no_token_on_orders(api: Api) -> None:
    for operation, method, path in [
        ("listOrders", "GET", "/Orders"),
        ("createOrder", "POST", "/Orders"),
        ("listOrderFull", "GET", "/OrderFull"),
        ("getOrder", "GET", f"/Orders({UNKNOWN})"),
    ]:
        response = api.orders(operation, method, path, token=None)
        assert response.status_code == 401, path
        assert message(response) == "Invalid token"


def test_address_id_of_seed(api: Api) -> None:
    order = api.create_order({"ShippingAddressId": ADDRESS.upper()})
    assert order["ShippingAddressId"] == ADDRESS


def test_text_that_xml_cannot_carry_is_refused(api: Api) -> None:
    """Orders text can reach the feed (SKU, Description, TenderId): refused up front."""
    response = api.orders(
        "createOrder",
        "POST",
        "/Orders",
        json={"EntityId": LOCATION, "OrderTypeId": 3, "Name": "a\x00b"},
    )
    assert response.status_code == 400
    assert message(response).startswith("Name:")
    order = api.create_order()
    response = api.add_item(order["Id"], item(SerialNumbers=["ok", "\x1b[31m"]))
    assert response.status_code == 400
    assert message(response).startswith("SerialNumbers[1]:")
