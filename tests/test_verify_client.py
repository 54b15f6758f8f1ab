"""verify-client passes the reference client on every scenario and fails each broken client
with the requirement id its flaw breaks, read from the JUnit properties as CI would (a flaw
against a SHOULD requirement is warned and the run still passes).

Every run is the real command in its own process (a sandbox, the client as a subprocess,
pytest over the packaged checks). The runs are independent, so they go in parallel; the
broken clients that never finish a scenario get a short time limit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from dropship_conformance.clientcheck.behaviour_checks import polling_pace
from dropship_conformance.clientcheck.request_checks import REQUEST_CHECKS
from dropship_conformance.clientcheck.scenarios import SCENARIOS, TOKEN
from dropship_conformance.clientcheck.traffic import ClientRun
from dropship_conformance.faults.kill import failed_requirements

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "examples" / "reference_client.py"
BROKEN = REPO / "tests" / "clients" / "broken_client.py"
RUN_TIMEOUT = 240


@dataclass(frozen=True)
class Flaw:
    name: str  # a key of tests/clients/broken_client.py FLAWS
    scenario: str
    requirement: str  # the requirement the flaw breaks
    time_limit: float  # enough for the flaw to show; a broken client may never finish
    verdict: str = "failed"  # "warned" for a SHOULD requirement: the run still passes

    @property
    def exit_code(self) -> int:
        return 1 if self.verdict == "failed" else 0


FLAWS = (
    Flaw("current-page-only", "backlog", "DS-CLI-003", 6),
    Flaw("overwrites-tracking", "partial-shipment", "DS-CLI-012", 8),
    Flaw("no-carrier", "full-shipment", "DS-TRK-003", 8),
    Flaw("numeric-tracking", "full-shipment", "DS-CLI-011", 5),
    Flaw("unknown-status", "cancellation", "DS-CLI-011", 5),
    Flaw("double-processes", "full-shipment", "DS-CLI-002", 6),
    Flaw("rewalks-archives", "backlog", "DS-CLI-004", 20, "warned"),
    Flaw("storms", "full-shipment", "DS-CLI-010", 20, "warned"),
)


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
        futures[flaw.name] = pool.submit(
            verify, root / flaw.name, [flaw.scenario], [str(BROKEN), flaw.name], flaw.time_limit
        )
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
@pytest.mark.parametrize("flaw", FLAWS, ids=[flaw.name for flaw in FLAWS])
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


def made_up_run(*records: dict) -> ClientRun:
    return ClientRun(
        {
            "format": 1,
            "scenario": "full-shipment",
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
