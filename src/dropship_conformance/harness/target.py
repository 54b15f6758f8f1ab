"""The target of a run: URLs, identities, the clients that talk to it, and its sandbox, if any."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dropship_conformance.client import (
    DropshipClient,
    Exchange,
    HttpSession,
    OrdersClient,
    Recorder,
    SandboxControl,
    TargetError,
)
from dropship_conformance.harness.options import Settings


@dataclass(frozen=True)
class Target:
    settings: Settings
    recorder: Recorder
    session: HttpSession
    dropship: DropshipClient
    orders: OrdersClient
    control: SandboxControl | None
    sandbox_info: dict[str, Any] | None

    @property
    def label(self) -> str:
        kind = "embedded reference sandbox" if self.settings.embedded else "target"
        return f"{kind}: dropship {self.settings.dropship_url}, orders {self.settings.orders_url}"


@contextmanager
def embedded_sandbox() -> Iterator[str]:
    """Start the reference sandbox on a free loopback port; yield its root URL."""
    from dropship_conformance.sandbox.server import serve_in_thread

    with (
        tempfile.TemporaryDirectory(prefix="dropship-conformance-") as folder,
        serve_in_thread(str(Path(folder) / "sandbox.sqlite3")) as root_url,
    ):
        yield root_url


def second_identity(info: dict[str, Any], settings: Settings) -> str | None:
    """The sandbox token that acts as both the other supplier and the other company."""
    return next(
        (
            str(identity["token"])
            for identity in info.get("identities", [])
            if settings.other_supplier_id in identity.get("suppliers", [])
            and settings.other_company_id in identity.get("companies", [])
        ),
        None,
    )


def _roots(settings: Settings) -> tuple[str, str]:
    """The dropship and Orders API roots: both given (``resolve`` refuses one alone), or both
    set from the embedded sandbox."""
    assert settings.dropship_url is not None and settings.orders_url is not None
    return settings.dropship_url, settings.orders_url


def _probe(session: HttpSession, settings: Settings) -> None:
    """Any HTTP answer means reachable; no answer ends the run (exit code 2)."""
    for url in _roots(settings):
        session.request("GET", url, token=None)


@contextmanager
def open_target(
    settings: Settings, listeners: Iterable[Callable[[Exchange, bytes, bytes], None]] = ()
) -> Iterator[Target]:
    """Connect to the target (starting the embedded sandbox when none is given).

    ``listeners`` see every exchange of the run from the first probe on (see ``Recorder``).

    Raises :class:`TargetError` with one readable line when the target cannot be reached.
    """
    with ExitStack() as stack:
        if settings.embedded:
            root = stack.enter_context(embedded_sandbox())
            settings = replace(
                settings, dropship_url=f"{root}/dropship/v1", orders_url=f"{root}/orders/v1"
            )
        dropship_url, orders_url = _roots(settings)
        recorder = Recorder(secrets=settings.secrets, listeners=list(listeners))
        session = HttpSession(
            recorder,
            token=settings.token,
            origins=(dropship_url, orders_url),
            timeout=settings.timeout,
        )
        stack.callback(session.close)
        try:
            _probe(session, settings)
        except TargetError as error:
            raise TargetError(f"target unreachable: {error}") from None
        control = SandboxControl.discover(session, dropship_url)
        info = control.info().json() if control else None
        if settings.other_token is None and info is not None:
            settings = replace(settings, other_token=second_identity(info, settings))
        recorder.secrets = settings.secrets
        recorder.take()
        yield Target(
            settings=settings,
            recorder=recorder,
            session=session,
            dropship=DropshipClient(session, dropship_url, settings.supplier_id),
            orders=OrdersClient(session, orders_url, settings.company_id),
            control=control,
            sandbox_info=info,
        )
