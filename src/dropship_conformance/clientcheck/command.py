"""``dropship-conformance verify-client``: gate a supplier's client on the scenarios.

Runs the client once per scenario (:mod:`.runner`), then pytest over the packaged checks
(``checks/``) with the harness plugin, exactly as ``run`` does for a server: the HTML report,
the JUnit XML with a ``requirement`` property per verdict, and the exit codes 0 (no MUST
requirement failed), 1 (at least one failed), 2 (the run could not be made, one line why).

``--serve`` judges a client the gate cannot launch (a service of the vendor's own stack): the
scenario's sandbox listens on ``--host``/``--port``, the client's environment is printed (and
written to ``--env-file``), and the run waits for a client started elsewhere.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dropship_conformance.clientcheck.scenarios import SCENARIOS, TOKEN
from dropship_conformance.clientcheck.summary import SHORT_ENDINGS, VERDICT, RunVerdict
from dropship_conformance.sandbox.control import DROPSHIP_BASE
from dropship_conformance.verdicts import Verdict

PROG = "dropship-conformance"
ALL = "all"
CHECKS_DIR = Path(__file__).resolve().parent / "checks"
AUTOLOAD = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
LOOPBACK = "127.0.0.1"


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
        "[--time-limit S] -- CLIENT_COMMAND ...\n"
        f"       {PROG} verify-client --serve --scenario NAME [--host H] [--port N] "
        "[--public-url URL] [--env-file PATH] [--time-limit S] [--report PATH] [--junitxml PATH]",
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
    serve = parser.add_argument_group(
        "serve mode",
        "for a client verify-client cannot launch (a service started by its own deployment): "
        "serve one scenario, print the client's environment, wait until the plan is met (then "
        "the quiet period) or the time limit, counted from when the environment is printed; "
        "then judge as usual",
    )
    serve.add_argument(
        "--serve", action="store_true", help="wait for a client started elsewhere (no command)"
    )
    serve.add_argument(
        "--host",
        default=LOOPBACK,
        help="address the sandbox listens on (default %(default)s; any other address is "
        "reachable from the network and gets a warning)",
    )
    serve.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: a free one)"
    )
    serve.add_argument(
        "--public-url",
        default=None,
        metavar="URL",
        help="base URL the client reaches the sandbox at, when not http://HOST:PORT "
        "(e.g. http://gate:8080 on a compose network); used in the printed environment",
    )
    serve.add_argument(
        "--env-file",
        default=None,
        metavar="PATH",
        help="also write the client's environment to PATH once the scenario is ready: JSON if "
        "PATH ends in .json, else KEY=VALUE lines (docker --env-file, `set -a; . PATH`)",
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
    """Keeps the reason pytest was told to stop, to print it as the run's one line, and the
    checks' verdict (clientcheck/summary.py) for the last line."""

    reason: str | None = None
    verdict: RunVerdict | None = None

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.reason = str(getattr(excinfo.value, "msg", excinfo.value)).removeprefix(f"{PROG}: ")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.verdict = config.stash.get(VERDICT, None)


def pytest_args(runs: list[Path], report: Path, junit: Path, verbose: bool) -> list[str]:
    """The pytest command line judging ``runs``; its own ini file keeps a project's out."""
    argv = [str(CHECKS_DIR), "-c", str(CHECKS_DIR / "pytest.ini"), "--rootdir", str(CHECKS_DIR)]
    # Only the plugins the checks need (see _plugins_autoload_off): the harness and the
    # HTML report. Loading every installed plugin costs seconds and can change the run.
    argv += ["-p", "dropship_conformance.harness.plugin", "-p", "pytest_metadata.plugin"]
    argv += ["-p", "pytest_html.plugin", "-p", "no:cacheprovider", "-o", "junit_family=xunit2"]
    argv += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    argv += ["--html", str(report), "--self-contained-html", "--junitxml", str(junit)]
    # The checks' own summary (clientcheck/summary.py) labels its totals and orders the
    # failures; pytest's unlabelled count of tests and its list of test ids only with -v.
    argv += ["-v"] if verbose else ["-qq", "--tb=no", "--no-summary"]
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


