"""The harness meets hostile targets and ends every run in bounded time and memory, with a
failed requirement or a clear run error, a report written, no crash and no outbound connection.

Each case serves one misbehaviour on the order feed (see ``hostile_server``) and runs
``dropship-conformance run --suite feed`` against it in another process, as a user would.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from dropship_conformance.harness import interruption, page, report, runstate

from .hostile_server import (
    BEHAVIOURS,
    VALID_FEED,
    Behaviour,
    _whole,
    connection_trap,
    hostile_server,
    xml_with_doctype,
)

TOKEN = f"SECRET-TOKEN-{uuid.uuid4().hex}"
REQUEST_TIMEOUT = 3
RUN_BOUND_SECONDS = 90
MEMORY_BOUND_MB = 400


@dataclass(frozen=True)
class Run:
    code: int
    seconds: float
    output: str
    report: str
    junit: str

    def failed(self) -> set[str]:
        found = set()
        for prop in ElementTree.fromstring(self.junit).iter("property"):
            rid, _, verdict = (prop.get("value") or "").partition(" ")
            if prop.get("name") == "requirement" and verdict == "failed":
                found.add(rid)
        return found


def harness_command(
    root: str,
    folder: Path,
    token: str = TOKEN,
    suites: tuple[str, ...] = ("feed",),
    timeout: float = REQUEST_TIMEOUT,
) -> list[str]:
    """``dropship-conformance run`` against ``root``, its reports in ``folder``."""
    return [
        sys.executable,
        "-m",
        "dropship_conformance.cli",
        "run",
        *(f"--suite={suite}" for suite in suites),
        "--dropship-url",
        f"{root}/dropship/v1",
        "--orders-url",
        f"{root}/orders/v1",
        "--token",
        token,
        "--timeout",
        str(timeout),
        "--event-wait",
        "0",
        "--report",
        str(folder / "report.html"),
        "--junitxml",
        str(folder / "junit.xml"),
    ]


# Runs the CLI and reports its own peak memory. Not RUSAGE_CHILDREN (it counts every child this
# session waited for) nor RUSAGE_SELF (Linux keeps ru_maxrss across execve, so a harness started
# from a large pytest process inherits that process's size): VmHWM belongs to the new image alone.
PEAK_PROBE = (
    "import atexit, re, sys\n"
    "from dropship_conformance.cli import main\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    print('harness-peak-kb', re.search(r'VmHWM:\\s*(\\d+)', status)[1], file=sys.stderr)\n"
    "atexit.register(peak)\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def run_harness(
    root: str, folder: Path, token: str = TOKEN, suites: tuple[str, ...] = ("feed",)
) -> Run:
    report, junit = folder / "report.html", folder / "junit.xml"
    command = harness_command(root, folder, token, suites)
    command[1:3] = ["-c", PEAK_PROBE]
    started = time.monotonic()
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_BOUND_SECONDS, check=False, cwd=folder
    )
    seconds = time.monotonic() - started
    assert report.is_file() and junit.is_file(), f"no report written:\n{done.stdout}\n{done.stderr}"
    return Run(
        done.returncode, seconds, done.stdout + done.stderr, report.read_text(), junit.read_text()
    )


def judged(behaviour: Behaviour, folder: Path, suites: tuple[str, ...] = ("feed",)) -> Run:
    with hostile_server(behaviour) as server:
        host, port = server.server_address
        run = run_harness(f"http://{host}:{port}", folder, suites=suites)
    assert run.code in (1, 2), f"exit {run.code}: the hostile target was not refused\n{run.output}"
    assert "Traceback" not in run.output, run.output
    assert run.seconds < RUN_BOUND_SECONDS
    peaks = re.findall(r"harness-peak-kb (\d+)", run.output)
    assert peaks, run.output
    peak_mb = int(peaks[-1]) / 1024
    assert peak_mb < MEMORY_BOUND_MB, f"the harness grew to {peak_mb:.0f} MB"
    return run


def test_xxe_does_not_read_local_files(tmp_path: Path) -> None:
    canary = f"XXE-CANARY-{uuid.uuid4().hex}"
    secret = tmp_path / "secret.txt"
    secret.write_text(canary)
    body = xml_with_doctype(f'<!DOCTYPE feed [<!ENTITY x SYSTEM "file://{secret}">]>', "&x;")
    run = judged(lambda sock, _: _whole(sock, body), tmp_path)
    assert "DS-FEED-002" in run.failed()
    assert canary not in run.report + run.junit + run.output


def test_external_dtd_is_never_fetched(tmp_path: Path) -> None:
    with connection_trap() as (port, caught):
        body = xml_with_doctype(f'<!DOCTYPE feed SYSTEM "http://127.0.0.1:{port}/evil.dtd">', "x")
        run = judged(lambda sock, _: _whole(sock, body), tmp_path)
        time.sleep(0.3)
    assert caught == [], "the harness connected to the DTD's host"
    assert "DS-FEED-002" in run.failed()


def test_entity_expansion_bomb_is_refused(tmp_path: Path) -> None:
    run = judged(BEHAVIOURS["bomb"], tmp_path)
    assert "DS-FEED-002" in run.failed()
    assert "DOCTYPE" in run.report


def test_fifty_megabyte_feed_is_cut_off(tmp_path: Path) -> None:
    run = judged(BEHAVIOURS["huge"], tmp_path)
    assert "larger than" in run.report, "the size bound did not stop the download"


def test_invalid_utf8_is_a_failed_requirement(tmp_path: Path) -> None:
    assert "DS-FEED-002" in judged(BEHAVIOURS["invalid-utf8"], tmp_path).failed()


def test_truncated_xml_is_a_failed_requirement(tmp_path: Path) -> None:
    assert "DS-FEED-002" in judged(BEHAVIOURS["truncated"], tmp_path).failed()


def test_json_where_xml_is_due_fails_the_media_type(tmp_path: Path) -> None:
    assert "DS-FEED-001" in judged(BEHAVIOURS["json"], tmp_path).failed()


def test_never_ending_response_ends_at_the_deadline(tmp_path: Path) -> None:
    run = judged(BEHAVIOURS["endless"], tmp_path)
    assert f"within {REQUEST_TIMEOUT} s" in run.report


def test_connection_reset_is_a_clear_failure(tmp_path: Path) -> None:
    run = judged(BEHAVIOURS["reset"], tmp_path)
    assert "DS-FEED-001" in run.failed()


def test_server_that_never_answers_ends_at_the_timeout(tmp_path: Path) -> None:
    run = judged(BEHAVIOURS["silent"], tmp_path)
    assert f"within {REQUEST_TIMEOUT} s" in run.report


def test_dripped_headers_end_at_the_deadline(tmp_path: Path) -> None:
    """One header line every 0.3 s: no read ever times out, the request still must."""
    run = judged(BEHAVIOURS["drip-headers"], tmp_path)
    assert f"within {REQUEST_TIMEOUT} s" in run.report


def test_endless_informational_answers_end_at_the_deadline(tmp_path: Path) -> None:
    run = judged(BEHAVIOURS["endless-1xx"], tmp_path)
    assert f"within {REQUEST_TIMEOUT} s" in run.report


def test_feed_links_to_another_origin_get_no_token(tmp_path: Path) -> None:
    """The feed's links lead to another origin: nothing is sent there, the link is a finding."""
    with hostile_server(lambda sock, _: _whole(sock, VALID_FEED)) as elsewhere:
        host, port = elsewhere.server_address
        foreign = f"http://{host}:{port}/dropship/v1/Suppliers(60455)/Notifications"
        links = (
            f'<link rel="self" href="{foreign}"/><link rel="current" href="{foreign}"/>'
            f'<link rel="prev-archive" href="{foreign}/Pages(1)"/></feed>'
        )
        feed = VALID_FEED.replace(b"</feed>", links.encode())
        run = judged(lambda sock, _: _whole(sock, feed), tmp_path, suites=("feed", "archive"))
        carrying = [r for r in elsewhere.requests if TOKEN.encode() in r]
        assert carrying == [], f"{len(carrying)} request(s) took the token to another origin"
        assert elsewhere.requests == [], "a request went to an origin the harness may not use"
    assert run.code == 1, f"a link to another origin passed as conformant:\n{run.output}"
    assert {"DS-FEED-010", "DS-ARCH-010"} & run.failed(), "the foreign link is no finding"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_run_still_writes_both_reports(tmp_path: Path, signum: signal.Signals) -> None:
    """Stopped in the middle of a request, the run writes both reports, marked incomplete, and
    ends with exit code 2 and one line saying why."""
    with hostile_server(BEHAVIOURS["silent"]) as server:
        host, port = server.server_address
        command = harness_command(f"http://{host}:{port}", tmp_path, timeout=60)
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
        )
        try:
            deadline = time.monotonic() + RUN_BOUND_SECONDS
            while not any(b"/Notifications" in r for r in server.requests):
                assert time.monotonic() < deadline and process.poll() is None, "no feed request"
                time.sleep(0.1)
            process.send_signal(signum)
            out, err = process.communicate(timeout=RUN_BOUND_SECONDS)
        finally:
            process.kill()
            process.wait()
    reason = f"interrupted by {signum.name}"
    assert process.returncode == 2, f"exit {process.returncode}\n{out}\n{err}"
    assert err.strip().splitlines()[-1] == f"dropship-conformance: {reason}", err
    assert "Traceback" not in out + err
    report, junit = tmp_path / "report.html", tmp_path / "junit.xml"
    assert report.is_file() and junit.is_file(), "an interrupted run left no report"
    assert f"incomplete: {reason}" in report.read_text()
    properties = {
        prop.get("name"): prop.get("value")
        for prop in ElementTree.parse(junit).getroot().iter("property")
    }
    assert properties.get("incomplete") == reason


def test_a_bound_hit_marks_both_reports_incomplete(tmp_path: Path) -> None:
    """A check that stops at a bound (the archive walk's) leaves the run going, but both
    reports say what was not seen, with any interruption that followed."""
    config = SimpleNamespace(stash=pytest.Stash())
    config.stash[runstate.MATRIX] = report.Matrix()
    runstate.mark_incomplete(config, "the walk stopped at its time bound")
    runstate.mark_incomplete(config, "interrupted by SIGTERM")
    reason = "the walk stopped at its time bound; interrupted by SIGTERM"
    prefix: list[str] = []
    page.pytest_html_results_summary(prefix, [], [], SimpleNamespace(config=config))
    assert any(f"incomplete: {reason}" in line for line in prefix)
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite name="s"><testcase name="t"/></testsuite></testsuites>'
    )
    interruption.mark_junit(junit, config.stash[runstate.INCOMPLETE])
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite[0].tag == "properties", "xunit2 wants properties first"
    assert suite[0][0].attrib == {"name": "incomplete", "value": reason}
