"""The archive suite on its own, against fresh sandboxes, as a user runs it.

It builds its precondition on any target (no skip, no vacuous pass on a feed without archives),
with or without the sandbox's control API, and fails a server that breaks a walk rule: a wrong
rel="current" link on an archive page (DS-FEED-010), a link to another origin (DS-ARCH-010,
never followed), a feed whose archive cannot be built (not checked, never passed). The feed
suite, likewise, fails a self link to another origin without following it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree

from dropship_conformance.faults.proxy import (
    Call,
    FaultInjector,
    HttpRequest,
    HttpResponse,
    Rewrite,
)
from dropship_conformance.sandbox.server import serve_in_thread

pytestmark = pytest.mark.slow

ATOM = "{http://www.w3.org/2005/Atom}"
RUN_SECONDS = 300
# What the walk observes once an archive exists; each must be passed, none skipped.
OBSERVED = {
    "DS-ARCH-001",
    "DS-ARCH-003",
    "DS-ARCH-004",
    "DS-ARCH-005",
    "DS-ARCH-008",
    "DS-ARCH-009",
    "DS-ARCH-010",
    "DS-FEED-010",
    "DS-FEED-015",
}
Edit = Callable[[etree._Element], None]


def verdicts(junit: Path) -> dict[str, set[str]]:
    """Requirement id -> the verdicts the run's tests gave it."""
    found: dict[str, set[str]] = {}
    for prop in ElementTree.parse(junit).iter("property"):
        if prop.get("name") == "requirement":
            rid, _, verdict = (prop.get("value") or "").partition(" ")
            found.setdefault(rid, set()).add(verdict)
    return found


def run_suite(
    root: str | None, folder: Path, *options: str, suite: str = "archive"
) -> tuple[int, dict[str, set[str]], str]:
    """``dropship-conformance run --suite SUITE`` against ``root`` (None: embedded)."""
    junit = folder / "junit.xml"
    command = [sys.executable, "-m", "dropship_conformance.cli", "run", "--suite", suite]
    command += options
    if root is not None:
        command += ["--dropship-url", f"{root}/dropship/v1", "--orders-url", f"{root}/orders/v1"]
    command += ["--report", str(folder / "report.html"), "--junitxml", str(junit)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_SECONDS, check=False, cwd=folder
    )
    return done.returncode, verdicts(junit), done.stdout + done.stderr


def on_pages(edit: Edit, page: str = "/Notifications/Pages(") -> Callable[[object], object]:
    """Wrap the sandbox so that every feed page whose path holds ``page`` (default: every
    archive page) is changed by ``edit``."""

    def response(_: HttpRequest, reply: HttpResponse) -> HttpResponse:
        if reply.status != 200 or reply.media_type != "application/atom+xml":
            return reply
        root = reply.xml()
        edit(root)
        return reply.with_xml(root)

    def applies(request: HttpRequest) -> bool:
        return request.method == "GET" and page in request.path

    return lambda app: FaultInjector(app, applies, Rewrite(response=response))


def drop_link(rel: str) -> Edit:
    def edit(root: etree._Element) -> None:
        for link in root.findall(f"{ATOM}link"):
            if link.get("rel") == rel:
                root.remove(link)

    return edit


def set_link(rel: str, href: Callable[[str], str]) -> Edit:
    def edit(root: etree._Element) -> None:
        for link in root.findall(f"{ATOM}link"):
            if link.get("rel") == rel:
                link.set("href", href(link.get("href") or ""))

    return edit


@contextmanager
def connection_trap() -> Iterator[tuple[int, list[object]]]:
    """A loopback port that records every connection made to it."""
    caught: list[object] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    running = True

    def accept() -> None:
        while running:
            try:
                connection, address = listener.accept()
            except OSError:
                continue
            caught.append(address)
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], caught
    finally:
        running = False
        thread.join()
        listener.close()


def test_alone_on_a_fresh_sandbox_without_control_api_it_builds_archives(tmp_path: Path) -> None:
    """The foreign-target path: an order through the Orders API, then status updates."""
    with serve_in_thread(":memory:", control_api=False) as root:
        code, found, output = run_suite(root, tmp_path)
    assert code == 0, output
    for rid in OBSERVED:
        assert found.get(rid, set()) & {"passed"}, f"{rid}: {found.get(rid)}\n{output}"
        assert not found[rid] & {"failed", "not checked"}, f"{rid}: {found[rid]}"


