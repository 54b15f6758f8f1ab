"""A run stopped early (SIGINT, SIGTERM, ``pytest.exit`` on a bound or an unusable target)
still writes both reports, each saying it is incomplete and why.

pytest already writes its reports when a run ends by ``KeyboardInterrupt`` or ``pytest.exit``,
but SIGTERM (what CI sends on a timeout) kills the process outright. The signals are therefore
turned into :class:`Interrupted`, which pytest ends like a Ctrl-C.
"""

from __future__ import annotations

import signal
import threading
import xml.etree.ElementTree as ElementTree
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

import pytest

PREFIX = "dropship-conformance: "
STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# The JUnit property that marks an incomplete run; its value is the reason.
JUNIT_PROPERTY = "incomplete"


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; the message names it."""


def _stop(signum: int, frame: FrameType | None) -> None:
    # A second signal while the reports are being written ends the process at once.
    signal.signal(signum, signal.SIG_DFL)
    raise Interrupted(f"interrupted by {signal.Signals(signum).name}")


def stop_gracefully_on_signals(stack: ExitStack) -> None:
    """Until ``stack`` closes, SIGINT and SIGTERM end the run with its reports written."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in STOPPING_SIGNALS:
        stack.callback(signal.signal, signum, signal.signal(signum, _stop))


def reason_of(error: BaseException) -> str:
    """Why the run stopped early, in one line."""
    if isinstance(error, pytest.exit.Exception):
        return error.msg.removeprefix(PREFIX)
    return str(error) or "interrupted by SIGINT"


def mark_junit(path: str | Path, reason: str) -> None:
    """Add the ``incomplete`` property, with ``reason``, to every test suite of a JUnit file."""
    tree = ElementTree.parse(path)
    for suite in tree.getroot().iter("testsuite"):
        properties = suite.find("properties")
        if properties is None:
            # The xunit2 schema wants <properties> first in a <testsuite>.
            properties = ElementTree.Element("properties")
            suite.insert(0, properties)
        ElementTree.SubElement(properties, "property", name=JUNIT_PROPERTY, value=reason)
    tree.write(path, encoding="utf-8", xml_declaration=True)
