"""An ASGI middleware that records every request a supplier's client makes to the sandbox.

It sits between uvicorn and the sandbox application and passes every message through as it
comes (the client sees the sandbox unchanged), keeping a copy of the request and of the
response. What it keeps is already safe to publish: the Authorization header is reduced to
its scheme plus a verdict on the token (``auth``), and the token is cut out of everything else.
Feed responses are summarised (page id, archive or not, links, entries) when they are
recorded, so the checks never parse XML and a long run does not keep megabytes of feed bodies.

Requests carrying the harness's own marker header (set by the runner on its control-API calls)
are not the client's and are not recorded.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from dropship_conformance.feed.atom import read_feed

ASGIApp = Callable[..., Awaitable[None]]

HARNESS_HEADER = "x-dropship-conformance-harness"
REDACTED = "[REDACTED]"
# Bodies shown in the report are cut here; a feed page is summarised, so this only bounds
# what a reader sees, not what the checks judge. Update bodies are small and kept whole.
SHOWN_FEED_BYTES = 6 * 1024
KEPT_BODY_BYTES = 64 * 1024
# A client in a tight loop must not exhaust the harness: beyond this many requests only the
# count goes on (the storm itself is then obvious from the count and the kept records).
MAX_RECORDS = 50_000


def _text(content: bytes, limit: int) -> str:
    text = content[:limit].decode("utf-8", errors="replace")
    if len(content) > limit:
        text += f"\n... ({len(content) - limit} more bytes not kept)"
    return text


def feed_summary(body: bytes) -> dict[str, Any] | None:
    """What the checks need of a feed document, or None when it is not a readable feed."""
    try:
        doc = read_feed(body)
    except ValueError:
        return None
    self_href = doc.link("self") or ""
    prev_href = doc.link("prev-archive")
    return {
        "page": _page_id(self_href),
        "archive": doc.is_archive,
        "prev": _page_id(prev_href) if prev_href else None,
        "updated": doc.updated.isoformat() if doc.updated else None,
        "digest": hashlib.sha256(body).hexdigest(),
        "entries": [
            {
                "id": entry.id,
                "kind": entry.payload_kind,
                "order_id": (entry.order_id or "").strip().lower() or None,
                "updated": entry.updated.isoformat() if entry.updated else None,
            }
            for entry in doc.entries
        ],
    }


def _page_id(href: str) -> str | None:
    """The PageId of a ``.../Pages(<id>)`` link, lower-case."""
    start = href.rfind("Pages(")
    if start < 0 or not href.endswith(")"):
        return None
    return href[start + len("Pages(") : -1].lower()


class TrafficRecorder:
    """Wraps the sandbox app; ``records`` holds one dict per request of the client."""

    def __init__(self, app: ASGIApp, *, token: str, harness_key: str, origin: float) -> None:
        self.app = app
        self.token = token
        self.harness_key = harness_key
        self.origin = origin
        self.records: list[dict[str, Any]] = []
        self.dropped = 0
        self._lock = threading.Lock()
        # The sandbox's store, for the runner's state queries (the app was built around it).
        self.store = getattr(getattr(app, "state", None), "store", None)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.records)

    def redact(self, text: str) -> str:
        return text.replace(self.token, REDACTED) if self.token else text

    def _auth(self, value: str | None) -> tuple[str, str | None]:
        """(verdict on the Authorization header, the header as it may be shown)."""
        if value is None:
            return "missing", None
        scheme, _, credentials = value.strip().partition(" ")
        shown = f"{scheme} {REDACTED}" if credentials else scheme
        if scheme.lower() != "bearer":
            return "not bearer", self.redact(shown)
        if credentials.strip() != self.token:
            return "wrong token", shown
        return "ok", shown

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        if any(k == HARNESS_HEADER and v == self.harness_key for k, v in headers):
            await self.app(scope, receive, send)
            return
        started = time.monotonic() - self.origin
        request_body = bytearray()

        async def recording_receive() -> dict[str, Any]:
            message = await receive()
            if message.get("type") == "http.request":
                request_body.extend(message.get("body", b""))
            return message

        status = 0
        response_headers: list[tuple[str, str]] = []
        response_body = bytearray()

        async def recording_send(message: dict[str, Any]) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = [
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]
                ]
            elif message["type"] == "http.response.body":
                response_body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, recording_receive, recording_send)
        finally:
            self._record(
                scope,
                started,
                headers,
                bytes(request_body),
                status,
                response_headers,
                response_body,
            )

    def _record(
        self,
        scope: dict[str, Any],
        started: float,
        headers: list[tuple[str, str]],
        request_body: bytes,
        status: int,
        response_headers: list[tuple[str, str]],
        response_body: bytearray,
    ) -> None:
        ended = time.monotonic() - self.origin
        authorization = next((v for k, v in headers if k == "authorization"), None)
        auth, shown_auth = self._auth(authorization)
        kept_headers = [
            (k, shown_auth if k == "authorization" else self.redact(v))
            for k, v in headers
            if k != "authorization" or shown_auth is not None
        ]
        content_type = next((v for k, v in response_headers if k == "content-type"), "")
        body = bytes(response_body)
        summary = None
        if status == 200 and "xml" in content_type.lower():
            summary = feed_summary(body)
        record = {
            "method": scope["method"],
            "path": self.redact(scope["path"]),
            "query": self.redact(scope.get("query_string", b"").decode("latin-1")),
            "headers": kept_headers,
            "auth": auth,
            "body": self.redact(_text(request_body, KEPT_BODY_BYTES)),
            "status": status,
            "response_headers": response_headers,
            "response_body": self.redact(
                _text(body, SHOWN_FEED_BYTES if summary else KEPT_BODY_BYTES)
            ),
            "feed": summary,
            "t": started,
            "t_end": ended,
        }
        with self._lock:
            if len(self.records) >= MAX_RECORDS:
                self.dropped += 1
                return
            record["seq"] = len(self.records) + 1
            self.records.append(record)
