"""The client's behaviour over the whole run, judged by each row of BEHAVIOUR_CHECKS."""

from __future__ import annotations

from typing import Any

import pytest

from dropship_conformance.clientcheck.attribution import root_cause
from dropship_conformance.clientcheck.behaviour_checks import BehaviourCheck
from dropship_conformance.clientcheck.checks.support import finding_records, judge
from dropship_conformance.clientcheck.traffic import ClientRun
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.client


def test_behaviour(
    behaviour_case: tuple[ClientRun, BehaviourCheck], expect: Expect, show: Any
) -> None:
    run, check = behaviour_case
    reason = check.not_applicable(run)
    if reason is not None:
        pytest.skip(reason)
    findings = check.judge(run)
    cause = root_cause(run)
    if findings and cause is not None and check.follows_refusals:
        pytest.skip(f"not checked: what it finds follows from {cause}")
    quoted = finding_records(findings)
    show(run, quoted or [r for r in run.records if r.is_feed], bool(findings))
    judge(expect, check.requirement, [f.message for f in findings], expected=check.expected)
