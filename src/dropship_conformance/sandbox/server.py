"""Serving the sandbox with uvicorn: in the foreground (CLI) or in a background thread.

The listening socket is bound before uvicorn starts, so a port that is taken is reported
as one clean error (PortInUse) instead of a traceback, and ``port=0`` picks a free port
whose number is known before the first request.

Connections are bounded (:class:`SandboxProtocol`): a request's headers must arrive within
HEADER_TIMEOUT seconds, past the connection limit an idle connection is closed to make room
(or, with none idle, the new one is refused), protocol-level errors answer in the documented
``{"Message": ...}`` shape, and repeated log lines are rate-limited (:class:`RateLimit`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import errno
import ipaddress
import json
import logging
import os
import resource
import signal
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator
from http import HTTPStatus
from typing import Any, NamedTuple

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..errors import ConformanceError
from .app import create_app
from .profile import Profile
from .store import Store

HEADER_TIMEOUT = 10.0
# File descriptors kept for the database, its journal, logs and the listening socket.
RESERVED_FDS = 64
LOG_INTERVAL = 10.0
PR_SET_PDEATHSIG = 1
WORKER_STOP_TIMEOUT = 10.0
# A worker that fails at once (database gone) is not restarted in a tight loop.
WORKER_RESTART_DELAY = 1.0

log = logging.getLogger("dropship_conformance.sandbox")


class PortInUse(ConformanceError):
    """The requested host:port cannot be bound."""


def connection_limit() -> int:
    """Connections served at once: below the process's file-descriptor limit, so that running
    out of descriptors refuses new connections instead of failing the database and everyone."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 4096
    return max(16, min(4096, soft - RESERVED_FDS))


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) is reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _raw_response(status: int, message: str) -> bytes:
    """A complete error response in the documented shape, written outside h11: a server may
    not send an h11 Response before it has received a request."""
    body = json.dumps({"Message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "content-type: application/json; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class SandboxProtocol(H11Protocol):
    """uvicorn's h11 protocol with the bounds uvicorn lacks.

    uvicorn has no header timeout: a client dripping one header line every few seconds held
    a connection (and its descriptor) for ever, and 1,100 of them starved every client. Here
    the headers of each request must arrive within ``header_timeout`` (else 408 and close),
    and past ``max_connections`` the oldest connection that is between requests is closed
    to make room. uvicorn's ``limit_concurrency`` is not used: it answers 503 to everyone
    instead of shedding the idle connections.
    """

    header_timeout: float = HEADER_TIMEOUT
    max_connections: int = 1024
    _header_timer: asyncio.TimerHandle | None = None
    _opened: float = 0.0
    _partial = False

    # uvicorn's H11Protocol narrows asyncio's BaseTransport to Transport (and ignores it too).
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.max_connections and not self._evict_idle():
            self.transport = transport
            transport.abort()
            log.warning(
                "connection limit (%d) reached: new connection refused", self.max_connections
            )
            return
        super().connection_made(transport)
        self._opened = time.monotonic()
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._partial = True
        super().data_received(data)

    def on_response_complete(self) -> None:
        self._partial = False
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_timer()

    def send_400_response(self, msg: str) -> None:
        self.transport.write(_raw_response(400, "The request is invalid"))
        self.transport.close()

    def _between_requests(self) -> bool:
        return self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE

    def _evict_idle(self) -> bool:
        idle = [c for c in self.connections if isinstance(c, SandboxProtocol) and c._idle()]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c._opened)
        oldest.transport.abort()
        self.connections.discard(oldest)
        return True

    def _idle(self) -> bool:
        return self._between_requests() and not self.transport.is_closing()

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if not self._idle():
            return
        if self._partial:
            self.transport.write(
                _raw_response(408, f"The request headers took more than {self.header_timeout:g} s")
            )
        self.transport.close()


def protocol_class(header_timeout: float, max_connections: int) -> type[SandboxProtocol]:
    """A SandboxProtocol with these bounds (uvicorn instantiates the class it is given)."""
    return type(
        "BoundedSandboxProtocol",
        (SandboxProtocol,),
        {"header_timeout": header_timeout, "max_connections": max_connections},
    )


class RateLimit(logging.Filter):
    """Let the same log line (logger, level, message template) through once per interval.

    Under a flood (malformed requests, descriptor exhaustion) uvicorn and asyncio log one
    line per event: 172 MB in 20 s once. The next line let through counts those dropped.
    """

    def __init__(self, interval: float = LOG_INTERVAL) -> None:
        super().__init__()
        self.interval = interval
        self._last: dict[tuple[str, int, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        now = time.monotonic()
        with self._lock:
            last, dropped = self._last.get(key, (float("-inf"), 0))
            if now - last < self.interval:
                self._last[key] = (last, dropped + 1)
                return False
            if len(self._last) > 1000:
                self._last.clear()
            self._last[key] = (now, 0)
        if dropped:
            record.msg = f"{record.msg} ({dropped} similar lines suppressed)"
        return True


RATE_LIMITED_LOGGERS = ("uvicorn.error", "asyncio", "dropship_conformance.sandbox")


def limit_log_rates(interval: float = LOG_INTERVAL) -> None:
    """Install :class:`RateLimit` on the loggers a flood goes to (once per process)."""
    for name in RATE_LIMITED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RateLimit) for f in logger.filters):
            logger.addFilter(RateLimit(interval))


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
    control_api: bool = True,
    control_token: str | None = None,
    admin_token: str | None = None,
    header_timeout: float = HEADER_TIMEOUT,
    max_connections: int | None = None,
    bugs: Collection[str] = (),
) -> uvicorn.Server:
    """A uvicorn server for the sandbox over ``store`` (logging left alone unless asked).

    ``wrap`` puts an ASGI middleware around the application (the fault injector does);
    ``control_api``/``control_token``/``admin_token`` are :func:`.app.create_app`'s;
    ``max_connections`` defaults to :func:`connection_limit`.
    """
    app = create_app(
        store=store,
        profile=profile,
        control_api=control_api,
        control_token=control_token,
        admin_token=admin_token,
        bugs=bugs,
    )
    limit_log_rates()
    config = uvicorn.Config(
        wrap(app) if wrap else app,
        http=protocol_class(header_timeout, max_connections or connection_limit()),
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
    control_api: bool = True,
    header_timeout: float = HEADER_TIMEOUT,
    max_connections: int | None = None,
    admin_token: str | None = None,
    bugs: Collection[str] = (),
) -> SandboxHandle:
    """Start the sandbox on a free loopback port in a daemon thread.

    The control API is on by default: this is the embedded sandbox of ``run`` and
    ``verify-client``, on loopback. Returns (base URL such as ``http://127.0.0.1:54321``,
    stop). ``stop()`` shuts the server down, waits for it, and closes the database; calling
    it twice is harmless. ``bugs`` switches on conditional bugs (:mod:`.bugs`), for self-tests.
    """
    sock = bind_socket(host, port)
    actual_port = sock.getsockname()[1]
    store = Store(db_path)
    server = make_server(
        store,
        wrap=wrap,
        profile=profile,
        control_api=control_api,
        admin_token=admin_token,
        header_timeout=header_timeout,
        max_connections=max_connections,
        bugs=bugs,
    )
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
    control_api: bool = False,
    control_token: str | None = None,
    admin_token: str | None = None,
    workers: int = 1,
    bugs: Collection[str] = (),
) -> None:
    """Run the sandbox in the foreground until interrupted (the CLI's ``sandbox`` command).

    The control API is off unless ``control_api`` or ``control_token`` asks for it. Raises
    PortInUse before anything starts when host:port cannot be bound. ``workers`` > 1 serves
    the one listening socket from that many processes (:func:`_supervise`).
    """
    sock = bind_socket(host, port)
    store = Store(db_path, synchronous=synchronous)

    def serve(store: Store) -> None:
        server = make_server(
            store,
            log_level=log_level,
            access_log=log_level in ("info", "debug", "trace"),
            configure_logging=True,
            profile=profile,
            control_api=control_api,
            control_token=control_token,
            admin_token=admin_token,
            bugs=bugs,
        )
        server.run(sockets=[sock])

    try:
        if on_ready is not None:
            on_ready(url_of(host, sock.getsockname()[1]), store)
        if workers <= 1:
            serve(store)
            return
        # The schema and the seed exist now; each worker opens its own connections (a
        # connection, a pool's threads, must not cross a fork).
        store.close()
        _supervise(workers, lambda: serve(Store(db_path, synchronous=synchronous)))
    finally:
        with contextlib.suppress(OSError):
            sock.close()
        store.close()


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the supervisor dies (even by SIGKILL), so a
    killed sandbox never leaves workers serving its socket."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class _Stop(Exception):
    """SIGINT or SIGTERM reached the supervisor."""


