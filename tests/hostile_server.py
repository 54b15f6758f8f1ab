"""A deliberately hostile HTTP server for the harness's hardening tests.

Written on raw sockets on purpose: the point is to misbehave at the byte level (truncate,
reset, stall, stream forever), which no well-behaved framework lets a handler do. Every
request gets a plain JSON 404 except the order feed, which answers with the chosen behaviour
(or every request does, with ``everywhere=True``).
"""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

VALID_FEED = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<feed xmlns="http://www.w3.org/2005/Atom">'
    b'<title type="text">Dropship Order Event Feed</title>'
    b"<id>urn:uuid:f1be4a74-508f-4159-b3f1-c6efe76c03e4</id><updated>2015-10-23T21:37:34Z</updated>"
    b"<author><name>iQmetrix</name></author></feed>"
)


# A hostile trickle: one piece this often, for this long (far beyond any test's timeout).
DRIP_SECONDS = 0.3
DRIP_FOR_SECONDS = 20.0


def _head(status: str, media_type: str, length: int | None = None, extra: str = "") -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Type: {media_type}", "Connection: close"]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    return ("\r\n".join(lines) + extra + "\r\n\r\n").encode()


def _whole(sock: socket.socket, body: bytes, media_type: str = "application/atom+xml") -> None:
    sock.sendall(_head("200 OK", media_type, len(body)) + body)


def xml_with_doctype(doctype: str, content: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{doctype}'
        f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{content}</title></feed>'
    ).encode()


def billion_laughs() -> bytes:
    """Nine levels of ten-fold entity references: 10**9 "lol"s if anyone expanded them."""
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return xml_with_doctype(f"<!DOCTYPE feed [{''.join(entities)}]>", "&lol9;")


def huge(sock: socket.socket) -> None:
    size = 50 * 1024 * 1024
    sock.sendall(_head("200 OK", "application/atom+xml", size))
    chunk = b"<!-- " + b"x" * (64 * 1024 - 9) + b" -->"
    sent = 0
    try:
        while sent < size:
            piece = chunk[: size - sent]
            sock.sendall(piece)
            sent += len(piece)
    except OSError:
        pass


def endless(sock: socket.socket) -> None:
    sock.sendall(_head("200 OK", "application/atom+xml") + b"6\r\n<feed>\r\n")
    try:
        while True:
            sock.sendall(b"5\r\n<a/>\n\r\n")
            time.sleep(0.05)
    except OSError:
        pass


def _trickle(sock: socket.socket, first: bytes, piece: Callable[[int], bytes]) -> None:
    """Send ``first``, then a piece every DRIP_SECONDS: every read of the client is answered
    well within any read timeout, yet the answer never completes. Bounded by DRIP_FOR_SECONDS
    so a harness without a true deadline fails its test instead of hanging it."""
    try:
        sock.sendall(first)
        stop = time.monotonic() + DRIP_FOR_SECONDS
        count = 0
        while time.monotonic() < stop:
            time.sleep(DRIP_SECONDS)
            sock.sendall(piece(count))
            count += 1
    except OSError:
        pass


def drip_headers(sock: socket.socket) -> None:
    _trickle(sock, b"HTTP/1.1 200 OK\r\n", lambda n: f"X-Drip-{n}: {n}\r\n".encode())


def endless_informational(sock: socket.socket) -> None:
    _trickle(sock, b"", lambda n: b"HTTP/1.1 102 Processing\r\n\r\n")


def reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def silent(sock: socket.socket) -> None:
    sock.settimeout(60)
    try:
        while sock.recv(1024):
            pass
    except OSError:
        pass


Behaviour = Callable[[socket.socket, bytes], None]

BEHAVIOURS: dict[str, Behaviour] = {
    "xxe": lambda s, r: None,  # filled by the test, which knows the canary file
    "bomb": lambda s, r: _whole(s, billion_laughs()),
    "huge": lambda s, r: huge(s),
    "invalid-utf8": lambda s, r: _whole(
        s, VALID_FEED.replace(b"iQmetrix", b"iQ\xff\xfe\xc3\x28metrix")
    ),
    "truncated": lambda s, r: _whole(s, VALID_FEED[: len(VALID_FEED) // 2]),
    "json": lambda s, r: _whole(s, json.dumps({"feed": []}).encode(), "application/json"),
    "endless": lambda s, r: endless(s),
    "reset": lambda s, r: reset(s),
    "silent": lambda s, r: silent(s),
    "drip-headers": lambda s, r: drip_headers(s),
    "endless-1xx": lambda s, r: endless_informational(s),
}


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = sock.recv(65536)
            if not chunk:
                return
            request += chunk
        path = request.split(b" ", 2)[1].decode("latin-1")
        self.server.requests.append(request)
        if self.server.everywhere or "/Notifications" in path:
            self.server.behaviour(sock, request)
        else:
            body = json.dumps({"Message": "Not found"}).encode()
            sock.sendall(_head("404 Not Found", "application/json", len(body)) + body)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, behaviour: Behaviour, everywhere: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour
        self.everywhere = everywhere
        self.requests: list[bytes] = []


@contextmanager
def hostile_server(behaviour: Behaviour, *, everywhere: bool = False) -> Iterator[_Server]:
    """Serve ``behaviour`` for the feed (or every path) on a free loopback port; yields it."""
    server = _Server(behaviour, everywhere)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def connection_trap() -> Iterator[tuple[int, list[tuple[str, int]]]]:
    """A listening port that records every connection made to it (there should be none)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    caught: list[tuple[str, int]] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, address = listener.accept()
            except OSError:
                continue
            caught.append(address)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], caught
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()
