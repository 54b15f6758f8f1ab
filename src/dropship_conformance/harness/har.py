"""Every exchange of a run as an HTTP Archive (HAR 1.2), for browser devtools and HAR tools.

The report keeps a bounded copy of the traffic (bodies cut, long archive walks thinned); the
archive holds all of it, whole bodies included. It is therefore streamed: each exchange is
written as it is recorded, one entry per line, and nothing of it stays in memory.

The token is removed from every entry before it is written (headers, URL and bodies), and once
more from the whole file when it is closed: a second token may only become known during the
run (the sandbox's second identity), after entries that show it were written.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, quote, urlsplit

from dropship_conformance import __version__
from dropship_conformance.client.exchange import REDACTED, Exchange, redact

HAR_VERSION = "1.2"
# HAR has no field for a request that got no answer; browsers write status 0 and keep the
# reason in a custom field (custom fields start with "_").
NO_RESPONSE = 0


def _header_list(headers: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in headers]


def _header(headers: tuple[tuple[str, str], ...], wanted: str) -> str:
    return next((value for name, value in headers if name.lower() == wanted), "")


def _redact_bytes(content: bytes, secrets: tuple[str, ...]) -> bytes:
    for secret in sorted(secrets, key=len, reverse=True):
        for form in {secret, quote(secret, safe="")}:
            content = content.replace(form.encode(), REDACTED.encode())
    return content


def _content(body: bytes, secrets: tuple[str, ...]) -> dict[str, str]:
    """The body as HAR text: UTF-8 as it is, anything else base64 (with ``encoding``)."""
    try:
        return {"text": redact(body.decode("utf-8"), secrets)}
    except UnicodeDecodeError:
        encoded = base64.b64encode(_redact_bytes(body, secrets)).decode("ascii")
        return {"text": encoded, "encoding": "base64"}


def _status_text(status: int | None) -> str:
    try:
        return HTTPStatus(status).phrase if status else ""
    except ValueError:
        return ""


def entry(
    exchange: Exchange,
    request_body: bytes,
    response_body: bytes,
    secrets: tuple[str, ...],
    *,
    finished: datetime,
    exchange_id: str,
    comment: str = "",
) -> dict[str, Any]:
    """One HAR entry for ``exchange`` (whose URL and headers the recorder already redacted)."""
    query = urlsplit(exchange.url).query
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": exchange.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _header_list(exchange.request_headers),
        "queryString": [
            {"name": name, "value": value}
            for name, value in parse_qsl(query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": len(request_body),
    }
    if request_body:
        request["postData"] = {
            "mimeType": _header(exchange.request_headers, "content-type"),
            "params": [],
            **_content(request_body, secrets),
        }
    response: dict[str, Any] = {
        "status": exchange.status if exchange.status is not None else NO_RESPONSE,
        "statusText": _status_text(exchange.status),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _header_list(exchange.response_headers),
        "content": {
            "size": len(response_body),
            "mimeType": _header(exchange.response_headers, "content-type"),
            **_content(response_body, secrets),
        },
        "redirectURL": _header(exchange.response_headers, "location"),
        "headersSize": -1,
        "bodySize": len(response_body),
    }
    if exchange.error:
        response["_error"] = exchange.error
    # The harness measures one span per exchange: the whole of it is counted as waiting.
    started = finished - timedelta(milliseconds=exchange.elapsed_ms)
    return {
        "_id": exchange_id,
        "startedDateTime": started.isoformat(timespec="milliseconds"),
        "time": round(exchange.elapsed_ms, 3),
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": round(exchange.elapsed_ms, 3), "receive": 0},
        "comment": comment,
    }


def exchange_id(number: int, worker: str = "") -> str:
    """The id of an exchange in the JSON results and the HAR file: its number in the run, or
    under pytest-xdist in its worker's part of the run (``gw1-12``)."""
    return f"{worker}-{number}" if worker else str(number)


def fragment_path(path: Path, worker: str) -> Path:
    """Where a pytest-xdist worker streams its entries, for the controller to splice in."""
    return path.with_name(f"{path.name}.{worker}.part")


class HarWriter:
    """Streams exchanges into a HAR file; :meth:`close` completes it.

    Used as a recorder listener (``writer.write``). ``comment`` (the test running) is put on
    each entry, so a reader of the archive knows which test sent a request. A writer of a
    pytest-xdist ``worker`` writes only its entries, to :func:`fragment_path`; the controller's
    writer splices them in when it closes.
    """

    def __init__(self, path: Path, secrets: tuple[str, ...] = (), worker: str = "") -> None:
        self.path = fragment_path(path, worker) if worker else path
        self.secrets = secrets
        self.worker = worker
        self.comment = ""
        self.count = 0
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = self.path.open("w", encoding="utf-8")
        if not worker:
            creator = {"name": "dropship-conformance", "version": __version__}
            head = {"version": HAR_VERSION, "creator": creator, "pages": []}
            # The log object is written up to its entries array; entries follow one per line.
            self._file.write(json.dumps({"log": head})[: -len("}}")] + ', "entries": [\n')

    def write(self, exchange: Exchange, request_body: bytes, response_body: bytes) -> None:
        finished = datetime.now(UTC)
        record = entry(
            exchange,
            request_body,
            response_body,
            self.secrets,
            finished=finished,
            exchange_id=exchange_id(exchange.number, self.worker),
            comment=self.comment,
        )
        line = redact(json.dumps(record, ensure_ascii=False), self.secrets)
        with self._lock:
            if self._file is not None:
                self._append(self._file, line)

    def _append(self, file: IO[str], line: str) -> None:
        # A worker's fragment is bare lines; the controller adds the separators when splicing.
        separator = "," if self.count and not self.worker else ""
        file.write(separator + line.rstrip("\n") + "\n")
        self.count += 1

    def close(self, secrets: tuple[str, ...] = (), fragments: tuple[Path, ...] = ()) -> None:
        """Complete the file, with the entries of ``fragments`` (then removed); secrets learnt
        during the run are removed from all of it."""
        with self._lock:
            if self._file is None:
                return
            for fragment in fragments:
                with fragment.open(encoding="utf-8") as lines:
                    for line in lines:
                        self._append(self._file, line)
                fragment.unlink()
            if not self.worker:
                self._file.write("]}}\n")
            self._file.close()
            self._file = None
        late = tuple(secret for secret in secrets if secret not in self.secrets)
        if late:
            _scrub(self.path, secrets)


def _scrub(path: Path, secrets: tuple[str, ...]) -> None:
    """Redact ``secrets`` in ``path`` line by line (an entry is one line), then replace it."""
    scrubbed = path.with_name(path.name + ".part")
    with path.open(encoding="utf-8") as source, scrubbed.open("w", encoding="utf-8") as sink:
        for line in source:
            sink.write(redact(line, secrets))
    os.replace(scrubbed, path)
