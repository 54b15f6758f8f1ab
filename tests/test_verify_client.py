"""verify-client passes the reference client on every scenario and fails each broken client
with the requirement id its flaw breaks, read from the JUnit properties as CI would (a flaw
against a SHOULD requirement is warned and the run still passes).

Every run is the real command in its own process (a sandbox, the client as a subprocess,
pytest over the packaged checks). The runs are independent, so they go in parallel; the
broken clients that never finish a scenario get a short time limit.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from dropship_conformance.catalogue import catalogue
from dropship_conformance.clientcheck import attribution, outcome_checks
from dropship_conformance.clientcheck.behaviour_checks import (
    BEHAVIOUR_CHECKS,
    polling_pace,
    reads_every_order,
    reads_the_backlog,
)
from dropship_conformance.clientcheck.request_checks import REQUEST_CHECKS
from dropship_conformance.clientcheck.scenarios import SCENARIOS, TOKEN
from dropship_conformance.clientcheck.traffic import ClientRun
from dropship_conformance.faults.kill import failed_requirements

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "examples" / "reference_client.py"
BROKEN = REPO / "tests" / "clients" / "broken_client.py"
VARIANT = REPO / "tests" / "clients" / "variant_client.py"
RUN_TIMEOUT = 240


@dataclass(frozen=True)
class Flaw:
    name: str  # a key of tests/clients/broken_client.py FLAWS
    scenario: str
    requirement: str  # the requirement the flaw breaks
    time_limit: float  # enough for the flaw to show; a broken client may never finish
    verdict: str = "failed"  # "warned" for a SHOULD requirement: the run still passes
    # Requirement verdicts the flaw must not bring: findings blamed on the wrong duty.
    not_blamed: tuple[str, ...] = ()
    # A SHOULD flaw whose consequences break a MUST too (the run fails).
    fails_run: bool = False

    @property
    def exit_code(self) -> int:
        return 1 if self.verdict == "failed" or self.fails_run else 0


FLAWS = (
    Flaw("current-page-only", "backlog", "DS-CLI-003", 6),
    Flaw("overwrites-tracking", "partial-shipment", "DS-CLI-012", 8),
    Flaw("no-carrier", "full-shipment", "DS-TRK-003", 8),
    # DEV-NUMERIC-TRACKINGINFO: the 000/002 examples send the number, so it is only warned.
    Flaw("numeric-tracking", "full-shipment", "DS-CLI-020", 5, "warned"),
    Flaw("unknown-status", "cancellation", "DS-CLI-011", 5),
    Flaw("double-processes", "full-shipment", "DS-CLI-002", 6, "warned"),
    Flaw("rewalks-archives", "backlog", "DS-CLI-004", 20, "warned"),
    Flaw("storms", "full-shipment", "DS-CLI-010", 20, "warned"),
    Flaw("back-orders", "cancellation", "DS-CLI-008", 8),
    Flaw("back-orders", "cancellation", "DS-CLI-022", 8, "warned", fails_run=True),
    Flaw("ships-cancelled", "cancellation", "DS-CLI-008", 8),
    # The backlog scenario holds the sandbox clock: every entry shares the marker's second.
    Flaw("at-or-before-marker", "backlog", "DS-CLI-003", 8, not_blamed=("DS-CLI-002 warned",)),
    Flaw("before-marker", "backlog", "DS-CLI-004", 10, "warned"),
    Flaw("drops-oldest-archive", "backlog", "DS-CLI-021", 8, "warned", ("DS-CLI-002 warned",)),
    Flaw("wrong-auth-scheme", "full-shipment", "DS-CLI-009", 6, not_blamed=("DS-CLI-001 failed",)),
    Flaw("no-hold", "backorder", "DS-CLI-007", 6, "warned"),
    Flaw("ships-in-part", "backorder", "DS-CLI-007", 6, "warned"),
    Flaw("all-tracking-at-once", "partial-shipment", "DS-CLI-024", 8, "warned"),
    Flaw("foreign-sku", "partial-shipment", "DS-CLI-023", 8, "warned", fails_run=True),
    Flaw("complete-drops-tracking", "partial-shipment", "DS-CLI-012", 8),
)
# Correct-but-different clients (tests/clients/variant_client.py) and the scenario showing it.
VARIANTS = {"partial-then-complete": "partial-shipment"}


def _key(flaw: Flaw) -> str:
    return f"{flaw.name}:{flaw.requirement}"


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    output: str
    folder: Path

    @property
    def junit(self) -> Path:
        return self.folder / "junit.xml"

    @property
    def report(self) -> Path:
        return self.folder / "report.html"

    def requirement_verdicts(self) -> set[str]:
        """Every "<id> <verdict>" of the run's JUnit properties."""
        return {v for verdicts in self.verdicts().values() for v in verdicts}

    def verdicts(self) -> dict[str, list[str]]:
        """Test name -> the requirement verdicts its JUnit properties carry."""
        found: dict[str, list[str]] = {}
        for case in ElementTree.parse(self.junit).iter("testcase"):
            found[case.get("name", "")] = [
                prop.get("value", "")
                for prop in case.iter("property")
                if prop.get("name") == "requirement"
            ]
        return found


