"""The harness's pytest plugin: options, fixtures, per-requirement verdicts and reports.

Registered through the ``pytest11`` entry point, so ``pytest contract_tests --dropship-url ...``
and ``dropship-conformance run ...`` are the same run. Nothing here talks to a target until a
test asks for the ``target`` fixture, so the project's own tests are not slowed by it.
"""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import asdict
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest

from dropship_conformance import __version__
from dropship_conformance.catalogue import SUITES, classes, classes_of_test
from dropship_conformance.client import (
    DropshipClient,
    Exchange,
    OrdersClient,
    SandboxControl,
    TargetError,
)
from dropship_conformance.client.exchange import redact
from dropship_conformance.harness import interruption, options, report
from dropship_conformance.harness.feedlock import EXCLUSIVE_SUITE, FeedLock
from dropship_conformance.harness.redaction import redact_outcome
from dropship_conformance.harness.report import Decision
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
# A run of the contract suites writes its own page (report.page) instead of pytest-html's.
OWN_PAGE = pytest.StashKey[bool]()
# Who else sees every exchange of the run as it is recorded (the HAR writer of outputs.py).
LISTENERS = pytest.StashKey[list]()
# The JSON results and the HAR archive, a plugin of their own.
pytest_plugins = ["dropship_conformance.harness.outputs"]
# The reasons one by one, to merge a worker's into the controller's without repeating them.
INCOMPLETE_REASONS = pytest.StashKey[list[str]]()
# The conformance classes the target claims (--claims), resolved once at collection.
CLAIMS = pytest.StashKey[frozenset[str]]()
# pytest-xdist: the key of ``workerinput`` that hands the target's URLs to the workers.
WORKER_URLS = "dropship_conformance_urls"
# ... and the path of the run's feed lock (see feedlock.py).
WORKER_LOCK = "dropship_conformance_feed_lock"
FEED_LOCK = pytest.StashKey[FeedLock]()
LOCK_PATH = pytest.StashKey[str]()


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
    for name, found in classes().items():
        config.addinivalue_line("markers", f"{name}: a test of the conformance class {found.title}")
    config.stash[MATRIX] = report.Matrix()
    config.stash[STACK] = ExitStack()
    config.stash[SIGNALS] = ExitStack()
    config.pluginmanager.register(_Interruptions(config))
    config.pluginmanager.register(_Decisions(config))
    lock_path = getattr(config, "workerinput", {}).get(WORKER_LOCK)
    if lock_path is not None:
        config.stash[FEED_LOCK] = FeedLock(lock_path)
    config.pluginmanager.register(_Page(config))


def mark_incomplete(config: pytest.Config, reason: str) -> None:
    """Both reports of this run will say it is incomplete, and why (a signal, ``pytest.exit``,
    or a bound a check hit before it saw all it should, such as the archive walk's)."""
    reasons = config.stash.setdefault(INCOMPLETE_REASONS, [])
    if reason in reasons:
        return
    reasons.append(reason)
    config.stash[INCOMPLETE] = "; ".join(reasons)


def _xdist_controller(config: pytest.Config) -> bool:
    """This process distributes the tests to pytest-xdist workers and runs none itself."""
    return not hasattr(config, "workerinput") and config.pluginmanager.hasplugin("dsession")


