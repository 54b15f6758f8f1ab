"""The harness catches every named fault, and raises no false alarm without one.

Each case starts a fresh sandbox behind the fault injector and runs the harness against it in
another process, limited to the suites the fault names (see dropship_conformance.faults).
"""

from __future__ import annotations

import pytest

from dropship_conformance.catalogue import catalogue
from dropship_conformance.faults.catalogue import FAULTS, Fault
from dropship_conformance.faults.kill import attempt
from tests.selfcheck import sample

pytestmark = pytest.mark.slow


def test_baseline_without_fault_passes() -> None:
    suites = tuple(sorted({suite for fault in FAULTS for suite in fault.suites}))
    outcome = attempt(None, suites)
    assert outcome.exit_code == 0, f"false alarms: {sorted(outcome.failed)}"


# One fault per requirement prefix by default; DROPSHIP_SELFCHECK=full runs them all.
SAMPLED = sample(FAULTS, lambda fault: fault.requirement.rsplit("-", 1)[0])


@pytest.mark.parametrize("fault", SAMPLED, ids=[f.name for f in SAMPLED])
def test_fault_is_killed(fault: Fault) -> None:
    outcome = attempt(fault)
    assert outcome.exit_code == 1, f"the run did not fail (exit {outcome.exit_code})"
    assert fault.requirement in outcome.failed, (
        f"{fault.name} breaks {fault.requirement}, but the failed requirements were "
        f"{sorted(outcome.failed) or 'none'}"
    )


def test_faults_are_named_once_and_break_must_requirements() -> None:
    names = [fault.name for fault in FAULTS]
    assert len(names) == len(set(names))
    assert len(FAULTS) >= 40
    for fault in FAULTS:
        assert catalogue()[fault.requirement].level == "MUST", fault.name