def _write_env(path: Path, variables: dict[str, str]) -> None:
    """Atomically, so a script waiting for the file never reads half of it."""
    text = (
        json.dumps(variables, indent=2)
        if path.suffix == ".json"
        else "".join(f"{key}={value}\n" for key, value in variables.items())
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _announcer(args: argparse.Namespace, scenario: str) -> Callable[[dict[str, str]], None]:
    """What serve mode does once the scenario is ready: print and write the environment."""

    def announce(variables: dict[str, str]) -> None:
        if args.public_url:
            served = variables["DROPSHIP_URL"].removesuffix(DROPSHIP_BASE)
            public = args.public_url.rstrip("/")
            variables = {k: v.replace(served, public, 1) for k, v in variables.items()}
        if args.env_file:
            _write_env(Path(args.env_file).resolve(), variables)
        lines = "".join(f"  {key}={value}\n" for key, value in variables.items())
        print(
            f"{PROG}: serving scenario {scenario}; start the client with this environment "
            f"(waiting up to {args.time_limit or SCENARIOS[scenario].time_limit:g}s):\n{lines}",
            end="",
            flush=True,
        )

    return announce


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name other than localhost: it may resolve anywhere
        return False


def _serve_problem(args: argparse.Namespace, client: list[str]) -> str | None:
    """Why these serve-mode options cannot make a run, or None."""
    if not args.serve:
        given = args.host != LOOPBACK or args.port or args.public_url or args.env_file
        return "--host, --port, --public-url and --env-file go with --serve" if given else None
    if client:
        return "--serve waits for a client started elsewhere: give no client command"
    if len(_scenarios(args.scenario)) != 1:
        return "--serve judges one scenario: give --scenario NAME once"
    if not 0 <= args.port <= 65535:
        return "--port must be between 0 and 65535"
    return None


def _labelled(ids: list[str], scenarios: dict[str, list[str]], root: str | None) -> str:
    return ", ".join(
        f"{rid} [{', '.join(scenarios[rid])}]" + (" (root cause)" if rid == root else "")
        for rid in ids
    )


def _progress(line: str) -> None:
    print(f"{PROG}: {line}", file=sys.stderr, flush=True)


def command(args: argparse.Namespace) -> int:
    # Imported here: the sandbox and its server are not needed to build the CLI's parser.
    from dropship_conformance.clientcheck.runner import RunError, run_client
    from dropship_conformance.faults.kill import failed_requirements

    client = list(args.client_command)
    if client[:1] == ["--"]:
        client = client[1:]
    problem = _serve_problem(args, client)
    if problem is None and not client and not args.serve:
        problem = "no client command given (put it after --), or --serve"
    if problem is not None:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 2
    if args.time_limit is not None and args.time_limit <= 0:
        print(f"{PROG}: --time-limit must be a positive number of seconds", file=sys.stderr)
        return 2
    report, junit = Path(args.report).resolve(), Path(args.junitxml).resolve()
    for path in (report, junit):
        path.parent.mkdir(parents=True, exist_ok=True)
    names = _scenarios(args.scenario)
    if args.serve and not _loopback(args.host):
        print(
            f"{PROG}: warning: --host {args.host} is reachable beyond this machine: the "
            "sandbox's test token and its test-control API are open to that network",
            file=sys.stderr,
        )
    with tempfile.TemporaryDirectory(prefix="dropship-client-") as scratch:
        workdir = Path(args.traffic or scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        runs = []
        for name in names:
            scenario = SCENARIOS[name]
            limit = args.time_limit or scenario.time_limit
            try:
                runs.append(
                    run_client(
                        scenario,
                        None if args.serve else client,
                        limit,
                        workdir,
                        progress=_progress,
                        host=args.host,
                        port=args.port,
                        announce=_announcer(args, name),
                    )
                )
            except (RunError, OSError) as error:  # OSError: the env file or warehouse file
                print(f"{PROG}: {error}", file=sys.stderr)
                return 2
            except KeyboardInterrupt:  # a person ending a wait: the run stops, no verdict
                print(
                    f"{PROG}: interrupted during scenario {name}; nothing judged", file=sys.stderr
                )
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
    verdict = reason.verdict or RunVerdict()
    endings = ", ".join(
        f"{name} {SHORT_ENDINGS[verdict.endings[name]]}"
        for name in names
        if name in verdict.endings
    )
    reports = f"Reports: {report}, {junit}"
    by_id = {f.requirement.id: f.scenarios for f in verdict.failures}
    warned = [f.requirement.id for f in verdict.failures if f.verdict is Verdict.WARNED]
    warned_note = (
        f"; SHOULD requirement(s) warned: {_labelled(warned, by_id, None)}" if warned else ""
    )
    if code == 0:
        print(f"{PROG}: client conformant (scenarios: {endings}{warned_note}). {reports}")
        return 0
    failed = [f.requirement.id for f in verdict.failures if f.verdict is Verdict.FAILED]
    root = verdict.root_cause.requirement.id if verdict.root_cause else None
    listed = (
        _labelled(failed, by_id, root)
        if failed
        else ", ".join(sorted(failed_requirements(junit))) or "see the report"
    )
    print(
        f"{PROG}: client NOT conformant (scenarios: {endings}): MUST requirement(s) failed, "
        f"root cause first: {listed}{warned_note}. {reports}"
    )
    return 1
