"""The sandbox's own bounds (issue 12): the control API is not open, slow or endless clients
are cut off, descriptors run out gracefully, and a flood of errors does not flood the log."""

from __future__ import annotations

import logging
import re
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dropship_conformance import cli
from dropship_conformance.client import HttpSession, Recorder
from dropship_conformance.client.control import SandboxControl
from dropship_conformance.sandbox import create_app, server, validation
from dropship_conformance.sandbox.server import RateLimit, is_loopback, serve_in_thread

from .helpers import TOKEN, TestClient

AUTH = {"Authorization": f"Bearer {TOKEN}"}
FEED = "/dropship/v1/Suppliers(60455)/Notifications"


# ---- the control API -------------------------------------------------------------------------


def test_control_api_off_answers_404_and_apis_still_serve() -> None:
    with TestClient(create_app(":memory:", control_api=False)) as client:
        for method, path in [("GET", "/_sandbox/info"), ("POST", "/_sandbox/reset")]:
            response = client.request(method, path)
            assert response.status_code == 404
            assert response.json() == {"Message": "Not found"}
        assert client.get(FEED, headers=AUTH).status_code == 200


def test_control_token_guards_every_control_route() -> None:
    app = create_app(":memory:", control_api=False, control_token="s3cret-control")
    with TestClient(app) as client:
        for headers in ({}, AUTH, {"Authorization": "Bearer s3cret-contro"}):
            for method, path in [("GET", "/_sandbox/info"), ("POST", "/_sandbox/reset")]:
                response = client.request(method, path, headers=headers)
                assert response.status_code == 401
                assert response.json() == {"Message": "Invalid token"}
        guarded = {"Authorization": "Bearer s3cret-control"}
        assert client.get("/_sandbox/info", headers=guarded).json()["sandbox"] is True


def test_embedded_sandbox_keeps_its_control_api() -> None:
    with serve_in_thread() as base:
        assert httpx.get(f"{base}/_sandbox/info", timeout=10).json()["sandbox"] is True
    with serve_in_thread(control_api=False) as base:
        assert httpx.get(f"{base}/_sandbox/info", timeout=10).status_code == 404


def test_harness_sees_a_sandbox_without_control_as_foreign() -> None:
    """SandboxControl.discover finds the control API only where it is served openly."""
    for control_api, found in ((True, True), (False, False)):
        with serve_in_thread(control_api=control_api) as base:
            session = HttpSession(Recorder(), token=TOKEN, origins=(base,), timeout=10)
            try:
                control = SandboxControl.discover(session, f"{base}/dropship/v1")
            finally:
                session.close()
        assert (control is not None) is found


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("example.org", False)],
)  # fmt: skip
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_cli_refuses_an_open_control_api_beyond_loopback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["sandbox", "--host", "0.0.0.0", "--control", "--db", ":memory:"]) == 2
    err = capsys.readouterr().err
    assert "--control-token" in err and "\n" not in err.strip()


@pytest.fixture
def fake_serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """serve_forever replaced by one that prints the banner and returns at once."""
    seen: dict[str, Any] = {}

    def serve_forever(host: str, port: int, db_path: str, **kwargs: Any) -> None:
        seen.update(kwargs, host=host)
        store = server.Store(db_path)
        try:
            kwargs["on_ready"](server.url_of(host, port), store)
        finally:
            store.close()

    monkeypatch.setattr(server, "serve_forever", serve_forever)
    yield seen


def test_cli_control_off_by_default(
    fake_serve: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["sandbox", "--db", ":memory:"]) == 0
    assert fake_serve["control_api"] is False and fake_serve["control_token"] is None
    captured = capsys.readouterr()
    assert "(off; --control serves it)" in captured.out
    assert "warning" not in captured.err


def test_cli_warns_beyond_loopback(
    fake_serve: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["sandbox", "--host", "0.0.0.0", "--control-token", "t0k", "--db", ":memory:"])
    assert code == 0
    assert fake_serve["control_token"] == "t0k"
    captured = capsys.readouterr()
    assert "warning: the sandbox listens on 0.0.0.0, beyond loopback" in captured.err
    assert "t0k" not in captured.out + captured.err


# ---- connections -------------------------------------------------------------------------------


def _address(base: str) -> tuple[str, int]:
    url = httpx.URL(base)
    assert url.host == "127.0.0.1"
    return url.host, url.port or 80


