"""Readings of the Orders API that the harness warns and never fails, shown on a sandbox that a
proxy turns into a server following them (specs/DEVIATIONS.md):

- DEV-BILLING-CUSTOMER: 003 §Creating an Order requires BillingCustomerId; the server refuses a
  create without one (ORD-CRT-014, SHOULD).
- DEV-EXPIRY-EXAMPLE: the OrderExpiryHours an update resends count from the update, so the
  answer's OrderExpiryDate is no longer CreatedDateUtc + hours (ORD-CRT-012, SHOULD); the order
  as created still keeps the sum (ORD-CRT-003, MUST).

The sandbox's lenient profile cannot show these (a create refused there would starve the other
suites of orders; its updates follow within microseconds of the create), so the proxy does.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dropship_conformance.faults.kill import failed_requirements, requirement_verdicts, run_harness
from dropship_conformance.faults.proxy import (
    Call,
    FaultInjector,
    HttpRequest,
    HttpResponse,
    Rewrite,
)
from dropship_conformance.sandbox.server import serve_in_thread

pytestmark = pytest.mark.slow

CREATE = re.compile(r"^/orders/v1/Companies\(\d+\)/(?:Orders|OrderFull)$")
UPDATE = re.compile(r"^/orders/v1/Companies\(\d+\)/(?:Orders|OrderFull)\([^)]*\)$")
# How much later than the create an update of this server happens to count from.
UPDATE_DELAY = timedelta(hours=5)


def _later(text: str) -> str:
    return (datetime.fromisoformat(text) + UPDATE_DELAY).isoformat()


async def as_003_with_late_updates(request: HttpRequest, call: Call) -> HttpResponse:
    """A create without BillingCustomerId is refused; an update's answer counts the hours it
    resends from a moment five hours after the create."""
    try:
        body = request.json()
    except ValueError:
        body = None
    creates = request.method == "POST" and CREATE.match(request.path) is not None
    if creates and isinstance(body, dict) and not body.get("BillingCustomerId"):
        message = b'{"Message": "BillingCustomerId: is required"}'
        return HttpResponse(400, (("content-type", "application/json"),), message)
    reply = await call(request)
    if request.method == "PUT" and UPDATE.match(request.path) and reply.status == 200:
        order = reply.json()
        if isinstance(body, dict) and "OrderExpiryHours" in body:
            return reply.with_json({**order, "OrderExpiryDate": _later(order["OrderExpiryDate"])})
    return reply


@pytest.fixture(scope="module")
def run() -> Iterator[tuple[int, Path]]:
    def wrap(app: object) -> object:
        return FaultInjector(app, lambda _: True, Rewrite(handle=as_003_with_late_updates))

    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "junit.xml"
        with serve_in_thread(":memory:", wrap=wrap) as root:
            code = run_harness(root, ("lifecycle", "errors"), junit)
        yield code, junit


def test_the_readings_fail_nothing(run: tuple[int, Path]) -> None:
    code, junit = run
    assert junit.is_file(), f"the run wrote no JUnit file (exit {code})"
    assert not failed_requirements(junit), sorted(failed_requirements(junit))
    assert code == 0


def test_the_readings_are_warned_and_the_musts_still_judged(run: tuple[int, Path]) -> None:
    verdicts = requirement_verdicts(run[1])
    assert "warned" in verdicts["ORD-CRT-014"], verdicts.get("ORD-CRT-014")
    assert "warned" in verdicts["ORD-CRT-012"], verdicts.get("ORD-CRT-012")
    assert verdicts["ORD-CRT-003"] == {"passed"}, verdicts.get("ORD-CRT-003")
