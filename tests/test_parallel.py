"""``dropship-conformance run -n N`` (pytest-xdist) gives the verdicts of a serial run.

The workers send their tests' requirement decisions in the test reports; the controller builds
the requirement matrix and both reports from them, and opens the target (the embedded sandbox
too) once for all workers; the archive suite runs while no other worker writes. The
end-to-end runs are ``slow``: each is a harness run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from types import SimpleNamespace

import execnet
import pytest
from _pytest.reports import TestReport

from dropship_conformance.client import TargetError
from dropship_conformance.harness import feedlock, hooks, report, runstate
from dropship_conformance.harness.feedlock import FeedLock
from dropship_conformance.sandbox.server import serve_in_thread
from dropship_conformance.verdicts import Verdict

# Suites whose fixtures create orders (full_shipment), read the feed while others write to it
# (feed) and walk the archive: what a parallel run can get wrong.
SUITES = ("feed", "archive", "full_shipment")
RUN_SECONDS = 600
# The report's count of requirement verdicts, made from the controller's matrix.
MATRIX_LINE = re.compile(r"Requirements \(\d+ in scope\).*?</tr>", re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")


def _run(folder: Path, *options: str) -> tuple[int, dict[str, list[str]], str]:
    """One harness run; its JUnit requirement properties by test, and its matrix summary."""
    folder.mkdir()
    junit, html = folder / "junit.xml", folder / "report.html"
    command = [sys.executable, "-m", "dropship_conformance.cli", "run", *options]
    for suite in SUITES:
        command += ["--suite", suite]
    command += ["--report", str(html), "--junitxml", str(junit)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_SECONDS, check=False, cwd=folder
    )
    assert junit.is_file(), done.stdout + done.stderr
    by_test = {
        f"{case.get('classname')}::{case.get('name')}": sorted(
            prop.get("value") or ""
            for prop in case.iter("property")
            if prop.get("name") == "requirement"
        )
        for case in ElementTree.parse(junit).iter("testcase")
    }
    summary = MATRIX_LINE.search(html.read_text(encoding="utf-8"))
    assert summary is not None, "the HTML report has no requirement matrix"
    return done.returncode, by_test, TAG.sub(" ", summary.group(0))


@pytest.mark.slow
def test_parallel_runs_give_the_serial_verdicts(tmp_path: Path) -> None:
    serial = _run(tmp_path / "serial")
    assert serial[0] == 0 and any(serial[1].values()), serial
    # The embedded sandbox, started once by the controller for both workers.
    assert _run(tmp_path / "embedded", "-n", "2") == serial
    # A target given by URL: the workers share it as they would any foreign target.
    with serve_in_thread(":memory:") as root:
        urls = ["--dropship-url", f"{root}/dropship/v1", "--orders-url", f"{root}/orders/v1"]
        assert _run(tmp_path / "url", "-n", "2", *urls) == serial


def _report_with_decisions() -> TestReport:
    rep = TestReport("t.py::test_a", ("t.py", 1, "test_a"), {}, "passed", None, "call", [])
    rep.requirement_decisions = [("DS-FEED-001", Verdict.PASSED.value, "seen")]
    rep.incomplete = ["archive walk: the page bound"]
    return rep


def test_decisions_travel_in_the_report_to_the_controllers_matrix() -> None:
    """What a worker sends (xdist serializes with execnet) rebuilds the matrix on arrival."""
    wire = execnet.loads(execnet.dumps(_report_with_decisions()._to_json()))
    arrived = TestReport._from_json(wire)
    config = SimpleNamespace(stash={runstate.MATRIX: report.Matrix()})
    hooks.Decisions(config).pytest_runtest_logreport(arrived)  # type: ignore[arg-type]
    matrix = config.stash[runstate.MATRIX]
    assert matrix.verdict("DS-FEED-001") is Verdict.PASSED
    assert matrix.decisions["DS-FEED-001"][0].nodeid == "t.py::test_a"
    assert config.stash[runstate.INCOMPLETE] == "archive walk: the page bound"


def test_decisions_that_are_no_plain_data_would_not_travel() -> None:
    """The check above fails when the decisions carry objects execnet cannot send."""
    rep = _report_with_decisions()
    rep.requirement_decisions = [("DS-FEED-001", Verdict.PASSED, "seen")]
    with pytest.raises(execnet.DataFormatError):
        execnet.dumps(rep._to_json())


def test_writes_wait_while_another_worker_runs_the_archive_suite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feedlock, "LOCK_SECONDS", 0.2)
    path = str(tmp_path / "feed.lock")
    archive, other = FeedLock(path), FeedLock(path)
    sent: list[str] = []
    session = SimpleNamespace(request=lambda method, url, **_: sent.append(method))
    other.guard(session)  # type: ignore[arg-type]
    archive.hold_exclusive()
    session.request("GET", "http://t/feed")
    with pytest.raises(TargetError, match="archive suite"):
        session.request("PUT", "http://t/Orders(1)/OrderStatusUpdate")
    with archive.shared("POST http://t/events"):
        pass  # the archive suite's own events do not wait for it
    archive.release_exclusive()
    session.request("PUT", "http://t/Orders(1)/OrderStatusUpdate")
    assert sent == ["GET", "PUT"]