class _Decisions:
    """Builds the requirement matrix from the test reports, the only thing that reaches the
    pytest-xdist controller from its workers: a serial run and ``-n`` build it the same way."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        matrix = self.config.stash[MATRIX]
        for rid, verdict, message in getattr(report, "requirement_decisions", ()):
            matrix.add(rid, Decision(report.nodeid, Verdict(verdict), message))
        for reason in getattr(report, "incomplete", ()):
            mark_incomplete(self.config, reason)


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
    claimed = _claims(config)
    for item in items:
        marked = {m.name for m in item.iter_markers()}
        if not marked & set(classes()):
            for name in classes_of_test(_declared(item), marked & set(SUITES)):
                item.add_marker(name)
    wanted = set(config.getoption("suite") or [])
    kept, dropped = [], []
    for item in items:
        marked = {m.name for m in item.iter_markers()}
        in_suite = not wanted or wanted & marked
        of_classes = marked & set(classes())
        (kept if in_suite and (not of_classes or of_classes & claimed) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _claims(config: pytest.Config) -> frozenset[str]:
    """The classes the target claims: a test marked only with other classes is deselected, and
    the requirements of other classes are not claimed. A bad --claims ends the run (exit 2)."""
    if CLAIMS not in config.stash:
        claims = options.option("claims")
        given = {claims.dest: config.getoption(claims.dest)}
        try:
            config.stash[CLAIMS] = options.value_of(claims, given, dict(os.environ))
        except options.OptionError as error:
            pytest.exit(f"dropship-conformance: {error}", returncode=2)
        config.stash[MATRIX].claims = config.stash[CLAIMS]
    return config.stash[CLAIMS]


def _open_target(config: pytest.Config) -> Target:
    """Connect to the target once for this process; an unusable one ends the run (exit 2)."""
    given = {option.dest: config.getoption(option.dest) for option in options.OPTIONS}
    urls = getattr(config, "workerinput", {}).get(WORKER_URLS)
    if urls is not None:
        given["dropship_url"], given["orders_url"] = urls
    try:
        settings = options.resolve(given)
        listeners = config.stash.get(LISTENERS, [])
        opened = config.stash[STACK].enter_context(open_target(settings, listeners))
    except (options.OptionError, TargetError) as error:
        pytest.exit(f"dropship-conformance: {error}", returncode=2)
    config.stash[TARGET] = opened
    if FEED_LOCK in config.stash:
        config.stash[FEED_LOCK].guard(opened.session)
    return opened


def pytest_sessionstart(session: pytest.Session) -> None:
    # Under pytest-xdist the controller opens the target before the workers start: the embedded
    # sandbox then runs in the controller, which runs no test, for all workers (see README);
    # an unreachable target ends the run once, and the reports have the target's summary.
    # The controller collects nothing: its matrix learns the claims here.
    _claims(session.config)
    if _xdist_controller(session.config):
        _open_target(session.config)
        folder = session.config.stash[STACK].enter_context(tempfile.TemporaryDirectory())
        session.config.stash[LOCK_PATH] = str(Path(folder) / "feed.lock")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    target = node.config.stash.get(TARGET, None)
    if target is not None:
        node.workerinput[WORKER_URLS] = [target.settings.dropship_url, target.settings.orders_url]
        node.workerinput[WORKER_LOCK] = node.config.stash[LOCK_PATH]


def _exclusive(item: pytest.Item | None) -> bool:
    return item is not None and item.get_closest_marker(EXCLUSIVE_SUITE) is not None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    lock = item.config.stash.get(FEED_LOCK, None)
    if lock is not None and _exclusive(item):
        lock.hold_exclusive()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    # A module runs on one worker (--dist loadfile): the lock is held from its first test to
    # its last, module fixtures included.
    lock = item.config.stash.get(FEED_LOCK, None)
    if lock is not None and not _exclusive(nextitem):
        lock.release_exclusive()


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The target under test, connected once per run (per worker under pytest-xdist)."""
    interruption.stop_gracefully_on_signals(pytestconfig.stash[SIGNALS])
    return _open_target(pytestconfig)


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
    judged = Expect(claims=_claims(request.config))
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
    rep.suites = [marker.name for marker in item.iter_markers() if marker.name in SUITES]
    if target is not None:
        taken = target.recorder.take()
        exchanges.extend(taken)
        # Plain data, so that pytest-xdist carries them to the controller, which writes the page.
        rep.exchanges = [asdict(exchange) for exchange in taken]
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
    # Plain data, so that pytest-xdist carries it from a worker to the controller's matrix.
    rep.requirement_decisions = []
    for rid, verdict in decisions.items():
        message = next(
            (c.message for c in judged.checks if c.requirement_id == rid and c.verdict == verdict),
            reason,
        )
        rep.requirement_decisions.append((rid, verdict.value, message))
        # junitxml reads the properties of the teardown report, made from the item's.
        item.user_properties.append(("requirement", f"{rid} {verdict.value}"))
    rep.incomplete = list(item.config.stash.get(INCOMPLETE_REASONS, []))
    warned = [c for c in judged.checks if c.verdict is Verdict.WARNED]
    if warned:
        item.user_properties.append(("warnings", "; ".join(c.requirement_id for c in warned)))
    extras = getattr(rep, "extras", [])
    html_extra = None if item.config.stash.get(OWN_PAGE, False) else _pytest_html_extra()
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
    decided = getattr(report, "requirement_decisions", ())
    text = ", ".join(f"{rid} {verdict}" for rid, verdict, _ in decided)
    cells.insert(2, f"<td>{escape(text)}</td>")


def _versions(target: Target | None) -> str:
    versions = f"dropship-conformance {__version__}, Python {platform.python_version()}"
    if target is not None and target.sandbox_info:
        versions += f", sandbox {target.sandbox_info.get('version', '?')}"
    return versions


class _Page:
    """Writes the conformance page and the console summary of a run of the contract suites.

    pytest-html's page (its table of every test, each with all its exchanges) is what made the
    report hundreds of megabytes: a run that tests a target (a test asks for the ``target``
    fixture) replaces it with :func:`report.page` at the path ``--html`` names. Other runs (the
    verify-client checks) keep pytest-html and the ``pytest_html_*`` hooks below.
    """

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
            self.config.stash[MATRIX].record(_test_record(self.phases.pop(report.nodeid)))

    def info(self) -> report.RunInfo:
        target = self.config.stash.get(TARGET, None)
        return report.RunInfo(
            target=target.label if target else "not reached (see why the run is incomplete)",
            versions=_versions(target),
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
        path = getattr(self.config.option, "htmlpath", None)
        if path:
            terminalreporter.write_line(f"report: {path}")


def _test_record(phases: list[pytest.TestReport]) -> report.RecordedTest:
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