def _closed(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (possibly after a 408)."""
    sock.settimeout(0.5)
    try:
        data = sock.recv(4096)
    except TimeoutError:
        return False
    except OSError:
        return True
    return data == b"" or data.startswith(b"HTTP/1.1 408")


def test_protocol_errors_answer_the_documented_shape() -> None:
    with serve_in_thread() as base:
        for raw in (b"GARBAGE\r\n\r\n", b"GET /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n"):
            with socket.create_connection(_address(base), timeout=5) as sock:
                sock.sendall(raw)
                answer = sock.recv(4096)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400 ")
            assert b"content-type: application/json" in head.lower()
            assert body == b'{"Message": "The request is invalid"}'


def test_slow_headers_are_cut_off_and_others_still_served() -> None:
    """300 clients dripping headers (loopback, bounded): each gets 408 within the header
    timeout, and past the connection limit the oldest idle ones make room for real clients."""
    with serve_in_thread(header_timeout=1.5, max_connections=100) as base:
        address = _address(base)
        slow = []
        try:
            for _ in range(300):
                sock = socket.create_connection(address, timeout=5)
                sock.sendall(b"GET " + FEED.encode() + b" HTTP/1.1\r\nHost: x\r\n")
                slow.append(sock)
            served = [
                httpx.get(base + FEED, headers=AUTH, timeout=10).status_code for _ in range(10)
            ]
            assert served == [200] * 10
            time.sleep(2.5)
            assert all(_closed(sock) for sock in slow[-50:])
        finally:
            for sock in slow:
                sock.close()
        assert httpx.get(base + FEED, headers=AUTH, timeout=10).status_code == 200


def test_a_dripped_body_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "BODY_TIMEOUT", 0.5)
    update = "/dropship/v1/Suppliers(60455)/Orders(0b05f9fb-1210-4494-b654-d051948716b4)"
    head = (
        f"PUT {update}/OrderStatusUpdate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}"
        "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )
    with serve_in_thread() as base, socket.create_connection(_address(base), timeout=5) as sock:
        sock.sendall(head.encode())
        started = time.monotonic()
        answer = sock.recv(4096)
        assert time.monotonic() - started < 3
        # The head and the body may arrive as two segments: read on to the body's end.
        while b"}" not in answer.partition(b"\r\n\r\n")[2]:
            more = sock.recv(4096)
            if not more:
                break
            answer += more
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answer.endswith(b'{"Message":"The request body took more than 0.5 s to arrive"}')


def test_a_silent_connection_is_closed_without_an_answer() -> None:
    with (
        serve_in_thread(header_timeout=0.5) as base,
        socket.create_connection(_address(base), timeout=5) as sock,
    ):
        sock.settimeout(3)
        assert sock.recv(4096) == b""


def test_connection_limit_stays_below_the_descriptor_limit() -> None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert 16 <= server.connection_limit() <= max(16, soft - server.RESERVED_FDS)


# ---- logs ---------------------------------------------------------------------------------------


def test_repeated_log_lines_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("dropship_conformance.test_limits")
    limit = RateLimit(interval=0.2)
    logger.addFilter(limit)
    try:
        with caplog.at_level(logging.WARNING, logger=logger.name):
            for _ in range(1000):
                logger.warning("Invalid HTTP request received.")
            logger.warning("another message")
            time.sleep(0.25)
            logger.warning("Invalid HTTP request received.")
    finally:
        logger.removeFilter(limit)
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "Invalid HTTP request received.",
        "another message",
        "Invalid HTTP request received. (999 similar lines suppressed)",
    ]


def test_serving_installs_the_log_limits(tmp_path: Path) -> None:
    with serve_in_thread(str(tmp_path / "x.sqlite3")):
        for name in server.RATE_LIMITED_LOGGERS:
            assert any(isinstance(f, RateLimit) for f in logging.getLogger(name).filters)


def test_descriptor_exhaustion_refuses_connections_not_everyone() -> None:
    """The CLI sandbox with 200 descriptors, 300 slow clients: real clients are still served,
    and the log stays small (it once grew 172 MB in 20 s)."""

    def few_descriptors() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (200, 200))

    process = subprocess.Popen(
        [sys.executable, "-m", "dropship_conformance.cli", "sandbox", "--port", "0",
         "--db", ":memory:", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=few_descriptors,
    )  # fmt: skip
    slow: list[socket.socket] = []
    try:
        base = None
        assert process.stdout is not None
        for line in process.stdout:
            match = re.search(r"API: (http://\S+)/dropship/v1", line)
            base = base or (match.group(1) if match else None)
            if "Press Ctrl+C" in line:
                break
        assert base
        for _ in range(300):
            sock = socket.create_connection(_address(base), timeout=5)
            sock.sendall(b"GET " + FEED.encode() + b" HTTP/1.1\r\nHost: x\r\n")
            slow.append(sock)
        for _ in range(10):
            assert httpx.get(base + FEED, headers=AUTH, timeout=10).status_code == 200
    finally:
        for sock in slow:
            sock.close()
        process.kill()
        _, err = process.communicate(timeout=10)
    assert len(err) < 20_000, err[-2000:]
