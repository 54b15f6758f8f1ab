"""What keeps runs fast without changing a verdict: the walk fetches the next archive page while
it judges this one, and a feed whose entries the harness cannot read ends the wait for an
order's entry at once instead of after the whole event wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from dropship_conformance.errors import SetupImpossible
from dropship_conformance.feed import walk as walk_module
from dropship_conformance.feed.walk import walk
from dropship_conformance.harness import options
from dropship_conformance.harness.testdata import TestData

from .test_feed_reader import FEED_URL, page_url
from .test_walk import Server, chain

# A bound on each wait of these tests; reached only when the behaviour under test is broken.
DEADLINE = 10.0
FOREIGN_ENTRY = "urn:uuid:3f0c1c8e-2a4b-4c7d-9e1f-5a6b7c8d9e0f"
FOREIGN_FEED = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:uuid:5d4e2d0a-6c55-4a0e-8d1c-0d3c7a1e9f10</id>
  <title>Order feed</title>
  <updated>2026-01-01T00:00:00Z</updated>
  <author><name>stub</name></author>
  <entry>
    <id>{FOREIGN_ENTRY}</id>
    <title>Dropship Order Created</title>
    <updated>2026-01-01T00:00:00Z</updated>
    <content type="application/xml"><order-created xmlns="urn:example:other"/></content>
  </entry>
</feed>""".encode()


def _until(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` until it holds or :data:`DEADLINE` passes."""
    pause = threading.Event()
    for _ in range(int(DEADLINE / 0.01)):
        if condition():
            return
        pause.wait(0.01)


def test_the_next_archive_is_fetched_while_this_one_is_judged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = Server(chain(4))
    judging = walk_module.check_root
    asked_while_judging: list[int] = []

    def check_root(root: Any, role: str) -> Any:
        if role == "archive":
            judged = len(asked_while_judging)
            if judged < 3:  # archives 4, 3 and 2 have an older one to fetch ahead
                _until(lambda: len(server.requested) > judged + 2)
            asked_while_judging.append(len(server.requested))
        return judging(root, role)

    monkeypatch.setattr(walk_module, "check_root", check_root)
    result = walk(server.fetch, FEED_URL)
    assert result.problems == {} and result.archives == 4
    # Judging archive 4, 3, 2 the next one older was already asked for; archive 1 has none.
    assert asked_while_judging == [3, 4, 5, 5]
    # The walk's requests, their order and number are those of a walk without fetching ahead.
    assert server.requested == [FEED_URL, *map(page_url, (4, 3, 2, 1, 2, 3, 4, 5))]


def _foreign_target() -> tuple[Any, list[int]]:
    """A foreign target whose feed holds one entry in another namespace than the dropship one."""
    polls: list[int] = []
    settings = replace(
        options.resolve({}, {}),
        dropship_url="http://stub.invalid/v1",
        orders_url="http://stub.invalid/v1",
        event_wait=DEADLINE,
    )
    reply = SimpleNamespace(status=200, content=FOREIGN_FEED, url="http://stub.invalid/feed")

    def notifications(**_: Any) -> Any:
        polls.append(1)
        return reply

    dropship = SimpleNamespace(notifications=notifications, follow=lambda *_, **__: reply)
    return SimpleNamespace(settings=settings, control=None, dropship=dropship), polls


def test_a_new_unreadable_entry_ends_the_wait_for_the_order_at_once() -> None:
    target, polls = _foreign_target()
    with pytest.raises(SetupImpossible) as skipped:
        TestData(target).find_created(lambda _: True, wait=DEADLINE, before=frozenset())
    assert len(polls) == 1
    assert FOREIGN_ENTRY in str(skipped.value) and "DS-FEED-011" in str(skipped.value)


def test_an_unreadable_entry_older_than_the_order_is_no_reason_to_stop() -> None:
    target, polls = _foreign_target()
    with pytest.raises(SetupImpossible) as skipped:
        TestData(target).find_created(lambda _: True, wait=0.5, before=frozenset({FOREIGN_ENTRY}))
    assert len(polls) > 1
    assert "no matching order-created entry" in str(skipped.value)
