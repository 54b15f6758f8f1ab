"""The order state machine of 004, every from/to pair, through update, OrderFull and Process.

Updates are accepted only while an order is Created or Pending (ORD-STATE-004): repeating
the state of a Processed, Cancelled or Completed order is refused too (ORD-STATE-002 names
Cancelled -> Cancelled).
"""

from __future__ import annotations

import pytest

from dropship_conformance.sandbox.enums import ORDER_STATES

from .helpers import COMPANY, LOCATION, Api, message

pytestmark = pytest.mark.both_databases

MANUAL = {("Created", "Pending"), ("Pending", "Cancelled")}


def order_in(api: Api, state: str) -> dict:
    """An order in ``state``, reached through the public API where it can be."""
    order = api.create_order()
    body = {"Id": order["Id"], "EntityId": LOCATION, "OrderTypeId": 3}
    if state in ("Pending", "Cancelled"):
        assert api.put_order(order["Id"], {**body, "State": "Pending"}).status_code == 200
    if state == "Cancelled":
        assert api.put_order(order["Id"], {**body, "State": "Cancelled"}).status_code == 200
    if state == "Processed":
        assert api.process(order["Id"]).status_code == 201
    if state == "Completed":
        # Not reachable through the documented API: forced through the control API.
        response = api.control(
            "POST", f"/companies/{COMPANY}/orders/{order['Id']}/state", json={"State": "Completed"}
        )
        assert response.status_code == 200
    got = api.orders("getOrder", "GET", f"/Orders({order['Id']})").json()
    assert got["State"] == state
    return got


@pytest.mark.parametrize("to_state", ORDER_STATES)
@pytest.mark.parametrize("from_state", ORDER_STATES)
def test_update_transition(api: Api, from_state: str, to_state: str) -> None:
    order = order_in(api, from_state)
    body = {"Id": order["Id"], "EntityId": LOCATION, "OrderTypeId": 3, "State": to_state}
    response = api.put_order(order["Id"], body)
    accepted = (from_state, to_state) in MANUAL or (
        from_state == to_state and from_state in ("Created", "Pending")
    )
    if accepted:
        assert response.status_code == 200, response.text
        assert response.json()["State"] == to_state
    else:
        assert response.status_code == 409
        assert message(response) == (
            f"Resource state transition from {from_state} to {to_state} is invalid"
        )
        got = api.orders("getOrder", "GET", f"/Orders({order['Id']})").json()
        assert got["State"] == from_state


@pytest.mark.parametrize("from_state", ORDER_STATES)
def test_process_from_each_state(api: Api, from_state: str) -> None:
    order = order_in(api, from_state)
    response = api.process(order["Id"])
    if from_state in ("Created", "Pending"):
        assert response.status_code == 201
    else:
        assert response.status_code == 409
        assert message(response) == (
            f"Resource state transition from {from_state} to Processed is invalid"
        )


@pytest.mark.parametrize("from_state", ORDER_STATES)
def test_order_full_updatable_only_in_created_or_pending(api: Api, from_state: str) -> None:
    order = order_in(api, from_state)
    body = {"Id": order["Id"], "EntityId": LOCATION, "OrderTypeId": 3, "Name": "renamed"}
    response = api.orders("updateOrderFull", "PUT", f"/OrderFull({order['Id']})", json=body)
    if from_state in ("Created", "Pending"):
        assert response.status_code == 200
        assert response.json()["Name"] == "renamed"
    else:
        assert response.status_code == 409
        assert message(response) == (
            f"Resource state transition from {from_state} to {from_state} is invalid"
        )


@pytest.mark.parametrize("from_state", ORDER_STATES)
def test_items_only_added_in_created_or_pending(api: Api, from_state: str) -> None:
    order = order_in(api, from_state)
    response = api.add_item(order["Id"], {"ItemTypeId": 1, "ItemStatusId": 1})
    assert response.status_code == (201 if from_state in ("Created", "Pending") else 409)


@pytest.mark.parametrize("from_state", ["Processed", "Cancelled", "Completed"])
def test_no_update_without_state_after_created_or_pending(api: Api, from_state: str) -> None:
    order = order_in(api, from_state)
    body = {"Id": order["Id"], "EntityId": LOCATION, "OrderTypeId": 3, "Name": "renamed"}
    response = api.put_order(order["Id"], body)
    assert response.status_code == 409
    assert message(response) == (
        f"Resource state transition from {from_state} to {from_state} is invalid"
    )
