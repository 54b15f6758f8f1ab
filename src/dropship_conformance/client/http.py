"""A bounded, recording HTTP session over httpx.

A target may be slow, broken or hostile. Every request therefore has a connect/read timeout
and a wall-clock deadline for the whole body (a server that drips bytes forever still ends),
and a body larger than the bound is cut off without being held in memory. Failures become a
:class:`TargetError` with one readable line, never a traceback.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from dropship_conformance.client.exchange import Recorder

DEFAULT_TIMEOUT = 15.0
DEFAULT_MAX_BODY = 8 * 1024 * 1024


class TargetError(Exception):
    """The target could not be asked or did not answer in bounds; the message says why."""


class BodyTooLarge(TargetError):
    """The answer was larger than the harness accepts."""


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
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

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
    """Sends requests with a bearer token, bounded, and records each exchange."""

    def __init__(
        self,
        recorder: Recorder,
        *,
        token: str | None,
        timeout: float = DEFAULT_TIMEOUT,
        max_body: int = DEFAULT_MAX_BODY,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.recorder = recorder
        self.token = token
        self.timeout = timeout
        self.max_body = max_body
        # trust_env=False: proxies from the environment must not see the token or redirect
        # traffic meant for the target; redirects are not followed (a redirect is a verdict).
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = ...,  # type: ignore[assignment]
        accept: str = "application/json",
    ) -> Reply:
        """Send one request and return the whole (bounded) answer.

        ``token`` overrides the session's token for this request; ``None`` sends no
        Authorization header (to test that a missing token is refused).
        """
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
            status, response_headers, received = self._send(request, started)
        except BodyTooLarge as too_large:
            error = str(too_large)
            raise
        except httpx.TimeoutException:
            error = f"no complete answer within {self.timeout:.0f} s"
            raise TargetError(f"{method} {url}: {error}") from None
        except httpx.HTTPError as failure:
            error = (
                f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
            )
            raise TargetError(f"{method} {url}: {error}") from None
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

    def _send(self, request: httpx.Request, started: float) -> tuple[int, httpx.Headers, bytes]:
        response = self._client.send(request, stream=True)
        try:
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_body:
                    raise BodyTooLarge(
                        f"{request.method} {request.url}: answer larger than {self.max_body} bytes"
                    )
                if time.monotonic() - started > self.timeout:
                    raise httpx.ReadTimeout("deadline passed", request=request)
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)
        finally:
            response.close()