def test_alone_on_the_embedded_sandbox_it_builds_archives(tmp_path: Path) -> None:
    code, found, output = run_suite(None, tmp_path)
    assert code == 0, output
    for rid in OBSERVED:
        assert found.get(rid) == {"passed"}, f"{rid}: {found.get(rid)}\n{output}"


def test_no_walk_rule_passes_when_no_archive_can_be_built(tmp_path: Path) -> None:
    """Status updates refused and no control API: the feed keeps no archive, so the walk rules
    are skipped with the reason, never passed."""

    async def refuse(_: HttpRequest, __: Call) -> HttpResponse:
        return HttpResponse(400, (("content-type", "application/json"),), b'{"Message":"no"}')

    def updates(request: HttpRequest) -> bool:
        return request.method == "PUT" and request.path.endswith("/OrderStatusUpdate")

    wrap = lambda app: FaultInjector(app, updates, Rewrite(handle=refuse))  # noqa: E731
    with serve_in_thread(":memory:", control_api=False, wrap=wrap) as root:
        code, found, output = run_suite(root, tmp_path)
    assert code == 0, output
    for rid in OBSERVED:
        assert found.get(rid) == {"skipped"}, f"{rid}: {found.get(rid)}"
    assert "cannot add events to the feed" in (tmp_path / "report.html").read_text()


def test_a_wrong_current_link_on_archive_pages_fails_ds_feed_010(tmp_path: Path) -> None:
    other_supplier = set_link("current", lambda href: href.replace("(60455)", "(14107)"))
    with serve_in_thread(":memory:", wrap=on_pages(other_supplier)) as root:
        code, found, output = run_suite(root, tmp_path)
    assert code == 1, output
    assert "failed" in found["DS-FEED-010"]


def test_a_link_to_another_origin_fails_ds_arch_010_and_is_never_followed(
    tmp_path: Path,
) -> None:
    with connection_trap() as (port, caught):
        elsewhere = set_link(
            "next-archive",
            lambda href: urlsplit(href)._replace(netloc=f"127.0.0.1:{port}").geturl(),
        )
        with serve_in_thread(":memory:", wrap=on_pages(elsewhere)) as root:
            code, found, output = run_suite(root, tmp_path)
    assert code == 1, output
    assert "failed" in found["DS-ARCH-010"]
    assert caught == [], "the harness connected to the other origin"


def test_entries_rolled_out_of_sight_fail_ds_arch_009(tmp_path: Path) -> None:
    """The current document never links its archive: the entries that filled it vanish."""
    unlinked = on_pages(drop_link("prev-archive"), page="/Notifications")
    with serve_in_thread(":memory:", control_api=False, wrap=unlinked) as root:
        code, found, output = run_suite(root, tmp_path, "--event-wait", "2")
    assert code == 1, output
    assert "failed" in found["DS-ARCH-009"]
    # Only the precondition's finding fails DS-ARCH-005: the walk itself saw no archive.
    assert "failed" in found["DS-ARCH-005"]


def test_the_page_bound_leaves_the_rest_not_checked(tmp_path: Path) -> None:
    code, found, output = run_suite(None, tmp_path, "--archive-max-pages", "2")
    assert code == 0, output
    assert found["DS-ARCH-009"] == {"skipped", "passed"}, found["DS-ARCH-009"]
    assert found["DS-ARCH-004"] == {"passed"}
    assert "--archive-max-pages" in (tmp_path / "report.html").read_text()
    # A bound hit leaves the verdicts it has, and both reports and the console say incomplete.
    assert "incomplete" in output
    assert "incomplete" in (tmp_path / "report.html").read_text()
    assert 'name="incomplete"' in (tmp_path / "junit.xml").read_text()


def test_a_self_link_to_another_origin_fails_the_feed_suite_and_is_never_followed(
    tmp_path: Path,
) -> None:
    with connection_trap() as (port, caught):
        elsewhere = set_link(
            "self", lambda href: urlsplit(href)._replace(netloc=f"127.0.0.1:{port}").geturl()
        )
        with serve_in_thread(":memory:", wrap=on_pages(elsewhere, page="/Notifications")) as root:
            code, found, output = run_suite(root, tmp_path, suite="feed")
    assert code == 1, output
    assert "failed" in found["DS-FEED-010"]
    assert found["DS-ARCH-007"] == {"skipped"}
    assert caught == [], "the harness connected to the other origin"
