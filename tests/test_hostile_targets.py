"""The harness meets hostile targets and ends every run in bounded time and memory, with a
failed requirement or a clear run error, a report written, no crash and no outbound connection.

Each case serves one misbehaviour on the order feed (see ``hostile_server``) and runs
``dropship-conformance run --suite feed`` against it in another process, as a user would.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from .hostile_server import (
    BEHAVIOURS,
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


def run_harness(root: str, folder: Path, token: str = TOKEN) -> Run:
    report, junit = folder / "report.html", folder / "junit.xml"
    command = [
        sys.executable,
        "-m",
        "dropship_conformance.cli",
        "run",
        "--suite",
        "feed",
        "--dropship-url",
        f"{root}/dropship/v1",
        "--orders-url",
        f"{root}/orders/v1",
        "--token",
        token,
        "--timeout",
        str(REQUEST_TIMEOUT),
        "--event-wait",
        "0",
        "--report",
        str(report),
        "--junitxml",
        str(junit),
    ]
    started = time.monotonic()
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_BOUND_SECONDS, check=False, cwd=folder
    )
    seconds = time.monotonic() - started
    assert report.is_file() and junit.is_file(), f"no report written:\n{done.stdout}\n{done.stderr}"
    return Run(
        done.returncode, seconds, done.stdout + done.stderr, report.read_text(), junit.read_text()
    )


def judged(behaviour: Behaviour, folder: Path) -> Run:
    with hostile_server(behaviour) as server:
        host, port = server.server_address
        run = run_harness(f"http://{host}:{port}", folder)
    assert run.code in (1, 2), f"exit {run.code}: the hostile target was not refused\n{run.output}"
    assert "Traceback" not in run.output, run.output
    assert run.seconds < RUN_BOUND_SECONDS
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
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
