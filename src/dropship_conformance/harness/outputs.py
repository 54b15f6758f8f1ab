"""The run's machine-readable outputs: the JSON results and the HAR archive of its traffic.

A plugin of its own (loaded by the harness plugin), reading what the harness plugin keeps:
the requirement matrix, each test's kept exchanges, the target and why a run is incomplete.
"""

from __future__ import annotations

import glob
import json
from collections import Counter
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dropship_conformance.client.exchange import Exchange, redact
from dropship_conformance.harness import options, plugin, report, results
from dropship_conformance.harness.har import HarWriter, exchange_id

OUTCOME_ORDER = ("failed", "skipped", "passed")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dropship-conformance", "conformance harness")
    group.addoption(
        "--json",
        dest="dc_json",
        default=None,
        metavar="PATH",
        help="JSON results path (default: beside the HTML report, with .json)",
    )
    group.addoption(
        "--har",
        dest="dc_har",
        default=None,
        metavar="PATH",
        help="write every HTTP exchange of the run to PATH as HTTP Archive 1.2",
    )


def _known_secrets(config: pytest.Config) -> tuple[str, ...]:
    """The tokens the options name, before the target is opened (which may add one)."""
    given = {option.dest: config.getoption(option.dest) for option in options.OPTIONS}
    try:
        return options.resolve(given).secrets
    except options.OptionError:
        return ()


def _secrets(config: pytest.Config) -> tuple[str, ...]:
    target = config.stash.get(plugin.TARGET, None)
    known = _known_secrets(config)
    return tuple(dict.fromkeys(known + (target.settings.secrets if target else ())))


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Outputs(config), "dropship-conformance-outputs")


