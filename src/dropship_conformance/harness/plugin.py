"""The harness's pytest plugin: the entry point that makes up the harness from its modules.

Registered through the ``pytest11`` entry point, so ``pytest contract_tests --dropship-url ...``
and ``dropship-conformance run ...`` are the same run. As pytest-html and pytest-xdist lay out
theirs, this module adds the options, markers and hooks and sets up the run's state; each role
is a plugin module of its own (``pytest_plugins`` below), reading that state (runstate.py).
"""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from dropship_conformance.catalogue import SUITES, classes
from dropship_conformance.harness import hookspecs, options, report
from dropship_conformance.harness.runstate import (
    EXCHANGES,
    EXPECT,
    INCOMPLETE,
    LISTENERS,
    MATRIX,
    SIGNALS,
    STACK,
    TARGET,
    mark_incomplete,
)

# Importable from here, as before the plugin was split. The modules of ``pytest_plugins`` are
# not imported here: pytest imports them itself, to rewrite their asserts.
__all__ = ["EXCHANGES", "EXPECT", "INCOMPLETE", "LISTENERS", "MATRIX", "TARGET", "mark_incomplete"]

pytest_plugins = [
    "dropship_conformance.harness.selection",
    "dropship_conformance.harness.fixtures",
    "dropship_conformance.harness.distributed",
    "dropship_conformance.harness.preconditions",
    "dropship_conformance.harness.hooks",
    "dropship_conformance.harness.page",
    # The JSON results and the HAR archive.
    "dropship_conformance.harness.outputs",
]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dropship-conformance", "conformance harness")
    for option in options.OPTIONS:
        group.addoption(
            option.flag, dest=option.dest, default=None, help=f"{option.help} (env {option.env})"
        )
    group.addoption(
        "--suite",
        action="append",
        default=[],
        choices=SUITES,
        help="run only this suite (repeatable); default: every suite",
    )


def pytest_configure(config: pytest.Config) -> None:
    for suite in SUITES:
        config.addinivalue_line("markers", f"{suite}: a test of the {suite} suite")
    config.addinivalue_line("markers", "requirements(*ids): the requirement ids a test decides")
    for name, found in classes().items():
        config.addinivalue_line("markers", f"{name}: a test of the conformance class {found.title}")
    config.stash[MATRIX] = config.hook.pytest_dropship_matrix(config=config)
    config.stash[STACK] = ExitStack()
    config.stash[SIGNALS] = ExitStack()


@pytest.hookimpl(trylast=True)
def pytest_dropship_matrix(config: pytest.Config) -> report.Matrix:
    """Every requirement of the catalogue, unless another plugin or conftest gives its own."""
    return report.Matrix()
