"""``dropship-conformance run``: every suite against a target, with HTML and JUnit reports.

The command is a thin layer over pytest and the harness plugin: it turns its options into
pytest arguments, runs the suites in ``contract_tests/``, and maps pytest's outcome onto the
product's exit codes (0 conformant, 1 a requirement failed, 2 the run could not be made or was
interrupted; its reports then say they are incomplete).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pytest

from dropship_conformance.catalogue import SUITES
from dropship_conformance.client.exchange import redact
from dropship_conformance.harness import interruption, options, plugin

PROG = "dropship-conformance"
# pytest's exit codes: 0 ok, 1 tests failed, 2 interrupted (our pytest.exit), 3 internal error,
# 4 usage error, 5 nothing collected. Only 0 and 1 are verdicts on the target.
EXIT_CODES = {0: 0, 1: 1}
_PACKAGE = Path(__file__).resolve().parent.parent


def suites_dir() -> Path:
    """The suites: ``contract_tests/`` of a checkout, or the copy packaged in a wheel."""
    checkout = _PACKAGE.parent.parent / "contract_tests"
    if _PACKAGE.parent.name == "src" and checkout.is_dir():
        return checkout
    return _PACKAGE / "_contract_tests"


def add_parser(sub: Any) -> None:
    run = sub.add_parser(
        "run",
        help="run the conformance suites and write the HTML and JUnit reports",
        description="Run every suite (or those named with --suite) against a target. With no "
        "target URLs the embedded reference sandbox is started on a free loopback port. Every "
        "option also reads an environment variable (shown in brackets).",
    )
    for option in options.OPTIONS:
        run.add_argument(
            option.flag, dest=option.dest, default=None, help=f"{option.help} [{option.env}]"
        )
    run.add_argument(
        "--suite",
        action="append",
        choices=SUITES,
        default=[],
        help="run only this suite (repeatable)",
    )
    run.add_argument(
        "--report",
        default="reports/conformance.html",
        help="HTML report path (default %(default)s)",
    )
    run.add_argument(
        "--junitxml", default="reports/junit.xml", help="JUnit XML path (default %(default)s)"
    )
    run.add_argument(
        "--json",
        default=None,
        help="JSON results path (default: the report's path with .json, reports/conformance.json)",
    )
    run.add_argument(
        "--har",
        default=None,
        help="also write every HTTP exchange of the run to this path as HTTP Archive 1.2",
    )
    run.add_argument("-v", "--verbose", action="store_true", help="list every test as it runs")
    run.add_argument(
        "-n",
        "--numprocesses",
        default=None,
        metavar="N",
        help="run the tests in N processes (pytest-xdist; 'auto': one per CPU); the verdicts "
        "and reports are those of a serial run",
    )
    run.set_defaults(handler=command)


class _ExitReason:
    """Keeps the reason pytest was told to stop, to print it as the run's one line."""

    reason: str | None = None
    incomplete: str | None = None

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.reason = interruption.reason_of(excinfo.value)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        # A bound a check hit (the archive walk's) leaves verdicts, but not all of them.
        self.incomplete = config.stash.get(plugin.INCOMPLETE, None)


def pytest_args(args: argparse.Namespace) -> list[str]:
    """The pytest command line equivalent to ``args``."""
    argv = [str(suites_dir()), "-p", "no:cacheprovider", "-o", "junit_family=xunit2"]
    # The package is imported before pytest starts, so pytest cannot rewrite its asserts;
    # the harness judges through Expect, not assert, so the warning says nothing useful.
    argv += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    argv += ["--html", args.report, "--self-contained-html", "--junitxml", args.junitxml]
    argv += ["--json", json_path(args)] + (["--har", args.har] if args.har else [])
    # The plugin prints a line per failed requirement; pytest's per-test tracebacks (through
    # the harness's own code) only help when debugging it, so they come with -v alone.
    argv += ["-v", "--tb=long"] if args.verbose else ["-q", "--tb=no", "-rN"]
    for option in options.OPTIONS:
        value = getattr(args, option.dest)
        if value is not None:
            argv += [option.flag, str(value)]
    for suite in args.suite:
        argv += ["--suite", suite]
    if args.numprocesses is not None:
        # A module's tests share module fixtures (a whole archive walk): one worker runs them.
        argv += ["-n", args.numprocesses, "--dist", "loadfile"]
    return argv


def json_path(args: argparse.Namespace) -> str:
    """``--json``, or the HTML report's path with ``.json``: the results sit beside the report."""
    return args.json or str(Path(args.report).with_suffix(".json"))


def command(args: argparse.Namespace) -> int:
    given = {option.dest: getattr(args, option.dest) for option in options.OPTIONS}
    try:
        settings = options.resolve(given)
    except options.OptionError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    for path in (args.report, args.junitxml, json_path(args)):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    reason = _ExitReason()
    code = int(pytest.main(pytest_args(args), plugins=[reason]))
    if code not in EXIT_CODES:
        why = reason.reason or f"the run could not be made (pytest exit code {code})"
        print(f"{PROG}: {redact(why, settings.secrets)}", file=sys.stderr)
        return 2
    verdict = "conformant" if code == 0 else "NOT conformant: at least one MUST requirement failed"
    if reason.incomplete:
        verdict += f" (incomplete: {redact(reason.incomplete, settings.secrets)})"
    written = [args.report, args.junitxml, json_path(args)] + ([args.har] if args.har else [])
    print(f"{PROG}: {verdict}. Reports: {', '.join(written)}")
    return EXIT_CODES[code]
