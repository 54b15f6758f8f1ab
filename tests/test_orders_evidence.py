"""A refusal is evidence only when nothing but the fault under test explains it (issue 10 §2).

A server that answers every Orders API change with one fixed ``400 Bad Request`` (the
stateless mock that once got ORD-ERR-002 passed) refuses the negative cases of the errors
suite for the wrong reason: each case also sends its request without the fault, sees it
refused as well, and so leaves its requirement not checked, never passed.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from dropship_conformance.faults.catalogue import Fault
from dropship_conformance.faults.kill import faulty_sandbox, requirement_verdicts, run_harness
from dropship_conformance.faults.proxy import Call, HttpRequest, HttpResponse, Rewrite

# The errors suite's own order fixture creates orders named "Errors": those go through, so the
# cases have an order to work on; every other change is refused with the same words.
FIXTURE_NAME = "Errors"
REFUSAL = json.dumps({"Message": "Bad Request"}).encode()
CREDITED_BY_REFUSALS = (
    "ORD-ERR-002",
    "ORD-ERR-004",
    "ORD-UPD-002",
    "ORD-PROC-003",
    "ORD-CRT-006",
    "ORD-ITEM-002",
    "ORD-ENUM-003",
)


def _is_fixture_create(request: HttpRequest) -> bool:
    try:
        body = request.json()
    except ValueError:
        return False
    return (
        request.path.endswith("/Orders")
        and isinstance(body, dict)
        and (body.get("Name") == FIXTURE_NAME)
    )


async def _refuse_every_change(request: HttpRequest, call: Call) -> HttpResponse:
    if request.method == "GET" or _is_fixture_create(request):
        return await call(request)
    headers = (("content-type", "application/json"), ("content-length", str(len(REFUSAL))))
    return HttpResponse(400, headers, REFUSAL)


REFUSES_EVERYTHING = Fault(
    "orders-refuse-every-change",
    "ORD-ERR-002",
    ("errors",),
    "every Orders change but the fixture's create answers 400 Bad Request",
    lambda r: r.path.startswith("/orders/"),
    Rewrite(handle=_refuse_every_change),
)


def test_refusing_everything_credits_no_negative_case() -> None:
    with tempfile.TemporaryDirectory() as folder, faulty_sandbox(REFUSES_EVERYTHING) as root:
        junit = Path(folder) / "junit.xml"
        run_harness(root, ("errors",), junit)
        verdicts = requirement_verdicts(junit)
    credited = {rid for rid in CREDITED_BY_REFUSALS if "passed" in verdicts.get(rid, set())}
    assert not credited, f"passed on refusals the fault does not explain: {sorted(credited)}"
    assert all(verdicts.get(rid) for rid in CREDITED_BY_REFUSALS), "the cases did not run"
