"""Every request of the client, judged by each row of REQUEST_CHECKS."""

from __future__ import annotations

from typing import Any

import pytest

from dropship_conformance.clientcheck.attribution import consequences
from dropship_conformance.clientcheck.checks.support import judge
from dropship_conformance.clientcheck.request_checks import RequestCheck
from dropship_conformance.clientcheck.traffic import REQUEST_REFUSALS, ClientRun
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.client
QUOTED_REFUSALS = 8


def test_request(request_case: tuple[ClientRun, RequestCheck], expect: Expect, show: Any) -> None:
    run, check = request_case
    judged = [record for record in run.records if check.applies(record)]
    if not judged:
        pytest.skip(f"no {check.scope} in this run")
    problems, offending = [], []
    for record in judged:
        found = check.judge(record, run)
        problems += [f"{record.label}: {problem}" for problem in found]
        if found:
            offending.append(record)
    refused = {REQUEST_REFUSALS[status] for status in run.refusals()}
    if problems and check.requirement in refused:
        # The consequences stay in sight below a bounded list of the refused requests.
        more = len(problems) - QUOTED_REFUSALS
        problems = problems[:QUOTED_REFUSALS] + ([f"... and {more} more"] if more > 0 else [])
        problems += consequences(run)
    show(run, offending or judged, bool(offending))
    judge(
        expect,
        check.requirement,
        problems,
        expected=f"{check.expected} ({len(judged)} request(s) judged)",
    )
