"""Preconditions on any target: the second identity's token (``--other-token``) and the links
between the two APIs, whose absence one bounded wait decides for the whole run.
"""

from __future__ import annotations

import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from dropship_conformance.errors import SetupImpossible
from dropship_conformance.faults.proxy import FaultInjector, HttpRequest, HttpResponse, Rewrite
from dropship_conformance.harness import options
from dropship_conformance.harness.target import open_target
from dropship_conformance.harness.testdata import TestData
from dropship_conformance.sandbox.server import serve_in_thread

from .conftest import REPO

EMPTY_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:uuid:5d4e2d0a-6c55-4a0e-8d1c-0d3c7a1e9f10</id>
  <title>Order feed</title>
  <updated>2026-01-01T00:00:00Z</updated>
  <author><name>stub</name></author>
</feed>"""
CONTRACT_TESTS = REPO / "contract_tests"
LINKED_SUITES = ("test_cancellation.py", "test_full_shipment.py", "test_partial_shipment.py")
ISOLATION_SUITES = ("test_dropship_errors.py", "test_orders_errors.py")
# The isolation tests that act as the other supplier or company (read its feed, own its order).
NEEDS_OTHER_TOKEN = (
    "other_suppliers_page or another_suppliers_order or order_of_another_company "
    "or only_the_companys_orders"
)
WAIT = 0.6
# Far below WAIT: what a call costs when it does not wait.
AT_ONCE = 0.25


def test_other_token_comes_from_the_flag_then_the_environment() -> None:
    env = {"DROPSHIP_CONFORMANCE_OTHER_TOKEN": "from-env"}
    assert options.resolve({}, {}).other_token is None
    assert options.resolve({}, env).other_token == "from-env"
    settings = options.resolve({"other_token": "from-flag", "token": "mine"}, env)
    assert settings.other_token == "from-flag"
    assert settings.secrets == ("mine", "from-flag")
    assert "from-flag" not in repr(settings)


def test_embedded_sandbox_gives_its_second_identity_and_redacts_it() -> None:
    with open_target(options.resolve({}, {})) as target:
        other = target.settings.other_token
        assert other == "sandbox-other-token"
        assert target.recorder.redact(f"Bearer {other}") == "Bearer [REDACTED]"
        feed = target.dropship.notifications(supplier_id=14107, token=other)
        orders = target.orders.list_orders(company_id=33772, token=other)
        assert (feed.status, orders.status) == (200, 200)
        for exchange in target.recorder.take():
            assert other not in repr(exchange)


def test_given_other_token_is_kept_on_the_sandbox() -> None:
    with open_target(options.resolve({"other_token": "given"}, {})) as target:
        assert target.settings.other_token == "given"
        assert "given" in target.recorder.secrets


def _stub_target(other_token: str | None = None) -> Any:
    """A foreign target (no control API) whose feed never shows anything."""
    settings = replace(
        options.resolve({}, {}),
        dropship_url="http://stub.invalid/v1",
        orders_url="http://stub.invalid/v1",
        other_token=other_token,
        event_wait=WAIT,
    )
    empty = SimpleNamespace(status=200, content=EMPTY_FEED, url="http://stub.invalid/feed")
    dropship = SimpleNamespace(notifications=lambda **_: empty, follow=lambda *_, **__: empty)
    return SimpleNamespace(settings=settings, control=None, dropship=dropship)


def _in_test(monkeypatch: pytest.MonkeyPatch, nodeid: str) -> None:
    monkeypatch.setenv("PYTEST_CURRENT_TEST", f"{nodeid} (call)")


def _timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    try:
        return call(), time.monotonic() - started
    except SetupImpossible as skipped:
        return skipped, time.monotonic() - started


def test_updates_never_shown_cost_the_wait_once(monkeypatch: pytest.MonkeyPatch) -> None:
    data = TestData(_stub_target())
    fetches: list[int] = []

    def never_shown() -> dict[str, str]:
        fetches.append(1)
        return {"ItemStatusId": "still 1"}

    def problems(items: dict[str, str]) -> dict[str, list[str]]:
        return {"LINK-004": [f"item: ItemStatusId {items['ItemStatusId']}, expected 7"]}

    _in_test(monkeypatch, "contract_tests/test_a.py::test_first")
    value, spent = _timed(lambda: data.await_link(never_shown, problems, WAIT))
    assert value == {"ItemStatusId": "still 1"} and spent >= WAIT and len(fetches) > 1
    # The deciding test judges its later steps at once, without waiting again.
    value, spent = _timed(lambda: data.await_link(never_shown, problems, WAIT))
    assert value == {"ItemStatusId": "still 1"} and spent < AT_ONCE
    _in_test(monkeypatch, "contract_tests/test_b.py::test_later")
    skipped, spent = _timed(lambda: data.await_link(never_shown, problems, WAIT))
    assert isinstance(skipped, SetupImpossible) and spent < AT_ONCE
    assert str(skipped) == (
        "not checked: the target did not show the supplier's updates on the Orders API items "
        f"(LINK-004, LINK-005) within {WAIT:g} s "
        "(decided once by test contract_tests/test_a.py::test_first)"
    )
    # Tracking numbers travel the same way back: no second wait for them.
    skipped, spent = _timed(lambda: data.await_link(lambda: 0, lambda _: {"LINK-005": []}, WAIT))
    assert isinstance(skipped, SetupImpossible) and spent < AT_ONCE
    # The other link, Process to the feed, is still waited for.
    skipped, spent = _timed(lambda: data.find_created(lambda _: True, wait=WAIT))
    assert isinstance(skipped, SetupImpossible) and spent >= WAIT
    assert "decided once" not in str(skipped)


def test_a_zero_wait_decides_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    data = TestData(_stub_target())
    _in_test(monkeypatch, "contract_tests/test_a.py::test_first")
    data.await_link(lambda: 0, lambda _: {"LINK-004": ["not shown"]}, 0)
    assert data.missed == {}


def test_orders_never_fed_cost_the_wait_once(monkeypatch: pytest.MonkeyPatch) -> None:
    data = TestData(_stub_target())
    _in_test(monkeypatch, "contract_tests/test_a.py::test_first")
    first, spent = _timed(lambda: data.find_created(lambda _: True, wait=WAIT))
    assert isinstance(first, SetupImpossible) and spent >= WAIT
    assert "no matching order-created entry" in str(first)
    _in_test(monkeypatch, "contract_tests/test_b.py::test_later")
    later, spent = _timed(lambda: data.find_created(lambda _: True, wait=WAIT))
    assert isinstance(later, SetupImpossible) and spent < AT_ONCE
    assert "decided once by test contract_tests/test_a.py::test_first" in str(later)
    assert "order-created in the supplier's feed" in str(later)


def test_other_suppliers_feed_needs_the_other_token() -> None:
    skipped, _ = _timed(lambda: TestData(_stub_target()).feed_options(True))
    assert isinstance(skipped, SetupImpossible)
    assert "--other-token" in str(skipped) and "DROPSHIP_CONFORMANCE_OTHER_TOKEN" in str(skipped)
    given = TestData(_stub_target("theirs")).feed_options(True)
    assert given == {"supplier_id": 14107, "token": "theirs"}


def _updates_never_copied_back(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The Orders API items as they were ordered, whatever the supplier reported."""
    items = response.json()
    for item in items if isinstance(items, list) else []:
        if str(item.get("ItemTypeId")) == "1":
            item.update(ItemStatusId=1, ItemStatus="New", TrackingInformation=[])
    return response.with_json(items)


