"""The harness against a stateless mock of both OpenAPI documents (Prism): no requirement that
needs the target to keep state may come out passed, and what fails or is not checked says why
in the harness's words, not in a parser's traceback.

Prism answers every operation from the document alone (examples or values made up from the
schemas), so a feed never holds the order just created, an update never shows anywhere, and an
order read back is not the order sent. The first run fetches Prism through npx, as ``.ci/run``
fetches Spectral; later runs work offline from the npm cache.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from dropship_conformance.catalogue import catalogue
from dropship_conformance.verdicts import Verdict, combine

from .conftest import SPECS

pytestmark = pytest.mark.slow

PRISM = "@stoplight/prism-cli@5"
# The first start may download Prism; an offline machine without it in the cache gives up.
START_SECONDS = 240
RUN_SECONDS = 900
# The suites whose requirements are about what the target keeps: feed content, archives,
# shipments, cancellation, the Orders API lifecycle; and every LINK requirement.
STATEFUL_SUITES = {
    "feed",
    "archive",
    "full_shipment",
    "partial_shipment",
    "cancellation",
    "lifecycle",
}
# Requirements of those suites that one stateless answer can show, each with the reason.
STATELESS = {
    "DS-FEED-001": "the status and media type of one feed answer",
    "ORD-CRT-014": "the status of one create answer without a BillingCustomerId",
    "ORD-CRT-011": "the PrintableId of one create answer is not empty",
}
# Property-based parts kept small (README "Full strength" names the variables).
BOUNDED = {
    "DROPSHIP_CONFORMANCE_SCHEMA_EXAMPLES": "3",
    "DROPSHIP_CONFORMANCE_LIFECYCLE_EXAMPLES": "2",
    "DROPSHIP_CONFORMANCE_LIFECYCLE_STEPS": "5",
    "DROPSHIP_CONFORMANCE_ARCHIVE_EVENTS": "60",
}
# What a user must never be shown as the reason of a verdict.
RAW = ("Traceback", "lxml", "XMLSyntaxError", "KeyError")
REQUIREMENT_ID = re.compile(r"\b(?:DS|AUTH|HTTP|ORD|LINK)(?:-[A-Z]+)?-\d{3}\b")
# pytest's summary on a test whose subtests failed: each subtest reports its own reason.
SUBTESTS_FAILED = re.compile(r"^contains \d+ failed subtests?$")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return False
    return True


@contextmanager
def prism(document: str, folder: Path) -> Iterator[str]:
    """``prism mock`` of one OpenAPI document on a free port; yields its root URL.

    Prism serves the paths at its root: the ``servers`` base paths (/v1, /dropship/v1) are not
    part of the routes, so the root URL is the API's base URL.
    """
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npx (Node.js) is not installed: the Prism mock cannot run")
    port = _free_port()
    log = folder / f"prism-{document}.log"
    command = [npx, "--yes", "--prefer-offline", PRISM, "mock", str(SPECS / document)]
    command += ["-h", "127.0.0.1", "-p", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _listening(root):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-600:]
                pytest.skip(f"Prism ({PRISM}) did not start for {document}: {tail}")
            time.sleep(0.5)
        yield root
    finally:
        # npx runs Prism as a child: the whole group started here goes.
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@dataclass(frozen=True)
class Run:
    code: int
    output: str
    junit: str

    def decisions(self) -> dict[str, list[tuple[Verdict, str]]]:
        """requirement id -> (verdict, test) of every test that decided it."""
        found: dict[str, list[tuple[Verdict, str]]] = defaultdict(list)
        for case in ElementTree.fromstring(self.junit).iter("testcase"):
            test = f"{case.get('classname')}::{case.get('name')}"
            for prop in case.iter("property"):
                if prop.get("name") == "requirement":
                    rid, _, verdict = (prop.get("value") or "").partition(" ")
                    found[rid].append((Verdict(verdict), test))
        return found

    def reasons(self) -> list[tuple[str, str, str, str]]:
        """(test, outcome, message, details) of every failed or skipped test."""
        found = []
        for case in ElementTree.fromstring(self.junit).iter("testcase"):
            test = f"{case.get('classname')}::{case.get('name')}"
            for outcome in ("failure", "error", "skipped"):
                for element in case.iter(outcome):
                    message = element.get("message") or ""
                    found.append((test, outcome, message, element.text or ""))
        return found


def _around(text: str, word: str) -> str:
    at = text.find(word)
    return " ".join(text[max(0, at - 400) : at + 100].split())


@pytest.fixture(scope="module")
def mock_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("mock-target")
    with (
        prism("dropship.openapi.yaml", folder) as dropship,
        prism("orders.openapi.yaml", folder) as orders,
    ):
        report, junit = folder / "report.html", folder / "junit.xml"
        command = [sys.executable, "-m", "dropship_conformance.cli", "run"]
        command += ["--dropship-url", dropship, "--orders-url", orders]
        command += ["--event-wait", "1", "--timeout", "10"]
        command += ["--report", str(report), "--junitxml", str(junit)]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=RUN_SECONDS,
            check=False,
            cwd=folder,
            env={**os.environ, **BOUNDED},
        )
    assert junit.is_file(), f"no JUnit report written:\n{done.stdout[-3000:]}\n{done.stderr}"
    return Run(done.returncode, done.stdout + done.stderr, junit.read_text())


def stateful() -> set[str]:
    return {
        rule.id
        for rule in catalogue().values()
        if rule.party == "server"
        and (set(rule.suites) & STATEFUL_SUITES or rule.id.startswith("LINK-"))
        and rule.id not in STATELESS
    }


def test_the_mock_is_not_conformant(mock_run: Run) -> None:
    assert mock_run.code == 1, mock_run.output[-3000:]


def test_no_stateful_requirement_passes(mock_run: Run) -> None:
    decided = mock_run.decisions()
    passed = {
        rid: [test for verdict, test in decided[rid] if verdict is Verdict.PASSED]
        for rid in sorted(stateful() & set(decided))
        if combine([verdict for verdict, _ in decided[rid]]) is Verdict.PASSED
    }
    assert not passed, f"passed against a stateless mock: {passed}"


def test_reasons_are_the_harness_words(mock_run: Run) -> None:
    raw = [
        f"{test} ({outcome}): {_around(message + details, word)}"
        for test, outcome, message, details in mock_run.reasons()
        for word in RAW
        if word in message + details
    ]
    raw += [f"console: {_around(mock_run.output, word)}" for word in RAW if word in mock_run.output]
    assert not raw, "raw exception text instead of a reason:\n" + "\n".join(raw)
    for test, outcome, message, details in mock_run.reasons():
        assert message.strip(), f"{test}: {outcome} without a reason"
        # JUnit shortens a long message; the element's text holds all of it.
        if outcome != "skipped" and not SUBTESTS_FAILED.match(message.strip()):
            whole = f"{message}\n{details}"
            judged = REQUIREMENT_ID.search(whole) and "expected" in whole
            assert judged, f"{test}: {outcome} not in a requirement's words: {whole[:600]}"
