"""Every check of a server requirement, registered under its id (see registry.py).

The modules are grouped by the catalogue's prefixes; primitives.py holds what several of them
compare by (media types, GUIDs, status names, numbers, how a reply is described).
"""

from __future__ import annotations

import importlib
import pkgutil

from dropship_conformance.checks.registry import Check, Observation, check, registered_ids

__all__ = ["Check", "Observation", "check", "load_all", "registered_ids"]

# Modules outside this package that register checks: the archive walk judges whole walks.
ELSEWHERE = ("dropship_conformance.feed.walk",)
NOT_CHECKS = {"registry", "generate", "ids", "primitives"}


def load_all() -> None:
    """Import every module that registers checks, so the registry is complete."""
    for module in pkgutil.iter_modules(__path__):
        if module.name not in NOT_CHECKS:
            importlib.import_module(f"{__name__}.{module.name}")
    for name in ELSEWHERE:
        importlib.import_module(name)
