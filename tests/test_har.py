"""``--har PATH``: every exchange of a run as HTTP Archive 1.2, with the token redacted."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from dropship_conformance.client.exchange import REDACTED, Recorder
from dropship_conformance.harness.har import HarWriter, fragment_path
from dropship_conformance.sandbox.server import serve_in_thread
from tests.test_results import TOKEN, harness_run

# HAR 1.2's required fields (http://www.softwareishard.com/blog/har-12-spec/).
ENTRY_FIELDS = {"startedDateTime", "time", "request", "response", "cache", "timings"}
REQUEST_FIELDS = {
    "method",
    "url",
    "httpVersion",
    "cookies",
    "headers",
    "queryString",
    "headersSize",
    "bodySize",
}
RESPONSE_FIELDS = {
    "status",
    "statusText",
    "httpVersion",
    "cookies",
    "headers",
    "content",
    "redirectURL",
    "headersSize",
    "bodySize",
}
TIMING_FIELDS = {"send", "wait", "receive"}
SECRET = "s3cr3t-token"


class CountingApp:
    """Counts the HTTP requests the sandbox received: what the archive must hold."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)


def _problems(har: dict[str, Any]) -> list[str]:
    log = har["log"]
    problems = [] if log["version"] == "1.2" and log["creator"]["name"] else ["log header"]
    for index, entry in enumerate(log["entries"]):
        missing = (
            (ENTRY_FIELDS - entry.keys())
            | (REQUEST_FIELDS - entry["request"].keys())
            | (RESPONSE_FIELDS - entry["response"].keys())
            | ({"size", "mimeType"} - entry["response"]["content"].keys())
            | (TIMING_FIELDS - entry["timings"].keys())
        )
        if missing:
            problems.append(f"entry {index}: {sorted(missing)}")
    return problems


@pytest.mark.slow
def test_a_run_archives_every_request_without_the_token(tmp_path: Path) -> None:
    counted: list[CountingApp] = []

    def wrap(app: Any) -> CountingApp:
        counted.append(CountingApp(app))
        return counted[-1]

    with serve_in_thread(":memory:", wrap=wrap) as root:
        run = harness_run(root, tmp_path)
        sent = counted[0].requests
    text = run.har.read_text(encoding="utf-8")
    har = json.loads(text)
    assert run.code == 0
    assert _problems(har) == []
    assert len(har["log"]["entries"]) == sent > 0
    assert TOKEN not in text
    assert any(
        header == {"name": "Authorization", "value": f"Bearer {REDACTED}"}
        for entry in har["log"]["entries"]
        for header in entry["request"]["headers"]
    )


def _record(recorder: Recorder, response_body: bytes, url: str = "http://t/x") -> None:
    recorder.record(
        method="POST",
        url=url,
        request_headers={"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json"},
        request_body=json.dumps({"echo": SECRET}).encode(),
        status=200,
        response_headers=[("content-type", "application/octet-stream"), ("x-echo", SECRET)],
        response_body=response_body,
        elapsed_ms=12.5,
    )


def test_the_token_is_redacted_in_url_headers_and_bodies(tmp_path: Path) -> None:
    path = tmp_path / "x.har"
    writer = HarWriter(path, (SECRET,))
    recorder = Recorder(secrets=(SECRET,), listeners=[writer.write])
    binary = b"\xff\xfe" + SECRET.encode() + b"\x00"
    _record(recorder, binary, url=f"http://t/x?token={SECRET}&page=2")
    _record(recorder, f"text {SECRET}".encode())
    writer.close()
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text
    first, second = json.loads(text)["log"]["entries"]
    assert first["request"]["queryString"] == [
        {"name": "token", "value": REDACTED},
        {"name": "page", "value": "2"},
    ]
    assert first["response"]["content"]["encoding"] == "base64"
    shown = base64.b64decode(first["response"]["content"]["text"])
    assert shown == b"\xff\xfe" + REDACTED.encode() + b"\x00"
    assert first["response"]["content"]["size"] == len(binary)
    assert second["response"]["content"] == {
        "size": len(f"text {SECRET}"),
        "mimeType": "application/octet-stream",
        "text": f"text {REDACTED}",
    }
    assert [first["_id"], second["_id"]] == ["1", "2"]


def test_a_token_learnt_during_the_run_is_removed_when_the_file_closes(tmp_path: Path) -> None:
    path = tmp_path / "late.har"
    writer = HarWriter(path)
    _record(Recorder(listeners=[writer.write]), f"identities: {SECRET}".encode())
    writer.close(secrets=(SECRET,))
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text and json.loads(text)["log"]["entries"]


def test_the_parts_of_xdist_workers_are_spliced_into_one_archive(tmp_path: Path) -> None:
    path = tmp_path / "run.har"
    controller = HarWriter(path)
    _record(Recorder(listeners=[controller.write]), b"probe")
    parts = []
    for worker in ("gw0", "gw1"):
        writer = HarWriter(path, worker=worker)
        recorder = Recorder(listeners=[writer.write])
        _record(recorder, b"one")
        _record(recorder, b"two")
        writer.close()
        parts.append(fragment_path(path, worker))
    controller.close(fragments=tuple(parts))
    har = json.loads(path.read_text(encoding="utf-8"))
    ids = [entry["_id"] for entry in har["log"]["entries"]]
    assert ids == ["1", "gw0-1", "gw0-2", "gw1-1", "gw1-2"]
    assert _problems(har) == [] and not any(p.exists() for p in parts)


@pytest.mark.slow
def test_xdist_workers_parts_make_one_archive_the_results_cite(tmp_path: Path) -> None:
    with serve_in_thread(":memory:") as root:
        run = harness_run(root, tmp_path, "-n", "2", "--dist", "loadfile")
    har = json.loads(run.har.read_text(encoding="utf-8"))
    ids = [entry["_id"] for entry in har["log"]["entries"]]
    data = json.loads(run.results.read_text(encoding="utf-8"))
    cited = {x for r in data["requirements"] for e in r["evidence"] for x in e["exchanges"]}
    assert run.code == 0 and _problems(har) == []
    assert len(ids) == len(set(ids)) and any(i.startswith("gw") for i in ids)
    assert cited and cited <= set(ids)
    assert not list(tmp_path.glob("*.part"))
