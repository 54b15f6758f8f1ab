"""Typed HTTP clients of the two APIs and of the sandbox's test-control API.

Every request goes through :class:`~dropship_conformance.client.http.HttpSession`, which bounds
time and size, sends nothing to an origin other than the target's, redacts the bearer token, and
records the exchange for the report.
"""

from dropship_conformance.client.control import SandboxControl
from dropship_conformance.client.dropship import DropshipClient
from dropship_conformance.client.exchange import Exchange, Recorder
from dropship_conformance.client.http import ForeignOrigin, HttpSession, Reply, TargetError
from dropship_conformance.client.orders import OrdersClient

__all__ = [
    "DropshipClient",
    "Exchange",
    "ForeignOrigin",
    "HttpSession",
    "OrdersClient",
    "Recorder",
    "Reply",
    "SandboxControl",
    "TargetError",
]
