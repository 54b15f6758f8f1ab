"""Recorded HTTP exchanges: what a report shows beside each verdict.

A reader must see why a test failed without re-running a request, so every request the
harness makes is kept with its answer. The bearer token is removed here, once, before anything
is stored: nothing downstream (HTML, JUnit, logs) ever sees it.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

REDACTED = "[REDACTED]"
# Bodies are kept whole up to this size for the report; the rest is cut with a note, so a
# 50 MB feed cannot bloat the HTML report.
SHOWN_BODY_BYTES = 64 * 1024
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def _spellings(secret: str) -> set[str]:
    """The forms a reflected secret takes in what the harness writes: as sent, and as a target
    (or the report) may escape it in a URL, a JSON string or HTML."""
    return {secret, quote(secret, safe=""), json.dumps(secret)[1:-1], html.escape(secret)}


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every spelling of every secret replaced by ``[REDACTED]``.

    The one primitive behind every redaction of the harness (recordings, verdict messages,
    failure text, console and reports), so no writer has its own idea of what a secret is.
    """
    spellings = {form for secret in secrets if secret for form in _spellings(secret)}
    # Longest first: a secret that contains another must not be left half-redacted.
    for form in sorted(spellings, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    return text


@dataclass(frozen=True)
class Exchange:
    """One request and its answer (or the error that took its place), token-free."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: str
    status: int | None
    response_headers: tuple[tuple[str, str], ...]
    response_body: str
    elapsed_ms: float
    error: str | None = None
    # The exchange's place in its run (1, 2, ...): the id by which the JSON results and the
    # HAR file refer to it.
    number: int = 0

    def summary(self) -> str:
        outcome = self.error if self.error else str(self.status)
        return f"{self.method} {self.url} -> {outcome}"

    def as_text(self) -> str:
        """The exchange as a reader wants it in a report: request, then response."""
        lines = [f"{self.method} {self.url}"]
        lines += [f"{name}: {value}" for name, value in self.request_headers]
        if self.request_body:
            lines += ["", self.request_body]
        lines.append("")
        if self.error:
            lines.append(f"(no response: {self.error})")
        else:
            lines.append(f"HTTP {self.status}  ({self.elapsed_ms:.0f} ms)")
            lines += [f"{name}: {value}" for name, value in self.response_headers]
            if self.response_body:
                lines += ["", self.response_body]
        return "\n".join(lines)


@dataclass
class Recorder:
    """Collects the exchanges of one test (or of a whole run) with secrets removed."""

    secrets: tuple[str, ...] = field(default=(), repr=False)
    exchanges: list[Exchange] = field(default_factory=list)
    # Called with each exchange and its whole bodies (not yet redacted) as it is recorded: a
    # writer of full traffic (HAR) needs what the report's bounded copy cuts off.
    listeners: list[Callable[[Exchange, bytes, bytes], None]] = field(
        default_factory=list, repr=False
    )
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def redact_headers(self, headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        kept = []
        for name, value in headers:
            if name.lower() in SECRET_HEADERS:
                scheme = value.split(" ", 1)[0] if " " in value else ""
                value = f"{scheme} {REDACTED}".strip()
            kept.append((name, self.redact(value)))
        return tuple(kept)

    def shown_body(self, content: bytes) -> str:
        text = content[:SHOWN_BODY_BYTES].decode("utf-8", errors="replace")
        if len(content) > SHOWN_BODY_BYTES:
            text += f"\n... ({len(content) - SHOWN_BODY_BYTES} more bytes not shown)"
        return self.redact(text)

    def record(
        self,
        *,
        method: str,
        url: str,
        request_headers: Mapping[str, str] | Iterable[tuple[str, str]],
        request_body: bytes,
        status: int | None,
        response_headers: Iterable[tuple[str, str]],
        response_body: bytes,
        elapsed_ms: float,
        error: str | None = None,
    ) -> Exchange:
        items = request_headers.items() if isinstance(request_headers, Mapping) else request_headers
        exchange = Exchange(
            method=method,
            url=self.redact(url),
            request_headers=self.redact_headers(items),
            request_body=self.shown_body(request_body),
            status=status,
            response_headers=self.redact_headers(response_headers),
            response_body=self.shown_body(response_body),
            elapsed_ms=elapsed_ms,
            error=self.redact(error) if error else None,
            number=next(self._numbers),
        )
        self.exchanges.append(exchange)
        for listener in self.listeners:
            listener(exchange, request_body, response_body)
        return exchange

    def take(self) -> list[Exchange]:
        """Hand over the exchanges recorded so far and start a new list."""
        taken, self.exchanges = self.exchanges, []
        return taken
