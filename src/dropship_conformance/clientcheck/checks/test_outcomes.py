"""What the scenario expects to have happened, judged by its rows of OUTCOME_CHECKS."""

from __future__ import annotations

from typing import Any

import pytest

from dropship_conformance.clientcheck import outcome_checks
from dropship_conformance.clientcheck.attribution import root_cause
from dropship_conformance.clientcheck.checks.support import finding_records, judge
from dropship_conformance.clientcheck.outcome_checks import OutcomeCheck
from dropship_conformance.clientcheck.traffic import ClientRun
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.client


def test_outcome(outcome_case: tuple[ClientRun, OutcomeCheck], expect: Expect, show: Any) -> None:
    run, check = outcome_case
    judged, findings = outcome_checks.judge(run, check)
    if not judged:
        pytest.skip("no order this check judges reached the client in time to act on it")
    cause = root_cause(run)
    if findings and cause is not None:
        pytest.skip(f"not checked: what it finds follows from {cause}")
    quoted = finding_records(findings)
    show(run, quoted or [r for r in run.updates if r.accepted], bool(findings))
    judge(
        expect,
        check.requirement,
        [f.message for f in findings],
        expected=f"{check.expected} ({judged} item(s) judged)",
    )
