"""verify-client's serve mode, and what its output says (issue 13's serve mode, issue 14's
verify-client output).

Serve mode is judged as a vendor would use it: the gate runs as one process, and the test
starts the client "by hand", as a separate process, with the environment the gate wrote.
The output rules (scenario named per finding, totals labelled, root cause first, time limit
said) are checked on the summary module directly, each against the ordering it replaces.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dropship_conformance.catalogue import catalogue
from dropship_conformance.clientcheck.command import _loopback, _write_env
from dropship_conformance.clientcheck.scenarios import TOKEN
from dropship_conformance.clientcheck.summary import Seen, failures, totals
from dropship_conformance.faults.kill import failed_requirements
from dropship_conformance.harness.report import Decision, Matrix
from dropship_conformance.verdicts import Verdict

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "examples" / "reference_client.py"
BROKEN = REPO / "tests" / "clients" / "broken_client.py"
GATE = [sys.executable, "-m", "dropship_conformance.cli", "verify-client"]
# Bounds of each wait: the gate's environment file, the gate's run, the client's stop.
ENV_FILE_WAIT = 60
GATE_TIMEOUT = 180
STOP_TIMEOUT = 10


class Gate:
    """``verify-client --serve`` in its own process, its output files in one folder."""

    def __init__(self, folder: Path, scenario: str, *extra: str) -> None:
        self.folder = folder
        self.env_file = folder / "client.env.json"
        command = [*GATE, "--serve", "--scenario", scenario, "--env-file", str(self.env_file)]
        command += ["--report", str(folder / "report.html")]
        command += ["--junitxml", str(folder / "junit.xml"), "--traffic", str(folder / "traffic")]
        self.process = subprocess.Popen(
            [*command, *extra],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def environment(self) -> dict[str, str]:
        """The client's environment, once the gate has written it (bounded wait)."""
        deadline = time.monotonic() + ENV_FILE_WAIT
        while not self.env_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no environment file: {self.finish()}")
            time.sleep(0.05)
        return json.loads(self.env_file.read_text(encoding="utf-8"))

    def finish(self) -> tuple[int, str, str]:
        stdout, stderr = self.process.communicate(timeout=GATE_TIMEOUT)
        return self.process.returncode, stdout, stderr

    @property
    def junit(self) -> Path:
        return self.folder / "junit.xml"


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts by hand; each is stopped (by its id) when the test ends."""
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)


def _by_hand(
    client: list[str], environment: dict[str, str], started: list[subprocess.Popen[bytes]]
) -> None:
    # The client outlives the gate's sandbox; its own bound keeps it from running on.
    env = {**os.environ, **environment, "DROPSHIP_CLIENT_MAX_SECONDS": str(GATE_TIMEOUT)}
    started.append(
        subprocess.Popen(
            [sys.executable, *client],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )


@pytest.mark.slow
def test_serve_mode_passes_the_reference_client_started_by_hand(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    gate = Gate(tmp_path, "full-shipment", "--time-limit", "60")
    environment = gate.environment()
    assert environment["DROPSHIP_TOKEN"] == TOKEN
    assert environment["DROPSHIP_URL"].startswith("http://127.0.0.1:")
    assert Path(environment["DROPSHIP_WAREHOUSE_FILE"]).is_file()
    _by_hand([str(REFERENCE)], environment, started)
    code, stdout, stderr = gate.finish()
    assert code == 0, stdout + stderr
    # The environment is printed too, for a person starting the client by hand.
    assert f"DROPSHIP_URL={environment['DROPSHIP_URL']}" in stdout
    assert "client conformant (scenarios: full-shipment complete)" in stdout
    assert "warning" not in stderr
    for path in (tmp_path / "report.html", gate.junit):
        assert TOKEN not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.slow
def test_serve_mode_fails_a_broken_client_started_by_hand(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    gate = Gate(tmp_path, "full-shipment", "--time-limit", "30")
    _by_hand([str(BROKEN), "no-carrier"], gate.environment(), started)
    code, stdout, stderr = gate.finish()
    assert code == 1, stdout + stderr
    assert "DS-TRK-003" in failed_requirements(gate.junit)
    assert "DS-TRK-003 [full-shipment] (root cause)" in stdout


@pytest.mark.slow
def test_serve_mode_without_a_client_ends_at_the_time_limit_and_says_so(tmp_path: Path) -> None:
    # 0.0.0.0 also shows the warning a host beyond loopback gets.
    gate = Gate(
        tmp_path,
        "full-shipment",
        "--time-limit",
        "2",
        "--host",
        "0.0.0.0",
        "--public-url",
        "http://gate:9999/",
    )
    code, stdout, stderr = gate.finish()
    # The environment names the address the client reaches the gate at.
    environment = json.loads(gate.env_file.read_text(encoding="utf-8"))
    assert environment["DROPSHIP_URL"] == "http://gate:9999/dropship/v1"
    assert environment["ORDERS_URL"] == "http://gate:9999/orders/v1"
    assert "reachable beyond this machine" in stderr
    # Orders that arrive while the scenario runs wait for the served client's first poll.
    assert "arrived" not in stderr
    assert "ENDED AT THE TIME LIMIT (2s)" in stderr  # the progress line
    assert "Scenario full-shipment: ENDED AT THE TIME LIMIT (2s) with the plan not met" in stdout
    assert "full-shipment ENDED AT THE TIME LIMIT, plan not met" in stdout.splitlines()[-1]
    assert code in (0, 1), stderr


@pytest.mark.slow
def test_the_verdict_lists_the_root_cause_first_with_its_scenario(tmp_path: Path) -> None:
    # The "Exception" status (DS-CLI-011, a request-level rule) leaves the cancellations
    # undone, so DS-CLI-008 (alphabetically first) and the outcomes fail as consequences.
    command = [*GATE, "--scenario", "cancellation", "--time-limit", "6"]
    command += ["--report", str(tmp_path / "r.html"), "--junitxml", str(tmp_path / "j.xml")]
    command += ["--", sys.executable, str(BROKEN), "unknown-status"]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=GATE_TIMEOUT, cwd=tmp_path, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr
    verdict = done.stdout.strip().splitlines()[-1]
    assert "root cause first: DS-CLI-011 [cancellation] (root cause), " in verdict, verdict
    assert "DS-CLI-008 [cancellation]" in verdict, verdict
    lines = done.stdout.splitlines()
    first = next(line for line in lines if line.startswith("FAILED "))
    assert first.startswith("FAILED DS-CLI-011 (root cause: the first rule broken) [cancellation]")
    # Each finding names its scenario and check, and when the first offending request came.
    assert any(
        line.startswith("  scenario cancellation, check ") and ", first at +" in line
        for line in lines
    ), done.stdout


def test_serve_mode_interrupted_by_hand_exits_2_in_one_line(tmp_path: Path) -> None:
    gate = Gate(tmp_path, "backlog", "--time-limit", "60")
    gate.environment()
    gate.process.send_signal(signal.SIGINT)
    code, _, stderr = gate.finish()
    assert code == 2, stderr
    assert (
        stderr.strip()
        .splitlines()[-1]
        .endswith("interrupted during scenario backlog; nothing judged")
    )
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    "arguments",
    [
        ["--serve", "--scenario", "backlog", "--", sys.executable, "client.py"],
        ["--serve"],
        ["--serve", "--scenario", "backlog", "--scenario", "cancellation"],
        ["--scenario", "backlog", "--port", "8080", "--", sys.executable, "client.py"],
        ["--serve", "--scenario", "backlog", "--port", "70000"],
    ],
    ids=["with-a-command", "no-scenario", "two-scenarios", "port-without-serve", "bad-port"],
)
def test_serve_options_that_cannot_make_a_run_exit_2(tmp_path: Path, arguments: list[str]) -> None:
    done = subprocess.run(
        [*GATE, *arguments], capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "reports").exists()


def test_an_environment_file_that_cannot_be_written_exits_2_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    arguments = ["--serve", "--scenario", "backlog", "--time-limit", "5"]
    arguments += ["--env-file", str(tmp_path / "a-file" / "client.env")]
    done = subprocess.run(
        [*GATE, *arguments], capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert len([line for line in done.stderr.splitlines() if "a-file" in line]) == 1


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
        ("gate", False),
    ],
)
def test_a_host_beyond_loopback_is_told_apart(host: str, loopback: bool) -> None:
    assert _loopback(host) is loopback


def test_the_environment_file_is_json_or_key_value_lines(tmp_path: Path) -> None:
    variables = {"DROPSHIP_URL": "http://127.0.0.1:8080/dropship/v1", "DROPSHIP_SUPPLIER_ID": "1"}
    _write_env(tmp_path / "client.json", variables)
    _write_env(tmp_path / "client.env", variables)
    assert json.loads((tmp_path / "client.json").read_text(encoding="utf-8")) == variables
    lines = (tmp_path / "client.env").read_text(encoding="utf-8").splitlines()
    assert lines == [f"{key}={value}" for key, value in variables.items()]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["client.env", "client.json"]


# ---------------------------------------------------------------- the verdict's order and labels

SEEN_AT = {
    "test_requests.py::test_request[backlog-content_type]": Seen("backlog", 4.0),
    "test_behaviour.py::test_behaviour[backlog-reads_the_feed]": Seen("backlog", 4.0),
    "test_behaviour.py::test_behaviour[full-shipment-polling]": Seen("full-shipment", 1.0),
    "test_outcomes.py::test_outcome[full-shipment-shipped_as_planned]": Seen("full-shipment", 0.5),
}


def _client_ids(count: int) -> list[str]:
    ids = sorted(r.id for r in catalogue().values() if r.party == "client")
    assert len(ids) >= count
    return ids[:count]


def _matrix(decided: dict[str, tuple[str, Verdict]]) -> Matrix:
    matrix = Matrix()
    for nodeid, (requirement_id, verdict) in decided.items():
        matrix.add(requirement_id, Decision(nodeid, verdict, f"{nodeid}\nexpected: x\nfound: y"))
    return matrix


def test_the_first_rule_broken_in_time_is_listed_first() -> None:
    # Alphabetical order would put "a" first; the behaviour finding at 1.0s came first.
    a, b = _client_ids(2)
    matrix = _matrix(
        {
            "test_requests.py::test_request[backlog-content_type]": (a, Verdict.FAILED),
            "test_behaviour.py::test_behaviour[full-shipment-polling]": (b, Verdict.FAILED),
        }
    )
    assert [f.requirement.id for f in failures(matrix, SEEN_AT)] == [b, a]


def test_a_request_level_rule_leads_the_outcomes_and_behaviour_it_explains() -> None:
    # The outcome quotes an earlier request, and the behaviour finding is at the same moment
    # as the request-level one: the request-level rule is still the root cause.
    a, b, c = _client_ids(3)
    matrix = _matrix(
        {
            "test_outcomes.py::test_outcome[full-shipment-shipped_as_planned]": (a, Verdict.FAILED),
            "test_behaviour.py::test_behaviour[backlog-reads_the_feed]": (b, Verdict.FAILED),
            "test_requests.py::test_request[backlog-content_type]": (c, Verdict.FAILED),
        }
    )
    assert [f.requirement.id for f in failures(matrix, SEEN_AT)] == [c, b, a]


def test_warnings_follow_failures_and_each_failure_names_its_scenarios() -> None:
    a, b = _client_ids(2)
    matrix = _matrix(
        {
            "test_behaviour.py::test_behaviour[full-shipment-polling]": (a, Verdict.WARNED),
            "test_outcomes.py::test_outcome[full-shipment-shipped_as_planned]": (b, Verdict.FAILED),
            "test_requests.py::test_request[backlog-content_type]": (b, Verdict.FAILED),
        }
    )
    found = failures(matrix, SEEN_AT)
    assert [(f.requirement.id, f.verdict) for f in found] == [
        (b, Verdict.FAILED),
        (a, Verdict.WARNED),
    ]
    assert found[0].scenarios == ["backlog", "full-shipment"]


def test_a_check_that_ended_in_an_error_still_names_its_scenario() -> None:
    (a,) = _client_ids(1)
    nodeid = "test_outcomes.py::test_outcome[full-shipment-shipped_as_planned]"
    matrix = _matrix({nodeid: (a, Verdict.FAILED)})
    assert failures(matrix, {})[0].scenarios == ["full-shipment"]


def test_totals_say_what_they_count() -> None:
    a, b = _client_ids(2)
    matrix = _matrix(
        {
            "test_requests.py::test_request[backlog-content_type]": (a, Verdict.FAILED),
            "test_behaviour.py::test_behaviour[full-shipment-polling]": (b, Verdict.PASSED),
        }
    )
    stats = {"failed": [object()], "passed": [object()], "skipped": [object(), object()]}
    lines = totals(matrix, stats, [])
    assert lines[0].startswith("Requirements (client duties in the catalogue, ")
    assert "1 failed" in lines[0] and "1 passed" in lines[0]
    assert (
        lines[1] == "Checks (one test per check and scenario): 1 failed, 1 passed, 2 not applicable"
    )
    assert lines[2].startswith("Scenarios (0 run): ended 0 complete")