class Outputs:
    """Follows the run (tests' outcomes and exchanges) and writes the outputs at its end.

    Under pytest-xdist each worker streams its own part of the HAR file and tells the ids of
    each test's exchanges on the test's reports; the controller, which sees every report,
    writes the JSON results and completes the HAR file.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.worker = str(getattr(config, "workerinput", {}).get("workerid", ""))
        self.started = datetime.now(UTC)
        # Test node id -> the ids of the exchanges it made (those kept for the report).
        self.exchanges: dict[str, list[str]] = {}
        # Test node id -> its outcome, the worst of its phases.
        self.outcomes: dict[str, str] = {}
        # The number of the latest exchange, and the exchanges of the suites' shared fixtures.
        self.latest = 0
        self.shared: dict[str, tuple[str, ...]] = {}
        listeners = config.stash.setdefault(plugin.LISTENERS, [])
        listeners.append(self._count)
        self.har: HarWriter | None = None
        har_path = config.getoption("dc_har", None)
        if har_path:
            if not self.worker:
                # Parts an interrupted earlier run left would be spliced into this run's file.
                for stale in _fragments(Path(har_path)):
                    stale.unlink()
            self.har = HarWriter(Path(har_path), _known_secrets(config), self.worker)
            listeners.append(self.har.write)

    def _count(self, exchange: Exchange, request_body: bytes, response_body: bytes) -> None:
        self.latest = max(self.latest, exchange.number)

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[object]
    ) -> Generator[None, object, object]:
        """A fixture of a suite shared by several tests (the feed document a module reads once)
        made its exchanges during the first test's setup: every test using it cites them."""
        before = self.latest
        try:
            return (yield)
        finally:
            if fixturedef.scope != "function" and fixturedef.baseid and self.latest > before:
                numbers = range(before + 1, self.latest + 1)
                self.shared[fixturedef.argname] = tuple(
                    exchange_id(n, self.worker) for n in numbers
                )

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        if self.har is not None:
            self.har.comment = nodeid

    # Outermost (tryfirst wrapper), so the harness plugin has moved the phase's exchanges to
    # the test when this reads them.
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        kept = [exchange_id(x.number, self.worker) for x in item.stash.get(plugin.EXCHANGES, [])]
        used = getattr(item, "fixturenames", ())
        shared = [x for name in used for x in self.shared.get(name, ())]
        # An extra field of the report, kept where pytest's own ``TestReport(**extra)`` keeps them.
        report.__dict__["exchange_ids"] = sorted(set(kept + shared), key=_in_run_order)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Each phase's report carries the test's exchanges so far: the last one has them all.
        self.exchanges[report.nodeid] = list(getattr(report, "exchange_ids", ()))
        previous = self.outcomes.get(report.nodeid, "passed")
        self.outcomes[report.nodeid] = min(previous, report.outcome, key=OUTCOME_ORDER.index)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, exitstatus: int) -> None:
        secrets = _secrets(self.config)
        if self.har is not None:
            fragments = () if self.worker else _fragments(self.har.path)
            self.har.close(secrets, fragments)
        path = None if self.worker else json_path(self.config)
        if path is None:
            return
        document = results_document(self, int(exitstatus))
        text = json.dumps(document, indent=1, ensure_ascii=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(redact(text, secrets) + "\n", encoding="utf-8")


def _in_run_order(identifier: str) -> tuple[str, int]:
    worker, _, number = identifier.rpartition("-")
    return worker, int(number)


def _fragments(path: Path) -> tuple[Path, ...]:
    """The HAR parts the pytest-xdist workers of this run left beside ``path``."""
    return tuple(sorted(path.parent.glob(f"{glob.escape(path.name)}.gw*.part")))


def json_path(config: pytest.Config) -> Path | None:
    """Where the results go: ``--json``, else beside the HTML report of a run that reached
    (or tried to reach) a target; None for a plain pytest run of the project's own tests."""
    explicit = config.getoption("dc_json", None)
    if explicit:
        return Path(explicit)
    html = getattr(config.option, "htmlpath", None)
    tried = plugin.TARGET in config.stash or plugin.INCOMPLETE in config.stash
    return Path(html).with_suffix(".json") if html and tried else None


def _target_facts(config: pytest.Config) -> dict[str, object]:
    given = {option.dest: config.getoption(option.dest) for option in options.OPTIONS}
    try:
        # The options, not the opened target's settings: those carry the embedded sandbox's URLs.
        embedded = options.resolve(given).embedded
    except options.OptionError:
        embedded = False
    target = config.stash.get(plugin.TARGET, None)
    settings = target.settings if target is not None else None
    info = target.sandbox_info if target is not None else None
    return {
        "kind": "embedded sandbox" if embedded else "target",
        "dropship_url": settings.dropship_url if settings else None,
        "orders_url": settings.orders_url if settings else None,
        "sandbox_version": str(info.get("version")) if info and info.get("version") else None,
    }


def results_document(outputs: Outputs, exitstatus: int) -> dict[str, object]:
    """The results of the run ``outputs`` followed, as ``results.document`` shapes them."""
    config = outputs.config
    matrix = config.stash[plugin.MATRIX]
    rows = [
        (
            requirement,
            verdict,
            [
                results.Evidence(
                    d.nodeid, d.verdict, d.message, tuple(outputs.exchanges.get(d.nodeid, ()))
                )
                for d in decisions
            ],
        )
        for requirement, verdict, decisions in matrix.rows()
    ]
    incomplete = config.stash.get(plugin.INCOMPLETE, "")
    if not incomplete and exitstatus not in (0, 1):
        incomplete = f"the run could not be completed (pytest exit status {exitstatus})"
    counts = report.tally(matrix, config.getoption("suite") or [])
    return results.document(
        target=_target_facts(config),
        started=outputs.started,
        finished=datetime.now(UTC),
        incomplete=incomplete,
        rows=rows,
        tests=Counter(outputs.outcomes.values()),
        classes=matrix.class_verdicts(),
        verdict=report.verdict_of(counts, incomplete or None),
        in_scope=counts.requirements,
    )
