"""The narrowed Supplier Orders checks, run by the harness against the sandbox behind a small
fault: a server following a reading the documents allow is at most warned, and one that breaks
what the narrowed MUST still says is failed on it (issue 10 §1).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from dropship_conformance.faults.catalogue import (
    CURRENT,
    DS,
    ITEM_STATUS,
    ORDER_STATUS,
    Fault,
    _accept_refused,
    _feed_edit,
    _orders,
)
from dropship_conformance.faults.kill import (
    RUN_TIMEOUT,
    faulty_sandbox,
    harness_command,
    requirement_verdicts,
)
from dropship_conformance.faults.proxy import Call, HttpRequest, HttpResponse, Rewrite

pytestmark = pytest.mark.slow

JSON = (("content-type", "application/json"),)


def _statuses(request: HttpRequest) -> list[object]:
    try:
        body = request.json()
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    items = body.get("ItemInformation")
    infos = items if isinstance(items, list) else []
    return [body.get("Status"), *(i.get("Status") for i in infos if isinstance(i, dict))]


def _refusing(refused: Callable[[object], bool]) -> Rewrite:
    """Refuse, 400 and recording nothing, an update carrying a status ``refused`` picks."""

    async def handle(request: HttpRequest, call: Call) -> HttpResponse:
        if any(refused(status) for status in _statuses(request)):
            return HttpResponse(400, JSON, b'{"Message": "Status: not accepted"}')
        return await call(request)

    return Rewrite(handle=handle)


def _is_id(status: object) -> bool:
    return isinstance(status, int) and not isinstance(status, bool)


def _wrong_quantity(root: etree._Element) -> None:
    for quantity in root.iterfind(f".//{DS}order-item/{DS}quantity"):
        quantity.text = "999"


async def _refusal_shows_the_order(request: HttpRequest, call: Call) -> HttpResponse:
    """An order of another company is refused, but the refusal carries that order."""
    reply = await call(request)
    if reply.status != 404 or request.method != "GET":
        return reply
    other = HttpRequest(
        "GET",
        request.path.replace(request.path.split("/")[3], "Companies(33772)"),
        headers=request.headers,
    ).with_header("authorization", "Bearer sandbox-company-33772")
    found = await call(other)
    return found.with_body(found.body, status=404) if found.status == 200 else reply


def _fault(name: str, suites: tuple[str, ...], applies: Callable, rewrite: Rewrite) -> Fault:
    return Fault(name, "-", suites, name, applies, rewrite)


# (server, suite, -k expression, {requirement: verdict it must get}, exit code)
CASES = [
    pytest.param(
        _fault("names-only", ("partial_shipment",), ITEM_STATUS, _refusing(_is_id)),
        "partially_shipped_repeated or linked_order",
        {"DS-ITEM-007": "passed", "DS-STAT-002": "warned"},
        0,
        id="DEV-STATUS-NAME-OR-ID: numeric ids refused, names accepted",
    ),
    pytest.param(
        _fault(
            "no-partial-shipments",
            ("partial_shipment",),
            ITEM_STATUS,
            _refusing(lambda status: status in (6, "PartiallyShipped")),
        ),
        "partially_shipped_repeated",
        {"DS-ITEM-007": "failed"},
        1,
        id="DS-ITEM-007: PartiallyShipped refused by id and by name",
    ),
    pytest.param(
        _fault(
            "accepts-missing-status", ("errors",), ORDER_STATUS, Rewrite(handle=_accept_refused)
        ),
        "invalid_update and OrderStatusUpdate-no-Status",
        {"DS-UPD-003": "failed"},
        1,
        id="DS-UPD-003: an update without Status accepted",
    ),
    pytest.param(
        _fault("wrong-quantity", ("full_shipment",), CURRENT, _feed_edit(_wrong_quantity)),
        "new_order_is_fed_as_order_created",
        {"DS-EVT-002": "failed"},
        1,
        id="DS-EVT-002: the order-created changes the ordered quantity",
    ),
    pytest.param(
        _fault(
            "refusal-shows-order",
            ("errors",),
            _orders("GET"),
            Rewrite(handle=_refusal_shows_the_order),
        ),
        "order_of_another_company and getOrder",
        {"AUTH-004": "failed"},
        1,
        id="AUTH-004: a 404 that shows the other company's order",
    ),
]


@pytest.mark.parametrize(("fault", "selected", "expected", "exit_code"), CASES)
def test_narrowed_check_on_a_server(
    tmp_path: Path, fault: Fault, selected: str, expected: dict[str, str], exit_code: int
) -> None:
    junit = tmp_path / "junit.xml"
    with faulty_sandbox(fault) as root:
        done = subprocess.run(
            harness_command(root, junit, "--suite", fault.suites[0], "-k", selected),
            capture_output=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
    found = requirement_verdicts(junit)
    shown = json.dumps({k: sorted(v) for k, v in found.items()})
    for requirement_id, verdict in expected.items():
        assert verdict in found.get(requirement_id, set()), shown
        if verdict != "failed":
            assert "failed" not in found.get(requirement_id, set()), shown
    assert done.returncode == exit_code, done.stdout[-3000:]
