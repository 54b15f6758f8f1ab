"""The feed lock of a parallel run: the archive suite counts the supplier's feed alone.

The archive suite counts the supplier's feed entries one event at a time (the 49th, 50th and
51st entry; every entry walked against the sandbox's count): an event another pytest-xdist
worker adds in between would make a conformant target look broken. So, under pytest-xdist, a
worker holds the run's feed lock exclusively while it runs archive tests, and every other
worker's write (any request but GET or HEAD: a write may add a feed event) holds it shared.
Reads never wait. The lock is a ``flock`` on a file the controller creates for the run.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dropship_conformance.client import HttpSession, TargetError

#: The suite that must see the feed change only by its own events.
EXCLUSIVE_SUITE = "archive"
#: How long a write waits for another worker's archive suite: more than its walk's own time
#: bound (300 s, ``--archive-max-seconds``) and the rest of the suite.
LOCK_SECONDS = 900.0
_POLL_SECONDS = 0.05
_READS = frozenset({"GET", "HEAD"})


class FeedLock:
    """One worker's handle on the run's feed lock."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._exclusive: int | None = None

    def _acquire(self, mode: int, what: str) -> int:
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + LOCK_SECONDS
        while True:
            try:
                fcntl.flock(handle, mode | fcntl.LOCK_NB)
                return handle
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(handle)
                    raise TargetError(
                        f"{what} waited {LOCK_SECONDS:g} s for another worker's archive suite"
                    ) from None
                time.sleep(_POLL_SECONDS)

    def hold_exclusive(self) -> None:
        if self._exclusive is None:
            self._exclusive = self._acquire(fcntl.LOCK_EX, "the archive suite")

    def release_exclusive(self) -> None:
        if self._exclusive is not None:
            fcntl.flock(self._exclusive, fcntl.LOCK_UN)
            os.close(self._exclusive)
            self._exclusive = None

    @contextmanager
    def shared(self, what: str) -> Iterator[None]:
        """Hold the lock shared for a write; this worker's own archive suite needs no more."""
        if self._exclusive is not None:
            yield
            return
        handle = self._acquire(fcntl.LOCK_SH, what)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            os.close(handle)

    def guard(self, session: HttpSession) -> None:
        """Make every write ``session`` sends hold the lock shared."""
        send = session.request

        def request(method: str, url: str, **options: Any) -> Any:
            if method.upper() in _READS:
                return send(method, url, **options)
            with self.shared(f"{method} {url}"):
                return send(method, url, **options)

        # Wrapped in place, so every holder of the session waits; mypy forbids assigning a method.
        session.request = request  # type: ignore[method-assign]
