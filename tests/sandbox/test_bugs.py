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

from .helpers import DS, LOCATION, SUPPLIER, SUPPLIER2, TOKEN, Api
from .test_link import items_of, make_processed_order

OTHER_SUPPLIER_TOKEN = "sandbox-supplier-14107"


def _process_mismatch(api: Api) -> Any:
    order = api.create_order()
    return api.process(order["Id"], {"OrderId": str(uuid.uuid4())}).status_code


def _add_after_process(api: Api) -> Any:
    order = api.create_order()
    assert api.process(order["Id"]).status_code == 201
    return api.add_item(order["Id"], {"ItemTypeId": 2, "ItemStatusId": 9}).status_code


def _second_entry_without_status(api: Api) -> Any:
    make_processed_order(api)
    ds_id = read_feed(api.feed().content).entries[0].order_id
    infos = [{"Sku": "DS-A", "Status": "Shipped"}, {"Sku": "DS-B"}]
    # No operation: the bugged echo breaks the response schema, which is the bug itself.
    path = f"{DS}/Suppliers({SUPPLIER})/Orders({ds_id})/ItemStatusUpdate"
    body = {"Id": ds_id, "ItemInformation": infos}
    return api.request(None, "PUT", path, token=TOKEN, json=body).status_code


def _order_status_on_every_item(api: Api) -> Any:
    order, _ = make_processed_order(api)
    ds_id = read_feed(api.feed().content).entries[0].order_id
    assert api.order_status(ds_id, {"Id": ds_id, "Status": "Shipped"}).status_code == 202
    return items_of(api, order["Id"])["DS-B"]["ItemStatus"]


def _second_supplier_update(api: Api) -> Any:
    order, _ = make_processed_order(api)
    feed = api.feed(SUPPLIER2, token=OTHER_SUPPLIER_TOKEN).content
    ds_id = read_feed(feed).entries[0].order_id
    body = {"Id": ds_id, "Status": "Shipped"}
    response = api.order_status(ds_id, body, supplier=SUPPLIER2, token=OTHER_SUPPLIER_TOKEN)
    assert response.status_code == 202
    return items_of(api, order["Id"])["DS-C"]["ItemStatus"]


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
    "add-item-after-processed": _add_after_process,
    "item-information-first-entry-checked": _second_entry_without_status,
    "order-status-first-item-only": _order_status_on_every_item,
    "second-supplier-not-reflected": _second_supplier_update,
    "process-drops-items-after-four": _five_items_of_one_supplier,
    "feed-quantity-one": _fed_quantities,
    "orderfull-cancels-created": _orderfull_cancels_created,
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
