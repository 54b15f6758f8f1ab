"""The conformance page and console summary of a run, and the framing of pytest-html's page.

pytest-html's page (its table of every test, each with all its exchanges) is what made the
report hundreds of megabytes: a run that tests a target writes :func:`report.page` instead, at
the path ``--html`` names. Other runs (the verify-client checks) keep pytest-html, framed by the
``pytest_html_*`` hooks here.
"""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest

from dropship_conformance import __version__
from dropship_conformance.client import Exchange
from dropship_conformance.client.exchange import redact
from dropship_conformance.harness import report
from dropship_conformance.harness.runstate import INCOMPLETE, MATRIX, OWN_PAGE, TARGET
from dropship_conformance.harness.target import Target
from dropship_conformance.verdicts import Verdict


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Page(config))


def pytest_html_report_title(report: Any) -> None:
    report.title = "Dropship and Orders API conformance report"


def pytest_html_results_summary(
    prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
) -> None:
    config = session.config
    target = config.stash.get(TARGET, None)
    matrix = config.stash[MATRIX]
    lines = [f"harness dropship-conformance {__version__}, Python {platform.python_version()}"]
    if INCOMPLETE in config.stash:
        prefix.append(
            "<p class='dc-incomplete' style='color:#c62828;font-weight:bold'>"
            f"incomplete: {escape(config.stash[INCOMPLETE])}</p>"
        )
    if target is not None:
        lines.insert(0, target.label)
        if target.sandbox_info:
            lines.append(f"sandbox version {target.sandbox_info.get('version', '?')}")
    warned = sum(
        1
        for decisions in matrix.decisions.values()
        for d in decisions
        if d.verdict is Verdict.WARNED
    )
    lines.append(f"SHOULD requirements warned: {warned} decision(s)")
    prefix.extend(f"<p>{escape(line)}</p>" for line in lines)
    postfix.append(report.matrix_html(matrix))


def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(2, "<th>Requirements</th>")


def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    decided = getattr(report, "requirement_decisions", ())
    text = ", ".join(f"{rid} {verdict}" for rid, verdict, _ in decided)
    cells.insert(2, f"<td>{escape(text)}</td>")


def _generation(target: Target | None) -> str:
    """What makes the generated scenarios repeatable: their seed, bound and depth."""
    if target is None:
        return ""
    config = target.settings
    return (
        f"seed {config.seed} (--seed), {config.examples} examples per generated scenario "
        f"(--examples), depth {config.depth}"
    )


def _versions(target: Target | None) -> str:
    versions = f"dropship-conformance {__version__}, Python {platform.python_version()}"
    if target is not None and target.sandbox_info:
        versions += f", sandbox {target.sandbox_info.get('version', '?')}"
    return versions


class Page:
    """Writes the conformance page and the console summary of a run of the contract suites
    (a test asks for the ``target`` fixture), in place of pytest-html's page."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = datetime.now(UTC)
        self.phases: dict[str, list[pytest.TestReport]] = {}

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        uses_target = any("target" in getattr(i, "fixturenames", ()) for i in session.items)
        if not (uses_target or TARGET in self.config.stash):
            return
        self.config.stash[OWN_PAGE] = True
        for plugin in self.config.pluginmanager.get_plugins():
            if type(plugin).__module__.startswith("pytest_html."):
                self.config.pluginmanager.unregister(plugin)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        phases = self.phases.setdefault(report.nodeid, [])
        phases.append(report)
        if report.when == "teardown":
            self.config.stash[MATRIX].record(recorded_test(self.phases.pop(report.nodeid)))

    def info(self) -> report.RunInfo:
        target = self.config.stash.get(TARGET, None)
        return report.RunInfo(
            target=target.label if target else "not reached (see why the run is incomplete)",
            versions=_versions(target),
            generation=_generation(target),
            started=f"{self.started:%Y-%m-%d %H:%M:%S} UTC",
            finished=f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
            suites=tuple(self.config.getoption("suite") or ()),
            incomplete=self.config.stash.get(INCOMPLETE, None),
        )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        path = getattr(self.config.option, "htmlpath", None)
        if not (self.config.stash.get(OWN_PAGE, False) and path):
            return
        target = self.config.stash.get(TARGET, None)
        page = report.page(self.config.stash[MATRIX], self.info())
        secrets = target.settings.secrets if target else ()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(redact(page, secrets), encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.config.stash.get(OWN_PAGE, False):
            return
        terminalreporter.write_sep("-", "conformance")
        for line in report.console_lines(self.config.stash[MATRIX], self.info()):
            terminalreporter.write_line(line)
        per_class = self.config.stash[MATRIX].class_verdicts()
        terminalreporter.write_line(
            "classes: "
            + ", ".join(f"{name} {verdict.value}" for name, verdict in per_class.items())
        )
        generation = self.info().generation
        if generation:
            terminalreporter.write_line(f"generated: {generation}")
        path = getattr(self.config.option, "htmlpath", None)
        if path:
            terminalreporter.write_line(f"report: {path}")


def recorded_test(phases: list[pytest.TestReport]) -> report.RecordedTest:
    """One test from its setup, call and teardown reports (what pytest-xdist hands over)."""
    outcomes = {phase.outcome for phase in phases}
    outcome = next((o for o in ("failed", "skipped") if o in outcomes), "passed")
    telling = next((p for p in phases if p.outcome == outcome and not p.passed), None)
    detail = ""
    if telling is not None and isinstance(telling.longrepr, tuple):
        detail = str(telling.longrepr[2])
    elif telling is not None:
        detail = telling.longreprtext[: report.SHOWN_BODY_BYTES]
    return report.RecordedTest(
        nodeid=phases[0].nodeid,
        outcome=outcome,
        suites=tuple(next((p.suites for p in phases if getattr(p, "suites", None)), ())),
        exchanges=tuple(
            Exchange(**fields) for p in phases for fields in getattr(p, "exchanges", ())
        ),
        detail=detail,
    )
