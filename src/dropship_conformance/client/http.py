"""A bounded, recording HTTP session over httpx.

A target may be slow, broken or hostile. Every request therefore has one wall-clock deadline
covering connect, headers and body (a server that drips header lines, sends endless ``1xx`` or
streams forever still ends at ``timeout``), a body larger than the bound is cut off without
being held in memory, and a request goes only to the origins of the target, so the token never
leaves them. Failures become a :class:`TargetError` with one readable line, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from types import EllipsisType
from typing import Any, TypeVar

import httpx

from dropship_conformance.client.exchange import Recorder
from dropship_conformance.errors import ConformanceError

DEFAULT_TIMEOUT = 15.0
DEFAULT_MAX_BODY = 8 * 1024 * 1024
# RFC 3986 §6.2.3: an omitted port is the scheme's default port, so "http://h" and
# "http://h:80" are one origin (RFC 6454 §4).
DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int | None]
_T = TypeVar("_T")


class TargetError(ConformanceError):
    """The target could not be asked or did not answer in bounds; the message says why."""


class BodyTooLarge(TargetError):
    """The answer was larger than the harness accepts."""


class ForeignOrigin(TargetError):
    """The URL is not on an origin of the target; nothing was sent, the token stayed home."""


def origin_of(url: str) -> Origin:
    """The (scheme, host, port) of ``url``, compared case-insensitively with default ports
    filled in (RFC 3986 §6.2.2.1, §6.2.3; RFC 9110 §4.2.3)."""
    parsed = httpx.URL(url)
    scheme = parsed.scheme.lower()
    return scheme, parsed.host.lower(), parsed.port or DEFAULT_PORTS.get(scheme)


def _shown(origin: Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}:{port}" if scheme else "no origin (not an absolute URL)"


@dataclass(frozen=True)
class Reply:
    """A complete, bounded HTTP answer."""

    status: int
    headers: httpx.Headers
    content: bytes
    url: str

    @property
    def media_type(self) -> str:
        """The media type without parameters, lower-cased, as HTTP compares it (RFC 9110 §8.3.1)."""
        content_type: str = self.headers.get("content-type", "")
        return content_type.split(";", 1)[0].strip().lower()

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; raises ValueError with the reason when it is not JSON."""
        try:
            return json.loads(self.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"body is not JSON: {error}") from error


class HttpSession:
    """Sends requests with a bearer token to the target's origins, bounded, and records each.

    httpx's timeouts bound each socket operation, not the request: a server that answers a
    little before every read timeout (a header line, one more ``102 Processing``) holds a
    request forever. The deadline is therefore ``asyncio.timeout`` around the whole exchange on
    httpx's async client: cancelling closes the connection wherever the exchange stands
    (connect, 1xx, headers, body). A blocking send in a worker thread, abandoned at the
    deadline, would leave that thread stuck on a socket httpx gives no handle to close. The
    event loop runs in one daemon thread per session, so callers keep a plain blocking API.
    """

    def __init__(
        self,
        recorder: Recorder,
        *,
        token: str | None,
        origins: Iterable[str],
        timeout: float = DEFAULT_TIMEOUT,
        max_body: int = DEFAULT_MAX_BODY,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.recorder = recorder
        self.token = token
        self.origins = frozenset(origin_of(url) for url in origins)
        self.timeout = timeout
        self.max_body = max_body
        # trust_env=False: proxies from the environment must not see the token or redirect
        # traffic meant for the target; redirects are not followed (a redirect is a verdict).
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            transport=transport,
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="dropship-conformance-http", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        closing = asyncio.run_coroutine_threadsafe(self._client.aclose(), self._loop)
        try:
            closing.result(timeout=self.timeout)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=self.timeout)
            self._loop.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | EllipsisType | None = ...,
        accept: str = "application/json",
    ) -> Reply:
        """Send one request and return the whole (bounded) answer.

        ``token`` overrides the session's token for this request; ``None`` sends no
        Authorization header (to test that a missing token is refused). A URL on another
        origin than the target's raises :class:`ForeignOrigin` before anything is sent.
        """
        refusal = self._refusal(url)
        if refusal is not None:
            self.recorder.record(
                method=method,
                url=url,
                request_headers={},
                request_body=b"",
                status=None,
                response_headers=(),
                response_body=b"",
                elapsed_ms=0.0,
                error=refusal,
            )
            raise ForeignOrigin(self.recorder.redact(f"{method} {url}: {refusal}"))
        sent = {"Accept": accept}
        bearer = self.token if token is ... else token
        if bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        if json_body is not None:
            content = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        body = content or b""
        started = time.monotonic()
        status, response_headers, received, error = None, httpx.Headers(), b"", None
        try:
            request = self._client.build_request(method, url, content=content, headers=sent)
            status, response_headers, received = self._wait(self._send(request))
        except BodyTooLarge as too_large:
            error = str(too_large)
            raise BodyTooLarge(self.recorder.redact(error)) from None
        except (TimeoutError, httpx.TimeoutException):
            error = f"no complete answer within {self.timeout:g} s"
            raise TargetError(self.recorder.redact(f"{method} {url}: {error}")) from None
        except httpx.HTTPError as failure:
            error = (
                f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
            )
            raise TargetError(self.recorder.redact(f"{method} {url}: {error}")) from None
        finally:
            self.recorder.record(
                method=method,
                url=url,
                request_headers=sent,
                request_body=body,
                status=status,
                response_headers=response_headers.multi_items(),
                response_body=received,
                elapsed_ms=(time.monotonic() - started) * 1000,
                error=error,
            )
        return Reply(status=status, headers=response_headers, content=received, url=url)

    def _refusal(self, url: str) -> str | None:
        """Why ``url`` may not be requested (not on an origin of the target), or None."""
        try:
            origin = origin_of(url)
        except httpx.InvalidURL:
            origin = ("", "", None)
        if origin in self.origins:
            return None
        targets = ", ".join(sorted(_shown(o) for o in self.origins))
        return (
            f"not sent: {_shown(origin)} is not an origin of the target ({targets}); "
            "the token goes nowhere else"
        )

    def _wait(self, exchange: Coroutine[Any, Any, _T]) -> _T:
        """Run ``exchange`` on the session's loop; an interrupt of the caller cancels it."""
        future = asyncio.run_coroutine_threadsafe(exchange, self._loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    async def _send(self, request: httpx.Request) -> tuple[int, httpx.Headers, bytes]:
        async with asyncio.timeout(self.timeout):
            response = await self._client.send(request, stream=True)
            try:
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_body:
                        raise BodyTooLarge(
                            f"{request.method} {request.url}: answer larger than "
                            f"{self.max_body} bytes"
                        )
                    chunks.append(chunk)
                return response.status_code, response.headers, b"".join(chunks)
            finally:
                await response.aclose()
