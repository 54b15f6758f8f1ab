"""pytest configuration of the client checks: the runs to judge, and the report's framing.

The harness plugin (verdicts per requirement id, exchanges, HTML and JUnit) does the rest, as
in a server run. What changes for a client: the tests are generated from the check tables
for each recorded run, the exchanges a test shows are the client's own requests, and the
requirement matrix lists the client's duties rather than the whole catalogue.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import Any

import pytest

from dropship_conformance.catalogue import catalogue
from dropship_conformance.clientcheck.behaviour_checks import BEHAVIOUR_CHECKS, POLLING_RULE
from dropship_conformance.clientcheck.outcome_checks import OUTCOME_CHECKS
from dropship_conformance.clientcheck.request_checks import REQUEST_CHECKS
from dropship_conformance.clientcheck.summary import ending, note, write
from dropship_conformance.clientcheck.traffic import ClientRun, Record
from dropship_conformance.harness import report
from dropship_conformance.harness.runstate import EXCHANGES, MATRIX
from dropship_conformance.verdicts import Verdict

RUNS = pytest.StashKey[list[ClientRun]]()
ENV = "DROPSHIP_CONFORMANCE_CLIENT_RUN"
# Exchanges shown per test: a few to show what was judged, more when something is wrong.
SHOWN_PASSING = 3
SHOWN_FAILING = 12


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("dropship-conformance").addoption(
        "--client-run",
        action="append",
        default=[],
        dest="client_run",
        help=f"a client run file written by verify-client (repeatable; env {ENV}, "
        "os.pathsep-separated)",
    )


def pytest_configure(config: pytest.Config) -> None:
    paths = config.getoption("client_run") or [
        p for p in os.environ.get(ENV, "").split(os.pathsep) if p
    ]
    if not paths:
        raise pytest.UsageError("no client run given: --client-run PATH (from verify-client)")
    config.stash[RUNS] = [ClientRun.load(Path(path)) for path in paths]


class ClientMatrix(report.Matrix):
    """The requirement matrix of a client run: the client's duties (and anything judged)."""

    def rows(self) -> list[tuple[Any, Verdict, list[report.Decision]]]:
        return [
            (r, self.verdict(r.id), self.decisions.get(r.id, []))
            for r in catalogue().values()
            if r.party == "client" or r.id in self.decisions
        ]


def pytest_dropship_matrix(config: pytest.Config) -> report.Matrix:
    """The harness's hook (harness/hookspecs.py): this run's matrix is the client's."""
    return ClientMatrix()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    runs = metafunc.config.stash[RUNS]
    tables: dict[str, list[Any]] = {
        "request_case": [(run, check) for run in runs for check in REQUEST_CHECKS],
        "behaviour_case": [(run, check) for run in runs for check in BEHAVIOUR_CHECKS],
        "outcome_case": [
            (run, OUTCOME_CHECKS[name]) for run in runs for name in run.scenario.outcomes
        ],
    }
    for name, cases in tables.items():
        if name in metafunc.fixturenames:
            metafunc.parametrize(
                name,
                [
                    pytest.param(
                        case,
                        id=f"{case[0].name}-{case[1].name}",
                        marks=pytest.mark.requirements(case[1].requirement),
                    )
                    for case in cases
                ],
            )


@pytest.fixture
def show(request: pytest.FixtureRequest) -> Any:
    """``show(run, records, failing)``: the client requests the test's report shows."""

    def attach(run: ClientRun, records: list[Record], failing: bool) -> None:
        note(request.config, request.node.nodeid, run.name, records if failing else [])
        shown = records[: SHOWN_FAILING if failing else SHOWN_PASSING]
        request.node.stash[EXCHANGES] = [record.exchange(run.root_url) for record in shown]

    return attach


# ---------------------------------------------------------------- report framing


def _describe(run: ClientRun) -> list[str]:
    client = run.client
    stopped = ending(run)
    kinds = {
        "feed": sum(r.is_feed for r in run.records),
        "status updates": sum(r.is_update for r in run.records),
    }
    other = len(run.records) - sum(kinds.values())
    counts = ", ".join(f"{n} {kind}" for kind, n in kinds.items()) + f", {other} other"
    lines = [
        f"Scenario {run.name}: {run.scenario.summary}.",
        f"The client must {run.scenario.duty}.",
        f"Client ran {client['ran_seconds']:.1f}s ({stopped}); {len(run.records)} requests "
        f"recorded ({counts})" + (f", {run.dropped} more not kept" if run.dropped else "") + ".",
        f"{len(run.orders)} orders in the feed; sandbox {run.root_url} (in memory, started "
        f"{run.data['started_utc']}).",
    ]
    return lines


def pytest_html_results_summary(
    prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
) -> None:
    runs = session.config.stash[RUNS]
    # Serve mode keeps no command: the client was started by its own deployment.
    command = " ".join(runs[0].data["command"]) if runs else ""
    command = command or "a client started outside verify-client (serve mode)"
    prefix.append(f"<p>Client under test: <code>{escape(command)}</code></p>")
    rule = POLLING_RULE
    prefix.append(
        "<p>"
        + escape(
            f"Polling rule (DS-CLI-010): at most {rule.max_feed_requests_per_window} feed "
            f"requests in any {rule.window_seconds:g}s; an unchanged current document not "
            f"re-polled within {rule.min_unchanged_repoll_seconds:g}s; no unchanged retry within "
            f"{rule.min_retry_after_4xx_seconds:g}s of a 4xx."
        )
        + "</p>"
    )
    for run in runs:
        body = f"<h3>Scenario {escape(run.name)}</h3>"
        body += "".join(f"<p>{escape(line)}</p>" for line in _describe(run))
        for stream in ("stdout", "stderr"):
            text = run.client.get(stream) or ""
            if text:
                body += (
                    f"<details><summary>client {stream} (last lines)</summary>"
                    f"<pre style='white-space:pre-wrap'>{escape(text)}</pre></details>"
                )
        prefix.append(f"<div class='dc-client-run'>{body}</div>")


@pytest.hookimpl(trylast=True)
def pytest_html_report_title(report: Any) -> None:
    report.title = "Supplier client conformance report"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The verdicts a CI log needs (clientcheck/summary.py): root cause first, totals labelled."""
    write(terminalreporter, config, config.stash[MATRIX], config.stash[RUNS])
