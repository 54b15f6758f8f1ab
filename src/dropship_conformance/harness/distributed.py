"""A run spread over pytest-xdist workers: one target for all of them, and the feed lock.

The controller opens the target before the workers start: the embedded sandbox then runs in the
controller, which runs no test, for all workers (see README); an unreachable target ends the
run once, and the reports have the target's summary. The workers get its URLs and the path of
the run's feed lock (feedlock.py) through ``workerinput``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from dropship_conformance.harness.feedlock import EXCLUSIVE_SUITE, FeedLock
from dropship_conformance.harness.fixtures import WORKER_URLS, connect
from dropship_conformance.harness.runstate import FEED_LOCK, LOCK_PATH, STACK, TARGET

# The key of ``workerinput`` that hands the path of the run's feed lock to the workers.
WORKER_LOCK = "dropship_conformance_feed_lock"


def _xdist_controller(config: pytest.Config) -> bool:
    """This process distributes the tests to pytest-xdist workers and runs none itself."""
    return not hasattr(config, "workerinput") and config.pluginmanager.hasplugin("dsession")


def _exclusive(item: pytest.Item | None) -> bool:
    return item is not None and item.get_closest_marker(EXCLUSIVE_SUITE) is not None


def pytest_configure(config: pytest.Config) -> None:
    lock_path = getattr(config, "workerinput", {}).get(WORKER_LOCK)
    if lock_path is not None:
        config.stash[FEED_LOCK] = FeedLock(lock_path)


def pytest_sessionstart(session: pytest.Session) -> None:
    if _xdist_controller(session.config):
        connect(session.config)
        folder = session.config.stash[STACK].enter_context(tempfile.TemporaryDirectory())
        session.config.stash[LOCK_PATH] = str(Path(folder) / "feed.lock")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    target = node.config.stash.get(TARGET, None)
    if target is not None:
        node.workerinput[WORKER_URLS] = [target.settings.dropship_url, target.settings.orders_url]
        node.workerinput[WORKER_LOCK] = node.config.stash[LOCK_PATH]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    lock = item.config.stash.get(FEED_LOCK, None)
    if lock is not None and _exclusive(item):
        lock.hold_exclusive()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    # A module runs on one worker (--dist loadfile): the lock is held from its first test to
    # its last, module fixtures included.
    lock = item.config.stash.get(FEED_LOCK, None)
    if lock is not None and not _exclusive(nextitem):
        lock.release_exclusive()
