"""An ASGI middleware that applies one fault to the sandbox's traffic.

Written by hand because the job is small and specific: buffer one request and one response,
hand them to the fault's rewrite functions, and let a fault make extra calls to the wrapped
application (to fake a lenient state machine, say). The test-control API is never touched.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type stubs
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def with_header(self, name: str, value: str | None) -> HttpRequest:
        kept = tuple((k, v) for k, v in self.headers if k.lower() != name.lower())
        return replace(self, headers=kept + (((name, value),) if value is not None else ()))

    def json(self) -> Any:
        return json.loads(self.body)

    def with_json(self, value: Any) -> HttpRequest:
        return replace(self, body=json.dumps(value).encode())

    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query))

    def with_params(self, params: dict[str, str]) -> HttpRequest:
        return replace(self, query=urlencode(params))


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    @property
    def media_type(self) -> str:
        value = next((v for k, v in self.headers if k.lower() == "content-type"), "")
        return value.split(";")[0].strip().lower()

    def json(self) -> Any:
        return json.loads(self.body)

    def with_json(self, value: Any, status: int | None = None) -> HttpResponse:
        return self.with_body(json.dumps(value).encode(), status=status)

    def with_body(self, body: bytes, status: int | None = None) -> HttpResponse:
        headers = tuple((k, v) for k, v in self.headers if k.lower() != "content-length")
        headers += (("content-length", str(len(body))),)
        return HttpResponse(self.status if status is None else status, headers, body)

    def with_header(self, name: str, value: str) -> HttpResponse:
        kept = tuple((k, v) for k, v in self.headers if k.lower() != name.lower())
        return replace(self, headers=(*kept, (name, value)))

    def xml(self) -> etree._Element:
        return etree.fromstring(self.body)

    def with_xml(self, root: etree._Element) -> HttpResponse:
        return self.with_body(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


Call = Callable[[HttpRequest], Awaitable[HttpResponse]]


@dataclass(frozen=True)
class Rewrite:
    """How a fault changes the traffic of the requests it applies to."""

    request: Callable[[HttpRequest], HttpRequest] | None = None
    response: Callable[[HttpRequest, HttpResponse], HttpResponse] | None = None
    # Replaces the call to the application entirely (lost writes, lenient state machines).
    handle: Callable[[HttpRequest, Call], Awaitable[HttpResponse]] | None = None


@dataclass
class FaultInjector:
    """Wraps an ASGI app; ``applies(request)`` picks the requests ``rewrite`` changes."""

    app: ASGIApp
    applies: Callable[[HttpRequest], bool]
    rewrite: Rewrite
    calls: int = field(default=0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = HttpRequest(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]),
            body=body,
        )
        if self.applies(request):
            self.calls += 1
            response = await self._faulty(scope, request)
        else:
            response = await self._call(scope, request)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.body})

    async def _faulty(self, scope: Scope, request: HttpRequest) -> HttpResponse:
        rewrite = self.rewrite
        if rewrite.request is not None:
            request = rewrite.request(request)
        if rewrite.handle is not None:
            response = await rewrite.handle(request, lambda r: self._call(scope, r))
        else:
            response = await self._call(scope, request)
        if rewrite.response is not None:
            response = rewrite.response(request, response)
        return response

    async def _call(self, scope: Scope, request: HttpRequest) -> HttpResponse:
        """Run the wrapped app on ``request`` and collect its whole response."""
        inner = dict(scope)
        inner.update(
            method=request.method,
            path=request.path,
            raw_path=request.path.encode(),
            query_string=request.query.encode("latin-1"),
            headers=[
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers
            ],
        )
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": request.body, "more_body": False}

        status, headers, chunks = 500, [], []

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(inner, receive, send)
        return HttpResponse(status, tuple(headers), b"".join(chunks))
