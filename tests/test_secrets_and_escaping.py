"""A recognisable token leaves no trace in the HTML report, the JUnit file or the output, even
when the target reflects it back; target markup is shown escaped in the HTML report, never run.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from dropship_conformance.client.exchange import REDACTED
from dropship_conformance.harness.redaction import redacted
from dropship_conformance.harness.run import suites_dir

from .hostile_server import _head, _whole, hostile_server
from .test_hostile_targets import (
    REQUEST_TIMEOUT,
    RUN_BOUND_SECONDS,
    harness_command,
    run_harness,
)

# Suites whose checks quote the target's answers at length (feed documents, error bodies).
ECHOED_SUITES = ("feed", "errors", "lifecycle")

MARKUP = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def reflecting_feed(sock, request: bytes) -> None:
    """A 'feed' that echoes the request headers (token included) and some markup."""
    headers = request.decode("latin-1")
    body = f"<feed><title>{html.escape(headers)}</title></feed><!-- {MARKUP} -->{MARKUP}"
    _whole(sock, body.encode(), "application/atom+xml")


def _evidence(report: str) -> str:
    """What the conformance page shows below its summary: findings, exchanges, matrix, tests."""
    assert "id='verdict'" in report, "not the conformance page"
    return report.split("<h2", 1)[1]


def test_token_never_appears_and_markup_is_escaped(tmp_path: Path) -> None:
    token = f"RECOGNISABLE-{uuid.uuid4().hex}"
    with hostile_server(reflecting_feed) as server:
        host, port = server.server_address
        run = run_harness(f"http://{host}:{port}", tmp_path, token=token)
        assert any(token.encode() in r for r in server.requests), "the token was not sent"
    for where, text in (("HTML report", run.report), ("JUnit", run.junit), ("output", run.output)):
        assert token not in text, f"the token leaked into the {where}"
    shown = _evidence(run.report)
    assert "<script" not in run.report, "the page must hold no script, its own or the target's"
    assert "[REDACTED]" in shown, "the reflected token should show as redacted"
    assert "<script>" not in shown and "<img src=x" not in shown, (
        "target markup reached the page unescaped"
    )
    assert "&lt;script&gt;alert(" in shown, "target markup should be shown, escaped"


def echoing(sock, request: bytes) -> None:
    """Every answer echoes the request's headers, Authorization included: in a header, and in
    the body (an Atom title for the feed, a JSON error message elsewhere)."""
    head = request.decode("latin-1").split("\r\n\r\n", 1)[0]
    path = head.split(" ", 2)[1]
    authorization = next(
        (
            line.split(":", 1)[1].strip()
            for line in head.split("\r\n")
            if line.lower().startswith("authorization:")
        ),
        "",
    )
    if "/Notifications" in path:
        status, media_type = "200 OK", "application/atom+xml"
        body = f"<feed><title>{html.escape(head)}</title><id>{authorization}</id></feed>".encode()
    else:
        status, media_type = "400 Bad Request", "application/json"
        body = json.dumps({"Message": head, "Authorization": authorization}).encode()
    echo = f"\r\nX-Echo-Authorization: {authorization}"
    sock.sendall(_head(status, media_type, len(body), echo) + body)


def _leaks(token: str, folder: Path, console: str) -> dict[str, int]:
    """Occurrences of ``token`` in every file the run wrote and in its console output."""
    found = {"console": console.count(token)}
    for path in folder.rglob("*"):
        if path.is_file():
            found[path.name] = path.read_bytes().count(token.encode())
    return {where: count for where, count in found.items() if count}


def pytest_command(root: str, folder: Path, token: str) -> list[str]:
    """``pytest contract_tests`` showing all it can: every outcome, long tracebacks, locals."""
    return [
        sys.executable,
        "-m",
        "pytest",
        str(suites_dir()),
        "-p",
        "no:cacheprovider",
        "-rA",
        "--tb=long",
        "--showlocals",
        "-v",
        *(f"--suite={suite}" for suite in ECHOED_SUITES),
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
        "--html",
        str(folder / "report.html"),
        "--self-contained-html",
        "--junitxml",
        str(folder / "junit.xml"),
    ]


def test_token_echoed_by_every_answer_appears_nowhere(tmp_path: Path) -> None:
    """``dropship-conformance run`` and ``pytest contract_tests`` against a target that echoes
    the token everywhere: 0 occurrences in every artifact and in the captured console."""
    token = f"ECHOED-{uuid.uuid4().hex}"
    cli, plain = tmp_path / "cli", tmp_path / "pytest"
    cli.mkdir()
    plain.mkdir()
    with hostile_server(echoing, everywhere=True) as server:
        host, port = server.server_address
        root = f"http://{host}:{port}"
        by_cli = subprocess.run(
            harness_command(root, cli, token, ECHOED_SUITES),
            capture_output=True,
            text=True,
            timeout=RUN_BOUND_SECONDS,
            cwd=cli,
        )
        by_pytest = subprocess.run(
            pytest_command(root, plain, token),
            capture_output=True,
            text=True,
            timeout=RUN_BOUND_SECONDS,
            cwd=plain,
        )
        assert any(token.encode() in r for r in server.requests), "the token was not sent"
    for folder, done in ((cli, by_cli), (plain, by_pytest)):
        assert done.returncode == 1, f"the suites did not run:\n{done.stdout}\n{done.stderr}"
        assert "[REDACTED]" in (folder / "report.html").read_text()
        assert _leaks(token, folder, done.stdout + done.stderr) == {}


def test_redacted_failure_keeps_pytests_representation() -> None:
    """A failure quoting the token, with locals shown: redacted in place, still pytest's repr
    (the terminal's short summary reads its crash message)."""
    token = f"TRACED-{uuid.uuid4().hex}"

    def judge(echoed: str) -> None:
        raise AssertionError(f"found {echoed}")

    try:
        judge(f"Bearer {token}")
    except AssertionError:
        failure = pytest.ExceptionInfo.from_current()
    shown = failure.getrepr(showlocals=True, style="long")
    assert token in str(shown)
    assert redacted(shown, (token,)) is shown
    assert token not in str(shown)
    assert shown.reprcrash is not None
    assert shown.reprcrash.message == f"AssertionError: found Bearer {REDACTED}"
