"""Request-level refusals (401, 415) as root causes: judged once, under the rule the refusal
breaks, with what the client could then not do listed under it rather than failed again.

A client with the wrong auth scheme polls five times and gets 401 five times: that is one
DS-CLI-009 finding, not also a DS-CLI-001 "read 0 time(s)" and a missed order per item.
"""

from __future__ import annotations

from dropship_conformance.clientcheck import outcome_checks
from dropship_conformance.clientcheck.behaviour_checks import BEHAVIOUR_CHECKS
from dropship_conformance.clientcheck.traffic import REQUEST_REFUSALS, ClientRun


def root_cause(run: ClientRun) -> str | None:
    """The run's request-level refusals in one line, or None when there were none."""
    refusals = run.refusals()
    if not refusals:
        return None
    return "; ".join(
        f"{len(records)} request(s) refused with {status} (root cause, judged under "
        f"{REQUEST_REFUSALS[status]})"
        for status, records in sorted(refusals.items())
    )


def consequences(run: ClientRun) -> list[str]:
    """What the run-level checks find that the refusals explain, one line each."""
    lines = []
    for check in BEHAVIOUR_CHECKS:
        if check.follows_refusals and check.not_applicable(run) is None:
            lines += [f"consequence ({check.requirement}): {f.message}" for f in check.judge(run)]
    for name in run.scenario.outcomes:
        outcome = outcome_checks.OUTCOME_CHECKS[name]
        _, findings = outcome_checks.judge(run, outcome)
        lines += [f"consequence ({outcome.requirement}): {f.message}" for f in findings]
    return lines
