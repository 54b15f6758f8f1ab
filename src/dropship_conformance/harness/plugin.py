"""The harness's pytest plugin: options, fixtures, per-requirement verdicts and reports.

Registered through the ``pytest11`` entry point, so ``pytest contract_tests --dropship-url ...``
and ``dropship-conformance run ...`` are the same run. Nothing here talks to a target until a
test asks for the ``target`` fixture, so the project's own tests are not slowed by it.
"""

from __future__ import annotations

import platform
from collections.abc import Iterator
from contextlib import ExitStack
from html import escape
from pathlib import Path
from typing import Any

import pytest

from dropship_conformance import __version__
from dropship_conformance.catalogue import SUITES
from dropship_conformance.client import DropshipClient, OrdersClient, SandboxControl, TargetError
from dropship_conformance.client.exchange import redact
from dropship_conformance.harness import interruption, options, report
from dropship_conformance.harness.redaction import redact_outcome
from dropship_conformance.harness.target import Target, open_target
from dropship_conformance.harness.testdata import TestData
from dropship_conformance.verdicts import Expect, RequirementFailed, Verdict

EXPECT = pytest.StashKey[Expect]()
EXCHANGES = pytest.StashKey[list]()
MATRIX = pytest.StashKey[report.Matrix]()
TARGET = pytest.StashKey[Target]()
STACK = pytest.StashKey[ExitStack]()
# The graceful signal handlers, active while tests run; the reports are written without them.
SIGNALS = pytest.StashKey[ExitStack]()
# Why the run stopped before its end, when it did: both reports say so.
INCOMPLETE = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dropship-conformance", "conformance harness")
    for option in options.OPTIONS:
        group.addoption(
            option.flag, dest=option.dest, default=None, help=f"{option.help} (env {option.env})"
        )
    group.addoption(
        "--suite",
        action="append",
        default=[],
        choices=SUITES,
        help="run only this suite (repeatable); default: every suite",
    )


def pytest_configure(config: pytest.Config) -> None:
    for suite in SUITES:
        config.addinivalue_line("markers", f"{suite}: a test of the {suite} suite")
    config.addinivalue_line("markers", "requirements(*ids): the requirement ids a test decides")
    config.stash[MATRIX] = report.Matrix()
    config.stash[STACK] = ExitStack()
    config.stash[SIGNALS] = ExitStack()
    config.pluginmanager.register(_Interruptions(config))


def mark_incomplete(config: pytest.Config, reason: str) -> None:
    """Both reports of this run will say it is incomplete, and why (a signal, ``pytest.exit``,
    or a bound a check hit before it saw all it should, such as the archive walk's)."""
    config.stash[INCOMPLETE] = (
        f"{config.stash[INCOMPLETE]}; {reason}" if INCOMPLETE in config.stash else reason
    )


class _Interruptions:
    """Keeps why the run stopped early (signal, ``pytest.exit``) for the reports."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        mark_incomplete(self.config, interruption.reason_of(excinfo.value))


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = set(config.getoption("suite") or [])
    if not wanted:
        return
    kept, dropped = [], []
    for item in items:
        (kept if wanted & {m.name for m in item.iter_markers()} else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The target under test, connected once per run; an unusable one ends the run (exit 2)."""
    given = {option.dest: pytestconfig.getoption(option.dest) for option in options.OPTIONS}
    interruption.stop_gracefully_on_signals(pytestconfig.stash[SIGNALS])
    try:
        settings = options.resolve(given)
        opened = pytestconfig.stash[STACK].enter_context(open_target(settings))
    except (options.OptionError, TargetError) as error:
        pytest.exit(f"dropship-conformance: {error}", returncode=2)
    pytestconfig.stash[TARGET] = opened
    return opened


@pytest.fixture(scope="session")
def dropship(target: Target) -> DropshipClient:
    return target.dropship


@pytest.fixture(scope="session")
def orders(target: Target) -> OrdersClient:
    return target.orders


@pytest.fixture(scope="session")
def control(target: Target) -> SandboxControl | None:
    """The sandbox's test-control API, or None on a foreign target."""
    return target.control


@pytest.fixture(scope="session")
def testdata(target: Target) -> TestData:
    """Fresh dropship orders for the supplier under test (sandbox control API or Orders API)."""
    return TestData(target)


