"""Serving the sandbox with uvicorn: in the foreground (CLI) or in a background thread.

The listening socket is bound before uvicorn starts, so a port that is taken is reported
as one clean error (PortInUse) instead of a traceback, and ``port=0`` picks a free port
whose number is known before the first request.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import uvicorn

from .app import create_app
from .profile import Profile
from .store import Store


class PortInUse(Exception):
    """The requested host:port cannot be bound."""


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0 = any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP (not 0): asyncio sets TCP_NODELAY on accepted connections
    # only then, and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        raise PortInUse(f"cannot listen on {host}:{port}: {exc}") from None
    sock.set_inheritable(True)
    return sock


def url_of(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def make_server(
    store: Store,
    *,
    log_level: str = "warning",
    access_log: bool = False,
    configure_logging: bool = False,
    wrap: Callable[[Any], Any] | None = None,
    profile: Profile | None = None,
) -> uvicorn.Server:
    """A uvicorn server for the sandbox over ``store`` (logging left alone unless asked).

    ``wrap`` puts an ASGI middleware around the application (the fault injector does).
    """
    app = create_app(store=store, profile=profile)
    config = uvicorn.Config(
        wrap(app) if wrap else app,
        log_level=log_level,
        access_log=access_log,
        log_config=uvicorn.config.LOGGING_CONFIG if configure_logging else None,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


class SandboxHandle(NamedTuple):
    """A sandbox running in a background thread.

    Unpack it (``base_url, stop = serve_in_thread()``) or use it as a context manager
    (``with serve_in_thread() as base_url:``), which stops the server on exit.
    """

    base_url: str
    stop: Callable[[], None]

    def __enter__(self) -> str:
        return self.base_url

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_in_thread(
    db_path: str = ":memory:",
    host: str = "127.0.0.1",
    port: int = 0,
    wrap: Callable[[Any], Any] | None = None,
    profile: Profile | None = None,
) -> SandboxHandle:
    """Start the sandbox on a free loopback port in a daemon thread.

    Returns (base URL such as ``http://127.0.0.1:54321``, stop). ``stop()`` shuts the
    server down, waits for it, and closes the database; calling it twice is harmless.
    """
    sock = bind_socket(host, port)
    actual_port = sock.getsockname()[1]
    store = Store(db_path)
    server = make_server(store, wrap=wrap, profile=profile)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="dropship-sandbox", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            store.close()
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.01)
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        server.should_exit = True
        thread.join(timeout=15)
        with contextlib.suppress(OSError):
            sock.close()
        store.close()

    return SandboxHandle(url_of(host, actual_port), stop)


@contextlib.contextmanager
def running_sandbox(db_path: str = ":memory:") -> Iterator[str]:
    """``with running_sandbox() as base_url:`` - a sandbox for the duration of the block."""
    with serve_in_thread(db_path) as base_url:
        yield base_url


def serve_forever(
    host: str,
    port: int,
    db_path: str,
    *,
    log_level: str = "info",
    synchronous: str = "normal",
    on_ready: Callable[[str, Store], None] | None = None,
    profile: Profile | None = None,
) -> None:
    """Run the sandbox in the foreground until interrupted (the CLI's ``sandbox`` command).

    Raises PortInUse before anything starts when host:port cannot be bound.
    """
    sock = bind_socket(host, port)
    store = Store(db_path, synchronous=synchronous)
    try:
        server = make_server(
            store,
            log_level=log_level,
            access_log=log_level in ("info", "debug", "trace"),
            configure_logging=True,
            profile=profile,
        )
        if on_ready is not None:
            on_ready(url_of(host, sock.getsockname()[1]), store)
        server.run(sockets=[sock])
    finally:
        with contextlib.suppress(OSError):
            sock.close()
        store.close()
