"""What verify-client says at the end of a run: labelled totals, and the root cause first.

The checks (``checks/``) note, per test, the scenario it judged and when the first request it
objects to arrived (:func:`note`); :func:`write` turns the requirement matrix into the lines a
CI log shows, and keeps the ordered failures on the pytest config for ``command.py``'s final
line (:data:`VERDICT`).

Order of the failures: the first rule broken in time leads (the root cause), because what a
client does later follows from what went wrong first. Outcome checks judge the final state,
which follows from the requests, so they come after every request-level and behaviour
finding; at the same moment a request-level finding (a 401, a missing Content-Type) comes
before the behaviour it explains (a feed "read 0 times").
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from dropship_conformance.catalogue import Requirement
from dropship_conformance.clientcheck.scenarios import SCENARIOS
from dropship_conformance.clientcheck.traffic import ClientRun, Record
from dropship_conformance.harness import report
from dropship_conformance.verdicts import Verdict

# Test function -> (its place among findings of the same moment, whether its time counts).
KINDS = {"test_request": (0, True), "test_behaviour": (1, True), "test_outcome": (2, False)}
# How a scenario's run ended, as every line about it says it.
ENDINGS = {
    "complete": "complete: the plan was met, then the quiet period passed",
    "time-limit": "ENDED AT THE TIME LIMIT ({limit:g}s) with the plan not met",
    "exit": "the client exited by itself with code {exit_code}",
}
# The same, in the one-line verdict and the totals.
SHORT_ENDINGS = {
    "complete": "complete",
    "time-limit": "ENDED AT THE TIME LIMIT, plan not met",
    "exit": "client exited",
}
# What the terminal summary quotes of each failed or warned requirement.
SUMMARY_DECISIONS = 3
SUMMARY_LINES = 6
# Verdicts of tests (pytest's outcome words) as the totals name them.
CHECK_OUTCOMES = {"failed": "failed", "passed": "passed", "skipped": "not applicable"}


@dataclass(frozen=True)
class Seen:
    """What a test judged: its scenario, and when its first offending request arrived."""

    scenario: str
    first: float | None  # seconds after the client started; None: nothing to quote


SEEN = pytest.StashKey[dict[str, Seen]]()


@dataclass(frozen=True)
class Failure:
    """A failed or warned requirement, with the decisions that made it so, earliest first."""

    requirement: Requirement
    verdict: Verdict
    decisions: list[tuple[report.Decision, Seen]]

    @property
    def scenarios(self) -> list[str]:
        return list(dict.fromkeys(seen.scenario for _, seen in self.decisions))

    @property
    def key(self) -> tuple[float, ...]:
        return _key(*self.decisions[0])


@dataclass
class RunVerdict:
    """What command.py's last line needs: failures in order, and how each scenario ended."""

    failures: list[Failure] = field(default_factory=list)
    endings: dict[str, str] = field(default_factory=dict)

    @property
    def root_cause(self) -> Failure | None:
        return next((f for f in self.failures if f.verdict is Verdict.FAILED), None)


VERDICT = pytest.StashKey[RunVerdict]()


def note(config: pytest.Config, nodeid: str, scenario: str, records: Sequence[Record]) -> None:
    """Record what the test ``nodeid`` judged; ``records`` are the requests it objects to."""
    first = min((record.t for record in records), default=None)
    config.stash.setdefault(SEEN, {})[nodeid] = Seen(scenario, first)


def ending(run: ClientRun) -> str:
    """How ``run`` ended, in words (a run that hit the time limit says so in capitals)."""
    client = run.client
    return ENDINGS[run.stopped_by].format(
        limit=client.get("time_limit", 0), exit_code=client.get("exit_code")
    )


def _unnoted(nodeid: str) -> Seen:
    """A test that ended before noting anything (an error in a check): its scenario from its
    id, ``[<scenario>-<check>]``, where scenario names hold hyphens too."""
    param = nodeid.rpartition("[")[2]
    names = sorted(SCENARIOS, key=len, reverse=True)
    return Seen(next((name for name in names if param.startswith(f"{name}-")), "?"), None)


def _kind(nodeid: str) -> tuple[int, bool]:
    return KINDS.get(nodeid.rpartition("::")[2].partition("[")[0], (len(KINDS), False))


def _key(decision: report.Decision, seen: Seen) -> tuple[float, ...]:
    rank, timed = _kind(decision.nodeid)
    when = seen.first if timed and seen.first is not None else math.inf
    return (float(not timed), when, float(rank))


def failures(matrix: report.Matrix, seen: dict[str, Seen]) -> list[Failure]:
    """Failed and warned requirements, the root cause (see the module's doc) first."""
    found = []
    for requirement, verdict, decisions in matrix.rows():
        if verdict not in (Verdict.FAILED, Verdict.WARNED):
            continue
        mine = [
            (decision, seen.get(decision.nodeid) or _unnoted(decision.nodeid))
            for decision in decisions
            if decision.verdict is verdict
        ]
        found.append(Failure(requirement, verdict, sorted(mine, key=lambda pair: _key(*pair))))
    return sorted(found, key=lambda f: (f.verdict is not Verdict.FAILED, f.key))


def totals(matrix: report.Matrix, stats: dict[str, list[Any]], runs: list[ClientRun]) -> list[str]:
    """The three totals, each saying what it counts."""
    counts = matrix.counts()
    requirements = ", ".join(f"{counts.get(v, 0)} {v.value}" for v in Verdict)
    checks = ", ".join(f"{len(stats.get(k, []))} {label}" for k, label in CHECK_OUTCOMES.items())
    endings = Counter(run.stopped_by for run in runs)
    ended = ", ".join(f"{endings.get(k, 0)} {label}" for k, label in SHORT_ENDINGS.items())
    return [
        f"Requirements (client duties in the catalogue, {sum(counts.values())}): {requirements}",
        f"Checks (one test per check and scenario): {checks}",
        f"Scenarios ({len(runs)} run): ended {ended}",
    ]


def write(
    terminal: Any, config: pytest.Config, matrix: report.Matrix, runs: list[ClientRun]
) -> None:
    """The verdicts a CI log needs: each scenario, the labelled totals, and each failure,
    the root cause first, each finding under the scenario it was seen in."""
    ordered = failures(matrix, config.stash.get(SEEN, {}))
    config.stash[VERDICT] = RunVerdict(ordered, {run.name: run.stopped_by for run in runs})
    terminal.write_sep("-", "client verdict")
    for run in runs:
        terminal.write_line(f"Scenario {run.name}: {ending(run)}; {len(run.records)} requests.")
    for line in totals(matrix, terminal.stats, runs):
        terminal.write_line(line)
    root = config.stash[VERDICT].root_cause
    for failure in ordered:
        requirement = failure.requirement
        label = " (root cause: the first rule broken)" if failure is root else ""
        terminal.write_line(
            f"{failure.verdict.value.upper()} {requirement.id}{label} "
            f"[{', '.join(failure.scenarios)}]: {requirement.rule}"
        )
        for decision, seen in failure.decisions[:SUMMARY_DECISIONS]:
            check = decision.nodeid.rpartition("[")[2].rstrip("]").removeprefix(f"{seen.scenario}-")
            when = "" if seen.first is None else f", first at +{seen.first:.2f}s"
            terminal.write_line(f"  scenario {seen.scenario}, check {check}{when}:")
            lines = decision.message.splitlines()[1:] or [decision.message]
            for line in lines[:SUMMARY_LINES]:
                terminal.write_line(f"    {line.strip()}")