def verify(
    folder: Path, scenarios: list[str], client: list[str], time_limit: float | None = None
) -> Outcome:
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "dropship_conformance.cli", "verify-client"]
    for scenario in scenarios:
        command += ["--scenario", scenario]
    command += ["--report", str(folder / "report.html"), "--junitxml", str(folder / "junit.xml")]
    command += ["--traffic", str(folder / "traffic")]
    if time_limit is not None:
        command += ["--time-limit", str(time_limit)]
    command += ["--", sys.executable, *client]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=folder, check=False
    )
    return Outcome(done.returncode, done.stdout + done.stderr, folder)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Future[Outcome]]:
    """Every run of this module, started at once (they mostly wait on clocks, not CPUs)."""
    root = tmp_path_factory.mktemp("verify-client")
    pool = ThreadPoolExecutor(max_workers=4)
    futures = {
        "reference": pool.submit(verify, root / "reference", list(SCENARIOS), [str(REFERENCE)])
    }
    for flaw in FLAWS:
        if flaw.name not in futures:  # a flaw judged under two requirements runs once
            futures[flaw.name] = pool.submit(
                verify, root / flaw.name, [flaw.scenario], [str(BROKEN), flaw.name], flaw.time_limit
            )
    for variant, scenario in VARIANTS.items():
        futures[variant] = pool.submit(verify, root / variant, [scenario], [str(VARIANT), variant])
    pool.shutdown(wait=False)
    return futures


@pytest.mark.slow
def test_reference_client_passes_every_scenario(runs: dict[str, Future[Outcome]]) -> None:
    outcome = runs["reference"].result()
    assert outcome.exit_code == 0, outcome.output
    verdicts = outcome.verdicts()
    for scenario in SCENARIOS.values():
        # Every outcome the scenario expects was judged, and passed.
        for check in scenario.outcomes:
            name = f"test_outcome[{scenario.name}-{check}]"
            assert verdicts.get(name), f"{name} was not judged: {sorted(verdicts)}"
            assert all(v.endswith(" passed") for v in verdicts[name]), (name, verdicts[name])
    failed_or_warned = [
        (name, v) for name, vs in verdicts.items() for v in vs if v.endswith((" failed", " warned"))
    ]
    assert failed_or_warned == [], "the reference client is warned: " + repr(failed_or_warned)


@pytest.mark.slow
def test_reports_and_recordings_never_hold_the_token(runs: dict[str, Future[Outcome]]) -> None:
    outcome = runs["reference"].result()
    files = [outcome.report, outcome.junit, *sorted((outcome.folder / "traffic").iterdir())]
    assert outcome.report.is_file()
    for path in files:
        assert TOKEN not in path.read_text(encoding="utf-8"), path.name
    assert "Bearer [REDACTED]" in outcome.report.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("flaw", FLAWS, ids=[_key(flaw) for flaw in FLAWS])
