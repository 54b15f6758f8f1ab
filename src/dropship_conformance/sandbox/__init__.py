"""The reference sandbox: a persistent implementation of the Supplier Orders (dropship) API
and the Orders API, plus a test-control API (see :mod:`.control`)."""

from .app import create_app
from .server import running_sandbox, serve_in_thread

__all__ = ["create_app", "running_sandbox", "serve_in_thread"]
