"""Run the harness against the sandbox with each conditional bug on (the catch table).

Each bug of :mod:`dropship_conformance.sandbox.bugs` gets a fresh in-memory sandbox with that
bug switched on, and the harness runs against it in a separate process (as for the proxy
faults, :mod:`.kill`), limited to the suites that judge the bug's requirement and the suites
that explore its kind of condition (:data:`CONDITION_SUITES`). A bug is caught when
the run fails and a failed test carries the bug's requirement id; a bug whose requirement is
only a SHOULD under the classes it breaks is at best warned, and the table says so.
"""

from __future__ import annotations

import tempfile
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from dropship_conformance.catalogue import SUITES, catalogue
from dropship_conformance.faults.kill import (
    Outcome,
    failed_requirements,
    requirements_judged,
    run_harness,
)
from dropship_conformance.sandbox.bugs import BUGS, Bug
from dropship_conformance.sandbox.server import serve_in_thread

# The suites that explore each kind of condition on purpose (the scenario suites over
# generated shapes, and the linked suite; the sibling matrix with its states and boundaries).
# A bug runs them and its requirement's own suites, not every suite, to keep the self-test's
# cost bounded.
SCENARIOS = ("full_shipment", "partial_shipment", "cancellation", "linked")
CONDITION_SUITES: dict[str, tuple[str, ...]] = {
    "shape": SCENARIOS,
    "link": SCENARIOS,
    "sibling": ("siblings",),
    "state": ("siblings",),
    "boundary": ("siblings",),
}


def suites_of(bug: Bug) -> tuple[str, ...]:
    """The suites that can see ``bug``: its requirement's, and its condition's (in the
    catalogue's suite order)."""
    wanted = {*catalogue()[bug.requirement].suites, *CONDITION_SUITES[bug.condition]}
    return tuple(s for s in SUITES if s in wanted)


@dataclass(frozen=True)
class Catch(Outcome):
    """An outcome and the test modules whose failure carried the bug's requirement."""

    caught_by: tuple[str, ...] = ()
    warned: frozenset[str] = frozenset()

    @property
    def only_warned(self) -> bool:
        """The bug was seen, at SHOULD level: its requirement warned and did not fail."""
        return not self.killed and self.requirement in self.warned


def catching_modules(junit: Path, requirement: str | None) -> tuple[str, ...]:
    """Test modules (``test_siblings``) with a test that failed ``requirement``."""
    modules = set()
    for case in ElementTree.parse(junit).iter("testcase"):
        values = {p.get("value") for p in case.iter("property") if p.get("name") == "requirement"}
        if f"{requirement} failed" in values:
            modules.add((case.get("classname") or "").split(".")[-1])
    return tuple(sorted(modules))


def attempt(bug: Bug | None, suites: tuple[str, ...] | None = None) -> Catch:
    """Run the harness against a sandbox with ``bug`` on (None: the baseline)."""
    chosen = suites if suites is not None else (suites_of(bug) if bug else ())
    started = time.monotonic()
    requirement = bug.requirement if bug else None
    bugs = {bug.name} if bug else set()
    with tempfile.TemporaryDirectory() as folder, serve_in_thread(":memory:", bugs=bugs) as root:
        junit = Path(folder) / "junit.xml"
        code = run_harness(root, chosen, junit)
        ran = junit.is_file()
        failed = failed_requirements(junit) if ran else frozenset()
        caught_by = catching_modules(junit, requirement) if ran and bug else ()
        warned = requirements_judged(junit, "warned") if ran else frozenset()
    return Catch(
        name=bug.name if bug else "baseline (no bug)",
        requirement=requirement,
        exit_code=code,
        failed=failed,
        seconds=time.monotonic() - started,
        caught_by=caught_by,
        warned=warned,
    )


def catch_line(catch: Catch) -> str:
    """One row of the catch table."""
    if catch.requirement is None:
        result = "pass" if catch.exit_code == 0 else "FALSE ALARM"
    else:
        result = "caught" if catch.killed else "warned" if catch.only_warned else "MISSED"
    by = ", ".join(catch.caught_by) or "-"
    failed = ", ".join(sorted(catch.failed)) or "-"
    return (
        f"{catch.name:<38} {catch.requirement or '-':<13} {result:<7} {catch.seconds:5.1f}  "
        f"{by:<30} {failed}"
    )


def main(names: list[str] | None = None) -> int:
    """Print the catch table of ``names`` (default every bug) and the baseline.

    Exit code 0 when the baseline passes and every bug's outcome agrees with its ``caught``
    entry of the table (a bug the table calls caught is caught, and no other is).
    """
    chosen = [bug for bug in BUGS if not names or bug.name in names]
    header = f"{'bug':<38} {'requirement':<13} {'result':<7} {'s':>5}  {'caught by':<30} failed"
    print(header, flush=True)
    outcomes = [attempt(None, tuple(sorted({s for bug in chosen for s in suites_of(bug)})))]
    print(catch_line(outcomes[0]), flush=True)
    for bug in chosen:
        outcomes.append(attempt(bug))
        print(catch_line(outcomes[-1]), flush=True)
    caught = sum(o.killed for o in outcomes[1:])
    if chosen:
        print(f"catch rate: {caught}/{len(chosen)} = {100 * caught / len(chosen):.0f}%")
        warned = sum(o.only_warned for o in outcomes[1:])
        print(f"warned (a SHOULD the bug breaks, seen but not failed): {warned}")
    agrees = all(o.killed == b.caught for o, b in zip(outcomes[1:], chosen, strict=True))
    return 0 if outcomes[0].exit_code == 0 and agrees else 1