def test_broken_client_is_judged_by_the_requirement_it_breaks(
    runs: dict[str, Future[Outcome]], flaw: Flaw
) -> None:
    outcome = runs[flaw.name].result()
    assert outcome.exit_code == flaw.exit_code, outcome.output
    if flaw.verdict == "failed":
        failed = failed_requirements(outcome.junit)
        assert flaw.requirement in failed, f"{flaw.name}: failed {sorted(failed)}\n{outcome.output}"
    else:
        found = outcome.requirement_verdicts()
        assert f"{flaw.requirement} {flaw.verdict}" in found, f"{flaw.name}: {sorted(found)}"
    misattributed = set(flaw.not_blamed) & outcome.requirement_verdicts()
    assert not misattributed, f"{flaw.name}: blamed on {sorted(misattributed)}\n{outcome.output}"


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
def test_correct_but_different_clients_pass(runs: dict[str, Future[Outcome]], variant: str) -> None:
    outcome = runs[variant].result()
    assert outcome.exit_code == 0, outcome.output
    flagged = sorted(
        v for v in outcome.requirement_verdicts() if v.endswith((" failed", " warned"))
    )
    assert flagged == [], f"{variant}: {flagged}"


def test_a_run_that_cannot_be_made_exits_2(tmp_path: Path) -> None:
    for client in ([], [str(tmp_path / "no-such-client")]):
        command = [sys.executable, "-m", "dropship_conformance.cli", "verify-client"]
        command += ["--scenario", "full-shipment", "--", *client]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False
        )
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) <= 2, done.stderr
        assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- the check tables, on made-up runs

ORDER_ID = "0b05f9fb-1210-4494-b654-d051948716b4"
UPDATE_PATH = f"/dropship/v1/Suppliers(60455)/Orders({ORDER_ID})"


def request(seq: int, t: float, body: dict | None, status: int = 202, kind: str = "Order") -> dict:
    """A recorded status update as the recorder keeps it."""
    return {
        "seq": seq,
        "t": t,
        "t_end": t + 0.01,
        "method": "PUT",
        "path": f"{UPDATE_PATH}/{kind}StatusUpdate",
        "query": "",
        "headers": [["accept", "application/json"], ["content-type", "application/json"]],
        "auth": "ok",
        "body": json.dumps(body),
        "status": status,
        "feed": None,
    }


def made_up_run(*records: dict, scenario: str = "full-shipment", **fields: object) -> ClientRun:
    """A run of one seeded order (items abc123 x3, 234oike x1); ``fields`` replace the run's
    (plan, final, client...)."""
    return ClientRun(
        {
            "format": 1,
            "scenario": scenario,
            "supplier_id": 60455,
            "root_url": "http://127.0.0.1:1",
            "started_utc": "2015-10-23T21:37:31+00:00",
            "command": ["client"],
            "client": {"started": 0.0, "stopped_by": "exit", "ran_seconds": 5.0},
            "orders": [
                {
                    "order_id": ORDER_ID,
                    "source": "seed",
                    "created": 0.0,
                    "items": [{"sku": "abc123", "quantity": 3}, {"sku": "234oike", "quantity": 1}],
                }
            ],
            "plan": {"format": 1, "carrier": "UPS", "skus": {}},
            "final": {},
            "records": list(records),
            **fields,
        }
    )


def problems(check_name: str, run: ClientRun, seq: int) -> list[str]:
    check = next(c for c in REQUEST_CHECKS if c.name == check_name)
    record = next(r for r in run.records if r.seq == seq)
    return check.judge(record, run) if check.applies(record) else []


