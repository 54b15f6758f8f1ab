"""The verdicts of a run: each test's report becomes requirement decisions in the matrix.

A test's checks (``expect``) decide the requirements it judged; those it declares but did not
judge are not checked, or failed when the test broke off. The decisions travel on the test
report as plain data, the only thing that reaches the pytest-xdist controller from its workers,
so a serial run and ``-n`` build the matrix the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Generator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from dropship_conformance.catalogue import SUITES
from dropship_conformance.client.exchange import redact
from dropship_conformance.harness import interruption, report
from dropship_conformance.harness.redaction import redact_outcome
from dropship_conformance.harness.report import Decision
from dropship_conformance.harness.runstate import (
    EXCHANGES,
    EXPECT,
    INCOMPLETE,
    INCOMPLETE_REASONS,
    MATRIX,
    OWN_PAGE,
    SIGNALS,
    STACK,
    TARGET,
    mark_incomplete,
)
from dropship_conformance.harness.selection import declared
from dropship_conformance.verdicts import Expect, RequirementFailed, Verdict


class Decisions:
    """Builds the requirement matrix from the test reports, on the controller as in a serial
    run, and merges why a worker's run is incomplete."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        matrix = self.config.stash[MATRIX]
        for rid, verdict, message in getattr(report, "requirement_decisions", ()):
            matrix.add(rid, Decision(report.nodeid, Verdict(verdict), message))
        for reason in getattr(report, "incomplete", ()):
            mark_incomplete(self.config, reason)


class Interruptions:
    """Keeps why the run stopped early (signal, ``pytest.exit``) for the reports."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        mark_incomplete(self.config, interruption.reason_of(excinfo.value))


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Interruptions(config))
    config.pluginmanager.register(Decisions(config))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    session.config.stash[SIGNALS].close()


def pytest_unconfigure(config: pytest.Config) -> None:
    config.stash[STACK].close()
    target = config.stash.get(TARGET, None)
    if target is not None:
        _scrub_reports(config, target.settings.secrets)
    xmlpath = getattr(config.option, "xmlpath", None)
    if INCOMPLETE in config.stash and xmlpath and Path(xmlpath).is_file():
        interruption.mark_junit(xmlpath, config.stash[INCOMPLETE])


def _scrub_reports(config: pytest.Config, tokens: tuple[str, ...]) -> None:
    """Defence in depth: no report file may hold a token, whatever wrote it there."""
    for path in (getattr(config.option, "htmlpath", None), getattr(config.option, "xmlpath", None)):
        if path and Path(path).is_file():
            text = Path(path).read_text(encoding="utf-8")
            scrubbed = redact(text, tokens)
            if scrubbed != text:
                Path(path).write_text(scrubbed, encoding="utf-8")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    rep = yield
    verdicts = _verdicts_only(call.excinfo.value) if rep.failed and call.excinfo else None
    if verdicts is not None:
        # A verdict, not a crash: its message (requirement, expected, found) is the whole
        # story; the harness's frames and the parser error behind it would only bury it.
        rep.longrepr = verdicts
    target = item.config.stash.get(TARGET, None)
    exchanges = item.stash.setdefault(EXCHANGES, [])
    _carry(rep, suites=[marker.name for marker in item.iter_markers() if marker.name in SUITES])
    if target is not None:
        taken = target.recorder.take()
        exchanges.extend(taken)
        # Plain data, so that pytest-xdist carries them to the controller, which writes the page.
        _carry(rep, exchanges=[asdict(exchange) for exchange in taken])
        judged = item.stash.get(EXPECT, None)
        redact_outcome(rep, call, judged, item.user_properties, target.settings.secrets)
    final = rep.when == "call" or (rep.when == "setup" and not rep.passed)
    if final:
        _decide(item, rep, call)
    return rep


def _unjudged(rep: pytest.TestReport, call: pytest.CallInfo[None]) -> tuple[Verdict, str]:
    """The verdict, and why, of a requirement the test declares but did not judge.

    Only a check that observed the behaviour passes a requirement: one the test never reached
    (it skipped, stopped at another failed requirement, or ended without judging it) is not
    checked, never passed.
    """
    error = call.excinfo
    if rep.skipped:
        return Verdict.SKIPPED, str(error.value) if error else "skipped"
    if rep.failed and error and isinstance(error.value, RequirementFailed):
        stopped_at = error.value.requirement_id
        return Verdict.NOT_CHECKED, f"not reached: the test stopped at failed {stopped_at}"
    if rep.failed:
        # The test broke off for another reason (the target did not answer, a body was not
        # JSON...): what it was meant to decide but did not reach may not count as passed.
        return Verdict.FAILED, error.exconly() if error else "failed"
    return Verdict.NOT_CHECKED, "not checked: the test ended without judging it"


def _verdicts_only(error: BaseException) -> str | None:
    """The message of a failed requirement, or of a group of nothing else (hypothesis reports
    each distinct failure); None for any other error, whose traceback may be needed."""
    if isinstance(error, RequirementFailed):
        return str(error)
    if isinstance(error, BaseExceptionGroup):
        parts = [_verdicts_only(inner) for inner in error.exceptions]
        if all(part is not None for part in parts):
            return "\n".join(part for part in parts if part is not None)
    return None


def _decide(item: pytest.Item, rep: pytest.TestReport, call: pytest.CallInfo[None]) -> None:
    """Turn the test's checks (or its skip/failure) into requirement decisions and report extras."""
    judged = item.stash.get(EXPECT, Expect())
    decisions = dict(judged.verdicts())
    unjudged, reason = _unjudged(rep, call)
    for rid in declared(item):
        decisions.setdefault(rid, unjudged)
    requirement_decisions = []
    for rid, verdict in decisions.items():
        message = next(
            (c.message for c in judged.checks if c.requirement_id == rid and c.verdict == verdict),
            reason,
        )
        requirement_decisions.append((rid, verdict.value, message))
        # junitxml reads the properties of the teardown report, made from the item's.
        item.user_properties.append(("requirement", f"{rid} {verdict.value}"))
    # Plain data, so that pytest-xdist carries it from a worker to the controller's matrix.
    reasons: list[str] = item.config.stash.get(INCOMPLETE_REASONS, [])
    _carry(rep, requirement_decisions=requirement_decisions, incomplete=list(reasons))
    warned = [c for c in judged.checks if c.verdict is Verdict.WARNED]
    if warned:
        item.user_properties.append(("warnings", "; ".join(c.requirement_id for c in warned)))
    extras = getattr(rep, "extras", [])
    html_extra = None if item.config.stash.get(OWN_PAGE, False) else _pytest_html_extra()
    if html_extra is not None:
        body = report.checks_html(judged.checks) + report.exchanges_html(item.stash[EXCHANGES])
        extras.append(html_extra(f"<div class='dc-evidence'>{body}</div>"))
        _carry(rep, extras=extras)


def _carry(rep: pytest.TestReport, **fields: Any) -> None:
    """Attach fields to the report, as pytest itself keeps a report's extra fields: pytest-xdist
    carries them to the controller, pytest-html reads ``extras``."""
    vars(rep).update(fields)


def _pytest_html_extra() -> Any:
    try:
        extras = importlib.import_module("pytest_html.extras")
    except ImportError:
        return None
    return extras.html
