"""A recognisable token leaves no trace in the HTML report, the JUnit file or the output, even
when the target reflects it back; target markup is shown escaped in the HTML report, never run.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from pathlib import Path

from .hostile_server import _whole, hostile_server
from .test_hostile_targets import run_harness

MARKUP = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def reflecting_feed(sock, request: bytes) -> None:
    """A 'feed' that echoes the request headers (token included) and some markup."""
    headers = request.decode("latin-1")
    body = f"<feed><title>{html.escape(headers)}</title></feed><!-- {MARKUP} -->{MARKUP}"
    _whole(sock, body.encode(), "application/atom+xml")


def _extras(report: str) -> str:
    """The per-test extras pytest-html embeds (HTML strings inside its JSON data blob)."""
    blob = re.search(r'data-jsonblob="([^"]*)"', report)
    assert blob, "no pytest-html data blob in the report"
    data = json.loads(html.unescape(blob.group(1)))
    return json.dumps(data["tests"])


def test_token_never_appears_and_markup_is_escaped(tmp_path: Path) -> None:
    token = f"RECOGNISABLE-{uuid.uuid4().hex}"
    with hostile_server(reflecting_feed) as server:
        host, port = server.server_address
        run = run_harness(f"http://{host}:{port}", tmp_path, token=token)
        assert any(token.encode() in r for r in server.requests), "the token was not sent"
    for where, text in (("HTML report", run.report), ("JUnit", run.junit), ("output", run.output)):
        assert token not in text, f"the token leaked into the {where}"
    extras = json.loads(_extras(run.report))
    shown = json.dumps(extras)
    assert "[REDACTED]" in shown, "the reflected token should show as redacted"
    assert "<script>" not in shown and "<img src=x" not in shown, (
        "target markup reached the page unescaped"
    )
    assert "&lt;script&gt;alert(" in shown, "target markup should be shown, escaped"