def test_transitions_are_judged_against_the_state_before_each_update() -> None:
    shipped = {
        "Id": ORDER_ID,
        "Status": "Shipped",
        "TrackingInfo": "1Z1",
        "ShippingProvider": "UPS",
    }
    partial = {"Sku": "abc123", "Status": 6, "Quantity": 1, "TrackingInfo": "1Z1,1Z2"}
    partial_update = {"Id": ORDER_ID, "ItemInformation": [partial]}
    run = made_up_run(
        request(1, 1.0, shipped),
        request(2, 2.0, {"Id": ORDER_ID, "Status": "Ordered"}, status=400),
        request(3, 3.0, partial_update, kind="Item"),
        request(4, 4.0, partial_update, kind="Item"),
        request(
            5, 5.0, {"Id": ORDER_ID, "ItemInformation": [{"Status": "Cancelled"}]}, kind="Item"
        ),
    )
    assert problems("no_invalid_transition", run, 1) == []
    # Judged as sent, though refused; the refusal leaves the items Shipped.
    assert "Shipped -> Ordered" in problems("no_invalid_transition", run, 2)[0]
    # Shipped -> PartiallyShipped is DS-CLI-013's row of the table, not DS-CLI-002's.
    assert problems("no_invalid_transition", run, 3) == []
    assert "Shipped -> PartiallyShipped" in problems("partially_shipped_before_shipped", run, 3)[0]
    # The same update again changes nothing: an update already made.
    assert problems("changes_something", run, 3) == []
    assert problems("changes_something", run, 4)
    # An ItemInformation without a Sku addresses no item (and never the whole order).
    assert run.records[4].changes == []


def test_the_polling_rule_catches_an_immediate_retry_after_a_4xx() -> None:
    bad = {"Id": ORDER_ID, "Status": "Exception"}
    run = made_up_run(request(1, 1.0, bad, status=400), request(2, 1.2, bad, status=400))
    findings = polling_pace(run)
    assert len(findings) == 1 and "after a 4xx" in findings[0].message
    assert [r.seq for r in findings[0].records] == [2]
    patient = made_up_run(request(1, 1.0, bad, status=400), request(2, 2.5, bad, status=400))
    assert polling_pace(patient) == []


def _level(requirement_id: str) -> str:
    return catalogue()[requirement_id].level


def _check_requirement(name: str) -> str:
    checks = {c.name: c.requirement for c in (*REQUEST_CHECKS, *BEHAVIOUR_CHECKS)}
    return checks[name]


def test_a_body_id_other_than_the_uri_order_is_only_warned() -> None:
    """DEV-BODY-ID-MISMATCH: the 001 examples send another body Id; the order-id half stays."""
    other = "91a57ddb-2d42-402b-85b4-fe327a347313"
    run = made_up_run(
        request(1, 1.0, {"Id": other, "Status": "Ordered"}),
        request(2, 2.0, {"Id": ORDER_ID.upper(), "Status": "Ordered"}),
    )
    assert "differs from the URI OrderId" in problems("body_id_is_uri_order", run, 1)[0]
    assert problems("body_id_is_uri_order", run, 2) == []
    assert _check_requirement("body_id_is_uri_order") == "DS-CLI-018"
    assert _level("DS-CLI-018") == "SHOULD"
    # The order was read in no feed here: that half is DS-CLI-005, a MUST, whatever the body Id.
    assert all("body Id" not in p for p in problems("order_from_feed", run, 2))
    assert problems("order_from_feed", run, 2)
    assert _level(_check_requirement("order_from_feed")) == "MUST"


def test_a_path_without_v1_names_its_operation_and_is_only_warned() -> None:
    """DEV-BASE-V1: 001 §ENDPOINTS has no /v1."""
    bare = request(1, 1.0, {"Id": ORDER_ID, "Status": "Ordered"})
    bare["path"] = bare["path"].replace("/dropship/v1/", "/dropship/")
    run = made_up_run(bare, request(2, 2.0, {"Id": ORDER_ID, "Status": "Ordered"}))
    assert run.records[0].operation == "putOrderStatusUpdate"
    assert problems("documented_operation", run, 1) == []
    assert "/v1 was left out" in problems("keeps_v1", run, 1)[0]
    assert problems("keeps_v1", run, 2) == []
    assert _level(_check_requirement("keeps_v1")) == "SHOULD"
    assert _level(_check_requirement("documented_operation")) == "MUST"


