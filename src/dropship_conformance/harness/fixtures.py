"""The fixtures the suites ask for: the target and its clients, test data, and ``expect``.

Nothing talks to a target until a test asks for ``target``, so the project's own tests are not
slowed by the plugin; the target is then connected once per process.
"""

from __future__ import annotations

import pytest

from dropship_conformance.client import DropshipClient, OrdersClient, SandboxControl, TargetError
from dropship_conformance.harness import interruption, options
from dropship_conformance.harness.runstate import (
    EXPECT,
    FEED_LOCK,
    LISTENERS,
    SIGNALS,
    STACK,
    TARGET,
)
from dropship_conformance.harness.selection import claims
from dropship_conformance.harness.target import Target, open_target
from dropship_conformance.harness.testdata import TestData
from dropship_conformance.verdicts import Expect

# pytest-xdist: the key of ``workerinput`` that hands the target's URLs to the workers.
WORKER_URLS = "dropship_conformance_urls"


def connect(config: pytest.Config) -> Target:
    """Connect to the target once for this process; an unusable one ends the run (exit 2)."""
    given = {option.dest: config.getoption(option.dest) for option in options.OPTIONS}
    urls = getattr(config, "workerinput", {}).get(WORKER_URLS)
    if urls is not None:
        given["dropship_url"], given["orders_url"] = urls
    try:
        settings = options.resolve(given)
        listeners = config.stash.get(LISTENERS, [])
        opened = config.stash[STACK].enter_context(open_target(settings, listeners))
    except (options.OptionError, TargetError) as error:
        pytest.exit(f"dropship-conformance: {error}", returncode=2)
    config.stash[TARGET] = opened
    if FEED_LOCK in config.stash:
        config.stash[FEED_LOCK].guard(opened.session)
    return opened


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The target under test, connected once per run (per worker under pytest-xdist)."""
    interruption.stop_gracefully_on_signals(pytestconfig.stash[SIGNALS])
    return connect(pytestconfig)


@pytest.fixture(scope="session")
def dropship(target: Target) -> DropshipClient:
    return target.dropship


@pytest.fixture(scope="session")
def orders(target: Target) -> OrdersClient:
    return target.orders


@pytest.fixture(scope="session")
def control(target: Target) -> SandboxControl | None:
    """The sandbox's test-control API, or None on a foreign target."""
    return target.control


@pytest.fixture(scope="session")
def testdata(target: Target) -> TestData:
    """Fresh dropship orders for the supplier under test (sandbox control API or Orders API)."""
    return TestData(target)


@pytest.fixture
def expect(request: pytest.FixtureRequest) -> Expect:
    """Judge rules by requirement id (see :mod:`dropship_conformance.verdicts`)."""
    judged = Expect(claims=claims(request.config))
    request.node.stash[EXPECT] = judged
    return judged
