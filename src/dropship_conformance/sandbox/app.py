"""The sandbox ASGI application: both APIs and the test-control API over one store.

``/dropship/v1`` Supplier Orders API, ``/orders/v1`` Orders API, ``/_sandbox`` control API
(ASSUME-SANDBOX-PATHS). Every error is JSON ``{"Message": ...}``: an unknown path answers
404 ``Not found`` (001 §ERRORS), and an unexpected failure is logged and answered 500
``An error has occurred`` without internals.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import control, dropship, orders, tenants
from .bugs import active, bugs_named
from .errors import CATALOGUE, ApiError, api_error_response, error_response
from .feed import RenderCache
from .profile import Profile
from .store import Store

log = logging.getLogger("dropship_conformance.sandbox")


class SegmentConvertor(Convertor[str]):
    """A path segment, possibly empty, as text: ids are validated by hand in the handlers
    so that a bad id gets the documented 400 rather than a 404."""

    regex = "[^/]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("seg", SegmentConvertor())


class CatchAll:
    """Turn any unexpected exception into 500 ``An error has occurred`` (logged, not leaked)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if not started:
                response = error_response("server_error")
                await response(scope, receive, send)


class Refresh:
    """Before each request, catch up with the other sandbox processes on the same database
    (a new tenant, a reset, the clock): the store mirrors them in memory."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.store.shared:
            self.store.refresh()
        await self.app(scope, receive, send)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return api_error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response("not_found")
    if exc.status_code == 405:
        response = error_response("method_not_allowed", method=request.method)
        response.headers["Allow"] = ", ".join(_allowed_methods(request))
        return response
    message = exc.detail if isinstance(exc.detail, str) else "The request is invalid"
    return JSONResponse({"Message": message}, status_code=exc.status_code, headers=exc.headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method of the request's path (RFC 9110 §10.2.1): each method has its own Route,
    and Starlette's own Allow names only those of the first Route that matched the path."""
    methods = {
        method
        for route in request.app.routes
        if isinstance(route, Route)
        and route.methods
        and route.matches(request.scope)[0] is Match.PARTIAL
        for method in route.methods
    }
    return sorted(methods)


def create_app(
    db_path: str = ":memory:",
    store: Store | None = None,
    profile: Profile | None = None,
    *,
    control_api: bool = True,
    control_token: str | None = None,
    admin_token: str | None = None,
    bugs: Collection[str] = (),
) -> Starlette:
    """The sandbox application over the SQLite database ``db_path`` (created and seeded if new).

    ``profile`` picks the readings it follows (:mod:`.profile`); handlers read
    ``request.app.state.profile``. ``control_api`` False leaves the test-control API out
    (its paths answer 404); ``control_token`` serves it only to requests bearing that token.
    ``admin_token`` serves the tenant provisioning API (:mod:`.tenants`), off without it.
    ``bugs`` switches on conditional bugs of :mod:`.bugs` (self-tests of the harness).
    """
    store = store or Store(db_path)
    control_routes = control.routes(token=control_token) if control_api or control_token else []
    admin_routes = tenants.routes(admin_token) if admin_token else []
    app = Starlette(
        # Flat routes, not Mounts: a Mount matches its remaining path with ".*", which
        # stops at a newline, so an id holding %0A would get 404 instead of its 400/401.
        routes=[*dropship.routes(), *orders.routes(), *control_routes, *admin_routes],
        middleware=[Middleware(CatchAll), Middleware(Refresh, store=store)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
    app.state.store = store
    app.state.profile = profile or Profile()
    app.state.bugs = bugs_named(bugs)
    store.page_size = app.state.profile.archive_page_size + active(app, "feed-page-51")
    app.state.render_cache = RenderCache()
    return app


def catalogue() -> dict[str, Any]:
    """The error catalogue, for documentation and tests."""
    return {key: {"status": s, "message": m} for key, (s, m) in CATALOGUE.items()}
