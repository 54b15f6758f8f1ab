"""Run the harness against each fault and tell which ones it caught (the kill table).

Each fault gets a fresh in-memory sandbox behind its fault injector, and the harness runs
against it in a separate process, exactly as a user would run it against a foreign target,
limited to the suites the fault names. A fault is killed when the run fails and at least one
failed test carries the fault's requirement id (read from the JUnit properties).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.types import ASGIApp

from dropship_conformance.faults.catalogue import FAULTS, Fault
from dropship_conformance.faults.proxy import FaultInjector
from dropship_conformance.harness.run import suites_dir
from dropship_conformance.sandbox.server import serve_in_thread

RUN_TIMEOUT = 600


@dataclass(frozen=True)
class Outcome:
    name: str
    requirement: str | None
    exit_code: int
    failed: frozenset[str]
    seconds: float

    @property
    def killed(self) -> bool:
        return self.exit_code == 1 and self.requirement in self.failed


@contextmanager
def faulty_sandbox(fault: Fault | None) -> Iterator[str]:
    """A fresh sandbox with ``fault`` applied (none: the plain sandbox); yields its root URL."""

    def wrap(app: ASGIApp) -> ASGIApp:
        return FaultInjector(app, fault.applies, fault.rewrite) if fault else app

    with serve_in_thread(":memory:", wrap=wrap) as root:
        yield root


def requirement_verdicts(junit: Path) -> dict[str, set[str]]:
    """Requirement id -> the verdicts the tests of the JUnit file report for it."""
    found: dict[str, set[str]] = {}
    for prop in ElementTree.parse(junit).iter("property"):
        if prop.get("name") == "requirement":
            requirement_id, _, verdict = (prop.get("value") or "").partition(" ")
            found.setdefault(requirement_id, set()).add(verdict)
    return found


def requirements_judged(junit: Path, verdict: str) -> frozenset[str]:
    """Requirement ids that some test of the JUnit file reports with ``verdict``."""
    return frozenset(rid for rid, found in requirement_verdicts(junit).items() if verdict in found)


def failed_requirements(junit: Path) -> frozenset[str]:
    """Requirement ids that some test of the JUnit file reports as failed."""
    return requirements_judged(junit, "failed")


def harness_command(root: str, junit: Path, *extra: str, tests: Path | None = None) -> list[str]:
    """``pytest`` over the suites (or ``tests``, one suite file) against the sandbox at ``root``,
    its JUnit file at ``junit``; ``extra`` adds pytest arguments (``--suite``, ``-k``...)."""
    return [
        sys.executable,
        "-m",
        "pytest",
        str(tests or suites_dir()),
        "-q",
        "-p",
        "no:cacheprovider",
        "--dropship-url",
        f"{root}/dropship/v1",
        "--orders-url",
        f"{root}/orders/v1",
        "--junitxml",
        str(junit),
        "-o",
        "junit_family=xunit2",
        *extra,
    ]


def run_harness(root: str, suites: tuple[str, ...], junit: Path) -> int:
    command = harness_command(root, junit, *(arg for s in suites for arg in ("--suite", s)))
    done = subprocess.run(command, capture_output=True, timeout=RUN_TIMEOUT, check=False)
    return done.returncode


def attempt(fault: Fault | None, suites: tuple[str, ...] | None = None) -> Outcome:
    """Run the harness against ``fault`` (None: the baseline) and report what failed."""
    chosen = suites if suites is not None else (fault.suites if fault else ())
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder, faulty_sandbox(fault) as root:
        junit = Path(folder) / "junit.xml"
        code = run_harness(root, chosen, junit)
        failed = failed_requirements(junit) if junit.is_file() else frozenset()
    return Outcome(
        name=fault.name if fault else "baseline (no fault)",
        requirement=fault.requirement if fault else None,
        exit_code=code,
        failed=failed,
        seconds=time.monotonic() - started,
    )


def kill_table(outcomes: list[Outcome]) -> str:
    """The table a reader scans: fault, requirement, verdict, what failed."""
    lines = [f"{'fault':<40} {'requirement':<14} {'result':<8} {'s':>5}  failed requirements"]
    for outcome in outcomes:
        if outcome.requirement is None:
            result = "pass" if outcome.exit_code == 0 else "FALSE ALARM"
        else:
            result = "killed" if outcome.killed else "MISSED"
        failed = ", ".join(sorted(outcome.failed)) or "-"
        lines.append(
            f"{outcome.name:<40} {outcome.requirement or '-':<14} {result:<8} "
            f"{outcome.seconds:5.1f}  {failed}"
        )
    faults = [o for o in outcomes if o.requirement is not None]
    killed = sum(o.killed for o in faults)
    if faults:
        lines.append(f"kill rate: {killed}/{len(faults)} = {100 * killed / len(faults):.0f}%")
    return "\n".join(lines)


def main(names: list[str] | None = None) -> int:
    """Print the kill table of ``names`` (default every fault) and the baseline."""
    chosen = [f for f in FAULTS if not names or f.name in names]
    outcomes = [attempt(None, tuple(sorted({s for f in chosen for s in f.suites})))]
    for fault in chosen:
        outcomes.append(attempt(fault))
        print(kill_table(outcomes[-1:]).splitlines()[1], flush=True)
    print(kill_table(outcomes))
    baseline_ok = outcomes[0].exit_code == 0
    return 0 if baseline_ok and all(o.killed for o in outcomes[1:]) else 1
