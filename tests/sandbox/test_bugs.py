"""Every conditional bug (dropship_conformance.sandbox.bugs) is live: under its condition the
bugged sandbox answers otherwise than the correct one. The harness's catch of each bug is
judged by tests/test_conditional_bugs.py; this proves the bug is there to catch, in-process."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from dropship_conformance.feed import read_feed
from dropship_conformance.feed.events import to_value
from dropship_conformance.sandbox.app import create_app

from .helpers import (
    COMPANY2,
    DS,
    LOCATION,
    OTHER_CUSTOMER,
    OTHER_LOCATION,
    SUPPLIER,
    SUPPLIER2,
    TOKEN,
    Api,
)
from .test_link import make_processed_order

OTHER_SUPPLIER_TOKEN = "sandbox-supplier-14107"


def _process_mismatch(api: Api) -> Any:
    order = api.create_order()
    return api.process(order["Id"], {"OrderId": str(uuid.uuid4())}).status_code


def _add_to_other_company(api: Api) -> Any:
    token = "sandbox-company-33772"
    theirs = api.create_order(
        {"EntityId": OTHER_LOCATION, "BillingCustomerId": OTHER_CUSTOMER},
        company=COMPANY2,
        token=token,
    )
    response = api.add_item(theirs["Id"], {"ItemTypeId": 2, "ItemStatusId": 9, "SKU": "X"})
    path = f"/Orders({theirs['Id']})/Items"
    listed = api.orders("listItems", "GET", path, company=COMPANY2, token=token).json()
    return response.status_code, len(listed)


def _second_entry_without_status(api: Api) -> Any:
    make_processed_order(api)
    ds_id = read_feed(api.feed().content).entries[0].order_id
    infos = [{"Sku": "DS-A", "Status": "Shipped"}, {"Sku": "DS-B"}]
    # No operation: the bugged echo breaks the response schema, which is the bug itself.
    path = f"{DS}/Suppliers({SUPPLIER})/Orders({ds_id})/ItemStatusUpdate"
    body = {"Id": ds_id, "ItemInformation": infos}
    return api.request(None, "PUT", path, token=TOKEN, json=body).status_code


def _lines_in_another_order(api: Api) -> Any:
    make_processed_order(api)  # the first supplier's order lists DS-A, then DS-B
    ds_id = read_feed(api.feed().content).entries[0].order_id
    infos = [{"Sku": "DS-B", "Status": "Cancelled"}, {"Sku": "DS-A", "Status": "BackOrdered"}]
    assert api.item_status(ds_id, {"Id": ds_id, "ItemInformation": infos}).status_code == 202
    return {item["sku"]: item["status"] for item in api.ds_order(ds_id)["item-status"]}


def _second_supplier_item_update(api: Api) -> Any:
    make_processed_order(api)  # DS-A and DS-B of the first supplier, DS-C of the second
    feed = api.feed(SUPPLIER2, token=OTHER_SUPPLIER_TOKEN).content
    ds_id = read_feed(feed).entries[0].order_id
    body = {"Id": ds_id, "ItemInformation": [{"Sku": "DS-C", "Status": "BackOrdered"}]}
    response = api.item_status(ds_id, body, supplier=SUPPLIER2, token=OTHER_SUPPLIER_TOKEN)
    return response.status_code


def _five_items_of_one_supplier(api: Api) -> Any:
    order = api.create_order()
    for n in range(5):
        body = {"ItemTypeId": 1, "ItemStatusId": 1, "SKU": f"S{n}", "SupplierEntityId": SUPPLIER}
        assert api.add_item(order["Id"], body).status_code == 201
    assert api.process(order["Id"]).status_code == 201
    return len(to_value(read_feed(api.feed().content).entries[0].payload)["items"])


def _fed_quantities(api: Api) -> Any:
    make_processed_order(api)
    items = to_value(read_feed(api.feed().content).entries[0].payload)["items"]
    return [item["quantity"] for item in items]


def _orderfull_cancels_created(api: Api) -> Any:
    order = api.create_order()
    body = {"Id": order["Id"], "EntityId": LOCATION, "OrderTypeId": 3, "State": "Cancelled"}
    path = f"/OrderFull({order['Id']})"
    return api.orders("updateOrderFull", "PUT", path, json=body).status_code


PROBES: dict[str, Callable[[Api], Any]] = {
    "process-id-mismatch-accepted": _process_mismatch,
    "add-item-other-company": _add_to_other_company,
    "item-information-first-entry-checked": _second_entry_without_status,
    "item-update-lines-by-position": _lines_in_another_order,
    "second-supplier-item-update-refused": _second_supplier_item_update,
    "process-drops-items-after-four": _five_items_of_one_supplier,
    "feed-quantity-one": _fed_quantities,
    "orderfull-cancels-created": _orderfull_cancels_created,
}


def _lines_in_the_order_s_order(api: Api) -> Any:
    make_processed_order(api)
    ds_id = read_feed(api.feed().content).entries[0].order_id
    infos = [{"Sku": "DS-A", "Status": "BackOrdered"}, {"Sku": "DS-B", "Status": "Cancelled"}]
    assert api.item_status(ds_id, {"Id": ds_id, "ItemInformation": infos}).status_code == 202
    return {item["sku"]: item["status"] for item in api.ds_order(ds_id)["item-status"]}


def _first_supplier_item_update(api: Api) -> Any:
    make_processed_order(api)
    ds_id = read_feed(api.feed().content).entries[0].order_id
    body = {"Id": ds_id, "ItemInformation": [{"Sku": "DS-B", "Status": "BackOrdered"}]}
    return api.item_status(ds_id, body).status_code


def _add_to_own_order(api: Api) -> Any:
    order = api.create_order()
    response = api.add_item(order["Id"], {"ItemTypeId": 2, "ItemStatusId": 9, "SKU": "X"})
    return response.status_code, len(
        api.orders("listItems", "GET", f"/Orders({order['Id']})/Items").json()
    )


# Outside its condition a bug changes nothing: the bugged sandbox answers as the correct one.
UNAFFECTED: dict[str, Callable[[Api], Any]] = {
    "item-update-lines-by-position": _lines_in_the_order_s_order,
    "second-supplier-item-update-refused": _first_supplier_item_update,
    "add-item-other-company": _add_to_own_order,
}


def _api(bugs: set[str]) -> Iterator[Api]:
    app = create_app(":memory:", bugs=bugs)
    with TestClient(app, raise_server_exceptions=True) as client:
        yield Api(client)
    app.state.store.close()


@pytest.mark.parametrize("name", sorted(PROBES))
def test_bug_changes_what_the_sandbox_answers_under_its_condition(name: str) -> None:
    probe = PROBES[name]
    correct = next(iter([probe(api) for api in _api(set())]))
    bugged = next(iter([probe(api) for api in _api({name})]))
    assert correct != bugged, f"{name} is not live: both sandboxes answer {correct!r}"


@pytest.mark.parametrize("name", sorted(UNAFFECTED))
def test_bug_changes_nothing_outside_its_condition(name: str) -> None:
    probe = UNAFFECTED[name]
    correct = next(iter([probe(api) for api in _api(set())]))
    bugged = next(iter([probe(api) for api in _api({name})]))
    assert correct == bugged, f"{name} shows outside its condition: {bugged!r} != {correct!r}"