def _feed_read(seq: int, t: float, order_ids: list[str]) -> dict:
    entries = [{"kind": "order-created", "order_id": o} for o in order_ids]
    return {
        **request(seq, t, None),
        "method": "GET",
        "path": "/dropship/v1/Suppliers(60455)/Notifications",
        "body": "",
        "status": 200,
        "feed": {"page": "current", "archive": False, "digest": str(order_ids), "entries": entries},
    }


def test_orders_before_the_first_read_are_the_should_of_the_backlog() -> None:
    """DEV-CLIENT-BACKLOG: an order that arrives while the client monitors the feed must reach
    it (DS-CLI-003); one already in the feed before its first read should (DS-CLI-021)."""
    old, new = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"

    def run_reading(*seen: str) -> ClientRun:
        run = made_up_run(_feed_read(1, 1.0, list(seen)), _feed_read(2, 3.0, list(seen)))
        data = {**run.data, "orders": []}
        for order_id, created in ((old, -1.0), (new, 1.5)):
            data["orders"].append(
                {"order_id": order_id, "source": "seed", "created": created, "items": []}
            )
        return ClientRun(data)

    missed_both = run_reading()
    assert new in reads_every_order(missed_both)[0].message
    assert old not in reads_every_order(missed_both)[0].message
    assert old in reads_the_backlog(missed_both)[0].message
    only_new = run_reading(new)
    assert reads_every_order(only_new) == []
    assert reads_the_backlog(only_new)
    assert _level("DS-CLI-003") == "MUST" and _level("DS-CLI-021") == "SHOULD"


# ---------------------------------------------------------------- issue 13: duties, verdicts


CANCEL_PLAN = {
    "format": 1,
    "carrier": "UPS",
    "skus": {"abc123": {"cancel": "Discontinued"}, "234oike": {"cancel": "Discontinued"}},
}
TIMED_OUT = {"started": 0.0, "stopped_by": "time-limit", "time_limit": 8.0, "ran_seconds": 8.0}


def _outcome(name: str, run: ClientRun) -> tuple[int, list[str]]:
    judged, findings = outcome_checks.judge(run, outcome_checks.OUTCOME_CHECKS[name])
    return judged, [f.message for f in findings]


def _left_behind(status: str, tracking: str | None = None) -> dict:
    items = [{"sku": sku, "status": status, "tracking-info": tracking} for sku in ("abc123",)]
    return {ORDER_ID: [*items, {"sku": "234oike", "status": status}]}


def test_cancellation_rules_are_not_vacuous() -> None:
    read = _feed_read(1, 0.5, [ORDER_ID])
    back_ordered = request(2, 1.0, {"Id": ORDER_ID, "Status": "BackOrdered", "Message": "later"})
    run = made_up_run(
        read,
        back_ordered,
        _feed_read(3, 2.0, [ORDER_ID]),
        scenario="cancellation",
        plan=CANCEL_PLAN,
        final=_left_behind("BackOrdered"),
        client=TIMED_OUT,
    )
    # The scenario needed cancellations and the client sent none: DS-CLI-008 fails, naming
    # what the plan wanted and what the client left; DS-CLI-017 does not pass.
    judged, found = _outcome("cancelled", run)
    assert judged == 2 and len(found) == 2
    assert ORDER_ID in found[0] and "'abc123'" in found[0]
    assert "the plan wanted Cancelled (Discontinued)" in found[0]
    assert "left it BackOrdered" in found[0] and "time limit (8s)" in found[0]
    assert "never cancelled" in _outcome("cancelled_with_message", run)[1][0]
    assert "cancelled" in SCENARIOS["cancellation"].outcomes
    # BackOrdered for a discontinued item is not a status for the situation (DS-CLI-022).
    assert (
        "BackOrdered while it can no longer be fulfilled"
        in problems("status_fits_situation", run, 2)[0]
    )
    # A scenario that needs no cancellation judges none: not checked, never passed.
    no_cancel = made_up_run(read, scenario="full-shipment")
    assert _outcome("cancelled_with_message", no_cancel) == (0, [])