def _reads_items(request: HttpRequest) -> bool:
    return request.method == "GET" and request.path.endswith("/Items")


@pytest.mark.slow
def test_linked_suites_spend_the_wait_once(tmp_path: Path) -> None:
    """A foreign target (no control API) that feeds orders but never copies updates back."""
    wait = 3.0

    def wrap(app: Any) -> FaultInjector:
        return FaultInjector(app, _reads_items, Rewrite(response=_updates_never_copied_back))

    junit = tmp_path / "junit.xml"
    with serve_in_thread(":memory:", wrap=wrap, control_api=False) as root:
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
        command += [str(CONTRACT_TESTS / name) for name in LINKED_SUITES]
        command += ["-k", "linked", "--junitxml", str(junit), "--event-wait", str(wait)]
        command += ["--dropship-url", f"{root}/dropship/v1", "--orders-url", f"{root}/orders/v1"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    cases = {
        f"{case.get('classname')}::{case.get('name')}": case
        for case in ElementTree.parse(junit).iter("testcase")
    }
    assert len(cases) >= 4, done.stdout[-2000:]
    slow = {name for name, case in cases.items() if float(case.get("time") or 0) >= wait}
    assert len(slow) == 1, f"the wait was spent by {sorted(slow)}:\n{done.stdout[-2000:]}"
    (decider,) = slow
    warned = [p.get("value") for p in cases[decider].iter("property")]
    assert "LINK-004 warned" in warned, warned
    later = [
        skipped.get("message") or ""
        for name, case in cases.items()
        if name != decider
        for skipped in case.iter("skipped")
    ]
    # `-k linked` also selects tests of the `linked` conformance class that need no link wait;
    # those may pass, but none waits again, and every skip names the test that decided.
    assert len(later) >= 4, done.stdout[-2000:]
    assert all("decided once by test" in message for message in later), later


def _isolation_run(root: str, folder: Path, *given: str) -> dict[str, list[str]]:
    """Outcome -> messages of the isolation tests that act as the other supplier or company."""
    junit = folder / "junit.xml"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    command += [str(CONTRACT_TESTS / name) for name in ISOLATION_SUITES]
    command += ["-k", NEEDS_OTHER_TOKEN, "--junitxml", str(junit), *given]
    command += ["--dropship-url", f"{root}/dropship/v1", "--orders-url", f"{root}/orders/v1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    outcomes: dict[str, list[str]] = {"passed": [], "skipped": [], "failed": []}
    for case in ElementTree.parse(junit).iter("testcase"):
        skipped = [s.get("message") or "" for s in case.iter("skipped")]
        failed = [f.get("message") or "" for f in (*case.iter("failure"), *case.iter("error"))]
        if skipped:
            outcomes["skipped"] += skipped
        elif failed:
            outcomes["failed"] += failed
        else:
            outcomes["passed"].append(case.get("name") or "")
    assert outcomes["passed"] or outcomes["skipped"], done.stdout[-2000:]
    return outcomes


@pytest.mark.slow
def test_other_token_builds_the_isolation_cases_on_a_foreign_target(tmp_path: Path) -> None:
    with serve_in_thread(":memory:", control_api=False) as root:
        without = _isolation_run(root, tmp_path)
        given = _isolation_run(root, tmp_path, "--other-token", "sandbox-other-token")
    assert not without["passed"] and not without["failed"]
    assert all("--other-token" in message for message in without["skipped"]), without
    assert not given["skipped"] and not given["failed"], given
    assert len(given["passed"]) == len(without["skipped"])
