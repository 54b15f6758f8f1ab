"""``dropship-conformance verify-client``: gate a supplier's client on the scenarios.

Runs the client once per scenario (:mod:`.runner`), then pytest over the packaged checks
(``checks/``) with the harness plugin, exactly as ``run`` does for a server: the HTML report,
the JUnit XML with a ``requirement`` property per verdict, and the exit codes 0 (no MUST
requirement failed), 1 (at least one failed), 2 (the run could not be made, one line why).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dropship_conformance.clientcheck.scenarios import SCENARIOS, TOKEN

PROG = "dropship-conformance"
ALL = "all"
CHECKS_DIR = Path(__file__).resolve().parent / "checks"
AUTOLOAD = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "verify-client",
        help="judge a supplier's client: run it against scenarios on a recorded sandbox",
        description="Start the reference sandbox on a free loopback port, load a scenario, run "
        "CLIENT_COMMAND with the sandbox's URL, token and supplier id in its environment "
        "(DROPSHIP_URL, DROPSHIP_TOKEN, DROPSHIP_SUPPLIER_ID, DROPSHIP_WAREHOUSE_FILE, "
        "DROPSHIP_POLL_SECONDS, DROPSHIP_SCENARIO, ORDERS_URL), record every request it makes, "
        "stop it when the scenario is complete or at the time limit, and judge its traffic and "
        "the final state. Exit code 0 only if no MUST requirement failed.",
        usage=f"{PROG} verify-client [--scenario NAME ...] [--report PATH] [--junitxml PATH] "
        "[--time-limit S] -- CLIENT_COMMAND ...",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=[*SCENARIOS, ALL],
        default=[],
        help=f"scenario to run (repeatable; default {ALL}: {', '.join(SCENARIOS)})",
    )
    parser.add_argument(
        "--report",
        default="reports/client-conformance.html",
        help="HTML report path (default %(default)s)",
    )
    parser.add_argument(
        "--junitxml",
        default="reports/client-junit.xml",
        help="JUnit XML path (default %(default)s)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        metavar="S",
        help="stop the client after S seconds per scenario (default: the scenario's, "
        f"{max(s.time_limit for s in SCENARIOS.values()):g}s)",
    )
    parser.add_argument(
        "--traffic",
        default=None,
        metavar="DIR",
        help="keep the recorded client runs (JSON) and warehouse files in DIR",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list every check as it runs")
    parser.add_argument(
        "client_command",
        nargs=argparse.REMAINDER,
        metavar="CLIENT_COMMAND",
        help="the client to run, after --",
    )
    parser.set_defaults(handler=command)


def _scenarios(given: list[str]) -> list[str]:
    if not given or ALL in given:
        return list(SCENARIOS)
    return list(dict.fromkeys(given))  # once each, in the order given


class _ExitReason:
    """Keeps the reason pytest was told to stop, to print it as the run's one line."""

    reason: str | None = None

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.reason = str(getattr(excinfo.value, "msg", excinfo.value)).removeprefix(f"{PROG}: ")


def pytest_args(runs: list[Path], report: Path, junit: Path, verbose: bool) -> list[str]:
    """The pytest command line judging ``runs``; its own ini file keeps a project's out."""
    argv = [str(CHECKS_DIR), "-c", str(CHECKS_DIR / "pytest.ini"), "--rootdir", str(CHECKS_DIR)]
    # Only the plugins the checks need (see _plugins_autoload_off): the harness and the
    # HTML report. Loading every installed plugin costs seconds and can change the run.
    argv += ["-p", "dropship_conformance.harness.plugin", "-p", "pytest_metadata.plugin"]
    argv += ["-p", "pytest_html.plugin", "-p", "no:cacheprovider", "-o", "junit_family=xunit2"]
    argv += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    argv += ["--html", str(report), "--self-contained-html", "--junitxml", str(junit)]
    # The terminal summary quotes every failure; the report holds the whole evidence.
    argv += ["-v"] if verbose else ["-q", "--tb=no"]
    for run in runs:
        argv += ["--client-run", str(run)]
    return argv


@contextlib.contextmanager
def _plugins_autoload_off() -> Iterator[None]:
    """pytest loads no plugin by entry point while the checks run (pytest_args names them)."""
    before = os.environ.get(AUTOLOAD)
    os.environ[AUTOLOAD] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(AUTOLOAD, None)
        else:
            os.environ[AUTOLOAD] = before


def _scrub(paths: list[Path]) -> None:
    """Defence in depth: no report may hold the token, whatever put it there."""
    from dropship_conformance.clientcheck.recorder import REDACTED

    for path in paths:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if TOKEN in text:
                path.write_text(text.replace(TOKEN, REDACTED), encoding="utf-8")


def _warned(junit: Path) -> set[str]:
    """Requirement ids some check of the JUnit file reports as warned."""
    found = set()
    for prop in ElementTree.parse(junit).iter("property"):
        requirement_id, _, verdict = (prop.get("value") or "").partition(" ")
        if prop.get("name") == "requirement" and verdict == "warned":
            found.add(requirement_id)
    return found


def _progress(line: str) -> None:
    print(f"{PROG}: {line}", file=sys.stderr, flush=True)


def command(args: argparse.Namespace) -> int:
    # Imported here: the sandbox and its server are not needed to build the CLI's parser.
    from dropship_conformance.clientcheck.runner import RunError, run_client
    from dropship_conformance.faults.kill import failed_requirements

    client = list(args.client_command)
    if client[:1] == ["--"]:
        client = client[1:]
    if not client:
        print(f"{PROG}: no client command given (put it after --)", file=sys.stderr)
        return 2
    if args.time_limit is not None and args.time_limit <= 0:
        print(f"{PROG}: --time-limit must be a positive number of seconds", file=sys.stderr)
        return 2
    report, junit = Path(args.report).resolve(), Path(args.junitxml).resolve()
    for path in (report, junit):
        path.parent.mkdir(parents=True, exist_ok=True)
    names = _scenarios(args.scenario)
    with tempfile.TemporaryDirectory(prefix="dropship-client-") as scratch:
        workdir = Path(args.traffic or scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        runs = []
        for name in names:
            scenario = SCENARIOS[name]
            limit = args.time_limit or scenario.time_limit
            try:
                runs.append(run_client(scenario, client, limit, workdir, progress=_progress))
            except RunError as error:
                print(f"{PROG}: {error}", file=sys.stderr)
                return 2
        reason = _ExitReason()
        with _plugins_autoload_off():
            code = int(
                pytest.main(pytest_args(runs, report, junit, args.verbose), plugins=[reason])
            )
    _scrub([report, junit])
    if code not in (0, 1):
        why = reason.reason or f"the checks could not be run (pytest exit code {code})"
        print(f"{PROG}: {why}", file=sys.stderr)
        return 2
    scenarios = ", ".join(names)
    if code == 0:
        warned = ", ".join(sorted(_warned(junit)))
        note = f"; SHOULD requirement(s) warned: {warned}" if warned else ""
        print(f"{PROG}: client conformant ({scenarios}{note}). Reports: {report}, {junit}")
        return 0
    failed = ", ".join(sorted(failed_requirements(junit))) or "see the report"
    print(
        f"{PROG}: client NOT conformant ({scenarios}): MUST requirement(s) failed: {failed}. "
        f"Reports: {report}, {junit}"
    )
    return 1