def test_a_run_ended_at_the_time_limit_names_what_the_plan_wanted() -> None:
    plan = {
        "format": 1,
        "carrier": "UPS",
        "skus": {"abc123": {"shipments": [{"quantity": 3, "tracking": "1Z1"}]}},
    }
    run = made_up_run(
        _feed_read(1, 0.5, [ORDER_ID]),
        request(2, 1.0, {"Id": ORDER_ID, "Status": "Ordered"}),
        _feed_read(3, 2.0, [ORDER_ID]),
        plan=plan,
        final=_left_behind("Ordered"),
        client=TIMED_OUT,
    )
    found = _outcome("shipped_as_planned", run)[1]
    assert found[0] == (
        f"order {ORDER_ID} item 'abc123': the plan wanted Shipped (tracking 1Z1); the client "
        "left it Ordered (the run ended at the time limit (8s) with the plan not met)"
    )


def test_a_dropped_entry_is_a_pick_up_failure_not_a_double_processing() -> None:
    """An order-created the client fetched and dropped is the pick-up rule's (DS-CLI-003 while
    it monitors the feed, DS-CLI-021 for the backlog), never DS-CLI-002's."""
    run = made_up_run(
        _feed_read(1, -1.0, [ORDER_ID]), _feed_read(2, 2.0, [ORDER_ID]), client=TIMED_OUT
    )
    assert _outcome("picked_up_once", run)[1] == []
    run.orders[ORDER_ID] = replace(run.orders[ORDER_ID], created=0.0)
    assert "the plan wanted it picked up (Ordered)" in _outcome("picked_up", run)[1][0]
    assert _outcome("backlog_picked_up", run)[0] == 0
    assert outcome_checks.OUTCOME_CHECKS["picked_up"].requirement == "DS-CLI-003"
    assert outcome_checks.OUTCOME_CHECKS["backlog_picked_up"].requirement == "DS-CLI-021"


def test_a_refusal_is_the_root_cause_and_its_consequences_are_listed_under_it() -> None:
    polls = [
        {**_feed_read(n, float(n), []), "status": 401, "auth": "not bearer", "feed": None}
        for n in range(1, 6)
    ]
    run = made_up_run(*polls, client=TIMED_OUT)
    cause = attribution.root_cause(run)
    assert cause is not None and "5 request(s) refused with 401" in cause and "DS-CLI-009" in cause
    lines = attribution.consequences(run)
    assert any(
        line.startswith("consequence (DS-CLI-001)") and "5 request(s)" in line for line in lines
    )
    assert attribution.root_cause(made_up_run(_feed_read(1, 1.0, []))) is None


def test_item_updates_name_the_order_items_and_one_number_per_shipment() -> None:
    foreign = {"Id": ORDER_ID, "ItemInformation": [{"Sku": "not-ours", "Status": "Ordered"}]}
    two_at_once = {
        "Id": ORDER_ID,
        "ItemInformation": [
            {
                "Sku": "abc123",
                "Status": "PartiallyShipped",
                "Quantity": 1,
                "TrackingInfo": "1Z1,1Z2",
                "ShippingProvider": "UPS",
            }
        ],
    }
    one_more = {
        **two_at_once,
        "ItemInformation": [{**two_at_once["ItemInformation"][0], "TrackingInfo": "1Z1,1Z2,1Z3"}],
    }
    run = made_up_run(
        request(1, 1.0, foreign, kind="Item"),
        request(2, 2.0, two_at_once, kind="Item"),
        request(3, 3.0, one_more, kind="Item"),
    )
    assert "Sku 'not-ours' is no item of order" in problems("sku_of_the_order", run, 1)[0]
    assert problems("sku_of_the_order", run, 2) == []
    assert "adds 2 tracking numbers (1Z1, 1Z2)" in problems("one_number_per_shipment", run, 2)[0]
    assert problems("one_number_per_shipment", run, 3) == []
    for name in ("sku_of_the_order", "one_number_per_shipment", "status_fits_situation"):
        assert _level(_check_requirement(name)) == "SHOULD"