@pytest.fixture
def expect(request: pytest.FixtureRequest) -> Expect:
    """Judge rules by requirement id (see :mod:`dropship_conformance.verdicts`)."""
    judged = Expect()
    request.node.stash[EXPECT] = judged
    return judged


def _declared(item: pytest.Item) -> list[str]:
    return [rid for marker in item.iter_markers("requirements") for rid in marker.args]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[Any]:
    rep = yield
    verdicts = _verdicts_only(call.excinfo.value) if rep.failed and call.excinfo else None
    if verdicts is not None:
        # A verdict, not a crash: its message (requirement, expected, found) is the whole
        # story; the harness's frames and the parser error behind it would only bury it.
        rep.longrepr = verdicts
    target = item.config.stash.get(TARGET, None)
    exchanges = item.stash.setdefault(EXCHANGES, [])
    if target is not None:
        exchanges.extend(target.recorder.take())
        judged = item.stash.get(EXPECT, None)
        redact_outcome(rep, call, judged, item.user_properties, target.settings.secrets)
    final = rep.when == "call" or (rep.when == "setup" and not rep.passed)
    if final:
        _decide(item, rep, call)
    return rep


def _unjudged(rep: pytest.TestReport, call: pytest.CallInfo) -> tuple[Verdict, str]:
    """The verdict, and why, of a requirement the test declares but did not judge.

    Only a check that observed the behaviour passes a requirement: one the test never reached
    (it skipped, stopped at another failed requirement, or ended without judging it) is not
    checked, never passed.
    """
    error = call.excinfo
    if rep.skipped:
        return Verdict.SKIPPED, str(error.value) if error else "skipped"
    if rep.failed and not (error and error.errisinstance(RequirementFailed)):
        # The test broke off for another reason (the target did not answer, a body was not
        # JSON...): what it was meant to decide but did not reach may not count as passed.
        return Verdict.FAILED, error.exconly() if error else "failed"
    if rep.failed and error:
        stopped_at = error.value.requirement_id
        return Verdict.NOT_CHECKED, f"not reached: the test stopped at failed {stopped_at}"
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


def _decide(item: pytest.Item, rep: pytest.TestReport, call: pytest.CallInfo) -> None:
    """Turn the test's checks (or its skip/failure) into requirement decisions and report extras."""
    judged = item.stash.get(EXPECT, Expect())
    decisions = dict(judged.verdicts())
    unjudged, reason = _unjudged(rep, call)
    for rid in _declared(item):
        decisions.setdefault(rid, unjudged)
    matrix = item.config.stash[MATRIX]
    for rid, verdict in decisions.items():
        message = next(
            (c.message for c in judged.checks if c.requirement_id == rid and c.verdict == verdict),
            reason,
        )
        matrix.add(rid, report.Decision(item.nodeid, verdict, message))
        # junitxml reads the properties of the teardown report, made from the item's.
        item.user_properties.append(("requirement", f"{rid} {verdict.value}"))
    warned = [c for c in judged.checks if c.verdict is Verdict.WARNED]
    if warned:
        item.user_properties.append(("warnings", "; ".join(c.requirement_id for c in warned)))
    rep.requirement_verdicts = decisions
    extras = getattr(rep, "extras", [])
    html_extra = _pytest_html_extra()
    if html_extra is not None:
        body = report.checks_html(judged.checks) + report.exchanges_html(item.stash[EXCHANGES])
        extras.append(html_extra(f"<div class='dc-evidence'>{body}</div>"))
        rep.extras = extras


def _pytest_html_extra() -> Any:
    try:
        from pytest_html import extras
    except ImportError:
        return None
    return extras.html


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
    decided = getattr(report, "requirement_verdicts", {}) or {}
    text = ", ".join(f"{rid} {verdict.value}" for rid, verdict in decided.items())
    cells.insert(2, f"<td>{escape(text)}</td>")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if config.stash.get(TARGET, None) is None:
        return
    counts = config.stash[MATRIX].counts()
    terminalreporter.write_sep("-", "requirement matrix")
    terminalreporter.write_line(", ".join(f"{counts.get(v, 0)} {v.value}" for v in Verdict))
    for rid, decisions in config.stash[MATRIX].decisions.items():
        for decision in decisions:
            if decision.verdict is Verdict.WARNED:
                terminalreporter.write_line(f"WARNED {rid}: {decision.nodeid}")
