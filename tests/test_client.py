"""The recording HTTP session: bounded, and token-free in everything it keeps."""

from __future__ import annotations

import httpx
import pytest

from dropship_conformance.client import HttpSession, Recorder, TargetError
from dropship_conformance.client.exchange import REDACTED
from dropship_conformance.client.http import BodyTooLarge

TOKEN = "tok-5ecr3t-value"


def session(handler, **options) -> HttpSession:
    return HttpSession(
        Recorder(secrets=(TOKEN,)), token=TOKEN, transport=httpx.MockTransport(handler), **options
    )


def test_token_is_redacted_from_headers_url_and_bodies() -> None:
    def reflect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, headers={"WWW-Authenticate": f"Bearer {TOKEN}"}, text=f"bad token {TOKEN}"
        )

    client = session(reflect)
    client.request("PUT", f"http://target/x?token={TOKEN}", json_body={"echo": TOKEN})
    (exchange,) = client.recorder.exchanges
    assert TOKEN not in exchange.as_text()
    assert ("Authorization", f"Bearer {REDACTED}") in exchange.request_headers
    assert REDACTED in exchange.response_body and REDACTED in exchange.url


def test_body_over_the_bound_is_refused_and_recorded() -> None:
    client = session(lambda r: httpx.Response(200, content=b"x" * 2048), max_body=1024)
    with pytest.raises(BodyTooLarge):
        client.request("GET", "http://target/feed")
    assert "larger than 1024 bytes" in client.recorder.exchanges[0].error


def test_connection_failure_is_one_line_target_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(
        TargetError, match=r"^GET http://target/feed: ConnectError: connection refused$"
    ):
        session(refuse).request("GET", "http://target/feed")


def test_no_token_sends_no_authorization() -> None:
    seen = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200)

    session(record).request("GET", "http://target/feed", token=None)
    assert seen == [None]