def test_a_held_order_is_back_ordered_and_ships_nothing() -> None:
    plan = {"format": 1, "carrier": "UPS", "skus": {"abc123": {"backorder": "restock"}}}
    shipped = {
        "Id": ORDER_ID,
        "ItemInformation": [
            {
                "Sku": "234oike",
                "Status": "Shipped",
                "TrackingInfo": "1Z9",
                "ShippingProvider": "UPS",
            }
        ],
    }
    held = {"Id": ORDER_ID, "Status": "BackOrdered", "Message": "restock"}
    base = (_feed_read(1, 0.5, [ORDER_ID]), _feed_read(9, 9.0, [ORDER_ID]))
    good = made_up_run(
        *base,
        request(2, 1.0, held),
        scenario="backorder",
        plan=plan,
        final=_left_behind("BackOrdered"),
    )
    assert _outcome("held_back_ordered", good) == (2, [])
    assert problems("status_fits_situation", good, 2) == []
    partial = made_up_run(
        *base,
        request(2, 1.0, shipped, kind="Item"),
        scenario="backorder",
        plan=plan,
        final=_left_behind("Ordered"),
    )
    found = _outcome("held_back_ordered", partial)[1]
    assert any("the plan wanted BackOrdered (restock)" in line for line in found)
    assert any("a partial shipment instead of holding the order" in line for line in found)
    assert (
        "Shipped while it is in stock but its order waits"
        in problems("status_fits_situation", partial, 2)[0]
    )


def _tables() -> dict[str, set[str]]:
    """The requirement ids each check table judges (outcomes: those some scenario runs)."""
    outcomes = {name for scenario in SCENARIOS.values() for name in scenario.outcomes}
    return {
        "request_checks.py": {c.requirement for c in REQUEST_CHECKS},
        "behaviour_checks.py": {c.requirement for c in BEHAVIOUR_CHECKS},
        "outcome_checks.py": {outcome_checks.OUTCOME_CHECKS[n].requirement for n in outcomes},
    }


def _judged_requirements() -> set[str]:
    return set().union(*_tables().values())


def test_every_client_duty_is_judged_in_some_scenario() -> None:
    duties = {r.id for r in catalogue().values() if r.party == "client"}
    assert sorted(duties - _judged_requirements()) == []
    # Every outcome check runs in at least one scenario.
    used = {name for scenario in SCENARIOS.values() for name in scenario.outcomes}
    assert sorted(set(outcome_checks.OUTCOME_CHECKS) - used) == []


def test_readme_what_is_judged_matches_the_code() -> None:
    """Each bullet of README's "What is judged" names its table's file and exactly the
    requirement ids that table judges, and says which of them are only SHOULDs."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("What is judged", 1)[1].split("**The polling rule**", 1)[0]
    bullets = {
        name: bullet.split("\n\n", 1)[0]
        for bullet in section.split("\n- ")[1:]
        for name in _tables()
        if f"`{name}`" in bullet
    }
    assert sorted(bullets) == sorted(_tables())
    for name, ids in _tables().items():
        listed = set(re.findall(r"\bDS-[A-Z]+-\d{3}\b", bullets[name]))
        assert listed == ids, f"README {name}: extra {listed - ids}, missing {ids - listed}"
        for requirement_id in ids:
            if _level(requirement_id) == "SHOULD":
                said = re.search(rf"{requirement_id}(,\s+SHOULD|\s+\(SHOULD)", bullets[name])
                assert said, f"README lists {requirement_id} under {name}, not as a SHOULD"