def _supervise(workers: int, serve: Callable[[], None]) -> None:
    """Fork ``workers`` processes that run ``serve`` on the inherited socket; restart one
    that dies; on SIGINT/SIGTERM stop them all (SIGTERM, then SIGKILL after a deadline)."""
    children: set[int] = set()

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _die_with_parent()
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                serve()
            except BaseException:
                log.exception("sandbox worker failed")
                code = 1
            finally:
                os._exit(code)
        children.add(pid)

    def stop(signum: int, frame: object) -> None:
        # Raised, not flagged: Python retries an interrupted waitpid (PEP 475), so only an
        # exception gets the supervisor out of it.
        raise _Stop

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for _ in range(workers):
            spawn()
        while True:
            pid, status = os.waitpid(-1, 0)
            children.discard(pid)
            log.warning("sandbox worker %d ended (status %d): restarted", pid, status)
            time.sleep(WORKER_RESTART_DELAY)
            spawn()
    except (_Stop, ChildProcessError):
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _stop_children(children)


def _stop_children(children: set[int]) -> None:
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + WORKER_STOP_TIMEOUT
    while children and time.monotonic() < deadline:
        for pid in list(children):
            with contextlib.suppress(ChildProcessError):
                done, _ = os.waitpid(pid, os.WNOHANG)
                if not done:
                    continue
            children.discard(pid)
        time.sleep(0.05)
    for pid in children:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
