"""The recording HTTP session: bounded, and token-free in everything it keeps."""

from __future__ import annotations

import html
import json
import time
from urllib.parse import quote

import httpx
import pytest

from dropship_conformance.client import HttpSession, Recorder, TargetError
from dropship_conformance.client.exchange import REDACTED, redact
from dropship_conformance.client.http import BodyTooLarge, ForeignOrigin

from .hostile_server import BEHAVIOURS, hostile_server

TOKEN = "tok-5ecr3t-value"


def session(handler, **options) -> HttpSession:
    options.setdefault("origins", ("http://target",))
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


def test_token_in_a_target_error_is_redacted() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused {request.url}", request=request)

    with pytest.raises(TargetError) as raised:
        session(refuse).request("GET", f"http://target/feed?t={TOKEN}")
    assert TOKEN not in str(raised.value) and REDACTED in str(raised.value)


@pytest.mark.parametrize("secret", ["tok/+=5ecr3t", 'tok"\\5ecr3t', "tok<&>5ecr3t"])
def test_redact_removes_every_spelling_of_a_secret(secret: str) -> None:
    """As sent, URL-encoded, JSON-escaped and HTML-escaped: the forms a reflection takes."""
    spellings = [secret, quote(secret, safe=""), json.dumps(secret)[1:-1], html.escape(secret)]
    assert redact(" | ".join(spellings), (secret,)) == " | ".join([REDACTED] * 4)


@pytest.mark.parametrize(
    "url",
    [
        "http://target/feed",
        "HTTP://TARGET/feed",
        "http://Target:80/feed",
    ],
)
def test_same_origin_is_compared_as_rfc_3986_does(url: str) -> None:
    seen = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200)

    session(record).request("GET", url)
    assert seen == [f"Bearer {TOKEN}"]


@pytest.mark.parametrize(
    "url",
    [
        "http://elsewhere/feed",
        "https://target/feed",
        "http://target:8080/feed",
        "http://target.example/feed",
        "Pages(2)",
        f"http://elsewhere/feed?t={TOKEN}",
    ],
)
def test_another_origin_is_refused_before_anything_is_sent(url: str) -> None:
    seen = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    client = session(record)
    with pytest.raises(ForeignOrigin, match="not an origin of the target") as raised:
        client.request("GET", url)
    assert seen == [], "a request left for another origin"
    assert TOKEN not in str(raised.value)
    (exchange,) = client.recorder.exchanges
    assert exchange.request_headers == () and "not sent" in (exchange.error or "")
    assert TOKEN not in exchange.as_text()


@pytest.mark.parametrize("behaviour", ["drip-headers", "endless-1xx", "endless", "silent"])
def test_one_deadline_covers_the_whole_request(behaviour: str) -> None:
    """Each read is answered in time (headers dripped, endless 102 Processing, a body that never
    ends), or nothing is: the request still ends at its one deadline."""
    timeout = 1.0
    with hostile_server(BEHAVIOURS[behaviour]) as server:
        host, port = server.server_address
        root = f"http://{host}:{port}"
        client = HttpSession(Recorder(secrets=(TOKEN,)), token=TOKEN, origins=(root,), timeout=1)
        started = time.monotonic()
        try:
            with pytest.raises(TargetError, match=r"no complete answer within 1 s"):
                client.request("GET", f"{root}/dropship/v1/Suppliers(1)/Notifications")
        finally:
            client.close()
        elapsed = time.monotonic() - started
    assert elapsed < 3 * timeout, f"the request took {elapsed:.1f} s against a {timeout} s deadline"
